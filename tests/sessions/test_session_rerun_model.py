"""Re-run, re-score and compare with the real default model (short answers, one backend)."""

from __future__ import annotations

import math

import pytest

from engine import LocalBackend
from engine.types import (
    ChoiceRequest,
    GenerationRequest,
    Message,
    ModelConfig,
    SamplingSettings,
    ScoreRequest,
    SystemPrompt,
)
from sessions import RerunError, SessionStore, TurnKind, record_turn
from sessions.compare import compare_sessions
from sessions.rerun import RunConfig, rerun, rescore

pytestmark = pytest.mark.model


@pytest.fixture(scope="module")
def backend(default_model):
    b = LocalBackend(ModelConfig(default_model, n_ctx=512))
    b.start()
    yield b
    b.close()


@pytest.fixture(scope="module")
def recorded(backend, tmp_path_factory):
    store = SessionStore(tmp_path_factory.mktemp("data"))
    session = store.create("original")
    greedy = SamplingSettings(temperature=0)
    for prompt in ("What is the capital of France?", "Name a colour."):
        request = GenerationRequest((Message("user", prompt),), sampling=greedy, max_tokens=8)
        stream = backend.generate(request)
        steps = list(stream)
        assert stream.result is not None and len(steps) == len(stream.result.steps)
        record_turn(session, request, stream.result)
    choice = ChoiceRequest((Message("user", "Is fire hot? Answer yes or no."),), ("Yes", "No"))
    record_turn(session, choice, backend.choose(choice))
    score = ScoreRequest((Message("user", "Say hello."),), "Hello there!")
    record_turn(session, score, backend.score(score))
    return store, session


def test_same_configuration_reruns_identically(backend, recorded):
    store, session = recorded
    again = store.create("same", origin=None)
    rerun(store.open(session.id), again, backend, RunConfig())
    reopened = store.open(again.id)
    assert [t.kind for t in reopened.turns] == [t.kind for t in session.turns]
    for old, new in zip(session.turns, reopened.turns, strict=True):
        assert new.origin is not None and new.origin.turn == old.id
        assert [s.id for s in new.steps] == [s.id for s in old.steps]
        assert new.provenance.prompt_token_ids == old.provenance.prompt_token_ids
    comparison = compare_sessions(session, reopened)
    assert comparison.turns and all(t.first_divergence is None for t in comparison.turns)
    assert max(p.js for t in comparison.turns for p in t.positions) < 1e-6


def test_rerun_under_another_system_prompt_is_linked_and_differs(backend, recorded):
    from sessions import SessionOrigin

    store, session = recorded
    config = RunConfig(system=SystemPrompt.custom("You are a pirate. Always answer as a pirate."))
    target = store.create("pirate", origin=SessionOrigin(session.id, "rerun", config.describe()))
    rerun(session, target, backend, config)
    reopened = store.open("pirate")
    assert reopened.header.origin.session == session.id
    generation = [t for t in reopened.turns if t.kind is TurnKind.GENERATION]
    assert all(t.provenance.system == config.system for t in generation)
    assert all("pirate" in t.provenance.rendered_prompt for t in generation)
    assert generation[0].provenance.prompt_token_ids != session.turns[0].provenance.prompt_token_ids
    comparison = compare_sessions(session, reopened)
    assert comparison.paired_by == "origin"
    assert any(p.js > 1e-3 for t in comparison.turns for p in t.positions)


def test_rescore_reports_the_saved_tokens_exactly(backend, recorded):
    store, session = recorded
    report = rescore(session, backend, RunConfig(), target=store.create("rescored"))
    assert len(report.turns) == 3 and len(report.skipped) == 1  # the choice is skipped
    first = report.turns[0]
    original = session.turns[0]
    assert [t.id for t in first.tokens] == [s.id for s in original.steps]
    # Same model, same prompt: teacher forcing reproduces the recorded log-probabilities.
    assert first.rescored_logprob == pytest.approx(first.original_logprob, abs=1e-3)
    assert all(abs(t.delta) < 1e-3 for t in first.tokens)
    assert store.open("rescored").turns[0].kind is TurnKind.SCORE


def test_rescore_under_a_system_prompt_changes_logprobs(backend, recorded):
    _, session = recorded
    report = rescore(session, backend, RunConfig(system=SystemPrompt.custom("Answer only in German.")))
    deltas = [t.delta for turn in report.turns for t in turn.tokens]
    assert any(abs(d) > 1e-3 for d in deltas)
    assert all(math.isfinite(t.logprob) for turn in report.turns for t in turn.tokens)


def test_missing_model_is_explained(backend, recorded, tmp_path):
    from dataclasses import replace

    store, session = recorded
    broken = store.create("moved model")
    turn = session.turns[0]
    moved = replace(turn, result=replace(turn.result, provenance=replace(
        turn.provenance, model_path=str(tmp_path / "gone.gguf"))))
    broken.append_turn(moved)
    replayed = store.open("moved model")
    assert replayed.turns[0].steps == turn.steps  # replay needs no model
    with pytest.raises(RerunError, match="gone.gguf is missing.*--model"):
        rerun(replayed, store.create("x"), backend, RunConfig())


def test_cli_rerun_and_rescore(recorded, monkeypatch, capsys):
    import argparse
    import json

    from tui.cli.session_commands import register

    store, session = recorded
    monkeypatch.setenv("LOGITSCOPE_DATA_DIR", str(store.root.parent))

    def run(*argv):
        parser = argparse.ArgumentParser()
        register(parser.add_subparsers())
        args = parser.parse_args(list(argv))
        code = args.func(args)
        return code, capsys.readouterr()

    code, io = run("session", "rerun", session.id, "--empty-system", "--name", "cli-empty", "--json")
    assert code == 0, io.err
    made = json.loads(io.out)
    assert made["session"] == "cli-empty" and made["turns"] == 4 and made["origin"] == session.id
    assert store.open("cli-empty").turns[0].provenance.system == SystemPrompt.empty()
    code, io = run("session", "rescore", "cli-empty", "--no-system", "--json", "--no-save")
    assert code == 0, io.err
    report = json.loads(io.out)
    assert len(report["turns"]) == 3 and report["target"] is None
    token = report["turns"][0]["tokens"][0]
    assert {"id", "logprob", "original_logprob", "delta", "rank"} <= set(token)


def test_branches_are_kept_and_rerun_keeps_their_links(backend, recorded):
    store, _ = recorded
    session = store.create("branchy")
    greedy = SamplingSettings(temperature=0)
    request = GenerationRequest((Message("user", "Count to five."),), sampling=greedy, max_tokens=6)
    stream = backend.generate(request)
    list(stream)
    parent = record_turn(session, request, stream.result)
    prefix = tuple(s.id for s in parent.steps[:2])
    branch_request = GenerationRequest(request.messages, sampling=greedy, max_tokens=4,
                                       continue_from=prefix)
    stream = backend.generate(branch_request)
    list(stream)
    branch = record_turn(session, branch_request, stream.result, parent=parent.id,
                         branch_position=2)
    reopened = store.open("branchy")
    assert reopened.turns[1] == branch
    assert reopened.turns[1].parent == parent.id and reopened.turns[1].branch_position == 2
    assert reopened.turns[1].request.continue_from == prefix
    copy = store.create("branchy-again")
    new_parent, new_branch = rerun(reopened, copy, backend, RunConfig())
    assert new_branch.parent == new_parent.id and new_branch.branch_position == 2
    assert [s.id for s in new_branch.steps] == [s.id for s in branch.steps]


def test_rerun_with_an_adapter_records_its_hash_and_rescore_without_it(backend, recorded, tmp_path):
    import hashlib

    random_lora = pytest.importorskip("adapters.random_lora").random_lora
    from engine.types import AdapterSpec
    from sessions import SessionOrigin

    store, session = recorded
    lora = random_lora(backend.config.model_path, tmp_path / "random.gguf", rank=4, std=0.05,
                       targets=("q_proj", "v_proj"))
    config = RunConfig(adapters=(AdapterSpec(str(lora), 1.0),))
    target = store.create("with-lora", origin=SessionOrigin(session.id, "rerun", config.describe()))
    try:
        rerun(session, target, backend, config)
        tuned = store.open("with-lora")
        digest = hashlib.sha256(lora.read_bytes()).hexdigest()
        assert all(t.adapters[0].sha256 == digest and t.adapters[0].scale == 1.0 for t in tuned.turns)
        assert compare_sessions(session, tuned).turns[0].mean_js > 1e-4
        report = rescore(tuned, backend, RunConfig(adapters=()))  # the base model on the tuned answers
        assert any(abs(t.delta) > 1e-3 for turn in report.turns for t in turn.tokens)
    finally:
        backend.set_adapters(())
