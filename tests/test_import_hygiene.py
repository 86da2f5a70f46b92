"""One direction of imports, enforced: tui -> sessions, adapters -> engine; heavy deps stay put.

Static rules read every module's import statements (so a lazy import inside a function counts
too); the runtime check imports the packages in a fresh interpreter and looks at sys.modules.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TRAINING = {"torch", "transformers", "peft"}

# package -> top-level modules it must never import (directly or lazily)
FORBIDDEN = {
    "engine": {"textual", "tui", "adapters", "sessions"} | TRAINING,
    "sessions": {"textual", "tui", "adapters"} | TRAINING,
    "adapters": {"textual", "tui", "sessions"},
    "tui": TRAINING,
}
LLAMA_CPP_OWNER = "engine/llama_backend.py"


def imported_top_levels(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def package_files(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_packages_import_only_downstream(package):
    offences = []
    for path in package_files(package):
        bad = imported_top_levels(path) & FORBIDDEN[package]
        if bad:
            offences.append(f"{path.relative_to(ROOT)} imports {sorted(bad)}")
    assert not offences, "\n".join(offences)


def test_only_one_module_imports_llama_cpp():
    importers = [
        str(path.relative_to(ROOT))
        for package in FORBIDDEN
        for path in package_files(package)
        if "llama_cpp" in imported_top_levels(path)
    ]
    assert importers == [LLAMA_CPP_OWNER]


def test_rules_would_catch_an_offence(tmp_path):
    sneaky = tmp_path / "sneaky.py"
    sneaky.write_text("def f():\n    import textual.app\n    from torch import nn\n")
    assert imported_top_levels(sneaky) == {"textual", "torch"}


def test_cli_and_libraries_load_without_ui_training_or_llama_in_the_parent():
    code = (
        "import sys, engine, sessions, adapters, tui.cli.main\n"
        "print(sorted(m for m in ('textual', 'torch', 'transformers', 'peft', 'llama_cpp') "
        "if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_the_native_installer_needs_only_the_standard_library():
    """engine/native runs before anything is installed (the README's first step)."""
    own = {path.stem for path in (ROOT / "engine" / "native").glob("*.py")}  # siblings, when run by path
    offences = []
    for path in sorted((ROOT / "engine" / "native").glob("*.py")):
        bad = imported_top_levels(path) - set(sys.stdlib_module_names) - own
        if bad:
            offences.append(f"{path.relative_to(ROOT)} imports {sorted(bad)}")
    assert not offences, "\n".join(offences)
    # -S: no site-packages at all, as on a machine where nothing is installed yet
    done = subprocess.run([sys.executable, "-I", "-S", str(ROOT / "engine" / "native" / "install.py"),
                           "--plan"], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["requirement"].startswith("llama-cpp-python==")
