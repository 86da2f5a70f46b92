"""The screen mixins' contract with their screens (tui/screens/host.py) is written down and kept.

Every mixin method names its host protocol as the type of `self`; these tests check that every
attribute such a method uses on `self` is declared by that protocol, and that the screens the
mixins are mixed into satisfy the protocols at runtime.
"""

from __future__ import annotations

import ast
import inspect
import typing

import pytest
from pilot_helpers import settle
from session_fixtures import populate

from sessions import SessionStore
from tui.screens import engine_tasks, host, navigation, panel_events, replay_actions, token_view
from tui.screens.replay import ReplayScreen

MIXIN_MODULES = [engine_tasks, navigation, panel_events, replay_actions, token_view]


def protocol_members(protocol: type) -> set[str]:
    names: set[str] = set()
    for klass in protocol.__mro__:
        if klass is object or klass is typing.Protocol or klass is typing.Generic:
            continue
        names.update(klass.__dict__)
        names.update(getattr(klass, "__annotations__", {}))
    return names


def mixin_methods():
    for module in MIXIN_MODULES:
        tree = ast.parse(inspect.getsource(module))
        for cls in (n for n in tree.body if isinstance(n, ast.ClassDef)):
            for fn in (n for n in cls.body if isinstance(n, ast.FunctionDef)):
                yield module.__name__, cls.name, fn


@pytest.mark.parametrize("module, cls, fn", [pytest.param(*m, id=f"{m[1]}.{m[2].name}") for m in mixin_methods()])
def test_a_mixin_method_uses_only_what_its_host_protocol_declares(module, cls, fn):
    args = fn.args.args
    assert args and args[0].arg == "self"
    annotation = args[0].annotation
    assert isinstance(annotation, ast.Name), f"{cls}.{fn.name}: annotate self with its host protocol"
    protocol = getattr(host, annotation.id)
    declared = protocol_members(protocol)
    used = {node.attr for node in ast.walk(fn)
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "self"}
    assert used <= declared, f"{cls}.{fn.name} uses {sorted(used - declared)} not declared by {protocol.__name__}"


async def test_the_screens_satisfy_their_host_protocols(make_app, isolated_dirs):
    populate(isolated_dirs / "data")
    app = make_app(load_on_start=False)
    async with app.run_test(size=(100, 30)) as pilot:
        main = app.screen
        assert isinstance(main, host.ChatHost) and isinstance(main, host.TokenHost)
        app.push_screen(ReplayScreen(SessionStore().open("sky-chat")))
        await settle(pilot)
        assert isinstance(app.screen, host.ReplayHost) and isinstance(app.screen, host.TokenHost)
        assert not isinstance(app.screen, host.ChatHost)


async def test_workers_report_with_typed_messages(make_app, backend):
    from pilot_helpers import ask

    from tui import messages as m

    seen: list[type] = []
    app = make_app()
    async with app.run_test(size=(100, 30), message_hook=lambda msg: seen.append(type(msg))) as pilot:
        await settle(pilot)
        await ask(pilot)
        await pilot.press("f6")
        await settle(pilot)
        await pilot.press("escape")
        await pilot.press("f3")
        app.screen.query_one("#adapter-path").focus()
        await pilot.press(*"/a/bad.gguf", "enter")
        await settle(pilot)
        ended = [t for t in seen if issubclass(t, m.WorkEnded)]
        assert ended == [m.ModelLoadEnded, m.GenerationEnded, m.PromptReportReady, m.AdapterChecked]
        assert not any(hasattr(type(s), "on_worker_state_changed") for s in app.screen_stack)
        assert any("trained for another model" in n.message for n in app._notifications)


async def test_the_status_bar_redraws_only_when_its_state_changes(make_app, monkeypatch):
    from tui.widgets.status_bar import StatusBar

    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        bar = app.screen.query_one(StatusBar)
        drawn: list[int] = []
        real = StatusBar.render
        monkeypatch.setattr(StatusBar, "render", lambda self: drawn.append(1) or real(self))
        bar.refresh()
        await pilot.pause()
        before = len(drawn)
        app.screen.refresh_status()
        app.screen.refresh_status()
        await pilot.pause()
        assert len(drawn) == before  # same state: nothing to draw
        app.screen.model_loading = True
        await pilot.pause()
        assert len(drawn) > before and "loading model" in str(bar.render())
        app.screen.model_loading = False
        await pilot.pause()
        assert "loading model" not in str(bar.render())
