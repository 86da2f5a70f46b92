"""The model panel (F5) lists the models this user already has, grouped, and remembers each load."""

from __future__ import annotations

from pathlib import Path

from pilot_helpers import settle

from engine.default_model import default_model_path
from engine.known_models import ModelHistory
from engine.types import ModelConfig


def gguf(path: Path, size: int = 1024) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"GGUF" + b"\0" * (size - 4))
    return path


def rows(app) -> list[tuple[str, bool]]:
    """Each line of the model list: (its text, whether it can be picked)."""
    options = app.screen.query_one("#model-list").options
    return [(str(o.prompt), not o.disabled) for o in options]


async def test_the_panel_lists_current_default_used_before_and_nearby_each_once(make_app, backend, isolated_dirs):
    data = isolated_dirs / "data"
    current = gguf(isolated_dirs / "work" / "current.gguf", 3 * 2**20)
    gguf(isolated_dirs / "work" / "sibling.gguf", 2 * 2**20)
    gguf(data / "models" / "stored.gguf")
    older = gguf(isolated_dirs / "old" / "older.gguf", 5 * 2**20)
    history = ModelHistory(data)
    for path in [isolated_dirs / "gone.gguf", older, current]:
        history.record(path)
    backend.config = ModelConfig(str(current))
    app = make_app()
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        await pilot.press("f5")
        await settle(pilot)
        listed = rows(app)
        texts = [text for text, _ in listed]
        titles = [text for text, pickable in listed if "\n" not in text]
        assert titles == ["Current", "Default model (embedded)", "Used before",
                          "Nearby: its folder, <data>/models"]
        assert texts.index("Current") < next(n for n, t in enumerate(texts) if t.startswith("current.gguf"))
        entry = next(t for t in texts if t.startswith("older.gguf"))
        assert entry.startswith("older.gguf\n5.0 MiB  ") and entry.endswith(str(older.parent.resolve())[-20:])
        assert any(t.startswith(default_model_path().name) for t in texts)
        gone = next(t for t in texts if t.startswith("gone.gguf"))
        assert gone.startswith("gone.gguf\nmissing  ") and not dict(listed)[gone]  # shown, cannot be picked
        names = [t.split("\n")[0] for t in texts if "\n" in t]
        assert sorted(names) == sorted(set(names))  # no duplicates
        assert {"sibling.gguf", "stored.gguf"} <= set(names)


async def test_each_load_is_remembered_newest_first_and_listed_under_used_before(make_app, backend, isolated_dirs):
    first = gguf(isolated_dirs / "a" / "first.gguf")
    second = gguf(isolated_dirs / "b" / "second.gguf")
    backend.config = ModelConfig(str(first))
    app = make_app()
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        history = ModelHistory(isolated_dirs / "data")
        assert history.paths() == [first.resolve()]  # the load at startup
        await pilot.press("f5")
        app.screen.query_one("#model-path").focus()
        await pilot.press(*str(second), "enter")
        await settle(pilot)
        assert backend.loaded[-1].model_path == str(second)
        assert history.paths() == [second.resolve(), first.resolve()]
        texts = [text for text, _ in rows(app)]
        used = texts.index("Used before")
        assert texts[used + 1].startswith("first.gguf")
        assert texts[texts.index("Current") + 1].startswith("second.gguf")


async def test_picking_a_listed_model_loads_it(make_app, backend, isolated_dirs):
    other = gguf(isolated_dirs / "data" / "models" / "other.gguf")
    app = make_app()
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        await pilot.press("f5")
        await settle(pilot)
        options = app.screen.query_one("#model-list")
        options.focus()
        options.highlighted = next(n for n, o in enumerate(options.options) if o.id == str(other.resolve()))
        await pilot.press("enter")
        await settle(pilot)
        assert backend.loaded[-1].model_path == str(other.resolve())


async def test_listing_and_remembering_run_off_the_ui_thread(make_app, backend, isolated_dirs, monkeypatch):
    import threading

    import engine.known_models as known_models
    import tui.widgets.panels.model as model_panel

    on_main: dict[str, list[bool]] = {"find": [], "record": []}

    def spying(name, real):
        def call(*args, **kwargs):
            on_main[name].append(threading.current_thread() is threading.main_thread())
            return real(*args, **kwargs)
        return call

    monkeypatch.setattr(model_panel, "find_known_models", spying("find", model_panel.find_known_models))
    monkeypatch.setattr(known_models.ModelHistory, "record", spying("record", known_models.ModelHistory.record))
    nearby = gguf(isolated_dirs / "data" / "models" / "nearby.gguf")
    app = make_app()
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        await pilot.press("f5")
        await settle(pilot)
        assert str(nearby.resolve()) in [o.id for o in app.screen.query_one("#model-list").options]
    assert on_main["find"] and not any(on_main["find"]), on_main
    assert on_main["record"] and not any(on_main["record"]), on_main
