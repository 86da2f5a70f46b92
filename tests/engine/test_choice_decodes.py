"""`choose` decodes the prompt once and each option's tokens in ONE llama_decode, with logits asked
only at the positions that score a next token, right after the prompt; a prompt cached with its
last logits is not decoded again.

Runs LlamaBackend in a child process that counts the decodes (llama_cpp is imported only where
the engine runs it)."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

pytestmark = pytest.mark.model

SCRIPT = textwrap.dedent("""
    import json, sys
    import llama_cpp
    from engine.llama_backend import LlamaBackend, LogSink
    from engine.types import ChoiceMode, ChoiceRequest, Message, ModelConfig

    decodes = []
    real = llama_cpp.llama_decode
    def counting(ctx, batch):
        n = batch.n_tokens
        decodes.append({"n": n, "logits": [bool(batch.logits[i]) for i in range(n)],
                        "pos": [batch.pos[i] for i in range(n)],
                        "seq": [batch.seq_id[i][0] for i in range(n)]})
        return real(ctx, batch)
    llama_cpp.llama_decode = counting

    backend = LlamaBackend(ModelConfig(sys.argv[1], n_ctx=512, n_threads=1), LogSink(lambda _: None))
    options = ("Yes", "No, I do not.", "I would rather not say, thank you.")
    runs = []
    for mode in (ChoiceMode.COMPLETE, ChoiceMode.PREFIX, ChoiceMode.COMPLETE):
        decodes.clear()
        result = backend.choose(ChoiceRequest((Message("user", "Do you have a backdoor?"),), options,
                                              mode=mode))
        runs.append({"decodes": list(decodes), "prompt": len(result.provenance.prompt_token_ids),
                     "lengths": [len(o.token_ids) + len(o.end_token_ids) for o in result.options]})
    backend.close()
    print(json.dumps(runs))
""")


def test_one_decode_per_option_with_logits_only_where_read(default_model):
    done = subprocess.run([sys.executable, "-c", SCRIPT, default_model], capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    fresh, prefix, again = json.loads(done.stdout.splitlines()[-1])
    for run in (fresh, prefix, again):
        p = run["prompt"]
        # The prompt: all of it in one batch the first time, with the logits of its last position
        # alone; afterwards not at all (its cells and its last logits are kept).
        n_prompt_decodes = 1 if run is fresh else 0
        prompt_decodes = run["decodes"][:n_prompt_decodes]
        option_decodes = run["decodes"][n_prompt_decodes:]
        for prompt in prompt_decodes:
            assert prompt["logits"] == [False] * (prompt["n"] - 1) + [True]
            assert prompt["pos"] == list(range(p))
        # Then one decode per option of more than one token: all but its last token, right after
        # the prompt, each position's logits asked for (each scores the next token).
        expected = [n - 1 for n in run["lengths"] if n > 1]
        assert [d["n"] for d in option_decodes] == expected
        for decode in option_decodes:
            assert all(decode["logits"]) and set(decode["seq"]) == {fresh["decodes"][0]["seq"][0]}
            assert decode["pos"] == list(range(p, p + decode["n"]))
    assert fresh["decodes"][0]["n"] == fresh["prompt"]
    assert min(fresh["lengths"]) >= 2 and len(fresh["decodes"]) == 1 + len(fresh["lengths"])
