"""The baseline the benchmarks measure the engine against: llama-cpp-python's low-level API, bare.

A model, a context and a batch in this process, set up as the engine sets up its own (the same
context size, offload, thread count and, by default, a batch of 512), with no worker, no IPC and
no probabilities. benchmarks/memory.py also asks for the engine's micro-batch and number of KV
sequences, to compare like with like.
"""

from __future__ import annotations

from typing import Any

ALL_LAYERS = 0x7FFFFFFF  # what the engine passes for n_gpu_layers -1 (engine/llama_backend.py)


def open_raw_llama(model_path: str, n_ctx: int, threads: int, n_gpu_layers: int = 0, *,
                   n_batch: int = 512, n_ubatch: int = 512, n_seq_max: int = 1) -> tuple[Any, Any, Any]:
    """(model, context, batch) for `model_path`; they live as long as the caller keeps them.

    `n_ctx` is the whole context: with `n_seq_max` sequences each holds n_ctx / n_seq_max cells,
    each in its own KV stream (as the engine's, `kv_unified` off) when there are several.
    """
    import llama_cpp
    from llama_cpp import _internals

    llama_cpp.llama_backend_init()
    model_params = llama_cpp.llama_model_default_params()
    model_params.n_gpu_layers = ALL_LAYERS if n_gpu_layers == -1 else n_gpu_layers
    model = _internals.LlamaModel(path_model=model_path, params=model_params, verbose=False)
    params = llama_cpp.llama_context_default_params()
    params.n_ctx, params.n_batch, params.n_ubatch = n_ctx, n_batch, n_ubatch
    params.n_threads = params.n_threads_batch = threads
    params.n_seq_max = n_seq_max
    if n_seq_max > 1:
        params.kv_unified = False
    ctx = _internals.LlamaContext(model=model, params=params, verbose=False)
    batch = _internals.LlamaBatch(n_tokens=n_batch, embd=0, n_seq_max=1, verbose=False)
    return model, ctx, batch
