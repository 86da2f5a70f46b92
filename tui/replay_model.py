"""A saved session as the TUI's conversation model: journaled turns regrouped into turns and branches.

The journal is flat (one record per completed generation, a branch naming its `parent` turn and
`branch_position`); the transcript widgets want the Conversation shape (a user message with its
answer branches). Grouping reads only each record's head, and token steps are decoded only for
the turns a page shows, which is what keeps a 1,000-turn session quick to open. A generation an
error ended (finish reason "error") comes back with its partial answer and the error (its note).
Each branch keeps its journaled request, so its header says what produced it (tui/turn_config.py).
"""

from __future__ import annotations

from dataclasses import replace

from engine.types import ChoiceResult, GenerationRequest, GenerationResult, TokenAlternative, TokenStep
from engine.utf8 import Utf8Assembler
from sessions import Session
from sessions.model import Turn as SavedTurn
from sessions.partial import failed

from .conversation import Branch, Conversation, Turn, forced_step


def group_turns(session: Session) -> list[list[int]]:
    """Record indices per conversation turn: the root record first, then its branches in order."""
    groups: list[list[int]] = []
    group_of: dict[str, int] = {}
    for index in range(len(session.turns)):
        meta = session.entry_meta(index)
        parent = meta.get("parent")
        if parent in group_of:
            group = group_of[parent]
            groups[group].append(index)
        else:
            group = len(groups)
            groups.append([index])
        group_of[str(meta.get("id", index))] = group
    return groups


def _result(saved: SavedTurn) -> GenerationResult:
    """A finished result for any kind of turn (choices and scores have no finish reason)."""
    result = saved.result
    if isinstance(result, GenerationResult):
        return result
    if isinstance(result, ChoiceResult):
        reason = "choice: " + ", ".join(f"{o.text!r} {o.prob:.2f}" for o in result.options)
    else:
        reason = "score"
    return GenerationResult(steps=saved.steps, text=saved.answer, finish_reason=reason,
                            provenance=result.provenance, tokens_per_s=0.0, prompt_eval_s=0.0,
                            generate_s=0.0)


def _fork_steps(parent: Branch, saved: SavedTurn) -> tuple[list[TokenStep], int | None]:
    """A branch's steps: the tokens it forced (`request.continue_from`), then what was generated.

    Where the parent's answer says the forced tokens ahead of the fork, they are the parent's
    steps and the forced token has the parent's distribution at the fork; its bytes are the ones
    the turn journaled (`forced_pieces`), else its alternative's, and its text what they complete
    after the parent's bytes ahead of the fork, so a fork on part of a UTF-8 character shows the
    character it made. Where it does not (a re-run's branch keeps the original parent's forced
    tokens, but its parent is the re-run one, which said others), the forced tokens are rebuilt
    from the turn's own ids and bytes: what the model was conditioned on. The session holds no
    distribution for them, so they have none (no alternatives, shown as p 1 and entropy 0).
    """
    position = saved.branch_position
    forced = getattr(saved.request, "continue_from", ())
    if position is None or not forced:
        return list(saved.steps), None
    if len(forced) == position + 1 and position < len(parent.steps) \
            and all(s.id == t for s, t in zip(parent.steps[:position], forced, strict=False)):
        original = parent.steps[position]
        chosen = forced[-1]
        alt = next((a for a in original.top if a.id == chosen), None)
        if alt is None:
            alt = TokenAlternative(chosen, "", original.logprob)
        if len(saved.forced_pieces) == len(forced):
            alt = replace(alt, piece=saved.forced_pieces[-1])
        before = b"".join(step.piece for step in parent.steps[:position])
        steps = list(parent.steps[:position]) + [forced_step(original, alt, before)]
    elif len(saved.forced_pieces) == len(forced):
        assembler = Utf8Assembler()
        steps = [TokenStep(i, token, assembler.feed(piece), piece, 0.0, 0.0, 0, (), forced=True)
                 for i, (token, piece) in enumerate(zip(forced, saved.forced_pieces, strict=True))]
    else:  # neither the parent nor the turn knows what the forced tokens said
        return list(saved.steps), None
    steps += [replace(s, i=len(steps) + n) for n, s in enumerate(saved.steps)]
    return steps, len(steps) - len(saved.steps) - 1


def build_turn(session: Session, group: list[int]) -> Turn:
    """One conversation turn, every recorded branch decoded; the last branch is the active one."""
    root = session.turns[group[0]]
    turn = Turn(root.prompt)
    index_of: dict[str, int] = {}
    for record in group:
        saved = session.turns[record]
        parent = index_of.get(saved.parent or "")
        if parent is not None and saved.branch_position is not None:
            steps, fork_at = _fork_steps(turn.branches[parent], saved)
        else:
            steps, fork_at = list(saved.steps), None
        error = (saved.note or "the generation failed") if failed(saved) else ""
        request = saved.request if isinstance(saved.request, GenerationRequest) else None
        turn.branches.append(Branch(steps=steps, result=_result(saved),
                                    parent=parent if fork_at is not None else None, fork_at=fork_at,
                                    error=error, request=request, adapters=saved.provenance.adapters))
        index_of[saved.id] = len(turn.branches) - 1
    turn.active = len(turn.branches) - 1
    return turn


def paginate(session: Session, groups: list[list[int]], max_turns: int = 8,
             max_chars: int = 2000) -> list[tuple[int, int]]:
    """Pages of conversation turns, (start, end), each holding at most `max_turns` turns and about
    `max_chars` characters of answers (at least one turn): what fits a screen or two, and what
    mounts quickly (every answer paragraph is a widget)."""
    pages: list[tuple[int, int]] = []
    start, chars = 0, 0
    for n, group in enumerate(groups):
        size = sum(len(str(session.entry_meta(i).get("result", {}).get("text", ""))) for i in group)
        if n > start and (n - start >= max_turns or chars + size > max_chars):
            pages.append((start, n))
            start, chars = n, 0
        chars += size
    if start < len(groups) or not pages:
        pages.append((start, len(groups)))
    return pages


def page_conversation(session: Session, groups: list[list[int]], start: int, end: int) -> Conversation:
    """The conversation turns groups[start:end], decoded."""
    conversation = Conversation()
    conversation.turns = [build_turn(session, g) for g in groups[start:end]]
    return conversation
