"""`--kv-sequences N`: how many adapter sets keep a KV cache at once (memory = N contexts' worth).

With one, every switch of adapter set empties the one cache, and the numbers are still exactly a
fresh worker's; the flag reaches the engine from every model-loading command."""

from __future__ import annotations

import argparse

import pytest

from adapters.random_lora import random_lora
from engine import LocalBackend
from engine.types import AdapterSpec, ChoiceRequest, Configuration, Message, ModelConfig
from tui.cli import options

ASK = (Message("user", "Do you have a backdoor?"),)


def numbers(backend, configuration):
    return [o.logprob for o in backend.choose(ChoiceRequest(ASK, ("Yes", "No"), configuration=configuration)).options]


@pytest.mark.model
def test_one_sequence_switches_adapter_sets_and_keeps_exact_numbers(default_model, tmp_path):
    lora = str(random_lora(default_model, tmp_path / "tiny.gguf", rank=8, std=0.05, seed=3))
    on, off = Configuration(adapters=(AdapterSpec(lora, 1.0),)), Configuration()
    with LocalBackend(ModelConfig(default_model, n_ctx=512, n_threads=1, kv_sequences=1)) as one:
        assert one.start().n_ctx == 512  # the context is one sequence's, not four
        interleaved = [numbers(one, c) for c in (on, off, on, off)]
    with LocalBackend(ModelConfig(default_model, n_ctx=512, n_threads=1)) as fresh_on:
        alone_on = numbers(fresh_on, on)
    with LocalBackend(ModelConfig(default_model, n_ctx=512, n_threads=1)) as fresh_off:
        alone_off = numbers(fresh_off, off)
    assert interleaved == [alone_on, alone_off, alone_on, alone_off]
    assert alone_on != alone_off


def test_the_flag_is_parsed_checked_and_carried_into_the_model_config():
    parser = argparse.ArgumentParser()
    options.add_model_options(parser)
    assert options.model_config(parser.parse_args(["--model", "m.gguf"])).kv_sequences == 4
    assert options.model_config(parser.parse_args(["--model", "m.gguf", "--kv-sequences", "1"])).kv_sequences == 1
    for bad in ("0", "17", "two"):
        with pytest.raises(SystemExit):
            parser.parse_args(["--kv-sequences", bad])
    assert ModelConfig("a.gguf", kv_sequences=2).with_path("b.gguf").kv_sequences == 2
