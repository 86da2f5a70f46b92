"""A worker killed by a signal during load or its first decode: the message names cause and fix."""

from __future__ import annotations

import signal

import pytest

from engine import LocalBackend, WorkerDiedError
from engine.crash_diagnosis import (
    PHASE_FIRST_DECODE,
    PHASE_LATER,
    PHASE_LOAD,
    diagnose,
    rebuild_command,
    worker_died_error,
)
from engine.types import GenerationRequest, Message, ModelConfig, SamplingSettings


def test_sigill_names_the_instruction_the_rebuild_and_doctor():
    for phase in (PHASE_LOAD, PHASE_FIRST_DECODE):
        text = diagnose("SIGILL", phase)
        assert "instruction this machine does not run" in text
        assert rebuild_command() in text and "engine/native/install.py --rebuild" in text
        assert "logitscope doctor" in text


def test_sigbus_while_loading_also_suspects_the_model_file():
    assert "model file" in diagnose("SIGBUS", PHASE_LOAD)
    assert "model file" not in diagnose("SIGBUS", PHASE_FIRST_DECODE)
    assert "does not match this machine" in diagnose("SIGSEGV", PHASE_FIRST_DECODE)


def test_no_diagnosis_after_the_build_has_proven_itself_or_for_other_signals():
    assert diagnose("SIGILL", PHASE_LATER) is None
    assert diagnose("SIGKILL", PHASE_LOAD) is None
    error = worker_died_error(-9, PHASE_LOAD, "/tmp/l.log")
    assert str(error).startswith("The llama.cpp worker killed by SIGKILL. Nothing in this app")
    assert "exited with code 3" in str(worker_died_error(3, PHASE_LOAD, "/tmp/l.log"))


def _generate(backend: LocalBackend, kill_after_first: bool) -> None:
    request = GenerationRequest(messages=(Message("user", "Count to fifty."),),
                                sampling=SamplingSettings(temperature=0, seed=1), max_tokens=48)
    for _ in backend.generate(request):
        if kill_after_first:
            backend.kill_worker(signal.SIGILL)
            kill_after_first = False


@pytest.mark.model
def test_a_real_worker_killed_by_sigill_before_its_first_answer_gets_the_diagnosis(default_model):
    with LocalBackend(ModelConfig(default_model, n_ctx=512)) as backend:
        backend.start()
        with pytest.raises(WorkerDiedError) as first:
            _generate(backend, kill_after_first=True)
        assert "killed by SIGILL" in first.value.msg
        assert "instruction this machine does not run" in first.value.msg
        assert "logitscope doctor" in first.value.msg
        _generate(backend, kill_after_first=False)  # a fresh worker answers in full
        with pytest.raises(WorkerDiedError) as later:
            _generate(backend, kill_after_first=True)
        assert "killed by SIGILL" in later.value.msg
        assert "instruction" not in later.value.msg  # this build has already decoded here
