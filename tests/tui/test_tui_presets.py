"""System presets: saving one never loses the library, and a failed save is a message, not a crash."""

from __future__ import annotations

import json

from pilot_helpers import settle

from tui.presets import BUILTIN, load_presets, save_preset


def test_save_keeps_the_other_presets_and_leaves_no_temporary_file(tmp_path):
    path = tmp_path / "system_presets.json"
    save_preset("one", "First.", path)
    library = save_preset("two", "Second.", path)
    assert library["one"] == "First." and library["two"] == "Second." and set(BUILTIN) <= set(library)
    assert json.loads(path.read_text()) == {"one": "First.", "two": "Second."}
    assert [p.name for p in tmp_path.iterdir()] == ["system_presets.json"]


async def test_a_preset_that_cannot_be_saved_is_a_notification(make_app, isolated_dirs):
    data = isolated_dirs / "data"
    data.mkdir(exist_ok=True)
    (data / "system_presets.json").mkdir()  # a folder where the file should be: the rename fails
    app = make_app()
    async with app.run_test(size=(100, 30), notifications=True) as pilot:
        await settle(pilot)
        await pilot.press("f2")
        app.screen.query_one("#preset-name").focus()
        await pilot.press(*"mine", "enter")
        await pilot.pause()
        assert any("Could not save the preset" in n.message for n in app._notifications)
        assert app.screen.query_one("#preset-name").value == "mine"  # kept, to try again
        assert "mine" not in load_presets(data / "system_presets.json")
