"""Keys: help lists every binding, the palette offers every action, the config keymap rebinds."""

from __future__ import annotations

from pilot_helpers import ask, settle
from rich.console import Console

from tui.config import Settings
from tui.keymap import ALL_BINDINGS as MAIN_BINDINGS
from tui.screens.help import HelpScreen, bindings_table
from tui.screens.text_modal import PromptModal


async def test_help_screen_lists_every_binding_id(make_app):
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("f1")
        assert isinstance(app.screen, HelpScreen)
        console = Console(width=200, record=True)
        console.print(bindings_table(app.settings))
        text = console.export_text()
        for binding in MAIN_BINDINGS:
            assert binding.id in text
        await pilot.press("escape")
        assert not isinstance(app.screen, HelpScreen)


async def test_every_action_is_in_the_command_palette(make_app):
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        commands = {c.title: c for c in app.get_system_commands(app.screen)}
        titles = {b.action: (b.tooltip or b.description) for b in reversed(MAIN_BINDINGS)}
        for binding in MAIN_BINDINGS:
            assert any(titles[binding.action] == t or binding.description == t for t in commands)
        await ask(pilot)
        await commands["Cycle the token tint: probability, entropy, rank"].callback()
        await pilot.pause()
        assert app.screen.tint == "entropy"


async def test_palette_opens_and_runs_an_action(make_app):
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"exact prompt")
        for _ in range(100):  # the palette searches asynchronously
            if app.screen.query("CommandList") and app.screen.query_one("CommandList").option_count:
                break
            await pilot.pause(0.05)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, PromptModal)


async def test_keymap_from_settings_rebinds_by_id(make_app):
    app = make_app(settings=Settings(keymap={"cycle_tint": "ctrl+t", "help": "f12"}))
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("f7")
        assert app.screen.tint == "probability"  # f7 no longer bound
        await pilot.press("ctrl+t")
        assert app.screen.tint == "entropy"
        await pilot.press("f12")
        assert isinstance(app.screen, HelpScreen)
        console = Console(width=200, record=True)
        console.print(bindings_table(app.settings))
        text = console.export_text()
        assert "ctrl+t" in text and "f12" in text


async def test_rendered_prompt_modal_shows_special_tokens(make_app):
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await ask(pilot, "hello")
        await pilot.press("f6")
        await settle(pilot)
        assert isinstance(app.screen, PromptModal)
        body = app.screen.query_one("#modal-body").text
        assert "<|im_start|>user\nhello<|im_end|>" in body and body.endswith("assistant\n")
        await pilot.press("escape")
        assert not isinstance(app.screen, PromptModal)


async def test_f10_saves_a_numbered_svg_screenshot_in_the_data_dir(make_app, isolated_dirs):
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("f10", "f1")
        await pilot.pause()
        await pilot.press("f10")
        shots = sorted((isolated_dirs / "data" / "screenshots").glob("*.svg"))
        assert [p.name for p in shots] == ["logitscope-001.svg", "logitscope-002.svg"]
        assert "Keys" in shots[1].read_text()


async def test_f10_never_overwrites_an_earlier_screenshot(make_app, isolated_dirs):
    """Regression: the next number was the count of files, so a gap (001, 003) overwrote 003."""
    folder = isolated_dirs / "data" / "screenshots"
    folder.mkdir(parents=True)
    (folder / "logitscope-001.svg").write_text("first")
    (folder / "logitscope-003.svg").write_text("third")
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("f10")
        await pilot.pause()
    assert (folder / "logitscope-003.svg").read_text() == "third"
    assert sorted(p.name for p in folder.glob("*.svg")) == [
        "logitscope-001.svg", "logitscope-003.svg", "logitscope-004.svg"]
