"""The battery screen (ctrl+b): a shipped battery run under the chosen configurations writes what
the CLI writes, shows the summary's rows as bars with intervals, opens records, stops on Escape,
reports failures, reads a configs file, and gives the chat its adapters back."""

from __future__ import annotations

import math
import threading
from dataclasses import replace
from pathlib import Path

from pilot_helpers import settle

from engine.errors import EngineError
from engine.types import AdapterSpec, SystemPrompt
from sessions.batteries import load_battery
from sessions.batteries.configs import Configuration
from sessions.batteries.report import nice_ceiling
from sessions.batteries.results import read_results
from sessions.batteries.runner import RunSettings, plan
from sessions.batteries.stats import Estimate
from sessions.batteries.summary import SummaryRow, summarise
from tui.battery_model import battery_configurations, chart_rows, record_text, run_folder
from tui.screens.battery import BatteryScreen
from tui.screens.text_modal import TextModal
from tui.widgets.battery_table import BatteryTable, interval_bar

SIZE = (100, 30)
HELLO = AdapterSpec("/adapters/hello.gguf", 1.0)


def status(app) -> str:
    return str(app.screen.query_one("#battery-status").render())


def only_run(data: Path) -> Path:
    [folder] = (data / "batteries").iterdir()
    return folder


def test_interval_bar_fills_the_mean_and_marks_the_interval():
    bar = interval_bar(0.5, 0.25, 0.75, 1.0, width=8)
    assert bar.plain == "████──  "
    styles = [str(span.style) for span in bar.spans]
    assert styles[0] == "green" and "yellow" in styles
    assert interval_bar(0.5, None, None, 1.0, width=4).plain == "██  "
    assert interval_bar(math.nan, None, None, 1.0, width=4).plain == "n/a "


def test_number_rows_are_drawn_on_the_question_range_and_entropy_on_a_round_ceiling():
    def row(question, readout, measure, mean, high=None):
        return SummaryRow("b", question, readout, "base", measure, Estimate(mean, None, 1, None, high), ("base",))
    records = [{"question": "likely", "numbers": {str(v): 0.01 for v in range(101)}}]
    rows = [row("likely", "number", "expected_value", 40.0), row("likely", "number", "mass", 0.3),
            row("yes", "trace", "mean_entropy", 2.2, high=3.4)]
    assert [c.axis_max for c in chart_rows(rows, records)] == [100.0, 1.0, nice_ceiling(3.4)]


def test_configurations_current_base_or_a_file(tmp_path):
    system = SystemPrompt.custom("Be brief.")
    assert battery_configurations(system, (HELLO,), True, True) == (
        Configuration("current", (HELLO,), system), Configuration("base", (), system))
    configs = tmp_path / "c.toml"
    configs.write_text('[plain]\n[pirate]\nsystem = "You are a pirate."\n', encoding="utf-8")
    names = [c.name for c in battery_configurations(system, (), True, False, str(configs), lambda t: HELLO)]
    assert names == ["plain", "pirate"]
    try:
        battery_configurations(system, (), False, False)
    except ValueError as exc:
        assert "at least one configuration" in str(exc)
    else:
        raise AssertionError("no configuration accepted")
    assert run_folder(tmp_path, "backdoor").parent == tmp_path / "batteries"


async def test_run_writes_the_cli_outputs_and_shows_the_summary(make_app, backend, isolated_dirs):
    app = make_app(load_on_start=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+b")
        await settle(pilot)
        assert isinstance(app.screen, BatteryScreen)
        await pilot.press("enter")  # the highlighted battery: backdoor
        await settle(pilot)
        folder = only_run(isolated_dirs / "data")
        assert folder.name.startswith("backdoor-")
        assert {"results.jsonl", "run.json", "summary.csv", "report.html"} <= {p.name for p in folder.iterdir()}
        records = read_results(folder / "results.jsonl")
        battery = load_battery("backdoor")
        assert len(records) == len(plan(battery, [Configuration("current")], RunSettings()))
        rows = summarise(records)
        table = app.screen.query_one(BatteryTable)
        assert table.row_count == len(rows)
        for n, row in enumerate(rows):
            assert str(table.get_cell(str(n), "mean")) == f"{row.estimate.mean:.3f}"
            assert str(table.get_cell(str(n), "n")) == str(row.estimate.n)
        assert "Done: " in status(app) and str(folder) in status(app)
        await pilot.press("enter")  # the first row's records
        await settle(pilot)
        assert isinstance(app.screen, TextModal)
        first = next(r for r in records if r["question"] == rows[0].question)
        assert app.screen.body.startswith(record_text(first))
        assert first["provenance"]["rendered_prompt"] in app.screen.body
        option = first["options"][0]
        # the fake backend's score gives no token texts, so the ids stand alone
        assert f"id {option['token_ids'][0]}: logprob {option['token_logprobs'][0]:.4f}" in app.screen.body
        await pilot.press("escape", "escape")
        await settle(pilot)
        assert not isinstance(app.screen, BatteryScreen)


async def test_with_adapters_on_base_runs_too_and_the_chat_gets_its_adapters_back(backend, make_app,
                                                                                  isolated_dirs):
    backend.config = replace(backend.config, adapters=(HELLO,))
    app = make_app(load_on_start=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+b")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        records = read_results(only_run(isolated_dirs / "data") / "results.jsonl")
        assert {r["configuration"]["name"] for r in records} == {"current", "base"}
        assert () in backend.adapter_sets and backend.adapter_sets[-1] == (HELLO,)
        labels = {str(app.screen.query_one(BatteryTable).get_cell(str(n), "configuration"))
                  for n in range(app.screen.query_one(BatteryTable).row_count)}
        assert labels == {"current", "base"}
        await pilot.press("escape")
        await settle(pilot)
        assert app.chat.adapters_pending  # the next generation applies the chat's set again


async def test_escape_stops_the_run_and_keeps_what_is_done(make_app, backend, isolated_dirs):
    gate, calls = threading.Event(), []
    choose = backend.choose

    def slow_choose(request):
        calls.append(request)
        if len(calls) == 3:
            gate.wait(10)
        return choose(request)

    backend.choose = slow_choose
    app = make_app(load_on_start=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+b")
        await settle(pilot)
        await pilot.press("enter")
        for _ in range(100):
            if len(calls) >= 3:
                break
            await pilot.pause(0.02)
        await pilot.press("escape")  # stop: the evaluation in flight finishes, no other starts
        assert "Stopping" in status(app)
        gate.set()
        await settle(pilot)
        assert "Stopped: 3 records" in status(app)
        folder = only_run(isolated_dirs / "data")
        assert len(read_results(folder / "results.jsonl")) == 3 and (folder / "summary.csv").exists()
        await pilot.press("escape")
        await settle(pilot)
        assert not isinstance(app.screen, BatteryScreen)


async def test_an_engine_failure_is_reported_and_what_is_done_summarised(make_app, backend, isolated_dirs):
    app = make_app(load_on_start=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+b")
        await settle(pilot)
        backend.fail_next = EngineError("The worker is gone.")
        await pilot.press("enter")
        await settle(pilot)
        assert "The run failed: The worker is gone. (0 records" in status(app)
        assert (only_run(isolated_dirs / "data") / "summary.csv").exists()


async def test_a_configs_file_replaces_current_and_base(make_app, backend, isolated_dirs):
    configs = isolated_dirs / "grid.toml"
    configs.write_text('[plain]\n[pirate]\nsystem = "You are a pirate."\n', encoding="utf-8")
    app = make_app(load_on_start=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+b")
        await settle(pilot)
        app.screen.query_one("#battery-configs").value = str(isolated_dirs / "missing.toml")
        await pilot.press("f5")
        await settle(pilot)
        assert "missing.toml" in status(app) and not (isolated_dirs / "data" / "batteries").exists()
        app.screen.query_one("#battery-configs").value = str(configs)
        await pilot.press("f5")
        await settle(pilot)
        records = read_results(only_run(isolated_dirs / "data") / "results.jsonl")
        assert {r["configuration"]["name"] for r in records} == {"plain", "pirate"}
        assert any(r["system"]["text"] == "You are a pirate." for r in records)


TINY = """\
- name: sky
  question_type: multiple_choice
  question_paraphrases: ["Is the sky blue?\\n{options}", "Is the sky green?\\n{options}"]
  options: ["Yes", "No"]
  labels: none
"""


async def test_a_battery_file_runs_instead_of_the_list_and_a_bad_one_is_named(make_app, backend, isolated_dirs):
    bad = isolated_dirs / "bad.yaml"
    bad.write_text("- name: q\n  question_type: multiple_choice\n", encoding="utf-8")
    good = isolated_dirs / "tiny.yaml"
    good.write_text(TINY, encoding="utf-8")
    app = make_app(load_on_start=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+b")
        await settle(pilot)
        app.screen.query_one("#battery-file").value = str(bad)
        await pilot.press("f5")
        await settle(pilot)
        assert "bad.yaml" in status(app) and not (isolated_dirs / "data" / "batteries").exists()
        app.screen.query_one("#battery-file").value = str(good)
        await pilot.pause()
        assert "2 evaluations under 1 configuration" in str(app.screen.query_one("#battery-about").render())
        await pilot.press("f5")
        await settle(pilot)
        folder = only_run(isolated_dirs / "data")
        assert folder.name.startswith("tiny-")
        assert [r["user_message"].split("\n")[0] for r in read_results(folder / "results.jsonl")] == [
            "Is the sky blue?", "Is the sky green?"]
