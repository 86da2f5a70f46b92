"""Pilot tests of the chat loop: send, stream, tint, cursor, inspector, regenerate, edit, cancel."""

from __future__ import annotations

from fake_backend import FakeBackend
from pilot_helpers import ask, settle, to_transcript

from tui.widgets.inspector import Inspector
from tui.widgets.transcript import AnswerView


def answer_text(app, turn: int = 0) -> str:
    return app.screen.query(AnswerView)[turn].text.plain


async def test_question_streams_tinted_tokens_and_fills_status(make_app, backend):
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)  # the start-up load
        await ask(pilot, "Is the sky blue?")
        branch = app.chat.conversation.turns[0].answer
        assert branch.text == "Yes, the sky is blue."
        assert branch.result.finish_reason == "stop"
        assert "Yes, the sky is blue." in answer_text(app)
        spans = app.screen.query_one(AnswerView).text.spans
        assert len({str(s.style.background) for s in spans if getattr(s.style, "background", None)}) > 2
        status = str(app.screen.query_one("#status").render())
        assert "fake-model" in status and "42.0 tok/s" in status
        assert f"ctx {len(branch.result.provenance.prompt_token_ids) + len(branch.steps)}/2048" in status
        assert backend.requests[0].messages[-1].content == "Is the sky blue?"


async def test_tokens_reach_the_ui_in_batches_not_one_call_per_token(make_app, monkeypatch):
    app = make_app()
    app.backend.script = [["Yes"] * 120]
    calls = []
    renders = []
    monkeypatch.setattr(app, "call_from_thread", lambda *a, **k: calls.append(a))
    original = AnswerView.render_answer
    monkeypatch.setattr(AnswerView, "render_answer", lambda self, *a: (renders.append(1), original(self, *a)))
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await ask(pilot)
        assert len(app.chat.conversation.turns[0].answer.steps) == 121
        assert calls == []
        assert len(renders) < 60


async def test_cursor_moves_token_by_token_and_inspector_follows(make_app):
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await ask(pilot)
        await to_transcript(pilot)
        await pilot.press("home")
        assert app.screen.cursor == (0, 0)
        summary = str(app.screen.query_one("#inspector-summary").render())
        assert "token 0" in summary and "Yes" in summary and "entropy" in summary
        assert "eff. vocab" in summary and "top-1" in summary
        await pilot.press("right", "right", "right")
        assert app.screen.cursor == (0, 3)
        await pilot.press("left")
        assert app.screen.cursor == (0, 2)
        await pilot.press("end")
        assert app.screen.cursor == (0, len(app.chat.conversation.turns[0].answer.steps) - 1)
        options = app.screen.query_one("#alternatives")
        assert options.option_count == 5
        assert "%" in str(options.get_option_at_index(0).prompt)


async def test_tint_cycles_probability_entropy_rank(make_app):
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await ask(pilot)
        before = app.screen.query_one(AnswerView).text.spans
        assert app.screen.tint == "probability"
        await pilot.press("f7")
        assert app.screen.tint == "entropy"
        assert "entropy" in str(app.screen.query_one("#legend").render())
        assert app.screen.query_one(AnswerView).text.spans != before
        await to_transcript(pilot)
        await pilot.press("f7")
        assert app.screen.tint == "rank"
        await pilot.press("f7")
        assert app.screen.tint == "probability"


async def test_up_and_down_move_between_answers(make_app):
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await ask(pilot, "one")
        await ask(pilot, "two")
        await to_transcript(pilot)
        await pilot.press("right")
        assert app.screen.cursor[0] == 1
        await pilot.press("up")
        assert app.screen.cursor[0] == 0
        await pilot.press("down")
        assert app.screen.cursor[0] == 1
        assert backend_messages(app)[-1] == ("user", "two")


def backend_messages(app):
    return [(m.role, m.content) for m in app.backend.requests[-1].messages]


async def test_regenerate_adds_a_branch_and_keeps_the_first(make_app):
    app = make_app()
    app.backend.script = [["Yes", "."], ["No", "."]]
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await ask(pilot)
        await pilot.press("f8")
        await settle(pilot)
        turn = app.chat.conversation.turns[0]
        assert [b.text for b in turn.branches] == ["Yes.", "No."] and turn.active == 1
        await to_transcript(pilot)
        await pilot.press("f8")
        await settle(pilot)
        assert len(turn.branches) == 3


async def test_edit_last_message_and_resend(make_app, backend):
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await ask(pilot, "Is the sky blue?")
        await pilot.press("f9")
        box = app.screen.query_one("#message")
        assert box.value == "Is the sky blue?" and app.screen.focused is box
        await pilot.press(*"!!", "enter")
        await settle(pilot)
        turns = app.chat.conversation.turns
        assert len(turns) == 1 and turns[0].user == "Is the sky blue?!!"
        assert backend.requests[-1].messages == (backend.requests[-1].messages[0],)
        assert backend.requests[-1].messages[0].content == "Is the sky blue?!!"
        assert len(app.screen.query("UserMessage")) == 1


async def test_escape_cancels_a_running_generation_at_once(make_app, backend):
    backend.script = [["Yes"] * 100]
    backend.hold_after = 4
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        app.screen.query_one("#message").focus()
        await pilot.press(*"go", "enter")
        assert backend.holding.wait(5)
        await pilot.pause(0.1)  # a frame or more, so the first tokens are drawn
        assert "generating" in str(app.screen.query_one("#status").render())
        await pilot.press("escape")
        await settle(pilot)
        branch = app.chat.conversation.turns[0].answer
        assert branch.result.finish_reason == "cancelled"
        assert len(branch.steps) == 4
        assert "cancelled" in answer_text(app)
        assert app.screen.job is None


async def test_new_conversation_clears_the_transcript(make_app):
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await ask(pilot)
        await to_transcript(pilot)
        await pilot.press("ctrl+n")
        await pilot.pause()
        assert app.chat.conversation.turns == [] and not app.screen.query(AnswerView)
        assert app.screen.focused is app.screen.query_one("#message")  # ready to type
        assert app.screen.query_one(Inspector).query_one("#alternatives").option_count == 0


async def test_escape_toggles_focus_between_message_box_and_transcript(make_app):
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        assert app.screen.focused.id == "message"
        await pilot.press("escape")
        assert app.screen.focused.id == "transcript"
        await pilot.press("escape")
        assert app.screen.focused.id == "message"


async def test_fake_backend_is_a_backend():
    from engine.backend import Backend

    assert isinstance(FakeBackend(), Backend)


async def test_escape_abandons_an_edit_so_the_next_message_is_a_new_turn(make_app):
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await ask(pilot, "first")
        await pilot.press("f9", "escape")
        assert app.screen.query_one("#message").value == "" and not app.screen.editing
        await ask(pilot, "second")
        assert [t.user for t in app.chat.conversation.turns] == ["first", "second"]


async def test_the_ui_is_up_with_a_progress_bar_while_the_model_loads(make_app, backend):
    import threading

    gate = threading.Event()
    original = backend.start
    backend.start = lambda: (gate.wait(5), original())[1]
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        assert app.screen.query_one("#load-progress").display
        assert "loading model" in str(app.screen.query_one("#status").render())
        gate.set()
        await settle(pilot)
        assert not app.screen.query_one("#load-progress").display
        assert "loading model" not in str(app.screen.query_one("#status").render())
