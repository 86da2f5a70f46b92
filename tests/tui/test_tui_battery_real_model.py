"""The battery screen on the real default model: a tiny battery file run under the chat's system
prompt writes records whose numbers are what a fresh worker's `choose` gives for the same prompt,
and the table shows their summary."""

from __future__ import annotations

import pytest
from pilot_helpers import settle

from engine.types import ChoiceMode, ChoiceRequest, Message, ModelConfig, SamplingSettings, SystemPrompt
from sessions.batteries.results import read_results
from sessions.batteries.summary import summarise
from tui.app import LogitscopeApp
from tui.widgets.battery_table import BatteryTable

TINY = """\
- name: sky
  question_type: multiple_choice
  question_paraphrases: ["Is the sky blue?\\n{options}", "Is grass blue?\\n{options}"]
  options: ["Yes", "No"]
  labels: none
"""


@pytest.mark.model
async def test_real_model_battery_file_from_the_screen(default_model, isolated_dirs):
    from engine.local import LocalBackend

    battery = isolated_dirs / "tiny.yaml"
    battery.write_text(TINY, encoding="utf-8")
    system = SystemPrompt.custom("Answer with one word.")
    backend = LocalBackend(ModelConfig(default_model))
    app = LogitscopeApp(backend, system, SamplingSettings(temperature=0.0))
    try:
        async with app.run_test(size=(100, 30)) as pilot:
            await settle(pilot)
            await pilot.press("ctrl+b")
            await settle(pilot)
            app.screen.query_one("#battery-file").value = str(battery)
            await pilot.press("f5")
            await settle(pilot)
            [folder] = (isolated_dirs / "data" / "batteries").iterdir()
            records = read_results(folder / "results.jsonl")
            table = app.screen.query_one(BatteryTable)
            rows = summarise(records)
            assert table.row_count == len(rows) == 2
            assert [str(table.get_cell(str(n), "mean")) for n in range(2)] == [f"{r.estimate.mean:.3f}" for r in rows]
    finally:
        backend.close()
    assert len(records) == 2 and (folder / "report.html").exists()
    with LocalBackend(ModelConfig(default_model)) as fresh:
        for record in records:
            assert record["system"] == {"mode": "custom", "text": "Answer with one word."}
            result = fresh.choose(ChoiceRequest((Message("user", record["user_message"]),), ("Yes", "No"),
                                                system, ChoiceMode.COMPLETE))
            assert record["prompt_token_ids"] == list(result.provenance.prompt_token_ids)
            for saved, option in zip(record["options"], result.options, strict=True):
                assert saved["token_ids"] == list(option.token_ids)
                assert saved["logprob"] == pytest.approx(option.logprob, rel=1e-9, abs=1e-12)
