"""Does the TUI keep up with the engine? Tokens/s reaching the transcript vs the bare stream,
and how long a key pressed while tokens stream takes to reach the screen.

One LocalBackend runs the default model greedily, --generations times (default 4), at most
--tokens tokens each (default 200). Each round is a generation through a headless
LogitscopeApp (a new conversation, the prompt typed into the message box), then the very same
request iterated straight from the engine's stream; rounds interleave so that load from other
processes hits both sides alike. A rate counts tokens from the first to the last one shown (TUI:
the moment the transcript was given each new token count; engine: each token yielded), summed over
the rounds, so prompt evaluation and KV-cache reuse favour neither side.

Keystrokes land in short generations too (at GPU speed 200 tokens take 0.3 s): from the first
token shown, a key is posted every --key-interval-ms (default 100) for as long as the generation
streams: first `left` (leaves follow mode: its effect is that the cursor stops following), then
alternately f7 (tint cycle) and a cursor move (left, or right from the first token). A key's
latency runs from posting it, as the terminal driver does, to the first frame written with its
effect on screen; a key not shown within 1 s is counted as missed. The next key waits for the
previous one's frame, so a slow screen is measured at the pace it can take.

Prints one JSON object: {"engine_tok_s", "tui_tok_s", "ratio", "keystroke_ms": {"p50", "p90",
"p99", "max", "mean"}, "keystrokes": {"measured", "missed", "per_generation"}, "tokens", targets,
the offload and thread count (benchmarks/device_flags.py)}.

Usage: python benchmarks/tui_throughput.py [--tokens 200] [--generations 4] [--key-interval-ms 100]
       [--n-gpu-layers N] [--threads N]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from device_flags import add_device_flags, device_flags
from keystroke_stats import latency_summary
from textual import events
from textual.widgets import Input
from textual.worker import WorkerCancelled

from engine import LocalBackend, default_model_path
from engine.threads import interactive_thread_counts
from engine.types import GenerationRequest, Message, SamplingSettings, SystemPrompt

PROMPT = "Write a long story about a lighthouse keeper who finds a message in a bottle."
GREEDY = SamplingSettings(temperature=0.0, seed=1)
SHOWN_TIMEOUT_S = 1.0


@dataclass
class Round:
    """What one TUI generation measured."""

    first: tuple[float, int] | None = None  # (time, tokens) when the transcript first got tokens
    last: tuple[float, int] | None = None  # ... and when it got its final token count
    latencies_ms: list[float] = field(default_factory=list)
    missed: int = 0

    def shown(self, when: float, tokens: int) -> None:
        if self.first is None:
            self.first = (when, tokens)
        if self.last is None or tokens > self.last[1]:
            self.last = (when, tokens)

    def span(self) -> tuple[int, float]:
        """(tokens after the first frame's, seconds between them)."""
        if self.first is None or self.last is None:
            return 0, 0.0
        return self.last[1] - self.first[1], self.last[0] - self.first[0]


def engine_span(backend: LocalBackend, request: GenerationRequest) -> tuple[int, float]:
    """(tokens after the first, seconds from the first token to the last) of one bare stream."""
    times = [time.perf_counter() for _ in backend.generate(request)]
    return len(times) - 1, times[-1] - times[0]


class KeyProbe:
    """Wraps the app's frame output: notes when the first frame showing a key's effect is written."""

    def __init__(self, app) -> None:
        self._original = app._display
        self._effect: Callable[[], bool] | None = None
        self._posted = 0.0
        self.shown = asyncio.Event()
        self.latency_ms = 0.0
        app._display = self._display  # a probe on every frame written to the (headless) terminal

    def _display(self, target, renderable):
        if renderable is not None and self._effect is not None and self._effect():
            self.latency_ms = (time.perf_counter() - self._posted) * 1000
            self._effect = None
            self.shown.set()
        return self._original(target, renderable)

    async def press(self, app, key: str, effect: Callable[[], bool]) -> float | None:
        """Post `key` and wait for a frame where `effect()` holds: the latency in ms, None if missed."""
        self.shown.clear()
        self._effect = effect
        self._posted = time.perf_counter()
        # Posted as the terminal driver does (Pilot.press first waits for an idle loop, which a
        # streaming screen rarely is, and would add that wait to the measurement).
        app.post_message(events.Key(key, None))
        try:
            await asyncio.wait_for(self.shown.wait(), SHOWN_TIMEOUT_S)
        except TimeoutError:
            self._effect = None
            return None
        return self.latency_ms


async def settle(app) -> None:
    """Wait for the app's workers; one cancelled on purpose (a model scan restarted) is not an error."""
    while True:
        try:
            await app.workers.wait_for_complete()
            return
        except WorkerCancelled:
            continue


def next_key(screen, n: int) -> tuple[str, Callable[[], bool]]:
    """The n-th key of a generation and the test that its effect is on screen."""
    if n == 0:
        return "left", lambda: not screen.follow
    before = (screen.tint, screen.cursor)
    if n % 2 == 1 or screen.cursor is None:
        return "f7", lambda: screen.tint != before[0]
    turn, pos = screen.cursor
    steps = screen.chat.conversation.turns[turn].answer.steps
    if pos == 0 and len(steps) < 2:
        return "f7", lambda: screen.tint != before[0]
    return ("left" if pos > 0 else "right"), lambda: screen.cursor != before[1]


async def tui_rounds(backend: LocalBackend, tokens: int, generations: int,
                     key_interval_s: float) -> tuple[list[Round], list[tuple[int, float]]]:
    from tui.app import LogitscopeApp

    app = LogitscopeApp(backend, SystemPrompt.none(), GREEDY, max_tokens=tokens)
    rounds: list[Round] = []
    engine: list[tuple[int, float]] = []
    async with app.run_test(size=(100, 30)) as pilot:
        screen = app.main_screen
        await settle(app)
        probe = KeyProbe(app)
        first_token = asyncio.Event()
        original_show = screen.show_streamed

        def show_streamed(turn_index):
            original_show(turn_index)
            rounds[-1].shown(time.perf_counter(), len(screen.chat.conversation.turns[turn_index].answer.steps))
            first_token.set()

        screen.show_streamed = show_streamed  # type: ignore[method-assign]
        for _ in range(generations):
            await pilot.press("ctrl+n")  # a new conversation: every round answers the same prompt
            rounds.append(Round())
            first_token.clear()
            screen.query_one("#message", Input).value = PROMPT
            # Not Pilot.press: it returns once the app is idle, after the whole generation when
            # the prompt is cached and the first token comes at once.
            app.post_message(events.Key("enter", "\r"))
            await asyncio.wait_for(first_token.wait(), 60)
            screen.query_one("#transcript").focus()
            n, next_at = 0, time.perf_counter()
            while screen.job is not None:
                key, effect = next_key(screen, n)
                n += 1
                latency = await probe.press(app, key, effect)
                if latency is None:
                    rounds[-1].missed += 1
                else:
                    rounds[-1].latencies_ms.append(latency)
                next_at += key_interval_s
                wait = next_at - time.perf_counter()
                if wait > 0:
                    await asyncio.sleep(wait)
                else:
                    next_at = time.perf_counter()
            await settle(app)
            await pilot.pause()
            answer = screen.chat.conversation.turns[0].answer
            assert answer is not None and answer.request is not None
            request = answer.request  # exactly what the TUI asked for: same prompt, same cached prefix
            engine.append(await asyncio.to_thread(engine_span, backend, request))
    return rounds, engine


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tokens", type=int, default=200)
    parser.add_argument("--generations", type=int, default=4)
    parser.add_argument("--key-interval-ms", type=float, default=100.0)
    add_device_flags(parser)
    args = parser.parse_args()
    flags = device_flags(args)
    config = flags.model_config(str(default_model_path()))
    if args.threads is None:  # as `logitscope tui` runs it: the UI keeps a core on a CPU model
        n_threads, n_threads_batch = interactive_thread_counts(flags.n_gpu_layers)
        config = replace(config, n_threads=n_threads or flags.threads, n_threads_batch=n_threads_batch)
    backend = LocalBackend(config)
    try:
        backend.start()
        device = {**flags.record(backend), "threads": config.n_threads, "threads_batch": config.n_threads_batch,
                  "threads_from": "--threads" if args.threads is not None else
                  "interactive_thread_counts() (engine/threads.py), as logitscope tui"}
        engine_span(backend, GenerationRequest((Message("user", PROMPT),), SystemPrompt.none(), GREEDY, 8))
        rounds, engine = asyncio.run(tui_rounds(backend, args.tokens, args.generations,
                                                args.key_interval_ms / 1000))
    finally:
        backend.close()
    tui_n = sum(r.span()[0] for r in rounds)
    tui_s = sum(r.span()[1] for r in rounds)
    engine_n = sum(n for n, _ in engine)
    engine_s = sum(s for _, s in engine)
    engine_tok_s = engine_n / engine_s
    tui_tok_s = tui_n / tui_s if tui_s else 0.0
    latencies = [ms for r in rounds for ms in r.latencies_ms]
    summary = latency_summary(latencies)
    print(json.dumps({
        "engine_tok_s": round(engine_tok_s, 2),
        "tui_tok_s": round(tui_tok_s, 2),
        "ratio": round(tui_tok_s / engine_tok_s, 3),
        "keystroke_ms": summary,
        "keystrokes": {"measured": len(latencies), "missed": sum(r.missed for r in rounds),
                       "per_generation": [len(r.latencies_ms) for r in rounds],
                       "interval_ms": args.key_interval_ms},
        "targets": {"ratio >= 0.90": tui_tok_s / engine_tok_s >= 0.90,
                    **{f"keystroke {q} < 50 ms": (summary[q] or float("inf")) < 50 for q in ("p50", "p90")}},
        "tokens": {"per_generation": [r.last[1] if r.last else 0 for r in rounds],
                   "generations": len(rounds), "engine_timed": engine_n, "tui_timed": tui_n},
        **device,
    }))


if __name__ == "__main__":
    main()
