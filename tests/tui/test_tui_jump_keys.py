"""The jump keys driven with Pilot: shift+→ / shift+← move the token cursor to the next / previous
position matching the criterion, ctrl+j cycles it, the status line shows it with the answer's
count; thresholds from the config file's [explore] table; on the main screen and in replay.

The fake backend's answer "Yes, the sky is blue." (and its end) has, per position, p = 0.9 0.55
0.3 0.75 0.12 0.97 0.9 0.55 and entropy 0.42 1.18 1.41 0.82 1.40 0.16 0.42 1.18; positions 2 and 4
are not the top-1 (rank 1 and 2).
"""

from __future__ import annotations

from pilot_helpers import ask, settle, to_transcript
from session_fixtures import populate

from tui.config import Settings, load_settings
from tui.jumps import JumpThresholds
from tui.screens.replay import ReplayScreen

WIDE = (160, 30)  # the status bar's jump part is past the tok/s: in view at this width
SETTINGS = Settings(explore=JumpThresholds(entropy_above=1.3, prob_below=0.2))


def status(app) -> str:
    return app.screen.query_one("#status").render().plain


def inspector(app) -> str:
    return str(app.screen.query_one("#inspector-summary").render())


def notices(app) -> list[str]:
    return [n.message for n in app._notifications]


async def test_jumps_between_matches_and_stays_put_at_the_last_one(make_app):
    app = make_app(settings=SETTINGS)
    async with app.run_test(size=WIDE) as pilot:
        await ask(pilot)
        screen = app.screen
        assert screen.cursor == (0, 7)  # followed the stream to the end
        assert "jump:" not in status(app)  # the criterion shows once the jump keys are used
        await to_transcript(pilot)
        await pilot.press("shift+left")
        assert screen.cursor == (0, 4)
        assert "│ jump: entropy > 1.3 · 2/8 " in status(app)
        assert "turn 1 · token 4" in inspector(app)  # the inspector follows the cursor
        await pilot.press("shift+left")
        assert screen.cursor == (0, 2)
        await pilot.press("shift+left")  # no earlier match: stays, and says so
        assert screen.cursor == (0, 2)
        assert "No position before this one has entropy > 1.3." in notices(app)
        await pilot.press("shift+right", "shift+right")  # 4, then the last match: stays
        assert screen.cursor == (0, 4)
        assert "No position after this one has entropy > 1.3." in notices(app)
        await pilot.press("home", "shift+right")
        assert screen.cursor == (0, 2)


async def test_ctrl_j_cycles_the_criterion_and_the_status_counts_its_matches(make_app):
    app = make_app(settings=SETTINGS)
    async with app.run_test(size=WIDE) as pilot:
        await ask(pilot)
        await to_transcript(pilot)
        await pilot.press("home")
        await pilot.press("ctrl+j")
        assert "│ jump: p < 0.2 · 1/8 " in status(app)
        assert "Jump keys stop where p < 0.2." in notices(app)
        await pilot.press("shift+right")
        assert app.screen.cursor == (0, 4)
        await pilot.press("ctrl+j")
        assert "│ jump: rank > 0 · 2/8 " in status(app)
        await pilot.press("shift+left")
        assert app.screen.cursor == (0, 2)
        await pilot.press("ctrl+j")  # back to the first criterion
        assert "│ jump: entropy > 1.3 · 2/8 " in status(app)
        app.screen.query_one("#message").focus()  # ctrl+j works while typing too
        await pilot.press(*"hi", "ctrl+j")
        assert "jump: p < 0.2" in status(app)
        assert app.screen.query_one("#message").value == "hi"


async def test_nothing_matching_and_no_answer_yet(make_app):
    app = make_app()  # default thresholds: no fake position has entropy above 2
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        await to_transcript(pilot)
        await pilot.press("shift+right")
        assert "No answer yet: ask something first." in notices(app)
        assert "│ jump: entropy > 2 " in status(app)  # no answer under a cursor: no count
        await ask(pilot)
        await to_transcript(pilot)
        await pilot.press("shift+left")
        assert app.screen.cursor == (0, 7)
        assert "No position in this answer has entropy > 2." in notices(app)
        assert "│ jump: entropy > 2 · 0/8 " in status(app)


async def test_the_count_follows_the_cursor_to_another_answer_and_jumps_stay_in_it(make_app, backend):
    backend.script = [["Yes", ",", " the", " sky", " is", " blue", "."], [" No", ",", " maybe", " red", "!"]]
    app = make_app(settings=Settings(explore=JumpThresholds(prob_below=0.2)))
    async with app.run_test(size=WIDE) as pilot:
        await ask(pilot)
        await ask(pilot, "And grass?")
        await to_transcript(pilot)
        await pilot.press("ctrl+j")
        assert "│ jump: p < 0.2 · 1/6 " in status(app)  # the second answer: " No, maybe red!" and its end
        await pilot.press("up")
        assert "│ jump: p < 0.2 · 1/8 " in status(app)
        await pilot.press("end", "shift+left", "shift+left")
        assert app.screen.cursor == (0, 4)  # never into the other answer
        await pilot.press("ctrl+n")
        await settle(pilot)
        assert "│ jump: p < 0.2 " in status(app) and "1/8" not in status(app)


async def test_the_jump_thresholds_come_from_the_config_file(make_app, isolated_dirs):
    (isolated_dirs / "config.toml").write_text("[explore]\nentropy_above = 1.4\nprob_below = 0.5\n")
    app = make_app(settings=load_settings())
    async with app.run_test(size=WIDE) as pilot:
        await ask(pilot)
        await to_transcript(pilot)
        await pilot.press("home", "shift+right")
        assert "│ jump: entropy > 1.4 · 1/8 " in status(app)  # only position 2 (1.413)
        assert app.screen.cursor == (0, 2)
        await pilot.press("ctrl+j")
        assert "│ jump: p < 0.5 · 2/8 " in status(app)


async def test_jump_keys_are_rebindable_by_id(make_app):
    app = make_app(settings=Settings(keymap={"jump_next": "ctrl+right", "jump_criterion": "f12"},
                                     explore=SETTINGS.explore))
    async with app.run_test(size=WIDE) as pilot:
        await ask(pilot)
        await to_transcript(pilot)
        await pilot.press("home", "shift+right")  # no longer bound
        assert app.screen.cursor == (0, 0)
        await pilot.press("ctrl+right")
        assert app.screen.cursor == (0, 2)
        await pilot.press("f12")
        assert "jump: p < 0.2" in status(app)


async def test_replay_has_the_same_jump_keys(make_app, backend, isolated_dirs):
    """The second turn of "sky chat", " No, maybe red!", has p = 0.3 0.75 0.12 0.97 0.9 and
    entropy 1.41 0.82 1.40 0.16 0.42 (no end step)."""
    populate(isolated_dirs / "data")
    app = make_app(settings=SETTINGS, load_on_start=False)
    async with app.run_test(size=WIDE) as pilot:
        await pilot.press("ctrl+o")
        await settle(pilot)
        browser = app.screen
        browser.query_one("#session-table").move_cursor(row=[i.id for i in browser.infos].index("sky-chat"))
        await pilot.press("enter")
        await settle(pilot)
        replay = app.screen
        assert isinstance(replay, ReplayScreen)
        assert "jump:" not in status(app)  # no cursor yet: the criterion shows once there is one
        await pilot.press("shift+left")  # no cursor: the last answer's last match
        assert replay.cursor == (1, 2)
        assert status(app).endswith("│ jump: entropy > 1.3 · 2/5")
        await pilot.press("shift+left", "shift+left")
        assert replay.cursor == (1, 0)
        assert "No position before this one has entropy > 1.3." in notices(app)
        await pilot.press("ctrl+j")
        assert status(app).endswith("│ jump: p < 0.2 · 1/5")
        await pilot.press("shift+right")
        assert replay.cursor == (1, 2)
        assert "turn 2 · token 2" in inspector(app)
        assert backend.calls == 0
