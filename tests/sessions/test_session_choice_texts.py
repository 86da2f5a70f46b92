"""A journaled choice keeps its options' token texts, and a journal written before they existed
(no `token_texts` / `end_token_texts` in its options) still loads, with no texts."""

from __future__ import annotations

import random
import re
import zlib
from dataclasses import replace

from sessions import SessionStore
from sessions.format import _CRC_KEY, _STEPS_KEY
from sessions.record import record_choice
from sessions.synthetic import choice


def texted_choice():
    request, result = choice(random.Random(3))
    options = tuple(replace(o, end_token_ids=(2,), end_token_logprobs=(-0.1,),
                            token_texts=(o.text,), end_token_texts=("<|im_end|>",)) for o in result.options)
    return request, replace(result, options=options)


def strip_texts(path) -> None:
    """Make the journal look as if written before token texts: drop both fields from every option
    in each turn's head and seal the line with its checksum again."""
    lines = path.read_bytes().split(b"\n")
    out = [lines[0]]
    for line in lines[1:]:
        if not line:
            continue
        crc_at = line.index(_CRC_KEY)
        split = line.index(_STEPS_KEY, crc_at)
        head, n = re.subn(rb',"(end_)?token_texts":\[[^\]]*\]', b"", line[:crc_at])
        assert n == 4  # two options, two fields each
        steps = line[split + len(_STEPS_KEY):-1]
        crc = zlib.crc32(steps, zlib.crc32(head))
        out.append(head + _CRC_KEY + str(crc).encode() + _STEPS_KEY + steps + b"}")
    path.write_bytes(b"\n".join(out) + b"\n")


def test_a_choice_journals_its_token_texts(tmp_path):
    store = SessionStore(tmp_path)
    request, result = texted_choice()
    record_choice(store.create("texts"), request, result)
    loaded = store.open("texts").turns[0].result
    assert loaded == result
    assert [o.end_token_texts for o in loaded.options] == [("<|im_end|>",)] * 2


def test_a_journal_from_before_token_texts_still_loads(tmp_path):
    store = SessionStore(tmp_path)
    request, result = texted_choice()
    record_choice(store.create("old"), request, result)
    strip_texts(store.open("old").path)
    loaded = store.open("old").turns[0].result
    assert [(o.token_texts, o.end_token_texts) for o in loaded.options] == [((), ())] * 2
    assert loaded.options == tuple(replace(o, token_texts=(), end_token_texts=()) for o in result.options)
