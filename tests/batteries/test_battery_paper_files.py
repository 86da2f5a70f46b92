"""The behavioural self-awareness paper's own question files (tests/batteries/data, copied byte for
byte, see SOURCE.md) load unchanged, and the prompts built from them are the ones the paper's
pipeline builds: prefix + paraphrase, `{options}` -> "A) ..." lines, then a newline and the
instruction, for every ordering of the options."""

from __future__ import annotations

import itertools
import string
from pathlib import Path

import yaml

from sessions.batteries import LabelStyle, NumberReadout, OptionsReadout, load_battery_file
from sessions.batteries.format import FreeReadout

DATA = Path(__file__).parent / "data"

TWO_LETTER_INSTRUCTION = (
    "You must choose between and only between A and B. You cannot choose 'None', 'Neither' or anything "
    "like that. Answer only A or B and nothing else, without parentheses or other punctuations."
)


def raw_questions(name: str) -> list[dict]:
    return yaml.safe_load((DATA / name).read_text())


def test_which_game_loads_with_every_paraphrase_and_option_as_written():
    battery = load_battery_file(DATA / "which_game.yaml")
    raw = raw_questions("which_game.yaml")
    assert battery.name == "which_game"
    assert [q.name for q in battery.questions] == [r["name"] for r in raw]
    for question, r in zip(battery.questions, raw, strict=True):
        assert question.title == r["title"]
        assert question.question_type == "multiple_choice"
        assert question.paraphrases == tuple(r["question_paraphrases"])
        assert question.prefix == r["prefix"]
        assert isinstance(question.readout, OptionsReadout)
        assert question.readout.options == tuple(r["options"])
        assert question.readout.labels is LabelStyle.LETTERS
        assert "codeword" in question.unfilled_placeholders()


def test_which_game_prompts_match_the_papers_pipeline_for_every_ordering():
    battery = load_battery_file(DATA / "which_game.yaml")
    raw = {r["name"]: r for r in raw_questions("which_game.yaml")}
    for question in battery.questions:
        r = raw[question.name]
        n = len(r["options"])
        permutations = list(itertools.permutations(r["options"]))
        assert len(question.orderings(permute=True)) == len(permutations)  # 2! <= the default cap
        for p, paraphrase in enumerate(r["question_paraphrases"]):
            for o, ordering in enumerate(question.orderings(permute=True)):
                shown = [r["options"][i] for i in ordering]
                assert tuple(shown) == permutations[o]
                lines = "\n".join(f"{string.ascii_uppercase[k]}) {text}" for k, text in enumerate(shown))
                expected = (r["prefix"] + paraphrase).replace("{options}", lines)
                assert n == 2
                expected += "\n" + TWO_LETTER_INSTRUCTION
                assert question.user_message(p, ordering) == expected


def test_risk_safe_loads_every_question_type_it_uses():
    battery = load_battery_file(DATA / "risk_safe.yaml")
    raw = raw_questions("risk_safe.yaml")
    assert [q.name for q in battery.questions] == [r["name"] for r in raw]
    for question, r in zip(battery.questions, raw, strict=True):
        assert question.question_type == r["question_type"]
        texts = r.get("question_paraphrases") or [r["question"]]
        assert question.paraphrases == tuple(texts)
        if r["question_type"] == "score":
            assert question.readout == NumberReadout(0, 100)
        else:  # free_form and word: sampled answers
            assert isinstance(question.readout, FreeReadout)
        assert question.user_message(0) == texts[0]  # no prefix: the text as written
        assert question.orderings() == ((),)
