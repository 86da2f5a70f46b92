"""An adapter re-trained at the same path while it is active: the engine runs the new weights.

The journal hashes the adapter file it finds when a turn is recorded, and the TUI calls
`set_adapters` only when the adapter set changes, so each generate, score, choose (and the
logits seam) re-applies the active set: nothing to do while the file is unchanged, its new
weights (and an emptied KV cache) when it changed. Checked against a second worker that loads
a copy of the new file.
"""

from __future__ import annotations

import os
import shutil

import numpy as np
import pytest

from adapters.random_lora import random_lora
from engine import LocalBackend
from engine.types import (
    AdapterSpec,
    ChoiceRequest,
    GenerationRequest,
    Message,
    ModelConfig,
    SamplingSettings,
    ScoreRequest,
)
from sessions.record import adapter_records

pytestmark = pytest.mark.model

ASK = (Message("user", "Name a colour."),)


def retrain(model: str, path, seed: int) -> None:
    """Overwrite `path` in place with other weights of the same shape, keeping its size and
    mtime (only the inode's ctime tells the files apart)."""
    before = os.stat(path) if os.path.exists(path) else None
    with open(path, "r+b" if before else "wb") as handle:  # same inode when it exists
        fresh = random_lora(model, f"{path}.new", rank=8, std=0.05, seed=seed)
        handle.write(fresh.read_bytes())
        handle.truncate()
    os.unlink(fresh)
    if before is not None:
        os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
        after = os.stat(path)
        assert (after.st_size, after.st_mtime_ns, after.st_ino) == \
            (before.st_size, before.st_mtime_ns, before.st_ino)


def generated(backend) -> tuple[float, ...]:
    stream = backend.generate(GenerationRequest(ASK, sampling=SamplingSettings(temperature=0.0),
                                                max_tokens=4))
    list(stream)
    assert stream.result is not None
    return tuple(s.logprob for s in stream.result.steps) + tuple(
        a.logprob for s in stream.result.steps for a in s.top)


def scored(backend) -> tuple[float, ...]:
    result = backend.score(ScoreRequest(ASK, continuation=" Blue, like the sea."))
    return tuple(s.logprob for s in result.steps)


def chosen(backend) -> tuple[float, ...]:
    result = backend.choose(ChoiceRequest(ASK, options=("Red", "Green", "Blue")))
    return tuple(o.logprob for o in result.options)


def logits(backend) -> tuple[float, ...]:
    return tuple(backend.logits(backend.tokenize("The sky is")))


@pytest.fixture(scope="module")
def pair(default_model):
    """The backend under test and a reference that loads each version of the file afresh."""
    config = ModelConfig(default_model, n_ctx=512, n_threads=1)
    with LocalBackend(config) as live, LocalBackend(config) as reference:
        live.start()
        reference.start()
        yield live, reference


@pytest.mark.parametrize("run", [generated, scored, chosen, logits])
def test_an_active_adapter_retrained_at_its_path_runs_the_new_weights_without_set_adapters(
        pair, default_model, tmp_path, run):
    live, reference = pair
    path = tmp_path / "retrained.gguf"
    retrain(default_model, path, seed=1)
    live.set_adapters((AdapterSpec(str(path), 1.0),))
    old = run(live)
    assert run(live) == old  # unchanged file: the same weights

    retrain(default_model, path, seed=2)  # no set_adapters: the TUI does not know
    new = run(live)
    moved = float(np.abs(np.array(new) - np.array(old)).max())
    assert moved > 1e-3, f"still running the old weights (largest change {moved})"
    copy = tmp_path / "fresh-copy.gguf"
    shutil.copy(path, copy)
    reference.set_adapters((AdapterSpec(str(copy), 1.0),))
    assert new == run(reference)
    # what the journal records for the turn is the hash of the weights that ran
    assert adapter_records(live.config.adapters)[0].sha256 == \
        adapter_records((AdapterSpec(str(copy), 1.0),))[0].sha256
    live.set_adapters(())
    reference.set_adapters(())
