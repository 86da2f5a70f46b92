"""`--flash-attn auto|on|off` on every command that loads a model (tui/cli/options.py), carried
into ModelConfig.flash_attn (the backend is replaced before it starts); and, on the real model,
`ask --json` reports the runtime in its provenance: flash attention as asked and as in effect."""

from __future__ import annotations

import json

import pytest

import tui.app
from engine.types import FlashAttention, ModelConfig
from tui.cli import ask, battery, choose, score, sweep
from tui.cli.main import main


class Launched(Exception):
    """Raised by the stand-in backend instead of loading a model."""


@pytest.fixture
def configs(monkeypatch) -> list[ModelConfig]:
    seen: list[ModelConfig] = []

    def fake_backend(config: ModelConfig):
        seen.append(config)
        raise Launched

    for module in (ask, choose, score, sweep, battery):
        monkeypatch.setattr(module, "LocalBackend", fake_backend)

    def fake_run_tui(backend, *args, **kwargs):
        seen.append(backend.config)
        return 0

    monkeypatch.setattr(tui.app, "run_tui", fake_run_tui)
    return seen


def commands(tmp_path) -> list[list[str]]:
    adapter = tmp_path / "hello.gguf"
    adapter.write_bytes(b"")
    return [
        ["ask", "hello"],
        ["choose", "hello", "--option", "a", "--option", "b"],
        ["score", "--prompt", "hello", "--continuation", "hi"],
        ["sweep", "hello", "--adapter", str(adapter), "--scales", "0,1", "--option", "a", "--option", "b"],
        ["battery", "run", "backdoor", "--out", str(tmp_path / "run")],
        ["tui"],
        [],  # flags without a command open the TUI
    ]


def launch(argv: list[str]) -> None:
    try:
        assert main(argv) == 0  # the TUI's stand-in returns
    except Launched:
        pass


@pytest.mark.parametrize("index", range(7))
def test_every_model_command_takes_the_flag_and_defaults_to_auto(configs, tmp_path, index):
    argv = commands(tmp_path)[index]
    launch(argv)
    assert configs[-1].flash_attn is FlashAttention.AUTO
    for value in ("on", "off", "auto"):
        launch([*argv, "--flash-attn", value])
        assert configs[-1].flash_attn is FlashAttention(value)


def test_another_value_is_refused(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["ask", "hello", "--flash-attn", "maybe"])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "--flash-attn" in err and "'auto', 'on', 'off'" in err


@pytest.mark.model
def test_ask_json_names_the_runtime_its_numbers_came_from(capsys, default_model):
    assert main(["ask", "only say yes", "--json", "--temperature", "0", "--max-tokens", "2",
                 "--n-ctx", "512", "--kv-sequences", "1", "--threads", "1", "--flash-attn", "off"]) == 0
    done = json.loads(capsys.readouterr().out.splitlines()[-1])
    runtime = done["provenance"]["runtime"]
    assert runtime["flash_attn"] == "off" and runtime["flash_attn_in_effect"] is False
    assert runtime["devices"][0].startswith("CPU") and "CPU" in runtime["backends"]
    assert runtime["n_gpu_layers"] == 0 and runtime["layers_offloaded"] == 0
    assert runtime["n_threads"] == runtime["n_threads_batch"] == 1
    assert runtime["n_batch"] == 512 and runtime["n_ubatch"] == 64
    assert runtime["type_k"] == runtime["type_v"] == "f16"
