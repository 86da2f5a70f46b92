"""Comparisons outside the journal: `session show` lists each (text and JSON), `session list`
counts them, JSONL exports keep them (the export opens with the same comparisons), Markdown lists
each configuration's answer and each pair, HTML shows one column per configuration with tokens
tinted by probability and the positions where the chosen tokens differ marked."""

from __future__ import annotations

import json
import random
import re
from html.parser import HTMLParser

import pytest

from sessions import Session, SessionStore, new_comparison, record_turn, synthetic
from sessions.comparison_text import pair_line
from sessions.export import export_jsonl, export_markdown
from sessions.html import export_html, tint
from sessions.synthetic_comparison import comparison
from tui.cli.main import main


@pytest.fixture
def session(tmp_path, monkeypatch) -> Session:
    monkeypatch.setenv("LOGITSCOPE_DATA_DIR", str(tmp_path))
    session = SessionStore().create("compared")
    record_turn(session, *synthetic.generation(random.Random(5), 4))
    session.append_comparison(new_comparison(*comparison(random.Random(1), 3, 6)))
    session.append_comparison(new_comparison(*comparison(random.Random(2), 2, 4, forced_from="pirate")))
    return Session.open(session.path)


def test_session_show_lists_each_comparison(session, capsys):
    assert main(["session", "show", session.id]) == 0
    out = capsys.readouterr().out
    assert "1 turns, 2 comparisons)" in out
    first = session.comparisons[0]
    assert f"[comparison 1] {first.id} {first.created}  {first.describe()}" in out
    assert "user: Name one colour of the rainbow." in out
    assert "[pirate] adapters none; system custom: 'You are a pirate.'; greedy" in out
    assert "[lora] adapters hello.gguf:0.5; system none; greedy" in out
    assert pair_line(first.names, first.result.pairs[0]) in out
    assert "forced on pirate's answer" in out


def test_session_show_json_has_every_position(session, capsys):
    assert main(["session", "show", session.id, "--json"]) == 0
    first, forced = json.loads(capsys.readouterr().out)["comparisons"]
    record = session.comparisons[0]
    assert first["id"] == record.id and first["created"] == record.created
    assert [c["name"] for c in first["configurations"]] == ["base", "pirate", "lora"]
    assert [c["n_tokens"] for c in first["configurations"]] == [6, 6, 4]
    assert first["configurations"][0]["steps"][0]["id"] == record.steps[0].steps[0].id
    assert [(p["a"], p["b"]) for p in first["pairs"]] == [("base", "pirate"), ("base", "lora"), ("pirate", "lora")]
    base_pirate = first["pairs"][0]
    assert len(base_pirate["positions"]) == 6 and base_pirate["positions"][1]["kl_ab"] is None  # inf -> null
    assert base_pirate["summary"]["mean_kl_ab"] is None and base_pirate["summary"]["positions"] == 6
    assert forced["forced"] is True and forced["forced_from"] == "pirate"


def test_session_list_counts_the_comparisons(session, capsys):
    assert main(["session", "list"]) == 0
    line = next(x for x in capsys.readouterr().out.splitlines() if x.startswith(session.id))
    assert "1 turns + 2 comparisons" in line


def test_jsonl_keeps_every_comparison(session, tmp_path):
    copy = tmp_path / "copy.jsonl"
    copy.write_bytes(export_jsonl(session))
    again = Session.open(copy)
    assert again.problems == [] and len(again.turns) == 1
    assert list(again.comparisons) == list(session.comparisons)


def test_markdown_lists_each_configurations_answer_and_each_pair(session):
    text = export_markdown(session)
    record = session.comparisons[0]
    assert "- Comparisons: 2" in text and "## Comparison 1 · base, pirate, lora" in text
    assert "- Prompt: Name one colour of the rainbow." in text
    assert f"- {pair_line(record.names, record.result.pairs[2])}" in text
    assert "**lora** (adapters hello.gguf:0.5; system none; greedy) (4 tokens, stop," in text
    assert "teacher-forced on pirate's answer" in text


class Spans(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.spans: dict[str, dict[str, str]] = {}

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "span" and a.get("id"):
            self.spans[a["id"]] = a


def test_html_has_a_column_per_configuration_with_the_differences_marked(session):
    page = export_html(session)
    record = session.comparisons[0]
    assert 'id="comparison1"' in page and 'id="comparison2"' in page
    assert "grid-template-columns:repeat(3," in page and "grid-template-columns:repeat(2," in page
    assert page.count('<div class="lane">') == 5
    parser = Spans()
    parser.feed(page)
    for lane, answer in enumerate(record.result.lanes):
        for step in answer.steps:
            span = parser.spans[f"c1-{lane}-{step.i}"]
            assert tint(step.prob) in span["style"]
            others = [record.names[p.b if p.a == lane else p.a] for p in record.steps[step.i].pairs
                      if p.differ and lane in (p.a, p.b)]
            assert ("differ" in span["class"].split()) == bool(others), (lane, step.i)
            if others:
                assert f"differs from {', '.join(others)}" in span["title"]
    firsts = [k for k, v in parser.spans.items() if k.startswith("c1-") and "first" in v["class"].split()]
    assert len(firsts) <= 3 and firsts
    # A teacher-forced comparison chose the same tokens everywhere: nothing is marked.
    assert not [k for k, v in parser.spans.items() if k.startswith("c2-") and "differ" in v["class"]]
    assert re.search(r"2 comparisons", page)
