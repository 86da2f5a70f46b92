"""Deterministic saved sessions for the session-screen tests: fixed ids, names and dates.

Written straight through the journal's line format (not `SessionStore.create`, which stamps the
current time), so snapshots of the browser, replay and compare screens never change by the clock.
"""

from __future__ import annotations

import random
from dataclasses import replace
from pathlib import Path

from fake_backend import make_step

from sessions import SessionHeader, SessionOrigin, SessionStore, TurnOrigin, make_turn, synthetic
from sessions.format import FORMAT_VERSION, header_line, turn_line

ANSWERS = [["Yes", ",", " the", " sky", " is", " blue", "."], [" No", ",", " maybe", " red", "!"]]


def fake_generation(words: list[str], prompt: str, seed: int = 0):
    """A request/result pair shaped like the fake backend's, without running anything."""
    request, result = synthetic.generation(random.Random(seed), n_tokens=len(words), k=5, prompt=prompt)
    steps = tuple(make_step(i, w, seed) for i, w in enumerate(words))
    result = replace(result, steps=steps, text="".join(words), finish_reason="stop")
    return replace(request, max_tokens=64), result


def write_session(root: Path, sid: str, name: str, created: str, turns: list[tuple],
                  origin: SessionOrigin | None = None) -> Path:
    """`turns`: (request, result, parent, branch_position, origin_turn) tuples; ids t0001, t0002…"""
    path = root / "sessions" / f"{sid}.jsonl"
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [header_line(SessionHeader(sid, name, created, FORMAT_VERSION, origin))]
    for n, (request, result, parent, position, origin_turn) in enumerate(turns, 1):
        turn = make_turn(request, result, parent=parent, branch_position=position,
                         origin=TurnOrigin(origin.session, origin_turn) if origin and origin_turn else None)
        lines.append(turn_line(replace(turn, id=f"{sid[:4]}{n:04d}", created=f"{created[:11]}01:0{n}:00.000Z")))
    path.write_bytes(b"".join(lines))
    return path


def populate(data_dir: Path) -> SessionStore:
    """Three sessions: a chat with a fork, its re-run, and an unrelated one."""
    r1, g1 = fake_generation(ANSWERS[0], "Why is the sky blue?")
    fork_to = make_step(2, " the").top[1].id  # the second most likely token at position 2
    fork_req = replace(r1, continue_from=(make_step(0, "Yes").id, make_step(1, ",").id, fork_to))
    _, g_fork = fake_generation([" because", " of", " light", "."], "Why is the sky blue?", 1)
    r2, g2 = fake_generation(ANSWERS[1], "Is grass red?", 2)
    write_session(data_dir, "sky-chat", "sky chat", "2026-11-20T10:00:00.000Z",
                  [(r1, g1, None, None, None), (fork_req, g_fork, "sky-0001", 2, None),
                   (r2, g2, None, None, None)])
    _, g1b = fake_generation(["Yes", ",", " it", " is", " blue", "."], "Why is the sky blue?", 3)
    _, g2b = fake_generation([" No", ".", " grass", " is", " green", "."], "Is grass red?", 4)
    write_session(data_dir, "sky-chat-rerun", "sky-chat-rerun", "2026-11-21T09:30:00.000Z",
                  [(r1, g1b, None, None, "sky-0001"), (r2, g2b, None, None, "sky-0003")],
                  SessionOrigin("sky-chat", "rerun", "adapters pirate.gguf:1"))
    r3, g3 = fake_generation([" Paris", "."], "Capital of France?", 5)
    write_session(data_dir, "geo", "geography", "2026-11-19T08:15:00.000Z", [(r3, g3, None, None, None)])
    return SessionStore(data_dir)

