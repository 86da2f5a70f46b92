"""The sampler's view in the journal: `post` and `sampler` are written, read back exactly, and a
step journaled without them (before they existed, or forced) still loads, with none."""

from __future__ import annotations

import json
import random
from dataclasses import replace

from engine.types import GenerationRequest, Message, SampledToken, SamplerView, SamplingSettings
from sessions import Session, record_turn, synthetic
from sessions.codec import decode_step, decode_steps, encode_step


def viewed_step():
    step = synthetic.steps(random.Random(2), 1)[0]
    top = step.top
    post = (SampledToken(top[0].id, top[0].text, 0.625), SampledToken(top[1].id, top[1].text, 0.25),
            SampledToken(99_999, " elsewhere", 0.125))  # a token not in `top` (a repeat penalty)
    removed = ((top[2].id, "top-p"), (top[3].id, "top-k"), (top[4].id, "top-p"))
    return replace(step, post=post, sampler=SamplerView(False, 3, 0.8125, removed))


def test_post_and_sampler_round_trip_compactly():
    step = viewed_step()
    data = json.loads(json.dumps(encode_step(step)))
    assert [len(entry) for entry in data["post"]] == [2, 2, 3]  # text only where `top` lacks it
    assert data["sampler"]["removed"] == {"top-p": [step.top[2].id, step.top[4].id], "top-k": [step.top[3].id]}
    assert decode_step(data) == step


def test_greedy_round_trips():
    step = synthetic.steps(random.Random(3), 1)[0]
    others = tuple((alt.id, "greedy") for alt in step.top if alt.id != step.id)
    step = replace(step, post=(SampledToken(step.id, step.text, 1.0),),
                   sampler=SamplerView(True, 1, 0.5, others))
    assert decode_step(json.loads(json.dumps(encode_step(step)))) == step


def test_a_step_journaled_without_the_view_loads_with_none():
    step = viewed_step()
    data = encode_step(step)
    assert "post" in data and "sampler" in data
    del data["post"], data["sampler"]
    old = decode_steps([data])[0]
    assert old.post == () and old.sampler is None
    assert old == replace(step, post=(), sampler=None)
    assert "post" not in encode_step(old)  # and it is written back the same way


def test_a_generation_keeps_its_sampler_view_through_the_journal(tmp_path, tiny_backend):
    request = GenerationRequest((Message("user", "hello"),),
                                sampling=SamplingSettings(temperature=0.9, top_k=20, seed=3),
                                max_tokens=6, top_k_probs=5)
    stream = tiny_backend.generate(request)
    steps = list(stream)
    assert stream.result is not None
    assert all(s.sampler is not None and s.post for s in steps)
    session = Session.create(tmp_path / "s.jsonl", "sampler")
    record_turn(session, request, stream.result)
    reopened = Session.open(tmp_path / "s.jsonl")
    assert reopened.problems == []
    assert reopened.turns[0].steps == stream.result.steps
