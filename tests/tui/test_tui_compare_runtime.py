"""The session compare screen says when a pair's numbers came from different backends (or flash
attention settings): a warning line under the summary, shown for that pair only."""

from __future__ import annotations

from dataclasses import replace

from pilot_helpers import settle
from session_fixtures import ANSWERS, fake_generation, write_session

from engine.types import FlashAttention, Runtime
from sessions import SessionStore
from tui.screens.compare import CompareScreen

CPU = Runtime(backends=("CPU",), devices=("CPU: AMD EPYC 7B13",), layers_offloaded=0, layers_total=31,
              flash_attn_in_effect=True, type_k="f16", type_v="f16", n_batch=512, n_ubatch=64)
CUDA = replace(CPU, backends=("CUDA", "CPU"), devices=("CUDA0: NVIDIA H100 80GB HBM3",), layers_offloaded=31)


def turn(words: list[str], prompt: str, runtime: Runtime, seed: int):
    request, result = fake_generation(words, prompt, seed)
    return request, replace(result, provenance=replace(result.provenance, runtime=runtime)), None, None, None


async def test_a_pair_from_different_backends_carries_a_warning_line(make_app, isolated_dirs):
    data = isolated_dirs / "data"
    write_session(data, "cpu-run", "cpu run", "2026-11-20T10:00:00.000Z",
                  [turn(ANSWERS[0], "Why is the sky blue?", CPU, 0), turn(ANSWERS[1], "Is grass red?", CPU, 2)])
    write_session(data, "gpu-run", "gpu run", "2026-11-21T10:00:00.000Z",
                  [turn(ANSWERS[0], "Why is the sky blue?", CUDA, 1),
                   turn(ANSWERS[1], "Is grass red?", replace(CPU, flash_attn=FlashAttention.OFF,
                                                             flash_attn_in_effect=False), 3)])
    app = make_app(load_on_start=False)
    async with app.run_test(size=(120, 35)) as pilot:
        store = SessionStore()
        app.push_screen(CompareScreen(store.open("cpu-run"), store.open("gpu-run")))
        await settle(pilot)
        screen = app.screen
        line = screen.query_one("#compare-runtime")
        assert line.display and line.region.height >= 1  # on screen, not clipped away
        text = str(line.render())
        assert "numbers from different backends: CPU (AMD EPYC 7B13) vs CUDA0" in text
        assert "~0.3 nats" in text
        await pilot.press("]")
        assert screen.pair == 1 and line.display
        assert "flash attention on vs off" in str(line.render())
        assert "backends" not in str(line.render())


async def test_no_warning_when_both_sides_ran_alike(make_app, isolated_dirs):
    data = isolated_dirs / "data"
    write_session(data, "one", "one", "2026-11-20T10:00:00.000Z", [turn(ANSWERS[0], "Why?", CPU, 0)])
    write_session(data, "two", "two", "2026-11-21T10:00:00.000Z",
                  [turn(ANSWERS[0], "Why?", replace(CPU, n_threads=16), 1)])
    app = make_app(load_on_start=False)
    async with app.run_test(size=(120, 35)) as pilot:
        store = SessionStore()
        app.push_screen(CompareScreen(store.open("one"), store.open("two")))
        await settle(pilot)
        assert app.screen.result is not None
        assert not app.screen.query_one("#compare-runtime").display
