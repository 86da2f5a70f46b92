"""Scale-out, verified: the default model spread over two RPC workers on 127.0.0.1, interrogated.

docs/scale-out.md tells users to run `llama-server --rpc host:port,...` over `rpc-server`
workers for a model larger than one machine. Here both workers run on this host (CPU backend,
different ports), llama-server offloads every layer (`-ngl 99`) so the weights go to the
workers, and the checks are: the server's load log puts model buffers on both RPC devices and
offloads all layers; `/completion` with `n_probs` answers with the same tokens and top-k
logprobs as the plain llama-server of tests/remote/conftest.py (same binaries, same model, all
on the CPU: the RPC workers compute with the same kernels); and `logitscope ask --engine URL
--json` interrogates it.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from servers import ServerProcess, post_json, start_llama_server, start_rpc_worker

pytestmark = [pytest.mark.model, pytest.mark.remote]

PROMPT = "The capital of France is"
N_PROBS = 5
# Measured: 0.0 over 8 greedy tokens (identical CPU kernels on both sides of the RPC); the
# margin allows for a worker's different thread split.
LOGPROB_TOLERANCE = 1e-3


@dataclass
class Cluster:
    server: ServerProcess
    workers: tuple[ServerProcess, ServerProcess]


@pytest.fixture(scope="module")
def cluster(llama_binaries, default_model, tmp_path_factory) -> Iterator[Cluster]:
    logs = tmp_path_factory.mktemp("scale-out")
    started: list[ServerProcess] = []
    try:
        for name in ("rpc-1", "rpc-2"):
            started.append(start_rpc_worker(llama_binaries.rpc_server, logs / f"{name}.log"))
        workers = (started[0], started[1])
        server = start_llama_server(llama_binaries.llama_server, Path(default_model),
                                    logs / "llama-server.log", rpc=[w.address for w in workers],
                                    n_gpu_layers=99, log_verbosity=4, timeout_s=180)
        started.append(server)
        yield Cluster(server, workers)
    finally:
        for process in reversed(started):
            process.stop()


def greedy_completion(url: str) -> dict:
    return post_json(f"{url}/completion", {"prompt": PROMPT, "n_predict": 8, "n_probs": N_PROBS,
                                           "temperature": 0, "cache_prompt": False})


def test_the_layers_go_to_both_rpc_workers(cluster):
    log = cluster.server.log()
    for worker in cluster.workers:
        assert re.search(rf"RPC\d*\[{re.escape(worker.address)}\] model buffer size = +[1-9]", log), log
    offloaded = re.search(r"offloaded (\d+)/(\d+) layers", log)
    assert offloaded and offloaded.group(1) == offloaded.group(2), log


def test_completion_with_n_probs_matches_the_single_machine_server(cluster, llama_server):
    spread = greedy_completion(cluster.server.url)
    single = greedy_completion(llama_server)
    steps, reference = spread["completion_probabilities"], single["completion_probabilities"]
    assert len(steps) == 8 and spread["content"] == single["content"]
    for step, ref in zip(steps, reference, strict=True):
        assert len(step["top_logprobs"]) == N_PROBS
        assert [t["id"] for t in step["top_logprobs"]] == [t["id"] for t in ref["top_logprobs"]]
        for got, want in zip(step["top_logprobs"], ref["top_logprobs"], strict=True):
            assert got["logprob"] == pytest.approx(want["logprob"], abs=LOGPROB_TOLERANCE)
        logprobs = [t["logprob"] for t in step["top_logprobs"]]
        assert logprobs == sorted(logprobs, reverse=True) and logprobs[0] <= 0


def test_logitscope_asks_through_engine(cluster):
    done = subprocess.run(
        [sys.executable, "-m", "tui.cli.main", "ask", PROMPT, "--engine", cluster.server.url,
         "--json", "--max-tokens", "6", "--temperature", "0", "--top-k-probs", str(N_PROBS)],
        capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    records = [json.loads(line) for line in done.stdout.splitlines() if line.strip()]
    steps, final = records[:-1], records[-1]
    assert final["done"] is True and len(steps) == final["n_tokens"] == 6
    assert final["provenance"]["remote"]["url"] == cluster.server.url
    assert final["provenance"]["remote"]["dialect"] == "llamacpp"
    # the numbers are the spread model's: its own answer to the prompt logitscope rendered
    direct = post_json(f"{cluster.server.url}/completion", {
        "prompt": final["provenance"]["prompt_token_ids"], "n_predict": 6, "n_probs": N_PROBS,
        "temperature": 0, "cache_prompt": False})["completion_probabilities"]
    assert [step["id"] for step in steps] == [position["id"] for position in direct]
    for step, position in zip(steps, direct, strict=True):
        assert [t["id"] for t in step["top"]] == [t["id"] for t in position["top_logprobs"]]
        assert step["logprob"] == pytest.approx(position["logprob"], abs=LOGPROB_TOLERANCE)


def test_the_demo_script_runs_the_same_recipe(llama_binaries):
    demo = Path(__file__).resolve().parents[2] / "scripts" / "scale_out_demo.py"
    done = subprocess.run([sys.executable, str(demo)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert re.search(r"offloaded (\d+)/\1 layers", done.stdout), done.stdout
    assert done.stdout.count("model buffer size") >= 3  # the CPU's share and each worker's
    assert '"dialect": "llamacpp"' in done.stdout  # logitscope ask --engine answered
