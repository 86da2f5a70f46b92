"""`ask --json` gives the sampler's view beside the raw distribution: `post` and `sampler`, on the
real default model (engine/sampler_view.py; README "`ask --json` fields")."""

from __future__ import annotations

import json
import math

import pytest

from tui.cli.main import main

pytestmark = pytest.mark.model


def steps_of(capsys, *args: str) -> list[dict]:
    assert main(["ask", *args, "--json"]) == 0
    records = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.strip()]
    assert records[-1]["done"] is True
    return records[:-1]


def test_post_is_the_kept_distribution_and_sums_to_1_when_nothing_is_capped(capsys):
    steps = steps_of(capsys, "Tell me a story about a fox.", "--temperature", "0.8", "--seed", "5",
                     "--max-tokens", "16", "--top-k-probs", "100")  # top-k 40 keeps at most 40
    assert len(steps) == 16
    for step in steps:
        post, sampler = step["post"], step["sampler"]
        assert {"id", "text", "prob"} <= post[0].keys()
        assert len(post) == sampler["kept"] <= 40 and not sampler["greedy"]
        assert math.fsum(t["prob"] for t in post) == pytest.approx(1.0, abs=1e-5)
        probs = [t["prob"] for t in post]
        assert probs == sorted(probs, reverse=True)
        kept = {t["id"] for t in post}
        assert step["id"] in kept  # drawn from what the chain kept
        removed = {r["id"] for r in sampler["removed"]}
        assert removed == {t["id"] for t in step["top"]} - kept
        assert {r["stage"] for r in sampler["removed"]} <= {"top-k", "top-p", "min-p"}
        raw = math.fsum(math.exp(t["logprob"]) for t in step["top"] if t["id"] in kept)
        assert sampler["kept_raw_mass"] == pytest.approx(raw, rel=1e-4)


def test_greedy_says_so(capsys):
    steps = steps_of(capsys, "only say yes", "--temperature", "0", "--max-tokens", "4", "--top-k-probs", "5")
    for step in steps:
        assert step["sampler"]["greedy"] is True and step["sampler"]["kept"] == 1
        assert [(t["id"], t["prob"]) for t in step["post"]] == [(step["id"], 1.0)]
        assert [r["stage"] for r in step["sampler"]["removed"]] == ["greedy"] * 4


def test_post_is_capped_at_top_k_probs(capsys):
    steps = steps_of(capsys, "Tell me a story about a fox.", "--temperature", "1.5", "--seed", "2",
                     "--min-p", "0", "--top-p", "1", "--max-tokens", "4", "--top-k-probs", "3")
    assert all(len(s["post"]) == 3 and s["sampler"]["kept"] == 40 for s in steps)
    assert all(math.fsum(t["prob"] for t in s["post"]) < 1 for s in steps)


def test_forced_steps_have_no_sampler_view(capsys):
    assert main(["score", "--prompt", "Say hello", "--continuation", "Hello!", "--json"]) == 0
    out = capsys.readouterr().out
    steps = [json.loads(line) for line in out.splitlines() if line.strip().startswith('{"i"')]
    assert steps and all(s["forced"] and "post" not in s and "sampler" not in s for s in steps)
