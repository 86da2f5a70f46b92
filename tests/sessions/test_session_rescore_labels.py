"""`session rescore`'s per-token lines: "forced" only means a branch's forced prefix; the tokens
of an answer re-tokenised for another tokenizer (no recorded counterpart) say "new"."""

from __future__ import annotations

import re

from tiny_models import WORD_BASE, byte_id

from engine.types import Message, ModelConfig, ScoreRequest
from sessions import Session, record_turn

ASK = (Message("user", "hi"),)


def test_cli_rescore_under_another_tokenizer_labels_its_tokens_new_not_forced(
        tiny_backend, tiny_models, tmp_path, capsys):
    from tui.cli.main import main

    if tiny_backend.info is None or tiny_backend.config.model_path != tiny_models["a"]:
        tiny_backend.load(ModelConfig(tiny_models["a"], n_ctx=256))
    session = Session.create(tmp_path / "original.jsonl", "original")
    ids = (byte_id(ord("H")), WORD_BASE + 3, byte_id(ord("i")))
    result = tiny_backend.score(ScoreRequest(ASK, continuation="", continuation_ids=ids))
    text = b"".join(s.piece for s in result.steps).decode()
    record_turn(session, ScoreRequest(ASK, text, continuation_ids=ids), result)
    code = main(["session", "rescore", str(session.path), "--model", tiny_models["c"], "--no-save"])
    out = capsys.readouterr().out
    assert code == 0 and "re-tokenised" in out
    lines = [line for line in out.splitlines() if re.match(r"\s+\d+ .* -> ", line)]
    assert lines and "forced" not in out
    assert all(re.search(r"\s+new -> ", line) for line in lines), lines
