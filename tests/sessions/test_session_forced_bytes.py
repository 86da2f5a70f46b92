"""The journal keeps raw bytes: alternatives' pieces and a branch's forced tokens (no model needed).

`data/v1-branch.jsonl` was written by logitscope before either was recorded (commit 3e917c1): a
generation and a branch of it at position 2 whose forced token is a byte token (`"\\xf0"`).
"""

from __future__ import annotations

import json
import random
from dataclasses import replace
from pathlib import Path

from engine.types import TokenAlternative
from sessions import Session, record_turn, synthetic
from sessions.codec import decode_step, encode_step
from sessions.format import turn_line
from sessions.tokens import TurnIndex, forced_pieces

V1 = Path(__file__).parent / "data" / "v1-branch.jsonl"


def test_alternatives_keep_their_bytes_compactly():
    step = synthetic.steps(random.Random(1), 1)[0]
    top = (
        TokenAlternative(1, " the", -0.5, b" the"),  # the text's UTF-8: a plain triple
        TokenAlternative(243, "\\xf0", -1.0, b"\xf0"),  # a byte token, escaped for display
        TokenAlternative(7, "a\\b", -2.0, b"a\\b"),  # a real backslash
        TokenAlternative(8, "x", -3.0),  # bytes nobody recorded (a scripted backend)
        TokenAlternative(9, "\\x99", -4.0),  # ... with an escape-looking text
    )
    step = replace(step, top=top)
    data = json.loads(json.dumps(encode_step(step)))
    assert [len(entry) for entry in data["top"]] == [3, 4, 4, 4, 3]
    assert data["top"][3][3] is None
    assert decode_step(data) == step


def test_a_v1_journal_opens_and_its_unrecorded_bytes_are_unknown_not_guessed():
    session = Session.open(V1)
    assert session.header.version == 1 and session.problems == []
    parent, branch = session.turns
    alternatives = {alt.id: alt for alt in parent.steps[2].top}
    assert alternatives[243].text == "\\xf0" and alternatives[243].piece is None
    plain = [alt for alt in parent.steps[0].top if "\\" not in alt.text]
    assert plain and all(alt.piece == alt.text.encode() for alt in plain)
    assert branch.parent == parent.id and branch.forced_pieces == ()
    assert forced_pieces(branch, TurnIndex(session)) is None  # the fork's byte is not known


def _branchy(tmp_path, derive: bool):
    """A generation, a branch of it at 2, a branch of that past its fork (at 4) and one inside
    its inherited prefix (at 1), journaled the way the TUI does (parent + position)."""
    rng = random.Random(4)
    session = Session.create(tmp_path / "b.jsonl", "branches")
    request, result = synthetic.generation(rng, 6, 4)
    parent = record_turn(session, request, result)

    def fork(of, full_steps, position, tail):
        alt = full_steps[position].top[-1]
        assert alt.id != full_steps[position].id
        forced = tuple(s.id for s in full_steps[:position]) + (alt.id,)
        pieces = tuple(s.piece for s in full_steps[:position]) + (alt.piece,)
        steps = tuple(replace(s, i=n) for n, s in enumerate(synthetic.steps(rng, tail, 4)))
        branch = record_turn(session, replace(request, continue_from=forced),
                             replace(result, steps=steps), parent=of.id, branch_position=position,
                             forced_pieces=None if derive else ())
        forked = replace(full_steps[position], id=alt.id, piece=alt.piece)
        return branch, list(full_steps[:position]) + [forked] + list(steps), pieces

    one, one_steps, one_pieces = fork(parent, list(parent.steps), 2, 3)
    two, _, two_pieces = fork(one, one_steps, 4, 2)
    three, _, three_pieces = fork(one, one_steps, 1, 2)
    return session, [(one, one_pieces), (two, two_pieces), (three, three_pieces)]


def test_record_turn_works_out_the_bytes_a_branch_forces(tmp_path):
    session, branches = _branchy(tmp_path, derive=True)
    reopened = Session.open(session.path)
    for (branch, pieces), again in zip(branches, reopened.turns[1:], strict=True):
        assert branch.forced_pieces == pieces and again.forced_pieces == pieces
    assert b'"forced_pieces":' not in turn_line(reopened.turns[0])  # only branches carry them


def test_a_branch_journaled_without_its_bytes_gets_them_from_its_parents(tmp_path):
    session, branches = _branchy(tmp_path, derive=False)
    reopened = Session.open(session.path)
    index = TurnIndex(reopened)
    for (_, pieces), again in zip(branches, reopened.turns[1:], strict=True):
        assert again.forced_pieces == ()
        assert forced_pieces(again, index) == pieces
