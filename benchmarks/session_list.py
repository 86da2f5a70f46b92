"""Benchmark: `session list` and search over a store of 1,000 sessions, before and after the index.

Prints JSON. `legacy_list_s` / `legacy_search_s` re-run the code the store had before
`sessions/index.py` (open and verify every journal in full; the search did that twice).
`cold_list_s` is the first list after the sessions appeared (it reads every journal once and
writes the index), `list_s` / `search_s` the later ones, which stat the journals and read the
index. Times are medians over --repeat runs; `list_speedup` = legacy_list_s / list_s. The
sessions are written, then left SETTLE_S (2 s) to age: the index re-reads files modified that
recently (see sessions/index.py), as a real store's older sessions are not.

    python benchmarks/session_list.py [--sessions N] [--turns N] [--tokens N] [--top-k N]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any


def legacy_list(root: Path) -> list[tuple[str, str, int, str]]:
    """The listing as it was: Session.open (every record checked) for every file."""
    from sessions import Session, SessionError

    infos = []
    for path in sorted(p for p in root.iterdir() if p.suffix == ".jsonl" and p.is_file()):
        try:
            session = Session.open(path)
            model = session.entry_meta(0)["result"]["provenance"]["model_path"] if len(session.turns) else ""
            infos.append((session.header.created, session.id, len(session.turns), model))
        except SessionError:
            infos.append(("", path.stem, 0, ""))
    return sorted(infos, reverse=True)


def legacy_search(root: Path, text: str) -> list[str]:
    """The search as it was: the legacy listing, then every journal opened again."""
    from sessions import Session

    needle, found = text.lower(), []
    for _, sid, _, model in legacy_list(root):
        session = Session.open(root / f"{sid}.jsonl")
        haystack = [session.name, sid, model]
        for index in range(len(session.turns)):
            meta = session.entry_meta(index)
            request = meta.get("request", {})
            haystack += [m.get("content", "") for m in request.get("messages", [])]
            haystack += [meta.get("result", {}).get("text", ""), request.get("continuation", "")]
            haystack += request.get("options", [])
        if any(needle in str(h).lower() for h in haystack):
            found.append(sid)
    return found


def timed(function: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


def write_store(root: Path, sessions: int, turns: int, tokens: int, top_k: int) -> int:
    from sessions import SessionHeader, make_turn, synthetic
    from sessions.format import FORMAT_VERSION, header_line, turn_line

    rng = random.Random(0)
    templates = [synthetic.generation(rng, tokens, top_k) for _ in range(8)]
    root.mkdir(parents=True)
    size = 0
    for n in range(sessions):
        lines = [header_line(SessionHeader(f"s{n:04d}", f"session {n}",
                                           f"2026-11-{1 + n % 28:02d}T10:{n % 60:02d}:00.000Z",
                                           FORMAT_VERSION, None))]
        for t in range(turns):
            request, result = templates[(n + t) % len(templates)]
            request = replace(request, messages=(replace(request.messages[-1],
                                                         content=f"question {t} of session {n}"),))
            lines.append(turn_line(replace(make_turn(request, result), id=f"t{n:04d}{t:03d}")))
        data = b"".join(lines)
        (root / f"s{n:04d}.jsonl").write_bytes(data)
        size += len(data)
    return size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=1000)
    parser.add_argument("--turns", type=int, default=5)
    parser.add_argument("--tokens", type=int, default=50)
    parser.add_argument("--top-k", type=int, default=5)
    parser.add_argument("--repeat", type=int, default=3, help="runs to time; the median is printed")
    args = parser.parse_args()
    from sessions import SessionStore
    from sessions import index as session_index

    with tempfile.TemporaryDirectory(prefix="logitscope-bench-") as tmp:
        store = SessionStore(tmp)
        size = write_store(store.root, args.sessions, args.turns, args.tokens, args.top_k)
        time.sleep(session_index.SETTLE_S + 0.1)
        needle = f"question 0 of session {args.sessions - 1}"
        legacy_list_s, legacy = timed(lambda: legacy_list(store.root), args.repeat)
        legacy_search_s, legacy_found = timed(lambda: legacy_search(store.root, needle), args.repeat)
        cold_list_s, _ = timed(store.list, 1)
        list_s, infos = timed(store.list, args.repeat)
        search_s, found = timed(lambda: store.search(needle), args.repeat)
        assert [i.id for i in infos] == [sid for _, sid, _, _ in legacy], "listings differ"
        assert [i.id for i in found] == legacy_found == [f"s{args.sessions - 1:04d}"], found
        print(json.dumps({
            "sessions": args.sessions, "turns_per_session": args.turns,
            "store_mb": round(size / 1e6, 1),
            "index_mb": round((store.root / session_index.INDEX_NAME).stat().st_size / 1e6, 2),
            "legacy_list_s": round(legacy_list_s, 4), "cold_list_s": round(cold_list_s, 4),
            "list_s": round(list_s, 4), "list_speedup": round(legacy_list_s / list_s, 1),
            "legacy_search_s": round(legacy_search_s, 4), "search_s": round(search_s, 4),
            "search_speedup": round(legacy_search_s / search_s, 1),
        }))


if __name__ == "__main__":
    main()
