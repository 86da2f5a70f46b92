"""A tiny random llama model written both as an F32 GGUF (gguf-py) and as a Hugging Face folder.

The correctness test needs the same weights in llama.cpp and in transformers without downloading
anything; a few hundred kilobytes of random weights load in milliseconds. The GGUF gets a minimal
SentencePiece-style ("llama") vocabulary: <unk>, <s>, </s>, the 256 byte tokens and some words,
which is all llama.cpp needs to load it; the tests feed token ids directly.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from adapters.convert import permute_for_rope


@dataclass(frozen=True)
class TinyConfig:
    vocab: int = 300
    hidden: int = 64
    layers: int = 2
    heads: int = 4
    kv_heads: int = 2
    ffn: int = 128
    ctx: int = 256
    rms_eps: float = 1e-5
    rope_theta: float = 10000.0

    @property
    def head_dim(self) -> int:
        return self.hidden // self.heads


def make_weights(cfg: TinyConfig, seed: int = 0) -> dict[str, np.ndarray]:
    """Random weights under Hugging Face llama names, large enough to give peaked distributions."""
    rng = np.random.default_rng(seed)

    def lin(n_out: int, n_in: int) -> np.ndarray:
        return (rng.standard_normal((n_out, n_in)) / np.sqrt(n_in)).astype(np.float32)

    def norm() -> np.ndarray:
        return (1.0 + 0.1 * rng.standard_normal(cfg.hidden)).astype(np.float32)

    kv = cfg.kv_heads * cfg.head_dim
    w = {"model.embed_tokens.weight": rng.standard_normal((cfg.vocab, cfg.hidden)).astype(np.float32)}
    for i in range(cfg.layers):
        p = f"model.layers.{i}."
        w[p + "input_layernorm.weight"] = norm()
        w[p + "self_attn.q_proj.weight"] = lin(cfg.hidden, cfg.hidden)
        w[p + "self_attn.k_proj.weight"] = lin(kv, cfg.hidden)
        w[p + "self_attn.v_proj.weight"] = lin(kv, cfg.hidden)
        w[p + "self_attn.o_proj.weight"] = lin(cfg.hidden, cfg.hidden)
        w[p + "post_attention_layernorm.weight"] = norm()
        w[p + "mlp.gate_proj.weight"] = lin(cfg.ffn, cfg.hidden)
        w[p + "mlp.up_proj.weight"] = lin(cfg.ffn, cfg.hidden)
        w[p + "mlp.down_proj.weight"] = lin(cfg.hidden, cfg.ffn)
    w["model.norm.weight"] = norm()
    w["lm_head.weight"] = 2.0 * lin(cfg.vocab, cfg.hidden)
    return w


_GGUF_NAMES = {
    "input_layernorm": "attn_norm", "self_attn.q_proj": "attn_q", "self_attn.k_proj": "attn_k",
    "self_attn.v_proj": "attn_v", "self_attn.o_proj": "attn_output",
    "post_attention_layernorm": "ffn_norm", "mlp.gate_proj": "ffn_gate", "mlp.up_proj": "ffn_up",
    "mlp.down_proj": "ffn_down",
}


def write_gguf(path: Path, cfg: TinyConfig, weights: dict[str, np.ndarray], name: str = "tiny") -> Path:
    import gguf

    writer = gguf.GGUFWriter(str(path), "llama")
    writer.add_name(name)
    writer.add_type(gguf.GGUFType.MODEL)
    writer.add_context_length(cfg.ctx)
    writer.add_embedding_length(cfg.hidden)
    writer.add_block_count(cfg.layers)
    writer.add_feed_forward_length(cfg.ffn)
    writer.add_head_count(cfg.heads)
    writer.add_head_count_kv(cfg.kv_heads)
    writer.add_rope_dimension_count(cfg.head_dim)
    writer.add_rope_freq_base(cfg.rope_theta)
    writer.add_layer_norm_rms_eps(cfg.rms_eps)
    writer.add_vocab_size(cfg.vocab)
    writer.add_file_type(gguf.LlamaFileType.ALL_F32)
    tokens, types = [b"<unk>", b"<s>", b"</s>"], [gguf.TokenType.UNKNOWN, gguf.TokenType.CONTROL,
                                                    gguf.TokenType.CONTROL]
    tokens += [f"<0x{b:02X}>".encode() for b in range(256)]
    types += [gguf.TokenType.BYTE] * 256
    while len(tokens) < cfg.vocab:
        tokens.append(f"\u2581w{len(tokens)}".encode())
        types.append(gguf.TokenType.NORMAL)
    writer.add_tokenizer_model("llama")
    writer.add_token_list(tokens)
    writer.add_token_scores([-float(i) for i in range(cfg.vocab)])
    writer.add_token_types(types)
    writer.add_bos_token_id(1)
    writer.add_eos_token_id(2)
    writer.add_unk_token_id(0)
    writer.add_add_bos_token(False)
    writer.add_tensor("token_embd.weight", weights["model.embed_tokens.weight"])
    for i in range(cfg.layers):
        for hf, gg in _GGUF_NAMES.items():
            w = weights[f"model.layers.{i}.{hf}.weight"]
            if gg == "attn_q":
                w = permute_for_rope(w, cfg.heads)
            elif gg == "attn_k":
                w = permute_for_rope(w, cfg.kv_heads)
            writer.add_tensor(f"blk.{i}.{gg}.weight", np.ascontiguousarray(w))
    writer.add_tensor("output_norm.weight", weights["model.norm.weight"])
    writer.add_tensor("output.weight", weights["lm_head.weight"])
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path


def hf_model(cfg: TinyConfig, weights: dict[str, np.ndarray]):
    """The same weights as a transformers LlamaForCausalLM (fp32, eager attention, eval mode)."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    config = LlamaConfig(
        vocab_size=cfg.vocab, hidden_size=cfg.hidden, intermediate_size=cfg.ffn,
        num_hidden_layers=cfg.layers, num_attention_heads=cfg.heads,
        num_key_value_heads=cfg.kv_heads, max_position_embeddings=cfg.ctx,
        rms_norm_eps=cfg.rms_eps, tie_word_embeddings=False,
        rope_parameters={"rope_type": "default", "rope_theta": cfg.rope_theta},
        bos_token_id=1, eos_token_id=2, pad_token_id=0,
    )
    config._attn_implementation = "eager"
    model = LlamaForCausalLM(config)
    state = {k: torch.from_numpy(v.copy()) for k, v in weights.items()}
    missing, unexpected = model.load_state_dict(state, strict=False)
    assert not unexpected and all("rotary" in m for m in missing), (missing, unexpected)
    return model.eval()


CHATML = (
    "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\n' + message['content'] "
    "+ '<|im_end|>\n' }}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)


def hf_tokenizer(cfg: TinyConfig):
    """A byte-level tokenizer with ChatML specials that fits the tiny model's vocabulary."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    alphabet = pre_tokenizers.ByteLevel.alphabet()
    vocab = {"<unk>": 0, "<|im_start|>": 1, "<|im_end|>": 2}
    for char in sorted(alphabet):
        vocab[char] = len(vocab)
    while len(vocab) < cfg.vocab:
        vocab[f"w{len(vocab)}"] = len(vocab)
    tok = Tokenizer(models.BPE(vocab=vocab, merges=[], unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, unk_token="<unk>", bos_token="<|im_start|>",
                                   eos_token="<|im_end|>", pad_token="<|im_end|>")
    fast.chat_template = CHATML
    return fast


def save_hf_folder(folder: Path, cfg: TinyConfig, weights: dict[str, np.ndarray]) -> Path:
    hf_model(cfg, weights).save_pretrained(folder)
    hf_tokenizer(cfg).save_pretrained(folder)
    return folder
