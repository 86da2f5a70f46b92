"""kill -9 of a real process that is journaling: no completed turn is lost."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sessions import SessionStore

WRITER = Path(__file__).with_name("journal_writer.py")


def _start(mode: str, data_dir: Path, name: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, str(WRITER), mode, str(data_dir), name],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        start_new_session=True,  # its own process group: the kill takes the engine worker too
    )


def _kill(process: subprocess.Popen) -> None:
    os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL


def _read_until(process: subprocess.Popen, saved: list[str], stop, timeout: float = 240) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            pytest.fail(f"writer exited early: {process.stderr.read()[-2000:]}")
        word, _, value = line.strip().partition(" ")
        if word == "SAVED":
            saved.append(value)
        if stop(word, value):
            return
    pytest.fail("writer too slow")


@pytest.mark.model
def test_kill_9_during_a_generation_loses_no_completed_turn(tmp_path):
    process = _start("model", tmp_path, "crash")
    saved: list[str] = []
    try:
        # Two turns completed, then kill while the third is generating (after its 2nd token).
        _read_until(process, saved, lambda word, value: word == "STEP" and len(saved) >= 2)
        _kill(process)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
    session = SessionStore(tmp_path).open("crash")
    ids = [t.id for t in session.turns]
    assert ids[: len(saved)] == saved and len(saved) >= 2
    assert len(ids) <= len(saved) + 1  # at most the turn in flight, if it completed meanwhile
    assert all(p.torn for p in session.problems)
    for turn in session.turns:
        assert turn.steps and turn.provenance.model_sha256  # fully readable, with provenance


def test_kill_9_while_writing_large_records(tmp_path):
    rng = random.Random()
    for attempt in range(3):
        name = f"bulk{attempt}"
        process = _start("synthetic", tmp_path, name)
        saved: list[str] = []
        target = rng.randint(2, 6)
        try:
            _read_until(process, saved, lambda word, value, saved=saved, target=target: len(saved) >= target)
            time.sleep(rng.random() * 0.05)  # land somewhere inside the next write, or near it
            _kill(process)
        finally:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
        session = SessionStore(tmp_path).open(name)
        ids = [t.id for t in session.turns]
        assert ids[: len(saved)] == saved
        assert len(session.problems) <= 1 and all(p.torn for p in session.problems)
