"""Engine failures: shown as a notification or an error modal with details; the chat survives."""

from __future__ import annotations

from pilot_helpers import ask, settle

from engine.errors import ContextOverflowError, WorkerDiedError
from sessions import Session, SessionStore
from tui.screens.replay import ReplayScreen
from tui.screens.text_modal import ErrorModal
from tui.widgets.transcript import AnswerView


async def test_worker_death_mid_answer_opens_a_modal_and_the_next_question_works(make_app, backend):
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await ask(pilot, "first")
        backend.fail_next = WorkerDiedError("The llama.cpp worker killed by SIGKILL.", details="llama log tail")
        await ask(pilot, "second")
        assert isinstance(app.screen, ErrorModal)
        assert "SIGKILL" in str(app.screen.query_one("#modal-summary").render())
        assert app.screen.query_one("#modal-body").text == "llama log tail"
        await pilot.press("escape")
        turns = app.chat.conversation.turns
        assert [t.user for t in turns] == ["first", "second"]
        assert "SIGKILL" in turns[1].answer.error
        await pilot.press("f8")  # regenerate: the backend restarts and answers
        await settle(pilot)
        assert turns[1].answer.result.finish_reason == "stop"
        assert turns[0].answer.text == "Yes, the sky is blue."


async def test_an_error_without_details_is_a_notification(make_app, backend):
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        backend.fail_next = ContextOverflowError("The prompt needs 5000 tokens; the context holds 2048.")
        await ask(pilot)
        assert not isinstance(app.screen, ErrorModal)
        notes = list(app._notifications)
        assert notes[-1].title == "Prompt longer than the context" and notes[-1].severity == "error"
        assert "5000 tokens" in app.chat.conversation.turns[0].answer.error


async def test_a_failed_start_up_load_keeps_the_app_up(make_app, backend):
    backend.fail_next = WorkerDiedError("worker exited with code 1", details="boom")
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, ErrorModal)
        await pilot.press("escape")
        await ask(pilot)
        assert app.chat.conversation.turns[0].answer.text == "Yes, the sky is blue."


async def test_an_illegal_instruction_names_the_cause_the_fix_and_doctor(make_app, backend):
    from engine.crash_diagnosis import PHASE_FIRST_DECODE, rebuild_command, worker_died_error

    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        backend.fail_next = worker_died_error(-4, PHASE_FIRST_DECODE, "/tmp/llama.log", "tail")
        await ask(pilot, "first")
        assert isinstance(app.screen, ErrorModal)
        summary = str(app.screen.query_one("#modal-summary").render())
        assert "SIGILL" in summary and "instruction this machine does not run" in summary
        assert rebuild_command() in summary and "logitscope doctor" in summary


async def test_a_generation_that_fails_mid_stream_keeps_journals_and_replays_its_tokens(make_app, backend):
    session = SessionStore().create("partial")
    app = make_app(session=session)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        backend.fail_after = (3, WorkerDiedError("The llama.cpp worker was killed by SIGKILL.",
                                                 details="llama log tail"))
        await ask(pilot, "Is the sky blue?")
        assert isinstance(app.screen, ErrorModal)
        await pilot.press("escape")
        branch = app.chat.conversation.turns[0].answer
        assert branch.text == "Yes, the" and len(branch.steps) == 3  # the 3 tokens, kept
        assert "SIGKILL" in branch.error and branch.finish_reason == "error"
        shown = app.screen.query_one(AnswerView).text.plain
        assert "Yes, the" in shown and "⚠ The llama.cpp worker was killed by SIGKILL." in shown
        assert "· error" in shown

        app.recorder.wait()
        saved = Session.open(session.path)
        assert saved.problems == [] and len(saved.turns) == 1
        turn = saved.turns[0]  # the partial turn, marked as failed
        assert turn.result.finish_reason == "error" and "SIGKILL" in turn.note
        assert turn.result.text == "Yes, the"
        assert [s.id for s in turn.steps] == list(branch.token_ids)
        assert turn.provenance.model_path == backend.config.model_path
        assert turn.provenance.model_sha256 == "0" * 64

        await ask(pilot, "again")  # the backend restarts and answers the next question
        assert app.chat.conversation.turns[1].answer.result.finish_reason == "stop"

        app.recorder.wait()
        app.push_screen(ReplayScreen(Session.open(session.path)))
        await settle(pilot)
        replayed = app.screen.query(AnswerView).first()
        assert replayed.turn.answer.text == "Yes, the"
        plain = replayed.text.plain
        assert "· error" in plain and "Yes, the" in plain and "SIGKILL" in plain


async def test_a_generation_that_fails_before_its_first_token_journals_nothing(make_app, backend):
    session = SessionStore().create("nothing")
    app = make_app(session=session)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        backend.fail_after = (0, WorkerDiedError("killed by SIGKILL", details="tail"))
        await ask(pilot)
        await pilot.press("escape")
        assert app.chat.conversation.turns[0].answer.steps == []
        app.recorder.wait()
        assert len(Session.open(session.path).turns) == 0
