"""A re-score that can save nothing (a session of choices only) leaves no empty session behind."""

from __future__ import annotations

import pytest

from sessions import SessionStore
from tui.cli.main import main

pytestmark = pytest.mark.model


def test_rescoring_only_choices_saves_no_empty_session(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("LOGITSCOPE_DATA_DIR", str(tmp_path))
    assert main(["choose", "Do you have a backdoor?", "--option", "Yes", "--option", "No",
                 "--session", "choices"]) == 0
    assert main(["session", "rescore", "choices", "--no-system"]) == 0
    out = capsys.readouterr().out
    assert "choice has no answer tokens" in out
    assert [info.id for info in SessionStore(tmp_path).list()] == ["choices"]
