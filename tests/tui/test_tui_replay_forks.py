"""Replay rebuilds a fork with the bytes it forced: a fork on part of a UTF-8 character shows the
character it made, whether or not the journal knew the alternative's bytes."""

from __future__ import annotations

import math
import random
from dataclasses import replace

from pilot_helpers import settle

from engine.types import TokenAlternative, TokenStep
from sessions import Session, SessionStore, record_turn, synthetic
from tui import replay_model
from tui.screens.replay import ReplayScreen
from tui.widgets.transcript import AnswerView

# 😀 is F0 9F 98 80, 🙂 F0 9F 99 82, 😁 F0 9F 98 81: the answer says 🙂 in two byte tokens, and
# the distribution at its second one offers the other endings.
KNOWN = TokenAlternative(500, "\\x98\\x80", math.log(0.2), b"\x98\x80")
UNKNOWN = TokenAlternative(501, "\\x98\\x81", math.log(0.1))  # bytes nobody recorded


def step(i: int, token: int, text: str, piece: bytes, top: tuple[TokenAlternative, ...] = ()) -> TokenStep:
    chosen = TokenAlternative(token, text or piece.decode("utf-8", "backslashreplace"), math.log(0.6), piece)
    return TokenStep(i, token, text, piece, chosen.logprob, 1.0, 0, (chosen, *top))


ANSWER = (step(0, 10, " é", " é".encode()), step(1, 11, "", b"\xf0\x9f"),
          step(2, 12, "🙂", b"\x99\x82", (KNOWN, UNKNOWN)), step(3, 13, " and", b" and"))


def branchy_session() -> Session:
    """An answer and two forks of it at position 2, inside 🙂, journaled with their forced bytes."""
    session = SessionStore().create("utf8 forks")
    request, result = synthetic.generation(random.Random(3), 4, 3)
    root = record_turn(session, request, replace(result, steps=ANSWER, text=" é🙂 and"))
    for alt, word in ((KNOWN, " ok"), (UNKNOWN, " hm")):
        tail = (step(0, 20, word, word.encode()),)
        pieces = (ANSWER[0].piece, ANSWER[1].piece, alt.piece or b"\x98\x81")
        record_turn(session, replace(request, continue_from=(10, 11, alt.id)),
                    replace(result, steps=tail, text=word), parent=root.id, branch_position=2,
                    forced_pieces=pieces)
    return Session.open(session.path)


def test_a_replayed_fork_inside_a_character_has_its_forced_bytes_and_text():
    session = branchy_session()
    groups = replay_model.group_turns(session)
    assert groups == [[0, 1, 2]]
    turn = replay_model.page_conversation(session, groups, 0, 1).turns[0]
    root, known, unknown = turn.branches
    assert root.text == " é🙂 and"
    assert (known.fork_at, unknown.fork_at) == (2, 2)
    assert known.steps[2].piece == b"\x98\x80" and known.steps[2].forced
    assert known.text == " é😀 ok"
    assert unknown.steps[2].piece == b"\x98\x81"  # from the turn's forced_pieces
    assert unknown.text == " é😁 hm"
    assert [s.i for s in unknown.steps] == [0, 1, 2, 3]


async def test_the_replay_screen_shows_the_forked_character(make_app):
    session = branchy_session()
    app = make_app(load_on_start=False)
    async with app.run_test(size=(100, 30)) as pilot:
        app.push_screen(ReplayScreen(session))
        await settle(pilot)
        view = app.screen.query(AnswerView).first()
        assert "branch 3/3 · forked from 1 at token 2" in view.text.plain
        assert " é·😁 hm" in view.text.plain  # "·": the token that began the character


def rerun_like_session() -> Session:
    """A re-run's shape: the branch keeps the ORIGINAL parent's forced ids and bytes and its
    branch position, but its parent is the re-run parent, which said other tokens there."""
    session = SessionStore().create("rerun forks")
    request, result = synthetic.generation(random.Random(5), 4, 3)
    said = (step(0, 40889, " Yes", b" Yes"), step(1, 37153, ",", b","), step(2, 77, " it", b" it"),
            step(3, 78, ".", b"."))
    root = record_turn(session, request, replace(result, steps=said, text=" Yes, it."))
    tail = (step(0, 20, " ok", b" ok"),)
    record_turn(session, replace(request, continue_from=(18132, 41089, 33316)),
                replace(result, steps=tail, text=" ok"), parent=root.id, branch_position=2,
                forced_pieces=(b" No", b" way", b" \xc3\xa9"))
    return Session.open(session.path)


def test_a_replayed_rerun_branch_shows_the_tokens_it_was_conditioned_on():
    session = rerun_like_session()
    turn = replay_model.page_conversation(session, replay_model.group_turns(session), 0, 1).turns[0]
    root, branch = turn.branches
    assert root.text == " Yes, it."
    assert tuple(s.id for s in branch.steps) == (18132, 41089, 33316, 20)
    assert [s.piece for s in branch.steps[:3]] == [b" No", b" way", b" \xc3\xa9"]
    assert all(s.forced for s in branch.steps[:3]) and not branch.steps[3].forced
    assert branch.text == " No way é ok"
    assert [s.i for s in branch.steps] == [0, 1, 2, 3]
    assert (branch.parent, branch.fork_at) == (0, 2)


def test_a_replayed_rerun_branch_under_another_tokenizer_shows_its_own_prefix():
    """Re-tokenised: more forced ids than the branch position says, so not the parent's."""
    session = SessionStore().create("retokenised fork")
    request, result = synthetic.generation(random.Random(6), 4, 3)
    root = record_turn(session, request, replace(result, steps=ANSWER, text=" é🙂 and"))
    record_turn(session, replace(request, continue_from=(10, 11, 12, 500)),
                replace(result, steps=(step(0, 20, "!", b"!"),), text="!"), parent=root.id,
                branch_position=2, forced_pieces=(b" \xc3", b"\xa9", b"\xf0\x9f", b"\x98\x80"))
    session = Session.open(session.path)
    turn = replay_model.page_conversation(session, replay_model.group_turns(session), 0, 1).turns[0]
    branch = turn.branches[1]
    assert tuple(s.id for s in branch.steps) == (10, 11, 12, 500, 20)
    assert branch.text == " é😀!"
    assert branch.fork_at == 3  # the forced token that replaced the parent's
