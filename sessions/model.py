"""What a session holds: its header and its turns, as frozen dataclasses like the engine's.

A turn is one completed exchange with a model (a chat generation, a multiple-choice question or a
teacher-forced score) together with the engine's request and result, which already carry the full
provenance (model path and hash, adapters, system prompt, rendered prompt and its token ids,
sampling settings with the seed, versions). The turn adds what only the caller knows: adapter file
hashes, the branch it grew from (with the bytes of the tokens it forced) and the turn it re-runs.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from engine.types import (
    ChoiceRequest,
    ChoiceResult,
    GenerationRequest,
    GenerationResult,
    Message,
    Provenance,
    ScoreRequest,
    ScoreResult,
    TokenStep,
)

Request = GenerationRequest | ChoiceRequest | ScoreRequest
Result = GenerationResult | ChoiceResult | ScoreResult


class TurnKind(str, enum.Enum):
    GENERATION = "generation"
    CHOICE = "choice"
    SCORE = "score"


REQUEST_TYPES: dict[TurnKind, tuple[type, type]] = {
    TurnKind.GENERATION: (GenerationRequest, GenerationResult),
    TurnKind.CHOICE: (ChoiceRequest, ChoiceResult),
    TurnKind.SCORE: (ScoreRequest, ScoreResult),
}


@dataclass(frozen=True)
class AdapterRecord:
    """An adapter as it was active for a turn: path, file hash ("" if the file was gone), scale."""

    path: str
    sha256: str
    scale: float


@dataclass(frozen=True)
class TurnOrigin:
    """The turn this one re-runs or re-scores."""

    session: str
    turn: str


@dataclass(frozen=True)
class SessionOrigin:
    """The session this one was derived from, how, and under which configuration (in words)."""

    session: str
    relation: str  # "rerun" | "rescore"
    config: str = ""


@dataclass(frozen=True)
class SessionHeader:
    id: str
    name: str
    created: str  # ISO 8601, UTC
    version: int
    origin: SessionOrigin | None = None


@dataclass(frozen=True)
class Turn:
    id: str
    kind: TurnKind
    created: str  # ISO 8601, UTC, when the turn completed
    request: Request
    result: Result
    adapters: tuple[AdapterRecord, ...] = ()
    parent: str | None = None  # branch: the turn whose answer this one forks
    branch_position: int | None = None  # branch: token position in the parent's answer
    origin: TurnOrigin | None = None
    note: str = ""
    # branch: the raw bytes of each token of `request.continue_from`, so the fork can be forced
    # again under another tokenizer; () when not known (journals before the field)
    forced_pieces: tuple[bytes, ...] = ()

    @property
    def provenance(self) -> Provenance:
        return self.result.provenance

    @property
    def messages(self) -> tuple[Message, ...]:
        return self.request.messages

    @property
    def prompt(self) -> str:
        """The last user message: what this turn asked."""
        for message in reversed(self.request.messages):
            if message.role == "user":
                return message.content
        return ""

    @property
    def steps(self) -> tuple[TokenStep, ...]:
        return getattr(self.result, "steps", ())

    @property
    def answer(self) -> str:
        """What the model said (generation), the winning option (choice), or the scored text."""
        if isinstance(self.result, GenerationResult):
            return self.result.text
        if isinstance(self.result, ChoiceResult):
            best = max(self.result.options, key=lambda o: o.prob, default=None)
            return best.text if best else ""
        assert isinstance(self.request, ScoreRequest)
        return self.request.continuation


@dataclass(frozen=True)
class Problem:
    """Something wrong in a journal that was skipped while reading it."""

    line: int  # 1-based line number in the file
    message: str
    torn: bool = False  # the last record, cut short by a crash

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"
