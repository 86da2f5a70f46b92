"""Does the TUI keep up with the engine? Tokens/s reaching the transcript vs the bare stream.

Runs the default model greedily on a fixed prompt twice with one LocalBackend: once iterating
the engine's stream directly, once through a headless LogitscopeApp, and times the span from the
first to the last token in each (so prompt evaluation and KV-cache reuse do not favour either).
While the TUI run streams it presses keys (tint cycle and cursor moves) and measures the time
from each key press to the next screen update that reflects it. Prints one JSON object:

    {"engine_tok_s", "tui_tok_s", "ratio", "keystroke_ms"}   (plus the token counts)

Usage: python benchmarks/tui_throughput.py [--tokens 200]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time

from textual import events
from textual.widgets import Input

from engine import LocalBackend, default_model_path
from engine.types import GenerationRequest, Message, ModelConfig, SamplingSettings, SystemPrompt

PROMPT = "Write a long story about a lighthouse keeper who finds a message in a bottle."
GREEDY = SamplingSettings(temperature=0.0, seed=1)
KEY_INTERVAL_S = 0.5  # about a person's pace when stepping through tokens


def engine_rate(backend: LocalBackend, tokens: int) -> tuple[float, int]:
    request = GenerationRequest((Message("user", PROMPT),), SystemPrompt.none(), GREEDY, tokens)
    times = [time.perf_counter() for _ in backend.generate(request)]
    return (len(times) - 1) / (times[-1] - times[0]), len(times)


async def tui_rate(backend: LocalBackend, tokens: int) -> tuple[float, int, list[float]]:
    from tui.app import LogitscopeApp

    app = LogitscopeApp(backend, SystemPrompt.none(), GREEDY, max_tokens=tokens)
    renders: list[tuple[float, int]] = []  # (time, tokens in the transcript) per frame drawn
    displays: list[float] = []  # when a frame showing a key's effect was drawn
    latencies: list[float] = []
    async with app.run_test(size=(100, 30)) as pilot:
        screen = app.main_screen
        await app.workers.wait_for_complete()
        original_display = app._display

        shown = asyncio.Event()
        watch: dict[str, object] = {"before": None}

        def display(target, renderable):
            # Runs on the event loop when a frame reaches the (headless) terminal.
            if renderable is not None and watch["before"] is not None:
                if (screen.tint, screen.cursor) != watch["before"]:
                    displays.append(time.perf_counter())
                    watch["before"] = None
                    shown.set()
            return original_display(target, renderable)

        app._display = display  # type: ignore[method-assign]  # a probe on every frame written
        original_show = screen.show_streamed

        def show_streamed(turn_index):
            original_show(turn_index)
            renders.append((time.perf_counter(), len(screen.chat.conversation.turns[turn_index].answer.steps)))

        screen.show_streamed = show_streamed  # type: ignore[method-assign]
        screen.query_one("#message", Input).value = PROMPT
        await pilot.press("enter")
        screen.query_one("#transcript").focus()
        keys = ["t", "left", "t", "right"]
        n = 0
        await asyncio.sleep(KEY_INTERVAL_S)
        app.post_message(events.Key("left", None))  # leave follow mode, unmeasured: from here
        # on the cursor moves only when a key moves it
        while screen.job is not None:
            await asyncio.sleep(KEY_INTERVAL_S)
            if screen.job is None:
                break
            key = keys[n % len(keys)]
            n += 1
            shown.clear()
            watch["before"] = (screen.tint, screen.cursor)
            # Post the key as the terminal driver does (Pilot.press first waits for an idle loop,
            # which a streaming screen rarely is, and would add that wait to the measurement).
            start = time.perf_counter()
            app.post_message(events.Key(key, key if len(key) == 1 else None))
            try:
                await asyncio.wait_for(shown.wait(), 2.0)
                latencies.append((displays[-1] - start) * 1000)
            except TimeoutError:
                watch["before"] = None
        await app.workers.wait_for_complete()
        await pilot.pause()
    (t0, n0), (t1, n1) = renders[0], renders[-1]
    return (n1 - n0) / (t1 - t0), n1, latencies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tokens", type=int, default=200)
    parser.add_argument("--threads", type=int, default=None,
                        help="llama.cpp threads for both runs (default: the engine's default)")
    args = parser.parse_args()
    backend = LocalBackend(ModelConfig(str(default_model_path()), n_threads=args.threads))
    try:
        backend.start()
        engine_rate(backend, 8)  # warm-up: first-call allocations, page cache
        engine_tok_s, engine_n = engine_rate(backend, args.tokens)
        tui_tok_s, tui_n, latencies = asyncio.run(tui_rate(backend, args.tokens))
    finally:
        backend.close()
    print(json.dumps({
        "engine_tok_s": round(engine_tok_s, 2),
        "tui_tok_s": round(tui_tok_s, 2),
        "ratio": round(tui_tok_s / engine_tok_s, 3),
        "keystroke_ms": round(statistics.median(latencies), 1) if latencies else None,
        "tokens": {"engine": engine_n, "tui": tui_n, "keystrokes": len(latencies)},
    }))


if __name__ == "__main__":
    main()
