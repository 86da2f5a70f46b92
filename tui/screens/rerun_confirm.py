"""Replay's `r` asks first: what a re-run will use, in full, and where its answers go.

A re-run sends every recorded turn to the model again and can take minutes, under the main
screen's model, adapters and system prompt, which may not be what the user last looked at. So it
starts only after this modal has shown that configuration (file names and paths, each adapter's
scale, the system prompt's mode and whole text), stated what is kept from the recording (the
sampling and seeds, the history, forced branch tokens: see sessions/rerun.py) and where the
result goes. Enter or y starts it, Escape or n cancels. Everything shown is plain Content: paths,
prompts and session names are user text, never markup.
"""

from __future__ import annotations

from pathlib import Path

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Static

from engine.types import AdapterSpec, SystemMode, SystemPrompt
from sessions import Session
from sessions.rerun import RunConfig


def rerun_target_name(session: Session) -> str:
    """The name the re-run's session is created under (the store adds -2, -3... if it is taken)."""
    return f"{session.id}-rerun"


def _adapters(adapters: tuple[AdapterSpec, ...]) -> Content:
    if not adapters:
        return Content("none: every turn runs on the bare model")
    return Content("\n").join(
        Content.assemble((f"{Path(a.path).name} ×{a.scale:g}", "bold"),
                         " (loaded, off)" if a.scale == 0 else "", f"  {a.path}")
        for a in adapters)


def _system(system: SystemPrompt) -> Content:
    if system.mode is SystemMode.NONE:
        return Content("none: no system message (the chat template may add its own text)")
    if system.mode is SystemMode.EMPTY:
        return Content('empty: a system message whose content is ""')
    return Content.assemble((f"custom ({len(system.text)} characters):", "bold"), "\n", system.text)


def rerun_intro(session: Session) -> Content:
    turns = len(session.turns)
    return Content.assemble(
        "Re-run ", (session.name, "bold"),
        f": its {turns} recorded turn{'s' if turns != 1 else ''} (every answer, branch and "
        "regeneration) asked again, one after another, under the main screen's configuration:")


def rerun_rows(session: Session, config: RunConfig) -> list[tuple[str, Content]]:
    """(label, text) rows: the configuration, what each turn keeps, where the result goes."""
    model = config.model_path
    return [
        ("model", Content.assemble((Path(model).name, "bold"), "\n", model) if model is not None
         else Content("each turn's recorded model")),
        ("adapters", _adapters(config.adapters) if config.adapters is not None
         else Content("each turn's recorded adapters")),
        ("system", _system(config.system) if config.system is not None
         else Content("each turn's recorded system prompt")),
        ("kept", Content(
            "each turn's recorded sampling (temperature, top-p, top-k, min-p, repeat penalty, "
            "max tokens) and the seed its answer was sampled with, so only the configuration "
            "above differs; the main screen's sampling (F4) is not used. A recorded seed "
            "llama.cpp cannot use as given is replaced by a new one, noted in that turn. Each "
            "turn keeps its recorded history; a branch forces the same tokens.")),
        ("result", Content.assemble(
            "a new session ", (rerun_target_name(session), "bold"),
            f", linked to this one (rerun of {session.id}); turns are saved as they finish, and "
            "the comparison of the two opens when all are done.")),
    ]


class RerunConfirmModal(ModalScreen[bool]):
    """The re-run's configuration in full; True when the user confirms."""

    BINDINGS = [
        Binding("y,enter", "answer(True)", "Re-run", id="rerun_confirm"),
        Binding("n,escape", "answer(False)", "Cancel", id="rerun_cancel"),
    ]

    def __init__(self, session: Session, config: RunConfig) -> None:
        super().__init__(classes="small-modal")
        self.intro = rerun_intro(session)
        self.rows = rerun_rows(session, config)

    def compose(self) -> ComposeResult:
        with Vertical(id="small-modal-box") as box:
            box.border_title = "Re-run session"
            with VerticalScroll(id="rerun-details"):
                yield Static(self.intro, id="rerun-intro")
                for label, text in self.rows:
                    with Horizontal(classes="rerun-row"):
                        yield Static(Content(label), classes="rerun-label")
                        yield Static(text, classes="rerun-value", id=f"rerun-{label}")
            yield Static(Content.from_markup("[b]Enter[/b]/[b]y[/b] re-run · [b]Esc[/b]/[b]n[/b] cancel"),
                         id="rerun-keys")

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)
