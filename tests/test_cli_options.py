"""CLI option routing without a model: flags with no command open the TUI, and --threads reaches
ModelConfig.n_threads for every command that loads a model (the backend is replaced before it
starts anything)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

import engine
import sessions.rerun
import tui.app
from engine.threads import default_thread_count
from engine.types import ModelConfig, SamplingSettings, SystemPrompt
from tui.cli import ask, choose, score, session_commands
from tui.cli.main import main


class Launched(Exception):
    """Raised by the stand-ins instead of loading a model or opening the TUI."""


@pytest.fixture
def tui_launch(monkeypatch) -> dict:
    seen: dict = {}

    def fake_run_tui(backend, system, sampling=None, *, session=None, max_tokens=256):
        seen.update(config=backend.config, system=system, sampling=sampling, session=session,
                    max_tokens=max_tokens)
        return 0

    monkeypatch.setattr(tui.app, "run_tui", fake_run_tui)
    return seen


@pytest.fixture
def backend_configs(monkeypatch) -> list[ModelConfig]:
    """Every ModelConfig a command hands to LocalBackend; the backend itself never starts."""
    configs: list[ModelConfig] = []

    def fake_backend(config: ModelConfig):
        configs.append(config)
        raise Launched

    for module in (ask, choose, score):
        monkeypatch.setattr(module, "LocalBackend", fake_backend)
    monkeypatch.setattr(engine, "LocalBackend", fake_backend)  # session rerun/rescore import it late
    return configs


# ----- flags without a command go to the TUI ----------------------------------------------------

def test_flags_without_a_command_open_the_tui_with_those_settings(tui_launch):
    assert main(["--temperature", "0", "--no-system"]) == 0
    assert tui_launch["sampling"] == SamplingSettings(temperature=0.0)
    assert tui_launch["system"] == SystemPrompt.none()


def test_a_flag_with_a_value_first_still_reaches_the_tui(tui_launch):
    assert main(["--max-tokens", "7", "--seed", "3", "--session", "probe"]) == 0
    assert tui_launch["max_tokens"] == 7 and tui_launch["sampling"].seed == 3
    assert tui_launch["session"] == "probe"


def test_the_tui_leaves_the_ui_a_core_unless_told_the_threads(tui_launch, monkeypatch):
    from engine import threads

    monkeypatch.setattr(threads, "default_thread_count", lambda: 4)
    assert main([]) == 0
    assert (tui_launch["config"].n_threads, tui_launch["config"].n_threads_batch) == (3, 4)
    assert main(["--threads", "2"]) == 0
    assert (tui_launch["config"].n_threads, tui_launch["config"].n_threads_batch) == (2, None)
    assert main(["--n-gpu-layers", "-1"]) == 0
    assert (tui_launch["config"].n_threads, tui_launch["config"].n_threads_batch) == (None, None)


def test_no_arguments_open_the_tui(tui_launch, monkeypatch):
    monkeypatch.setattr("sys.argv", ["logitscope"])
    assert main() == 0 and tui_launch["max_tokens"] == 256


def test_top_level_help_still_lists_the_commands(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    for command in ("ask", "choose", "score", "tui", "session", "doctor"):
        assert command in out


def test_an_unknown_command_is_still_refused(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["nonsense"])
    assert exit_info.value.code == 2
    assert "invalid choice" in capsys.readouterr().err


def test_a_bad_tui_flag_is_reported_as_the_tui_commands(capsys):
    with pytest.raises(SystemExit):
        main(["--temperature", "hot"])
    assert "--temperature" in capsys.readouterr().err


# ----- --threads ---------------------------------------------------------------------------------

def test_threads_reaches_the_tui_model_config(tui_launch):
    assert main(["tui", "--threads", "3"]) == 0
    assert tui_launch["config"].n_threads == 3
    assert main(["--threads", "2"]) == 0  # without the command too
    assert tui_launch["config"].n_threads == 2


def test_threads_defaults_to_the_engines_choice(tui_launch, capsys):
    from engine.threads import interactive_thread_counts

    assert main(["tui"]) == 0
    assert tui_launch["config"].n_threads == interactive_thread_counts(0)[0]  # None on 1 CPU: the default
    with pytest.raises(SystemExit):
        main(["tui", "--help"])
    help_text = " ".join(capsys.readouterr().out.split())
    assert f"may use, here {default_thread_count()}; the TUI on a CPU model decodes tokens with one fewer" in help_text


@pytest.mark.parametrize("argv", [
    ["ask", "hello"],
    ["choose", "hello", "--option", "a", "--option", "b"],
    ["score", "--prompt", "hello", "--continuation", "hi"],
])
def test_threads_reaches_model_config_for_each_command(backend_configs, argv):
    with pytest.raises(Launched):
        main([*argv, "--threads", "5"])
    assert backend_configs[-1].n_threads == 5
    with pytest.raises(Launched):
        main(argv)
    assert backend_configs[-1].n_threads is None


@pytest.mark.parametrize("command", ["rerun", "rescore"])
def test_threads_reaches_model_config_for_session_commands(backend_configs, monkeypatch, tmp_path,
                                                           command):
    monkeypatch.setenv("LOGITSCOPE_DATA_DIR", str(tmp_path))
    turn = SimpleNamespace(provenance=SimpleNamespace(n_ctx=512))
    monkeypatch.setattr(session_commands, "_open",
                        lambda store, ref: SimpleNamespace(id=ref, turns=[turn], problems=()))
    monkeypatch.setattr(sessions.rerun, "preflight", lambda session, config: None)
    monkeypatch.setattr(sessions.rerun, "resolve",
                        lambda turn, config: ("model.gguf", (), SystemPrompt.none()))
    with pytest.raises(Launched):
        main(["session", command, "probe", "--threads", "4"])
    assert backend_configs[-1].n_threads == 4 and backend_configs[-1].n_ctx == 512
    with pytest.raises(Launched):
        main(["session", command, "probe"])
    assert backend_configs[-1].n_threads is None


@pytest.mark.parametrize("value", ["0", "-2", "many", "1.5"])
@pytest.mark.parametrize("command", [["tui"], ["ask", "x"], ["session", "rerun", "probe"]])
def test_threads_must_be_at_least_one(capsys, command, value):
    with pytest.raises(SystemExit) as exit_info:
        main([*command, "--threads", value])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "--threads" in err and "1 or more" in err
