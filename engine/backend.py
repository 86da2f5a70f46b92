"""The interface every engine backend implements, and that the TUI, CLI and sessions call.

A backend owns one loaded model configuration. Today there is `LocalBackend` (llama.cpp in a
worker process); remote backends (llama-server, vLLM) and the TUI tests' fake implement the same
protocol. Capabilities say what a backend cannot do (a remote server may lack full-vocabulary
logprobs or LoRA hot-swap) so callers can adapt instead of failing.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol, runtime_checkable

from .compare import CompareRequest, CompareResult, CompareStep
from .process_memory import WorkerMemory
from .types import (
    AdapterSpec,
    Capabilities,
    ChoiceRequest,
    ChoiceResult,
    GenerationRequest,
    GenerationResult,
    Message,
    ModelConfig,
    ModelInfo,
    RenderedPrompt,
    ScoreRequest,
    ScoreResult,
    SystemPrompt,
    TokenStep,
)


class GenerationStream(Protocol):
    """Iterate for TokenSteps as they are decided; `result` is set once iteration ends.

    When iteration raises (the worker died, a decode failed), `steps` still holds every step
    decided before the error, so the caller can keep the partial answer.
    """

    result: GenerationResult | None
    steps: list[TokenStep]

    def __iter__(self) -> Iterator[TokenStep]: ...


class CompareStream(Protocol):
    """Iterate for a comparison's CompareSteps as they are decided; `result` is set once
    iteration ends (`steps` keeps what came before an error, as for a generation)."""

    result: CompareResult | None
    steps: list[CompareStep]

    def __iter__(self) -> Iterator[CompareStep]: ...


@runtime_checkable
class Backend(Protocol):
    capabilities: Capabilities
    config: ModelConfig

    def start(self) -> ModelInfo:
        """Load `config` (blocking); safe to call again after the backend died."""

    def load(self, config: ModelConfig) -> ModelInfo:
        """Replace the loaded model (or its context size / GPU layers)."""

    @property
    def info(self) -> ModelInfo | None: ...

    def render(self, system: SystemPrompt, messages: tuple[Message, ...]) -> RenderedPrompt: ...

    def generate(self, request: GenerationRequest) -> GenerationStream: ...

    def compare(self, request: CompareRequest) -> CompareStream:
        """One conversation under several configurations, in lockstep (engine/compare/). A lane
        whose configuration names another model file runs on a worker of its own."""

    def worker_memory(self) -> tuple[WorkerMemory, ...]:
        """Each running worker's resident memory: the loaded model's, then any started for a
        comparison on another model."""

    def release_extra_workers(self) -> None:
        """Stop the workers started for comparisons on other models."""

    def choose(self, request: ChoiceRequest) -> ChoiceResult: ...

    def score(self, request: ScoreRequest) -> ScoreResult: ...

    def set_adapters(self, adapters: tuple[AdapterSpec, ...]) -> None:
        """Activate exactly these adapters at these scales, without reloading the model."""

    def tokenize(self, text: str) -> list[int]:
        """`text`'s token ids as a continuation: no BOS, special-token text left as text."""

    def cancel(self) -> None:
        """Ask the running generation to stop before its next token; safe from any thread."""

    def close(self) -> None:
        """Release the model; returns promptly (about 2 s at most) whatever the backend is doing."""
