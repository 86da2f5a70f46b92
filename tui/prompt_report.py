"""What F6 shows: the exact prompt of one turn (or of the next message) with the configuration that made it.

For a finished branch that is its provenance's rendered prompt, exactly what the model got, plus
model, adapters (path, scale, file hash), system prompt, every sampling field with the seed,
n_ctx, template source, prompt tokens and prior turns. A branch still streaming, one that failed
before the engine reported its prompt, and the preview of the next message are rendered by the
engine from the request (a `PromptJob` with `render` set). The text is split into the messages'
words, the template's markup and what the template injected (engine/prompt_parts.py).

A job is plain data captured on the UI thread; `build_report` does the blocking part (rendering,
hashing adapter files) and runs in a thread worker, except in replay, where everything is saved.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import PurePath

from engine.backend import Backend
from engine.prompt_parts import PromptSplit, split_prompt
from engine.types import (
    AdapterSpec,
    GenerationRequest,
    Message,
    ModelConfig,
    ModelInfo,
    Provenance,
    SamplingSettings,
    SystemMode,
    SystemPrompt,
)
from sessions.model import Turn as SavedTurn
from sessions.record import adapter_records

from .conversation import Branch, Turn
from .turn_config import prior_turns


@dataclass(frozen=True)
class PromptJob:
    """What to show, captured when F6 was pressed."""

    title: str
    note: str  # where the text comes from, in words
    messages: tuple[Message, ...]
    provenance: Provenance  # the engine's, or a draft with no rendered prompt when `render`
    render: bool = False  # ask the engine to render `messages` under `provenance.system`
    request: GenerationRequest | None = None
    forced: str = ""  # the text of the tokens a fork forced after the prompt
    finish: str = ""  # how the answer ended ("" for a preview)
    hashes: Mapping[str, str] | None = None  # adapter path -> sha256; None: hash the files
    fresh: bool = False


@dataclass(frozen=True)
class PromptReport:
    title: str
    note: str
    details: tuple[tuple[str, str], ...]  # (label, value) lines of the configuration
    split: PromptSplit  # the prompt's text, in parts
    forced: str = ""

    @property
    def text(self) -> str:
        """The exact prompt, as the model got it."""
        return self.split.text


def draft_provenance(model: ModelInfo | None, config: ModelConfig, system: SystemPrompt,
                     sampling: SamplingSettings, adapters: tuple[AdapterSpec, ...]) -> Provenance:
    """The configuration as the caller knows it, before the engine rendered anything."""
    return Provenance(
        model_path=model.path if model else config.model_path, model_sha256=model.sha256 if model else "",
        adapters=adapters, system=system, rendered_prompt="", prompt_token_ids=(), template_source="",
        sampling=sampling, n_ctx=model.n_ctx if model else config.n_ctx,
        llama_cpp_python_version="", engine_version="",
    )


def branch_job(turn: Turn, number: int, model: ModelInfo | None = None, config: ModelConfig | None = None,
               hashes: Mapping[str, str] | None = None) -> PromptJob | None:
    """The job for turn `number`'s active branch (1-based in the title); None without one, or
    for a branch still streaming when there is no model `config` to render it with."""
    branch = turn.answer
    if branch is None or (branch.result is None and (branch.request is None or config is None)):
        return None
    request = branch.request
    messages = request.messages if request is not None else (Message("user", turn.user),)
    title = f"Prompt of turn {number}, branch {turn.active + 1}/{len(turn.branches)}"
    provenance = branch.result.provenance if branch.result is not None else None
    render = provenance is None or not provenance.rendered_prompt
    if provenance is None:
        assert request is not None and config is not None
        provenance = draft_provenance(model, config, request.system, request.sampling, branch.adapters)
        note = "Rendered now from the request: the answer is still streaming."
    elif render:
        note = "Rendered again now from the request: the engine did not report it (the generation failed)."
    else:
        note = "Exactly what the model got (the engine's record of this generation)."
    return PromptJob(title, note, messages, provenance, render=render, request=request,
                     forced=_forced_text(branch), finish=branch.finish_reason, hashes=hashes,
                     fresh=turn.fresh)


def preview_job(messages: tuple[Message, ...], provenance: Provenance, typed: bool) -> PromptJob:
    what = "your message" if typed else "a message (type one to see it here)"
    return PromptJob("Prompt of the next message", f"What {what} would be sent as now, "
                     "under the current configuration, with the conversation's history.",
                     messages, provenance, render=True)


def _forced_text(branch: Branch) -> str:
    forced = len(branch.request.continue_from) if branch.request is not None else 0
    if not forced and branch.fork_at is not None:
        forced = branch.fork_at + 1
    return "".join(step.text for step in branch.steps[:forced])


def build_report(job: PromptJob, backend: Backend | None = None) -> PromptReport:
    """Render (if the job asks) and hash the adapters (if not given): call from a thread."""
    provenance = job.provenance
    if job.render:
        if backend is None:
            raise ValueError("rendering a prompt needs the engine")
        prompt = backend.render(provenance.system, job.messages)
        provenance = replace(provenance, rendered_prompt=prompt.text, prompt_token_ids=prompt.token_ids,
                             template_source=prompt.template_source)
    hashes = job.hashes
    if hashes is None:
        hashes = {record.path: record.sha256 for record in adapter_records(provenance.adapters)}
    split = split_prompt(provenance.rendered_prompt, provenance.system, job.messages)
    return PromptReport(job.title, job.note, details(job, provenance, hashes), split, job.forced)


def saved_report(turn: Turn, number: int, saved: SavedTurn) -> PromptReport | None:
    """A replayed turn's report (`saved` is the journal's record of its active branch): only
    what the journal saved, no engine."""
    job = branch_job(turn, number, hashes={a.path: a.sha256 for a in saved.adapters})
    if job is None:
        return None
    job = replace(job, messages=saved.request.messages, render=False,
                  note="As the journal saved it: exactly what the model got.")
    if not job.provenance.rendered_prompt:
        job = replace(job, note="The journal has no rendered prompt for this turn: the generation "
                                "failed before the engine reported it.")
    return build_report(job)


def details(job: PromptJob, p: Provenance, hashes: Mapping[str, str]) -> tuple[tuple[str, str], ...]:
    rows = [("model", f"{PurePath(p.model_path).name} · {p.model_path}"
                      + (f" · sha256 {p.model_sha256[:16]}…" if p.model_sha256 else ""))]
    if p.adapters:
        for n, spec in enumerate(p.adapters):
            sha = hashes.get(spec.path, "")
            state = "off (scale 0)" if spec.scale == 0 else f"×{spec.scale:g}"
            rows.append(("adapters" if n == 0 else "", f"{PurePath(spec.path).stem} {state} · {spec.path}"
                         + (f" · sha256 {sha[:16]}…" if sha else "")))
    else:
        rows.append(("adapters", "none (the base model)"))
    rows.append(("system", system_detail(p.system)))
    rows.append(("sampling", sampling_detail(p.sampling)))
    if job.request is not None:
        rows.append(("limits", f"max {job.request.max_tokens} tokens · top {job.request.top_k_probs} "
                               "alternatives reported"))
    rows.append(("context", f"n_ctx {p.n_ctx}"))
    if p.template_source:
        source = "the model's own (GGUF)" if p.template_source == "gguf" else "none in the model: the plain fallback"
        rows.append(("template", f"{p.template_source}: {source}"))
    n = prior_turns(job.messages)
    history = f"{n} prior turn{'' if n == 1 else 's'} ({len(job.messages) - 1} messages before this one)"
    if job.fresh:
        history += " · asked fresh: the turns before it are not in its prompt"
    tokens = f"{len(p.prompt_token_ids)} tokens · " if p.rendered_prompt else ""
    rows.append(("prompt", tokens + history))
    if job.forced:
        rows.append(("forced", f"{job.forced!r} after the prompt (a branch: these tokens were chosen, "
                               "not sampled)"))
    if job.finish:
        rows.append(("finish", job.finish))
    if p.llama_cpp_python_version or p.engine_version:
        rows.append(("versions", f"llama-cpp-python {p.llama_cpp_python_version or '?'} · "
                                 f"engine {p.engine_version or '?'}"))
    return tuple(rows)


def system_detail(system: SystemPrompt) -> str:
    if system.mode is SystemMode.NONE:
        return "none: no system message (the chat template may add its own, marked below)"
    if system.mode is SystemMode.EMPTY:
        return 'empty: a system message whose content is ""'
    return f"custom: {system.text!r}"


def sampling_detail(s: SamplingSettings) -> str:
    seed = f"seed {s.seed}" if s.seed is not None else "seed drawn by the engine when it runs"
    if s.greedy:
        return f"greedy (temperature {s.temperature:g}) · repeat_penalty {s.repeat_penalty:g} · {seed} (unused)"
    return (f"temperature {s.temperature:g} · top_p {s.top_p:g} · top_k {s.top_k} · min_p {s.min_p:g} · "
            f"repeat_penalty {s.repeat_penalty:g} (last {s.repeat_last_n}) · {seed}")
