"""--n-gpu-layers and --threads reach both sides of a benchmark's ratio, and the JSON says which."""

from __future__ import annotations

import argparse

import pytest
from device_flags import THREADS_DEFAULT, add_device_flags, device_flags

from engine.threads import default_thread_count


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_device_flags(parser)
    return parser.parse_args(argv)


def test_threads_not_given_are_the_engines_default_and_recorded_as_such():
    flags = device_flags(parse())
    assert flags.threads == default_thread_count()
    assert flags.record() == {"n_gpu_layers": 0, "threads": default_thread_count(), "threads_from": THREADS_DEFAULT}


def test_given_values_go_into_the_engine_config_and_the_record():
    flags = device_flags(parse("--n-gpu-layers", "-1", "--threads", "3"))
    config = flags.model_config("/m.gguf", n_ctx=2048, kv_sequences=2)
    assert (config.n_gpu_layers, config.n_threads, config.n_ctx, config.kv_sequences) == (-1, 3, 2048, 2)
    assert flags.record() == {"n_gpu_layers": -1, "threads": 3, "threads_from": "--threads"}


@pytest.mark.parametrize("argv", [("--threads", "0"), ("--n-gpu-layers", "-2")])
def test_impossible_values_stop_the_benchmark(argv):
    with pytest.raises(SystemExit):
        device_flags(parse(*argv))


@pytest.mark.model
def test_the_raw_side_gets_the_threads_and_the_engines_sequence_layout(default_model):
    import llama_cpp
    from raw_llama import open_raw_llama

    model, ctx, batch = open_raw_llama(default_model, 1024, 1, 0, n_batch=256, n_ubatch=64, n_seq_max=4)
    assert llama_cpp.llama_n_threads(ctx.ctx) == 1
    assert llama_cpp.llama_n_ctx_seq(ctx.ctx) == 256  # each of the 4 sequences: a quarter
    assert (llama_cpp.llama_n_batch(ctx.ctx), llama_cpp.llama_n_ubatch(ctx.ctx)) == (256, 64)
    del model, ctx, batch
