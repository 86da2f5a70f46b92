"""tui/compare_model.py without Textual: thresholds from the config's [compare] table, the lanes
(presets, defaults, a configs file, a lane on another model and what its worker costs), F3's
cycle of the lane forced on, and what a position shows (levels, jumps, the first difference, the
inspector's rows aligned by token, the pair lines)."""

from __future__ import annotations

import math
import random
import struct

import pytest

from engine.compare import CompareLane, CompareStep, PairDivergence, PairSummary
from engine.process_memory import WorkerMemory
from engine.types import (
    AdapterSpec,
    Configuration,
    SamplingSettings,
    SystemMode,
    SystemPrompt,
    TokenAlternative,
    TokenStep,
)
from sessions.synthetic_comparison import comparison
from tui.compare_model import (
    LiveComparison,
    OtherModel,
    Thresholds,
    configs_lanes,
    cost_line,
    default_presets,
    forced_label,
    lane_label,
    memory_line,
    next_forced,
    other_models,
    pair_line,
    parse_thresholds,
    preset_lanes,
    shared_sampling,
)
from tui.config import ConfigError

GREEDY = SamplingSettings(temperature=0.0, seed=3)
HELLO = (AdapterSpec("/adapters/hello.gguf", 1.0),)


def test_thresholds_default_read_and_refused():
    assert parse_thresholds({}) == Thresholds(0.05, 0.3)
    assert parse_thresholds({"compare": {"js_threshold": 0.1, "js_strong": 0.4}}) == Thresholds(0.1, 0.4)
    assert parse_thresholds({"compare": {"js_threshold": 0.2, "js_strong": 0.1}}) == Thresholds(0.2, 0.2)
    with pytest.raises(ConfigError, match="unknown key 'kl'"):
        parse_thresholds({"compare": {"kl": 1}})
    with pytest.raises(ConfigError, match="compare.js_threshold must be a number from 0 to ln 2"):
        parse_thresholds({"compare": {"js_threshold": 0.9}})
    with pytest.raises(ConfigError, match="compare.js_strong"):
        parse_thresholds({"compare": {"js_strong": True}})


def test_presets_and_the_default_pair():
    system = SystemPrompt.custom("Be brief.")
    lanes = preset_lanes(("empty-system", "base", "current", "no-system"), system, HELLO, GREEDY)
    assert [lane.name for lane in lanes] == ["current", "base", "no-system", "empty-system"]  # PRESETS order
    current, base, none, empty = (lane.configuration for lane in lanes)
    assert current == Configuration(HELLO, system) and base == Configuration(system=system)
    assert none == Configuration(HELLO, SystemPrompt.none()) and empty == Configuration(HELLO, SystemPrompt.empty())
    assert all(lane.sampling == GREEDY for lane in lanes)
    with pytest.raises(ValueError, match="unknown lane 'lora'"):
        preset_lanes(("lora",), system, (), GREEDY)
    assert default_presets(system, HELLO) == ("current", "base")
    assert default_presets(system, (AdapterSpec("/a.gguf", 0.0),)) == ("current", "no-system")
    assert default_presets(SystemPrompt.none(), ()) == ("current", "empty-system")


def test_one_seed_for_every_lane():
    drawn = shared_sampling(SamplingSettings(temperature=0.8))
    assert drawn.seed is not None and drawn.temperature == 0.8
    assert shared_sampling(GREEDY) is GREEDY


def test_a_configs_file_gives_its_first_four_tables_with_their_sampling(tmp_path):
    path = tmp_path / "configs.toml"
    path.write_text('[a]\n[b]\nsystem = ""\ntemperature = 0.7\n[c]\nadapters = ["x"]\ntrigger = "|D|"\n'
                    'trigger_at = "user-end"\n[d]\n[e]\n', encoding="utf-8")
    lanes, note = configs_lanes(str(path), GREEDY, lambda text: AdapterSpec(f"/adapters/{text}.gguf"))
    assert [lane.name for lane in lanes] == ["a", "b", "c", "d"]
    assert "has 5 configurations: comparing the first 4" in note
    assert lanes[1].configuration.system.mode is SystemMode.EMPTY
    assert lanes[1].sampling == SamplingSettings(temperature=0.7, seed=3) and lanes[0].sampling == GREEDY
    c = lanes[2].configuration
    assert c.adapters == (AdapterSpec("/adapters/x.gguf"),) and c.trigger == "|D|" and c.trigger_at.value == "user-end"


def fake_gguf(path, size: int) -> str:
    """A file the configs reader takes for a GGUF model (a v3 header, no tensors), `size` bytes (sparse)."""
    with open(path, "wb") as handle:
        handle.write(struct.pack("<4sIQQ", b"GGUF", 3, 0, 0))
        handle.truncate(size)
    return str(path)


def test_a_configs_table_model_runs_its_lane_on_that_model(tmp_path):
    (tmp_path / "models").mkdir()
    other = fake_gguf(tmp_path / "models" / "other.gguf", 1000)
    path = tmp_path / "configs.toml"
    path.write_text('[here]\n[there]\nmodel = "models/other.gguf"\nsystem = ""\n', encoding="utf-8")
    lanes, _ = configs_lanes(str(path), GREEDY, lambda text: AdapterSpec(text))
    assert lanes[0].configuration.model_path == ""
    assert lanes[1].configuration.model_path == other  # relative to the configs file's folder, made absolute
    assert lanes[1].configuration.system.mode is SystemMode.EMPTY
    label = lane_label(lanes[1], "/models/loaded.gguf")
    assert label == "there · model other.gguf · no adapter · system empty · greedy"
    assert "model" not in lane_label(lanes[0], "/models/loaded.gguf")
    assert "model" not in lane_label(lanes[1], other)  # it names the loaded model: nothing to say


def test_other_models_their_lanes_and_what_their_workers_cost(tmp_path):
    here = fake_gguf(tmp_path / "m.gguf", 300)
    other = fake_gguf(tmp_path / "n.gguf", 98_000_000)
    lanes = (CompareLane("same", Configuration(model_path=here)), CompareLane("loaded"),
             CompareLane("other", Configuration(model_path=other)),
             CompareLane("again", Configuration(model_path=str(tmp_path / "." / "n.gguf"))),
             CompareLane("gone", Configuration(model_path=str(tmp_path / "gone.gguf"))))
    found = other_models(lanes, here)
    assert found == (OtherModel(other, ("other", "again"), 98_000_000),
                     OtherModel(str(tmp_path / "gone.gguf"), ("gone",), None))
    assert cost_line(found) == ("lanes other, again run on n.gguf in a second worker (its own memory: about 98 MB, "
                                "the model file); lane gone runs on gone.gguf in a third worker (its own memory: "
                                "at least the model file)")
    assert cost_line(()) == "" and other_models(lanes[:2], here) == ()


def test_the_measured_memory_line_names_the_extra_workers_then_the_loaded_ones():
    loaded = WorkerMemory("/models/loaded.gguf", 10, 300_000_000, False)
    other = WorkerMemory("/models/other.gguf", 11, 98_400_000, True)
    unknown = WorkerMemory("/models/third.gguf", 12, None, True)
    assert memory_line((loaded, other)) == "second worker other.gguf: 98 MB resident; the loaded model's worker: 300 MB"
    assert memory_line((loaded, other, unknown)) == (
        "second worker other.gguf: 98 MB resident; third worker third.gguf: unknown resident; "
        "the loaded model's worker: 300 MB")
    assert memory_line((loaded,)) == ""  # no second model: nothing to say


def test_f3_cycles_off_then_each_lane_then_off():
    seen, choice = [], None
    for _ in range(5):
        choice = next_forced(choice, 3)
        seen.append(choice)
    assert seen == [0, 1, 2, None, 0]
    assert next_forced(None, 0) is None
    assert forced_label("base") == "forced on base's answer (F3)" and forced_label("") == "forced (F3)"


def step(i: int, chosen: int, top: list[tuple[int, float]]) -> TokenStep:
    alts = tuple(TokenAlternative(t, f"t{t}", math.log(p)) for t, p in top)
    p = dict(top).get(chosen, 0.01)
    return TokenStep(i, chosen, f"t{chosen}", b"", math.log(p), 1.0, 0, alts)


def pair(js: float, differ: bool = False) -> tuple[PairDivergence, ...]:
    return (PairDivergence(0, 1, js * 2, js * 2, js, differ, -1.0, -1.0),)


def test_levels_jumps_and_the_first_difference():
    thresholds = Thresholds(0.05, 0.3)
    a = [step(i, 1, [(1, 0.9)]) for i in range(5)]
    b = [step(i, 1 if i != 3 else 2, [(1, 0.8), (2, 0.1)]) for i in range(5)]
    jss = [0.01, 0.1, 0.02, 0.2, 0.5]
    live = LiveComparison(("a", "b"))
    live.add([CompareStep(i, (a[i], b[i]), pair(jss[i], i == 3)) for i in range(5)])
    assert [live.level(i, thresholds) for i in range(5)] == [0, 1, 0, 3, 2]
    assert live.first_difference() == 3
    assert live.jump(0, 1, thresholds) == 1 and live.jump(1, 1, thresholds) == 3 and live.jump(4, 1, thresholds) is None
    assert live.jump(3, -1, thresholds) == 1 and live.jump(1, -1, thresholds) is None
    assert [s.id for s in live.lanes[1]] == [1, 1, 1, 2, 1]


def test_inspector_rows_are_aligned_by_token_most_likely_first():
    a = step(0, 5, [(5, 0.6), (7, 0.3)])
    b = step(0, 9, [(7, 0.5), (8, 0.2)])  # it chose 9, below its top-k
    live = LiveComparison(("a", "b"), [CompareStep(0, (a, b), pair(0.2, True))])
    rows = live.aligned(0)
    assert [(r.id, r.probs, r.chosen) for r in rows] == [
        (5, (pytest.approx(0.6), None), (True, False)),
        (7, (pytest.approx(0.3), pytest.approx(0.5)), (False, False)),
        (8, (None, pytest.approx(0.2)), (False, False)),
        (9, (None, pytest.approx(0.01)), (False, True)),
    ]
    ended = LiveComparison(("a", "b"), [CompareStep(0, (a, None), ())])
    assert [r.probs for r in ended.aligned(0)] == [(pytest.approx(0.6), None), (pytest.approx(0.3), None)]


def test_summaries_while_streaming_are_the_results_at_the_end():
    request, steps, result = comparison(random.Random(4), n_lanes=3, n_tokens=6)
    live = LiveComparison(result.names)
    live.add(steps[:3])
    partial = live.summaries()
    assert partial[0].positions == 3
    live.add(steps[3:])
    assert live.summaries() == result.pairs  # the same arithmetic as the engine's, until the result
    live.result = result
    assert live.summaries() is result.pairs
    assert len(live.summary_lines()) == 3 and live.summary_lines()[0].startswith("base vs pirate: KL ∞/")


def test_a_pair_line_says_every_number():
    summary = PairSummary(0, 1, 12, 0.1234, math.inf, 0.05, 3, 4, 0.41, math.nan)
    assert pair_line(summary, ("base", "pirate")) == (
        "base vs pirate: KL 0.123/∞ · JS 0.050 · 3/12 differ (first 4) · P 0.41/–")
