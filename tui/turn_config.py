"""Which configuration produced a branch, in a few words for its header and in full for F6.

Four answers to "Hello, who are you?" look alike unless each says what made it: the system
prompt mode, the adapters and their scales, the sampling and seed, how much history the prompt
carried. A branch keeps the request and adapters it was started with (fixed at that moment, so
the header is right while it streams); once the engine answered, its provenance is the truth
(the seed it drew, the prompt's tokens). Replay's branches carry the same from the journal.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePath

from engine.types import AdapterSpec, Message, SamplingSettings, SystemMode, SystemPrompt

from .conversation import Branch

QUOTE_CHARS = 18  # of a custom system prompt in a header


@dataclass(frozen=True)
class TurnConfig:
    system: SystemPrompt
    adapters: tuple[AdapterSpec, ...]
    sampling: SamplingSettings  # the seed is None until the engine drew one
    prior_turns: int | None  # None where the request is not known (a saved choice or score)
    prompt_tokens: int | None  # None until the engine reported the rendered prompt
    fresh: bool = False  # the turn asked again without the turns before it


def prior_turns(messages: tuple[Message, ...]) -> int:
    """Earlier exchanges in a request: its user messages before the last."""
    return max(0, sum(1 for m in messages if m.role == "user") - 1)


def branch_config(branch: Branch, fresh: bool = False) -> TurnConfig | None:
    """The configuration that produced `branch`, or None for a branch nothing is known about."""
    request = branch.request
    provenance = branch.result.provenance if branch.result is not None else None
    if provenance is not None:
        tokens = len(provenance.prompt_token_ids) if provenance.rendered_prompt else None
        return TurnConfig(provenance.system, provenance.adapters, provenance.sampling,
                          prior_turns(request.messages) if request is not None else None,
                          tokens, fresh)
    if request is None:
        return None
    return TurnConfig(request.system, branch.adapters, request.sampling,
                      prior_turns(request.messages), None, fresh)


def adapter_stem(spec: AdapterSpec) -> str:
    return f"{PurePath(spec.path).stem}×{spec.scale:g}"


def system_label(system: SystemPrompt) -> str:
    if system.mode is SystemMode.CUSTOM:
        text = " ".join(system.text.split())
        quote = text if len(text) <= QUOTE_CHARS else text[:QUOTE_CHARS - 1] + "…"
        return f"system “{quote}”"
    return f"system {system.mode.value}"


def adapters_label(adapters: tuple[AdapterSpec, ...]) -> str:
    """Active adapters as stem×scale; one at scale 0 is loaded but off."""
    on = [adapter_stem(a) for a in adapters if a.scale != 0]
    return ", ".join(on) if on else "no adapter"


def sampling_parts(sampling: SamplingSettings) -> list[str]:
    if sampling.greedy:
        return ["greedy"]
    seed = f"seed {sampling.seed}" if sampling.seed is not None else "random seed"
    return [f"T {sampling.temperature:g}", seed]


def compact_parts(config: TurnConfig, streaming: bool = False) -> list[str]:
    """The header's words for `config`, most telling first."""
    parts = [system_label(config.system), adapters_label(config.adapters), *sampling_parts(config.sampling)]
    if config.prior_turns is not None:
        n = config.prior_turns
        history = f"{n} prior turn{'' if n == 1 else 's'}"
        parts.append(f"fresh, {history}" if config.fresh else history)
    if config.prompt_tokens is not None:
        parts.append(f"{config.prompt_tokens} prompt tokens")
    elif streaming:
        parts.append("prompt tokens …")
    return parts


def wrap_parts(parts: list[str], width: int, separator: str = " · ") -> list[str]:
    """Lines of at most `width` columns, cut only between parts (a part longer than a line
    stands alone on its own)."""
    lines: list[str] = []
    line = ""
    for part in parts:
        if not line:
            line = part
        elif len(line) + len(separator) + len(part) <= width:
            line += separator + part
        else:
            lines.append(line)
            line = part
    if line:
        lines.append(line)
    return lines
