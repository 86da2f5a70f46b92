"""The conversation model: messages per turn, forks, renumbering, edits (no Textual involved)."""

from fake_backend import make_step

from engine.types import Message, TokenStep
from tui.conversation import Conversation, forced_step


def answered(convo: Conversation, user: str, tokens: list[str]) -> None:
    turn_index = len(convo.turns)
    convo.add_turn(user)
    branch = convo.new_branch(turn_index)
    branch.extend([make_step(n, t) for n, t in enumerate(tokens)])


def test_messages_include_earlier_answers_of_the_active_branch():
    convo = Conversation()
    answered(convo, "hi", ["Yes", "!"])
    convo.add_turn("again")
    assert convo.messages_for(1) == (Message("user", "hi"), Message("assistant", "Yes!"),
                                     Message("user", "again"))


def test_fork_keeps_the_prefix_swaps_the_token_and_returns_continue_ids():
    convo = Conversation()
    answered(convo, "q", ["Yes", ",", " the", " sky"])
    parent = convo.turns[0].answer
    alt = parent.steps[2].top[1]
    branch, ids = convo.fork(0, 0, 2, alt)
    assert convo.turns[0].active == 1 and convo.turns[0].branches[0] is parent
    assert ids == parent.token_ids[:2] + (alt.id,)
    assert branch.steps[2].forced and branch.steps[2].text == alt.text and branch.steps[2].rank == 1
    assert branch.steps[2].top == parent.steps[2].top
    branch.extend([make_step(0, " blue")])
    assert branch.steps[-1].i == 3  # renumbered after the forced prefix
    assert len(parent.steps) == 4  # the original is untouched


def test_forced_step_of_a_token_outside_the_top_gets_rank_past_the_list():
    step = make_step(0, "Yes")
    from engine.types import TokenAlternative
    assert forced_step(step, TokenAlternative(12345, "zz", -9.0)).rank == len(step.top)


def test_edit_last_replaces_the_turn_and_drops_its_answers():
    convo = Conversation()
    answered(convo, "first", ["Yes"])
    turn = convo.edit_last("second")
    assert convo.turns == [turn] and turn.user == "second" and turn.branches == []


def _byte_step(i: int, piece: bytes, text: str, top) -> TokenStep:
    return TokenStep(i, 500 + i, text, piece, -1.0, 2.0, 0, tuple(top))


def test_a_fork_on_a_byte_token_keeps_its_raw_bytes():
    from engine.types import TokenAlternative
    byte = TokenAlternative(243, "\\xf0", -2.0, piece=b"\xf0")
    step = _byte_step(0, b"Y", "Y", [TokenAlternative(500, "Y", -1.0, piece=b"Y"), byte])
    forced = forced_step(step, byte)
    assert forced.piece == b"\xf0"  # not the 4 characters of its escaped display text
    assert forced.text == ""  # a lead byte completes no character yet


def test_a_fork_that_completes_a_character_gets_that_character():
    from engine.types import TokenAlternative
    convo = Conversation()
    convo.add_turn("q")
    branch = convo.new_branch(0)
    other = TokenAlternative(777, "\\x98\\x80", -3.0, piece="😀".encode()[2:])
    branch.extend([_byte_step(0, "🙂".encode()[:2], "", []),
                   _byte_step(1, "🙂".encode()[2:], "🙂", [other])])
    forked, ids = convo.fork(0, 0, 1, other)
    assert forked.steps[1].text == "😀" and forked.text == "😀"
    assert ids == (500, 777)
