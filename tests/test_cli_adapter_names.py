"""`--adapter NAME` resolves like F3 and `adapter inspect`, in every command that takes it."""

from __future__ import annotations

import argparse

from engine.types import AdapterSpec
from tui.cli import session_commands
from tui.cli.main import main


def test_an_unknown_adapter_name_says_what_was_tried(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("LOGITSCOPE_DATA_DIR", str(tmp_path))
    assert main(["ask", "hi", "--adapter", "nosuch:0.5"]) == 1
    err = capsys.readouterr().err
    assert "No such adapter" in err and "nosuch.gguf" in err and "adapter list" in err


def test_session_rerun_resolves_library_names(tmp_path, monkeypatch):
    monkeypatch.setenv("LOGITSCOPE_DATA_DIR", str(tmp_path))
    from adapters.library import library_dir

    library = library_dir()
    library.mkdir(parents=True, exist_ok=True)
    (library / "hello.gguf").write_bytes(b"GGUF")
    args = argparse.Namespace(no_adapters=False, adapter=["hello:0.5"], system=None,
                              no_system=False, empty_system=False, model=None, n_ctx=None,
                              n_gpu_layers=None, threads=None)
    config = session_commands._run_config(args)
    assert config.adapters == (AdapterSpec(str(library / "hello.gguf"), 0.5),)
