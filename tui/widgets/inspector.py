"""The inspector: the distribution at the token under the cursor, and the door to branching.

It shows the chosen token, its probability and rank, the entropy, the effective vocabulary
(exp(entropy): how many equally likely tokens would give the same uncertainty) and the top-1
mass, then the top-k alternatives as bars. The rank is the JSON's and the exports': how many
tokens were more likely than the chosen one, so 0 is the top-1. The first five alternatives are
labelled with the keys 1-5 that pick them; selecting an alternative (Enter, or 1-5, once Tab has
moved the focus here from the transcript) asks the screen to continue the answer from that token in a new branch.
A step that llama.cpp's sampler chain drew also shows what the chain left: a line saying how many
tokens it kept (or that it was greedy) and a second column per row (tui/widgets/sampler_rows.py),
the tokens it removed kept in their rows, greyed.
A step from a remote engine that reported only its top-k (distribution "top-k+rest") says so
where its numbers are bounds: "entropy ≥1.23 nats (top-k + rest)", the effective vocabulary with
"≥", and a rank "≥k (outside the top-k)" for a chosen token the top-k does not hold
(sessions/distribution_marks.py). A "full" step shows exactly what it always did.
"""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from engine.types import TokenAlternative, TokenStep
from sessions.distribution_marks import BOUND, approximate, rank_bounded

from ..messages import AlternativeChosen
from .sampler_rows import BAR_WIDTH as TWO_COLUMN_BAR
from .sampler_rows import sampler_line, two_column_label

BAR_WIDTH = 14
KEYED = 5  # alternatives 1-5 have keys (tui/keymap.py branch_1..branch_5)


def bar(prob: float, width: int = BAR_WIDTH) -> str:
    eighths = round(max(0.0, min(1.0, prob)) * width * 8)
    full, part = divmod(eighths, 8)
    return ("█" * full + (" ▏▎▍▌▋▊▉"[part] if part else "")).ljust(width)


def rank_label(rank: int, bounded: bool = False) -> str:
    """`rank 0 (top-1)`, `rank 2 (2 more likely)`: the rank says how many tokens beat this one;
    `rank ≥20 (outside the top-k)` when it is a lower bound (a remote engine's top-k)."""
    if bounded:
        return f"rank {BOUND}{rank} (outside the top-k)"
    return f"rank {rank} ({'top-1' if rank == 0 else f'{rank} more likely'})"


def entropy_lines(step: TokenStep) -> str:
    """The entropy and effective-vocabulary lines, marked as bounds for a top-k + rest step."""
    if approximate(step):
        return (f"entropy {BOUND}{step.entropy:.2f} nats (top-k + rest)\n"
                f"eff. vocab {BOUND}{step.effective_vocab:.1f}   ")
    return f"entropy {step.entropy:.2f} nats\neff. vocab {step.effective_vocab:.1f}   "


def token_repr(alt: TokenAlternative) -> str:
    """A token on one line: control characters escaped (`\\n`), bytes that are not UTF-8 as `\\xNN`.

    Not `repr`: that would escape the backslash of a `\\xNN` escape again (`\\\\xf0`), and a
    token that is a backslash would show as two."""
    if alt.piece is not None:
        try:
            text = alt.piece.decode("utf-8")
        except UnicodeDecodeError:
            return "".join(f"\\x{b:02x}" for b in alt.piece)
    else:
        text = alt.text  # already escaped where it was not UTF-8
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text) or "∅"


class Inspector(Vertical):
    """Shows one TokenStep; posts AlternativeChosen when an alternative is selected."""

    _shown: TokenStep | None = None

    def compose(self) -> ComposeResult:
        yield Static("No token selected.\nAsk something, then move the cursor with ←/→.", id="inspector-summary")
        yield Static(id="inspector-sampler")
        yield OptionList(id="alternatives")

    def on_mount(self) -> None:
        sampler = self.query_one("#inspector-sampler", Static)
        sampler.styles.height = 2  # fixed, so a new step's line never needs a layout pass
        sampler.display = False  # until a step with a sampler view is shown

    def show(self, step: TokenStep | None, where: str = "") -> None:
        summary = self.query_one("#inspector-summary", Static)
        options = self.query_one("#alternatives", OptionList)
        if step is self._shown:
            return
        self._shown = step
        sampler = self.query_one("#inspector-sampler", Static)
        viewed = step is not None and step.sampler is not None
        if sampler.display != viewed:  # a restyle only when the kind of step changes
            sampler.display = viewed
        if step is None:
            options.clear_options()
            summary.update("No token selected.\nAsk something, then move the cursor with ←/→.", layout=False)
            return
        text = Text()
        text.append(f"{where}token {step.i}", style="bold")
        text.append("  ")
        text.append(repr(step.text) if step.text else "∅ (end / partial char)", style="reverse")
        if step.forced:
            text.append(" (chosen by you)", style="italic")
        text.append(f"\np {step.prob:.3f}   {rank_label(step.rank, rank_bounded(step))}\n")
        text.append(entropy_lines(step))
        text.append(f"top-1 {step.top1_prob:.2f}")
        if step.top:
            text.append(f"\nTab, then 1-{min(KEYED, len(step.top))}: branch from that row", style="dim")
        summary.update(text, layout=False)  # fixed height in the CSS
        if step.sampler is not None:
            sampler.update(sampler_line(step), layout=False)  # always two lines
            labels = [two_column_label(n, alt, step, KEYED, token_repr(alt), bar(alt.prob, TWO_COLUMN_BAR))
                      for n, alt in enumerate(step.top)]
        else:
            labels = [self._raw_label(n, alt, step) for n, alt in enumerate(step.top)]
        if options.option_count == len(labels):  # same shape: swap the text, skip a layout pass
            for n, label in enumerate(labels):
                options.replace_option_prompt_at_index(n, label)
        else:
            options.clear_options()
            options.add_options([Option(label, id=f"alt-{n}") for n, label in enumerate(labels)])
        if step.top:
            options.highlighted = min(step.rank, len(step.top) - 1)

    @staticmethod
    def _raw_label(n: int, alt: TokenAlternative, step: TokenStep) -> Text:
        label = Text()
        label.append(f"{n + 1:>2} " if n < KEYED else "   ", style="dim")  # a key, not a rank
        label.append(f"{token_repr(alt)[:12]:<12} ", style="bold" if alt.id == step.id else "")
        label.append(bar(alt.prob), style="green" if alt.id == step.id else "cyan")
        label.append(f" {alt.prob:6.1%}")
        return label

    @on(OptionList.OptionSelected, "#alternatives")
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.post_message(AlternativeChosen(event.option_index))
