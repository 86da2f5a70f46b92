"""Steps over a remote engine's top-k + rest are marked in the Markdown and HTML exports, in
`session show`, in comparison lines and in the compare JSON's `distribution`; local steps are not."""

from __future__ import annotations

import random
from dataclasses import replace

import pytest

from engine.compare import CompareResult, CompareStep
from engine.types import DISTRIBUTION_TOP_K, RemoteOrigin, TokenStep
from sessions import SessionStore, record_turn, synthetic
from sessions.comparisons import new_comparison
from sessions.distribution_marks import (
    COMPARE_LEGEND,
    LEGEND,
    distribution_of,
    entropy_text,
    rank_bounded,
    rank_text,
)
from sessions.export import export_markdown
from sessions.html import export_html
from sessions.synthetic_comparison import comparison
from tui.cli.compare_output import comparison_json
from tui.cli.main import main

ORIGIN = RemoteOrigin(url="http://127.0.0.1:8080", dialect="llamacpp", model_id="smol", server_version="b1",
                      rendering="ours")


def remote(step: TokenStep) -> TokenStep:
    return replace(step, distribution=DISTRIBUTION_TOP_K)


def outside(step: TokenStep) -> TokenStep:
    """A remote step whose chosen token is not among its top-k."""
    top = tuple(a for a in step.top if a.id != step.id)
    return replace(step, top=top, rank=len(top), distribution=DISTRIBUTION_TOP_K)


def remote_generation(rng):
    request, result = synthetic.generation(rng, 6)
    steps = tuple(outside(s) if s.i == 2 else remote(s) for s in result.steps)
    return request, replace(result, steps=steps, provenance=replace(result.provenance, remote=ORIGIN))


def remote_comparison(rng):
    request, steps, result = comparison(rng, 2, 5)
    steps = tuple(CompareStep(s.position, tuple(remote(t) if t is not None else None for t in s.steps), s.pairs)
                  for s in steps)
    lanes = tuple(replace(lane, steps=tuple(remote(t) for t in lane.steps)) for lane in result.lanes)
    return request, steps, CompareResult(lanes, result.names, result.pairs, result.forced)


@pytest.fixture
def store(tmp_path, monkeypatch):
    monkeypatch.setenv("LOGITSCOPE_DATA_DIR", str(tmp_path))
    return SessionStore(tmp_path)


def _session(store, name, remote_turn: bool):
    rng = random.Random(3)
    s = store.create(name)
    record_turn(s, *(remote_generation(rng) if remote_turn else synthetic.generation(rng, 6)))
    if remote_turn:
        s.append_comparison(new_comparison(*remote_comparison(rng)))
    else:
        s.append_comparison(new_comparison(*comparison(rng, 2, 5)))
    return store.open(s.id)


def test_the_marks():
    step = synthetic.steps(random.Random(1), 3)[1]
    assert entropy_text(step) == f"{step.entropy:.2f}" and rank_text(step) == str(step.rank)
    assert entropy_text(remote(step)) == f"≥{step.entropy:.2f}"
    assert not rank_bounded(remote(step))  # its token is in the top-k: the rank is exact
    assert rank_text(outside(step)).startswith("≥")
    assert distribution_of([]) == "full" and distribution_of([step]) == "full"
    assert distribution_of([remote(step)]) == "top-k+rest"
    assert distribution_of([step, remote(step)]) == "mixed"


def test_markdown_and_html_mark_remote_steps(store):
    session = _session(store, "remote", True)
    step = session.turns[0].steps[2]
    assert step.distribution == DISTRIBUTION_TOP_K  # journaled with its marker
    md = export_markdown(session)
    assert f"| {step.prob:.3f} | ≥{step.rank} | ≥{step.entropy:.2f} |" in md
    assert LEGEND in md and COMPARE_LEGEND in md
    assert "Remote engine: http://127.0.0.1:8080 (llamacpp, model smol, server b1" in md
    assert "≈ base / " in md
    page = export_html(session)
    assert f"rank ≥{step.rank} · entropy ≥{step.entropy:.2f} nats" in page
    assert "over a remote engine&#x27;s top-k + rest" in page


def test_local_exports_have_no_marks(store):
    session = _session(store, "local", False)
    md, page = export_markdown(session), export_html(session)
    for text in (md, page):
        assert "≥" not in text and "≈" not in text and "top-k + rest" not in text
        assert "Remote engine" not in text


def test_session_show_marks_remote_turns_and_comparisons(store, capsys):
    _session(store, "remote", True)
    assert main(["session", "show", "remote"]) == 0
    out = capsys.readouterr().out
    assert "mean entropy ≥" in out and LEGEND in out
    assert "Remote engine: http://127.0.0.1:8080" in out
    assert "    ≈ base / " in out and COMPARE_LEGEND in out
    _session(store, "local", False)
    assert main(["session", "show", "local"]) == 0
    out = capsys.readouterr().out
    assert "≥" not in out and "≈" not in out and "Remote engine" not in out


def test_compare_json_says_each_configurations_distribution():
    rng = random.Random(5)
    local = comparison_json(*comparison(rng, 2, 4))
    assert [c["distribution"] for c in local["configurations"]] == ["full", "full"]
    far = comparison_json(*remote_comparison(rng))
    assert [c["distribution"] for c in far["configurations"]] == ["top-k+rest", "top-k+rest"]
