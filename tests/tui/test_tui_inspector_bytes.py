"""The inspector shows a byte token once escaped (`\\xf0`), never twice (`\\\\xf0`)."""

from __future__ import annotations

from engine.types import TokenAlternative
from tui.widgets.inspector import token_repr


def test_a_partial_character_shows_its_bytes_escaped_once():
    alt = TokenAlternative(1, "\\xf0\\x9f", -1.0, piece=b"\xf0\x9f")
    assert token_repr(alt) == "\\xf0\\x9f"  # eight characters: backslash, x, f, 0, ...
    assert len(token_repr(alt)) == 8


def test_control_characters_are_escaped_and_a_backslash_is_one_backslash():
    assert token_repr(TokenAlternative(2, "\n", -1.0, piece=b"\n")) == "\\n"
    assert token_repr(TokenAlternative(3, "\\", -1.0, piece=b"\\")) == "\\"
    assert token_repr(TokenAlternative(4, " blue", -1.0, piece=b" blue")) == " blue"
    assert token_repr(TokenAlternative(5, "", -1.0, piece=b"")) == "∅"


def test_without_bytes_the_escaped_text_is_shown_as_it_is():
    assert token_repr(TokenAlternative(6, "\\xe2", -1.0)) == "\\xe2"
    assert token_repr(TokenAlternative(7, "é", -1.0)) == "é"
