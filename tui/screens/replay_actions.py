"""What replay can do besides looking: re-run the session under the app's configuration, export it.

Re-run sends every saved turn again through the app's own backend (the model the main screen
loaded, its adapters and system prompt) in a thread worker, journaling into a new session linked
to the original, then opens the comparison of the two; it starts only once the user confirmed
that configuration, shown in full (rerun_confirm.py). Export writes any format of the table in
sessions/export.py (the CLI's too) to a path the user types, whose extension picks the format; the
default, in the data dir, never names an existing file. Each worker posts its outcome as a typed
message (tui/messages.py), and failures all go to `report_failure`.
"""

from __future__ import annotations

import os
from pathlib import Path

from textual import work

from engine.errors import EngineError
from engine.locations import data_dir
from sessions import Session, SessionError, SessionOrigin, SessionStore
from sessions.export import default_export_path, write_export
from sessions.rerun import RunConfig, rerun

from ..messages import CurrentSessionRead, ExportEnded, RerunEnded, RerunProgress
from ..session_recorder import SessionRecorder
from .host import ReplayHost
from .rerun_confirm import RerunConfirmModal, rerun_target_name
from .text_modal import ErrorModal

NOTHING_RECORDED = ("Nothing has been recorded yet in this run: the current session is created "
                    "with the first answer. Ask something on the main screen, then compare.")


class ReplayActions:
    """Mixed into ReplayScreen (a ReplayHost)."""

    def current_config(self: ReplayHost) -> RunConfig:
        chat = self.app.chat
        return RunConfig(model_path=self.app.backend.config.model_path, adapters=chat.adapters,
                         system=chat.system)

    # ----- re-run ------------------------------------------------------------------------------

    def action_rerun(self: ReplayHost) -> None:
        main = self.app.main_screen
        if self.rerunning or main.job is not None or main.model_loading:
            self.notify("The model is busy (generating or loading); try again when it is done.",
                        severity="warning")
            return
        if not len(self.session.turns):
            self.notify("This session has no turns to re-run.", severity="warning")
            return
        config = self.current_config()

        def confirmed(yes: bool | None) -> None:
            if not yes:
                return
            if self.rerunning or main.job is not None or main.model_loading:  # it changed meanwhile
                self.notify("The model is busy (generating or loading); try again when it is done.",
                            severity="warning")
                return
            self.refresh_status(f"re-running {len(self.session.turns)} turns…")
            self.run_rerun(config)

        self.app.push_screen(RerunConfirmModal(self.session, config), confirmed)

    @work(thread=True, exclusive=True, exit_on_error=False, group="rerun")
    def run_rerun(self: ReplayHost, config: RunConfig) -> None:
        store = SessionStore()
        total = len(self.session.turns)

        def progress(done: int, _turn: object) -> None:
            self.post_message(RerunProgress(done, total))  # posting is thread-safe; it never waits

        try:
            target = store.create(rerun_target_name(self.session),
                                  SessionOrigin(self.session.id, "rerun", config.describe()))
            try:
                rerun(self.session, target, self.app.backend, config, progress)
            except Exception:  # whatever stopped it, no empty session is left behind
                if not len(target.turns):
                    store.delete(str(target.path))
                raise
        except Exception as exc:
            self.post_message(RerunEnded(error=exc))
        else:
            self.post_message(RerunEnded(target))

    def on_rerun_progress(self: ReplayHost, event: RerunProgress) -> None:
        self.refresh_status(f"re-ran {event.done}/{event.total} turns…")

    def on_rerun_ended(self: ReplayHost, event: RerunEnded) -> None:
        self.refresh_status()
        if event.target is None:
            self.report_failure(event.error, "Re-run")
            return
        self.notify(f"Re-ran into session {event.target.name!r}.", timeout=4, markup=False)
        from .compare import CompareScreen

        self.app.push_screen(CompareScreen(self.session, event.target))

    @property
    def rerunning(self: ReplayHost) -> bool:
        return any(w.group == "rerun" and w.is_running for w in self.workers)

    # ----- compare with the session being recorded ----------------------------------------------

    def action_compare_current(self: ReplayHost) -> None:
        """Compare this saved session with the one the app is recording now."""
        recorder = self.app.recorder
        if recorder is None:
            self.notify("This run records no session; mark two sessions with c in the browser "
                        "to compare them.", timeout=4)
            return
        if recorder.session is None and not recorder.busy:
            self.notify(NOTHING_RECORDED, timeout=4)
            return
        if recorder.path is not None and recorder.path == Path(os.path.realpath(self.session.path)):
            self.notify("Open another session to compare it with the current one "
                        "(or mark two with c in the browser).", timeout=4)
            return
        self.read_current(recorder)

    @work(thread=True, exclusive=True, exit_on_error=False, group="current")
    def read_current(self: ReplayHost, recorder: SessionRecorder) -> None:
        try:
            recorder.wait()  # the turns still being journaled belong in the comparison
            if recorder.path is None:  # the first turn's write failed: no session was created
                raise SessionError(NOTHING_RECORDED)
            session = Session.open(recorder.path)
        except Exception as exc:
            self.post_message(CurrentSessionRead(error=exc))
        else:
            self.post_message(CurrentSessionRead(session))

    def on_current_session_read(self: ReplayHost, event: CurrentSessionRead) -> None:
        if event.session is None:
            self.report_failure(event.error, "Compare")
            return
        from .compare import CompareScreen

        self.app.push_screen(CompareScreen(self.session, event.session))

    # ----- export --------------------------------------------------------------------------------

    def action_export(self: ReplayHost) -> None:
        from .session_modals import ExportModal

        def chosen(path: str | None) -> None:
            if path:
                self.run_export(Path(path).expanduser())

        default = default_export_path(self.session, data_dir() / "exports")
        self.app.push_screen(ExportModal(str(default)), chosen)

    @work(thread=True, exclusive=True, exit_on_error=False, group="export")
    def run_export(self: ReplayHost, path: Path) -> None:
        try:
            write_export(self.session, path)  # the format its suffix names, as the CLI writes it
        except Exception as exc:
            self.post_message(ExportEnded(error=exc))
        else:
            self.post_message(ExportEnded(path))

    def on_export_ended(self: ReplayHost, event: ExportEnded) -> None:
        if event.path is None:
            self.report_failure(event.error, "Export")
        else:
            self.notify(f"Exported to {event.path}", timeout=4, markup=False)

    # ----- errors --------------------------------------------------------------------------------

    def report_failure(self: ReplayHost, error: BaseException | None, title: str) -> None:
        """What the user can act on as a notification; anything unexpected in the error modal."""
        if error is None:
            return
        if isinstance(error, (SessionError, EngineError, OSError, ValueError)):
            self.notify(getattr(error, "msg", None) or str(error), title=title,
                        severity="error", timeout=8, markup=False)
        else:
            self.app.push_screen(ErrorModal.from_error(error))
