"""Side panels: system prompt modes and presets, sampling, adapters, model; each feeds the next request."""

from __future__ import annotations

import json

from pilot_helpers import ask, settle

from engine.errors import ModelLoadError
from engine.types import AdapterSpec, SystemMode
from tui.widgets.panels import AdaptersPanel


async def test_panels_toggle_with_their_keys_one_at_a_time(make_app):
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        for key, name in [("f2", "system"), ("f3", "adapters"), ("f4", "sampling"), ("f5", "model")]:
            await pilot.press(key)
            shown = [p.id for p in app.screen.query(".panel") if p.display]
            assert shown == [f"panel-{name}"]
            assert app.screen.query_one(f"#panel-{name}") in app.screen.focused.ancestors_with_self
        await pilot.press("f5")
        assert not [p for p in app.screen.query(".panel") if p.display]
        await pilot.press("f2", "escape")
        assert app.screen.panel is None and app.screen.focused.id == "message"


async def test_system_panel_modes_reach_the_request(make_app, backend):
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("f2")
        await pilot.click("#mode-empty")
        await ask(pilot)
        assert backend.requests[-1].system.mode is SystemMode.EMPTY
        assert "system: empty" in str(app.screen.query_one("#status").render())
        assert app.screen.panel == "system"  # still open after sending
        await pilot.click("#mode-custom")
        app.screen.query_one("#system-text").focus()
        await pilot.press(*"Be brief.")
        await ask(pilot, "again")
        assert backend.requests[-1].system.mode is SystemMode.CUSTOM
        assert backend.requests[-1].system.text == "Be brief."


async def test_presets_load_and_save(make_app, backend, isolated_dirs):
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("f2")
        app.screen.query_one("#presets").focus()
        await pilot.press("down", "enter")  # presets sorted: assistant, pirate, terse
        assert app.chat.system.mode is SystemMode.CUSTOM and "pirate" in app.chat.system.text
        app.screen.query_one("#preset-name").focus()
        await pilot.press(*"mine", "enter")
        saved = json.loads((isolated_dirs / "data" / "system_presets.json").read_text())
        assert saved == {"mine": app.chat.system.text}
        assert "mine" in [str(o.prompt) for o in app.screen.query_one("#presets")._options]


async def test_sampling_fields_reach_the_request_and_invalid_values_are_refused(make_app, backend):
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("f4")
        temperature = app.screen.query_one("#sampling-temperature")
        temperature.value = "0.7"
        app.screen.query_one("#sampling-seed").value = "42"
        app.screen.query_one("#sampling-max_tokens").value = "3"
        app.screen.query_one("#sampling-top_p").value = "1.5"  # invalid: kept out
        await pilot.pause()
        assert app.screen.query_one("#sampling-top_p").has_class("-invalid-value")
        app.screen.query_one("#sampling-top_p").value = "0.9"
        await pilot.pause()
        await ask(pilot)
        request = backend.requests[-1]
        assert (request.sampling.temperature, request.sampling.seed, request.sampling.top_p) == (0.7, 42, 0.9)
        assert request.max_tokens == 3
        assert app.chat.conversation.turns[0].answer.result.finish_reason == "length"


async def test_adapters_add_toggle_scale_and_apply_before_the_next_generation(make_app, backend):
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("f3")
        app.screen.query_one("#adapter-path").focus()
        await pilot.press(*"/a/style.gguf:0.5", "enter")
        await settle(pilot)
        assert backend.adapter_sets[-1] == (AdapterSpec("/a/style.gguf", 0.5),)
        assert "style.gguf×0.5" in str(app.screen.query_one("#status").render())
        app.screen.query_one("#adapter-list").focus()
        await pilot.press("plus", "plus", "minus", "plus")
        assert app.chat.adapters == (AdapterSpec("/a/style.gguf", 0.7),)
        await ask(pilot)
        assert backend.adapter_sets[-1] == (AdapterSpec("/a/style.gguf", 0.7),)
        assert app.screen.panel == "adapters" and app.screen.query_one("#panel-adapters").display
        app.screen.query_one("#adapter-list").focus()
        await pilot.press("space")
        assert app.chat.adapters == (AdapterSpec("/a/style.gguf", 0.0),)  # off: loaded, scale 0
        assert "adapters: none" in str(app.screen.query_one("#status").render())
        await ask(pilot, "off now")
        assert backend.adapter_sets[-1] == (AdapterSpec("/a/style.gguf", 0.0),)
        app.screen.query_one("#adapter-list").focus()
        await pilot.press("x")
        assert app.chat.adapters == ()
        await ask(pilot, "removed")
        assert backend.adapter_sets[-1] == ()
        n = len(backend.adapter_sets)
        await ask(pilot, "unchanged")
        assert len(backend.adapter_sets) == n  # nothing re-applied when nothing changed


async def test_a_bad_adapter_is_refused_with_the_engine_message(make_app, backend):
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("f3")
        app.screen.query_one("#adapter-path").focus()
        await pilot.press(*"/a/bad.gguf", "enter")
        await settle(pilot)
        assert app.screen.query_one(AdaptersPanel).entries == []
        messages = [n.message for n in app._notifications]
        assert any("trained for another model" in m for m in messages)


async def test_model_panel_loads_another_model_with_progress(make_app, backend):
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("f5")
        app.screen.query_one("#model-path").focus()
        await pilot.press(*"/models/other.gguf", "enter")
        assert app.screen.query_one("#panel-model").has_class("-loading") or backend.loaded
        assert app.screen.query_one("#load-progress").display or backend.loaded
        await settle(pilot)
        assert backend.loaded[-1].model_path == "/models/other.gguf"
        assert not app.screen.query_one("#panel-model").has_class("-loading")
        assert "other" in str(app.screen.query_one("#status").render())
        assert "other" in str(app.screen.query_one("#model-info").render())


async def test_a_bad_model_file_shows_the_error_and_keeps_the_chat(make_app, backend):
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await ask(pilot)
        backend.fail_next = ModelLoadError("/x.gguf is not a GGUF file (bad magic).", details="header: 00 00")
        await pilot.press("f5")
        app.screen.query_one("#model-path").focus()
        await pilot.press(*"/x.gguf", "enter")
        await settle(pilot)
        assert type(app.screen).__name__ == "ErrorModal"
        assert "bad magic" in str(app.screen.query_one("#modal-summary").render())
        await pilot.press("escape")
        assert len(app.chat.conversation.turns) == 1
