"""Benchmark: open a 1,000-turn session (200 tokens a turn, top-10 each) to a rendered TUI replay.

Prints JSON {"turns", "open_s", ...}. `open_s` is the median time from nothing to a rendered
replay screen in a headless Textual app (`App.run_test()`): Session.open, then the ReplayScreen
pushed, its first page of turns decoded, mounted and painted (the app itself already running, as
when the browser opens a session; `app_start_s` is the headless app's own start-up). `load_s` is
Session.open alone: reading the file, checking every record (JSON head parsed, token steps
CRC-checked) and building the turn index. `first_turn_s` adds decoding one turn's token steps.

    python benchmarks/session_open.py [--turns N] [--tokens N] [--top-k N]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import tempfile
import time
from dataclasses import replace
from pathlib import Path


async def tui_open(path: Path, repeat: int) -> tuple[list[float], float, int]:
    """Median-able times of Session.open + a rendered ReplayScreen in one headless app."""
    from textual.app import App

    from sessions.journal import Session
    from tui.screens.replay import ReplayScreen
    from tui.widgets.transcript import AnswerView

    tui_dir = Path(__file__).resolve().parent.parent / "tui"

    class Bench(App):
        CSS_PATH = [str(tui_dir / "app.tcss"), str(tui_dir / "sessions.tcss")]

    started = time.perf_counter()
    times, shown = [], 0
    async with Bench().run_test(size=(120, 35)) as pilot:
        app_start = time.perf_counter() - started
        for _ in range(repeat):
            started = time.perf_counter()
            await pilot.app.push_screen(ReplayScreen(Session.open(path)))
            await pilot.pause()
            pilot.app.screen._compositor.render_update(full=True)  # paint it, as a frame would
            times.append(time.perf_counter() - started)
            shown = len(pilot.app.screen.query(AnswerView))
            pilot.app.pop_screen()
            await pilot.pause()
    return times, app_start, shown


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=1000)
    parser.add_argument("--tokens", type=int, default=200)
    parser.add_argument("--top-k", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=5, help="opens to time; open_s is the median")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="logitscope-bench-") as tmp:
        os.environ["LOGITSCOPE_DATA_DIR"] = tmp
        from sessions import synthetic
        from sessions.format import header_line, turn_line
        from sessions.journal import Session
        from sessions.record import make_turn

        rng = random.Random(0)
        path = Path(tmp) / "bench.jsonl"
        session = Session.create(path, "bench")
        # A handful of distinct turns, re-identified: generating 200k random steps would dominate.
        templates = [synthetic.generation(rng, args.tokens, args.top_k) for _ in range(8)]
        with open(path, "ab") as handle:
            for n in range(args.turns):
                request, result = templates[n % len(templates)]
                turn = make_turn(request, result)
                handle.write(turn_line(replace(turn, id=f"t{n:05d}")))
        del session, header_line
        size = path.stat().st_size
        opens, firsts = [], []
        for _ in range(max(1, args.repeat)):
            started = time.perf_counter()
            opened = Session.open(path)
            opens.append(time.perf_counter() - started)
            first = opened.turns[0]
            firsts.append(time.perf_counter() - started)
        load_s, first_turn_s = statistics.median(opens), statistics.median(firsts)
        tui_times, app_start_s, shown = asyncio.run(tui_open(path, max(1, args.repeat)))
        assert len(opened.turns) == args.turns and not opened.problems, opened.problems
        assert len(first.steps) == args.tokens
        print(json.dumps({"turns": len(opened.turns),
                          "open_s": round(statistics.median(tui_times), 4),
                          "open_min_s": round(min(tui_times), 4), "turns_on_screen": shown,
                          "app_start_s": round(app_start_s, 4), "load_s": round(load_s, 4),
                          "load_min_s": round(min(opens), 4),
                          "first_turn_s": round(first_turn_s, 4), "file_mb": round(size / 1e6, 1),
                          "tokens_per_turn": args.tokens, "top_k": args.top_k}))


if __name__ == "__main__":
    main()
