"""`logitscope doctor` on the host the suite runs on: the build, the record, the self-test."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def doctor(*args: str, cwd: Path = ROOT, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "tui.cli.main", "doctor", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=300, env=env)


def host_flags() -> set[str]:
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return set()
    line = next((row for row in text.splitlines() if row.startswith("flags")), "")
    return set(line.partition(":")[2].split())


@pytest.mark.model
def test_doctor_passes_here_and_its_self_test_decodes_the_default_model():
    done = doctor("--json")
    report = json.loads(done.stdout)
    checks = {check["name"]: check for check in report["checks"]}
    problems = {n: c["summary"] for n, c in checks.items() if c["status"] != "ok"}
    assert done.returncode == 0 and report["ok"], problems
    assert list(checks) == ["packages", "paths", "default model", "llama.cpp build",
                            "build record", "self-test"]
    build = checks["llama.cpp build"]["details"]
    assert build["llama_cpp_python_version"] == "0.3.36"
    assert any(device["kind"] == "cpu" for device in build["devices"])
    if "avx2" in host_flags():  # a native build uses what this CPU has
        assert "AVX2" in build["cpu_features"]
    if not {"amx_tile", "amx_int8"} <= host_flags():
        assert "AMX_INT8" not in build["cpu_features"]
    record = checks["build record"]
    assert record["status"] == "ok", ("llama-cpp-python was not installed by "
                                      "engine/native/install.py: " + record["summary"])
    test = checks["self-test"]["details"]
    assert test["n_tokens"] == 8 and test["prompt_tokens"] > 1 and test["answer"]


@pytest.mark.model
def test_doctor_text_report_lists_every_check():
    done = doctor()
    assert done.returncode == 0, done.stdout + done.stderr
    for name in ("packages", "default model", "llama.cpp build", "build record", "self-test"):
        assert f"ok    {name}:" in done.stdout
    assert done.stdout.strip().endswith("all good")


def test_a_foreign_adapters_package_that_shadows_ours_fails_with_a_fix(tmp_path):
    (tmp_path / "adapters").mkdir()
    (tmp_path / "adapters" / "__init__.py").write_text("")
    env = dict(os.environ, PYTHONPATH=str(tmp_path))
    done = doctor("--json", "--no-self-test", cwd=tmp_path, env=env)
    report = json.loads(done.stdout)
    packages = next(c for c in report["checks"] if c["name"] == "packages")
    assert done.returncode == 1 and not report["ok"]
    assert packages["status"] == "fail" and "adapters ->" in packages["summary"]
    assert packages["details"]["resolved"]["adapters"] == str(tmp_path / "adapters")
    assert packages["fix"]


@pytest.mark.model
def test_a_self_test_on_a_file_that_is_not_a_model_fails_clearly(tmp_path):
    bogus = tmp_path / "notes.gguf"
    bogus.write_text("not a model")
    done = doctor("--json", "--model", str(bogus))
    report = json.loads(done.stdout)
    test = next(c for c in report["checks"] if c["name"] == "self-test")
    assert done.returncode == 1 and test["status"] == "fail"
    assert "is not a GGUF file" in test["summary"]
