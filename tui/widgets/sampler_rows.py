"""The inspector's two columns: the raw distribution and what llama.cpp's sampler chain left of it.

A step a sampler chain drew carries `post` and `sampler` (engine/sampler_view.py). The inspector
then lists the raw top tokens in their order, each with its raw probability (bar and percent) and
its probability after the chain; a token the chain removed stays in its row, greyed, with the
stage that removed it instead of a probability. One line above the rows says how many tokens the
chain kept, or that it was greedy. Steps without a view (forced, older journals, scripted
backends) keep the single raw column (tui/widgets/inspector.py).
"""

from __future__ import annotations

from rich.text import Text

from engine.types import TokenAlternative, TokenStep

BAR_WIDTH = 8  # narrower than the raw-only bar, to leave room for the post column
TOKEN_WIDTH = 10
REMOVED_STYLE = "#808080"  # a grey both Rich and Textual parse ("grey50" is not Textual's: each render failed it)


def sampler_line(step: TokenStep) -> Text:
    """`post p 0.573 · 7 kept (raw 93%)`, or `greedy (temperature 0): p 1`, then the header."""
    view = step.sampler
    assert view is not None
    text = Text()
    chosen = next((t.prob for t in step.post if t.id == step.id), None)
    if view.greedy:
        text.append("greedy", style="bold")
        text.append(" (temperature 0): post p 1")
    else:
        text.append("post ", style="bold")
        text.append(f"p {chosen:.3f} · " if chosen is not None else "")
        text.append(f"{view.kept} kept (raw {view.kept_raw_mass:.0%})")
    outside = len({t.id for t in step.post} - {alt.id for alt in step.top})
    if outside:
        text.append(f", {outside} beyond the raw top", style="italic")
    text.append(f"\n{'':3}{'token':<{TOKEN_WIDTH + 1}}{'raw':<{BAR_WIDTH + 7}}{'post':>7}", style="dim")
    return text


def two_column_label(n: int, alt: TokenAlternative, step: TokenStep, keyed: int,
                     name: str, bar: str) -> Text:
    """One row: key, token, raw bar and percent, then the post probability or the stage that
    removed the token (the whole row greyed)."""
    view = step.sampler
    assert view is not None
    post = next((t.prob for t in step.post if t.id == alt.id), None)
    stage = view.removed_by(alt.id)
    chosen = alt.id == step.id
    label = Text(style=REMOVED_STYLE if stage else "")
    label.append(f"{n + 1:>2} " if n < keyed else "   ", style="dim")
    label.append(f"{name[:TOKEN_WIDTH]:<{TOKEN_WIDTH}} ", style="bold" if chosen else "")
    label.append(bar, style="" if stage else ("green" if chosen else "cyan"))
    label.append(f" {alt.prob:6.1%}")
    if stage:
        label.append(f" {stage:>6}", style="italic")
    elif post is not None:
        label.append(f" {post:6.1%}", style="bold" if chosen else "")
    else:
        label.append(f" {'kept':>6}", style="dim")  # kept, past the cap of the post list
    return label
