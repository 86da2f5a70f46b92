"""Tiny GGUF models for the re-run tests: one tokenizer under two sets of weights, and others.

Re-running or re-scoring under another model has three cases: the same file (ids reused), another
model with the same tokenizer (a fine-tune: the recorded ids still mean the same bytes), and
another tokenizer (the ids mean other tokens, or none: the recorded bytes must be tokenised
again). tests/adapters/tiny_llama.py writes the first kind; `other_tokenizer` permutes its
vocabulary so every id after the specials names different bytes, and `smaller_vocab` cuts it
so the top ids do not exist at all.
"""

from __future__ import annotations

import sys
from pathlib import Path
from unittest import mock

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "adapters"))

from tiny_llama import TinyConfig, make_weights, write_gguf  # noqa: E402

N_SPECIAL = 3  # <unk>, <s>, </s>
BYTE_BASE = N_SPECIAL  # id of the byte token <0x00> in tiny_llama's vocabulary
WORD_BASE = N_SPECIAL + 256


def byte_id(value: int) -> int:
    return BYTE_BASE + value


def same_tokenizer(path: Path, seed: int) -> Path:
    cfg = TinyConfig()
    return write_gguf(path, cfg, make_weights(cfg, seed=seed), name=f"tiny-{seed}")


def other_tokenizer(path: Path, seed: int = 0) -> Path:
    """The same token strings as `same_tokenizer`, in reverse order after the specials."""
    import gguf

    add_list, add_types = gguf.GGUFWriter.add_token_list, gguf.GGUFWriter.add_token_types

    def flip(items):
        items = list(items)
        return items[:N_SPECIAL] + items[N_SPECIAL:][::-1]

    with mock.patch.object(gguf.GGUFWriter, "add_token_list",
                           lambda self, tokens: add_list(self, flip(tokens))), \
         mock.patch.object(gguf.GGUFWriter, "add_token_types",
                           lambda self, types: add_types(self, flip(types))):
        cfg = TinyConfig()
        return write_gguf(path, cfg, make_weights(cfg, seed=seed), name="tiny-reversed")


def smaller_vocab(path: Path, vocab: int = 280, seed: int = 2) -> Path:
    """The same ids as `same_tokenizer` up to `vocab`, and none above."""
    cfg = TinyConfig(vocab=vocab)
    return write_gguf(path, cfg, make_weights(cfg, seed=seed), name="tiny-small")
