"""llama.cpp's server (`llama-server`), native API: what the server is, prompts, generation, forced tokens.

- Facts: `/props` (model path, chat template, BOS/EOS text, build), `/v1/models` (vocabulary
  size, context), `/lora-adapters` (the adapters loaded with `--lora`, by id).
- Prompts are rendered by us with the template `/props` reports (the same renderer as the local
  engine, engine/chat_template.py) and tokenized by `/tokenize`, so the prompt's text and token
  ids are known exactly; the token ids are what `/completion` is given.
- Generation: `/completion`, streamed, with `n_probs` alternatives per position (log-probabilities
  of the full-vocabulary softmax), the sampler settings and seed, `lora` scales, `cache_prompt`.
- A forced token: one `/completion` of one token after the prefix (the prefix is cached), the
  token forced by a logit bias; the server reports the sampled token's raw log-probability over
  the whole vocabulary, so any token is scored exactly.

The pinned server does not stream a token that ends inside a UTF-8 character (it holds the text
back and never reports that token's probabilities); such a position becomes a step with its id
and bytes (from tokenizing the character it is part of; id -1 when that does not give the
generated tokens back) and no numbers (`logprob`, `entropy` NaN, `rank` -1), see docs/remote.md.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from ..chat_template import ChatTemplate
from ..errors import RequestError
from ..types import (
    DISTRIBUTION_TOP_K,
    GenerationRequest,
    Message,
    RenderedPrompt,
    SystemPrompt,
    TokenAlternative,
    TokenStep,
)
from .errors import WrongApiError
from .http import HttpClient, HttpError, SseStream
from .topk import remote_step

MIN_REPORTED = 20  # alternatives asked for at least, so entropy's rest bucket is small
FINISH = {"eos": "stop", "word": "stop", "limit": "length"}


@dataclass(frozen=True)
class ServerFacts:
    model_id: str
    model_path: str
    version: str
    n_vocab: int
    n_ctx: int
    n_ctx_train: int
    size_bytes: int
    chat_template: str
    bos: str
    eos: str
    adapters: tuple[tuple[int, str], ...]  # (id, path) as /lora-adapters lists them


def _piece(entry: dict[str, Any]) -> bytes:
    raw = entry.get("bytes")
    return bytes(raw) if isinstance(raw, list) else str(entry.get("token", "")).encode("utf-8")


def _text(piece: bytes) -> str:
    return piece.decode("utf-8", errors="backslashreplace")


def alternatives(entry: dict[str, Any]) -> list[TokenAlternative]:
    return [TokenAlternative(int(a["id"]), _text(_piece(a)), float(a["logprob"]), _piece(a))
            for a in entry.get("top_logprobs", ())]


class LlamaCppDialect:
    name = "llamacpp"

    def __init__(self, client: HttpClient) -> None:
        self.client = client
        self.facts: ServerFacts | None = None
        self._template: ChatTemplate | None = None
        self._add_bos = False

    def probe(self) -> ServerFacts:
        try:
            props = self.client.get("/props")
        except HttpError as exc:
            raise WrongApiError(f"{self.client.base} has no /props: not llama.cpp's server "
                                f"({exc.msg}). For an OpenAI-compatible server use openai+http://...") from None
        if not isinstance(props, dict) or "default_generation_settings" not in props:
            raise WrongApiError(f"{self.client.base}/props is not llama.cpp's: not llama.cpp's server?")
        models = self.client.get("/v1/models")
        model = (models.get("data") or [{}])[0] if isinstance(models, dict) else {}
        meta = model.get("meta") or {}
        try:
            loras = self.client.get("/lora-adapters")
        except HttpError:
            loras = []
        settings = props["default_generation_settings"]
        self.facts = ServerFacts(
            model_id=str(model.get("id") or props.get("model_alias") or ""),
            model_path=str(props.get("model_path") or ""),
            version=str(props.get("build_info") or ""),
            n_vocab=int(meta.get("n_vocab") or 0),
            n_ctx=int(settings.get("n_ctx") or meta.get("n_ctx") or 0),
            n_ctx_train=int(meta.get("n_ctx_train") or 0),
            size_bytes=int(meta.get("size") or 0),
            chat_template=str(props.get("chat_template") or ""),
            bos=str(props.get("bos_token") or ""),
            eos=str(props.get("eos_token") or ""),
            adapters=tuple((int(a["id"]), str(a.get("path", ""))) for a in loras or ()),
        )
        self._template = ChatTemplate(self.facts.chat_template or None, self.facts.bos, self.facts.eos)
        # Whether the model adds BOS: tokenizing nothing with special tokens says.
        self._add_bos = bool(self.client.post("/tokenize", {"content": "", "add_special": True},
                                              idempotent=True)["tokens"])
        return self.facts

    # ----- prompts ---------------------------------------------------------------------------

    def render_text(self, system: SystemPrompt, messages: tuple[Message, ...],
                    add_generation_prompt: bool = True) -> tuple[str, str]:
        assert self._template is not None, "probe() first"
        return self._template.render(system, messages, add_generation_prompt), self._template.kind

    def render(self, system: SystemPrompt, messages: tuple[Message, ...]) -> RenderedPrompt:
        text, kind = self.render_text(system, messages)
        return RenderedPrompt(text, tuple(self.tokenize_prompt(text)), kind)

    def tokenize_prompt(self, text: str) -> list[int]:
        bos = self.facts.bos if self.facts else ""
        add = self._add_bos and not (bos and text.startswith(bos))
        return self._tokenize(text, add_special=add, parse_special=True)

    def tokenize(self, text: str) -> list[int]:
        return self._tokenize(text, add_special=False, parse_special=False)

    def _tokenize(self, text: str, add_special: bool, parse_special: bool) -> list[int]:
        reply = self.client.post("/tokenize", {"content": text, "add_special": add_special,
                                               "parse_special": parse_special}, idempotent=True)
        return [int(t) for t in reply["tokens"]]

    def token_texts(self, ids: tuple[int, ...]) -> tuple[str, ...]:
        return tuple(self.client.post("/detokenize", {"tokens": [t]}, idempotent=True)["content"] for t in ids)

    # ----- generation ------------------------------------------------------------------------

    def completion_body(self, prompt: list[int], request: GenerationRequest, lora: list[dict[str, Any]],
                        n_probs: int) -> dict[str, Any]:
        s = request.sampling
        return {
            "prompt": prompt, "n_predict": request.max_tokens, "stream": True,
            "n_probs": n_probs, "post_sampling_probs": False, "return_tokens": True,
            "cache_prompt": True, "lora": lora, "seed": s.seed,
            "temperature": max(0.0, s.temperature), "top_k": s.top_k, "top_p": s.top_p, "min_p": s.min_p,
            "repeat_penalty": s.repeat_penalty, "repeat_last_n": s.repeat_last_n,
            "presence_penalty": 0.0, "frequency_penalty": 0.0, "dry_multiplier": 0.0,
            "xtc_probability": 0.0, "typical_p": 1.0, "mirostat": 0,
            "samplers": ["penalties", "top_k", "top_p", "min_p", "temperature"],
        }

    def open_stream(self, body: dict[str, Any]) -> SseStream:
        return self.client.stream("/completion", body)

    def steps(self, stream: SseStream, k: int, full: bool, finish: list[str]) -> Iterator[TokenStep]:
        """The steps of a streamed `/completion`; `finish` gets the finish reason at the end."""
        i = 0
        for event in stream.events():
            for entry in event.get("completion_probabilities") or ():
                predicted = int(event.get("tokens_predicted") or i + 1)
                token, text = int(entry["id"]), str(event.get("content", ""))
                reported = alternatives(entry)
                # The entry's bytes are those of the text sent; the token's own are its top entry's.
                piece = next((a.piece for a in reported if a.id == token and a.piece is not None), _piece(entry))
                if predicted - 1 > i:  # tokens the server held back (they end mid-character)
                    yield from self._held_steps(i, predicted - 1 - i, text, token, piece)
                    i = predicted - 1
                yield remote_step(i, token, text, piece, float(entry["logprob"]), reported, k, full)
                i += 1
            if event.get("stop"):
                finish.append("context" if event.get("truncated") else
                              FINISH.get(str(event.get("stop_type")), "length"))
                return

    def _held_steps(self, i: int, n: int, text: str, token: int, piece: bytes) -> Iterator[TokenStep]:
        """Steps for the `n` tokens before `token` that the server never reported: their ids and
        bytes from tokenizing the character they complete (when that gives back `token` last),
        their numbers unknown (NaN)."""
        held = text.encode("utf-8")
        held = held[:len(held) - len(piece)] if held.endswith(piece) else held
        tokens = self.client.post("/tokenize", {"content": text, "add_special": False, "parse_special": False,
                                                "with_pieces": True}, idempotent=True)["tokens"]
        pieces = [(int(t["id"]), bytes(t["piece"]) if isinstance(t["piece"], list) else str(t["piece"]).encode())
                  for t in tokens]
        if (len(pieces) == n + 1 and pieces[-1][0] == token
                and b"".join(p for _, p in pieces[:-1]) == held):
            for j, (held_id, held_piece) in enumerate(pieces[:-1]):
                yield _unknown_step(i + j, held_id, held_piece)
            return
        for j in range(n):
            yield _unknown_step(i + j, -1, held if j == n - 1 else b"")

    def forced_position(self, prefix: list[int], token: int, k: int, n_probs: int,
                        lora: list[dict[str, Any]]) -> tuple[float, list[TokenAlternative], bytes]:
        """`token`'s raw log-probability after `prefix`, the alternatives there, its bytes."""
        if not 0 <= token < (self.facts.n_vocab if self.facts and self.facts.n_vocab else 1 << 31):
            raise RequestError(f"Token id {token} is outside the server model's vocabulary.")
        body = {"prompt": prefix, "n_predict": 1, "n_probs": max(1, n_probs), "temperature": 0.0,
                "logit_bias": [[token, 1000.0]], "cache_prompt": True, "lora": lora,
                "return_tokens": True, "samplers": ["temperature"], "stream": False}
        reply = self.client.post("/completion", body)
        probs = reply.get("completion_probabilities") or []
        if not probs or int(probs[0]["id"]) != token:
            raise RequestError(f"llama.cpp's server did not report token {token} after the prefix "
                               f"(a token that ends inside a UTF-8 character is never reported): "
                               f"this position cannot be scored remotely.")
        return float(probs[0]["logprob"]), alternatives(probs[0]), _piece(probs[0])


def _unknown_step(i: int, token: int, piece: bytes) -> TokenStep:
    return TokenStep(i=i, id=token, text="", piece=piece, logprob=math.nan, entropy=math.nan, rank=-1,
                     top=(), distribution=DISTRIBUTION_TOP_K)
