"""The branch tree exports: `--format tree` (JSON) and `--format tree-html`, forks of forks nested."""

from __future__ import annotations

import json
import math
import random
from dataclasses import replace
from pathlib import Path

from engine.types import TokenAlternative, TokenStep
from sessions import Session, SessionStore, record_turn, synthetic
from sessions.export import FORMATS, export_session, format_for_path
from sessions.tree import session_tree
from sessions.tree_html import export_tree_html
from tui.cli.main import main


def step(i: int, token: int, text: str, p: float = 0.6, top: tuple[TokenAlternative, ...] = ()) -> TokenStep:
    chosen = TokenAlternative(token, text, math.log(p), text.encode())
    return TokenStep(i, token, text, text.encode(), chosen.logprob, 1.0, 0, (chosen, *top))


GREEN = TokenAlternative(30, " green", math.log(0.25), b" green")
RED = TokenAlternative(31, " <red>", math.log(0.1), b" <red>")
ANSWER = (step(0, 10, "The"), step(1, 11, " sky"), step(2, 12, " is"), step(3, 13, " blue", 0.5, (GREEN,)),
          step(4, 14, "."))


def branchy_session(tmp_path: Path) -> Session:
    """A root answer; a fork at 3 (" green"); a fork of that fork at 4 (" <red>"); a regeneration;
    and a choice turn, which the tree leaves out."""
    session = SessionStore(tmp_path / "store").create("tree")
    request, result = synthetic.generation(random.Random(3), 5, 3, prompt="What colour?")
    root = record_turn(session, request, replace(result, steps=ANSWER, text="The sky is blue."))
    fork_steps = (step(0, 15, " today", 0.5, (RED,)), step(1, 14, "."))
    fork = record_turn(session, replace(request, continue_from=(10, 11, 12, 30)),
                       replace(result, steps=fork_steps, text=" today."), parent=root.id, branch_position=3)
    record_turn(session, replace(request, continue_from=(10, 11, 12, 30, 31)),
                replace(result, steps=(step(0, 16, "!"),), text="!"), parent=fork.id, branch_position=4)
    record_turn(session, request, replace(result, steps=(step(0, 17, "Blue"),), text="Blue"), parent=root.id)
    record_turn(session, *synthetic.choice(random.Random(4)))
    return Session.open(session.path)


def test_the_json_tree_nests_forks_under_the_branch_and_position_they_fork_from(tmp_path):
    session = branchy_session(tmp_path)
    tree = json.loads(export_session(session, "tree"))
    assert tree["format"] == "logitscope-tree" and tree["session"]["name"] == "tree"
    assert len(tree["turns"]) == 1 and tree["turns"][0]["prompt"] == "What colour?"
    root, regen = tree["turns"][0]["answers"]
    assert regen["fork"] is None and regen["text"] == "Blue" and regen["branches"] == []
    assert root["fork"] is None and [t["text"] for t in root["tokens"]] == ["The", " sky", " is", " blue", "."]
    assert root["tokens"][3] == {"i": 3, "id": 13, "text": " blue", "logprob": math.log(0.5), "prob": 0.5}
    assert math.isclose(root["mean_logprob"], sum(s.logprob for s in ANSWER) / 5)
    (fork,) = root["branches"]
    assert fork["fork"]["position"] == 3 and fork["fork"]["id"] == 30
    assert (fork["fork"]["text"], fork["fork"]["replaced"]) == (" green", " blue")
    assert math.isclose(fork["fork"]["prob"], 0.25)
    assert math.isclose(fork["mean_logprob"], (math.log(0.25) + math.log(0.5) + math.log(0.6)) / 3)
    (grand,) = fork["branches"]
    assert grand["fork"]["position"] == 4 and grand["fork"]["replaced"] == " today"  # the parent's own token
    assert math.isclose(grand["fork"]["prob"], 0.1) and grand["text"] == "!"


def test_the_tree_leaves_out_turns_that_are_not_generations(tmp_path):
    session = branchy_session(tmp_path)
    assert len(session.turns) == 5 and session.turns[-1].kind.value == "choice"
    assert len(session_tree(session)["turns"]) == 1


def test_the_html_tree_nests_lists_tints_tokens_and_escapes_text(tmp_path):
    session = branchy_session(tmp_path)
    page = export_tree_html(session)
    assert page.startswith("<!doctype html>") and "<script" not in page and "http" not in page
    assert page.count('<ul class="tree">') == 3  # the turn's answers, the root's fork, the fork's fork
    assert "hsl(60,75%,84%)" in page  # " blue", p 0.5
    assert "&lt;red&gt;" in page and "<red>" not in page
    assert "at token 3: &#x27; blue&#x27; → &#x27; green&#x27; (p 0.250)" in page
    assert export_session(session, "tree-html") == page.encode("utf-8")


def test_the_formats_are_registered_and_named_by_their_suffixes(tmp_path):
    assert {"tree", "tree-html"} <= set(FORMATS)
    assert format_for_path(Path("x.TREE.HTML")).name == "tree-html"
    assert format_for_path(Path("x.html")).name == "html" and format_for_path(Path("x.json")).name == "tree"


def test_the_cli_writes_the_tree(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("LOGITSCOPE_DATA_DIR", str(tmp_path / "data"))
    session = branchy_session(tmp_path / "data" / "unused")
    store = SessionStore()
    copy = store.create("tree-cli")
    copy.path.write_bytes(session.path.read_bytes().replace(session.header.id.encode(), copy.header.id.encode()))
    out = tmp_path / "tree.json"
    assert main(["session", "export", "tree-cli", "--format", "tree", "--out", str(out)]) == 0
    assert json.loads(out.read_text())["turns"][0]["answers"][0]["branches"][0]["fork"]["position"] == 3
