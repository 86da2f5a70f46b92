"""Switching the model in the TUI while adapters are on.

The local backend closes the old model before it loads the new one; if the new one refused the
adapters, nothing was loaded and the next call quietly reloaded the old model. Now the new model
loads without them, each adapter is tried on it, and the ones it refuses are dropped with a notice.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from fake_backend import FakeBackend
from pilot_helpers import ask, settle

from engine.errors import AdapterError
from engine.types import AdapterSpec, ModelConfig
from tui.app import LogitscopeApp
from tui.widgets.panels import AdaptersPanel

FOR_FAKE = AdapterSpec("/a/style-for-fake-model.gguf", 1.0)
UNIVERSAL = AdapterSpec("/a/universal.gguf", 0.5)
OTHER = "/models/other.gguf"


class LikeLocalBackend(FakeBackend):
    """Behaves like LocalBackend: a load closes the old model first and applies the config's
    adapters to the new one; a refused adapter leaves nothing loaded and the old config in place,
    and the next call (re)loads that config. An adapter fits the model its name mentions."""

    def __init__(self, adapters: tuple[AdapterSpec, ...]) -> None:
        super().__init__()
        self.config = replace(self.config, adapters=adapters)
        self.reloads: list[ModelConfig] = []

    def _check(self, adapters, model_path: str) -> None:
        for spec in adapters:
            if "universal" not in spec.path and Path(model_path).stem not in spec.path:
                raise AdapterError(f"{spec.path} was trained for another model.")

    def start(self):
        self._check(self.config.adapters, self.config.model_path)
        return super().start()

    def load(self, config: ModelConfig):
        self._info = None  # the old model is closed before anything else
        self._check(config.adapters, config.model_path)
        return super().load(config)

    def set_adapters(self, adapters):
        self._check(adapters, self.config.model_path)
        super().set_adapters(adapters)

    def generate(self, request):
        if self._info is None:  # LocalBackend._ensure_started: load self.config again
            self.reloads.append(self.config)
            self._info = self._make_info(self.config)
        return super().generate(request)


async def switch(pilot, path: str = OTHER) -> None:
    await pilot.press("f5")
    pilot.app.screen.query_one("#model-path").focus()
    await pilot.press(*path, "enter")
    await settle(pilot)


async def test_adapters_the_new_model_refuses_are_dropped_with_a_notice():
    backend = LikeLocalBackend((FOR_FAKE, UNIVERSAL))
    app = LogitscopeApp(backend)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await switch(pilot)
        assert backend.info is not None and backend.info.path == OTHER
        assert backend.config.model_path == OTHER and backend.config.adapters == (UNIVERSAL,)
        assert app.chat.adapters == (UNIVERSAL,) and not app.chat.adapters_pending
        assert [e.path for e in app.screen.query_one(AdaptersPanel).entries] == [UNIVERSAL.path]
        notes = [n for n in app._notifications if "style-for-fake-model.gguf" in n.message]
        assert notes and notes[-1].severity == "warning" and "other" in notes[-1].message
        await ask(pilot)
        assert backend.reloads == []  # the answer came from the new model, not a silent reload
        assert backend.requests[-1] and app.chat.conversation.turns[0].answer.result is not None
        assert "other" in str(app.screen.query_one("#status").render())
        assert "universal.gguf×0.5" in str(app.screen.query_one("#status").render())


async def test_adapters_that_fit_the_new_model_stay_on():
    backend = LikeLocalBackend((UNIVERSAL,))
    app = LogitscopeApp(backend)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await switch(pilot)
        assert backend.config.model_path == OTHER and backend.config.adapters == (UNIVERSAL,)
        assert app.chat.adapters == (UNIVERSAL,)
        assert not [n for n in app._notifications if n.severity == "warning"]


async def test_a_switch_uses_the_adapter_set_the_panel_shows():
    """Adapters changed in the panel but not yet applied are the ones carried to the new model."""
    backend = LikeLocalBackend((UNIVERSAL,))
    app = LogitscopeApp(backend)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("f3")
        app.screen.query_one("#adapter-list").focus()
        app.screen.query_one("#adapter-list").highlighted = 0
        await pilot.press("x")  # removed: pending until the next generation
        assert app.chat.adapters == () and app.chat.adapters_pending
        await switch(pilot)
        assert backend.config.model_path == OTHER and backend.config.adapters == ()
        assert not app.chat.adapters_pending
