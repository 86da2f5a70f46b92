"""The session browser shows battery runs where it shows the turn count: "2 battery runs" for a
session holding only battery runs (with the model of their fingerprint), "1 + 1 battery run"
for one with both, and the delete confirmation names them."""

from __future__ import annotations

import random

from pilot_helpers import settle

from sessions import SessionStore, new_battery_run, record_turn, synthetic
from sessions.batteries.summary import summarise
from tui.screens.session_browser import SessionBrowser
from tui.screens.session_modals import ConfirmModal

SIZE = (120, 35)
RECORDS = [{"key": "q/p0/o0", "battery": "backdoor", "question": "q", "readout": "options",
            "configuration": {"name": "base", "group": "base"}, "values": {"Yes": 0.25, "No": 0.75}}]
FINGERPRINT = {"battery": "backdoor", "battery_sha256": "cd" * 32, "configurations": [{"name": "base"}],
               "model_path": "/models/Qwen3-0.6B-Q8_0.gguf"}


def battery_run():
    return new_battery_run(FINGERPRINT, "/runs/backdoor-1", RECORDS, summarise(RECORDS))


async def test_the_browser_counts_battery_runs(make_app):
    store = SessionStore()
    only = store.create("only batteries")
    only.append_battery_run(battery_run())
    only.append_battery_run(battery_run())
    both = store.create("both")
    record_turn(both, *synthetic.generation(random.Random(3), 4))
    both.append_battery_run(battery_run())
    chat = store.create("chat")
    record_turn(chat, *synthetic.generation(random.Random(4), 4))
    app = make_app(load_on_start=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+o")
        await settle(pilot)
        browser = app.screen
        assert isinstance(browser, SessionBrowser)
        table = browser.query_one("#session-table")
        rows = {info.name: [c.plain for c in table.get_row_at(n)[2:4]] for n, info in enumerate(browser.infos)}
        assert rows == {"only batteries": ["Qwen3-0.6B-Q8_0.gguf", "2 battery runs"],
                        "both": ["synthetic.gguf", "1 + 1 battery run"],
                        "chat": ["synthetic.gguf", "1"]}
        table.move_cursor(row=[i.name for i in browser.infos].index("only batteries"))
        await pilot.press("d")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmModal)
        assert "Delete session only batteries (2 battery runs)?" in str(
            app.screen.query_one("#confirm-question").render())
        await pilot.press("n")
        await settle(pilot)


async def test_the_browser_counts_comparisons_too(make_app):
    from sessions import new_comparison
    from sessions.synthetic_comparison import comparison

    store = SessionStore()
    mixed = store.create("mixed")
    record_turn(mixed, *synthetic.generation(random.Random(5), 4))
    mixed.append_battery_run(battery_run())
    for seed in (1, 2):
        mixed.append_comparison(new_comparison(*comparison(random.Random(seed), n_lanes=2, n_tokens=4)))
    app = make_app(load_on_start=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+o")
        await settle(pilot)
        browser = app.screen
        table = browser.query_one("#session-table")
        [cell] = [table.get_row_at(n)[3].plain for n, info in enumerate(browser.infos) if info.name == "mixed"]
        assert cell == "1 + 1 battery run + 2 comparisons"
