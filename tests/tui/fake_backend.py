"""A scripted Backend for the TUI tests: deterministic tokens and distributions, no llama.cpp.

Each generation answers with the next script entry (a list of token texts). Tests can make a
generation block after N tokens (`hold_after`) to exercise cancel and keystrokes mid-stream, make
any call raise (`fail_next`), make the next generation fail mid-stream after N tokens
(`fail_after`, as LocalBackend does when its worker dies: the steps sent so far stay in the
stream's `steps`, and a dead worker's model info is gone until the next request), and read back
every request (generation and choice) and adapter set it received. `choose` scores options
from the same scripted distributions.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Iterator
from dataclasses import replace

from engine.errors import AdapterError, EngineError, WorkerDiedError
from engine.types import (
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
            step = make_step(n, text, seed=offset)
            steps.append(step)
            yield step
        else:
            if len(self.tokens) > self.request.max_tokens:
                finish = "length"
            else:
                end = replace(make_step(len(steps), "", seed=offset), id=END_ID)
                steps.append(end)
                yield end
        self.result = GenerationResult(tuple(steps), "".join(s.text for s in steps), finish,
                                       b.provenance(self.request), 42.0, 0.01, 0.1)


class FakeBackend:
    capabilities = Capabilities()

    def __init__(self, script: list[list[str]] | None = None, n_ctx: int = 2048) -> None:
        self.config = ModelConfig("/models/fake-model.gguf", n_ctx=n_ctx)
        self.script = script or [["Yes", ",", " the", " sky", " is", " blue", "."]]
        self.calls = 0
        self.requests: list[GenerationRequest] = []
        self.choice_requests: list[ChoiceRequest] = []
        self.adapter_sets: list[tuple[AdapterSpec, ...]] = []
        self.loaded: list[ModelConfig] = []
        self.fail_next: EngineError | None = None
        self.fail_after: tuple[int, EngineError] | None = None  # the next generation's (n, error)
        self.hold_after: int | None = None
        self.holding = threading.Event()
        self.release = threading.Event()
        self.cancel_event = threading.Event()
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
        return [token_id(piece) for piece in self._pieces(text)]

    def cancel(self) -> None:
        self.cancel_event.set()
        self.release.set()

    def close(self) -> None:
        self.closed = True


DEFAULT_SAMPLING = SamplingSettings(temperature=0.0, seed=1)
