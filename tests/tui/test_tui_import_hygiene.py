"""Import direction: the engine, adapters and sessions never pull in Textual; the TUI no llama_cpp."""

import subprocess
import sys


def modules_after(code: str) -> set[str]:
    out = subprocess.run([sys.executable, "-c", code + "\nimport sys; print('\\n'.join(sys.modules))"],
                         capture_output=True, text=True, check=True).stdout
    return set(out.split())


def test_engine_adapters_sessions_do_not_import_textual():
    loaded = modules_after("import engine, engine.local, adapters, sessions")
    assert not {m for m in loaded if m == "textual" or m.startswith("textual.")}


def test_tui_does_not_import_llama_cpp_or_torch():
    loaded = modules_after("import tui.app, tui.screens.main")
    assert not {m for m in loaded if m.split(".")[0] in {"llama_cpp", "torch", "transformers", "peft"}}
