"""The model panel on a remote engine: it shows the server and its capabilities, an engine URL
typed there switches the app to that engine (opened on a thread worker), `local` switches back;
an engine that cannot be reached is a notification, and the app stays where it was."""

from __future__ import annotations

from fake_backend import FakeBackend, FakeRemoteBackend
from pilot_helpers import ask, settle, to_transcript

import tui.screens.main as main_screen
from engine.remote.errors import UnreachableError
from engine.types import SamplingSettings, SystemPrompt
from tui.app import LogitscopeApp


def _app(backend) -> LogitscopeApp:
    return LogitscopeApp(backend, system=SystemPrompt(), sampling=SamplingSettings(temperature=0.0, seed=1))


def _info(app) -> str:
    return str(app.screen.query_one("#model-info").render())


async def _type_engine(pilot, text: str) -> None:
    await pilot.press("f5")
    await pilot.pause()
    field = pilot.app.screen.query_one("#engine-url")
    field.focus()
    field.value = text
    await pilot.press("enter")
    await settle(pilot)


async def test_the_panel_shows_a_remote_engine_it_started_on():
    app = _app(FakeRemoteBackend())
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(pilot)
        info = _info(app)
        assert "remote engine http://127.0.0.1:8080" in info
        assert "llamacpp · model remote-model · b1234-fake" in info
        assert "distribution: top-k + rest (H, rank ≥)" in info
        assert "sampler view: no" in info


async def test_typing_an_engine_url_switches_to_it_and_local_switches_back(monkeypatch):
    local = FakeBackend()
    remote = FakeRemoteBackend()
    opened = []

    def open_remote(url):
        opened.append(url)
        remote.start()
        return remote

    monkeypatch.setattr(main_screen, "open_remote", open_remote)
    app = _app(local)
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(pilot)
        assert "remote engine" not in _info(app)
        await _type_engine(pilot, "http://127.0.0.1:8080")
        assert opened == ["http://127.0.0.1:8080"]
        assert app.backend is remote and app.screen.backend is remote
        assert "remote engine http://127.0.0.1:8080" in _info(app)
        await pilot.press("escape")
        await ask(pilot)
        assert remote.requests and not local.requests  # the question went to the remote engine
        await to_transcript(pilot)
        await pilot.press("home")
        assert "(top-k + rest)" in str(app.screen.query_one("#inspector-summary").render())
        await _type_engine(pilot, "local")
        assert app.backend is local and app.engines == [local, remote]
        assert "remote engine" not in _info(app)


async def test_an_unreachable_engine_is_a_notification(monkeypatch):
    def open_remote(url):
        raise UnreachableError(f"Nothing answers at {url}.")

    monkeypatch.setattr(main_screen, "open_remote", open_remote)
    local = FakeBackend()
    app = _app(local)
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(pilot)
        await _type_engine(pilot, "http://127.0.0.1:9")
        assert app.backend is local
        assert any("Nothing answers" in n.message for n in app._notifications)
        assert not app.screen.model_loading
