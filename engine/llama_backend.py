"""The one module that imports llama_cpp: a llama.cpp model, context and sampler, in the worker.

It runs only inside the engine's worker process (engine/worker.py). It uses llama-cpp-python's
low-level API rather than its `Llama` class so that we control exactly what is decoded and when:
- logits are requested only at the positions read: the last one when generating, and each
  position of a forced-choice option that scores its next token (never `logits_all`);
- the KV cache holds several sequences (engine/kv_sequences.py): one per adapter set, and one
  per prompt that shares little with the others (another system prompt), so switching
  configurations keeps each one's cells; a request reuses the longest token prefix its
  sequence holds, and a fully cached prompt is not decoded again;
- each generated token is drawn by llama.cpp's sampler chain from the same logits row that
  engine/distribution.py summarises for the user (the raw, pre-sampler distribution); the
  chain's samplers are applied one by one so the step also carries what they left
  (engine/sampler_view.py).
"""

from __future__ import annotations

import contextlib
import ctypes
import math
import os
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from typing import Any

import llama_cpp
import numpy as np
from llama_cpp import _ggml, _internals

from . import __version__ as ENGINE_VERSION
from .adapter_check import check_adapter
from .chat_template import ChatTemplate
from .compare import CompareRequest, CompareResult, CompareStep
from .compare.lockstep import run_lockstep
from .configuration import configured
from .distribution import summarise
from .errors import AdapterError, ContextOverflowError, ModelLoadError, RequestError
from .fingerprint import file_sha256
from .gguf import check_gguf_file
from .kv_sequences import AdapterKey, KvSequence, KvSequences, common_prefix
from .log_excerpt import GGML_LOG_LEVEL_ERROR, KEEP, excerpt, levelled_lines
from .option_scoring import (
    AnswerTokens,
    TokenKinds,
    complete_answer,
    covered_mass,
    log_normaliser,
    normalised,
    token_logprob,
)
from .runtime import build_runtime, read_load_log
from .sampler_view import ChainTrace, sampler_fields
from .seeds import check_seed, random_seed
from .threads import default_thread_count
from .types import (
    AdapterSpec,
    ChoiceMode,
    ChoiceRequest,
    ChoiceResult,
    ComputeDevice,
    Configuration,
    FlashAttention,
    GenerationRequest,
    GenerationResult,
    Message,
    ModelConfig,
    ModelInfo,
    NativeSystemInfo,
    OptionScore,
    Provenance,
    RenderedPrompt,
    Runtime,
    SamplingSettings,
    ScoreRequest,
    ScoreResult,
    SystemPrompt,
    TokenAlternative,
    TokenStep,
)
from .utf8 import Utf8Assembler

LLAMA_CPP_PYTHON_VERSION = llama_cpp.__version__
_ALL_LAYERS = 0x7FFFFFFF
# KV sequences (engine/kv_sequences.py says which request uses which), each in its own stream of n_ctx cells (the
# cache is that many times one context's). Not llama.cpp's unified buffer: there a sequence's
# cells land wherever others left room, and the CPU flash-attention kernel's results depend on
# where they lie (up to 0.2 nats on an unlikely token, measured with the default model); in its
# own stream a sequence fills cells 0, 1, ... in position order, as a fresh context does, so its
# numbers are exactly a fresh context's. How many: ModelConfig.kv_sequences (default 4).
# Prompts are decoded in blocks of PROMPT_BLOCK tokens at positions 0, 64, 128, ... (llama.cpp's
# ubatch), and a cached prefix is reused in whole blocks. llama.cpp's CPU kernels are not batch
# invariant: the same token at the same position, computed in a batch of another size, comes out
# rounded differently (measured with the default model: up to 0.6 nats on an unlikely option,
# 0.15 on a top-5 token, when a prompt reused 41 cached tokens and decoded the other 51 in one
# batch). Decoded in the same blocks, a prompt's cells and logits are bit-identical whatever the
# cache held before. 64 costs about 15% of prompt throughput against 512-token batches on CPU.
PROMPT_BLOCK = 64
_DECODE_NO_SLOT = 1  # llama_decode's return code when the batch finds no free KV cells
_FLASH_ATTN_TYPES = {
    FlashAttention.AUTO: llama_cpp.LLAMA_FLASH_ATTN_TYPE_AUTO,  # llama.cpp decides per device
    FlashAttention.ON: llama_cpp.LLAMA_FLASH_ATTN_TYPE_ENABLED,
    FlashAttention.OFF: llama_cpp.LLAMA_FLASH_ATTN_TYPE_DISABLED,
}

_backend_initialised = False


class LogSink:
    """Receives llama.cpp's log through `llama_log_set` and keeps the recent lines for errors."""

    def __init__(self, write: Callable[[str], None], path: str | None = None) -> None:
        self._write = write
        self.recent: list[str] = []
        self._levels: list[int] = []  # the level of each fragment; aligned with `recent` from the end
        # Where `write` goes, for the details' "more lines in ..." (the worker passes a file's write).
        owner_name = getattr(getattr(write, "__self__", None), "name", None)
        self.path = path or (owner_name if isinstance(owner_name, str) else None)
        self._captures: list[list[str]] = []  # see `captured`
        # Keep a reference: llama.cpp holds only the raw function pointer.
        self._callback = llama_cpp.llama_log_callback(self._on_log)
        llama_cpp.llama_log_set(self._callback, ctypes.c_void_p(0))

    def _on_log(self, level: int, text: bytes, _user_data: object) -> None:
        line = text.decode("utf-8", errors="replace")
        self._write(line)
        for capture in self._captures:
            capture.append(line)
        self.recent.append(line)
        self._levels.append(level)
        if len(self.recent) > 400:
            del self.recent[:200]
        if len(self._levels) > 400:
            del self._levels[:200]

    @contextlib.contextmanager
    def captured(self) -> Iterator[list[str]]:
        """Every fragment logged inside the block, all of them (`recent` keeps the last few
        hundred): the load log that engine/runtime.py reads."""
        capture: list[str] = []
        self._captures.append(capture)
        try:
            yield capture
        finally:
            self._captures.remove(capture)

    def lines(self) -> list[tuple[str, int | None]]:
        """The recent lines, each with its llama.cpp log level."""
        levels = self._levels[-len(self.recent):] if self.recent else []
        fragments = self.recent[-len(levels):] if levels else []
        return levelled_lines(fragments, levels)

    def tail(self, lines: int = KEEP) -> str:
        """The recent lines that explain an error (warnings, errors), else the last few."""
        return excerpt(self.lines(), self.path, keep=lines)


class AdapterSlots:
    """Owns every LoRA adapter's lifetime for one model; the only caller of the adapter API.

    llama.cpp aborts the process on misuse (a null array with n > 0, freeing an active adapter,
    freeing after the model closed), so: adapters are validated with gguf-py before llama.cpp
    sees them, initialised once per file content and never freed by hand (llama.cpp frees them
    with the model), and the active set is replaced as a whole with `llama_set_adapters_lora`.
    Handles are keyed by path *and* sha256: an adapter re-trained to the same path is a new
    adapter, so the engine runs the weights whose hash the journal records; the backend calls
    `refresh` before each request, so that holds also when the file changes under an active set.
    `active_key` names the weights now applied, for the KV sequence that belongs to them.
    """

    def __init__(self, model: _internals.LlamaModel, ctx: _internals.LlamaContext,
                 model_path: str, log: LogSink) -> None:
        self._model = model
        self._ctx = ctx
        self._model_path = model_path
        self._log = log
        self._loaded: dict[tuple[str, str], Any] = {}  # (path, sha256) -> llama_adapter_lora_p
        self._active: tuple[AdapterSpec, ...] = ()
        self._active_handles: tuple[tuple[Any, float], ...] = ()
        self._active_key: AdapterKey = ()

    def active_specs(self) -> tuple[AdapterSpec, ...]:
        return self._active

    def active_key(self) -> AdapterKey:
        """(path, sha256, scale) of each adapter applied with a scale other than 0, in order."""
        return self._active_key

    def _load(self, path: str) -> tuple[tuple[str, str], Any]:
        check_gguf_file(path, AdapterError, what="adapter")
        key = (path, file_sha256(path))
        handle = self._loaded.get(key)
        if handle is None:
            check_adapter(path, self._model_path)
            self._log.recent.clear()
            handle = llama_cpp.llama_adapter_lora_init(self._model.model, path.encode("utf-8"))
            if not handle:
                raise AdapterError(
                    f"llama.cpp refused the adapter {path}: {_reason(self._log, RuntimeError('init returned NULL'))}",
                    details=self._log.tail(),
                )
            self._loaded[key] = handle
        return key, handle

    def apply(self, specs: tuple[AdapterSpec, ...]) -> None:
        resolved = tuple(AdapterSpec(os.path.realpath(s.path), float(s.scale)) for s in specs)
        loaded = [self._load(s.path) for s in resolved]  # all validated before anything changes
        live = tuple((h, s.scale) for (_, h), s in zip(loaded, resolved, strict=True) if s.scale != 0.0)
        live_key = tuple((path, sha, s.scale) for ((path, sha), _), s in zip(loaded, resolved, strict=True)
                         if s.scale != 0.0)
        if resolved == self._active and live == self._active_handles:
            return
        if live:
            array = (llama_cpp.llama_adapter_lora_p_ctypes * len(live))(*[h for h, _ in live])
            scales = (ctypes.c_float * len(live))(*[sc for _, sc in live])
            rc = llama_cpp.llama_set_adapters_lora(self._ctx.ctx, array, len(live), scales)
        else:
            rc = llama_cpp.llama_set_adapters_lora(self._ctx.ctx, None, 0, None)
        if rc != 0:
            raise AdapterError(f"llama.cpp could not activate the adapters (code {rc}).",
                               details=self._log.tail())
        self._active = resolved
        self._active_handles = live
        self._active_key = live_key

    def refresh(self) -> None:
        """Apply the active set again: nothing changes while its files are the ones applied (a
        stat and the cached sha256 each); a file re-written since gets its new weights (a new
        handle, and a new `active_key`, so the old weights' KV cells are not used for them)."""
        if self._active:
            self.apply(self._active)

    def close(self) -> None:
        """Deactivate everything; the model frees the adapters themselves when it closes."""
        if self._active and self._ctx.ctx is not None:
            llama_cpp.llama_set_adapters_lora(self._ctx.ctx, None, 0, None)
        self._active = ()
        self._active_handles = ()
        self._active_key = ()
        self._loaded.clear()


def _ensure_backend() -> None:
    global _backend_initialised
    if not _backend_initialised:
        llama_cpp.llama_backend_init()
        _backend_initialised = True


_DEVICE_KINDS = ("cpu", "gpu", "igpu", "accel", "meta")


def _ggml_function(name: str, restype: object, argtypes: list) -> Callable:
    function = getattr(_ggml.libggml, name)
    function.restype = restype
    function.argtypes = argtypes
    return function


def system_info() -> NativeSystemInfo:
    """The build's compiled-in CPU features, its backends and the devices they found."""
    _ensure_backend()
    text = llama_cpp.llama_print_system_info().decode("utf-8", errors="replace").strip()
    features = []
    for part in text.replace("\n", "|").split("|"):
        name, sep, value = part.partition("=")
        if sep and value.strip() == "1":
            features.append(name.split(":")[-1].strip())
    c_size_t_p = ctypes.POINTER(ctypes.c_size_t)
    reg_count = _ggml_function("ggml_backend_reg_count", ctypes.c_size_t, [])
    reg_get = _ggml_function("ggml_backend_reg_get", ctypes.c_void_p, [ctypes.c_size_t])
    reg_name = _ggml_function("ggml_backend_reg_name", ctypes.c_char_p, [ctypes.c_void_p])
    dev_count = _ggml_function("ggml_backend_dev_count", ctypes.c_size_t, [])
    dev_get = _ggml_function("ggml_backend_dev_get", ctypes.c_void_p, [ctypes.c_size_t])
    dev_name = _ggml_function("ggml_backend_dev_name", ctypes.c_char_p, [ctypes.c_void_p])
    dev_description = _ggml_function("ggml_backend_dev_description", ctypes.c_char_p,
                                     [ctypes.c_void_p])
    dev_type = _ggml_function("ggml_backend_dev_type", ctypes.c_int, [ctypes.c_void_p])
    dev_memory = _ggml_function("ggml_backend_dev_memory", None,
                                [ctypes.c_void_p, c_size_t_p, c_size_t_p])
    backends = tuple((reg_name(reg_get(i)) or b"").decode() for i in range(reg_count()))
    devices = []
    for i in range(dev_count()):
        device = dev_get(i)
        free, total = ctypes.c_size_t(0), ctypes.c_size_t(0)
        dev_memory(device, ctypes.byref(free), ctypes.byref(total))
        kind = dev_type(device)
        devices.append(ComputeDevice(
            name=(dev_name(device) or b"").decode(errors="replace"),
            description=(dev_description(device) or b"").decode(errors="replace"),
            kind=_DEVICE_KINDS[kind] if 0 <= kind < len(_DEVICE_KINDS) else str(kind),
            memory_total=int(total.value), memory_free=int(free.value),
        ))
    return NativeSystemInfo(
        llama_cpp_python_version=LLAMA_CPP_PYTHON_VERSION,
        system_info=text,
        cpu_features=tuple(features),
        backends=backends,
        devices=tuple(devices),
        gpu_offload=bool(llama_cpp.llama_supports_gpu_offload()),
    )


class LlamaBackend:
    """Owns one llama.cpp model + context. Not thread-safe: the worker serialises calls."""

    def __init__(self, config: ModelConfig, log: LogSink) -> None:
        _ensure_backend()
        self.config = config
        self._log = log
        with log.captured() as load_log:
            self._load(config, log)
        self.runtime = self._runtime(load_log)

    def _load(self, config: ModelConfig, log: LogSink) -> None:
        model_params = llama_cpp.llama_model_default_params()
        model_params.n_gpu_layers = _ALL_LAYERS if config.n_gpu_layers == -1 else config.n_gpu_layers
        log.recent.clear()
        try:
            self.model = _internals.LlamaModel(
                path_model=config.model_path, params=model_params, verbose=True
            )
        except ValueError as exc:
            raise ModelLoadError(
                f"llama.cpp could not load {config.model_path}: {_reason(log, exc)}",
                details=log.tail(),
            ) from exc
        ctx_params = llama_cpp.llama_context_default_params()
        sequences = max(1, config.kv_sequences)
        ctx_params.n_ctx = config.n_ctx * sequences  # split evenly between the sequences
        self.n_ubatch = min(PROMPT_BLOCK, config.n_ctx)
        self.n_batch = max(self.n_ubatch, min(512, config.n_ctx) // self.n_ubatch * self.n_ubatch)
        ctx_params.n_batch = self.n_batch
        ctx_params.n_ubatch = self.n_ubatch
        threads = config.n_threads or default_thread_count()
        ctx_params.n_threads = threads
        ctx_params.n_threads_batch = config.n_threads_batch or threads
        ctx_params.n_seq_max = sequences
        ctx_params.kv_unified = False
        ctx_params.flash_attn_type = _FLASH_ATTN_TYPES[FlashAttention(config.flash_attn)]
        self._kv_types = (ctx_params.type_k, ctx_params.type_v)
        try:
            self.ctx = _internals.LlamaContext(model=self.model, params=ctx_params, verbose=True)
        except ValueError as exc:
            self.model.close()
            raise ModelLoadError(
                f"llama.cpp could not create a context of {config.n_ctx} tokens "
                f"({sequences} KV sequences of that size; fewer with --kv-sequences): {_reason(log, exc)}",
                details=log.tail(),
            ) from exc
        self.batch = _internals.LlamaBatch(n_tokens=self.n_batch, embd=0, n_seq_max=1, verbose=True)
        self.n_vocab = self.model.n_vocab()
        self.n_ctx = llama_cpp.llama_n_ctx_seq(self.ctx.ctx)  # what one sequence holds
        self.metadata = self.model.metadata()
        self.sha256 = file_sha256(config.model_path)
        self._token_text: dict[int, str] = {}
        self._pieces: dict[int, bytes] = {}  # token id -> its bytes (as _token_text: per model)
        self._sequences = KvSequences(sequences, self.n_ctx * sequences, self._remove_cells)
        self._candidates = _internals.LlamaTokenDataArray(n_vocab=self.n_vocab)
        self.decoded_tokens = 0  # tokens sent to llama_decode, all told (tests, benchmarks)
        bos = self.model.token_bos()
        eos = self.model.token_eos()
        self._bos_text = self._special_text(bos)
        self.template = ChatTemplate(
            self.metadata.get("tokenizer.chat_template"), self._bos_text, self._special_text(eos)
        )
        self._kinds = TokenKinds(is_end=self._is_end, is_control=self._is_control,
                                 is_blank=lambda t: not self._piece(t).strip(),
                                 describe=self._describe_tokens)
        self.adapters = AdapterSlots(self.model, self.ctx, config.model_path, log)
        self._own_adapters = config.adapters  # what requests without a configuration run
        self.adapters.apply(config.adapters)

    def _runtime(self, load_log: list[str]) -> Runtime:
        """Where and how this model computes (engine/runtime.py): the context's own settings,
        the build's backends and devices, and what the load log said about placement and flash
        attention."""
        info = system_info()
        ctx = self.ctx.ctx
        type_name = _ggml_function("ggml_type_name", ctypes.c_char_p, [ctypes.c_int])
        return build_runtime(
            self.config, read_load_log(load_log), backends=info.backends, devices=info.devices,
            can_offload=info.gpu_offload, n_layer=llama_cpp.llama_model_n_layer(self.model.model),
            type_k=(type_name(self._kv_types[0]) or b"?").decode(),
            type_v=(type_name(self._kv_types[1]) or b"?").decode(),
            n_batch=llama_cpp.llama_n_batch(ctx), n_ubatch=llama_cpp.llama_n_ubatch(ctx),
            n_threads=llama_cpp.llama_n_threads(ctx), n_threads_batch=llama_cpp.llama_n_threads_batch(ctx),
        )

    # ----- lifecycle -------------------------------------------------------------------------

    def close(self) -> None:
        self.adapters.close()
        self.batch.close()
        self.ctx.close()
        self.model.close()

    def info(self) -> ModelInfo:
        return ModelInfo(
            path=self.config.model_path,
            sha256=self.sha256,
            name=self.metadata.get("general.name", ""),
            architecture=self.metadata.get("general.architecture", ""),
            n_vocab=self.n_vocab,
            n_ctx=self.n_ctx,
            n_ctx_train=self.model.n_ctx_train(),
            has_chat_template=self.template.kind == "gguf",
            size_bytes=self.model.size(),
        )

    def set_adapters(self, specs: tuple[AdapterSpec, ...]) -> None:
        self.adapters.apply(specs)
        self._own_adapters = specs
        self.config = replace(self.config, adapters=self.adapters.active_specs())

    def _remove_cells(self, seq_id: int, p0: int) -> bool:
        """Remove sequence `seq_id`'s cells from position p0 on (metadata only: emptied cells
        are never read, and zeroing them costs more than the rest of a switch)."""
        if self.ctx.memory is None:
            return False
        return bool(llama_cpp.llama_memory_seq_rm(self.ctx.memory, seq_id, p0, -1))

    def _sequence(self, tokens: Sequence[int]) -> KvSequence:
        """The KV sequence a prompt of `tokens` decodes into under the adapters now applied
        (call after applying them)."""
        return self._sequences.acquire(self.adapters.active_key(), tokens)

    def _configure(self, configuration: Configuration | None, system: SystemPrompt,
                   messages: tuple[Message, ...]) -> tuple[SystemPrompt, tuple[Message, ...]]:
        """Activate the adapters a request runs under (its configuration's, else the backend's
        own; re-checked, so a file re-written since runs its new weights) and return the system
        prompt and messages the request runs with."""
        if configuration is None:
            self.adapters.apply(self._own_adapters)
        else:
            wanted = configuration.model_path
            if wanted and os.path.realpath(wanted) != os.path.realpath(self.config.model_path) \
                    and (not os.path.isfile(wanted) or file_sha256(wanted) != self.sha256):
                raise RequestError(f"The configuration is for the model {wanted}, but "
                                   f"{self.config.model_path} is loaded.")
            self.adapters.apply(configuration.adapters)
        return configured(system, messages, configuration)

    # ----- prompts ---------------------------------------------------------------------------

    def render(self, system: SystemPrompt, messages: tuple[Message, ...]) -> RenderedPrompt:
        text = self.template.render(system, messages)
        return RenderedPrompt(text, tuple(self._tokenize_prompt(text)), self.template.kind)

    def _tokenize_prompt(self, text: str) -> list[int]:
        add_bos = self.model.add_bos_token() and not (self._bos_text and text.startswith(self._bos_text))
        return self.model.tokenize(text.encode("utf-8"), add_bos=add_bos, special=True)

    def tokenize_text(self, text: str) -> list[int]:
        return self.model.tokenize(text.encode("utf-8"), add_bos=False, special=False)

    def token_text(self, token: int) -> str:
        text = self._token_text.get(token)
        if text is None:
            text = self._piece(token).decode("utf-8", errors="backslashreplace")
            self._token_text[token] = text
        return text

    def _piece(self, token: int) -> bytes:
        """The token's raw bytes, cached: every step asks for those of each top-k alternative."""
        piece = self._pieces.get(token)
        if piece is None:
            piece = self._pieces[token] = self._token_to_piece(token)
        return piece

    def _token_to_piece(self, token: int) -> bytes:
        buf = ctypes.create_string_buffer(64)
        n = llama_cpp.llama_token_to_piece(self.model.vocab, token, buf, 64, 0, True)
        if n < 0:
            buf = ctypes.create_string_buffer(-n)
            n = llama_cpp.llama_token_to_piece(self.model.vocab, token, buf, -n, 0, True)
        return buf.raw[:n]

    def _special_text(self, token: int) -> str:
        if token < 0:
            return ""
        return self._piece(token).decode("utf-8", errors="replace")

    def _describe_tokens(self, tokens: Sequence[int]) -> str:
        return "".join(self.token_text(t) for t in tokens)

    def _is_end(self, token: int) -> bool:
        return bool(llama_cpp.llama_vocab_is_eog(self.model.vocab, token))

    def _is_control(self, token: int) -> bool:
        return bool(llama_cpp.llama_vocab_is_control(self.model.vocab, token))

    # ----- decoding --------------------------------------------------------------------------

    def _check_fits(self, n_tokens: int, what: str) -> None:
        if n_tokens >= self.n_ctx:
            raise ContextOverflowError(
                f"The {what} is {n_tokens} tokens but the context holds {self.n_ctx} "
                f"(leaving none for the answer). Shorten it or raise --n-ctx "
                f"(this model was trained on {self.model.n_ctx_train()})."
            )

    def _evaluate(self, seq: KvSequence, tokens: list[int]) -> np.ndarray:
        """Make `seq` hold exactly `tokens`, reusing its common prefix; return the last logits.

        A prompt the sequence holds already (or holds followed by more tokens) whose last logits
        were saved is not decoded at all: the same numbers as the decode that first computed it.
        """
        common = common_prefix(seq.tokens, tokens)
        saved = seq.logits_after(len(tokens)) if common == len(tokens) else None
        if saved is not None:
            self._sequences.cut(seq, common)
            return saved
        # Reuse whole prompt blocks only, and only cells a prompt decode computed: the rest is
        # decoded in the very blocks a fresh context decodes it in (see PROMPT_BLOCK).
        common = min(common, len(tokens) - 1, seq.canonical)
        common -= common % self.n_ubatch
        common = self._sequences.cut(seq, common)
        for start in range(common, len(tokens), self.n_batch):
            self._decode(seq, tokens[start:start + self.n_batch], logits_all=False)
        seq.canonical = len(tokens)
        logits = self._last_logits().copy()
        seq.remember(len(tokens), logits)
        return logits

    def _decode(self, seq: KvSequence, chunk: list[int], logits_all: bool) -> None:
        """Decode `chunk` into `seq` after the tokens it holds (logits at its last position, or at
        every position), making room in the cache first; the tokens are then `seq`'s."""
        self._sequences.make_room(seq, len(chunk))
        batch = self.batch.batch
        batch.n_tokens = len(chunk)
        n_past = len(seq.tokens)
        for i, token in enumerate(chunk):
            batch.token[i] = token
            batch.pos[i] = n_past + i
            batch.n_seq_id[i] = 1
            batch.seq_id[i][0] = seq.seq_id
            batch.logits[i] = logits_all
        batch.logits[len(chunk) - 1] = True
        rc = llama_cpp.llama_decode(self.ctx.ctx, batch)
        if rc == _DECODE_NO_SLOT and self._sequences.evict_others(seq):
            rc = llama_cpp.llama_decode(self.ctx.ctx, batch)  # the cells freed may not have been
        self.decoded_tokens += len(chunk)
        if rc != 0:
            self._sequences.empty(seq)
            raise RequestError(f"llama_decode failed (code {rc}); see the log: {self._log.tail(3)}")
        seq.tokens.extend(chunk)

    def _append(self, seq: KvSequence, token: int) -> np.ndarray:
        self._decode(seq, [token], logits_all=False)
        return self._last_logits()

    def _last_logits(self) -> np.ndarray:
        pointer = llama_cpp.llama_get_logits_ith(self.ctx.ctx, -1)
        return np.ctypeslib.as_array(pointer, shape=(self.n_vocab,))

    def _step(self, i: int, token: int, text: str, logits: np.ndarray, k: int,
              forced: bool = False, trace: ChainTrace | None = None) -> TokenStep:
        """The step for `token` drawn from `logits`; with the `trace` of its draw
        (`_sample_traced`), also the distribution the sampler chain left (`post`, `sampler`)."""
        s = summarise(logits, token, k)
        post, view = ((), None) if trace is None else sampler_fields(
            trace, logits, s.log_normaliser, s.top_ids, k, self.token_text)
        return TokenStep(
            i=i,
            id=token,
            text=text,
            piece=self._piece(token),
            logprob=s.logprob,
            entropy=s.entropy,
            rank=s.rank,
            top=tuple(TokenAlternative(t, self.token_text(t), lp, self._piece(t))
                      for t, lp in zip(s.top_ids, s.top_logprobs, strict=True)),
            forced=forced,
            post=post,
            sampler=view,
        )

    def _sampler(self, sampling: SamplingSettings, seed: int) -> _internals.LlamaSampler:
        chain = _internals.LlamaSampler()
        if sampling.repeat_penalty != 1.0:
            chain.add_penalties(self.n_vocab, sampling.repeat_last_n, sampling.repeat_penalty, 0.0, 0.0)
        if sampling.greedy:
            chain.add_greedy()
            return chain
        if sampling.top_k > 0:
            chain.add_top_k(sampling.top_k)
        if sampling.top_p < 1.0:
            chain.add_top_p(sampling.top_p, 1)
        if sampling.min_p > 0.0:
            chain.add_min_p(sampling.min_p, 1)
        chain.add_temp(sampling.temperature)
        chain.add_dist(seed)
        return chain

    def _sample(self, chain: _internals.LlamaSampler, logits: np.ndarray) -> int:
        """Draw a token with `chain` from `logits` (as llama_sampler_sample does from the
        context's last logits, which may be another sequence's when a cached prompt was not
        decoded again), and let the chain accept it."""
        candidates = self._candidates
        candidates.copy_logits(logits)
        candidates.candidates.selected = -1
        llama_cpp.llama_sampler_apply(chain.sampler, ctypes.byref(candidates.candidates))
        token = int(candidates.candidates_data.id[candidates.candidates.selected])
        chain.accept(token)
        return token

    def _sample_traced(self, chain: _internals.LlamaSampler, logits: np.ndarray) -> tuple[int, ChainTrace]:
        """Draw as `_sample` does, the same token for the same chain state, but apply the chain's
        samplers one at a time (which is all llama.cpp's chain apply does) and trace the
        candidate array after each, for the step's sampler view (engine/sampler_view.py)."""
        candidates = self._candidates
        candidates.copy_logits(logits)
        array = candidates.candidates
        array.selected = -1
        data = candidates.candidates_data
        trace = ChainTrace(int(array.size))
        for n in range(llama_cpp.llama_sampler_chain_n(chain.sampler)):
            stage = llama_cpp.llama_sampler_chain_get(chain.sampler, n)
            llama_cpp.llama_sampler_apply(stage, ctypes.byref(array))
            trace.after(llama_cpp.llama_sampler_name(stage).decode("utf-8", "replace"), data.id[:array.size])
        token = int(data.id[array.selected])
        trace.finish(data.id[:array.size], data.p[:array.size], token)
        chain.accept(token)
        return token, trace

    def _provenance(self, system: SystemPrompt, prompt: RenderedPrompt,
                    sampling: SamplingSettings) -> Provenance:
        return Provenance(
            model_path=self.config.model_path,
            model_sha256=self.sha256,
            adapters=self.adapters.active_specs(),
            system=system,
            rendered_prompt=prompt.text,
            prompt_token_ids=prompt.token_ids,
            template_source=prompt.template_source,
            sampling=sampling,
            n_ctx=self.n_ctx,
            llama_cpp_python_version=LLAMA_CPP_PYTHON_VERSION,
            engine_version=ENGINE_VERSION,
            runtime=self.runtime,
        )

    def generate(self, request: GenerationRequest, cancelled: Callable[[], bool]
                 ) -> Iterator[TokenStep | GenerationResult]:
        """Yield each TokenStep as it is decided, then the GenerationResult."""
        if request.max_tokens < 0:
            raise RequestError("max_tokens must be >= 0")
        system, messages = self._configure(request.configuration, request.system, request.messages)
        seed = random_seed() if request.sampling.seed is None else check_seed(request.sampling.seed)
        sampling = replace(request.sampling, seed=seed)
        prompt = self.render(system, messages)
        tokens = list(prompt.token_ids) + list(request.continue_from)
        self._check_fits(len(tokens), "prompt")
        seq = self._sequence(tokens)
        chain = self._sampler(sampling, seed)
        try:
            for token in tokens[-sampling.repeat_last_n:] if sampling.repeat_penalty != 1.0 else ():
                chain.accept(token)
            started = time.perf_counter()
            logits = self._evaluate(seq, tokens)
            prompt_done = time.perf_counter()
            text_parts: list[str] = []
            steps: list[TokenStep] = []
            assembler = Utf8Assembler()
            for token in request.continue_from:  # a fork may end inside a character
                assembler.feed(self._piece(token))
            finish = "length"
            for i in range(request.max_tokens):
                if cancelled():
                    finish = "cancelled"
                    break
                token, trace = self._sample_traced(chain, logits)
                ended = self._is_end(token)
                piece_text = "" if ended or self._is_control(token) else assembler.feed(self._piece(token))
                if ended:
                    finish = "stop"
                elif len(seq.tokens) + 1 >= self.n_ctx:
                    finish = "context"
                # The next decode starts before this step is summarised: on a GPU llama_decode
                # returns while the device works, and the summary (softmax, entropy, top-k, texts)
                # runs meanwhile; the logits are read (which waits for the device) after it. The
                # summary reads a copy of this position's row, which the decode overwrites.
                row, failure = logits, None
                if finish == "length" and i + 1 < request.max_tokens:  # else nothing follows it
                    row = logits.copy()
                    try:
                        self._decode(seq, [token], logits_all=False)
                    except RequestError as exc:
                        failure = exc  # raised once this token's step is out: the partial answer keeps it
                step = self._step(i, token, piece_text, row, request.top_k_probs, trace=trace)
                steps.append(step)
                text_parts.append(piece_text)
                yield step
                if failure is not None:
                    raise failure
                if finish != "length" or i + 1 == request.max_tokens:
                    break
                logits = self._last_logits()
            tail = assembler.flush()
            if tail:
                text_parts.append(tail)
            finished = time.perf_counter()
        finally:
            chain.close()
        gen_s = finished - prompt_done
        yield GenerationResult(
            steps=tuple(steps),
            text="".join(text_parts),
            finish_reason=finish,
            provenance=self._provenance(system, prompt, sampling),
            tokens_per_s=(len(steps) / gen_s) if gen_s > 0 else 0.0,
            prompt_eval_s=prompt_done - started,
            generate_s=gen_s,
        )

    def _teacher_force(self, seq: KvSequence, prefix: list[int], forced: list[int],
                       k: int) -> list[TokenStep]:
        self._check_fits(len(prefix) + len(forced), "prompt plus continuation")
        if not prefix:
            raise RequestError("Cannot score from an empty prompt: there is no first distribution.")
        logits = self._evaluate(seq, prefix)
        assembler = Utf8Assembler()
        steps = []
        for i, token in enumerate(forced):
            if not 0 <= token < self.n_vocab:
                raise RequestError(f"Token id {token} is outside this model's vocabulary ({self.n_vocab}).")
            text = "" if self._is_control(token) else assembler.feed(self._piece(token))
            steps.append(self._step(i, token, text, logits, k, forced=True))
            if i + 1 < len(forced):
                logits = self._append(seq, token)
        return steps

    def score(self, request: ScoreRequest) -> ScoreResult:
        system, messages = self._configure(request.configuration, request.system, request.messages)
        if request.raw_prompt is not None:
            text = request.raw_prompt
            prompt = RenderedPrompt(text, tuple(self._tokenize_prompt(text)), "raw")
        else:
            prompt = self.render(system, messages)
        forced = list(request.continuation_ids) or self.tokenize_text(request.continuation)
        if not forced:
            raise RequestError("The continuation to score is empty.")
        steps = self._teacher_force(self._sequence(prompt.token_ids), list(prompt.token_ids), forced,
                                    request.top_k_probs)
        return ScoreResult(
            steps=tuple(steps),
            total_logprob=math.fsum(s.logprob for s in steps),
            provenance=self._provenance(system, prompt, SamplingSettings(temperature=0.0, seed=0)),
        )

    def choose(self, request: ChoiceRequest) -> ChoiceResult:
        """Each option's log-likelihood as the assistant's answer, in the request's mode.

        The prompt is decoded once; each option's tokens then go through one decode after it,
        with logits only at the positions that score a next token (see `_score_continuations`).
        """
        if len(request.options) < 1:
            raise RequestError("Give at least one option to choose from.")
        mode = ChoiceMode(request.mode)
        system, messages = self._configure(request.configuration, request.system, request.messages)
        prompt = self.render(system, messages)
        answers = [self._answer_tokens(system, messages, prompt, option, mode)
                   for option in request.options]
        token_logprobs = self._score_continuations(self._sequence(prompt.token_ids), list(prompt.token_ids),
                                                   [a.ids for a in answers])
        logprobs = [math.fsum(lps) for lps in token_logprobs]
        options = tuple(
            OptionScore(text=option, token_ids=a.text_ids,
                        token_logprobs=tuple(lps[:len(a.text_ids)]), logprob=lp, prob=p,
                        end_token_ids=a.end_ids, end_token_logprobs=tuple(lps[len(a.text_ids):]),
                        token_texts=tuple(map(self.token_text, a.text_ids)),
                        end_token_texts=tuple(map(self.token_text, a.end_ids)))
            for option, a, lps, lp, p in zip(request.options, answers, token_logprobs, logprobs,
                                             normalised(logprobs), strict=True)
        )
        return ChoiceResult(
            options=options,
            mass=covered_mass([a.ids for a in answers], logprobs),
            provenance=self._provenance(system, prompt, SamplingSettings(temperature=0.0, seed=0)),
            mode=mode,
        )

    def _answer_tokens(self, system: SystemPrompt, messages: tuple[Message, ...],
                       prompt: RenderedPrompt, option: str, mode: ChoiceMode) -> AnswerTokens:
        if mode is ChoiceMode.PREFIX:
            ids = self.tokenize_text(option)
            if not ids:
                raise RequestError(f"Option {option!r} has no tokens.")
            return AnswerTokens(tuple(ids))
        text = self.template.render(system, messages + (Message("assistant", option),),
                                    add_generation_prompt=False)
        return complete_answer(option, prompt.token_ids, self._tokenize_prompt(text), self._kinds)

    def _score_continuations(self, seq: KvSequence, prefix: list[int],
                             continuations: list[tuple[int, ...]]) -> list[list[float]]:
        """The log-probability of each token of each continuation after `prefix`.

        The prefix's keys and values are computed once (and reused from the previous request
        where they match). A continuation's first token is scored by the prefix's last logits;
        the rest by ONE decode of the continuation less its last token, at the positions after
        the prefix, with logits requested at each of those positions and nowhere else. Its cells
        are removed again afterwards, so the next continuation finds the prefix alone.
        """
        if not prefix:
            raise RequestError("Cannot score from an empty prompt: there is no first distribution.")
        for tokens in continuations:
            self._check_fits(len(prefix) + len(tokens), "prompt plus answer")
            for token in tokens:
                if not 0 <= token < self.n_vocab:
                    raise RequestError(f"Token id {token} is outside this model's vocabulary ({self.n_vocab}).")
        first = self._evaluate(seq, prefix)
        first_normaliser = log_normaliser(first)
        scored = []
        for tokens in continuations:
            logprobs = [float(first[tokens[0]]) - first_normaliser]
            if len(tokens) > 1:
                if len(seq.tokens) != len(prefix):  # a failed removal emptied the sequence
                    self._evaluate(seq, prefix)
                logprobs += self._decode_scoring(seq, list(tokens))
                self._sequences.cut(seq, len(prefix))
            scored.append(logprobs)
        return scored

    def _decode_scoring(self, seq: KvSequence, tokens: list[int]) -> list[float]:
        """Decode tokens[:-1] after the tokens `seq` holds (one batch per n_batch tokens), with
        logits at every position, and return the log-probability of each of tokens[1:]."""
        inputs = tokens[:-1]
        logprobs = []
        for start in range(0, len(inputs), self.n_batch):
            chunk = inputs[start:start + self.n_batch]
            self._decode(seq, chunk, logits_all=True)
            for i in range(len(chunk)):
                row = np.ctypeslib.as_array(llama_cpp.llama_get_logits_ith(self.ctx.ctx, i),
                                            shape=(self.n_vocab,))
                logprobs.append(token_logprob(row, tokens[start + i + 1]))
        return logprobs

    @property
    def kv_sequence_count(self) -> int:
        return len(self._sequences)

    def compare(self, request: CompareRequest, cancelled: Callable[[], bool]
                ) -> Iterator[CompareStep | CompareResult]:
        """One conversation under several configurations in lockstep (engine/compare/lockstep.py):
        a CompareStep per position (every lane's step, every pair's divergence), then the result."""
        return run_lockstep(self, request, cancelled)

    def logits_for(self, tokens: list[int]) -> list[float]:
        """The raw last-position logits after `tokens` (for tests and adapter checks)."""
        self._check_fits(len(tokens), "prompt")
        self.adapters.apply(self._own_adapters)
        return self._evaluate(self._sequence(tokens), tokens).astype(float).tolist()


def _reason(log: LogSink, exc: Exception) -> str:
    lines = log.lines()
    errors = [text.strip() for text, level in lines if level == GGML_LOG_LEVEL_ERROR]
    errors = errors or [text.strip() for text, _ in lines
                        if any(word in text.lower() for word in ("error", "failed", "invalid"))]
    return errors[-1] if errors else str(exc)
