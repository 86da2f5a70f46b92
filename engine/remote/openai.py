"""OpenAI-compatible servers (llama-cpp-python's server, vLLM, Ollama): chat completions with logprobs.

None of them exposes the model's chat template in a portable way, so the conversation goes to
`/v1/chat/completions` and the server renders it (`template_rendering = "chat-endpoint"`: the
prompt's text and token ids are not known; the provenance says so). Each position reports the
chosen token and up to 20 alternatives (`logprobs`, `top_logprobs`: the API's limit) as text and
bytes; token ids only where the server gives them (vLLM's `return_tokens_as_token_ids`), else -1.
Adapters are refused (use llama.cpp's server). Forced scoring (`choose`, `score`) goes through
the legacy `/v1/completions` with `echo` instead, when a local copy of the model gives the chat
template (engine/remote/openai_scoring.py); without one it is refused.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

from ..chat_template import conversation
from ..types import GenerationRequest, Message, RenderedPrompt, SystemPrompt, TokenAlternative, TokenStep
from .errors import WrongApiError
from .http import HttpClient, HttpError, SseStream
from .llamacpp import ServerFacts
from .topk import remote_step

TOP_LOGPROBS_LIMIT = 20
FINISH = {"stop": "stop", "length": "length"}


def _token(entry: dict[str, Any]) -> tuple[int, str, bytes]:
    text = str(entry.get("token", ""))
    token = -1
    if text.startswith("token_id:"):
        token, text = int(text[9:]), ""
    raw = entry.get("bytes")
    piece = bytes(raw) if isinstance(raw, list) else text.encode("utf-8")
    return token, text or piece.decode("utf-8", errors="backslashreplace"), piece


class OpenAIDialect:
    name = "openai"

    def __init__(self, client: HttpClient) -> None:
        self.client = client
        self.facts: ServerFacts | None = None

    def probe(self) -> ServerFacts:
        try:
            models = self.client.get("/v1/models")
        except HttpError as exc:
            raise WrongApiError(f"{self.client.base} has neither llama.cpp's /props nor /v1/models: "
                                f"not a llama.cpp or OpenAI-compatible server ({exc.msg}).") from None
        data = models.get("data") if isinstance(models, dict) else None
        if not data:
            raise WrongApiError(f"{self.client.base}/v1/models lists no model: not an OpenAI-compatible server?")
        model = data[0]
        meta = model.get("meta") or {}
        self.facts = ServerFacts(
            model_id=str(model.get("id", "")), model_path=str(model.get("id", "")),
            version="", n_vocab=int(meta.get("n_vocab") or 0),
            n_ctx=int(meta.get("n_ctx") or model.get("max_model_len") or 0),
            n_ctx_train=int(meta.get("n_ctx_train") or 0), size_bytes=int(meta.get("size") or 0),
            chat_template="", bos="", eos="", adapters=(),
        )
        return self.facts

    def render(self, system: SystemPrompt, messages: tuple[Message, ...]) -> RenderedPrompt:
        return RenderedPrompt("", (), "chat-endpoint")

    def body(self, system: SystemPrompt, messages: tuple[Message, ...], request: GenerationRequest,
             k: int) -> dict[str, Any]:
        s = request.sampling
        assert self.facts is not None
        return {
            "model": self.facts.model_id, "messages": conversation(system, messages), "stream": True,
            "max_tokens": request.max_tokens, "temperature": max(0.0, s.temperature), "top_p": s.top_p,
            "seed": s.seed, "logprobs": True, "top_logprobs": min(max(k, 1), TOP_LOGPROBS_LIMIT),
            # Understood by llama-cpp-python and vLLM, ignored elsewhere:
            "top_k": s.top_k, "min_p": s.min_p, "repeat_penalty": s.repeat_penalty,
            "return_tokens_as_token_ids": True,
        }

    def open_stream(self, body: dict[str, Any]) -> SseStream:
        return self.client.stream("/v1/chat/completions", body)

    def steps(self, stream: SseStream, k: int, full: bool, finish: list[str]) -> Iterator[TokenStep]:
        i = 0
        for event in stream.events():
            for choice in event.get("choices") or ():
                logprobs = choice.get("logprobs") or {}
                for entry in logprobs.get("content") or ():
                    token, text, piece = _token(entry)
                    reported = []
                    for alt in entry.get("top_logprobs") or ():
                        alt_id, alt_text, alt_piece = _token(alt)
                        lp = float(alt["logprob"]) if alt.get("logprob") is not None else -math.inf
                        reported.append(TokenAlternative(alt_id, alt_text, lp, alt_piece))
                    logprob = float(entry["logprob"]) if entry.get("logprob") is not None else math.nan
                    yield remote_step(i, token, text, piece, logprob, reported, k, False)
                    i += 1
                if choice.get("finish_reason"):
                    finish.append(FINISH.get(str(choice["finish_reason"]), "stop"))
