"""The conversation as plain data: turns, their answer branches, and each branch's token steps.

It lives apart from the widgets so the sessions feature can save and replay it, and so the UI
can be rebuilt from it at any time. Everything it stores is an engine dataclass (TokenStep,
GenerationResult, Provenance) or a plain value; it imports nothing from Textual.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from engine.types import AdapterSpec, GenerationRequest, GenerationResult, Message, TokenAlternative, TokenStep
from engine.utf8 import Utf8Assembler


@dataclass
class Branch:
    """One answer to a turn. A fork copies its parent's steps up to `fork_at` and swaps that token.

    `request` and `adapters` are what its generation was started with (set when it starts, so
    the configuration that made a branch is known while it streams); the result's provenance is
    the engine's account once it ends.
    """

    steps: list[TokenStep] = field(default_factory=list)
    result: GenerationResult | None = None
    parent: int | None = None  # index of the branch this one forked from
    fork_at: int | None = None  # position whose token was replaced by an alternative
    error: str = ""
    request: GenerationRequest | None = None
    adapters: tuple[AdapterSpec, ...] = ()

    @property
    def text(self) -> str:
        return "".join(step.text for step in self.steps)

    @property
    def token_ids(self) -> tuple[int, ...]:
        return tuple(step.id for step in self.steps)

    @property
    def finished(self) -> bool:
        return self.result is not None or bool(self.error)

    def extend(self, steps: list[TokenStep]) -> None:
        """Append streamed steps, renumbered to follow any forced prefix."""
        offset = len(self.steps)
        self.steps.extend(step if step.i == offset + n else replace(step, i=offset + n)
                          for n, step in enumerate(steps))

    @property
    def finish_reason(self) -> str:
        return self.result.finish_reason if self.result else ("error" if self.error else "")


@dataclass
class Turn:
    """A user message and every answer it received; `active` is the branch the chat continues from.

    A `fresh` turn's prompt starts at itself: the turns before it are not its history (asked
    again under a new configuration without them); the turns after it continue from it.
    """

    user: str
    branches: list[Branch] = field(default_factory=list)
    active: int = 0
    fresh: bool = False

    @property
    def answer(self) -> Branch | None:
        return self.branches[self.active] if self.branches else None


def forced_step(original: TokenStep, alternative: TokenAlternative,
                before: bytes = b"") -> TokenStep:
    """The step at a fork: same distribution as `original`, but the alternative token chosen.

    Its piece is the alternative's raw bytes (its `text` escapes a partial character as `\\xNN`),
    and its text what those bytes complete after `before`, the answer's bytes ahead of the fork:
    "" for the first byte of a character, the whole character for its last.
    """
    rank = next((n for n, alt in enumerate(original.top) if alt.id == alternative.id), len(original.top))
    piece = alternative.piece if alternative.piece is not None else alternative.text.encode("utf-8")
    assembler = Utf8Assembler()
    assembler.feed(before)
    return replace(
        original,
        id=alternative.id,
        text=assembler.feed(piece),
        piece=piece,
        logprob=alternative.logprob,
        rank=rank,
        forced=True,
    )


class Conversation:
    """Turns in order. Methods return the engine messages and token ids a generation needs."""

    def __init__(self) -> None:
        self.turns: list[Turn] = []

    def add_turn(self, user: str, fresh: bool = False) -> Turn:
        turn = Turn(user, fresh=fresh)
        self.turns.append(turn)
        return turn

    def history_start(self, turn_index: int) -> int:
        """The first turn whose exchange is in the prompt of turn `turn_index` (which may be
        one not added yet): the newest fresh turn at or before it, else the first."""
        return max((n for n, t in enumerate(self.turns[:turn_index + 1]) if t.fresh), default=0)

    def history(self, turn_index: int) -> list[Message]:
        """The exchanges before turn `turn_index` that its prompt carries: each turn's user text
        and active answer, from `history_start` on."""
        messages: list[Message] = []
        for turn in self.turns[self.history_start(turn_index):turn_index]:
            messages.append(Message("user", turn.user))
            if turn.answer is not None:
                messages.append(Message("assistant", turn.answer.text))
        return messages

    def messages_for(self, turn_index: int) -> tuple[Message, ...]:
        """The history this turn's prompt carries, then this turn's user message."""
        return (*self.history(turn_index), Message("user", self.turns[turn_index].user))

    def next_messages(self, text: str) -> tuple[Message, ...]:
        """What a new (not fresh) turn asking `text` would send."""
        return (*self.history(len(self.turns)), Message("user", text))

    def new_branch(self, turn_index: int) -> Branch:
        """An empty branch for a (re)generation; it becomes the active one."""
        turn = self.turns[turn_index]
        turn.branches.append(Branch())
        turn.active = len(turn.branches) - 1
        return turn.branches[-1]

    def fork(self, turn_index: int, branch_index: int, position: int,
             alternative: TokenAlternative) -> tuple[Branch, tuple[int, ...]]:
        """A new active branch: the parent's steps before `position`, then `alternative`.

        Returns the branch and the token ids to pass as `GenerationRequest.continue_from`.
        """
        turn = self.turns[turn_index]
        parent = turn.branches[branch_index]
        before = b"".join(step.piece for step in parent.steps[:position])
        steps = list(parent.steps[:position])
        steps.append(forced_step(parent.steps[position], alternative, before))
        branch = Branch(steps=steps, parent=branch_index, fork_at=position)
        turn.branches.append(branch)
        turn.active = len(turn.branches) - 1
        return branch, branch.token_ids

    def edit_last(self, text: str) -> Turn:
        """Replace the last user message; its old answers no longer apply and are dropped."""
        self.turns[-1] = Turn(text, fresh=self.turns[-1].fresh)
        return self.turns[-1]

    def clear(self) -> None:
        self.turns.clear()
