"""A scripted Backend for the TUI tests: deterministic tokens and distributions, no llama.cpp.

Each generation answers with the next script entry (a list of token texts). Tests can make a
generation block after N tokens (`hold_after`) to exercise cancel and keystrokes mid-stream, make
any call raise (`fail_next`), make the next generation fail mid-stream after N tokens
(`fail_after`, as LocalBackend does when its worker dies: the steps sent so far stay in the
stream's `steps`, and a dead worker's model info is gone until the next request; the next
comparison likewise with `compare_fail_after`), and read back
every request (generation and choice) and adapter set it received. `choose` scores options
from the same scripted distributions. `compare` answers each lane with its entry of
`compare_scripts` (by default the first script entry, and for lane k > 0 the same with its fourth
token replaced, so the lanes differ from position 3), each lane's distributions shifted by its
index; each pair's divergences are computed from the two lanes' top-k (plus the rest's mass).
Teacher-forced, every lane takes the forced_from lane's script, or the texts of `forced_ids` (as
`tokenize` gave them).
`distribution` marks every step the backend makes ("full" by default; "top-k+rest" as a remote
engine's), and FakeRemoteBackend adds what a RemoteBackend has: remote capabilities, `origin()`
and `describe()`.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Iterator
from dataclasses import replace

from engine.compare import CompareRequest, CompareResult, CompareStep, PairDivergence
from engine.compare.divergence import summarise_pairs
from engine.errors import AdapterError, EngineError, WorkerDiedError
from engine.process_memory import WorkerMemory
from engine.types import (
    DISTRIBUTION_FULL,
    DISTRIBUTION_TOP_K,
    AdapterSpec,
    Capabilities,
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
    SystemMode,
    SystemPrompt,
    TokenAlternative,
    TokenStep,
)

VOCAB = ["Yes", ",", " the", " sky", " is", " blue", ".", " No", " maybe", " red", " green", "!"]
END_ID = 999


def token_id(text: str) -> int:
    return VOCAB.index(text) if text in VOCAB else 100 + sum(map(ord, text)) % 800


def make_step(i: int, text: str, seed: int = 0) -> TokenStep:
    """A step whose chosen token has a probability that varies with position, deterministically."""
    p = [0.9, 0.55, 0.3, 0.75, 0.12, 0.97][(i + seed) % 6]
    others = [t for t in VOCAB if t != text][:4]
    rest = (1 - p) * 0.9
    probs = [p] + [rest * w for w in (0.5, 0.25, 0.15, 0.1)]
    alts = [TokenAlternative(token_id(text), text, math.log(p))]
    alts += [TokenAlternative(token_id(t), t, math.log(q)) for t, q in zip(others, probs[1:], strict=False)]
    alts.sort(key=lambda a: -a.logprob)
    rank = next(n for n, a in enumerate(alts) if a.text == text)
    entropy = -sum(q * math.log(q) for q in probs)
    return TokenStep(i, token_id(text) if text else END_ID, text, text.encode(), math.log(p),
                     entropy, rank, tuple(alts))


class FakeGeneration:
    def __init__(self, backend: FakeBackend, request: GenerationRequest, tokens: list[str]) -> None:
        self.backend, self.request, self.tokens = backend, request, tokens
        self.result: GenerationResult | None = None
        self.steps: list[TokenStep] = []  # every step yielded so far, also after a failure
        self.fail_after, backend.fail_after = backend.fail_after, None

    def __iter__(self) -> Iterator[TokenStep]:
        b = self.backend
        b.cancel_event.clear()
        steps = self.steps
        finish = "stop"
        offset = len(self.request.continue_from)
        for n, text in enumerate(self.tokens[: self.request.max_tokens]):
            if self.fail_after is not None and n == self.fail_after[0]:
                if isinstance(self.fail_after[1], WorkerDiedError):
                    b._info = None  # as LocalBackend forgets a dead worker's model
                raise self.fail_after[1]
            if n == b.hold_after:
                b.holding.set()
                b.release.wait(10)
            if b.cancel_event.is_set():
                finish = "cancelled"
                break
            step = b.marked(make_step(n, text, seed=offset))
            steps.append(step)
            yield step
        else:
            if len(self.tokens) > self.request.max_tokens:
                finish = "length"
            else:
                end = b.marked(replace(make_step(len(steps), "", seed=offset), id=END_ID))
                steps.append(end)
                yield end
        self.result = GenerationResult(tuple(steps), "".join(s.text for s in steps), finish,
                                       b.provenance(self.request), 42.0, 0.01, 0.1)


LANE_WORDS = [" red", " green", " maybe"]  # lane k's fourth token in the default compare scripts
_FLOOR = 1e-4  # the probability a lane gives a token outside its top-k


def _distribution(step: TokenStep, ids: list[int]) -> list[float]:
    """The step's probabilities over `ids` (its top-k, a floor elsewhere) and the rest, normalised."""
    own = {a.id: a.prob for a in step.top}
    probs = [own.get(i, _FLOOR) for i in ids]
    probs.append(max(1e-9, 1 - sum(own.values())))
    total = sum(probs)
    return [p / total for p in probs]


def _kl(p: list[float], q: list[float]) -> float:
    return max(0.0, math.fsum(a * math.log(a / b) for a, b in zip(p, q, strict=True) if a > 0))


def fake_pair(a: int, b: int, sa: TokenStep, sb: TokenStep) -> PairDivergence:
    ids = sorted({t.id for t in sa.top} | {t.id for t in sb.top} | {sa.id, sb.id})
    p, q = _distribution(sa, ids), _distribution(sb, ids)
    mid = [(x + y) / 2 for x, y in zip(p, q, strict=True)]
    js = min(math.log(2), 0.5 * _kl(p, mid) + 0.5 * _kl(q, mid))
    return PairDivergence(a, b, _kl(p, q), _kl(q, p), js, sa.id != sb.id,
                          math.log(p[ids.index(sb.id)]), math.log(q[ids.index(sa.id)]))


class FakeComparison:
    """A comparison of scripted lanes, in lockstep: CompareSteps, then its CompareResult."""

    def __init__(self, backend: FakeBackend, request: CompareRequest, scripts: list[list[str]]) -> None:
        self.backend, self.request, self.scripts = backend, request, scripts
        self.result: CompareResult | None = None
        self.steps: list[CompareStep] = []
        self.fail_after, backend.compare_fail_after = backend.compare_fail_after, None

    def __iter__(self) -> Iterator[CompareStep]:
        b, request = self.backend, self.request
        b.cancel_event.clear()
        names = [lane.name for lane in request.lanes]
        if request.forced_from:
            leader = self.scripts[names.index(request.forced_from)][: request.max_tokens]
            texts = [leader + [""] for _ in names]  # every lane on the leader's answer, its end included
        elif request.forced_ids:  # every lane on the given tokens (as tokenize() gave them), no end
            texts = [[b.token_texts.get(i, "?") for i in request.forced_ids] for _ in names]
        else:
            texts = [script[: request.max_tokens] + ([""] if len(script) <= request.max_tokens else [])
                     for script in self.scripts]
        finish: list[str | None] = [None] * len(names)
        lanes: list[list[TokenStep]] = [[] for _ in names]
        for position in range(max(len(t) for t in texts)):
            if self.fail_after is not None and position == self.fail_after[0]:
                if isinstance(self.fail_after[1], WorkerDiedError):
                    b._info = None  # as LocalBackend forgets a dead worker's model
                raise self.fail_after[1]
            if position == b.hold_after:
                b.holding.set()
                b.release.wait(10)
            if b.cancel_event.is_set():
                finish = [f or "cancelled" for f in finish]
                break
            steps: list[TokenStep | None] = []
            for k, lane_texts in enumerate(texts):
                if finish[k] is not None or position >= len(lane_texts):
                    finish[k] = finish[k] or ("forced" if request.forced else "length")
                    steps.append(None)
                    continue
                text = lane_texts[position]
                step = make_step(position, text, seed=k)
                if not text:
                    step = replace(step, id=END_ID)
                    finish[k] = "forced" if request.forced else "stop"
                step = b.marked(replace(step, forced=request.forced))
                lanes[k].append(step)
                steps.append(step)
            live = [(k, s) for k, s in enumerate(steps) if s is not None]
            pairs = tuple(fake_pair(a, c, sa, sc) for n, (a, sa) in enumerate(live) for c, sc in live[n + 1:])
            compared = CompareStep(position, tuple(steps), pairs)
            self.steps.append(compared)
            yield compared
        if request.forced_ids:
            finish = [f or "forced" for f in finish]
        results = []
        for k, lane in enumerate(request.lanes):
            provenance = b.provenance(GenerationRequest(request.messages, lane.configuration.system, lane.sampling))
            provenance = replace(provenance, adapters=lane.configuration.adapters)
            results.append(GenerationResult(tuple(lanes[k]), "".join(s.text for s in lanes[k]),
                                            finish[k] or "length", provenance, 42.0, 0.01, 0.1))
        self.result = CompareResult(tuple(results), tuple(names), summarise_pairs(len(names), self.steps),
                                    bool(request.forced_from))


class FakeBackend:
    capabilities = Capabilities()
    distribution = DISTRIBUTION_FULL  # what every step's entropy and rank are over

    def marked(self, step: TokenStep) -> TokenStep:
        return step if self.distribution == DISTRIBUTION_FULL else replace(step, distribution=self.distribution)

    def __init__(self, script: list[list[str]] | None = None, n_ctx: int = 2048) -> None:
        self.config = ModelConfig("/models/fake-model.gguf", n_ctx=n_ctx)
        self.script = script or [["Yes", ",", " the", " sky", " is", " blue", "."]]
        self.calls = 0
        self.requests: list[GenerationRequest] = []
        self.choice_requests: list[ChoiceRequest] = []
        self.compare_requests: list[CompareRequest] = []
        self.extra_models: dict[str, None] = {}  # other models compared on, as extra workers would hold
        self.releases = 0  # release_extra_workers() calls
        self.compare_scripts: list[list[str]] | None = None  # per lane; None: the default (see the docstring)
        self.adapter_sets: list[tuple[AdapterSpec, ...]] = []
        self.loaded: list[ModelConfig] = []
        self.fail_next: EngineError | None = None
        self.fail_after: tuple[int, EngineError] | None = None  # the next generation's (n, error)
        self.compare_fail_after: tuple[int, EngineError] | None = None  # the next comparison's (position, error)
        self.hold_after: int | None = None
        self.holding = threading.Event()
        self.release = threading.Event()
        self.cancel_event = threading.Event()
        self.token_texts: dict[int, str] = {token_id(t): t for t in VOCAB}  # what tokenize() gave, by id
        self.closed = False
        self._info: ModelInfo | None = None

    def _maybe_fail(self) -> None:
        if self.fail_next is not None:
            error, self.fail_next = self.fail_next, None
            raise error

    def _make_info(self, config: ModelConfig) -> ModelInfo:
        name = config.model_path.rsplit("/", 1)[-1].removesuffix(".gguf")
        return ModelInfo(config.model_path, "0" * 64, name, "llama", len(VOCAB), config.n_ctx,
                         8192, True, 1000)

    def start(self) -> ModelInfo:
        self._maybe_fail()
        self._info = self._make_info(self.config)
        return self._info

    def load(self, config: ModelConfig) -> ModelInfo:
        self._maybe_fail()
        self.loaded.append(config)
        self.config = config
        self._info = self._make_info(config)
        return self._info

    @property
    def info(self) -> ModelInfo | None:
        return self._info

    def render(self, system: SystemPrompt, messages: tuple[Message, ...]) -> RenderedPrompt:
        self._maybe_fail()
        parts = []
        if system.mode is not SystemMode.NONE:
            parts.append(f"<|im_start|>system\n{system.text}<|im_end|>\n")
        parts += [f"<|im_start|>{m.role}\n{m.content}<|im_end|>\n" for m in messages]
        text = "".join(parts) + "<|im_start|>assistant\n"
        return RenderedPrompt(text, tuple(range(len(text.split()))), "gguf")

    def provenance(self, request: GenerationRequest) -> Provenance:
        rendered = self.render(request.system, request.messages)
        sampling = request.sampling if request.sampling.seed is not None else replace(request.sampling, seed=7)
        return Provenance(self.config.model_path, "0" * 64, self.config.adapters, request.system,
                          rendered.text, rendered.token_ids, "gguf", sampling, self.config.n_ctx,
                          "0.0-fake", "0.1.0")

    def generate(self, request: GenerationRequest) -> FakeGeneration:
        self._maybe_fail()
        if self._info is None:  # a worker that died starts again with the same configuration
            self._info = self._make_info(self.config)
        self.requests.append(request)
        tokens = self.script[min(self.calls, len(self.script) - 1)]
        self.calls += 1
        return FakeGeneration(self, request, list(tokens))

    def compare(self, request: CompareRequest) -> FakeComparison:
        self._maybe_fail()
        if self._info is None:
            self._info = self._make_info(self.config)
        self.compare_requests.append(request)
        for lane in request.lanes:
            if lane.configuration.model_path not in ("", self.config.model_path):
                self.extra_models[lane.configuration.model_path] = None
        base = self.script[0]
        scripts = self.compare_scripts or [
            base if k == 0 else base[:3] + [LANE_WORDS[(k - 1) % len(LANE_WORDS)]] + base[4:]
            for k in range(len(request.lanes))]
        return FakeComparison(self, request, [scripts[min(k, len(scripts) - 1)] for k in range(len(request.lanes))])

    def choose(self, request: ChoiceRequest) -> ChoiceResult:
        """Each option scored from the scripted distributions: its i-th token's logprob is that
        of the same text among the alternatives of the first script entry's step i (a floor of
        log 0.01 when absent), then an end-of-turn token at log 0.5. The adapters in effect (the
        request's configuration's, else the backend's own) tilt the options: each unit of total
        scale adds 8 nats per position in the list to every option after the first (spread over
        its tokens; no token above probability 1), and the last user message's characters add
        0-0.86 nats to the first option, so paraphrases of one question differ. Raw probabilities
        that would add up to more than 0.99 are scaled down (on the end token) to 0.99."""
        self._maybe_fail()
        self.choice_requests.append(request)
        config = request.configuration
        adapters = config.adapters if config is not None else self.config.adapters
        system = config.system if config is not None else request.system
        tilt = sum(a.scale for a in adapters)
        # a little of the question too (0-0.86 nats on the first option), so paraphrases differ
        bias = sum(map(ord, request.messages[-1].content)) % 7 / 7 if request.messages else 0.0
        script = self.script[0]
        scores = []
        for n, text in enumerate(request.options):
            ids = self.tokenize(text)
            pieces = self._pieces(text)
            logprobs = []
            for i, piece in enumerate(pieces):
                step = make_step(i, script[i] if i < len(script) else "", seed=0)
                logprobs.append(next((a.logprob for a in step.top if a.text == piece), math.log(0.01)))
            logprobs = [min(0.0, lp + (8.0 * tilt * n + (bias if n == 0 else 0.0)) / len(logprobs))
                        for lp in logprobs]
            end = (math.log(0.5),)
            scores.append((text, tuple(ids), tuple(logprobs), end))
        total = sum(math.exp(math.fsum(lp + end)) for _, _, lp, end in scores)
        if total > 0.99:  # distinct complete answers: their raw probabilities add up to at most 1
            excess = math.log(total / 0.99)
            scores = [(text, ids, lp, (end[0] - excess,)) for text, ids, lp, end in scores]
            total = 0.99
        options = tuple(OptionScore(text, ids, lp, math.fsum(lp + end),
                                    math.exp(math.fsum(lp + end)) / total, (END_ID,), end)
                        for text, ids, lp, end in scores)
        rendered = self.render(system, request.messages)
        provenance = Provenance(self.config.model_path, "0" * 64, tuple(adapters), system, rendered.text,
                                rendered.token_ids, "gguf", SamplingSettings(temperature=0.0, seed=0),
                                self.config.n_ctx, "0.0-fake", "0.1.0")
        return ChoiceResult(options, total, provenance, request.mode)

    def _pieces(self, text: str) -> list[str]:
        """The texts of `tokenize(text)`'s tokens."""
        pieces, rest = [], text
        while rest:
            piece = max((v for v in VOCAB if rest.startswith(v)), key=len, default=rest[0])
            pieces.append(piece)
            rest = rest[len(piece):]
        return pieces

    def score(self, request):  # pragma: no cover
        raise EngineError("not scripted")

    def set_adapters(self, adapters: tuple[AdapterSpec, ...]) -> None:
        for spec in adapters:
            if "bad" in spec.path:
                raise AdapterError(f"{spec.path} was trained for another model (n_embd 576 != 64).")
        self.adapter_sets.append(tuple(adapters))
        self.config = replace(self.config, adapters=tuple(adapters))

    def tokenize(self, text: str) -> list[int]:
        """Greedy longest match over VOCAB; any other character is a token of its own."""
        pieces = self._pieces(text)
        self.token_texts.update((token_id(piece), piece) for piece in pieces)
        return [token_id(piece) for piece in pieces]

    def worker_memory(self) -> tuple[WorkerMemory, ...]:
        """The loaded model's worker (300 MB), then one per other model a comparison named (98 MB)."""
        return (WorkerMemory(self.config.model_path, 1000, 300_000_000, False),
                *(WorkerMemory(path, 1001 + n, 98_000_000, True) for n, path in enumerate(self.extra_models)))

    def release_extra_workers(self) -> None:
        self.releases += 1
        self.extra_models.clear()

    def cancel(self) -> None:
        self.cancel_event.set()
        self.release.set()

    def close(self) -> None:
        self.closed = True


REMOTE_CAPABILITIES = Capabilities(full_vocab_logprobs=False, sampler_view=False, lora_hot_swap=True,
                                   lora_scales=True, compare=True)


class FakeRemoteBackend(FakeBackend):
    """The scripted backend as a remote engine: steps "top-k+rest", a RemoteBackend's capabilities,
    origin() and describe() (llama.cpp's server at 127.0.0.1:8080 by default)."""

    distribution = DISTRIBUTION_TOP_K

    def __init__(self, script: list[list[str]] | None = None, url: str = "http://127.0.0.1:8080",
                 dialect: str = "llamacpp", capabilities: Capabilities = REMOTE_CAPABILITIES) -> None:
        super().__init__(script)
        self.url, self.dialect = url, dialect
        self.capabilities = capabilities
        self.config = ModelConfig(url)

    def _make_info(self, config: ModelConfig) -> ModelInfo:
        return ModelInfo("/srv/models/remote-model.gguf", "", "remote-model", "", len(VOCAB), 4096, 8192,
                         True, 1000)

    def origin(self) -> RemoteOrigin:
        return RemoteOrigin(url=self.url, dialect=self.dialect, model_id="remote-model",
                            server_version="b1234-fake", rendering=self.capabilities.template_rendering)

    def describe(self) -> dict:
        return {"url": self.url, "dialect": self.dialect, "model_id": "remote-model",
                "server_version": "b1234-fake", "capabilities": self.capabilities}


DEFAULT_SAMPLING = SamplingSettings(temperature=0.0, seed=1)
