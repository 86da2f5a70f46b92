"""F3's adapter box resolves library names as --adapter does (issue 11)."""

from __future__ import annotations

from pilot_helpers import settle

from adapters.library import library_dir
from engine.types import AdapterSpec
from tui.widgets.panels import AdaptersPanel


async def test_f3_accepts_a_library_name_with_a_scale(make_app, backend):
    path = library_dir() / "hello.gguf"
    path.write_bytes(b"GGUF")  # the fake backend does not read it
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("f3")
        app.screen.query_one("#adapter-path").focus()
        await pilot.press(*"hello:0.5", "enter")
        await settle(pilot)
        assert backend.adapter_sets[-1] == (AdapterSpec(str(path), 0.5),)
        assert [e.path for e in app.screen.query_one(AdaptersPanel).entries] == [str(path)]


async def test_f3_names_what_it_tried_for_an_unknown_name(make_app, backend):
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("f3")
        box = app.screen.query_one("#adapter-path")
        box.focus()
        await pilot.press(*"nosuch:0.5", "enter")
        await settle(pilot)
        assert backend.adapter_sets == []
        messages = [n.message for n in app._notifications]
        assert any(str(library_dir() / "nosuch.gguf") in m for m in messages), messages
        assert box.value == "nosuch:0.5"
