"""The messages between LocalBackend (engine/local.py) and its worker process (engine/worker.py).

One place says what can cross the pipe, so both ends match on types instead of strings: a
`Request` is a `Command` and its payload; the worker answers every request with exactly one
`Done` or `Failed`, and a generation (or a comparison) sends `StepBatch`es before its `Done`. Everything here is
pickled by multiprocessing, so it holds only engine types.

`Failed` carries the error's class (pickled by reference), message, title and details, so the
caller raises the very `EngineError` subclass the worker raised, with the same title.

The test seam: `LOGITS`, `CRASH` and `STALL` exist for tests and benchmarks only, reached through
LocalBackend's test-seam methods; they are not part of the `Backend` protocol and the app never
sends them.
"""

from __future__ import annotations

import enum
import traceback
from dataclasses import dataclass
from typing import Any

from .compare.types import CompareStep, RowsStep
from .errors import EngineError
from .types import TokenStep


class Command(enum.Enum):
    """What the worker can be asked; the comment says the payload and the reply's value."""

    LOAD = "load"  # ModelConfig -> ModelInfo
    RENDER = "render"  # (SystemPrompt, messages) -> RenderedPrompt
    GENERATE = "generate"  # (generation id, GenerationRequest) -> StepBatch..., GenerationResult
    COMPARE = "compare"  # (generation id, CompareRequest) -> StepBatch of CompareSteps..., CompareResult
    # The same with each position's logits rows, for a comparison across models (RowsSteps).
    COMPARE_ROWS = "compare_rows"  # (generation id, CompareRequest) -> StepBatch of RowsSteps..., CompareResult
    CHOOSE = "choose"  # ChoiceRequest -> ChoiceResult
    SCORE = "score"  # ScoreRequest -> ScoreResult
    SET_ADAPTERS = "set_adapters"  # tuple[AdapterSpec, ...] -> None
    TOKENIZE = "tokenize"  # text -> list[int] (no BOS, no special tokens)
    SYSTEM_INFO = "system_info"  # None -> NativeSystemInfo (needs no model)
    SHUTDOWN = "shutdown"  # None -> None, then the worker exits
    # The test seam (see the module docstring).
    LOGITS = "logits"  # token ids -> list[float], the raw last-position logits
    CRASH = "crash"  # None -> the worker aborts (SIGABRT), as llama.cpp does on some inputs
    STALL = "stall"  # seconds -> None after sleeping: a long native call that reads no commands


TEST_SEAM = frozenset({Command.LOGITS, Command.CRASH, Command.STALL})

# After these the model has decoded, so the llama.cpp build has proven itself on this machine.
DECODING_COMMANDS = frozenset({Command.GENERATE, Command.COMPARE, Command.COMPARE_ROWS, Command.CHOOSE,
                               Command.SCORE, Command.LOGITS})


@dataclass(frozen=True)
class Request:
    command: Command
    payload: Any = None


@dataclass(frozen=True)
class Done:
    """The request's result; the last message for that request."""

    value: Any = None


@dataclass(frozen=True)
class StepBatch:
    """Steps of a running generation (TokenSteps) or comparison (CompareSteps, or RowsSteps), in order."""

    steps: tuple[TokenStep, ...] | tuple[CompareStep, ...] | tuple[RowsStep, ...]


@dataclass(frozen=True)
class Failed:
    """The request failed; the last message for that request."""

    error_type: type[EngineError]
    msg: str
    title: str
    details: str = ""

    @classmethod
    def of(cls, exc: BaseException) -> Failed:
        """An engine error as it is; anything else as an EngineError naming it, with its traceback."""
        if isinstance(exc, EngineError):
            return cls(type(exc), exc.msg, exc.title, exc.details)
        details = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
        return cls(EngineError, f"{type(exc).__name__}: {exc}", EngineError.title, details)

    def error(self) -> EngineError:
        error_type = self.error_type
        if not (isinstance(error_type, type) and issubclass(error_type, EngineError)):
            error_type = EngineError
        return error_type(self.msg, title=self.title, details=self.details)


Reply = Done | StepBatch | Failed
