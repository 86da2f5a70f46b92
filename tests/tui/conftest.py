"""Fixtures for the TUI tests: isolated data/config dirs, an App on the scripted fake backend."""

from __future__ import annotations

import asyncio
import inspect

import pytest
from fake_backend import FakeBackend

from engine.types import SamplingSettings, SystemPrompt
from tui.app import LogitscopeApp
from tui.config import Settings

SIZE = (100, 30)


@pytest.fixture(autouse=True)
def isolated_dirs(tmp_path, monkeypatch):
    """The app's data and config under tmp_path, and the model stores the model panel scans
    (engine/model_stores/) empty there too, so no test sees this machine's models."""
    monkeypatch.setenv("LOGITSCOPE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("LOGITSCOPE_CONFIG", str(tmp_path / "config.toml"))
    stores = tmp_path / "stores"
    monkeypatch.setenv("HOME", str(stores / "home"))
    for variable in ("HF_HUB_CACHE", "HF_HOME", "OLLAMA_MODELS", "LLAMA_CACHE", "XDG_CACHE_HOME"):
        monkeypatch.setenv(variable, str(stores / variable.lower()))
    monkeypatch.delenv("HUGGINGFACE_HUB_CACHE", raising=False)
    import engine.model_stores.ollama as ollama

    monkeypatch.setattr(ollama, "LINUX_SERVICE_MODELS", stores / "ollama-service")
    return tmp_path


@pytest.fixture
def backend() -> FakeBackend:
    return FakeBackend()


@pytest.fixture
def make_app(backend):
    def make(settings: Settings | None = None, system: SystemPrompt = SystemPrompt(), **kwargs) -> LogitscopeApp:
        return LogitscopeApp(backend, system=system,
                             sampling=kwargs.pop("sampling", SamplingSettings(temperature=0.0, seed=1)),
                             settings=settings, **kwargs)
    return make


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem):
    """Run `async def` tests in a fresh event loop (no pytest-asyncio dependency needed)."""
    if inspect.iscoroutinefunction(pyfuncitem.obj):
        args = {name: pyfuncitem.funcargs[name] for name in pyfuncitem._fixtureinfo.argnames}
        asyncio.run(pyfuncitem.obj(**args))
        return True
    return None
