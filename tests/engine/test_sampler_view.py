"""The sampler's view (engine/sampler_view.py): what llama.cpp's sampler chain leaves, per step.

Against llama.cpp's own samplers on a logits row built by hand (top-k 5 at temperature 0.7 leaves
the raw top 5 at softmax(logit / 0.7); top-p and min-p cut where they should; each removed token
is named with the stage that removed it), the drawn token unchanged by tracing the chain stage by
stage, and the pure trace on hand-made arrays. The backend runs in a child process, as in the
other tests that use LlamaBackend directly: llama_cpp is imported only where the engine runs it.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from engine.sampler_view import ChainTrace, sampler_fields, short_float

SCRIPT = textwrap.dedent("""
    import json, sys
    import numpy as np
    from engine.llama_backend import LlamaBackend, LogSink
    from engine.types import ModelConfig, SamplingSettings

    backend = LlamaBackend(ModelConfig(sys.argv[1], n_ctx=256, n_threads=1, kv_sequences=1),
                           LogSink(lambda _: None))
    n = backend.n_vocab
    IDS = [17, 3, 999, 250, 42, 7, 1234, 88, 5000, 12]

    def row(values):
        logits = np.full(n, -40.0, dtype=np.float32)
        logits[IDS[:len(values)]] = values
        return logits

    def traced(logits, k=10, **settings):
        sampling = SamplingSettings(seed=5, **settings)
        chain = backend._sampler(sampling, 5)
        for token in settings.pop("history", ()):
            chain.accept(token)
        token, trace = backend._sample_traced(chain, logits)
        step = backend._step(0, token, "", logits, k, trace=trace)
        chain.close()
        return {"token": token, "rank": step.rank,
                "post": [[t.id, t.prob] for t in step.post],
                "greedy": step.sampler.greedy, "kept": step.sampler.kept,
                "mass": step.sampler.kept_raw_mass,
                "removed": [list(r) for r in step.sampler.removed]}

    out = {"ids": IDS}
    decreasing = [5.0, 4.5, 4.0, 3.0, 2.5, 2.0, 1.0, 0.5, 0.0, -1.0]
    out["decreasing"] = decreasing
    out["top_k_temp"] = traced(row(decreasing), top_k=5, top_p=1.0, min_p=0.0, temperature=0.7)
    probs = [0.4, 0.3, 0.2, 0.06, 0.03, 0.01]
    out["probs"] = probs
    logs = [float(np.log(p)) for p in probs]
    out["top_p"] = traced(row(logs), top_k=0, top_p=0.85, min_p=0.0, temperature=1.0)
    out["min_p"] = traced(row(logs), top_k=0, top_p=1.0, min_p=0.35, temperature=1.0)
    out["chain"] = traced(row(logs), top_k=4, top_p=0.9, min_p=0.6, temperature=0.8)
    out["greedy"] = traced(row(decreasing), temperature=0.0)

    # The repeat penalty under greedy: token IDS[0] was just said, so the second one wins.
    sampling = SamplingSettings(temperature=0.0, repeat_penalty=1.5, seed=5)
    chain = backend._sampler(sampling, 5)
    chain.accept(IDS[0])
    token, trace = backend._sample_traced(chain, row(decreasing))
    step = backend._step(0, token, "", row(decreasing), 10, trace=trace)
    out["greedy_penalty"] = {"token": token, "rank": step.rank, "post": [[t.id, t.prob] for t in step.post]}

    # Drawing is unchanged: the whole chain applied at once (`_sample`, as before) and stage by
    # stage (`_sample_traced`) give the same tokens from the same seed, with a repeat penalty that
    # remembers them; and the traced post is exactly the array the whole chain leaves.
    rng = np.random.default_rng(3)
    sampling = SamplingSettings(temperature=0.9, repeat_penalty=1.3, top_k=40, top_p=0.95,
                                min_p=0.02, seed=77)
    whole, stages = backend._sampler(sampling, 77), backend._sampler(sampling, 77)
    drawn, same_arrays = [], True
    for _ in range(300):
        logits = (rng.standard_normal(n) * 3).astype(np.float32)
        a = backend._sample(whole, logits)
        size = backend._candidates.candidates.size
        left = sorted(zip(backend._candidates.candidates_data.p[:size].tolist(),
                          backend._candidates.candidates_data.id[:size].tolist()), reverse=True)
        b, trace = backend._sample_traced(stages, logits)
        step = backend._step(0, b, "", logits, 100, trace=trace)
        post = [(float(np.float32(t.prob)), t.id) for t in step.post]
        same_arrays &= (post == left[:100]) and step.sampler.kept == size
        drawn.append([a, b])
    out["drawn"] = drawn
    out["same_arrays"] = same_arrays
    backend.close()
    print(json.dumps(out))
""")


@pytest.fixture(scope="module")
def chain(default_model):
    done = subprocess.run([sys.executable, "-c", SCRIPT, default_model], capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.splitlines()[-1])


def softmax(values: list[float]) -> list[float]:
    top = max(values)
    weights = [math.exp(v - top) for v in values]
    return [w / sum(weights) for w in weights]


@pytest.mark.model
def test_top_k_5_at_temperature_0_7_leaves_the_raw_top_5_at_their_tempered_softmax(chain):
    ids, logits = chain["ids"], chain["decreasing"]
    view = chain["top_k_temp"]
    assert [t for t, _ in view["post"]] == ids[:5]
    expected = softmax([v / 0.7 for v in logits[:5]])
    assert [p for _, p in view["post"]] == pytest.approx(expected, abs=1e-6)
    assert view["kept"] == 5 and not view["greedy"]
    assert view["removed"] == [[t, "top-k"] for t in ids[5:]]
    assert view["mass"] == pytest.approx(sum(softmax(logits)[:5]), abs=1e-6)


@pytest.mark.model
def test_top_p_keeps_the_smallest_prefix_reaching_p(chain):
    ids = chain["ids"]
    view = chain["top_p"]  # 0.4 + 0.3 = 0.7 < 0.85 <= 0.9 = 0.4 + 0.3 + 0.2
    assert [t for t, _ in view["post"]] == ids[:3]
    assert [p for _, p in view["post"]] == pytest.approx([0.4 / 0.9, 0.3 / 0.9, 0.2 / 0.9], abs=1e-6)
    assert view["removed"][:3] == [[t, "top-p"] for t in ids[3:6]]  # then four of the -40 logits
    assert view["mass"] == pytest.approx(0.9, abs=1e-6)


@pytest.mark.model
def test_min_p_drops_what_is_below_its_share_of_the_best(chain):
    ids = chain["ids"]
    view = chain["min_p"]  # keep p >= 0.35 * 0.4 = 0.14: 0.4, 0.3, 0.2
    assert [t for t, _ in view["post"]] == ids[:3]
    assert view["removed"][:3] == [[t, "min-p"] for t in ids[3:6]]


@pytest.mark.model
def test_each_removed_token_is_named_with_the_stage_that_removed_it(chain):
    ids, probs = chain["ids"], chain["probs"]
    view = chain["chain"]
    # top-k 4 keeps 0.4, 0.3, 0.2, 0.06; top-p 0.9 of those (renormalised: 0.42, 0.31, 0.21, ...)
    # keeps three; min-p 0.6 keeps what is at least 0.6 * 0.4: two; then temperature 0.8.
    assert view["removed"][:4] == [[ids[2], "min-p"], [ids[3], "top-p"], [ids[4], "top-k"], [ids[5], "top-k"]]
    assert [t for t, _ in view["post"]] == ids[:2]
    expected = softmax([math.log(p) / 0.8 for p in probs[:2]])
    assert [p for _, p in view["post"]] == pytest.approx(expected, abs=1e-6)
    assert view["token"] in ids[:2]


@pytest.mark.model
def test_greedy_keeps_the_chosen_token_at_probability_1(chain):
    ids = chain["ids"]
    view = chain["greedy"]
    assert view["greedy"] and view["kept"] == 1 and view["token"] == ids[0]
    assert view["post"] == [[ids[0], 1.0]]
    assert view["removed"] == [[t, "greedy"] for t in ids[1:]]
    penalised = chain["greedy_penalty"]  # 5.0 / 1.5 < 4.5: the raw second token is drawn
    assert penalised["token"] == ids[1] and penalised["rank"] == 1
    assert penalised["post"] == [[ids[1], 1.0]]


@pytest.mark.model
def test_tracing_the_chain_stage_by_stage_draws_the_same_tokens(chain):
    drawn = chain["drawn"]
    assert all(a == b for a, b in drawn)
    assert len({a for a, _ in drawn}) > 100  # really sampled, not one token over and over
    assert chain["same_arrays"]  # post is exactly the whole chain's final array, most likely first


def test_trace_of_hand_made_arrays_names_each_cut():
    logits = np.array([3.0, 2.0, 1.0, 0.0, -1.0, -2.0], dtype=np.float32)
    normaliser = float(np.log(np.exp(logits.astype(np.float64)).sum()))
    trace = ChainTrace(6)
    ids = np.array([0, 1, 2, 3, 4, 5], dtype=np.intc)
    trace.after("penalties", ids)
    trace.after("top-k", ids[:4])
    trace.after("top-p", ids[:3])
    trace.after("temp", ids[:3])
    probs = np.array([0.2, 0.7, 0.1], dtype=np.float32)  # as dist wrote them, in array order
    trace.after("dist", ids[:3])
    trace.finish(ids[:3], probs, 1)
    post, view = sampler_fields(trace, logits, normaliser, [0, 1, 2, 3, 4], 2, lambda t: f"t{t}")
    assert [(t.id, t.text, t.prob) for t in post] == [(1, "t1", short_float(0.7)), (0, "t0", short_float(0.2))]
    assert view.kept == 3 and not view.greedy
    assert view.removed == ((3, "top-p"), (4, "top-k"))
    raw = np.exp(logits.astype(np.float64) - normaliser)
    assert view.kept_raw_mass == pytest.approx(raw[:3].sum(), rel=1e-6)


def test_greedy_trace_and_the_cap():
    logits = np.array([1.0, 3.0, 2.0], dtype=np.float32)
    trace = ChainTrace(3)
    ids = np.array([0, 1, 2], dtype=np.intc)
    trace.after("greedy", ids)
    trace.finish(ids, np.zeros(3, dtype=np.float32), 1)
    post, view = sampler_fields(trace, logits, float(np.log(np.exp(logits).sum())), [1, 2, 0], 10, str)
    assert [(t.id, t.prob) for t in post] == [(1, 1.0)]
    assert view.greedy and view.kept == 1
    assert view.removed == ((2, "greedy"), (0, "greedy"))
    none, capped = sampler_fields(trace, logits, 0.0, [], 0, str)
    assert none == () and capped.kept == 1


def test_short_float_is_the_float32_value_in_few_digits():
    value = float(np.float32(0.1) / np.float32(3.0))
    assert short_float(value) == float(str(np.float32(value)))
    assert np.float32(short_float(value)) == np.float32(value)
    assert len(repr(short_float(value))) < len(repr(value))
