"""Library names resolve the same way everywhere: `adapter inspect NAME` as the README shows it."""

from __future__ import annotations

import pytest

from adapters.errors import AdapterToolError
from adapters.library import find_adapter, library_dir, parse_adapter
from adapters.random_lora import random_lora
from engine.types import AdapterSpec
from tui.cli.main import main


@pytest.fixture(scope="module")
def hello(tiny_gguf):
    path = random_lora(tiny_gguf, library_dir() / "hello_names.gguf", rank=4, seed=7)
    yield path
    path.unlink(missing_ok=True)


def test_inspect_a_library_name(hello, capsys):
    assert main(["adapter", "inspect", "hello_names"]) == 0
    text = capsys.readouterr().out
    assert str(hello) in text and "rank 4" in text
    assert main(["adapter", "inspect", "hello_names.gguf", "--json"]) == 0
    assert str(hello) in capsys.readouterr().out


def test_an_unknown_name_lists_what_was_tried(capsys):
    assert main(["adapter", "inspect", "no_such_adapter"]) == 1
    err = capsys.readouterr().err
    assert "no_such_adapter" in err and str(library_dir() / "no_such_adapter.gguf") in err
    assert "does not exist" not in err


def test_one_resolver_for_names_and_paths(hello, tmp_path, monkeypatch):
    assert parse_adapter("hello_names:0.5") == AdapterSpec(str(hello), 0.5)
    assert parse_adapter("hello_names") == AdapterSpec(str(hello), 1.0)
    # a file that exists as given wins over the library
    monkeypatch.chdir(tmp_path)
    (tmp_path / "hello_names").write_bytes(b"local")
    assert find_adapter("hello_names").resolve() == (tmp_path / "hello_names").resolve()
    # a missing path comes back as given, for the engine to report as a missing file
    assert parse_adapter("/a/missing.gguf:2") == AdapterSpec("/a/missing.gguf", 2.0)
    with pytest.raises(AdapterToolError, match="tried"):
        find_adapter("missing_name")
