"""Re-running a choice reads it in the mode it was recorded in, also from a journal before modes."""

from __future__ import annotations

import zlib

import pytest

from engine.types import ChoiceMode
from sessions import SessionStore
from sessions.format import _CRC_KEY, _STEPS_KEY
from tui.cli.main import main

pytestmark = pytest.mark.model


def strip_modes(path) -> None:
    """Make the journal look as if written before choice modes existed: drop the request's and
    the result's "mode" from each turn's head and seal the line with its checksum again."""
    lines = path.read_bytes().split(b"\n")
    out = [lines[0]]
    for line in lines[1:]:
        if not line:
            continue
        crc_at = line.index(_CRC_KEY)
        split = line.index(_STEPS_KEY, crc_at)
        head = line[:crc_at].replace(b',"mode":"prefix"', b"")
        steps = line[split + len(_STEPS_KEY):-1]
        crc = zlib.crc32(steps, zlib.crc32(head))
        out.append(head + _CRC_KEY + str(crc).encode() + _STEPS_KEY + steps + b"}")
    path.write_bytes(b"\n".join(out) + b"\n")


def test_an_old_prefix_choice_is_rerun_as_prefix(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("LOGITSCOPE_DATA_DIR", str(tmp_path))
    assert main(["choose", "Do you have a backdoor?", "--option", "Yes", "--option", "Yes, definitely",
                 "--mode", "prefix", "--session", "old"]) == 0
    store = SessionStore(tmp_path)
    strip_modes(store.open("old").path)
    old = store.open("old").turns[0]
    assert old.result.mode is ChoiceMode.PREFIX and old.request.mode is ChoiceMode.COMPLETE  # as decoded
    assert main(["session", "rerun", "old", "--name", "again"]) == 0
    new = store.open("again").turns[0]
    assert new.request.mode is ChoiceMode.PREFIX and new.result.mode is ChoiceMode.PREFIX
    assert [o.logprob for o in new.result.options] == pytest.approx([o.logprob for o in old.result.options], abs=1e-3)
