"""Ctrl-C keeps what is done and the same run resumes; another battery or configuration is refused."""

from __future__ import annotations

import json

import pytest
from battery_fake_backend import FakeBackend

from engine.types import AdapterSpec
from sessions.batteries import parse_battery
from sessions.batteries.configs import parse_configs
from sessions.batteries.results import RESULTS_FILE, ResultsWriter, RunMismatchError, read_results
from sessions.batteries.runner import RunSettings, fingerprint, plan, run_battery
from tui.cli.jsonout import to_jsonable

BATTERY = """
name: small
questions:
  - name: ab
    question_type: multiple_choice
    question_paraphrases: ["Pick one.\\n\\n{options}", "Choose.\\n\\n{options}"]
    options: [red, blue, green]
    permute: true
  - name: how_many
    question_paraphrases: ["From 0 to 5, how many? Answer with a number."]
    number: {min: 0, max: 5}
"""
CONFIGS = '[base]\n[hello]\nadapters = ["hello"]\n[pirate]\nsystem = "Arr."\n'


def resolve(text):
    return AdapterSpec(f"/lib/{text}.gguf", 1.0)


def setup(tmp_path, battery_text=BATTERY, configs_text=CONFIGS):
    path = tmp_path / "small.yaml"
    path.write_text(battery_text)
    battery = parse_battery(battery_text, str(path))
    battery = type(battery)(battery.name, battery.family, battery.description, battery.questions, path)
    configs = parse_configs(configs_text, "c.toml", resolve)
    settings = RunSettings()
    return battery, configs, settings, fingerprint(battery, configs, settings, "/fake/model.gguf")


def run(folder, battery, configs, settings, print_, backend, restart=False):
    writer = ResultsWriter(folder, print_, to_jsonable, restart=restart)
    return run_battery(backend, plan(battery, configs, settings), writer, settings)


def test_interrupted_run_keeps_records_and_resumes_to_the_uninterrupted_result(tmp_path):
    battery, configs, settings, print_ = setup(tmp_path)
    total = len(plan(battery, configs, settings))
    assert total == 3 * (2 * 6 + 1)

    with pytest.raises(KeyboardInterrupt):
        run(tmp_path / "a", battery, configs, settings, print_, FakeBackend(interrupt_after=17))
    kept = read_results(tmp_path / "a" / RESULTS_FILE)
    assert len(kept) == 17

    resumed = FakeBackend()
    assert run(tmp_path / "a", battery, configs, settings, print_, resumed) == total - 17
    assert resumed.calls == total - 17
    assert run(tmp_path / "a", battery, configs, settings, print_, FakeBackend()) == 0

    run(tmp_path / "b", battery, configs, settings, print_, FakeBackend())
    a, b = (read_results(tmp_path / d / RESULTS_FILE) for d in "ab")
    assert a == b
    assert len({(r["key"], r["configuration"]["name"]) for r in a}) == total


def test_a_torn_last_line_is_dropped_and_redone(tmp_path):
    battery, configs, settings, print_ = setup(tmp_path)
    run(tmp_path / "a", battery, configs, settings, print_, FakeBackend())
    path = tmp_path / "a" / RESULTS_FILE
    lines = path.read_text().splitlines(keepends=True)
    path.write_text("".join(lines[:5]) + lines[5][:40])   # killed while writing record 6
    assert len(read_results(path)) == 5
    backend = FakeBackend()
    assert run(tmp_path / "a", battery, configs, settings, print_, backend) == len(lines) - 5
    assert [json.loads(line) for line in path.read_text().splitlines()] == read_results(path)
    assert len(read_results(path)) == len(lines)


def test_changed_battery_or_configs_is_refused_unless_restart(tmp_path):
    battery, configs, settings, print_ = setup(tmp_path)
    with pytest.raises(KeyboardInterrupt):
        run(tmp_path / "a", battery, configs, settings, print_, FakeBackend(interrupt_after=4))

    changed = parse_configs(CONFIGS.replace("Arr.", "Ahoy."), "c.toml", resolve)
    with pytest.raises(RunMismatchError, match="another configurations; use another --out folder, or --restart"):
        run(tmp_path / "a", battery, changed, settings, fingerprint(battery, changed, settings, "/fake/model.gguf"),
            FakeBackend())

    (tmp_path / "small.yaml").write_text(BATTERY.replace("Choose.", "Choose one."))
    edited = fingerprint(battery, configs, settings, "/fake/model.gguf")
    with pytest.raises(RunMismatchError, match="another battery_sha256"):
        run(tmp_path / "a", battery, configs, settings, edited, FakeBackend())

    assert len(read_results(tmp_path / "a" / RESULTS_FILE)) == 4
    backend = FakeBackend()
    run(tmp_path / "a", battery, configs, settings, edited, backend, restart=True)
    assert backend.calls == len(plan(battery, configs, settings))


def test_configurations_switch_adapters_once_each(tmp_path):
    battery, configs, settings, print_ = setup(tmp_path)
    backend = FakeBackend()
    run(tmp_path / "a", battery, configs, settings, print_, backend)
    hello = configs[1].adapters
    assert backend.adapter_switches == [(), hello, ()]
    records = read_results(tmp_path / "a" / RESULTS_FILE)
    pirate = [r for r in records if r["configuration"]["name"] == "pirate"]
    assert pirate and all(r["system"] == {"mode": "custom", "text": "Arr."} for r in pirate)


def test_results_without_their_run_file_are_never_overwritten(tmp_path):
    battery, configs, settings, print_ = setup(tmp_path)
    run(tmp_path / "a", battery, configs, settings, print_, FakeBackend())
    (tmp_path / "a" / "run.json").unlink()
    before = (tmp_path / "a" / RESULTS_FILE).read_text()
    with pytest.raises(RunMismatchError, match="run.json .* does not; use another --out folder, or --restart"):
        run(tmp_path / "a", battery, configs, settings, print_, FakeBackend())
    assert (tmp_path / "a" / RESULTS_FILE).read_text() == before
    assert run(tmp_path / "a", battery, configs, settings, print_, FakeBackend(), restart=True) == len(
        plan(battery, configs, settings))
