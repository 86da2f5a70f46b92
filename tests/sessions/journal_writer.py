"""A child process for the crash tests: journals turns and says so on stdout, until killed.

    python journal_writer.py model DATA_DIR NAME   # real generations with the default model
    python journal_writer.py synthetic DATA_DIR NAME   # large synthetic turns in a tight loop

Prints "SAVED <turn id>" once `record_generation` returned (the turn is fsynced), and for the
model mode "STEP <n>" when a generation is under way.
"""

from __future__ import annotations

import random
import sys


def model_mode(name: str) -> None:
    from engine import LocalBackend, default_model_path
    from engine.types import GenerationRequest, Message, ModelConfig, SamplingSettings
    from sessions import SessionStore, record_generation

    session = SessionStore().open_or_create(name)
    backend = LocalBackend(ModelConfig(str(default_model_path()), n_ctx=512))
    backend.start()
    prompts = ["Write a long story about a dragon.", "Explain how rain forms, in detail.",
               "List twenty animals.", "Describe Paris at length."]
    n = 0
    while True:
        request = GenerationRequest((Message("user", prompts[n % len(prompts)]),),
                                    sampling=SamplingSettings(temperature=0.8, seed=n),
                                    max_tokens=16)
        stream = backend.generate(request)
        for step in stream:
            if step.i == 1:
                print(f"STEP {n}", flush=True)
        turn = record_generation(session, request, stream.result)
        print(f"SAVED {turn.id}", flush=True)
        n += 1


def synthetic_mode(name: str) -> None:
    from sessions import SessionStore, record_turn, synthetic

    session = SessionStore().open_or_create(name)
    rng = random.Random()
    templates = [synthetic.generation(rng, 2000, 10) for _ in range(3)]  # ~1 MB a record
    n = 0
    while True:
        turn = record_turn(session, *templates[n % 3])
        print(f"SAVED {turn.id}", flush=True)
        n += 1


if __name__ == "__main__":
    import os

    mode, data_dir, name = sys.argv[1:4]
    os.environ["LOGITSCOPE_DATA_DIR"] = data_dir
    (model_mode if mode == "model" else synthetic_mode)(name)
