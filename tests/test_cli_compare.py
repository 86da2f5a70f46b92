"""`logitscope compare` on the real default model: plain output, the JSON shape (steps as `ask
--json` gives them, per pair and position KL both ways, JS and differ), --forced on a
configuration's answer and on a text, --only, the journal, Ctrl-C from a terminal, and the
refusals that need no model."""

from __future__ import annotations

import json
import math
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from sessions import SessionStore
from tui.cli.main import main

ROOT = Path(__file__).resolve().parents[1]
PROMPT = "Name one colour of the rainbow."
CONFIGS = '[base]\n[pirate]\nsystem = "You are a pirate."\n[hot]\ntemperature = 1.0\nseed = 3\n'
GREEDY = ["--temperature", "0", "--max-tokens", "8", "--n-ctx", "1024"]


@pytest.fixture
def configs(tmp_path) -> str:
    path = tmp_path / "exp.toml"
    path.write_text(CONFIGS)
    return str(path)


def compare_json(capsys, *args: str) -> dict:
    assert main(["compare", PROMPT, *args, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


# ---------------------------------------------------------------- refusals (no model)

@pytest.mark.parametrize(("extra", "message"), [
    ([], "compare needs --configs FILE.toml"),
    (["--only", "base,nosuch"], "--only names 'nosuch', which is no configuration of the file (base, pirate, hot)"),
    (["--adapter", "x.gguf"], "--configs gives every configuration; drop --adapter"),
])
def test_refusals_name_what_is_wrong(configs, capsys, extra, message):
    args = ["compare", PROMPT, *extra] + ([] if not extra else ["--configs", configs])
    assert main(args) == 1
    assert message in capsys.readouterr().err


def test_more_than_four_configurations_need_only(tmp_path, capsys):
    path = tmp_path / "many.toml"
    path.write_text("".join(f"[c{i}]\n" for i in range(5)))
    assert main(["compare", PROMPT, "--configs", str(path)]) == 1
    assert "5 configurations; a comparison takes 1 to 4: pick some with --only A,B" in capsys.readouterr().err


# ---------------------------------------------------------------- the real model

@pytest.mark.model
def test_plain_output_gives_each_answer_with_its_configuration_and_a_line_per_pair(configs, capsys):
    assert main(["compare", PROMPT, "--configs", configs, *GREEDY]) == 0
    captured = capsys.readouterr()
    out = captured.out.splitlines()
    assert out[0] == "[base] adapters none; system none; greedy"
    assert out[3] == "[pirate] adapters none; system custom: 'You are a pirate.'; greedy"
    assert out[6] == "[hot] adapters none; system none; temperature 1, top-k 40, top-p 0.95, min-p 0.05"
    assert out[8].startswith("  (8 tokens, length, seed 3)")
    pairs = [line for line in out if " / " in line and "mean KL(" in line]
    assert [line.split(":")[0] for line in pairs] == ["base / pirate", "base / hot", "pirate / hot"]
    assert "positions differ" in pairs[0] and "mean p of the other's token" in pairs[0]
    assert "compare base, pirate, hot [" in captured.err  # progress on stderr


@pytest.mark.model
def test_json_gives_the_steps_as_ask_does_and_each_pair_per_position(configs, capsys):
    data = compare_json(capsys, "--configs", configs, "--only", "base,pirate", "--seed", "5", *GREEDY)
    assert [c["name"] for c in data["configurations"]] == ["base", "pirate"]
    assert data["forced"] is False and data["stopped"] is False and data["session"] is None
    base = data["configurations"][0]
    assert base["sampling"]["temperature"] == 0 and base["seed"] == 5 and base["n_tokens"] == len(base["steps"])
    assert main(["ask", PROMPT, "--json", "--seed", "5", *GREEDY]) == 0
    asked = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert base["steps"] == [r for r in asked if "done" not in r]  # exactly what ask --json gives
    assert base["text"] == asked[-1]["text"]
    [pair] = data["pairs"]
    assert (pair["a"], pair["b"]) == ("base", "pirate")
    pirate = data["configurations"][1]
    assert len(pair["positions"]) == min(base["n_tokens"], pirate["n_tokens"])
    for p in pair["positions"]:
        assert set(p) == {"position", "kl_ab", "kl_ba", "js", "differ", "prob_a_of_b", "prob_b_of_a"}
        i = p["position"]
        assert p["differ"] == (base["steps"][i]["id"] != pirate["steps"][i]["id"])
        assert 0 <= p["js"] <= math.log(2) + 1e-9 and p["kl_ab"] >= 0 and p["kl_ba"] >= 0
    summary = pair["summary"]
    assert summary["positions"] == len(pair["positions"])
    assert summary["differing"] == sum(p["differ"] for p in pair["positions"])
    mean_kl = math.fsum(p["kl_ab"] for p in pair["positions"]) / summary["positions"]
    assert summary["mean_kl_ab"] == pytest.approx(mean_kl)
    assert summary["first_difference"] == next((p["position"] for p in pair["positions"] if p["differ"]), None)


@pytest.mark.model
def test_forced_on_a_configurations_answer(configs, capsys):
    data = compare_json(capsys, "--configs", configs, "--only", "base,pirate", "--forced", "pirate", *GREEDY)
    base, pirate = data["configurations"]
    assert data["forced"] is True and data["forced_from"] == "pirate" and data["forced_text"] is None
    assert [s["id"] for s in base["steps"]] == [s["id"] for s in pirate["steps"]] and base["steps"]
    assert all(s["forced"] for s in base["steps"] + pirate["steps"])
    assert not any(p["differ"] for p in data["pairs"][0]["positions"])
    assert data["pairs"][0]["summary"]["mean_kl_ab"] > 0  # the same tokens, different distributions


@pytest.mark.model
def test_forced_on_a_text_and_journaled(configs, capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("LOGITSCOPE_DATA_DIR", str(tmp_path / "data"))
    text = "Red, like a parrot."
    data = compare_json(capsys, "--configs", configs, "--only", "base,hot", "--forced", text,
                        "--session", "cmp", *GREEDY)
    assert data["forced_text"] == text and data["forced_from"] is None and data["forced_ids"]
    for configuration in data["configurations"]:
        assert "".join(s["text"] for s in configuration["steps"]) == text
        assert configuration["finish_reason"] == "forced"
    session = SessionStore().open("cmp")
    assert data["session"] == {"id": session.id, "path": str(session.path),
                               "comparison": session.comparisons[0].id}
    [record] = session.comparisons
    assert record.request.forced_ids == tuple(data["forced_ids"]) and record.names == ("base", "hot")
    assert main(["session", "show", "cmp", "--json"]) == 0
    [shown] = json.loads(capsys.readouterr().out)["comparisons"]
    assert shown["configurations"] == data["configurations"] and shown["pairs"] == data["pairs"]


@pytest.mark.model
def test_ctrl_c_from_a_terminal_stops_cleanly_and_keeps_what_is_done(configs, tmp_path):
    """SIGINT to the whole process group, as a terminal sends it: the worker must survive it."""
    env = {**os.environ, "LOGITSCOPE_DATA_DIR": str(tmp_path / "data")}
    process = subprocess.Popen(
        [sys.executable, "-m", "tui.cli.main", "compare", "Count from 1 to 1000, separated by commas.",
         "--configs", configs, "--only", "base,pirate", "--temperature", "0", "--max-tokens", "1500",
         "--n-ctx", "2048", "--json", "--session", "stopped"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True, cwd=ROOT, env=env)
    seen = b""
    while not any(f" {n}/1500 ".encode() in seen for n in range(3, 40)):
        chunk = os.read(process.stderr.fileno(), 4096)  # the progress bar: positions so far
        assert chunk, seen.decode(errors="replace")
        seen += chunk
    os.killpg(process.pid, signal.SIGINT)
    out, err = process.communicate(timeout=120)
    assert process.returncode == 130, (seen + err).decode(errors="replace")
    data = json.loads(out)
    assert data["stopped"] is True
    assert [c["finish_reason"] for c in data["configurations"]] == ["cancelled", "cancelled"]
    assert 3 <= data["configurations"][0]["n_tokens"] < 1500
    session = SessionStore(tmp_path / "data").open("stopped")
    assert session.comparisons[0].stopped and session.comparisons.describe(0).endswith("; stopped")


def test_every_json_field_is_documented():
    """The JSON is public interface: each key compare --json prints is named in docs/compare.md."""
    import random

    from sessions.synthetic_comparison import comparison
    from tui.cli.compare_output import comparison_json

    data = {**comparison_json(*comparison(random.Random(1), 3, 4)), "forced_text": None, "session": None}
    docs = (ROOT / "docs" / "compare.md").read_text()
    keys = set(data) | set(data["configurations"][0]) | set(data["pairs"][0]) | set(data["pairs"][0]["summary"])
    keys |= set(data["pairs"][0]["positions"][0])
    assert not {k for k in keys if f"`{k}`" not in docs}


@pytest.mark.model
def test_a_configuration_on_another_model_runs_there_and_is_journaled(default_model, tmp_path, capsys, monkeypatch):
    """A `model` key: that configuration on a copy of the model (a second worker), named in the
    plain output, the JSON and the journal; on an identical model the pair never diverges."""
    import shutil

    monkeypatch.setenv("LOGITSCOPE_DATA_DIR", str(tmp_path / "data"))
    (tmp_path / "models").mkdir()
    shutil.copyfile(default_model, tmp_path / "models" / "copy.gguf")
    path = tmp_path / "two.toml"
    path.write_text('[base]\n[copy]\nmodel = "models/copy.gguf"\n')
    data = compare_json(capsys, "--configs", str(path), "--session", "two", *GREEDY)
    base, copy = data["configurations"]
    copied = str((tmp_path / "models" / "copy.gguf").resolve())
    assert base["model"] is None and copy["model"] == copied
    assert copy["provenance"]["model_path"] == copied
    assert [s["id"] for s in base["steps"]] == [s["id"] for s in copy["steps"]]
    assert all(p["kl_ab"] == 0 and not p["differ"] for p in data["pairs"][0]["positions"])
    [record] = SessionStore().open("two").comparisons
    assert record.request.lanes[1].configuration.model_path == copied
    assert main(["compare", PROMPT, "--configs", str(path), *GREEDY]) == 0
    assert "[copy] model copy.gguf; adapters none; system none; greedy" in capsys.readouterr().out.splitlines()


@pytest.mark.model
def test_an_engine_error_mid_way_journals_what_was_decided(configs, capsys, tmp_path, monkeypatch):
    """The worker dies after three positions: exit 1 with the engine's message, and with --session
    the three positions are journaled as a failed comparison (its note the error)."""
    from engine.errors import WorkerDiedError
    from engine.local import LocalBackend
    from tui.cli import compare as compare_command

    class DyingStream:
        def __init__(self, stream):
            self.stream, self.steps, self.result = stream, [], None

        def __iter__(self):
            for n, step in enumerate(self.stream):
                if n == 3:
                    raise WorkerDiedError("The engine worker died (killed by SIGKILL).")
                self.steps.append(step)
                yield step

    class DyingBackend(LocalBackend):
        def compare(self, request):
            return DyingStream(super().compare(request))

    monkeypatch.setattr(compare_command, "LocalBackend", DyingBackend)
    monkeypatch.setenv("LOGITSCOPE_DATA_DIR", str(tmp_path / "data"))
    assert main(["compare", PROMPT, "--configs", configs, "--only", "base,pirate", "--session", "dies",
                 *GREEDY]) == 1
    assert "The engine worker died" in capsys.readouterr().err
    [record] = SessionStore().open("dies").comparisons
    assert len(record.steps) == 3 and record.note == "The engine worker died (killed by SIGKILL)."
    assert record.failed
    assert [lane.finish_reason for lane in record.result.lanes] == ["error", "error"]
