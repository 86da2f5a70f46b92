"""Export from the replay screen goes through the one export dispatch (sessions/export.py): it
offers exactly the dispatch's formats and writes the very bytes the CLI writes; its default path
never overwrites an earlier export; a write it cannot do reads as the CLI's does."""

from __future__ import annotations

from pilot_helpers import settle
from session_fixtures import populate
from textual.widgets import Static

from sessions import SessionStore
from sessions.export import FORMATS, export_session
from tui.screens.replay import ReplayScreen
from tui.screens.session_modals import ExportModal

SIZE = (120, 35)


async def _export(pilot, path: str | None) -> ExportModal:
    """Press x; type `path` (None: keep the default) and press Enter. Returns the modal, whose
    hint must name every format of the dispatch."""
    await pilot.press("x")
    await pilot.pause()
    modal = pilot.app.screen
    assert isinstance(modal, ExportModal)
    hint = str(modal.query_one(Static).render())
    assert all(f.suffix in hint for f in FORMATS.values()), hint
    if path is not None:
        modal.query_one("#export-path").value = path
    await pilot.press("enter")
    await settle(pilot)
    return modal


async def test_the_default_export_path_never_overwrites_an_earlier_export(make_app, isolated_dirs):
    """Regression: the default was always exports/<id>.html, so accepting it a second time
    replaced the first export (and any notes added to it) without a word."""
    populate(isolated_dirs / "data")
    earlier = isolated_dirs / "data" / "exports" / "sky-chat.html"
    earlier.parent.mkdir(parents=True)
    earlier.write_text("my annotated export")
    app = make_app(load_on_start=False)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        app.push_screen(ReplayScreen(SessionStore().open("sky-chat")))
        await settle(pilot)
        modal = await _export(pilot, None)
        assert earlier.read_text() == "my annotated export"
        first = earlier.with_name("sky-chat-2.html")
        assert modal.default == str(first) and first.read_text().startswith("<!doctype html>")
        modal = await _export(pilot, None)
        assert modal.default == str(earlier.with_name("sky-chat-3.html"))
        assert earlier.read_text() == "my annotated export"


async def test_a_failed_export_reads_like_the_clis(make_app, isolated_dirs):
    """Regression: replay showed the bare OSError ('[Errno 17] File exists: ...') where the CLI
    says 'cannot write PATH: reason'."""
    populate(isolated_dirs / "data")
    blocker = isolated_dirs / "a-file"
    blocker.write_text("not a folder")
    app = make_app(load_on_start=False)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        app.push_screen(ReplayScreen(SessionStore().open("sky-chat")))
        await settle(pilot)
        await _export(pilot, str(blocker / "out.md"))
        messages = [n.message for n in app._notifications]
        assert f"cannot write {blocker / 'out.md'}: Not a directory" in messages


async def test_replay_offers_every_dispatch_format_and_writes_the_clis_bytes(make_app, isolated_dirs):
    populate(isolated_dirs / "data")
    app = make_app(load_on_start=False)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        session = SessionStore().open("sky-chat")
        app.push_screen(ReplayScreen(session))
        await settle(pilot)
        for fmt in FORMATS.values():
            target = isolated_dirs / "out" / f"notes{fmt.suffix.upper()}"
            await _export(pilot, str(target))
            assert target.read_bytes() == export_session(session, fmt.name)  # as the CLI writes
        await _export(pilot, str(isolated_dirs / "out" / "notes.txt"))
        refused = [n.message for n in app._notifications if "Unknown export format" in n.message]
        assert refused and all(f.suffix in refused[0] for f in FORMATS.values())
        assert not (isolated_dirs / "out" / "notes.txt").exists()
