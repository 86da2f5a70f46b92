"""The Textual app: wires a Backend, the starting chat settings and the user's settings together.

Deliberately thin: the screens and widgets do the work. `run_tui` is what the CLI calls; it
owns the LocalBackend's lifetime (the model loads in a worker thread once the UI is up, and the
worker process is closed when the app exits), and of every backend a switch of engine opened
(the model panel's engine field: `engines`, all closed at exit).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import partial
from pathlib import Path
from typing import ClassVar

from textual.app import App, SystemCommand
from textual.binding import BindingType
from textual.markup import escape
from textual.message import Message
from textual.screen import Screen

from engine.backend import Backend
from engine.locations import data_dir
from engine.types import SamplingSettings, SystemPrompt
from sessions import Session, SessionError, SessionStore

from .chat_state import ChatState
from .config import Settings, load_settings
from .keymap import ALL_BINDINGS, APP_BINDINGS
from .screens.main import MainScreen
from .session_recorder import NewSession, SessionRecorder

SCREENSHOT_NAME = re.compile(r"logitscope-(\d+)\.svg")


def write_numbered(folder: Path, svg: str) -> Path:
    """Write `svg` as the next logitscope-NNN.svg: one past the highest number, never over a file."""
    folder.mkdir(parents=True, exist_ok=True)
    numbers = [int(m.group(1)) for p in folder.iterdir() if (m := SCREENSHOT_NAME.fullmatch(p.name))]
    number = max(numbers, default=0) + 1
    while True:
        path = folder / f"logitscope-{number:03d}.svg"
        try:
            with open(path, "x", encoding="utf-8") as handle:  # "x": a file that appeared meanwhile wins
                handle.write(svg)
            return path
        except FileExistsError:
            number += 1


class JournalCreated(Message):
    """The recorder created the session (at the first turn): the status bar can name it now."""


class LogitscopeApp(App[int]):
    CSS_PATH = ["app.tcss", "sessions.tcss"]
    # A compact Footer gives every key `margin-right: 1`, the docked-right "^p palette" key too:
    # that last column then shows the scrolling keys behind it ("palettea"). Flush it right.
    CSS = """
    Footer.-compact FooterKey.-command-palette {
        margin-right: 0;
    }
    """
    BINDINGS: ClassVar[list[BindingType]] = [*APP_BINDINGS]
    TITLE = "logitscope"

    def __init__(self, backend: Backend, system: SystemPrompt = SystemPrompt(),
                 sampling: SamplingSettings | None = None, max_tokens: int = 256,
                 top_k_probs: int | None = None, settings: Settings | None = None,
                 load_on_start: bool = True, session: Session | NewSession | None = None) -> None:
        super().__init__()
        self.backend = backend
        self.engines: list[Backend] = [backend]  # every backend the app ran on; run_tui closes them
        self.settings = settings or Settings()
        self.chat = ChatState(system=system, sampling=sampling or SamplingSettings(),
                              max_tokens=max_tokens,
                              top_k_probs=top_k_probs or self.settings.top_k_probs,
                              adapters=backend.config.adapters)
        self.load_on_start = load_on_start
        # Every completed generation is journaled into `session` (none: nothing is recorded); a
        # NewSession is created by the recorder's thread when the first turn is written.
        self.recorder = SessionRecorder(session, self._journal_failed, self._journal_created) \
            if session is not None else None
        self.set_keymap(self.settings.keymap)

    def adopt_backend(self, backend: Backend) -> None:
        """Run on `backend` from now on (a remote engine typed in the model panel, or the local
        one again); the ones before stay open until the app closes them all at exit."""
        self.backend = backend
        if all(b is not backend for b in self.engines):
            self.engines.append(backend)

    def local_backend(self) -> Backend | None:
        """The local engine this app ran on, if it ever did (an engine without `origin()`)."""
        return next((b for b in self.engines if not callable(getattr(b, "origin", None))), None)

    def get_default_screen(self) -> Screen:
        return MainScreen(self.backend, self.chat, self.settings, self.load_on_start)

    @property
    def main_screen(self) -> MainScreen:
        return self.screen_stack[0]  # type: ignore[return-value]

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        main = self.main_screen
        seen: set[str] = set()
        for binding in ALL_BINDINGS:
            if binding.action in seen:
                continue
            seen.add(binding.action)
            key = self.settings.key_for(binding.id or "", binding.key)
            target = self if binding in APP_BINDINGS else main
            yield SystemCommand(binding.tooltip or binding.description, f"key: {escape(key)}",
                                partial(target.run_action, binding.action))

    def _journal_failed(self, message: str) -> None:
        self.notify(message, title="Session", severity="error", timeout=8, markup=False)  # thread-safe

    def _journal_created(self, _: Session) -> None:
        self.post_message(JournalCreated())  # on the journal thread: posting is thread-safe

    def on_journal_created(self, _: JournalCreated) -> None:
        if self.screen_stack:
            self.main_screen.refresh_status()

    def action_sessions(self) -> None:
        """The session browser: replay, compare, export or delete saved sessions."""
        from .screens.session_browser import SessionBrowser

        if not isinstance(self.screen, SessionBrowser):
            self.push_screen(SessionBrowser())


    def action_save_screenshot(self) -> None:
        """Numbered SVGs in <data dir>/screenshots (no timestamps, so names are predictable)."""
        svg = self.export_screenshot()
        try:
            path = write_numbered(data_dir() / "screenshots", svg)
        except OSError as exc:
            self.notify(f"Could not save the screenshot: {exc}", severity="error", markup=False)
            return
        self.notify(f"Saved {path}", timeout=2, markup=False)


def run_tui(backend: Backend, system: SystemPrompt, sampling: SamplingSettings | None = None,
            *, session: str | None = None, max_tokens: int = 256) -> int:
    """Open the TUI on `backend` (a LocalBackend on the model options' config, or a RemoteBackend
    for `--engine`), which it closes at the end; returns the process exit code. Every turn is journaled into a new
    session, or into the store's session `session` (its name, id or id prefix, or a path inside
    the store; a path outside the store is refused here, before the TUI starts). A new session,
    named by the time or by `session`, is only created when its first turn is written: a launch
    that asks nothing leaves no empty session behind."""
    settings = load_settings()  # a ConfigError reaches the CLI's one error handler
    try:
        store = SessionStore()
        existing = store.open_existing(session) if session else None
        journal = existing if existing is not None else NewSession(store, session)
    except (SessionError, OSError) as exc:
        print(f"logitscope: session: {getattr(exc, 'msg', exc)}")
        backend.close()
        return 2
    app = None
    try:
        app = LogitscopeApp(backend, system, sampling, max_tokens, settings=settings, session=journal)
        code = app.run()
    finally:
        if app is not None and app.recorder is not None:
            app.recorder.close()
        for engine in app.engines if app is not None else [backend]:  # a switch may have opened more
            engine.cancel()  # a generation still streaming holds the backend until it stops
            engine.close()
    return code or 0
