"""Every test here sees only fake stores under tmp_path: HOME and each store's variable point there."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

import engine.model_stores.ollama as ollama_store

STORE_VARIABLES = ("HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE", "HF_HOME", "XDG_CACHE_HOME", "OLLAMA_MODELS",
                   "LLAMA_CACHE", "LOCALAPPDATA")


@pytest.fixture
def stores(tmp_path, monkeypatch):
    """Empty fake stores; `.hf`, `.ollama`, `.llamacpp` are the folders the variables name,
    `.home` the fake home (LM Studio's folders live there), `.service` Ollama's Linux service store."""
    for name in STORE_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    places = SimpleNamespace(home=home, hf=tmp_path / "hf", ollama=tmp_path / "ollama",
                             llamacpp=tmp_path / "llamacpp", service=tmp_path / "service" / "models",
                             files=tmp_path / "files")
    monkeypatch.setenv("HF_HUB_CACHE", str(places.hf))
    monkeypatch.setenv("OLLAMA_MODELS", str(places.ollama))
    monkeypatch.setenv("LLAMA_CACHE", str(places.llamacpp))
    monkeypatch.setattr(ollama_store, "LINUX_SERVICE_MODELS", places.service)
    return places
