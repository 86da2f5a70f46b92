"""Permutation averaging removes a position bias, measured on the real default model (issue 12,
"Correctness, measured").

The battery's questions are content-free on purpose ("Pick one." between apple and pear), so what
the model prefers is mostly where an option is listed: SmolLM2-135M gives a lettered option A
about 0.98 of the two options' probability whichever text it carries, and with three options the
last one about 0.76 on average. Each question runs through the real runner twice per file
order: in the file's order only (`permute: false`) and in every ordering (`--permute`). Without
permutation an option's probability follows its position, so it swings when the file lists the
options the other way round; averaged over the orderings, each option's mean is the same in both
files, and for these content-free options close to 1/n.

The tolerance on the means is 1e-12, i.e. none: with 2 or 3 options every ordering is
presented, so both files present exactly the same prompts (checked), each prompt gets the same
numbers in both runs (checked: the engine gives a prompt a fresh context's numbers), and a mean
is an exactly rounded sum (math.fsum) over the same values in another order. The worker keeps
the default 4 KV sequences for the test's 10 distinct prompts: before prompts were decoded in
fixed blocks (engine/llama_backend.py PROMPT_BLOCK), a prompt evaluated after four others
differed from a fresh worker's by up to 0.59 nats here, and this test caught it.

Measured (SmolLM2 Q4_1, CPU; all 26 records equal a fresh worker's): P(A) without permutation
0.980 / 0.972 (pick, file order and reversed), 0.988 / 0.987 (choose); three options
[0.269, 0.188, 0.543] and reversed [0.091, 0.049, 0.860]; the first-listed option's swing between
the two files 0.951 (apple), 0.975 (cat), -0.591 (red); mean probability per position over the
orderings 0.976 (pick, A), 0.988 (choose, A), 0.760 (three, C); permuted means 0.504/0.496,
0.5005/0.4995, 0.380/0.331/0.289, identical (difference 0.0) between the files.
"""

from __future__ import annotations

import pytest

from engine import LocalBackend
from engine.types import ModelConfig
from sessions.batteries import load_battery_file
from sessions.batteries.configs import Configuration
from sessions.batteries.results import ResultsWriter
from sessions.batteries.runner import RunSettings, plan, run_battery
from sessions.batteries.summary import summarise
from tui.cli.jsonout import to_jsonable

pytestmark = pytest.mark.model

QUESTIONS = {  # name: (paraphrase, options as the file lists them)
    "pick": ("Pick one.", ["apple", "pear"]),
    "choose": ("Choose one.", ["cat", "dog"]),
    "three": ("Pick one.", ["red", "green", "blue"]),
}
KV_SEQUENCES = 4  # the default, fewer than the 10 distinct prompts: see the module docstring


def battery_text(reverse: bool) -> str:
    lines = ["name: bias", "questions:"]
    for name, (question, options) in QUESTIONS.items():
        listed = list(reversed(options)) if reverse else options
        lines += [f"  - name: {name}", "    question_type: multiple_choice",
                  f'    question_paraphrases: ["{question}\\n\\n{{options}}"]', f"    options: [{', '.join(listed)}]"]
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def runs(tmp_path_factory, default_model):
    """(file order, permuted) -> the run's records; one worker for all four runs."""
    root = tmp_path_factory.mktemp("position-bias")
    records = {}
    with LocalBackend(ModelConfig(default_model, n_ctx=1024, kv_sequences=KV_SEQUENCES)) as backend:
        for order in ("as written", "reversed"):
            path = root / f"{order.replace(' ', '_')}.yaml"
            path.write_text(battery_text(order == "reversed"))
            battery = load_battery_file(path)
            for permuted in (True, False):
                settings = RunSettings(permute=permuted)
                writer = ResultsWriter(root / f"{path.stem}-{permuted}", {"run": path.stem}, to_jsonable)
                run_battery(backend, plan(battery, [Configuration("base")], settings), writer, settings)
                records[order, permuted] = writer.records
    return records


def by_question(records):
    return {r["question"]: r for r in records}


def test_without_permutation_the_probability_follows_the_position(runs):
    for order in ("as written", "reversed"):
        records = by_question(runs[order, False])
        assert len(runs[order, False]) == len(QUESTIONS)  # one ordering each: the file's
        for name in ("pick", "choose"):
            assert records[name]["options"][0]["prob"] > 0.9  # A, whichever text: measured 0.972-0.988
    # the option the file lists first is listed last when the file is reversed
    for name, (_, options) in QUESTIONS.items():
        written, reversed_ = by_question(runs["as written", False])[name], by_question(runs["reversed", False])[name]
        swing = written["values"][options[0]] - reversed_["values"][options[0]]
        assert abs(swing) > 0.4  # measured: apple 0.951, cat 0.975, red -0.591


def test_the_bias_by_position_over_every_ordering_is_far_from_uniform(runs):
    for name, (_, options) in QUESTIONS.items():
        records = [r for r in runs["as written", True] if r["question"] == name]
        n = len(options)
        by_position = [sum(r["options"][j]["prob"] for r in records) / len(records) for j in range(n)]
        assert max(abs(p - 1 / n) for p in by_position) > 0.3  # measured 0.476, 0.488, 0.426


def test_with_permutation_each_options_mean_is_the_same_whatever_the_files_order(runs):
    written, reversed_ = runs["as written", True], runs["reversed", True]
    # every ordering of 2 or 3 options: both files present the very same prompts, with the same numbers
    prompts = {r["user_message"]: r for r in written}
    assert {r["user_message"] for r in reversed_} == set(prompts) and len(written) == 2 + 2 + 6
    for r in reversed_:
        assert [o["logprob"] for o in r["options"]] == [o["logprob"] for o in prompts[r["user_message"]]["options"]]
    means = {order: {(row.question, row.measure): row.estimate for row in summarise(runs[order, True])}
             for order in ("as written", "reversed")}
    assert means["as written"].keys() == means["reversed"].keys()
    for key, estimate in means["as written"].items():
        other = means["reversed"][key]
        assert estimate.n == other.n == (6 if key[0] == "three" else 2)
        assert estimate.mean == pytest.approx(other.mean, rel=0, abs=1e-12)  # measured: equal
        # content-free options: what is left once the position cancels is near 1/n (measured within 0.047)
        assert estimate.mean == pytest.approx(1 / len(QUESTIONS[key[0]][1]), abs=0.1)
