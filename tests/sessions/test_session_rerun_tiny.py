"""Re-run and re-score across models, on tiny models: seeds, tokenizers, forks and their bytes.

Branches are built the way the TUI builds them (tui.conversation.Conversation.fork on the
engine's own alternatives) and journaled the way it journals them (parent turn and position).
Model a records; b has other weights but a's tokenizer; c has another tokenizer (every id names
other bytes); d is a's tokenizer cut to 280 ids.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from tiny_models import WORD_BASE, byte_id

from engine.types import GenerationRequest, Message, ModelConfig, SamplingSettings, ScoreRequest
from sessions import RerunError, Session, record_turn
from sessions.rerun import RunConfig, rerun, rescore
from tui.conversation import Conversation

GREEDY = SamplingSettings(temperature=0.0)
ASK = (Message("user", "hi"),)


def use(backend, path: str) -> None:
    if backend.info is None or backend.config.model_path != path:
        backend.load(ModelConfig(path, n_ctx=256))


def generate(backend, request: GenerationRequest):
    stream = backend.generate(request)
    list(stream)
    assert stream.result is not None
    return stream.result


def is_text(alt) -> bool:
    """A token that is whole UTF-8 text (the engine escapes other bytes as \\xNN in `text`)."""
    return "\\" not in alt.text and bool(alt.text.strip())


def is_lead_byte(alt) -> bool:
    """A single byte that starts a multi-byte UTF-8 character."""
    match = re.fullmatch(r"\\x([0-9a-f]{2})", alt.text)
    return match is not None and int(match.group(1), 16) >= 0xC2


class Recorder:
    """A conversation turn with branches, journaled like tui/session_recorder.py does."""

    def __init__(self, backend, session: Session) -> None:
        self.backend, self.session = backend, session
        self.convo = Conversation()
        self.convo.add_turn("hi")
        self.ids: list[str] = []  # journal id per branch index

    def answer(self, max_tokens: int = 4):
        branch = self.convo.new_branch(0)
        request = GenerationRequest(ASK, sampling=GREEDY, max_tokens=max_tokens)
        return self._finish(branch, request, None, None)

    def fork(self, branch_index: int, position: int, want, max_tokens: int = 3):
        parent = self.convo.turns[0].branches[branch_index]
        step = parent.steps[position]
        alt = next((a for a in step.top if a.id != step.id and want(a)), None)
        assert alt is not None, f"no alternative at {position} fits: {step.top}"
        branch, continue_from = self.convo.fork(0, branch_index, position, alt)
        request = GenerationRequest(ASK, sampling=GREEDY, max_tokens=max_tokens,
                                    continue_from=continue_from)
        return self._finish(branch, request, self.ids[branch_index], position)

    def _finish(self, branch, request, parent, position):
        result = generate(self.backend, request)
        branch.extend(list(result.steps))
        branch.result = result
        turn = record_turn(self.session, request, result, parent=parent, branch_position=position)
        self.ids.append(turn.id)
        return branch, turn


@pytest.fixture
def session(tmp_path):
    return Session.create(tmp_path / "original.jsonl", "original")


def rerun_under(backend, source: Session, path: str, tmp_path, name: str):
    target = Session.create(tmp_path / f"{name}.jsonl", name)
    return rerun(Session.open(source.path), target, backend, RunConfig(model_path=path))


# ----- the engine's alternatives and the TUI's forks keep raw bytes ------------------------------

def test_alternatives_carry_their_raw_bytes_through_the_journal(tiny_backend, tiny_models, session):
    use(tiny_backend, tiny_models["a"])
    _, turn = Recorder(tiny_backend, session).answer()
    top = turn.steps[0].top
    assert all(alt.piece is not None for alt in top)
    assert all(alt.piece.decode("utf-8", "backslashreplace") == alt.text for alt in top)
    assert any(len(alt.piece) == 1 and alt.piece[0] >= 0x80 for alt in top)  # a byte token
    assert Session.open(session.path).turns[0] == turn


def test_a_fork_on_a_byte_token_forces_that_byte(tiny_backend, tiny_models, session):
    use(tiny_backend, tiny_models["a"])
    rec = Recorder(tiny_backend, session)
    rec.answer()
    branch, turn = rec.fork(0, 0, is_lead_byte)
    forced = branch.steps[0]
    assert forced.forced and len(forced.piece) == 1 and forced.piece[0] >= 0xC2
    assert forced.text == ""  # the first byte of a character completes no text
    assert turn.forced_pieces == (forced.piece,)
    assert Session.open(session.path).turns[1].forced_pieces == (forced.piece,)


# ----- re-run reproduces the recorded seed ---------------------------------------------------

def test_rerun_samples_with_the_seed_the_turn_recorded(tiny_backend, tiny_models, session,
                                                       tmp_path):
    use(tiny_backend, tiny_models["a"])
    request = GenerationRequest(ASK, sampling=SamplingSettings(temperature=1.5, top_k=0, top_p=1.0,
                                                               min_p=0.0), max_tokens=12)
    assert request.sampling.seed is None  # the TUI's default: the engine draws one and records it
    original = record_turn(session, request, generate(tiny_backend, request))
    (again,) = rerun_under(tiny_backend, session, tiny_models["a"], tmp_path, "same")
    assert again.provenance.sampling.seed == original.provenance.sampling.seed
    assert [s.id for s in again.steps] == [s.id for s in original.steps]


# ----- re-running branches under another model -----------------------------------------------

def test_branches_rerun_under_the_same_tokenizer_keep_every_forced_token(
        tiny_backend, tiny_models, session, tmp_path):
    use(tiny_backend, tiny_models["a"])
    rec = Recorder(tiny_backend, session)
    rec.answer()
    _, one = rec.fork(0, 1, lambda alt: True)  # a branch
    _, two = rec.fork(1, 3, lambda alt: True)  # a branch of it, past its own fork
    _, multi = rec.fork(0, 0, is_lead_byte)  # a fork inside a multi-byte character
    assert len(two.request.continue_from) == 4
    new = rerun_under(tiny_backend, session, tiny_models["b"], tmp_path, "other-weights")
    for old, again in zip((one, two, multi), new[1:], strict=True):
        assert again.request.continue_from == old.request.continue_from
        assert again.forced_pieces == old.forced_pieces
    assert new[2].parent == new[1].id and new[1].parent == new[0].id


def test_branches_rerun_under_another_tokenizer_force_the_same_text(
        tiny_backend, tiny_models, session, tmp_path):
    use(tiny_backend, tiny_models["a"])
    rec = Recorder(tiny_backend, session)
    rec.answer()
    first, one = rec.fork(0, 0, is_text)
    second, two = rec.fork(1, 1, is_text)  # the branch's own generated token, then another fork
    texts = [b"".join(s.piece for s in branch.steps[:len(turn.request.continue_from)]).decode()
             for branch, turn in ((first, one), (second, two))]
    new = rerun_under(tiny_backend, session, tiny_models["c"], tmp_path, "other-tokenizer")
    expected = [tuple(tiny_backend.tokenize(text)) for text in texts]
    assert [t.request.continue_from for t in new[1:]] == expected
    assert expected[0] != one.request.continue_from


def test_a_fork_inside_a_character_under_another_tokenizer_is_refused(
        tiny_backend, tiny_models, session, tmp_path):
    use(tiny_backend, tiny_models["a"])
    rec = Recorder(tiny_backend, session)
    rec.answer()
    rec.fork(0, 0, is_lead_byte)
    with pytest.raises(RerunError, match="inside a UTF-8 character"):
        rerun_under(tiny_backend, session, tiny_models["c"], tmp_path, "refused")


def test_a_v1_branch_whose_forced_byte_is_unknown_is_refused_not_dropped(
        tiny_backend, tiny_models, tmp_path):
    old = Session.open(Path(__file__).parent / "data" / "v1-branch.jsonl")
    with pytest.raises(RerunError, match="bytes of the tokens it forces are not in the session"):
        rerun(old, Session.create(tmp_path / "x.jsonl", "x"), tiny_backend,
              RunConfig(model_path=tiny_models["b"]))


# ----- re-scoring under another model ---------------------------------------------------------

def scored(backend, session, ids):
    request = ScoreRequest(ASK, continuation="", continuation_ids=tuple(ids))
    result = backend.score(request)
    text = b"".join(s.piece for s in result.steps).decode()
    return record_turn(session, ScoreRequest(ASK, text, continuation_ids=tuple(ids)), result), text


@pytest.mark.parametrize("model, retokenized", [("b", False), ("c", True), ("d", True)])
def test_rescore_reuses_ids_only_where_they_mean_the_same_bytes(
        tiny_backend, tiny_models, session, model, retokenized):
    use(tiny_backend, tiny_models["a"])
    # "H w262i w290": ASCII byte tokens and two words; d has no id 290, c names other bytes
    ids = (byte_id(ord("H")), WORD_BASE + 3, byte_id(ord("i")), WORD_BASE + 31)
    turn, text = scored(tiny_backend, session, ids)
    report = rescore(Session.open(session.path), tiny_backend,
                     RunConfig(model_path=tiny_models[model]))
    (item,) = report.turns
    assert item.retokenized is retokenized
    expected = tuple(tiny_backend.tokenize(text)) if retokenized else ids
    assert tuple(t.id for t in item.tokens) == expected
    direct = tiny_backend.score(ScoreRequest(ASK, text, continuation_ids=expected))
    # (equal up to float noise: the KV cache holds a different batch history)
    assert [t.logprob for t in item.tokens] == pytest.approx([s.logprob for s in direct.steps],
                                                             abs=1e-4)
    assert item.rescored_logprob == pytest.approx(direct.total_logprob, abs=1e-3)
    if retokenized:
        assert all(t.original_logprob is None for t in item.tokens)


def test_the_text_after_a_forced_lead_byte_continues_its_character(tiny_backend, tiny_models):
    use(tiny_backend, tiny_models["a"])
    request = GenerationRequest(ASK, sampling=GREEDY, max_tokens=4,
                                continue_from=(byte_id(0xC3),))
    result = generate(tiny_backend, request)
    generated = b"".join(s.piece for s in result.steps if s.id >= byte_id(0))
    assert result.text == (b"\xc3" + generated).decode("utf-8", "replace")


@pytest.mark.parametrize("model, kept", [("b", True), ("c", False), ("d", False)])
def test_rerun_of_a_score_keeps_its_ids_only_where_they_mean_the_same_bytes(
        tiny_backend, tiny_models, session, tmp_path, model, kept):
    use(tiny_backend, tiny_models["a"])
    ids = (byte_id(ord("H")), WORD_BASE + 3, byte_id(ord("i")), WORD_BASE + 31)
    _, text = scored(tiny_backend, session, ids)
    (again,) = rerun_under(tiny_backend, session, tiny_models[model], tmp_path, "scored")
    assert again.request.continuation_ids == (ids if kept else ())
    expected = ids if kept else tuple(tiny_backend.tokenize(text))  # the engine tokenised it
    assert tuple(s.id for s in again.steps) == expected


def test_cli_rescore_under_another_tokenizer_says_re_tokenised_not_nan(
        tiny_backend, tiny_models, session, capsys):
    from tui.cli.main import main

    use(tiny_backend, tiny_models["a"])
    scored(tiny_backend, session, (byte_id(ord("H")), WORD_BASE + 3, byte_id(ord("i"))))
    code = main(["session", "rescore", str(session.path), "--model", tiny_models["c"], "--no-save"])
    out = capsys.readouterr().out
    assert code == 0
    assert "re-tokenised" in out and "nan" not in out
