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
