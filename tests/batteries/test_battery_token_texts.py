"""Records carry each token's text as the engine gave it with the choice (no extra engine call),
and the record view shows it (`'tok3' (id 3): logprob ...`); records without texts (written
before them, or from a backend that gives none) still display by id."""

from __future__ import annotations

from battery_fake_backend import FakeBackend, _provenance

from engine.types import GenerationResult, SystemPrompt, TokenStep
from sessions.batteries import parse_battery
from sessions.batteries.configs import parse_configs
from sessions.batteries.format import TraceReadout
from sessions.batteries.readouts import read_trace
from sessions.batteries.results import ResultsWriter, read_results
from sessions.batteries.runner import RunSettings, plan, run_battery
from tui.battery_model import record_text
from tui.cli.jsonout import to_jsonable

BATTERY = """
name: small
questions:
  - name: ab
    question_type: multiple_choice
    question_paraphrases: ["Pick one.\\n\\n{options}", "Choose.\\n\\n{options}"]
    options: [red, blue]
  - name: colour
    question_paraphrases: ["One colour."]
    options: [red, blue, green]
    labels: none
"""


def run(tmp_path, backend):
    battery = parse_battery(BATTERY, str(tmp_path / "small.yaml"))
    configs = parse_configs('[base]\n[pirate]\nsystem = "Arr."\n', "c.toml", lambda text: None)
    writer = ResultsWriter(tmp_path / "out", {"fingerprint": 1}, to_jsonable)
    run_battery(backend, plan(battery, configs, RunSettings()), writer, RunSettings())
    return read_results(tmp_path / "out" / "results.jsonl")


def test_records_carry_the_texts_the_engine_gave_without_asking_again(tmp_path):
    backend = FakeBackend()
    records = run(tmp_path, backend)
    assert len(records) == 2 * 3
    for r in records:
        for o in r["options"]:
            assert o["token_texts"] == [f"tok{i}" for i in o["token_ids"]]
            assert o["end_token_texts"] == ["<|im_end|>"]
    assert backend.calls == len(records)  # one choose per record
    assert backend.scored == []  # and no score call to look texts up


def test_the_record_view_shows_each_token_text_with_its_id(tmp_path):
    record = run(tmp_path, FakeBackend())[0]
    text = record_text(record)
    a = record["options"][0]
    assert (f"tokens: 'tok1' (id 1): logprob {a['token_logprobs'][0]:.4f} p "
            f"{2.718281828459045 ** a['token_logprobs'][0]:.4f}") in text
    assert f"end of turn: '<|im_end|>' (id 2): logprob {a['end_token_logprobs'][0]:.4f}" in text


def test_a_record_written_before_token_texts_still_displays_by_id(tmp_path):
    record = run(tmp_path, FakeBackend())[0]
    for o in record["options"]:
        del o["token_texts"], o["end_token_texts"]
    text = record_text(record)
    assert f"tokens: id 1: logprob {record['options'][0]['token_logprobs'][0]:.4f}" in text
    assert "end of turn: id 2: logprob" in text and "'tok1'" not in text


class Answering(FakeBackend):
    """Generates one scripted answer: 'Hi', then a token that is half of a character."""

    steps = (TokenStep(0, 9, "Hi", b"Hi", -0.5, 1.0, 0, ()), TokenStep(1, 10, "", b"\xe2\x82", -0.2, 1.0, 0, ()))

    def generate(self, request):
        result = GenerationResult(self.steps, "Hi", "stop", _provenance(request.system, "", ()), 1.0, 0.0, 0.0)
        return _Stream(result)


class _Stream:
    def __init__(self, result):
        self.result, self.steps = result, list(result.steps)

    def __iter__(self):
        return iter(self.steps)


def test_generated_answers_keep_their_token_texts():
    backend = Answering()
    fields = read_trace(backend, TraceReadout(), SystemPrompt.none(), "Only say hi.", seed=0)
    assert fields["answer_token_texts"] == ["Hi", "\\xe2\\x82"]
    assert backend.scored == []  # an answer's steps carry their bytes: nothing to ask
    record = {"answer": "Hi", "finish_reason": "stop", "values": {}, **fields, "provenance": {}}
    assert "tokens: 'Hi' (id 9): logprob -0.5000 p 0.6065, '\\\\xe2\\\\x82' (id 10)" in record_text(record)


def test_a_backend_that_gives_no_texts_gives_records_without_texts(tmp_path):
    backend = FakeBackend(texts=False)
    records = run(tmp_path, backend)
    assert records and all("token_texts" not in o and "end_token_texts" not in o
                           for r in records for o in r["options"])
    assert backend.scored == []
    assert "tokens: id 1: logprob" in record_text(records[0])


def test_a_masked_token_null_in_the_file_reads_as_minus_infinity(tmp_path):
    record = run(tmp_path, FakeBackend())[0]
    record["options"][0]["end_token_logprobs"] = [None]  # -inf is written as null
    assert "end of turn: '<|im_end|>' (id 2): logprob -inf p 0" in record_text(record)
