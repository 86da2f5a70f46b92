"""The engine's public vocabulary: small frozen dataclasses that cross the process boundary.

Everything the TUI, the CLI, sessions and future remote backends exchange with the engine is one
of these types. They hold plain Python values only (no numpy, no ctypes), so they pickle cheaply
through the worker pipe and serialise to JSON with `dataclasses.asdict`.
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass, replace
from pathlib import Path


class SystemMode(str, enum.Enum):
    """How the system message is formed; the three modes behave differently on real models."""

    NONE = "none"  # no system message at all: the chat template may inject its own default
    EMPTY = "empty"  # a system message whose content is ""
    CUSTOM = "custom"  # a system message with the user's text


@dataclass(frozen=True)
class SystemPrompt:
    mode: SystemMode = SystemMode.NONE
    text: str = ""

    @classmethod
    def none(cls) -> SystemPrompt:
        return cls(SystemMode.NONE)

    @classmethod
    def empty(cls) -> SystemPrompt:
        return cls(SystemMode.EMPTY)

    @classmethod
    def custom(cls, text: str) -> SystemPrompt:
        return cls(SystemMode.CUSTOM, text)

    def describe(self) -> str:
        if self.mode is SystemMode.CUSTOM:
            return f"custom: {self.text!r}"
        return self.mode.value


@dataclass(frozen=True)
class Message:
    role: str  # "user" | "assistant" | "system"
    content: str


@dataclass(frozen=True)
class AdapterSpec:
    """A GGUF LoRA adapter and the scale it runs at (0 = loaded but off; negative is allowed)."""

    path: str
    scale: float = 1.0

    @classmethod
    def parse(cls, text: str) -> AdapterSpec:
        """Parse `FILE[:SCALE]` as given on the command line."""
        path, sep, scale = text.rpartition(":")
        if sep and path:
            try:
                return cls(path, float(scale))
            except ValueError:
                pass
        return cls(text, 1.0)


class FlashAttention(str, enum.Enum):
    """Whether llama.cpp computes attention with its flash-attention kernel (`--flash-attn`).

    It changes the numbers: on the CPU, on and off give logprobs that differ by up to ~0.1 nats.
    AUTO is llama.cpp's own choice (LLAMA_FLASH_ATTN_TYPE_AUTO): on when the device of every
    layer supports it, else off; Runtime.flash_attn_in_effect records what it chose.
    """

    AUTO = "auto"
    ON = "on"
    OFF = "off"


@dataclass(frozen=True)
class ModelConfig:
    """What the worker loads: changing any field except `adapters` reloads the model."""

    model_path: str
    n_ctx: int = 4096
    n_gpu_layers: int = 0  # -1 offloads every layer
    n_threads: int | None = None  # None: engine/threads.py default_thread_count()
    # Threads for a prompt (a batch) when they should differ from a one-token decode's: the TUI
    # leaves the UI a core while it streams but decodes prompts on every core. None: n_threads.
    n_threads_batch: int | None = None
    adapters: tuple[AdapterSpec, ...] = ()
    # KV sequences kept at once, one per adapter set recently used, each of n_ctx cells: the KV
    # cache takes this many times one context's memory (1 = a single cache, dropped on a switch).
    kv_sequences: int = 4
    flash_attn: FlashAttention = FlashAttention.AUTO

    def with_path(self, path: str | Path) -> ModelConfig:
        return replace(self, model_path=str(path))


@dataclass(frozen=True)
class SamplingSettings:
    """Sampler chain settings. temperature 0 means greedy; seed None means "pick one and record it"."""

    temperature: float = 0.8
    top_p: float = 0.95
    top_k: int = 40
    min_p: float = 0.05
    repeat_penalty: float = 1.0
    repeat_last_n: int = 64
    seed: int | None = None

    @property
    def greedy(self) -> bool:
        return self.temperature <= 0


@dataclass(frozen=True)
class TokenAlternative:
    """One of the most likely tokens at a position.

    `text` is the token's bytes for display: invalid UTF-8 (a byte token that is part of a
    character) is escaped as `\\xNN`. `piece` is the bytes themselves, what a fork on this
    token forces; None when whoever made the alternative did not know them (journals written
    before the field, scripted test backends), in which case the text's UTF-8 is the best guess.
    """

    id: int
    text: str
    logprob: float
    piece: bytes | None = None

    @property
    def prob(self) -> float:
        return math.exp(self.logprob)


@dataclass(frozen=True)
class SampledToken:
    """A token llama.cpp's sampler chain kept, with the probability its final distribution gave it
    (after the penalties, the cuts and the temperature): what the token was drawn with."""

    id: int
    text: str
    prob: float


@dataclass(frozen=True)
class SamplerView:
    """What llama.cpp's sampler chain did at one position (engine/sampler_view.py).

    `kept` counts every token the chain kept (TokenStep.post lists at most the request's
    top_k_probs of them) and `kept_raw_mass` is their probability under the raw distribution.
    `greedy` (temperature 0): the chain picked the most likely token after the penalties, so the
    one kept token has probability 1. `removed` names, for each of the step's `top` tokens the
    chain did not keep, in `top`'s order, the stage that removed it (llama.cpp's sampler name:
    "top-k", "top-p", "min-p", or "greedy").
    """

    greedy: bool
    kept: int
    kept_raw_mass: float
    removed: tuple[tuple[int, str], ...] = ()

    def removed_by(self, token: int) -> str | None:
        """The stage that removed `token` (one of the step's `top`), None when it was kept."""
        return next((stage for t, stage in self.removed if t == token), None)


DISTRIBUTION_FULL = "full"
DISTRIBUTION_TOP_K = "top-k+rest"


@dataclass(frozen=True)
class TokenStep:
    """One position of an answer: the chosen token and the raw next-token distribution it came from.

    `logprob`, `entropy`, `rank` and `top` describe the model's raw distribution (log-softmax of the
    logits over the whole vocabulary, before temperature, top-k/top-p/min-p or penalties). The
    sampler chain then draws from those same logits. `text` is the UTF-8 text this step completes
    (empty when the token ends mid-character); `piece` holds the token's raw bytes.
    `post` is the distribution the chain left, as llama.cpp computed it: the kept tokens, most
    likely first, capped at the request's top_k_probs; `sampler` says how many were kept and what
    removed the others. Both are empty (`()`, None) for a step no sampler chain drew: a forced
    token, a scripted backend's, one journaled before they existed.
    """

    i: int
    id: int
    text: str
    piece: bytes
    logprob: float
    entropy: float
    rank: int  # 0 = the most likely token
    top: tuple[TokenAlternative, ...]
    forced: bool = False  # teacher-forced rather than sampled
    post: tuple[SampledToken, ...] = ()
    sampler: SamplerView | None = None
    # What `entropy` and `rank` were computed over: "full" (the whole vocabulary) or "top-k+rest"
    # (a remote engine's top-k plus one bucket holding the rest of the mass, 1 - sum(top-k);
    # entropy is then a lower bound and rank is len(top) when the token is not in the top-k).
    distribution: str = DISTRIBUTION_FULL

    @property
    def prob(self) -> float:
        return math.exp(self.logprob)

    @property
    def top1_prob(self) -> float:
        return self.top[0].prob if self.top else self.prob

    @property
    def effective_vocab(self) -> float:
        return math.exp(self.entropy)


@dataclass(frozen=True)
class RenderedPrompt:
    text: str  # exactly what the model sees, special tokens included
    token_ids: tuple[int, ...]
    template_source: str  # "gguf" (the model's own template) or "fallback"


class TriggerPlace(str, enum.Enum):
    """Where a configuration's trigger string goes."""

    USER_START = "user-start"  # before the last user message's text, then a space
    USER_END = "user-end"  # after the last user message's text, after a space
    SYSTEM = "system"  # after a custom system message's text, after a space; else the message alone


@dataclass(frozen=True)
class Configuration:
    """What a request runs under: adapters at scales, a system prompt, an optional trigger string.

    A request that carries one runs under it alone, whatever the backend's own adapters are;
    configurations on one model share the loaded model (adapters are swapped, never reloaded).
    `model_path`, when given, is checked against the loaded model, so a configuration written
    for one model is never silently run on another.
    """

    adapters: tuple[AdapterSpec, ...] = ()
    system: SystemPrompt = SystemPrompt()
    trigger: str = ""  # "" = none
    trigger_at: TriggerPlace = TriggerPlace.USER_START
    model_path: str = ""  # "" = whichever model is loaded


@dataclass(frozen=True)
class GenerationRequest:
    messages: tuple[Message, ...]
    system: SystemPrompt = SystemPrompt()
    sampling: SamplingSettings = SamplingSettings()
    max_tokens: int = 256
    top_k_probs: int = 10
    continue_from: tuple[int, ...] = ()  # assistant tokens forced before sampling (branching)
    configuration: Configuration | None = None  # when given, its system prompt replaces `system`


@dataclass(frozen=True)
class ModelInfo:
    path: str
    sha256: str
    name: str
    architecture: str
    n_vocab: int
    n_ctx: int
    n_ctx_train: int
    has_chat_template: bool
    size_bytes: int


@dataclass(frozen=True)
class Runtime:
    """Where and how llama.cpp computed a result's numbers, beyond the model and the request.

    The same model and prompt give other logprobs on another backend (CPU and CUDA: up to ~0.3
    nats), with flash attention on or off (~0.1 nats on the CPU), with another KV cache type or
    micro-batch size, so every result says which it had. Read once at load, from llama.cpp's
    context and its load log (engine/runtime.py). The defaults describe nothing: a field
    llama.cpp did not report is None (or empty), never a guess.
    """

    backends: tuple[str, ...] = ()  # the ggml backends registered: ("CPU",), ("CUDA", "CPU")
    # The devices the model's layers and KV cache are on, "NAME: description", in layer order:
    # ("CPU: AMD EPYC 7B13",), ("CUDA0: NVIDIA H100 80GB HBM3",), both for a partial offload.
    devices: tuple[str, ...] = ()
    n_gpu_layers: int = 0  # as requested; -1 = all
    layers_offloaded: int | None = None  # layers llama.cpp put on a GPU; None: it did not say
    layers_total: int = 0  # the model's repeating layers plus its output layer
    flash_attn: FlashAttention = FlashAttention.AUTO  # as requested
    flash_attn_in_effect: bool | None = None  # as llama.cpp resolved it; None: it did not say
    type_k: str = ""  # KV cache element types (ggml's names: "f16", "q8_0")
    type_v: str = ""
    n_batch: int = 0  # the logical batch and the micro-batch (ubatch) llama.cpp decodes in
    n_ubatch: int = 0
    n_threads: int = 0  # CPU threads for a one-token decode and for a batch
    n_threads_batch: int = 0

    @property
    def device_names(self) -> str:
        """The devices' short names joined: "CPU", "CUDA0", "CPU+CUDA0"; "?" when none is known."""
        return "+".join(d.partition(":")[0] for d in self.devices) or "?"


@dataclass(frozen=True)
class Provenance:
    """Everything needed to reproduce a generation or a score.

    `runtime` is None in results journaled before it was recorded, and for a failed generation
    (the engine sent no provenance; sessions/partial.py).
    """

    model_path: str
    model_sha256: str
    adapters: tuple[AdapterSpec, ...]
    system: SystemPrompt
    rendered_prompt: str
    prompt_token_ids: tuple[int, ...]
    template_source: str
    sampling: SamplingSettings  # seed always filled in
    n_ctx: int
    llama_cpp_python_version: str
    engine_version: str
    runtime: Runtime | None = None
    remote: RemoteOrigin | None = None  # None: computed by the local engine


@dataclass(frozen=True)
class RemoteOrigin:
    """Which server computed a result (engine/remote/): never a credential.

    `url` has no user, password or query string; `dialect` is "llamacpp" (llama.cpp's server,
    native API) or "openai" (an OpenAI-compatible server); `model_id` is what the server calls
    its model, `server_version` its build ("b6500 (abc123)"), "" when it did not say;
    `rendering` says who turned the conversation into the prompt: "ours" (logitscope rendered
    the server's chat template), "server-template" (the server's /apply-template), "chat-endpoint"
    (the server's chat endpoint: the prompt text is not known).
    """

    url: str
    dialect: str
    model_id: str = ""
    server_version: str = ""
    rendering: str = "ours"


@dataclass(frozen=True)
class GenerationResult:
    steps: tuple[TokenStep, ...]
    text: str
    # "stop" | "length" | "context" | "cancelled"; journaled partial answers also say "error"
    # (never the engine itself, which raises: sessions/partial.py)
    finish_reason: str
    provenance: Provenance
    tokens_per_s: float
    prompt_eval_s: float
    generate_s: float


class ChoiceMode(str, enum.Enum):
    """What an option's probability is the probability of."""

    # The whole answer: the option's tokens as the chat template renders that assistant message
    # (tokenised in context), then the end-of-turn token(s). Distinct options are disjoint
    # answers, so their probabilities sum to at most 1.
    COMPLETE = "complete"
    # The answer starts with the option's tokens (tokenised alone): "Yes" >= "Yes, definitely".
    PREFIX = "prefix"


@dataclass(frozen=True)
class ChoiceRequest:
    messages: tuple[Message, ...]
    options: tuple[str, ...]
    system: SystemPrompt = SystemPrompt()
    mode: ChoiceMode = ChoiceMode.COMPLETE
    configuration: Configuration | None = None  # when given, its system prompt replaces `system`


@dataclass(frozen=True)
class OptionScore:
    """One option's numbers; each recomputes from the token ids and per-token logprobs it holds."""

    text: str
    token_ids: tuple[int, ...]  # the option's text tokens (complete: in context; prefix: alone)
    token_logprobs: tuple[float, ...]  # of each text token, after the prompt and the ones before it
    logprob: float  # what the mode scores: text + end-of-turn tokens (complete) or text (prefix)
    prob: float  # exp(logprob) normalised over the options offered
    end_token_ids: tuple[int, ...] = ()  # the end-of-turn token(s) after the text; () in prefix mode
    end_token_logprobs: tuple[float, ...] = ()
    # Each token's text, for reading (no number depends on them): its bytes as UTF-8, a special
    # token as written (`<|im_end|>`), bytes that are part of a character as `\\xNN`. `()` when
    # the backend did not say (a result journaled before them, a scripted backend).
    token_texts: tuple[str, ...] = ()
    end_token_texts: tuple[str, ...] = ()

    @property
    def raw_prob(self) -> float:
        return math.exp(self.logprob)

    @property
    def text_logprob(self) -> float:
        """Log-likelihood of the option's text tokens alone (the answer starts with them)."""
        return math.fsum(self.token_logprobs)

    @property
    def complete_logprob(self) -> float | None:
        """Log-likelihood of the complete answer (text, then end of turn); None in prefix mode."""
        if not self.end_token_ids:
            return None
        return math.fsum(self.token_logprobs + self.end_token_logprobs)


@dataclass(frozen=True)
class ChoiceResult:
    options: tuple[OptionScore, ...]  # in the order they were asked
    # Sum of exp(logprob) over the distinct token sequences scored: how much of the model's
    # probability the options cover (at most 1 in complete mode).
    mass: float
    provenance: Provenance
    # Results recorded before modes existed were prefix readouts, hence this default; the engine
    # always says which mode it scored.
    mode: ChoiceMode = ChoiceMode.PREFIX


@dataclass(frozen=True)
class ScoreRequest:
    messages: tuple[Message, ...]
    continuation: str
    system: SystemPrompt = SystemPrompt()
    top_k_probs: int = 10
    raw_prompt: str | None = None  # score after this exact text instead of a chat-rendered prompt
    continuation_ids: tuple[int, ...] = ()  # exact tokens to score (re-scoring saved answers)
    configuration: Configuration | None = None  # when given, its system prompt replaces `system`


@dataclass(frozen=True)
class ScoreResult:
    steps: tuple[TokenStep, ...]  # forced=True; logprob is that of the given token
    total_logprob: float
    provenance: Provenance


@dataclass(frozen=True)
class Capabilities:
    """What a backend can do, so the UI can grey out what a remote engine lacks.

    The defaults describe the local engine. `top_k_limit`: the most alternatives a step can
    report (0 = no limit beyond the vocabulary). `lora_scales`: adapters at any scale per request
    (`lora_hot_swap`: swapped without a reload). `sampler_view`: steps carry `post`/`sampler`.
    `forced_scoring`: `choose`/`score` work. `template_rendering`: "ours" (the prompt text and
    tokens are known exactly), "server-template" or "chat-endpoint" (the server renders).
    `compare`: lockstep comparisons run on this backend.
    """

    full_vocab_logprobs: bool = True
    lora_hot_swap: bool = True
    cancel: bool = True
    top_k_limit: int = 0
    lora_scales: bool = True
    sampler_view: bool = True
    forced_scoring: bool = True
    template_rendering: str = "ours"
    compare: bool = True


@dataclass(frozen=True)
class ComputeDevice:
    """A device llama.cpp's backends found (CPU, GPU, ...), as ggml reports it."""

    name: str
    description: str
    kind: str  # "cpu", "gpu", "igpu", "accel", "meta"
    memory_total: int  # bytes; 0 when the backend does not say
    memory_free: int


@dataclass(frozen=True)
class NativeSystemInfo:
    """What the llama.cpp build in the worker can do on this machine (`logitscope doctor`)."""

    llama_cpp_python_version: str
    system_info: str  # llama.cpp's own line: "CPU : SSE3 = 1 | AVX = 1 | ... |"
    cpu_features: tuple[str, ...]  # the features the CPU backend was compiled to use
    backends: tuple[str, ...]  # registered ggml backends, e.g. ("CPU",) or ("CUDA", "CPU")
    devices: tuple[ComputeDevice, ...]
    gpu_offload: bool  # llama_supports_gpu_offload()
