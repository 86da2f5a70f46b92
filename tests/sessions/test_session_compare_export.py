"""Divergences between two answers, and the three export formats and their dispatch."""

from __future__ import annotations

import json
import math
import random
import re
from dataclasses import replace

import pytest

from engine.types import TokenAlternative, TokenStep
from sessions import Session, SessionError, SessionStore, record_turn, synthetic
from sessions.compare import compare_sessions, compare_turns, divergence
from sessions.export import FORMATS, export_jsonl, export_markdown, export_session
from sessions.html import export_html


def _step(i, chosen, probs, k=None):
    """A step whose top-k lists `probs` ({id: p}); `k` keeps only the first k of them."""
    items = sorted(probs.items(), key=lambda kv: -kv[1])[: k or len(probs)]
    top = tuple(TokenAlternative(t, f"w{t}", math.log(p)) for t, p in items)
    return TokenStep(i, chosen, f"w{chosen}", f"w{chosen}".encode(), math.log(probs[chosen]),
                     1.0, 0, top)


def _kl(p, q):
    return sum(pi * math.log(pi / q[t]) for t, pi in p.items() if pi > 0)


def test_identical_distributions_have_zero_divergence():
    s = _step(0, 1, {1: 0.6, 2: 0.3, 3: 0.1})
    kl_ab, kl_ba, js, shared = divergence(s, s)
    assert kl_ab == pytest.approx(0, abs=1e-9) and js == pytest.approx(0, abs=1e-9)
    assert shared == 3


def test_full_coverage_is_exact():
    p = {1: 0.6, 2: 0.3, 3: 0.1}
    q = {1: 0.2, 2: 0.5, 3: 0.3}
    kl_ab, kl_ba, js, _ = divergence(_step(0, 1, p), _step(0, 2, q))
    assert kl_ab == pytest.approx(_kl(p, q), rel=1e-6)
    assert kl_ba == pytest.approx(_kl(q, p), rel=1e-6)
    m = {t: (p[t] + q[t]) / 2 for t in p}
    assert js == pytest.approx(0.5 * _kl(p, m) + 0.5 * _kl(q, m), rel=1e-6)


def test_disjoint_top_k_is_far_apart_and_bounded():
    a = _step(0, 1, {1: 0.7, 2: 0.2, 9: 0.1}, k=2)  # lists 1, 2; 0.1 left unlisted
    b = _step(0, 5, {5: 0.8, 6: 0.15, 9: 0.05}, k=2)
    kl_ab, kl_ba, js, shared = divergence(a, b)
    assert shared == 0
    assert 0.4 < js <= math.log(2) + 1e-12
    assert kl_ab > 1 and kl_ba > 1


def test_compare_turns_finds_first_divergence():
    rng = random.Random(2)
    request, result = synthetic.generation(rng, 12)
    turn_a = synthetic_turn(request, result)
    steps = list(result.steps)
    steps[5] = replace(steps[5], id=steps[5].id + 1)
    turn_b = synthetic_turn(request, replace(result, steps=tuple(steps)))
    comparison = compare_turns(turn_a, turn_b)
    assert comparison.first_divergence == 5
    assert comparison.same_prompt
    assert len(comparison.positions) == 12
    assert compare_turns(turn_a, turn_a).first_divergence is None
    shorter = synthetic_turn(request, replace(result, steps=result.steps[:8]))
    assert compare_turns(turn_a, shorter).first_divergence == 8


def synthetic_turn(request, result):
    from sessions import make_turn

    return make_turn(request, result)


def test_compare_sessions_by_position(tmp_path):
    store = SessionStore(tmp_path)
    a, b = store.create("a"), store.create("b")
    for seed in (1, 2):
        record_turn(a, *synthetic.generation(random.Random(seed), 10))
        record_turn(b, *synthetic.generation(random.Random(seed + 10), 10))
    comparison = compare_sessions(a, b)
    assert comparison.paired_by == "position" and len(comparison.turns) == 2
    assert comparison.turns[0].first_divergence == 0
    assert comparison.turns[0].mean_js > 0


@pytest.fixture
def session(tmp_path) -> Session:
    store = SessionStore(tmp_path)
    s = store.create("Export <me> & \"you\"")
    rng = random.Random(4)
    record_turn(s, *synthetic.generation(rng, 30, prompt="Tell me <script>alert(1)</script>"))
    record_turn(s, *synthetic.choice(rng))
    record_turn(s, *synthetic.score(rng))
    return store.open(s.id)


def test_html_is_self_contained_and_escaped(session):
    page = export_html(session)
    assert "http" not in page.lower()
    assert "<script" not in page.lower() and "<link" not in page.lower()
    assert "@import" not in page and "url(" not in page
    assert "&lt;script&gt;" in page  # the prompt's markup is text, not markup
    steps = session.turns[0].steps
    assert page.count('class="t"') == len(steps) + len(session.turns[2].steps)
    first = steps[0]
    span = re.search(r'<span class="t" id="t1-0" style="background:hsl\((\d+),', page)
    assert span and int(span.group(1)) == round(120 * first.prob)
    assert f"{first.top[1].prob:.3f}" in page  # top-k on hover


def test_markdown_holds_provenance_and_tokens(session):
    text = export_markdown(session)
    turn = session.turns[0]
    assert turn.provenance.model_sha256[:12] in text
    assert f"seed {turn.provenance.sampling.seed}" in text
    assert "You are terse." in text
    assert text.count("\n| ") >= len(turn.steps)
    assert "Is the sky blue?" in text


def test_jsonl_export_is_a_session_again(session, tmp_path):
    out = tmp_path / "copy.jsonl"
    out.write_bytes(export_jsonl(session))
    copy = Session.open(out)
    assert list(copy.turns) == list(session.turns)
    assert all(json.loads(line) for line in out.read_text().splitlines())


def test_html_without_rich_tooltips_keeps_the_title(session):
    page = export_html(session, rich_tooltips=False)
    assert 'class="tip"' not in page
    first = session.turns[0].steps[0]
    assert f"{first.top[1].prob:.3f}" in page and 'title="#0 id' in page


def test_the_dispatch_gives_each_export_as_utf8_bytes_with_bare_newlines(session):
    """Every format through sessions.export's one table: the text exports as UTF-8 with "\\n"
    line ends (the replay screen once wrote them in text mode, so CRLF on Windows)."""
    assert set(FORMATS) == {"md", "html", "jsonl", "tree", "tree-html"}
    assert export_session(session, "md") == export_markdown(session).encode("utf-8")
    assert export_session(session, "html") == export_html(session).encode("utf-8")
    assert export_session(session, "jsonl") == export_jsonl(session)
    assert all(b"\r\n" not in export_session(session, fmt) for fmt in FORMATS)
    markdown = export_session(session, "md")
    assert max(markdown) > 127 and markdown.decode("utf-8")  # non-ASCII tokens, as UTF-8
    with pytest.raises(SessionError, match="use md, html, jsonl"):
        export_session(session, "pdf")
