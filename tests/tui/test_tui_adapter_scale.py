"""Adapter scales in the F3 list: big steps, flipping the sign, a typed scale, and exact display."""

from __future__ import annotations

from pilot_helpers import ask, settle

from engine.types import AdapterSpec
from tui.widgets.panels import AdaptersPanel


async def open_with_adapter(pilot, spec: str = "/a/style.gguf") -> None:
    await settle(pilot)
    await pilot.press("f3")
    pilot.app.screen.query_one("#adapter-path").focus()
    await pilot.press(*spec, "enter")
    await settle(pilot)
    pilot.app.screen.query_one("#adapter-list").focus()
    await pilot.pause()


def listed(app) -> str:
    return str(app.screen.query_one("#adapter-list").options[0].prompt)


async def test_big_steps_and_sign_flip_move_the_scale_in_one_key(make_app, backend):
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await open_with_adapter(pilot)
        assert app.chat.adapters == (AdapterSpec("/a/style.gguf", 1.0),)
        await pilot.press("n")
        assert app.chat.adapters == (AdapterSpec("/a/style.gguf", -1.0),)  # 1 -> -1: one key
        await pilot.press("greater_than_sign", "greater_than_sign", "greater_than_sign")
        assert app.chat.adapters == (AdapterSpec("/a/style.gguf", 2.0),)
        await pilot.press("less_than_sign", "minus")
        assert app.chat.adapters == (AdapterSpec("/a/style.gguf", 0.9),)
        assert "×+0.9" in listed(app)


async def test_a_typed_scale_is_applied_and_shown_as_typed(make_app, backend):
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await open_with_adapter(pilot, "/a/style.gguf:0.5")
        await pilot.press("s")
        box = app.screen.query_one("#adapter-scale")
        assert box.display and app.screen.focused is box and box.value == "0.5"
        await pilot.press(*"-1", "enter")  # the prefilled value is selected: typing replaces it
        assert app.chat.adapters == (AdapterSpec("/a/style.gguf", -1.0),)
        assert not box.display and app.screen.focused.id == "adapter-list"
        await pilot.press("enter")  # Enter on the adapter opens the box too
        assert box.display and box.value == "-1.0"
        await pilot.press(*"0.25", "enter")
        assert app.chat.adapters == (AdapterSpec("/a/style.gguf", 0.25),)
        assert "×+0.25" in listed(app)  # not +0.2
        await pilot.press("space")  # off, then a typed scale turns it on at that scale
        await pilot.press("s", *"2", "enter")
        assert app.chat.adapters == (AdapterSpec("/a/style.gguf", 2.0),)
        await settle(pilot)
        await ask(pilot)
        assert backend.adapter_sets[-1] == (AdapterSpec("/a/style.gguf", 2.0),)


async def test_invalid_typed_scale_says_why_and_changes_nothing(make_app, backend):
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await open_with_adapter(pilot, "/a/style.gguf:0.5")
        await pilot.press("s", *"abc", "enter")
        await pilot.pause()
        assert app.chat.adapters == (AdapterSpec("/a/style.gguf", 0.5),)
        box = app.screen.query_one("#adapter-scale")
        assert box.display and box.value == "abc"  # kept to correct
        assert any("'abc' is not a number" in n.message for n in app._notifications)
        app.screen.query_one("#adapter-list").focus()  # leaving the box keeps the old scale
        await pilot.pause()
        assert not box.display
        assert app.screen.query_one(AdaptersPanel).active == (AdapterSpec("/a/style.gguf", 0.5),)


def test_scales_display_every_decimal_the_engine_gets():
    from tui.widgets.panels.adapters import format_scale

    assert [format_scale(s) for s in (1, -1, 0.5, 0.25, 0.125, 0, -0.0, 2.0001)] == [
        "+1.0", "-1.0", "+0.5", "+0.25", "+0.125", "+0.0", "+0.0", "+2.0"]
