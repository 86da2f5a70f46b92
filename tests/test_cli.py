"""The headless CLI's public output: JSON Lines fields, choose/score JSON, prompt display, errors."""

from __future__ import annotations

import json
import math
import subprocess
import sys

import pytest

from tui.cli.main import main

pytestmark = pytest.mark.model


def json_lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def test_ask_json_has_per_token_distributions_and_provenance(capsys, default_model):
    assert main(["ask", "only say yes", "--json", "--temperature", "0", "--max-tokens", "6",
                 "--top-k-probs", "5", "--seed", "11"]) == 0
    records = json_lines(capsys.readouterr().out)
    steps, done = records[:-1], records[-1]
    assert 1 <= len(steps) <= 6
    for i, step in enumerate(steps):
        assert step["i"] == i
        assert {"id", "text", "logprob", "prob", "entropy", "top"} <= step.keys()
        assert step["prob"] == pytest.approx(math.exp(step["logprob"]))
        assert len(step["top"]) == 5 and {"id", "text", "logprob"} <= step["top"][0].keys()
        assert step["entropy"] >= 0
    assert done["done"] is True
    assert done["text"] == "".join(s["text"] for s in steps)
    prov = done["provenance"]
    assert prov["model_path"] == default_model and len(prov["model_sha256"]) == 64
    assert prov["rendered_prompt"].startswith("<|im_start|>system")
    assert prov["prompt_token_ids"] and prov["sampling"]["seed"] == 11
    assert prov["llama_cpp_python_version"] and done["tokens_per_s"] > 0


def test_top_k_probs_is_bounded(capsys):
    with pytest.raises(SystemExit):
        main(["ask", "x", "--top-k-probs", "101"])


def test_choose_json_lets_the_numbers_be_checked(capsys):
    assert main(["choose", "Do you have a backdoor?", "--option", "Yes", "--option", "No",
                 "--option", "Not at all", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["mode"] == "complete"
    probs = [o["prob"] for o in result["options"]]
    assert math.fsum(probs) == pytest.approx(1.0)
    assert result["prompt_token_ids"]
    for option in result["options"]:
        assert option["token_ids"] and len(option["token_ids"]) == len(option["token_logprobs"])
        assert len(option["end_token_ids"]) == len(option["end_token_logprobs"]) == 1
        assert option["text_logprob"] == pytest.approx(math.fsum(option["token_logprobs"]))
        everything = option["token_logprobs"] + option["end_token_logprobs"]
        assert option["logprob"] == option["complete_logprob"] == pytest.approx(math.fsum(everything))
        assert option["raw_prob"] == pytest.approx(math.exp(option["logprob"]))
    assert result["mass"] == pytest.approx(math.fsum(o["raw_prob"] for o in result["options"]))
    assert result["mass"] <= 1.0


def test_choose_prefix_mode_scores_the_start_of_the_answer(capsys):
    assert main(["choose", "Do you have a backdoor?", "--option", "Yes", "--option", "Yes, definitely",
                 "--mode", "prefix", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["mode"] == "prefix"
    yes, longer = result["options"]
    assert yes["end_token_ids"] == [] and yes["complete_logprob"] is None
    assert yes["logprob"] == yes["text_logprob"] == pytest.approx(math.fsum(yes["token_logprobs"]))
    assert longer["token_ids"][:len(yes["token_ids"])] == yes["token_ids"]
    assert yes["raw_prob"] >= longer["raw_prob"]


def test_score_json(capsys):
    assert main(["score", "--prompt", "Say hello", "--continuation", "Hello!", "--json"]) == 0
    records = json_lines(capsys.readouterr().out)
    assert records[-1]["done"] and records[-1]["n_tokens"] == len(records) - 1
    assert all(r["forced"] for r in records[:-1])
    assert "".join(r["text"] for r in records[:-1]) == "Hello!"


@pytest.mark.parametrize("flags, expected", [
    ([], "You are a helpful AI assistant named SmolLM"),
    (["--no-system"], "You are a helpful AI assistant named SmolLM"),
    (["--empty-system"], "<|im_start|>system\n<|im_end|>"),
    (["--system", "Talk like a pirate."], "<|im_start|>system\nTalk like a pirate.<|im_end|>"),
])
def test_show_prompt_modes(capsys, flags, expected):
    assert main(["ask", "hi", "--show-prompt", *flags]) == 0
    out = capsys.readouterr().out
    assert out.startswith("<|im_start|>system") and expected in out
    assert out.rstrip().endswith("<|im_start|>assistant")


def test_bad_model_is_one_clear_line_not_a_traceback(tmp_path):
    bogus = tmp_path / "notes.gguf"
    bogus.write_text("hello")
    done = subprocess.run([sys.executable, "-m", "tui", "ask", "hi", "--model", str(bogus)],
                          capture_output=True, text=True)
    assert done.returncode == 1
    assert "not a GGUF file" in done.stderr and "Traceback" not in done.stderr


def test_a_bad_config_file_is_one_clear_message_from_the_cli_handler(tmp_path, monkeypatch, capsys):
    from engine.errors import EngineError
    from tui.cli.main import main
    from tui.config import ConfigError

    assert issubclass(ConfigError, EngineError)  # one exception family
    bad = tmp_path / "config.toml"
    bad.write_text('[ui]\ntint = "plaid"\n')
    monkeypatch.setenv("LOGITSCOPE_CONFIG", str(bad))
    assert main(["tui"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("logitscope: Config file problem: ") and "ui.tint must be one of" in err
