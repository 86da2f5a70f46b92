"""RemoteBackend: the Backend protocol over HTTP, to llama.cpp's server or an OpenAI-compatible one.

It holds no model: `start` asks the server what it runs (model, vocabulary, template, adapters,
build) and every request becomes HTTP calls (engine/remote/llamacpp.py, engine/remote/openai.py).
The dialect comes from the URL (`llamacpp+http://`, `openai+http://`) or is detected: a server
with llama.cpp's `/props` is llama.cpp's. Results carry the same types as the local engine's,
with steps marked `top-k+rest` where only the top-k was reported and the provenance naming the
server (RemoteOrigin: URL without credentials, model id, build). Comparisons need a local engine.
Forced tokens: one `/completion` per token on llama.cpp's server; on an OpenAI-compatible one an
echoed `/v1/completions` rendered with `template_model`'s chat template (openai_scoring.py).
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

from .. import __version__ as ENGINE_VERSION
from ..compare import CompareRequest
from ..configuration import configured
from ..errors import AdapterError, RequestError
from ..option_scoring import AnswerTokens, TokenKinds, complete_answer, covered_mass, normalised
from ..process_memory import WorkerMemory
from ..seeds import check_seed, random_seed
from ..types import (
    AdapterSpec,
    Capabilities,
    ChoiceMode,
    ChoiceRequest,
    ChoiceResult,
    GenerationRequest,
    GenerationResult,
    Message,
    ModelConfig,
    ModelInfo,
    OptionScore,
    Provenance,
    RemoteOrigin,
    RenderedPrompt,
    SamplingSettings,
    ScoreRequest,
    ScoreResult,
    SystemPrompt,
    TokenStep,
)
from .compare import RemoteComparison
from .endpoint import EngineUrl, parse_engine_url
from .errors import UnsupportedError, WrongApiError
from .http import HttpClient, SseStream
from .llamacpp import MIN_REPORTED, LlamaCppDialect, ServerFacts
from .lora import lora_field
from .model_template import ModelTemplate
from .openai import TOP_LOGPROBS_LIMIT, OpenAIDialect
from .openai_scoring import OpenAIScoring
from .topk import remote_step

DEFAULT_TIMEOUT_S = 60.0


class RemoteGeneration:
    """A generation streaming from the server; iterate once. `steps` keeps what came before an
    error; `result` is set when the stream ended."""

    def __init__(self, backend: RemoteBackend, request: GenerationRequest) -> None:
        self._backend = backend
        self._request = request
        self.steps: list[TokenStep] = []
        self.result: GenerationResult | None = None

    def __iter__(self) -> Iterator[TokenStep]:
        return self._run()

    def _run(self) -> Iterator[TokenStep]:
        backend, request = self._backend, self._request
        backend.start()
        dialect = backend._dialect
        system, messages = configured(request.system, request.messages, request.configuration)
        adapters = backend._adapters_for(request.configuration)
        seed = random_seed() if request.sampling.seed is None else check_seed(request.sampling.seed)
        sampling = replace(request.sampling, seed=seed)
        k = request.top_k_probs
        started = time.perf_counter()
        if isinstance(dialect, OpenAIDialect):
            if request.continue_from:
                raise UnsupportedError("An OpenAI-compatible server cannot continue from given tokens "
                                       "(branching needs llama.cpp's server).")
            prompt = dialect.render(system, messages)
            body = dialect.body(system, messages, replace(request, sampling=sampling), k)
        else:
            assert dialect is not None
            prompt = dialect.render(system, messages)
            tokens = list(prompt.token_ids) + list(request.continue_from)
            body = dialect.completion_body(tokens, replace(request, sampling=sampling),
                                           backend._lora(adapters), backend._n_probs(k))
        stream = dialect.open_stream(body)
        backend._streams.add(stream)
        finish: list[str] = []
        first: float | None = None
        try:
            for step in dialect.steps(stream, k, backend.full_vocab, finish):
                first = first or time.perf_counter()
                self.steps.append(step)
                yield step
        finally:
            backend._streams.discard(stream)
            stream.close()
        cancelled = stream.cancelled
        ended = time.perf_counter()
        gen_s = ended - (first or ended)
        self.result = GenerationResult(
            steps=tuple(self.steps), text="".join(s.text for s in self.steps),
            finish_reason="cancelled" if cancelled or not finish else finish[0],
            provenance=backend._provenance(system, prompt, sampling, adapters),
            tokens_per_s=(len(self.steps) - 1) / gen_s if gen_s > 0 else 0.0,
            prompt_eval_s=(first or ended) - started, generate_s=gen_s,
        )


class RemoteBackend:
    """A server at `url` behind the Backend protocol (see the module docstring)."""

    def __init__(self, url: str, api_key: str | None = None, timeout: float = DEFAULT_TIMEOUT_S,
                 adapters: tuple[AdapterSpec, ...] = (), full_vocab: bool = False,
                 template_model: str | None = None) -> None:
        self.endpoint: EngineUrl = parse_engine_url(url)
        self.client = HttpClient(self.endpoint.base, api_key or self.endpoint.url_key, timeout)
        self.full_vocab = full_vocab  # ask for the whole vocabulary at every position
        # A local GGUF of the server's model: its chat template and vocabulary let an
        # OpenAI-compatible server score forced tokens (engine/remote/openai_scoring.py).
        self.template_model = template_model
        self._scoring: OpenAIScoring | None = None
        self.config = ModelConfig(model_path=self.endpoint.safe, adapters=tuple(adapters))
        self.capabilities = Capabilities(full_vocab_logprobs=full_vocab, lora_hot_swap=True, cancel=True,
                                         top_k_limit=0, sampler_view=False, compare=True)
        self._dialect: LlamaCppDialect | OpenAIDialect | None = None
        self._info: ModelInfo | None = None
        self._streams: set[SseStream] = set()
        self._lock = threading.RLock()
        self._kinds: dict[int, tuple[bool, bool, str]] = {}

    # ----- the server ------------------------------------------------------------------------

    @property
    def dialect(self) -> str:
        return self._dialect.name if self._dialect else (self.endpoint.dialect or "")

    def start(self) -> ModelInfo:
        with self._lock:
            if self._info is not None:
                return self._info
            dialect, facts = self._probe()
            self._dialect = dialect
            self._check_adapters(self.config.adapters)
            self._info = ModelInfo(
                path=facts.model_path, sha256="", name=facts.model_id, architecture="",
                n_vocab=facts.n_vocab, n_ctx=facts.n_ctx, n_ctx_train=facts.n_ctx_train,
                has_chat_template=bool(facts.chat_template), size_bytes=facts.size_bytes,
            )
            if isinstance(dialect, OpenAIDialect):
                if self.template_model:
                    self._scoring = OpenAIScoring(self.client, facts.model_id,
                                                  ModelTemplate.read(self.template_model))
                self.capabilities = replace(self.capabilities, full_vocab_logprobs=False, lora_hot_swap=False,
                                            compare=False,
                                            lora_scales=False, forced_scoring=self._scoring is not None,
                                            top_k_limit=TOP_LOGPROBS_LIMIT, template_rendering="chat-endpoint")
            else:
                self.capabilities = replace(self.capabilities, lora_scales=bool(facts.adapters))
            return self._info

    def _probe(self) -> tuple[LlamaCppDialect | OpenAIDialect, ServerFacts]:
        """The dialect the URL names, else llama.cpp's when `/props` is llama.cpp's, else OpenAI."""
        if self.endpoint.dialect == "openai":
            openai = OpenAIDialect(self.client)
            return openai, openai.probe()
        native = LlamaCppDialect(self.client)
        try:
            return native, native.probe()
        except WrongApiError:
            if self.endpoint.dialect == "llamacpp":
                raise
        openai = OpenAIDialect(self.client)
        return openai, openai.probe()

    def _native(self) -> LlamaCppDialect:
        self.start()
        if not isinstance(self._dialect, LlamaCppDialect):
            raise UnsupportedError(f"{self.endpoint.safe} is an OpenAI-compatible server: it reports no "
                                   f"logprobs for given tokens, so choose and score (and tokenizing, "
                                   f"adapters) need llama.cpp's server (docs/remote.md).")
        return self._dialect

    def _scorer(self) -> LlamaCppDialect | OpenAIScoring:
        """What renders, tokenizes and scores forced tokens: llama.cpp's dialect, or on an
        OpenAI-compatible server its echoed completions with the local model's template."""
        self.start()
        if isinstance(self._dialect, OpenAIDialect):
            if self._scoring is None:
                raise UnsupportedError(
                    f"{self.endpoint.safe} is an OpenAI-compatible server that does not give its chat "
                    f"template: choose and score need the chat template, so they need --model PATH (a "
                    f"local GGUF of the same model) alongside --engine, or they need llama.cpp's server "
                    f"(docs/remote.md).")
            return self._scoring
        return self._native()

    @property
    def facts(self) -> ServerFacts:
        if self._dialect is None:
            self.start()
        assert self._dialect is not None and self._dialect.facts is not None
        return self._dialect.facts

    def load(self, config: ModelConfig) -> ModelInfo:
        info = self.start()
        if config.model_path not in ("", self.config.model_path, info.path):
            raise RequestError("A remote engine runs the model its server loaded; start the server "
                               "with another model to use it.")
        self.set_adapters(config.adapters)
        return info

    @property
    def info(self) -> ModelInfo | None:
        return self._info

    def origin(self) -> RemoteOrigin:
        facts = self.facts
        return RemoteOrigin(url=self.endpoint.safe, dialect=self.dialect, model_id=facts.model_id,
                            server_version=facts.version, rendering=self.capabilities.template_rendering)

    def describe(self) -> dict[str, Any]:
        """What `logitscope engine info` shows: the server, its model, adapters, capabilities."""
        info = self.start()
        facts = self.facts
        return {
            "url": self.endpoint.safe, "dialect": self.dialect, "model_id": facts.model_id,
            "model_path": facts.model_path, "server_version": facts.version, "n_vocab": info.n_vocab,
            "n_ctx": info.n_ctx, "n_ctx_train": info.n_ctx_train, "size_bytes": info.size_bytes,
            "chat_template": bool(facts.chat_template),
            "adapters": [{"id": i, "path": path} for i, path in facts.adapters],
            "capabilities": self.capabilities,
        }

    # ----- requests --------------------------------------------------------------------------

    def render(self, system: SystemPrompt, messages: tuple[Message, ...]) -> RenderedPrompt:
        self.start()
        assert self._dialect is not None
        return self._dialect.render(system, tuple(messages))

    def tokenize(self, text: str) -> list[int]:
        return self._native().tokenize(text)

    def generate(self, request: GenerationRequest) -> RemoteGeneration:
        if request.max_tokens < 0:
            raise RequestError("max_tokens must be >= 0")
        self.start()
        return RemoteGeneration(self, request)

    def set_adapters(self, adapters: tuple[AdapterSpec, ...]) -> None:
        self._check_adapters(tuple(adapters))
        self.config = replace(self.config, adapters=tuple(adapters))

    def _check_adapters(self, adapters: tuple[AdapterSpec, ...]) -> None:
        if isinstance(self._dialect, OpenAIDialect) and adapters:
            raise AdapterError(f"{self.endpoint.safe} is an OpenAI-compatible server: adapter scales per "
                               f"request need llama.cpp's server (docs/remote.md).")
        if self._dialect is not None:
            lora_field(adapters, self.facts.adapters)

    def _adapters_for(self, configuration: Any) -> tuple[AdapterSpec, ...]:
        adapters = self.config.adapters if configuration is None else tuple(configuration.adapters)
        self._check_adapters(adapters)
        return adapters

    def _lora(self, adapters: tuple[AdapterSpec, ...]) -> list[dict[str, Any]]:
        return lora_field(adapters, self.facts.adapters)

    def _n_probs(self, k: int) -> int:
        if self.full_vocab:
            return self.facts.n_vocab
        return max(k, MIN_REPORTED)

    def _provenance(self, system: SystemPrompt, prompt: RenderedPrompt, sampling: SamplingSettings,
                    adapters: tuple[AdapterSpec, ...]) -> Provenance:
        facts = self.facts
        origin = self.origin()
        if isinstance(self._dialect, OpenAIDialect) and prompt.token_ids:
            origin = replace(origin, rendering="ours")  # forced scoring: rendered with the local template
        return Provenance(
            model_path=facts.model_path, model_sha256="", adapters=adapters, system=system,
            rendered_prompt=prompt.text, prompt_token_ids=prompt.token_ids,
            template_source=prompt.template_source, sampling=sampling, n_ctx=facts.n_ctx,
            llama_cpp_python_version="", engine_version=ENGINE_VERSION, runtime=None,
            remote=origin,
        )

    # ----- forced tokens ---------------------------------------------------------------------

    def _force_prompt(self, prompt: RenderedPrompt, forced: list[int], k: int,
                      adapters: tuple[AdapterSpec, ...], n_probs: int, text: str | None = None) -> list[TokenStep]:
        """Steps for `forced` after `prompt`; on an OpenAI-compatible server from one echoed
        completion of `text` (its tokens: the prompt's, `forced`, then any)."""
        scorer = self._scorer()
        if isinstance(scorer, OpenAIScoring):
            return scorer.force(prompt, forced, k, text)
        return self._force(list(prompt.token_ids), forced, k, adapters, n_probs)

    def _force(self, prefix: list[int], forced: list[int], k: int, adapters: tuple[AdapterSpec, ...],
               n_probs: int) -> list[TokenStep]:
        if not prefix:
            raise RequestError("Cannot score from an empty prompt: there is no first distribution.")
        dialect, lora = self._native(), self._lora(adapters)
        steps, raw = [], b""
        for i, token in enumerate(forced):
            logprob, reported, piece = dialect.forced_position(prefix + forced[:i], token, k, n_probs, lora)
            raw += piece
            text = _complete_text(raw)
            raw = raw[len(text.encode("utf-8")):]
            steps.append(remote_step(i, token, text, piece, logprob, reported, k, self.full_vocab, forced=True))
        return steps

    def score(self, request: ScoreRequest) -> ScoreResult:
        dialect = self._scorer()
        system, messages = configured(request.system, request.messages, request.configuration)
        adapters = self._adapters_for(request.configuration)
        if request.raw_prompt is not None:
            prompt = RenderedPrompt(request.raw_prompt, tuple(dialect.tokenize_prompt(request.raw_prompt)), "raw")
        else:
            prompt = dialect.render(system, messages)
        forced = list(request.continuation_ids) or dialect.tokenize(request.continuation)
        if not forced:
            raise RequestError("The continuation to score is empty.")
        text = None if request.continuation_ids else prompt.text + request.continuation
        steps = self._force_prompt(prompt, forced, request.top_k_probs, adapters,
                                   self._n_probs(request.top_k_probs) if request.top_k_probs else 1, text)
        return ScoreResult(steps=tuple(steps), total_logprob=math.fsum(s.logprob for s in steps),
                           provenance=self._provenance(system, prompt, SamplingSettings(temperature=0.0, seed=0),
                                                       adapters))

    def choose(self, request: ChoiceRequest) -> ChoiceResult:
        if len(request.options) < 1:
            raise RequestError("Give at least one option to choose from.")
        dialect = self._scorer()
        mode = ChoiceMode(request.mode)
        system, messages = configured(request.system, request.messages, request.configuration)
        adapters = self._adapters_for(request.configuration)
        prompt = dialect.render(system, messages)
        answers = [self._answer(system, messages, prompt, option, mode) for option in request.options]
        token_logprobs = [[s.logprob for s in self._force_prompt(prompt, list(a.ids), 0, adapters, 1, text)]
                          for a, text in zip(answers, self._answer_texts(system, messages, prompt, request.options,
                                                                         mode), strict=True)]
        logprobs = [math.fsum(lps) for lps in token_logprobs]
        options = tuple(
            OptionScore(text=option, token_ids=a.text_ids, token_logprobs=tuple(lps[:len(a.text_ids)]),
                        logprob=lp, prob=p, end_token_ids=a.end_ids,
                        end_token_logprobs=tuple(lps[len(a.text_ids):]),
                        token_texts=tuple(self._kind(t)[2] for t in a.text_ids),
                        end_token_texts=tuple(self._kind(t)[2] for t in a.end_ids))
            for option, a, lps, lp, p in zip(request.options, answers, token_logprobs, logprobs,
                                             normalised(logprobs), strict=True)
        )
        return ChoiceResult(options=options, mass=covered_mass([a.ids for a in answers], logprobs),
                            provenance=self._provenance(system, prompt, SamplingSettings(temperature=0.0, seed=0),
                                                        adapters),
                            mode=mode)

    def _answer_texts(self, system: SystemPrompt, messages: tuple[Message, ...], prompt: RenderedPrompt,
                      options: tuple[str, ...], mode: ChoiceMode) -> list[str | None]:
        """The text whose tokens start with the prompt's, then each option's scored tokens: an
        OpenAI-compatible server is sent text (None: llama.cpp's server is sent the ids)."""
        if not isinstance(self._dialect, OpenAIDialect):
            return [None] * len(options)
        if mode is ChoiceMode.PREFIX:
            return [prompt.text + option for option in options]
        dialect = self._scorer()
        return [dialect.render_text(system, messages + (Message("assistant", option),),
                                    add_generation_prompt=False)[0] for option in options]

    def _answer(self, system: SystemPrompt, messages: tuple[Message, ...], prompt: RenderedPrompt,
                option: str, mode: ChoiceMode) -> AnswerTokens:
        dialect = self._scorer()
        if mode is ChoiceMode.PREFIX:
            ids = dialect.tokenize(option)
            if not ids:
                raise RequestError(f"Option {option!r} has no tokens.")
            return AnswerTokens(tuple(ids))
        text, _ = dialect.render_text(system, messages + (Message("assistant", option),),
                                      add_generation_prompt=False)
        if isinstance(dialect, OpenAIScoring):
            end = set(dialect.model.end_ids)
        else:
            end = set(dialect.tokenize_prompt(self.facts.eos)) if self.facts.eos else set()
        kinds = TokenKinds(is_end=lambda t: t in end, is_control=lambda t: self._kind(t)[0],
                           is_blank=lambda t: self._kind(t)[1],
                           describe=lambda ids: "".join(self._kind(t)[2] for t in ids))
        return complete_answer(option, prompt.token_ids, dialect.tokenize_prompt(text), kinds)

    def _kind(self, token: int) -> tuple[bool, bool, str]:
        """(is a special token, is whitespace, its text), asked of the server once per token."""
        kind = self._kinds.get(token)
        if kind is None and self._scoring is not None and isinstance(self._dialect, OpenAIDialect):
            model = self._scoring.model
            kind = self._kinds[token] = (model.is_control(token), not model.text(token).strip(), model.text(token))
        if kind is None:
            dialect = self._native()
            text = dialect.token_texts((token,))[0]
            control = bool(text) and dialect.tokenize(text) != [token]
            kind = self._kinds[token] = (control, not text.strip(), text)
        return kind

    # ----- what a remote engine does not do ---------------------------------------------------

    def compare(self, request: CompareRequest) -> RemoteComparison:
        """The lanes one after another, pairs over their top-k (engine/remote/compare.py)."""
        self.start()
        if not isinstance(self._dialect, LlamaCppDialect):
            raise UnsupportedError("compare needs a local engine or llama.cpp's server: an "
                                   "OpenAI-compatible server reports no token ids (docs/remote.md).")
        return RemoteComparison(self, request)

    def worker_memory(self) -> tuple[WorkerMemory, ...]:
        return ()

    def release_extra_workers(self) -> None:
        return None

    def cancel(self) -> None:
        """Close every streaming connection: llama.cpp's server stops that slot's generation."""
        for stream in list(self._streams):
            stream.cancel()

    def close(self) -> None:
        self.cancel()

    def __enter__(self) -> RemoteBackend:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _complete_text(raw: bytes) -> str:
    """The longest prefix of `raw` that is whole UTF-8 characters, decoded."""
    for cut in range(len(raw), max(-1, len(raw) - 4), -1):
        try:
            return raw[:cut].decode("utf-8")
        except UnicodeDecodeError:
            continue
    return raw.decode("utf-8", errors="backslashreplace")


__all__ = ["RemoteBackend", "RemoteGeneration", "WrongApiError"]
