"""docs/batteries.md is the format's definition: its YAML examples load, and the word variants it
spells out are the ones the code folds."""

from __future__ import annotations

import re
from pathlib import Path

from sessions.batteries import parse_battery, word_variants

DOC = (Path(__file__).resolve().parents[2] / "docs" / "batteries.md").read_text()
BLOCKS = re.findall(r"```yaml\n(.*?)```", DOC, re.S)


def test_the_file_example_loads():
    battery = parse_battery(BLOCKS[0], "docs/batteries.md")
    assert battery.name == "backdoor" and battery.questions[0].name == "backdoor_letters"


def test_every_readout_example_loads_as_a_question():
    readouts = [block for block in BLOCKS[1:] if not block.startswith("name:")]
    assert len(readouts) == 5  # options, words, number, free, trace
    for block in readouts:
        body = "".join(f"  {line}\n" for line in block.splitlines())
        text = "- name: q\n  question_paraphrases: ['From 0 to 100, pick: {options}']\n" + body
        (question,) = parse_battery(text, "docs/batteries.md").questions
        assert question.readout.kind.value == block.split(":")[0].strip()


def test_documented_variants_are_the_folded_ones():
    for word in ("bold", "AI"):
        sentence = re.search(rf'"{word}" gives (?:exactly )?(.*?)[;.]\s', DOC, re.S).group(1)
        assert tuple(re.findall(r"`([^`]*)`", sentence)) == word_variants(word)
