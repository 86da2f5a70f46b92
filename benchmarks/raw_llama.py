"""The baseline the benchmarks measure the engine against: llama-cpp-python's low-level API, bare.

A model, a context and a batch in this process, set up as the engine sets up its own (the same
context size, batch of 512 and thread count), with no worker, no IPC and no probabilities.
"""

from __future__ import annotations

from typing import Any


def open_raw_llama(model_path: str, n_ctx: int, threads: int) -> tuple[Any, Any, Any]:
    """(model, context, batch) for `model_path`; they live as long as the caller keeps them."""
    import llama_cpp
    from llama_cpp import _internals

    llama_cpp.llama_backend_init()
    model = _internals.LlamaModel(path_model=model_path, params=llama_cpp.llama_model_default_params(),
                                  verbose=False)
    params = llama_cpp.llama_context_default_params()
    params.n_ctx, params.n_batch, params.n_ubatch = n_ctx, 512, 512
    params.n_threads = params.n_threads_batch = threads
    ctx = _internals.LlamaContext(model=model, params=params, verbose=False)
    batch = _internals.LlamaBatch(n_tokens=512, embd=0, n_seq_max=1, verbose=False)
    return model, ctx, batch
