"""Snapshot of the model panel (F5) listing other tools' models: an HF cache file, an Ollama model
(its adapter not offered), a file that is not GGUF in a config folder; fake stores under tmp_path."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from fake_backend import FakeBackend
from pilot_helpers import settle, steady

sys.path.insert(0, str(Path(__file__).parents[1] / "model_stores"))  # the GGUF writers and fake stores
from store_fixtures import hf_repo, ollama_model, write_adapter, write_model  # noqa: E402

import engine.known_models  # noqa: E402
import engine.model_stores.ollama as ollama_store  # noqa: E402
from engine.types import SamplingSettings, SystemPrompt  # noqa: E402
from tui.app import LogitscopeApp  # noqa: E402
from tui.config import Settings  # noqa: E402


@pytest.fixture
def fake_stores(tmp_path, monkeypatch):
    for name in ("HF_HOME", "HUGGINGFACE_HUB_CACHE", "XDG_CACHE_HOME"):
        monkeypatch.delenv(name, raising=False)
    (tmp_path / "home").mkdir()
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hf"))
    monkeypatch.setenv("OLLAMA_MODELS", str(tmp_path / "ollama"))
    monkeypatch.setenv("LLAMA_CACHE", str(tmp_path / "llamacpp"))
    monkeypatch.setattr(ollama_store, "LINUX_SERVICE_MODELS", tmp_path / "service")
    monkeypatch.setattr(engine.known_models, "default_model_path",
                        lambda: Path("/opt/models/SmolLM2-135M-Instruct.Q4_1.gguf"))
    files = tmp_path / "files"
    model = write_model(files / "m.gguf", name="Llama", context_length=131072)
    wide = write_model(files / "w.gguf", arch="qwen2", file_type=15, context_length=32768, template=None)
    ollama_model(tmp_path / "ollama", "llama3.2", "1b", model, adapters=(write_adapter(files / "a.gguf"),))
    hf_repo(tmp_path / "hf", "Qwen/Qwen2.5-0.5B-Instruct-GGUF", {"qwen2.5-0.5b-instruct-q4_k_m.gguf": wide})
    (tmp_path / "home" / "mine").mkdir()
    (tmp_path / "home" / "mine" / "notes.gguf").write_text("not a model")  # shown as ~/mine/notes.gguf
    return tmp_path


def test_model_picker_lists_other_tools_models(snap_compare, fake_stores):
    app = LogitscopeApp(FakeBackend(), system=SystemPrompt(), sampling=SamplingSettings(temperature=0.0, seed=1),
                        settings=Settings(model_folders=(str(fake_stores / "home" / "mine"),)))

    async def run_before(pilot):
        await settle(pilot)
        await pilot.press("f5")
        await settle(pilot)
        await steady(pilot)

    assert snap_compare(app, terminal_size=(100, 40), run_before=run_before)
