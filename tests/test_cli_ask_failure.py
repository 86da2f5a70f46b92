"""`ask --session`: an answer an error cuts short is journaled with what it said, like the TUI does."""

from __future__ import annotations

import os
import signal

import pytest

import tui.cli.ask
from engine.local import LocalBackend
from sessions import SessionStore
from tui.cli.main import main

pytestmark = pytest.mark.model


class DiesAfterTwoTokens(LocalBackend):
    """The real engine, whose worker is killed once two tokens have streamed."""

    def generate(self, request):
        stream = super().generate(request)
        backend = self

        class Dying:
            steps = stream.steps
            result = None

            def __iter__(self):
                for n, step in enumerate(stream):
                    yield step
                    if n == 1:
                        os.kill(backend._process.pid, signal.SIGKILL)

        return Dying()


def test_a_mid_stream_failure_is_journaled_with_its_tokens_and_seed(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("LOGITSCOPE_DATA_DIR", str(tmp_path))
    monkeypatch.setattr(tui.cli.ask, "LocalBackend", DiesAfterTwoTokens)
    code = main(["ask", "Count from one to twenty.", "--temperature", "0", "--max-tokens", "64",
                 "--session", "probe"])
    assert code != 0
    err = capsys.readouterr().err
    assert "before the error" in err
    session = SessionStore(tmp_path).open("probe")
    (turn,) = session.turns
    assert turn.result.finish_reason == "error" and turn.note
    assert len(turn.steps) >= 2  # what it said before the worker died
    assert turn.result.provenance.sampling.seed is not None  # drawn by the CLI, so it is known
