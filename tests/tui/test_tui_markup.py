"""Untrusted text is shown as typed: `[x]` stays, `[/]` does not raise MarkupError.

System prompts, engine errors, token texts, session, model, adapter and preset names and paths
all come from users, models or files. Each test below puts markup-looking text into one of them
and checks that the screens show it literally and that nothing crashes.
"""

from __future__ import annotations

from dataclasses import replace

from fake_backend import FakeBackend
from pilot_helpers import ask, settle, to_transcript
from session_fixtures import fake_generation, write_session

from engine.errors import EngineError
from engine.types import AdapterSpec, SystemPrompt
from sessions import Session, SessionStore
from tui.app import LogitscopeApp
from tui.config import Settings
from tui.screens.compare import CompareScreen
from tui.screens.help import HelpScreen
from tui.screens.replay import ReplayScreen
from tui.screens.text_modal import ErrorModal, PromptModal

NASTY = "[bold]b[/] [/x] [link=https://example.com/?q=1]l[/link] [x] [/INST]"
FILE_NASTY = "[x] [bold]m [link=e]"  # what fits in a file name (no slash)
SIZE = (120, 35)


def plain(widget) -> str:
    return str(widget.render())


def title(widget) -> str:
    return widget._border_title.plain if widget._border_title is not None else ""


def screen_text(app) -> str:
    """Everything on screen, as plain text."""
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


def toasts(app) -> str:
    """The text of every notification on screen, as rendered."""
    return "\n".join(plain(t) for t in app.screen.query("Toast"))


class NamedBackend(FakeBackend):
    """A model whose metadata name is untrusted text."""

    def _make_info(self, config):
        return replace(super()._make_info(config), name=NASTY)


async def test_a_custom_system_prompt_with_markup_shows_in_the_rendered_prompt_modal(make_app):
    app = make_app(system=SystemPrompt.custom(NASTY))
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        await pilot.press("f6")
        await settle(pilot)
        assert isinstance(app.screen, PromptModal)
        assert NASTY in plain(app.screen.query_one("#modal-summary"))
        assert NASTY in app.screen.query_one("#modal-body").text


async def test_engine_errors_with_markup_show_literally(make_app, backend):
    app = make_app()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        backend.fail_next = EngineError(NASTY)  # no details: a notification
        await ask(pilot, "first")
        await pilot.pause()
        assert NASTY in toasts(app)
        backend.fail_next = EngineError(NASTY, title=NASTY, details=NASTY)  # details: the modal
        await ask(pilot, "second")
        assert isinstance(app.screen, ErrorModal)
        assert NASTY in plain(app.screen.query_one("#modal-summary"))
        assert NASTY in title(app.screen.query_one("#modal-box"))
        await pilot.press("escape")
        assert NASTY in app.chat.conversation.turns[1].answer.error


async def test_a_token_and_a_model_name_with_markup(isolated_dirs):
    backend = NamedBackend(script=[["Yes", NASTY, "."]])
    (isolated_dirs / "data" / "models").mkdir(parents=True)
    (isolated_dirs / "data" / "models" / f"{FILE_NASTY}.gguf").write_bytes(b"GGUF")
    app = LogitscopeApp(backend)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        await ask(pilot, NASTY)
        await to_transcript(pilot)
        await pilot.press("home", "right")
        assert NASTY in plain(app.screen.query_one("#inspector-summary"))
        assert NASTY in plain(app.screen.query_one("#status"))
        await pilot.press("f5")
        await settle(pilot)
        assert NASTY in plain(app.screen.query_one("#model-info"))
        found = app.screen.query_one("#model-list")
        assert f"{FILE_NASTY}.gguf" in "\n".join(str(found.get_option_at_index(n).prompt)
                                                  for n in range(found.option_count))
        assert FILE_NASTY in screen_text(app)


async def test_adapter_and_preset_names_with_markup(make_app, backend):
    app = make_app()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        await pilot.press("f3")
        app.screen.query_one("#adapter-path").focus()
        await pilot.press(*f"/a/{FILE_NASTY}.gguf", "enter")
        await settle(pilot)
        assert backend.adapter_sets[-1] == (AdapterSpec(f"/a/{FILE_NASTY}.gguf", 1.0),)
        assert f"{FILE_NASTY}.gguf" in toasts(app)
        await pilot.press("f2")
        app.screen.query_one("#preset-name").focus()
        await pilot.press(*NASTY, "enter")
        await pilot.pause()
        assert NASTY in toasts(app)
        presets = app.screen.query_one("#presets")
        assert NASTY in [str(presets.get_option_at_index(n).prompt) for n in range(presets.option_count)]
        presets.focus()
        presets.highlighted = [str(presets.get_option_at_index(n).prompt)
                               for n in range(presets.option_count)].index(NASTY)
        await pilot.press("enter")
        assert app.chat.system.mode.value == "custom"  # the preset named NASTY loaded


async def test_a_session_name_and_paths_with_markup(make_app, isolated_dirs, monkeypatch):
    import tui.session_recorder as recorder_module

    def refuse(*args, **kwargs):
        raise OSError(NASTY)

    monkeypatch.setattr(recorder_module, "record_generation", refuse)
    monkeypatch.setenv("LOGITSCOPE_DATA_DIR", str(isolated_dirs / FILE_NASTY))
    app = make_app(session=SessionStore().create(NASTY))
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        await ask(pilot)
        app.recorder.wait()
        await pilot.pause()
        assert f"session {NASTY!r}" in toasts(app)
        await pilot.press("f10")
        await pilot.pause()
        assert FILE_NASTY in toasts(app)


async def test_help_shows_rebound_keys_literally(make_app):
    app = make_app(settings=Settings(keymap={"regenerate": "f8,[x]"}))
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        await pilot.press("f1")
        assert isinstance(app.screen, HelpScreen)
        from rich.console import Console

        console = Console(width=200, record=True)
        console.print(app.screen.query_one("#help-table").content)
        assert "f8,[x]" in console.export_text()


def nasty_sessions(root):
    request, result = fake_generation(["Yes", NASTY, "."], NASTY)
    other_request, other = fake_generation(["Yes", "[/]", "!"], NASTY, 1)
    a = write_session(root, "nasty-a", NASTY, "2026-11-20T10:00:00.000Z",
                      [(request, result, None, None, None)])
    b = write_session(root, "nasty-b", f"{NASTY} again", "2026-11-21T10:00:00.000Z",
                      [(other_request, other, None, None, None)])
    return Session.open(a), Session.open(b)


async def test_replay_and_compare_show_session_names_and_tokens_literally(make_app, isolated_dirs):
    a, b = nasty_sessions(isolated_dirs / "data")
    app = make_app(load_on_start=False)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        app.push_screen(ReplayScreen(a))
        await settle(pilot)
        replay = app.screen
        assert NASTY in title(replay.query_one("#transcript"))
        assert NASTY in plain(replay.query_one("#status"))
        await pilot.press("x")
        await pilot.pause()
        target = isolated_dirs / FILE_NASTY / "out.md"
        app.screen.query_one("#export-path").value = str(target)
        await pilot.press("enter")
        await settle(pilot)
        assert target.exists() and str(target) in toasts(app)
        app.push_screen(CompareScreen(a, b))
        await settle(pilot)
        compare = app.screen
        assert NASTY in title(compare.query_one("#compare-a"))
        table = compare.query_one("#compare-table")
        assert str(table.get_row_at(1)[1]) == repr(NASTY)[1:-1] and str(table.get_row_at(1)[3]) == "[/]"
        shown = screen_text(app)
        assert repr(NASTY)[1:-1] in shown and " [/] " in shown
        assert "[/]" in plain(compare.query_one("#compare-b-text"))


async def test_the_command_palette_shows_rebound_keys_literally(make_app):
    app = make_app(settings=Settings(keymap={"regenerate": "[/]"}))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+p")
        await pilot.press(*"regenerate the last")
        await pilot.pause(0.5)
        await settle(pilot)
        assert "key: [/]" in screen_text(app)
