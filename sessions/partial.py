"""A generation that failed mid-stream, as a result the journal keeps.

When the worker dies or a decode fails after N tokens, the engine raises instead of returning a
GenerationResult, but the N steps it decided are in the stream's `steps`. They are what the model
was saying when it failed, data like any other answer, so they are journaled as a turn whose
result has `finish_reason` FAILED ("error") and whose `note` is the error. The engine never sent
that generation's provenance, so it is rebuilt from what the caller knew when it asked: the model
it had loaded and the adapters active. The rendered prompt, its token ids and the template source
are left empty (unknown), the seed is the request's (None when the engine would have drawn one)
and the timings are 0.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from importlib import metadata

from engine import __version__ as ENGINE_VERSION
from engine.types import AdapterSpec, GenerationRequest, GenerationResult, ModelInfo, Provenance, TokenStep

from .model import Turn

FAILED = "error"  # the finish reason of a generation an error ended


def failed_generation(request: GenerationRequest, steps: Sequence[TokenStep], model: ModelInfo,
                      adapters: tuple[AdapterSpec, ...]) -> GenerationResult:
    """The partial answer `steps` (decided before an error) as a result to journal."""
    provenance = Provenance(
        model_path=model.path, model_sha256=model.sha256, adapters=tuple(adapters),
        system=request.system, rendered_prompt="", prompt_token_ids=(), template_source="",
        sampling=request.sampling, n_ctx=model.n_ctx,
        llama_cpp_python_version=_llama_cpp_python_version(), engine_version=ENGINE_VERSION,
    )
    return GenerationResult(steps=tuple(steps), text="".join(step.text for step in steps),
                            finish_reason=FAILED, provenance=provenance, tokens_per_s=0.0,
                            prompt_eval_s=0.0, generate_s=0.0)


def error_note(error: BaseException) -> str:
    """The error as a failed turn's note: the engine's message, or the exception in words."""
    return getattr(error, "msg", None) or f"{type(error).__name__}: {error}"


def failed(turn: Turn) -> bool:
    """Whether `turn` is a generation an error ended (its steps are the partial answer)."""
    return isinstance(turn.result, GenerationResult) and turn.result.finish_reason == FAILED


@cache
def _llama_cpp_python_version() -> str:
    """The installed llama-cpp-python's version, read from its metadata (importing llama_cpp here
    is not allowed); "" when it is not installed."""
    try:
        return metadata.version("llama-cpp-python")
    except metadata.PackageNotFoundError:
        return ""
