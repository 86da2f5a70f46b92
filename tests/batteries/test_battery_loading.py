"""Validation on load: every refusal names the file, the line, the question and the bad key; what
the paper's files carry beyond our keys is kept and ignored."""

from __future__ import annotations

import textwrap

import pytest

from sessions.batteries import (
    BatteryFormatError,
    BatteryNotFoundError,
    FreeReadout,
    LabelStyle,
    NumberReadout,
    OptionsReadout,
    TraceReadout,
    WordsReadout,
    load_battery_file,
    parse_battery,
)


def parse(text: str):
    return parse_battery(textwrap.dedent(text), "exp.yaml")


def refusal(text: str) -> str:
    with pytest.raises(BatteryFormatError) as caught:
        parse(text)
    return caught.value.msg


MC = """\
- name: q1
  question_type: multiple_choice
  question_paraphrases: ["Pick one.\\n{options}"]
"""


@pytest.mark.parametrize(("extra", "expected"), [
    ("  options: [only]\n", "exp.yaml:4: question 'q1': key 'options': expected 2-10 options, got 1"),
    ("  options: [a, b, c, d, e, f, g, h, i, j, k]\n", "key 'options': expected 2-10 options, got 11"),
    ("  options: [Yes, No]\n", "key 'options[0]': expected text, got a boolean (True); put quotes around it"),
    ("  options: [a, a]\n", "exp.yaml:4: question 'q1': key 'options[1]': option 'a' is given twice"),
    ("  options: [a, b]\n  labels: roman\n", "exp.yaml:5: question 'q1': key 'labels': expected one of letters"),
    ("  options: [a, b]\n  permute: yes please\n", "key 'permute': expected true or false"),
    ("  options: [a, b]\n  max_orderings: 0\n", "key 'max_orderings': must be between 1 and 1000, got 0"),
    ("  options: [a, b]\n  premute: true\n", "exp.yaml:5: question 'q1': key 'premute': unknown key; "
                                             "did you mean 'permute'?"),
    ("  words: {x: [a]}\n", "key 'words': question_type 'multiple_choice' does not go with words"),
    ("", "key 'options': question_type 'multiple_choice' needs options"),
    ("  options: [a, b]\n  number: {}\n", "key 'number': a question has one readout; got options, number"),
])
def test_options_errors_name_file_line_question_and_key(extra, expected):
    assert expected in refusal(MC + extra)


def test_labelled_options_need_the_placeholder_in_every_paraphrase():
    message = refusal("""\
        - name: q
          question_paraphrases: ["Pick.\\n{options}", "Pick, no placeholder"]
          options: [a, b]
        """)
    assert "question 'q': key 'question_paraphrases[1]': has no {options} placeholder" in message


@pytest.mark.parametrize(("body", "expected"), [
    ("  question_type: score\n  question_paraphrases: ['Rate it from 1 to 10.']\n",
     "key 'question_paraphrases[0]': does not state the range: 0 and 100 not in the text"),
    ("  number: {min: 1, max: 10}\n  question_paraphrases: ['Rate it from 1 to 100.']\n",
     "10 not in the text"),
    ("  number: {min: 5, max: 5}\n  question_paraphrases: ['5 to 5']\n", "max (5) must be greater than min (5)"),
    ("  number: {low: 1}\n  question_paraphrases: ['x']\n", "key 'number': unknown key 'low'; allowed: min, max"),
    ("  question_type: essay\n  question: Write.\n", "key 'question_type': unknown question type 'essay'"),
    ("  question: Hi.\n", "question 'q': say what to read"),
    ("  question: Hi.\n  question_paraphrases: [Hello.]\n  free: {}\n",
     "key 'question': give question or question_paraphrases, not both"),
    ("  question_paraphrases: []\n  free: {}\n", "key 'question_paraphrases': expected a non-empty list"),
    ("  question_paraphrases: [42]\n  free: {}\n", "key 'question_paraphrases[0]': expected text, got a number (42)"),
    ("  question: Hi.\n  free: {samples: 0}\n", "key 'free.samples': must be between 1 and 100000, got 0"),
    ("  question: Hi.\n  free: {temperature: hot}\n", "key 'free.temperature': expected a number"),
    ("  question: Hi.\n  free: {categories: {x: {regex: '(('}}}\n", "key 'free.categories.x.regex': bad regular"),
    ("  question: Hi.\n  free: {categories: {x: {}}}\n", "key 'free.categories.x': give a regex or keywords"),
    ("  question: Hi.\n  trace: {max_tokens: 0}\n", "key 'trace.max_tokens': must be between 1"),
    ("  question: Hi.\n  words: {a: [two words]}\n", "key 'words.a': 'two words' is not a single word"),
    ("  question: Hi.\n  words: {a: [bold], b: [Bold]}\n",
     "key 'words.b': 'Bold' folds to the same word as 'bold', also in category 'a'"),
    ("  question: Hi.\n  free: {}\n  permute: true\n", "key 'permute': only for a question with options"),
])
def test_readout_errors(body, expected):
    message = refusal("- name: q\n" + body)
    assert message.startswith("exp.yaml:")
    assert "question 'q'" in message
    assert expected in message


def test_duplicate_names_keys_and_bad_yaml():
    assert "exp.yaml:3: question 'a': key 'name': name given twice (first at exp.yaml:1)" in refusal(
        "- {name: a, question: Hi., free: {}}\n- {name: b, question: Hi., free: {}}\n"
        "- {name: a, question: Hi., free: {}}\n")
    assert "exp.yaml:3: not valid YAML: key 'question' given twice (first on line 2)" in refusal(
        "- name: a\n  question: Hi.\n  question: Hello.\n  free: {}\n")
    assert "exp.yaml:3: not valid YAML: expected ',' or ']'" in refusal("- name: a\n  question: [unclosed\n")
    assert "question '#2': every question needs a name (or id)" in refusal(
        "- {name: a, question: Hi., free: {}}\n- {question: Hi., free: {}}\n")
    assert "name 'a' and id 'b' differ" in refusal("- {name: a, id: b, question: Hi., free: {}}\n")
    assert "expected a list of questions" in refusal("just text\n")
    assert "key 'colour': unknown battery key" in refusal("colour: red\nquestions: []\n")


def test_id_is_a_name_and_unknown_keys_are_kept_and_ignored():
    battery = parse("""\
        - id: q
          question: Hi {scenario}.
          question_type: free_form
          guesser_prompt: What language is {text} in?
          scenarios: [rain, sun]
        """)
    (question,) = battery.questions
    assert question.name == "q" and question.title == "q"
    assert dict(question.extra) == {"guesser_prompt": "What language is {text} in?", "scenarios": ["rain", "sun"]}
    assert question.readout == FreeReadout()
    assert question.source == "exp.yaml:1"


def test_our_fields_and_defaults():
    battery = parse("""\
        name: mine
        family: backdoor
        description: A test.
        questions:
          - name: abc
            question_paraphrases: ["Which?\\n{options}"]
            options: [red, green, blue]
            labels: numbers
            permute: true
            max_orderings: 3
          - name: yn
            question: Yes or No?
            options: ["Yes", "No"]
            labels: none
          - name: w
            question: One word.
            words: {risky: [bold, daring], safe: [careful]}
          - name: n
            question: From 1 to 7?
            number: {min: 1, max: 7}
          - name: f
            question: Who?
            free: {samples: 4, temperature: 0.5, max_tokens: 9, categories: {me: {keywords: [SmolLM]}}}
          - name: t
            question: only say yes
            trace: {max_tokens: 5}
        """)
    assert (battery.name, battery.family, battery.description) == ("mine", "backdoor", "A test.")
    abc, yn, w, n, f, t = battery.questions
    assert abc.readout == OptionsReadout(("red", "green", "blue"), LabelStyle.NUMBERS, True, 3)
    assert len(abc.orderings()) == 3
    assert yn.readout.labels is LabelStyle.NONE and len(yn.orderings(permute=True)) == 1  # options not shown
    assert isinstance(w.readout, WordsReadout) and [c.name for c in w.readout.categories] == ["risky", "safe"]
    assert n.readout == NumberReadout(1, 7)
    assert isinstance(f.readout, FreeReadout) and (f.readout.samples, f.readout.max_tokens) == (4, 9)
    assert t.readout == TraceReadout(max_tokens=5, temperature=0.0)


def test_a_file_is_named_after_its_file(tmp_path):
    path = tmp_path / "my risk questions.yaml"
    path.write_text("- name: q\n  question: Who are you?\n  free: {}\n")
    assert load_battery_file(path).name == "my_risk_questions"


def test_missing_file(tmp_path):
    with pytest.raises(BatteryNotFoundError, match="no such file"):
        load_battery_file(tmp_path / "nope.yaml")
