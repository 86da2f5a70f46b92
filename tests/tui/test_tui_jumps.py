"""tui/jumps.py without Textual: which positions match each jump criterion, the next / previous
match from a cursor (none that way: None, so the screen stays put), the status text; and the
config file's [explore] table that sets the thresholds."""

from __future__ import annotations

import math

import pytest

from engine.types import TokenStep
from tui.config import ConfigError, load_settings, parse_explore
from tui.jumps import (
    CRITERIA,
    JumpThresholds,
    jump_target,
    matches,
    matching_positions,
    next_criterion,
    no_match_notice,
    status_text,
)

DEFAULT = JumpThresholds()


def step(i: int, p: float, entropy: float, rank: int = 0) -> TokenStep:
    return TokenStep(i, i, f"t{i}", b"t", math.log(p), entropy, rank, ())


# p, entropy, rank per position: 1 and 4 hesitate (entropy), 2 and 4 are unlikely, 2 and 3 not top-1
STEPS = [step(0, 0.9, 0.3), step(1, 0.5, 2.5), step(2, 0.1, 1.0, rank=2), step(3, 0.4, 1.2, rank=1),
         step(4, 0.05, 3.1), step(5, 0.95, 0.1)]


def test_each_criterion_matches_its_positions():
    assert matching_positions(STEPS, "entropy", DEFAULT) == [1, 4]
    assert matching_positions(STEPS, "prob", DEFAULT) == [2, 4]
    assert matching_positions(STEPS, "rank", DEFAULT) == [2, 3]
    assert matching_positions(STEPS, "entropy", JumpThresholds(entropy_above=1.1)) == [1, 3, 4]
    assert matching_positions(STEPS, "prob", JumpThresholds(prob_below=0.45)) == [2, 3, 4]


def test_thresholds_are_strict():
    assert not matches(step(0, 0.2, 2.0), "entropy", DEFAULT)  # entropy exactly 2.0: not above
    assert not matches(step(0, 0.2, 2.0), "prob", DEFAULT)  # p exactly 0.2: not below
    assert not matches(step(0, 0.5, math.nan), "entropy", DEFAULT)
    with pytest.raises(ValueError, match="unknown jump criterion"):
        matches(STEPS[0], "kl", DEFAULT)


def test_next_and_previous_from_the_cursor():
    assert jump_target(STEPS, 0, 1, "entropy", DEFAULT) == 1
    assert jump_target(STEPS, 1, 1, "entropy", DEFAULT) == 4  # the cursor's own position is skipped
    assert jump_target(STEPS, 5, -1, "entropy", DEFAULT) == 4
    assert jump_target(STEPS, 4, -1, "entropy", DEFAULT) == 1
    assert jump_target(STEPS, 3, -1, "rank", DEFAULT) == 2


def test_at_the_last_match_there_is_no_next_one():
    assert jump_target(STEPS, 4, 1, "entropy", DEFAULT) is None  # the last match: stays put
    assert jump_target(STEPS, 5, 1, "entropy", DEFAULT) is None  # past it
    assert jump_target(STEPS, 1, -1, "entropy", DEFAULT) is None  # the first match going back
    assert jump_target(STEPS, 0, -1, "prob", DEFAULT) is None


def test_no_match_anywhere_and_an_empty_answer():
    calm = [step(n, 0.9, 0.2) for n in range(4)]
    for kind in CRITERIA:
        assert matching_positions(calm, kind, DEFAULT) == []
        assert jump_target(calm, 1, 1, kind, DEFAULT) is None
        assert jump_target(calm, 1, -1, kind, DEFAULT) is None
        assert jump_target([], None, 1, kind, DEFAULT) is None


def test_without_a_cursor_forward_finds_the_first_match_and_back_the_last():
    assert jump_target(STEPS, None, 1, "prob", DEFAULT) == 2
    assert jump_target(STEPS, None, -1, "prob", DEFAULT) == 4


def test_criteria_cycle_in_order_and_back_to_the_first():
    assert [next_criterion(k) for k in CRITERIA] == ["prob", "rank", "entropy"]
    assert next_criterion("unknown") == "entropy"


def test_status_text_names_the_criterion_and_counts_the_answer():
    assert status_text("entropy", DEFAULT, STEPS) == "jump: entropy > 2 · 2/6"
    assert status_text("prob", JumpThresholds(prob_below=0.45), STEPS) == "jump: p < 0.45 · 3/6"
    assert status_text("rank", DEFAULT, STEPS) == "jump: rank > 0 · 2/6"
    assert status_text("rank", DEFAULT, None) == "jump: rank > 0"  # no answer under a cursor


def test_notices_say_why_the_cursor_stayed():
    assert no_match_notice("prob", DEFAULT, 1, True) == "No position after this one has p < 0.2."
    assert no_match_notice("prob", DEFAULT, -1, True) == "No position before this one has p < 0.2."
    assert no_match_notice("entropy", DEFAULT, 1, False) == "No position in this answer has entropy > 2."


# ----- the [explore] table of the config file ---------------------------------------------------


def test_explore_defaults_and_values(isolated_dirs):
    assert load_settings().explore == JumpThresholds(2.0, 0.2)
    assert parse_explore({}) == JumpThresholds(2.0, 0.2)
    assert parse_explore({"explore": {"prob_below": 0.5}}) == JumpThresholds(2.0, 0.5)
    (isolated_dirs / "config.toml").write_text("[explore]\nentropy_above = 1\nprob_below = 0.05\n")
    settings = load_settings()
    assert settings.explore == JumpThresholds(1.0, 0.05)
    assert isinstance(settings.explore.entropy_above, float)


@pytest.mark.parametrize("text, words", [
    ("explore = 3\n", "[explore] must be a table"),
    ("[explore]\nkl_above = 0.1\n", "[explore] has an unknown key 'kl_above'"),
    ("[explore]\nentropy_above = -1\n", "explore.entropy_above must be a number 0 or more, not -1"),
    ("[explore]\nentropy_above = inf\n", "explore.entropy_above must be a number 0 or more"),
    ("[explore]\nentropy_above = nan\n", "explore.entropy_above must be a number 0 or more"),
    ("[explore]\nentropy_above = '2'\n", "explore.entropy_above must be a number"),
    ("[explore]\nprob_below = 1.5\n", "explore.prob_below must be a number from 0 to 1, not 1.5"),
    ("[explore]\nprob_below = true\n", "explore.prob_below must be a number from 0 to 1, not True"),
])
def test_bad_explore_tables_are_refused_naming_the_key(isolated_dirs, text, words):
    (isolated_dirs / "config.toml").write_text(text)
    with pytest.raises(ConfigError, match=words.replace("[", r"\[").replace("]", r"\]")):
        load_settings()
