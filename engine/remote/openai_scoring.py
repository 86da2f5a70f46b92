"""Forced scoring (`choose`, `score`) on an OpenAI-compatible server, through the legacy `/v1/completions`.

The chat endpoint only reports logprobs of tokens the server sampled. `/v1/completions` with
`echo: true` and `logprobs: K` reports them for the prompt's own tokens too, so a forced
continuation is scored by sending prompt + continuation as the prompt and reading the
continuation's positions (`choices[0].logprobs`: `tokens`, `token_logprobs`, `top_logprobs`,
the top-K keyed by text, without token ids). vLLM also answers `prompt_logprobs: K` (its
extension: per prompt token a map from token id to `logprob`, `rank`, `decoded_token`), which
is preferred when present. `max_tokens` is 1: llama-cpp-python's server reads 0 as "no limit".

Two things must be exact, or the numbers are of another question:
- the prompt is the chat-rendered prompt: rendered here with the template of a local copy of
  the same model (engine/remote/model_template.py, `--model PATH` alongside `--engine`): the
  servers do not expose theirs; without it scoring is refused;
- the token boundary: the prompt and prompt + continuation are tokenized by the server's own
  tokenizer (llama-cpp-python's `/extras/tokenize`, vLLM's `/tokenize`) and scoring is refused
  unless they are the prompt's tokens followed by exactly the tokens being scored.

Each position's numbers are mapped into the local engine's TokenStep (forced, `top-k+rest`).
llama-cpp-python's echo drops every token whose id is BOS from the reported list and is off by
one position when the prompt does not start with BOS (checked: refused); positions are counted
from the end of the reported list for that reason.
"""

from __future__ import annotations

import math
from typing import Any

from ..errors import RequestError
from ..types import Message, RenderedPrompt, SystemPrompt, TokenAlternative, TokenStep
from .errors import UnsupportedError
from .http import HttpClient, HttpError
from .model_template import ModelTemplate
from .topk import remote_step

LLAMA_CPP_PYTHON_TOKENIZE = "/extras/tokenize"
VLLM_TOKENIZE = "/tokenize"
ASKED_LOGPROBS = 20  # alternatives asked per position (the usual server limit)


def _alternatives(top: dict[str, Any] | None) -> list[TokenAlternative]:
    """The legacy `top_logprobs` entry (text -> logprob): alternatives without ids."""
    return [TokenAlternative(-1, text, float(lp), text.encode("utf-8"))
            for text, lp in (top or {}).items() if lp is not None]


def _vllm_position(entry: dict[str, Any] | None, token: int) -> tuple[float, list[TokenAlternative]]:
    """vLLM's `prompt_logprobs` entry at one position: {id: {logprob, rank, decoded_token}}."""
    if not entry or str(token) not in entry:
        raise RequestError(f"vLLM's prompt_logprobs does not report token {token} at its position.")
    reported = [TokenAlternative(int(tid), str(d.get("decoded_token") or ""), float(d["logprob"]),
                                 str(d.get("decoded_token") or "").encode("utf-8"))
                for tid, d in entry.items() if d.get("logprob") is not None]
    return float(entry[str(token)]["logprob"]), reported


def forced_positions(choice: dict[str, Any], sent: list[int], start: int, n: int, bos: int,
                     generated: int) -> list[tuple[float, list[TokenAlternative]]]:
    """(logprob, alternatives) of `sent[start:start + n]` from an echoed completion's choice.

    `prompt_logprobs` (vLLM) is indexed like `sent`. The legacy `logprobs` lists are counted
    from their end: the last `generated` entries are the sampled tokens, before them the
    tokens of `sent` after the scored ones; a server may leave BOS tokens out before them.
    """
    prompt_logprobs = choice.get("prompt_logprobs")
    if isinstance(prompt_logprobs, list) and len(prompt_logprobs) >= start + n:
        return [_vllm_position(prompt_logprobs[start + j], sent[start + j]) for j in range(n)]
    logprobs = choice.get("logprobs") or {}
    values, tops = logprobs.get("token_logprobs") or [], logprobs.get("top_logprobs") or []
    tail = len(sent) - start - n
    expected = {len(sent) + generated, len(sent) - 1 + generated,
                len(sent) - sent.count(bos) + generated}
    if bos in sent[start:] or len(values) not in expected or len(tops) != len(values):
        raise UnsupportedError(f"The server's echoed logprobs ({len(values)} positions for {len(sent)} "
                               f"prompt tokens and {generated} generated) cannot be lined up with the "
                               f"tokens being scored.")
    first = len(values) - generated - tail - n
    out = []
    for j in range(first, first + n):
        if values[j] is None:
            raise UnsupportedError("The server reports no logprob for a scored position.")
        out.append((float(values[j]), _alternatives(tops[j])))
    return out


class OpenAIScoring:
    """Renders, tokenizes and scores forced tokens on one OpenAI-compatible server."""

    def __init__(self, client: HttpClient, model_id: str, model: ModelTemplate) -> None:
        self.client = client
        self.model_id = model_id
        self.model = model
        self.template = model.template()
        self._tokenize_path: str | None = None

    # ----- tokens ----------------------------------------------------------------------------

    def _tokenize(self, text: str) -> list[int]:
        """The server's tokens for `text` as its completions endpoint sees a text prompt."""
        paths = [self._tokenize_path] if self._tokenize_path else [LLAMA_CPP_PYTHON_TOKENIZE, VLLM_TOKENIZE]
        for path in paths:
            body = ({"input": text} if path == LLAMA_CPP_PYTHON_TOKENIZE else
                    {"model": self.model_id, "prompt": text, "add_special_tokens": True})
            try:
                reply = self.client.post(path, body, idempotent=True)
            except HttpError as exc:
                if exc.status in (404, 405, 422) and not self._tokenize_path:
                    continue
                raise
            if isinstance(reply, dict) and isinstance(reply.get("tokens"), list):
                self._tokenize_path = path
                return [int(t) for t in reply["tokens"]]
        raise UnsupportedError(f"{self.client.base} has no tokenizer endpoint (llama-cpp-python's "
                               f"/extras/tokenize, vLLM's /tokenize), so the boundary between prompt and "
                               f"scored tokens cannot be checked: forced scoring there is refused. Use "
                               f"llama.cpp's server (docs/remote.md).")

    def _sendable(self, text: str) -> str:
        """`text` as sent: without a leading BOS string when the server adds BOS itself."""
        bos = self.model.special_text(self.model.bos_id)
        return text[len(bos):] if self.model.add_bos and bos and text.startswith(bos) else text

    def tokenize_prompt(self, text: str) -> list[int]:
        return self._tokenize(self._sendable(text))

    def tokenize(self, text: str) -> list[int]:
        """Plain text's tokens, without the BOS the server would add."""
        ids = self._tokenize(text)
        return ids[1:] if self.model.add_bos and ids[:1] == [self.model.bos_id] else ids

    # ----- prompts ---------------------------------------------------------------------------

    def render_text(self, system: SystemPrompt, messages: tuple[Message, ...],
                    add_generation_prompt: bool = True) -> tuple[str, str]:
        """The rendered text and the template's kind ("gguf", "fallback"), as llama.cpp's dialect."""
        return self.template.render(system, messages, add_generation_prompt), self.template.kind

    def render(self, system: SystemPrompt, messages: tuple[Message, ...]) -> RenderedPrompt:
        text, kind = self.render_text(system, messages)
        return RenderedPrompt(text, tuple(self.tokenize_prompt(text)), kind)

    def raw(self, text: str) -> RenderedPrompt:
        return RenderedPrompt(text, tuple(self.tokenize_prompt(text)), "raw")

    # ----- scoring ---------------------------------------------------------------------------

    def force(self, prompt: RenderedPrompt, forced: list[int], k: int, text: str | None = None,
              full_vocab: bool = False) -> list[TokenStep]:
        """Steps for `forced` after `prompt`, from one echoed completion of `text` (default: the
        prompt's text and the forced tokens' text), whose tokens must be the prompt's, then
        `forced`, then anything (not scored)."""
        if not prompt.token_ids:
            raise RequestError("Cannot score from an empty prompt: there is no first distribution.")
        if not forced:
            raise RequestError("The continuation to score is empty.")
        text = prompt.text + b"".join(self.model.piece(t) for t in forced).decode("utf-8", "replace") \
            if text is None else text
        sent = self.tokenize_prompt(text)
        start, n = len(prompt.token_ids), len(forced)
        if sent[:start] != list(prompt.token_ids) or sent[start:start + n] != forced:
            raise UnsupportedError(
                "The server tokenizes the prompt followed by the scored text differently from the "
                "prompt's tokens followed by the scored tokens (they merge at the boundary), and it "
                "takes text, not token ids: this continuation cannot be scored there. Use llama.cpp's "
                "server, or a continuation that starts a new token.")
        via_ids = self._tokenize_path == VLLM_TOKENIZE
        if not via_ids and sent[0] != self.model.bos_id:
            raise UnsupportedError(
                "llama-cpp-python's server reports echoed logprobs one position off when the prompt "
                "does not start with the BOS token: this prompt cannot be scored there. Use "
                "llama.cpp's server (docs/remote.md).")
        asked = ASKED_LOGPROBS if k else 1
        body: dict[str, Any] = {
            "model": self.model_id, "prompt": sent if via_ids else self._sendable(text), "echo": True,
            "logprobs": asked, "max_tokens": 1, "temperature": 0.0,
        }
        if via_ids:
            body["prompt_logprobs"] = asked
        try:
            reply = self.client.post("/v1/completions", body)
        except HttpError as exc:
            if exc.status in (404, 405):
                raise UnsupportedError(f"{self.client.base} has no /v1/completions endpoint: forced scoring "
                                       f"there is refused. Use llama.cpp's server (docs/remote.md).") from None
            raise UnsupportedError(f"{self.client.base} refused an echoed completion with logprobs, which "
                                   f"forced scoring needs ({exc.msg}).") from None
        choice = (reply.get("choices") or [{}])[0] if isinstance(reply, dict) else {}
        generated = int((reply.get("usage") or {}).get("completion_tokens", 1)) if isinstance(reply, dict) else 1
        positions = forced_positions(choice, sent, start, n, self.model.bos_id, generated)
        steps = []
        for i, (token, (logprob, reported)) in enumerate(zip(forced, positions, strict=True)):
            piece = self.model.piece(token)
            own = piece.decode("utf-8", errors="replace")
            # The legacy top-K has texts only: the entry with this token's text and logprob is it.
            reported = [TokenAlternative(token, a.text, a.logprob, piece)
                        if a.id == -1 and math.isclose(a.logprob, logprob, abs_tol=1e-9)
                        and (a.text == own or self.model.is_control(token)) else a for a in reported]
            steps.append(remote_step(i, token, self.model.text(token), piece, logprob, reported, k, full_vocab,
                                     forced=True))
        return steps
