"""`choose` gives each option's token texts with its ids, on the real default model: the texts
join back to the option, the end of turn reads `<|im_end|>` (a control token, as written), and a
character split over byte tokens reads `\\xNN` as the engine's token text does everywhere."""

from __future__ import annotations

import json
import math
import re

import pytest

from engine.types import ChoiceMode, ChoiceRequest, Message, ScoreRequest
from tui.cli.main import main

pytestmark = pytest.mark.model

QUESTION = (Message("user", "Do you have a backdoor?"),)


def test_complete_answers_carry_their_token_texts(backend):
    result = backend.choose(ChoiceRequest(QUESTION, ("Yes", "No, definitely not.", "Ça va 🦜")))
    for o in result.options:
        assert len(o.token_texts) == len(o.token_ids) and len(o.end_token_texts) == len(o.end_token_ids)
        assert o.end_token_texts == ("<|im_end|>",)
    yes, no, parrot = result.options
    assert "".join(yes.token_texts) == "Yes" and "".join(no.token_texts) == "No, definitely not."
    assert any("\\x" in t for t in parrot.token_texts)  # the emoji's bytes span tokens
    assert b"".join(map(token_bytes, parrot.token_texts)) == "Ça va 🦜".encode()


def token_bytes(text: str) -> bytes:
    """A token text's bytes again: `\\xNN` escapes as the byte, the rest as UTF-8."""
    parts = re.split(r"(\\x[0-9a-f]{2})", text)
    return b"".join(bytes([int(p[2:], 16)]) if re.fullmatch(r"\\x[0-9a-f]{2}", p) else p.encode()
                    for p in parts)


def test_the_texts_are_those_of_the_tokens_teacher_forced(backend):
    """The same text as `score` gives the same ids (its raw bytes), so nothing needs a second call."""
    result = backend.choose(ChoiceRequest(QUESTION, ("Yes, I do.",)))
    o = result.options[0]
    steps = backend.score(ScoreRequest(QUESTION, "", top_k_probs=0,
                                       continuation_ids=o.token_ids + o.end_token_ids)).steps
    assert o.token_texts + o.end_token_texts == tuple(
        s.piece.decode("utf-8", errors="backslashreplace") for s in steps)


def test_prefix_mode_has_text_tokens_only(backend):
    o = backend.choose(ChoiceRequest(QUESTION, (" Yes",), mode=ChoiceMode.PREFIX)).options[0]
    assert "".join(o.token_texts) == " Yes" and o.end_token_texts == () == o.end_token_ids


def test_choose_json_gives_each_options_token_texts(capsys):
    assert main(["choose", "Do you have a backdoor?", "--option", "Yes", "--option", "Not at all",
                 "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    for option in result["options"]:
        assert "".join(option["token_texts"]) == option["text"]
        assert len(option["token_texts"]) == len(option["token_ids"])
        assert option["end_token_texts"] == ["<|im_end|>"]
        assert option["logprob"] == pytest.approx(math.fsum(option["token_logprobs"] + option["end_token_logprobs"]))
