"""The live compare screen (ctrl+l) on the scripted fake backend: lanes streamed side by side, the
divergence strip and the first difference, the cursor and the inspector's rows aligned by token,
the jump keys, teacher-forced (F3 cycling the lane forced on, a forced text, one without tokens
refused), the lanes (presets, a configs file, a lane on a second model with what its worker
costs), the extra workers released when the screen closes, the config's thresholds, and every
comparison journaled (the recorder's line, a failed write reported; one an engine error ended,
with what it decided) and replayed without a model."""

from __future__ import annotations

import random
import struct
from dataclasses import replace

from pilot_helpers import settle

from engine.compare import CompareLane
from engine.errors import WorkerDiedError
from engine.types import AdapterSpec, Configuration, SamplingSettings, SystemMode, SystemPrompt
from sessions import Session, SessionStore, new_comparison
from sessions.synthetic_comparison import comparison
from tui.compare_model import Thresholds
from tui.config import load_settings
from tui.screens.comparisons_modal import ComparisonsModal
from tui.screens.live_compare import LiveCompareScreen
from tui.screens.replay import ReplayScreen
from tui.session_recorder import NewSession, SessionRecorder
from tui.widgets.compare_inspector import CompareInspector
from tui.widgets.compare_lanes import DivergenceStrip, LaneColumn

SIZE = (100, 30)


async def open_compare(pilot, question: str = "Is the sky blue?") -> LiveCompareScreen:
    pilot.app.screen.query_one("#message").value = question
    await pilot.press("ctrl+l")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, LiveCompareScreen)
    return screen


def lane_texts(screen) -> list[str]:
    return [str(column.text) for column in screen.query(LaneColumn)]


def inspector_rows(screen) -> list[list[str]]:
    table = screen.query_one(CompareInspector).query_one("DataTable")
    return [[str(cell) if i == 0 else str(cell).strip() for i, cell in enumerate(table.get_row_at(n))]
            for n in range(table.row_count)]


async def test_ctrl_l_streams_the_question_under_two_lanes_side_by_side(make_app, backend):
    backend.hold_after = 3
    app = make_app(load_on_start=False)
    async with app.run_test(size=SIZE) as pilot:
        app.screen.query_one("#message").value = "Is the sky blue?"
        await pilot.press("ctrl+l")
        assert backend.holding.wait(5)
        await pilot.pause(0.1)  # a frame or more: what arrived is drawn while the comparison runs
        screen = app.screen
        assert isinstance(screen, LiveCompareScreen) and screen.job is not None
        assert lane_texts(screen) == ["Yes, the", "Yes, the"]
        backend.release.set()
        await settle(pilot)
        assert lane_texts(screen) == ["Yes, the sky is blue.∎", "Yes, the red is blue.∎"]
        [request] = backend.compare_requests
        assert request.messages[-1].content == "Is the sky blue?"
        # no adapters, no system prompt: current and an empty system prompt, on the chat's sampling
        assert [lane.name for lane in request.lanes] == ["current", "empty-system"]
        assert request.lanes[1].configuration.system.mode is SystemMode.EMPTY
        assert all(lane.sampling == SamplingSettings(temperature=0.0, seed=1) for lane in request.lanes)
        assert "Done: 8 positions" in str(screen.query_one("#lc-status").render())


async def test_the_strip_marks_divergence_and_the_first_difference_is_underlined_in_every_lane(make_app):
    app = make_app(load_on_start=False)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_compare(pilot)
        strip = str(screen.query_one(DivergenceStrip).content)
        # fake JS per position: .082 .032 .105 (differ) .438 .011 .082 .032; thresholds 0.05 / 0.3
        assert strip == "▄▁▄×█▁▄▁"
        for column in screen.query(LaneColumn):
            text = column.text
            sky = text.plain.index("sky" if column.index == 0 else "red")
            assert any(span.start <= sky < span.end and "underline" in str(span.style) for span in text.spans)
        summary = str(screen.query_one("#lc-summary").render())
        assert "first difference at position 3" in summary
        assert "current vs empty-system: KL 0.698/0.644 · JS 0.134 · 1/8 differ (first 3) · P 0.47/0.51" in summary
        assert "pairs a vs b: mean KL(a‖b)/KL(b‖a)" in summary


async def test_the_cursor_drives_the_inspector_aligned_by_token(make_app):
    app = make_app(load_on_start=False)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_compare(pilot)
        assert screen.cursor == 7  # it followed the stream to the last position
        await pilot.press("home", "right", "right", "right")
        assert screen.cursor == 3
        rows = inspector_rows(screen)
        # most likely first (by its best lane): lane 1 chose ' sky' at 0.75, lane 2 gives it 7.9%
        assert rows[0] == [" sky", "●  75.0%", "7.9%"]
        assert rows[1] == ["Yes", "11.3%", "39.6%"]
        assert rows[3] == [" red", "·", "●  12.0%"]  # lane 2's choice, not in lane 1's top-k
        assert rows[5] == [" is", "2.2%", "·"]
        assert len({row[0] for row in rows}) == len(rows)  # one row per token
        header = str(screen.query_one("#compare-inspector-header").render())
        assert "position 3" in header and "current ' sky', empty-system ' red'" in header and "differ" in header
        assert screen.query_one(DivergenceStrip).content.spans[3].style.reverse


async def test_jump_keys_walk_the_divergent_positions(make_app):
    app = make_app(load_on_start=False)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_compare(pilot)
        await pilot.press("home")
        seen = []
        for _ in range(5):
            await pilot.press("n")
            seen.append(screen.cursor)
        assert seen == [2, 3, 4, 6, 6]  # from 0: JS above 0.05 or tokens differ; none after 6
        await pilot.press("p", "p")
        assert screen.cursor == 3
        await pilot.press("shift+right")
        assert screen.cursor == 4
        await pilot.press("shift+left", "shift+left", "shift+left", "shift+left")
        assert screen.cursor == 0  # from 4: 3, 2, 0 (1 is calm), then nothing earlier
        await pilot.press("end", "f")
        assert screen.cursor == 3


async def test_thresholds_come_from_the_config_file(make_app, isolated_dirs):
    config = isolated_dirs / "config.toml"
    config.write_text("[compare]\njs_threshold = 0.02\njs_strong = 0.1\n", encoding="utf-8")
    app = make_app(settings=load_settings(config), load_on_start=False)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_compare(pilot)
        assert screen.thresholds == Thresholds(0.02, 0.1)
        assert str(screen.query_one(DivergenceStrip).content) == "▄▄█×█▁▄▄"


async def test_f3_cycles_the_lane_forced_on_then_compares_sampled_again(make_app, backend):
    app = make_app(load_on_start=False)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_compare(pilot)
        box = screen.query_one("#lc-forced")
        assert str(box.label) == "forced (F3)" and not box.value
        await pilot.press("f3")
        await settle(pilot)
        assert backend.compare_requests[-1].forced_from == "current"
        assert lane_texts(screen) == ["Yes, the sky is blue.∎"] * 2
        assert str(screen.query_one(DivergenceStrip).content).count("×") == 0
        assert "the chosen tokens never differ" in str(screen.query_one("#lc-summary").render())
        assert str(box.label) == "forced on current's answer (F3)" and box.value
        await pilot.press("f3")
        await settle(pilot)
        assert backend.compare_requests[-1].forced_from == "empty-system"
        assert lane_texts(screen) == ["Yes, the red is blue.∎"] * 2  # lane 2's answer, under both
        assert str(box.label) == "forced on empty-system's answer (F3)"
        assert "teacher-forced on empty-system's answer" in str(screen.query_one("#lc-status").render())
        await pilot.press("f3")
        await settle(pilot)
        assert [r.forced_from for r in backend.compare_requests] == ["", "current", "empty-system", ""]
        assert str(box.label) == "forced (F3)" and not box.value


async def test_a_forced_text_scores_every_lane_on_its_tokens(make_app, backend):
    app = make_app(load_on_start=False)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_compare(pilot)
        text = "No, the green sky!"
        screen.query_one("#lc-forced-text").value = text
        screen.query_one("#lc-forced-text").focus()
        await pilot.press("enter")
        await settle(pilot)
        request = backend.compare_requests[-1]
        assert request.forced_ids == tuple(backend.tokenize(text)) and request.forced_from == ""
        assert lane_texts(screen) == [text] * 2
        assert "teacher-forced on the given text (7 tokens)" in str(screen.query_one("#lc-status").render())


async def test_a_forced_text_without_tokens_is_refused(make_app, backend, monkeypatch):
    app = make_app(load_on_start=False)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_compare(pilot)
        calls = len(backend.compare_requests)
        monkeypatch.setattr(backend, "tokenize", lambda text: [])
        screen.query_one("#lc-forced-text").value = "\u200b"
        await pilot.press("f5")
        await settle(pilot)
        assert len(backend.compare_requests) == calls
        assert "has no tokens" in str(screen.query_one("#lc-status").render())


async def test_adapters_on_compare_with_base_and_a_configs_file_replaces_the_presets(make_app, backend,
                                                                                      isolated_dirs):
    backend.config = replace(backend.config, adapters=(AdapterSpec("/adapters/hello.gguf", 1.0),))
    configs = isolated_dirs / "configs.toml"
    configs.write_text('[plain]\n[pirate]\nsystem = "You are a pirate."\ntemperature = 0.5\n[empty]\nsystem = ""\n',
                       encoding="utf-8")
    app = make_app(load_on_start=False)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_compare(pilot)
        first = backend.compare_requests[0]
        assert [lane.name for lane in first.lanes] == ["current", "base"]
        assert first.lanes[0].configuration.adapters and not first.lanes[1].configuration.adapters
        screen.query_one("#lc-configs").value = str(configs)
        screen.query_one("#lc-configs").focus()
        await pilot.press("enter")
        await settle(pilot)
        last = backend.compare_requests[-1]
        assert [lane.name for lane in last.lanes] == ["plain", "pirate", "empty"]
        assert last.lanes[1].configuration.system == SystemPrompt.custom("You are a pirate.")
        assert last.lanes[1].sampling == SamplingSettings(temperature=0.5, seed=1)  # the table's key, the chat's rest
        assert last.lanes[0].sampling == SamplingSettings(temperature=0.0, seed=1)
        assert len(screen.query(LaneColumn)) == 3
        assert "plain vs pirate" in str(screen.query_one("#lc-summary").render())


def fake_gguf(path, size: int) -> str:
    """A file the configs reader takes for a GGUF model (a v3 header, no tensors), `size` bytes (sparse)."""
    with open(path, "wb") as handle:
        handle.write(struct.pack("<4sIQQ", b"GGUF", 3, 0, 0))
        handle.truncate(size)
    return str(path)


async def test_a_lane_on_a_second_model_says_what_its_worker_costs_then_measures_it(make_app, backend,
                                                                                   isolated_dirs):
    other = fake_gguf(isolated_dirs / "other.gguf", 98_000_000)
    configs = isolated_dirs / "configs.toml"
    configs.write_text('[here]\n[there]\nmodel = "other.gguf"\n', encoding="utf-8")
    app = make_app(load_on_start=False)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_compare(pilot)
        assert not screen.query_one("#lc-workers").display  # one model: nothing to say
        backend.hold_after = 3
        screen.query_one("#lc-configs").value = str(configs)
        screen.query_one("#lc-configs").focus()
        await pilot.press("enter")
        assert backend.holding.wait(5)
        cost = "lane there runs on other.gguf in a second worker (its own memory: about 98 MB, the model file)"
        measured = "second worker other.gguf: 98 MB resident; the loaded model's worker: 300 MB"
        workers = screen.query_one("#lc-workers")
        for _ in range(50):  # the positions drained, then the workers measured on a thread
            await pilot.pause(0.02)
            if measured in str(workers.render()):
                break
        assert screen.job is not None and workers.display
        assert str(workers.render()) == f"{cost}\n{measured}"
        backend.release.set()
        await settle(pilot)
        assert str(workers.render()) == f"{cost}\n{measured}"  # read again at the end
        request = backend.compare_requests[-1]
        assert [lane.configuration.model_path for lane in request.lanes] == ["", other]
        titles = [str(column.border_title) for column in screen.query(LaneColumn)]
        assert "model other.gguf" not in titles[0] and "there · model other.gguf" in titles[1]


async def test_closing_the_screen_releases_the_extra_workers_off_the_ui_thread(make_app, backend):
    lanes = (CompareLane("here"), CompareLane("there", Configuration(model_path="/models/other.gguf")))
    app = make_app(load_on_start=False)
    async with app.run_test(size=SIZE) as pilot:
        from tui.choice_model import ChoiceQuestion

        screen = LiveCompareScreen(backend, ChoiceQuestion("Hi?"), lanes=lanes)
        app.push_screen(screen)
        await settle(pilot)
        assert list(backend.extra_models) == ["/models/other.gguf"] and backend.releases == 0
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is not screen
        assert screen.releasing is not None
        screen.releasing.join(5)
        assert backend.releases == 1 and not backend.extra_models


async def test_escape_stops_and_what_was_decided_is_journaled_then_replayed_without_a_model(make_app, backend):
    backend.hold_after = 4
    app = make_app(load_on_start=False, session=NewSession(SessionStore(), "compared"))
    async with app.run_test(size=SIZE) as pilot:
        app.screen.query_one("#message").value = "Is the sky blue?"
        await pilot.press("ctrl+l")
        assert backend.holding.wait(5)
        await pilot.press("escape")  # stop: the comparison ends with what it decided
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, LiveCompareScreen) and screen.job is None
        assert "Stopped: 4 positions" in str(screen.query_one("#lc-status").render())
        assert "journaled in the session" in str(screen.query_one("#lc-status").render())
        backend.hold_after = None
        await pilot.press("f5")
        await settle(pilot)
        app.recorder.wait()
        saved = Session.open(app.recorder.session.path)
        assert len(saved.comparisons) == 2 and len(saved.turns) == 0
        stopped, finished = saved.comparisons[0], saved.comparisons[1]
        assert stopped.stopped and len(stopped.steps) == 4
        assert [lane.text for lane in finished.result.lanes] == ["Yes, the sky is blue.", "Yes, the red is blue."]
        await pilot.press("escape")  # back to the chat
        await settle(pilot)

        calls = len(backend.compare_requests)
        backend.fail_next = None
        app.push_screen(ReplayScreen(saved))
        await settle(pilot)
        assert "2 comparisons (v)" in str(app.screen.query_one("#status").render())
        await pilot.press("v")
        await settle(pilot)
        assert isinstance(app.screen, ComparisonsModal)
        await pilot.press("down", "enter")
        await settle(pilot)
        replayed = app.screen
        assert isinstance(replayed, LiveCompareScreen) and replayed.backend is None
        assert lane_texts(replayed) == ["Yes, the sky is blue.∎", "Yes, the red is blue.∎"]
        assert str(replayed.query_one(DivergenceStrip).content) == "▄▁▄×█▁▄▁"
        assert "replayed from session compared, read-only" in str(replayed.query_one("#lc-status").render())
        assert not replayed.query_one("#lc-setup").display
        await pilot.press("right", "right", "right")
        assert replayed.cursor == 3 and inspector_rows(replayed)[3] == [" red", "·", "●  12.0%"]
        await pilot.press("f5", "f3")  # read-only: nothing runs
        await settle(pilot)
        assert len(backend.compare_requests) == calls


async def test_a_comparison_an_engine_error_ends_is_journaled_with_what_it_decided(make_app, backend):
    backend.compare_fail_after = (5, WorkerDiedError("The engine worker died (SIGKILL)."))
    app = make_app(session=NewSession(SessionStore(), "cut-off"))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)  # the model loaded
        screen = await open_compare(pilot)
        status = str(screen.query_one("#lc-status").render())
        assert "failed after 5 positions (journaled in the session): The engine worker died" in status
        app.recorder.wait()
        [record] = Session.open(app.recorder.session.path).comparisons
    assert record.failed and len(record.steps) == 5 and record.note == "The engine worker died (SIGKILL)."
    assert [lane.finish_reason for lane in record.result.lanes] == ["error", "error"]
    assert [lane.text for lane in record.result.lanes] == ["Yes, the sky is", "Yes, the red is"]
    assert record.result.lanes[0].provenance.model_path == backend.config.model_path
    assert record.describe().endswith("; failed")


async def test_replay_offers_v_only_for_a_session_with_comparisons(make_app):
    session = SessionStore().create("plain")
    app = make_app(load_on_start=False)
    async with app.run_test(size=SIZE) as pilot:
        app.push_screen(ReplayScreen(Session.open(session.path)))
        await settle(pilot)
        assert app.screen.check_action("comparisons", ()) is False
        assert "comparison" not in str(app.screen.query_one("#status").render())


def synthetic_record():
    return new_comparison(*comparison(random.Random(2), n_lanes=2, n_tokens=5))


def test_the_recorder_writes_one_comparison_line_creating_the_session(isolated_dirs):
    created: list[Session] = []
    recorder = SessionRecorder(NewSession(SessionStore(), "compares"), on_created=created.append)
    record = synthetic_record()
    assert recorder.record_comparison(record).result(10) == record.id
    recorder.close()
    [session] = created
    lines = session.path.read_bytes().splitlines()
    assert len(lines) == 2 and lines[1].startswith(b'{"type":"comparison"')
    assert Session.open(session.path).comparisons[0].steps == record.steps


def test_a_failed_comparison_write_is_reported(isolated_dirs):
    session = SessionStore().create("doomed")
    errors: list[str] = []
    recorder = SessionRecorder(session, on_error=errors.append)
    session.path.unlink()
    assert recorder.record_comparison(synthetic_record()).result(10) is None
    recorder.close()
    assert errors and "Could not journal the comparison to session 'doomed'" in errors[0]
