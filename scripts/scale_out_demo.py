"""Spread the default model over two llama.cpp RPC workers on this machine and interrogate it.

    .venv/bin/python engine/native/build_server.py    # once: builds llama-server and the worker
    .venv/bin/python scripts/scale_out_demo.py [--keep] [--prompt TEXT]

docs/scale-out.md explains how to run a model too large for one machine: `rpc-server` workers on
the other machines and `llama-server --rpc` on the main one. This script is that recipe in
miniature, on 127.0.0.1: two workers (CPU backend, free ports), llama-server over both with every
layer offloaded, the load log's lines that show each worker's share, one `/completion` with
`n_probs`, and `logitscope ask --engine URL --json`. `--keep` leaves the servers running (their
URL printed) until Ctrl-C. The logs stay in a temporary folder it prints. Exit 0 when every step
worked.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "remote"))  # servers.py: the tests' process helper

from servers import post_json, running, start_llama_server, start_rpc_worker  # noqa: E402

from engine.default_model import default_model_path  # noqa: E402
from engine.native.server_binaries import server_binaries  # noqa: E402

N_PROBS = 5


def step(text: str) -> None:
    print(f"\n== {text}", flush=True)


def placement_lines(log: str) -> list[str]:
    """The load log's lines that say which device got what."""
    keys = ("using device", "offloaded", "model buffer size", "KV buffer size")
    return [line.split(" I ", 1)[-1].strip() for line in log.splitlines()
            if any(key in line for key in keys)]


def show_completion(url: str, prompt: str) -> None:
    answer = post_json(f"{url}/completion", {"prompt": prompt, "n_predict": 6, "n_probs": N_PROBS,
                                             "temperature": 0})
    print(f"prompt {prompt!r} -> {answer['content']!r}")
    for position in answer["completion_probabilities"]:
        top = ", ".join(f"{t['token']!r} {t['logprob']:.3f}" for t in position["top_logprobs"])
        print(f"  {position['token']!r:>14} {position['logprob']:8.3f}   top: {top}")


def ask_through_logitscope(url: str, prompt: str) -> bool:
    command = [sys.executable, "-m", "tui.cli.main", "ask", prompt, "--engine", url, "--json",
               "--max-tokens", "8", "--temperature", "0", "--top-k-probs", str(N_PROBS)]
    print("$ logitscope " + " ".join(command[3:]))
    done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, timeout=300)
    if done.returncode == 2 and "--engine" in done.stderr:
        print("skipped: this logitscope has no --engine yet (the remote backend is not installed)")
        return True
    if done.returncode != 0:
        print(done.stderr, file=sys.stderr)
        return False
    records = [json.loads(line) for line in done.stdout.splitlines() if line.strip()]
    for record in records[:-1]:
        marker = f" ({record['distribution']})" if "distribution" in record else ""
        print(f"  {record['text']!r:>14} logprob {record['logprob']:.3f} entropy "
              f"{record['entropy']:.3f}{marker}")
    final = records[-1]
    print(f"answer {final['text']!r}; provenance.remote: {json.dumps(final['provenance'].get('remote'))}")
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--prompt", default="The capital of France is")
    parser.add_argument("--keep", action="store_true", help="leave the servers running until Ctrl-C")
    options = parser.parse_args(argv)

    binaries = server_binaries()
    if binaries is None:
        print("llama-server is not built for this machine: run "
              "`.venv/bin/python engine/native/build_server.py` first", file=sys.stderr)
        return 1
    logs = Path(tempfile.mkdtemp(prefix="logitscope-scale-out-"))
    step(f"two RPC workers ({binaries.rpc_server.name}) on 127.0.0.1; logs in {logs}")
    first = start_rpc_worker(binaries.rpc_server, logs / "rpc-1.log")
    with running(first):
        second = start_rpc_worker(binaries.rpc_server, logs / "rpc-2.log")
        with running(second):
            print(f"workers at {first.address} and {second.address}")
            step(f"llama-server --rpc {first.address},{second.address} -ngl 99 (default model)")
            started = time.monotonic()
            server = start_llama_server(binaries.llama_server, default_model_path(),
                                        logs / "llama-server.log",
                                        rpc=[first.address, second.address], n_gpu_layers=99,
                                        log_verbosity=4, timeout_s=180)
            with running(server):
                print(f"ready at {server.url} in {time.monotonic() - started:.1f} s; where the model went:")
                for line in placement_lines(server.log()):
                    print(f"  {line}")
                step("POST /completion with n_probs")
                show_completion(server.url, options.prompt)
                step("logitscope ask --engine URL --json")
                ok = ask_through_logitscope(server.url, options.prompt)
                if options.keep:
                    print(f"\nservers running: --engine {server.url}; Ctrl-C stops them")
                    try:
                        while server.process.poll() is None:
                            time.sleep(1)
                    except KeyboardInterrupt:
                        pass
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
