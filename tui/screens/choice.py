"""Forced choice from the chat (ctrl+y): "P(Yes) vs P(No)" for the question at hand, in two keys.

The modal opens on the main screen's question (the message box's text, else the user message of
the turn under the cursor, with that turn's history) with "Yes, No" typed in; Enter scores the
options in a thread worker, each as a complete answer, under the main screen's configuration
(system prompt and adapters) and each comparison ticked (F2: the base model, no adapters; F3: no
system prompt), so the table shows a column group per configuration: normalised probability,
raw probability, rank, and each configuration's mass. Editing the options and pressing Enter
again scores them again; ticking a comparison after a scoring scores it at once. Every request
scored is journaled in the app's session as a choice turn (once: a request already scored in
this modal is not sent again), so replay shows it without a model.
"""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Checkbox, Input, Label, Static

from engine.backend import Backend
from engine.types import AdapterSpec, ChoiceRequest, ChoiceResult, SystemPrompt

from .. import messages as m
from ..choice_model import (
    COMPARISONS,
    DEFAULT_OPTIONS,
    ChoiceQuestion,
    NamedConfiguration,
    ScoredConfiguration,
    configurations,
    parse_options,
)
from ..widgets.choice_table import ChoiceTable

QUESTION_CHARS = 240  # longer questions are cut in the modal's header (the request has them all)


def question_header(question: ChoiceQuestion) -> Content:
    text = " ".join(question.text.split())
    if len(text) > QUESTION_CHARS:
        text = text[:QUESTION_CHARS - 1] + "…"
    prior = sum(1 for msg in question.history if msg.role == "user")
    where = f"{question.source}, {prior} prior turn{'s' if prior != 1 else ''} in its prompt"
    return Content.assemble(("Question", "bold"), f" ({where}): ", text)


class ChoiceScreen(ModalScreen[None]):
    """Type candidate answers for `question` and see their probabilities per configuration."""

    BINDINGS = [
        Binding("escape", "close", "Close", id="choice_close"),
        Binding("f2", "toggle_compare('base')", "Compare base", id="choice_compare_base",
                tooltip="Add or remove a column for the base model (no adapters)"),
        Binding("f3", "toggle_compare('no-system')", "Compare no system", id="choice_compare_no_system",
                tooltip="Add or remove a column for the current adapters without a system prompt"),
    ]

    def __init__(self, backend: Backend, question: ChoiceQuestion, system: SystemPrompt,
                 adapters: tuple[AdapterSpec, ...], compare: tuple[str, ...] = ()) -> None:
        super().__init__(classes="small-modal")
        self.backend, self.question = backend, question
        self.system, self.adapters = system, adapters
        self.compare = compare
        self.scored: tuple[ScoredConfiguration, ...] = ()
        self._cache: dict[ChoiceRequest, ChoiceResult] = {}  # what this modal scored (and journaled)

    def compose(self) -> ComposeResult:
        with Vertical(id="choice-box") as box:
            box.border_title = "Forced choice"
            yield Static(question_header(self.question), id="choice-question")
            with Horizontal(id="choice-options-row"):
                yield Label("options", id="choice-options-label")
                yield Input(DEFAULT_OPTIONS, id="choice-options", compact=True, select_on_focus=False,
                            tooltip='Comma-separated (quote an option holding a comma: "Yes, really")')
            with Horizontal(id="choice-compare"):
                for key, label in COMPARISONS.items():
                    yield Checkbox(label, key in self.compare, id=f"compare-{key}", compact=True)
            yield Static(id="choice-configs")
            yield ChoiceTable(id="choice-table")
            yield Static(id="choice-status")
            yield Static(Content.from_markup(
                "[b]Enter[/b] score · [b]F2[/b] base · [b]F3[/b] no system prompt · [b]Esc[/b] close"),
                id="choice-keys")

    def on_mount(self) -> None:
        box = self.query_one("#choice-options", Input)
        box.cursor_position = len(box.value)
        box.focus()
        self._show_configs()

    def _configurations(self) -> tuple[NamedConfiguration, ...]:
        return configurations(self.system, self.adapters, self.compare)

    def _show_configs(self) -> None:
        lines = [Content.assemble((f"{c.label}: ", "bold"), c.describe()) for c in self._configurations()]
        self.query_one("#choice-configs", Static).update(Content("\n").join(lines))

    def _status(self, text: str) -> None:
        self.query_one("#choice-status", Static).update(Content(text))

    # ----- scoring ---------------------------------------------------------------------------

    @on(Input.Submitted, "#choice-options")
    def score(self) -> None:
        options = parse_options(self.query_one("#choice-options", Input).value)
        if not options:
            self._status("Type at least one option (comma-separated).")
            return
        configs = self._configurations()
        self._status(f"scoring {len(options)} option{'s' if len(options) != 1 else ''} under "
                     f"{len(configs)} configuration{'s' if len(configs) != 1 else ''}…")
        self.run_scoring(options, configs, dict(self._cache))

    @work(thread=True, exclusive=True, exit_on_error=False, group="choice")
    def run_scoring(self, options: tuple[str, ...], configs: tuple[NamedConfiguration, ...],
                    known: dict[ChoiceRequest, ChoiceResult]) -> None:
        scored: list[ScoredConfiguration] = []
        try:
            for config in configs:
                request = config.request(self.question, options)
                result = known.get(request) or self.backend.choose(request)
                scored.append(ScoredConfiguration(config, request, result))
        except Exception as exc:  # shown in the modal; what was scored before it is kept
            self.post_message(m.ChoiceScored(options, tuple(scored), error=exc))
        else:
            self.post_message(m.ChoiceScored(options, tuple(scored)))

    def on_choice_scored(self, event: m.ChoiceScored) -> None:
        recorder = getattr(self.app, "recorder", None)
        for s in event.scored:
            if s.request not in self._cache:
                self._cache[s.request] = s.result
                if recorder is not None:
                    recorder.record_choice(s.request, s.result)
        if event.scored:
            self.scored = event.scored
            self.query_one(ChoiceTable).show(event.scored)
        if event.error is not None:
            message = getattr(event.error, "msg", None) or str(event.error)
            self._status(f"Could not score the options: {message}")
            return
        masses = ", ".join(f"{s.config.label} {s.result.mass:.3f}" for s in event.scored)
        self._status(f"{len(event.options)} options scored as complete answers; mass {masses}"
                     + (" · journaled" if recorder is not None else ""))

    # ----- comparisons --------------------------------------------------------------------------

    def action_toggle_compare(self, key: str) -> None:
        box = self.query_one(f"#compare-{key}", Checkbox)
        box.value = not box.value  # Checkbox.Changed does the rest

    @on(Checkbox.Changed)
    def compare_changed(self, event: Checkbox.Changed) -> None:
        wanted = {key for key in COMPARISONS if self.query_one(f"#compare-{key}", Checkbox).value}
        self.compare = tuple(key for key in COMPARISONS if key in wanted)
        self._show_configs()
        if self.scored:  # the table is showing numbers: show the new column set's at once
            self.score()

    def action_close(self) -> None:
        self.dismiss(None)
