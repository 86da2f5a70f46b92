"""What replay can do besides looking: re-run the session under the app's configuration, export it.

Re-run sends every saved turn again through the app's own backend (the model the main screen
loaded, its adapters and system prompt) in a thread worker, journaling into a new session linked
to the original, then opens the comparison of the two. Export writes Markdown, HTML or JSONL to a
path the user types (the extension picks the format), by default in the data dir.
"""

from __future__ import annotations

from pathlib import Path

from textual import work
from textual.worker import Worker, WorkerState

from engine.errors import EngineError
from engine.locations import data_dir
from sessions import Session, SessionError, SessionOrigin, SessionStore
from sessions.export import export_jsonl, export_markdown
from sessions.html import export_html
from sessions.rerun import RunConfig, rerun

from ..messages import CurrentSessionRead
from ..session_recorder import SessionRecorder
from .text_modal import ErrorModal

FORMATS = {".md": "Markdown", ".html": "HTML", ".jsonl": "JSONL"}


def export_session(session: Session, path: Path) -> Path:
    """Write `session` to `path` in the format its extension names."""
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise ValueError(f"Unknown export format {suffix or '(none)'!r}: use .md, .html or .jsonl.")
    path.parent.mkdir(parents=True, exist_ok=True)
    if suffix == ".jsonl":
        path.write_bytes(export_jsonl(session))
    else:
        path.write_text(export_markdown(session) if suffix == ".md" else export_html(session),
                        encoding="utf-8")
    return path


def default_export_path(session: Session, suffix: str = ".html") -> Path:
    return data_dir() / "exports" / f"{session.id}{suffix}"


class ReplayActions:
    """Mixed into ReplayScreen; relies on its `session` and `refresh_status`."""

    def current_config(self) -> RunConfig:
        chat = self.app.chat
        return RunConfig(model_path=self.app.backend.config.model_path, adapters=chat.adapters,
                         system=chat.system)

    def action_rerun(self) -> None:
        main = self.app.main_screen
        if self.rerunning or getattr(main, "job", None) is not None or getattr(main, "loading", False):
            self.notify("The model is busy (generating or loading); try again when it is done.",
                        severity="warning")
            return
        if not len(self.session.turns):
            self.notify("This session has no turns to re-run.", severity="warning")
            return
        config = self.current_config()
        self.refresh_status(f"re-running {len(self.session.turns)} turns ({config.describe()})…")
        self.run_rerun(config)

    @work(thread=True, exclusive=True, exit_on_error=False, group="rerun")
    def run_rerun(self, config: RunConfig) -> Session:
        store = SessionStore()
        target = store.create(f"{self.session.id}-rerun",
                              SessionOrigin(self.session.id, "rerun", config.describe()))
        try:
            total = len(self.session.turns)
            rerun(self.session, target, self.app.backend, config,
                  lambda n, _turn: self.app.call_from_thread(self.refresh_status, f"re-ran {n}/{total} turns…"))
        except (SessionError, EngineError):
            if not len(target.turns):
                store.delete(str(target.path))
            raise
        return target

    def action_compare_current(self) -> None:
        """Compare this saved session with the one the app is recording now."""
        recorder = getattr(self.app, "recorder", None)
        if recorder is None or recorder.session.path == self.session.path:
            self.notify("Open another session to compare it with the current one "
                        "(or mark two with c in the browser).", timeout=4)
            return
        self.read_current(recorder)

    @work(thread=True, exclusive=True, exit_on_error=False, group="current")
    def read_current(self, recorder: SessionRecorder) -> None:
        recorder.wait()  # the turns still being journaled belong in the comparison
        self.post_message(CurrentSessionRead(Session.open(recorder.session.path)))

    def on_current_session_read(self, event: CurrentSessionRead) -> None:
        from .compare import CompareScreen

        self.app.push_screen(CompareScreen(self.session, event.session))

    @property
    def rerunning(self) -> bool:
        return any(w.group == "rerun" and w.is_running for w in self.workers)

    def action_export(self) -> None:
        from .session_modals import ExportModal

        def chosen(path: str | None) -> None:
            if path:
                self.run_export(Path(path).expanduser())

        self.app.push_screen(ExportModal(str(default_export_path(self.session))), chosen)

    @work(thread=True, exclusive=True, exit_on_error=False, group="export")
    def run_export(self, path: Path) -> Path:
        return export_session(self.session, path)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        worker = event.worker
        if event.state not in (WorkerState.SUCCESS, WorkerState.ERROR):
            return
        if event.state is WorkerState.ERROR:
            self.refresh_status()
            error = worker.error
            if isinstance(error, (SessionError, EngineError, OSError, ValueError)):
                self.notify(getattr(error, "msg", None) or str(error), title=worker.group.title(),
                            severity="error", timeout=8, markup=False)
            else:
                self.app.push_screen(ErrorModal.from_error(error))
        elif worker.group == "export":
            self.notify(f"Exported to {worker.result}", timeout=4, markup=False)
        elif worker.group == "rerun":
            self.refresh_status()
            target: Session = worker.result
            self.notify(f"Re-ran into session {target.name!r}.", timeout=4, markup=False)
            from .compare import CompareScreen

            self.app.push_screen(CompareScreen(self.session, target))
