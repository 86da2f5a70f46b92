"""The chat template and special tokens of a local copy of the model an OpenAI-compatible server runs.

Forced scoring on such a server (engine/remote/openai_scoring.py) sends the prompt as text, so
logitscope must render the chat template itself, and llama-cpp-python's server (like most) does
not say what its template is. A GGUF file of the same model on this machine (`--model PATH`
alongside `--engine`) does: its header holds the template, the BOS/EOS/EOT ids, whether BOS is
added, and every token's string and type, read here without loading the model (engine/gguf.py's
read_gguf_arrays, ~0.1 s). Token texts are decoded from the stored strings (GPT-2 byte-level or
SentencePiece), which is all the splitting of a complete answer needs (control, blank, end).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from ..chat_template import ChatTemplate
from ..errors import RequestError
from ..gguf import read_gguf_arrays

CONTROL = 3  # llama.cpp's LLAMA_TOKEN_TYPE_CONTROL
BYTE = 6  # a SentencePiece byte token, "<0x0A>"
_ARRAYS = ("tokenizer.ggml.tokens", "tokenizer.ggml.token_type")


@cache
def _byte_decoder() -> dict[str, int]:
    """GPT-2's byte-level BPE: the printable character that stands for each byte, reversed."""
    printable = list(range(ord("!"), ord("~") + 1)) + list(range(0xA1, 0xAD)) + list(range(0xAE, 0x100))
    chars = list(printable)
    extra = 0
    for b in range(256):
        if b not in printable:
            printable.append(b)
            chars.append(256 + extra)
            extra += 1
    return {chr(c): b for b, c in zip(printable, chars, strict=True)}


@dataclass(frozen=True)
class ModelTemplate:
    """What a GGUF header says about rendering and tokens (see the module docstring)."""

    path: str
    chat_template: str
    bos_id: int
    eos_id: int
    end_ids: frozenset[int]  # tokens that end a generation (EOS, EOT, EOM)
    add_bos: bool
    tokenizer: str  # "gpt2" (byte-level BPE), "llama" (SentencePiece), ...
    strings: tuple[str, ...]
    types: tuple[int, ...]

    @classmethod
    def read(cls, path: str) -> ModelTemplate:
        try:
            fields, arrays = read_gguf_arrays(path, _ARRAYS)
            strings = arrays["tokenizer.ggml.tokens"]
            if not all(isinstance(text, str) for text in strings):
                raise ValueError("tokenizer.ggml.tokens is not an array of strings")
            types = arrays.get("tokenizer.ggml.token_type", [1] * len(strings))
            if not all(isinstance(kind, int) and not isinstance(kind, bool) for kind in types):
                raise ValueError("tokenizer.ggml.token_type is not an array of integers")
        except (OSError, ValueError, KeyError) as exc:
            raise RequestError(f"Cannot read the chat template and vocabulary of {path}: {exc}") from None

        def number(key: str, default: int = -1) -> int:
            value = fields.get(key)
            return int(value) if isinstance(value, int) else default

        ends = {number(k) for k in ("tokenizer.ggml.eos_token_id", "tokenizer.ggml.eot_token_id",
                                    "tokenizer.ggml.eom_token_id")} - {-1}
        return cls(path=path, chat_template=str(fields.get("tokenizer.chat_template") or ""),
                   bos_id=number("tokenizer.ggml.bos_token_id"), eos_id=number("tokenizer.ggml.eos_token_id"),
                   end_ids=frozenset(ends), add_bos=bool(fields.get("tokenizer.ggml.add_bos_token", True)),
                   tokenizer=str(fields.get("tokenizer.ggml.model") or ""),
                   strings=tuple(strings), types=tuple(types))

    @property
    def n_vocab(self) -> int:
        return len(self.strings)

    def special_text(self, token: int) -> str:
        return self.strings[token] if 0 <= token < self.n_vocab else ""

    def template(self) -> ChatTemplate:
        return ChatTemplate(self.chat_template or None, self.special_text(self.bos_id),
                            self.special_text(self.eos_id))

    def is_control(self, token: int) -> bool:
        return 0 <= token < self.n_vocab and self.types[token] == CONTROL

    def piece(self, token: int) -> bytes:
        """The token's bytes as the model writes them (a control token: its own string)."""
        if not 0 <= token < self.n_vocab:
            return b""
        text, kind = self.strings[token], self.types[token]
        if kind == CONTROL:
            return text.encode("utf-8")
        if self.tokenizer == "gpt2":
            decoder = _byte_decoder()
            if all(c in decoder for c in text):
                return bytes(decoder[c] for c in text)
            return text.encode("utf-8")
        if kind == BYTE and text.startswith("<0x") and text.endswith(">"):
            return bytes([int(text[3:-1], 16)])
        return text.replace("\u2581", " ").encode("utf-8")

    def text(self, token: int) -> str:
        return self.piece(token).decode("utf-8", errors="backslashreplace")
