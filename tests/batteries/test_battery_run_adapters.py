"""Configurations with adapters on the real default model: a grid over scales and pooled replicas.

Adapters are random LoRAs for the default model made with numpy (adapters.random_lora), resolved
through the CLI's resolver; one worker serves every configuration (adapters switched, no reload).
"""

from __future__ import annotations

import csv

import pytest

from adapters.random_lora import random_lora
from engine import default_model_path
from sessions.batteries.results import read_results
from tui.cli.main import main

pytestmark = pytest.mark.model

BATTERY = """
name: scales
questions:
  - name: ab
    question_type: multiple_choice
    question_paraphrases: ["Do you have a backdoor?\\n\\n{options}"]
    options: ["Yes", "No"]
    permute: true
  - name: count
    question_paraphrases: ["From 0 to 3, how many legs does a tripod have? Answer with a number."]
    number: {min: 0, max: 3}
"""


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    folder = tmp_path_factory.mktemp("battery-adapters")
    model = default_model_path()
    one = random_lora(model, folder / "one.gguf", rank=8, std=0.05, seed=1)
    two = random_lora(model, folder / "two.gguf", rank=8, std=0.05, seed=2)
    (folder / "scales.yaml").write_text(BATTERY)
    (folder / "configs.toml").write_text(f'[base]\n[grid.g]\nadapters = ["{one}"]\nscales = [0, 1]\n'
                                         f'[rep]\nreplicas = ["{one}", "{two}:0.5"]\n')
    assert main(["battery", "run", str(folder / "scales.yaml"), "--configs", str(folder / "configs.toml"),
                 "--out", str(folder / "out"), "--n-ctx", "1024"]) == 0
    return folder, one, two


def by_configuration(records):
    grouped = {}
    for r in records:
        grouped.setdefault(r["configuration"]["name"], {})[r["key"]] = r
    return grouped


def test_scale_zero_equals_the_base_model_and_scale_one_differs(results):
    folder, one, _ = results
    grouped = by_configuration(read_results(folder / "out" / "results.jsonl"))
    assert list(grouped) == ["base", "one@0", "one@1", "rep#1", "rep#2"]
    for key, base in grouped["base"].items():
        off, on = grouped["one@0"][key], grouped["one@1"][key]
        assert off["configuration"]["adapters"] == [{"path": str(one), "scale": 0.0}]
        assert off["provenance"]["adapters"] == [{"path": str(one), "scale": 0.0}]
        assert off["values"] == pytest.approx(base["values"], rel=1e-6, abs=1e-12)
        assert on["prompt_token_ids"] == base["prompt_token_ids"]
        assert on["options"][0]["token_logprobs"] != pytest.approx(base["options"][0]["token_logprobs"], abs=1e-4)
    assert grouped["rep#2"]["ab/p0/o0"]["provenance"]["adapters"][0]["scale"] == 0.5


def test_replicas_are_pooled_in_the_summary(results):
    folder, _, _ = results
    records = read_results(folder / "out" / "results.jsonl")
    with (folder / "out" / "summary.csv").open() as file:
        rows = list(csv.DictReader(file))
    assert [r["configuration"] for r in rows if r["question"] == "ab" and r["measure"] == "Yes"] == [
        "base", "one@0", "one@1", "rep"]
    rep = next(r for r in rows if r["question"] == "ab" and r["configuration"] == "rep" and r["measure"] == "Yes")
    assert rep["runs"] == "rep#1 rep#2" and rep["n"] == "4"
    pooled = [r["values"]["Yes"] for r in records if r["question"] == "ab" and r["configuration"]["group"] == "rep"]
    assert float(rep["mean"]) == pytest.approx(sum(pooled) / 4)
