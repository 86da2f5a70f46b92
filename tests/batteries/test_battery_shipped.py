"""The shipped batteries: all load, one per experiment family, written with several paraphrases;
names and paths resolve, unknown names are refused listing the shipped ones."""

from __future__ import annotations

import pytest

from sessions.batteries import (
    BatteryNotFoundError,
    OptionsReadout,
    ReadoutKind,
    load_battery,
    resolve_battery,
    shipped_batteries,
    shipped_battery_paths,
)
from sessions.batteries.prompts import LabelStyle


def test_one_battery_per_family():
    families = {battery.family: battery for battery in shipped_batteries()}
    assert set(families) == {"self-description", "backdoor", "identity", "vocabulary-collapse"}
    for battery in families.values():
        assert battery.description
        assert battery.name == battery.path.stem
        for question in battery.questions:
            assert len(question.paraphrases) >= 3, question.name
            assert len(set(question.paraphrases)) == len(question.paraphrases), question.name
            assert question.unfilled_placeholders() == (), question.name


def test_the_backdoor_battery_asks_in_three_formats():
    battery = load_battery("backdoor")
    styles = {q.readout.labels for q in battery.questions if isinstance(q.readout, OptionsReadout)}
    assert styles == {LabelStyle.LETTERS, LabelStyle.NUMBERS, LabelStyle.NONE}
    scored = {item.scored for item in battery.items()}
    assert {("A", "B"), ("1", "2"), ("Yes", "No")} <= scored


def test_families_read_what_their_experiment_needs():
    kinds = {b.family: {q.readout.kind for q in b.questions} for b in shipped_batteries()}
    assert kinds["vocabulary-collapse"] == {ReadoutKind.TRACE}
    assert {ReadoutKind.FREE, ReadoutKind.WORDS} <= kinds["identity"]
    assert {ReadoutKind.OPTIONS, ReadoutKind.WORDS, ReadoutKind.NUMBER, ReadoutKind.FREE} <= kinds["self-description"]
    topics = " ".join(q.name for q in load_battery("self_description").questions)
    assert "risk" in topics and "code_security" in topics and "response_pattern" in topics


def test_resolution(tmp_path):
    paths = shipped_battery_paths()
    assert resolve_battery("identity") == paths["identity"]
    assert resolve_battery(str(paths["identity"])) == paths["identity"]
    with pytest.raises(BatteryNotFoundError, match="shipped: backdoor, identity, self_description"):
        resolve_battery("nonesuch")
    with pytest.raises(BatteryNotFoundError, match="no such file"):
        resolve_battery(str(tmp_path / "identity.yaml"))  # a path is never taken for a name
    local = tmp_path / "mine.yaml"
    local.write_text("- name: q\n  question: Who are you?\n  free: {}\n")
    assert load_battery(str(local)).name == "mine"
