"""Which configuration produced each turn and branch (issue 11): the answer header says it while it
streams and in replay, the status bar labels the next answer's, F6 shows the exact prompt of the
turn under the cursor with template text marked, and "ask again, fresh" drops the history."""

from __future__ import annotations

from fake_backend import FakeBackend, make_step
from pilot_helpers import ask, settle, to_transcript

from engine.types import AdapterSpec, Message, RenderedPrompt, SamplingSettings, SystemMode, SystemPrompt
from sessions import Session, SessionStore
from tui.app import LogitscopeApp
from tui.conversation import Branch, Conversation
from tui.screens.replay import ReplayScreen
from tui.screens.text_modal import INJECTED_STYLE, MARKUP_STYLE, MarkedPrompt, PromptModal
from tui.turn_config import wrap_parts
from tui.widgets.answer import AnswerView
from tui.widgets.status_bar import StatusBar, StatusInfo

SMOL_DEFAULT = "You are a helpful AI assistant named SmolLM, trained by Hugging Face"


class InjectingBackend(FakeBackend):
    """Renders like SmolLM2's template: with no system message, it adds its own."""

    def render(self, system: SystemPrompt, messages: tuple[Message, ...]) -> RenderedPrompt:
        rendered = super().render(system, messages)
        if system.mode is SystemMode.NONE:
            text = f"<|im_start|>system\n{SMOL_DEFAULT}<|im_end|>\n" + rendered.text
            return RenderedPrompt(text, tuple(range(len(text.split()))), "gguf")
        return rendered


def headers(app) -> list[str]:
    return [view._header_text for view in app.screen.query(AnswerView)]


def modal_text(app) -> str:
    modal = app.screen
    assert isinstance(modal, PromptModal)
    return modal.query_one("#modal-summary").render().plain + "\n" + modal.report.text


async def test_each_header_says_what_produced_it_and_the_status_bar_says_next(make_app, backend):
    app = make_app()
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(pilot)
        await ask(pilot, "Hello, who are you?")
        app.chat.system = SystemPrompt.custom("You are a pirate, arr.")
        app.chat.adapters, app.chat.adapters_pending = (AdapterSpec("/a/hello.gguf", 0.5),), True
        app.chat.sampling = SamplingSettings(temperature=0.7, seed=42)
        await ask(pilot, "Hello, who are you?")
        first, second = headers(app)
        assert "system none" in first and "no adapter" in first and "greedy" in first
        assert "0 prior turns" in first and "stop" in first
        tokens = len(backend.provenance(backend.requests[1]).prompt_token_ids)
        assert "system “You are a pirate,…”" in second and "hello×0.5" in second
        assert "T 0.7" in second and "seed 42" in second
        assert "1 prior turn" in second and f"{tokens} prompt tokens" in second
        status = str(app.screen.query_one(StatusBar).render())
        assert "next: adapters: hello.gguf×0.5 · system: custom" in status


async def test_the_header_is_fixed_when_the_generation_starts(make_app, backend):
    backend.hold_after = 2
    app = make_app(sampling=SamplingSettings(temperature=0.8, seed=None))
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(pilot)
        app.screen.query_one("#message").focus()
        await pilot.press(*"hi", "enter")
        assert backend.holding.wait(5)
        await pilot.pause(0.1)
        app.chat.adapters = (AdapterSpec("/a/later.gguf", 2.0),)  # changed mid-stream: not this answer's
        app.chat.system = SystemPrompt.empty()
        app.screen.render_turn(0)
        streaming = headers(app)[0]
        assert "generating…" in streaming and "random seed" in streaming and "prompt tokens …" in streaming
        assert "no adapter" in streaming and "system none" in streaming and "later" not in streaming
        backend.release.set()
        await settle(pilot)
        done = headers(app)[0]
        assert "seed 7" in done and "system none" in done and "later" not in done  # the engine's seed


async def test_an_adapter_at_scale_zero_is_off_in_the_header(make_app, backend):
    backend.config = backend.config.__class__(backend.config.model_path, adapters=(AdapterSpec("/a/x.gguf", 0.0),))
    app = make_app()
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(pilot)
        await ask(pilot, "hi")
        assert "no adapter" in headers(app)[0]


async def test_the_header_fits_an_80_column_transcript(make_app):
    app = make_app(system=SystemPrompt.custom("A long custom system prompt that goes on and on"),
                   sampling=SamplingSettings(temperature=0.9, seed=4294967294))
    async with app.run_test(size=(80, 30)) as pilot:
        await settle(pilot)
        await ask(pilot, "hi")
        view = app.screen.query_one(AnswerView)
        width = view.header.content_size.width
        lines = view._header_text.split("\n")
        assert len(lines) >= 2 and all(len(line) <= width for line in lines)
        assert "seed 4294967294" in view._header_text and "prompt tokens" in view._header_text


def test_wrap_parts_cuts_only_between_parts():
    assert wrap_parts(["answer", "branch 1/1", "0 prior turns"], 40) == ["answer · branch 1/1 · 0 prior turns"]
    assert wrap_parts(["answer", "branch 1/1", "0 prior turns"], 20) == ["answer · branch 1/1", "0 prior turns"]
    assert wrap_parts(["a very long part indeed"], 5) == ["a very long part indeed"]


def test_a_fresh_turn_starts_its_own_history():
    convo = Conversation()
    for text in ("one", "two"):
        convo.add_turn(text).branches.append(_answered(text.upper()))
    fresh = convo.add_turn("one", fresh=True)
    fresh.branches.append(_answered("ONE again"))
    assert convo.messages_for(2) == (Message("user", "one"),)
    assert convo.next_messages("three") == (Message("user", "one"), Message("assistant", "ONE again"),
                                            Message("user", "three"))
    assert convo.messages_for(1) == (Message("user", "one"), Message("assistant", "ONE"), Message("user", "two"))
    assert convo.edit_last("uno").fresh


def _answered(text: str) -> Branch:
    return Branch(steps=[make_step(0, text)])


async def test_ask_fresh_asks_the_cursor_turn_again_without_history(make_app, backend):
    session = SessionStore().create("fresh")
    app = make_app(session=session)
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(pilot)
        await ask(pilot, "first question")
        await ask(pilot, "second question")
        await to_transcript(pilot)
        await pilot.press("up")  # the cursor on the first answer
        await app.screen.run_action("ask_fresh")
        await settle(pilot)
        assert backend.requests[-1].messages == (Message("user", "first question"),)
        turns = app.chat.conversation.turns
        assert len(turns) == 3 and turns[2].fresh and turns[2].user == "first question"
        assert "fresh, 0 prior turns" in headers(app)[2]
        await ask(pilot, "and then?")  # a later turn continues from the fresh one only
        assert [m.content for m in backend.requests[-1].messages][0] == "first question"
        assert len(backend.requests[-1].messages) == 3
        app.recorder.wait()
        saved = Session.open(app.recorder.session.path).turns
        assert saved[2].request.messages == (Message("user", "first question"),)


async def test_ask_fresh_refuses_while_generating(make_app, backend):
    backend.hold_after = 1
    app = make_app()
    async with app.run_test(size=(160, 40), notifications=True) as pilot:
        await settle(pilot)
        app.screen.query_one("#message").focus()
        await pilot.press(*"hi", "enter")
        assert backend.holding.wait(5)
        await app.screen.run_action("ask_fresh")
        await pilot.pause()
        assert len(app.chat.conversation.turns) == 1
        assert any("Still generating" in n.message for n in app._notifications)
        backend.release.set()
        await settle(pilot)


async def test_f6_shows_the_cursor_turns_exact_prompt_with_template_text_marked():
    backend = InjectingBackend()
    app = LogitscopeApp(backend, sampling=SamplingSettings(temperature=0.0, seed=1))
    async with app.run_test(size=(160, 45)) as pilot:
        await settle(pilot)
        await ask(pilot, "Hello, who are you?")
        app.chat.system = SystemPrompt.custom("Be terse.")
        await ask(pilot, "Again?")
        await to_transcript(pilot)
        await pilot.press("up")  # the first turn: no system message
        await pilot.press("f6")
        await settle(pilot)
        first = backend.provenance(backend.requests[0]).rendered_prompt
        assert isinstance(app.screen, PromptModal) and app.screen.report.text == first
        summary = modal_text(app)
        assert "Prompt of turn 1" in app.screen.report.title
        assert "none: no system message" in summary and "0 prior turns" in summary
        assert "seed 1" in summary and "n_ctx 2048" in summary and "fake-model.gguf" in summary
        marked = app.screen.query_one(MarkedPrompt).render()
        start = first.index(SMOL_DEFAULT)
        injected = [s for s in marked.spans if s.style == INJECTED_STYLE]
        assert [(s.start, s.end) for s in injected] == [(start, start + len(SMOL_DEFAULT))]
        assert any(s.style == MARKUP_STYLE and first[s.start:s.end].startswith("<|im_start|>") for s in marked.spans)
        user = first.index("Hello, who are you?")
        assert not any(s.start <= user < s.end for s in marked.spans)  # your text: plain
        await pilot.press("c")
        assert app.clipboard == first
        await pilot.press("r")
        assert app.screen.query_one("#prompt-raw").display and app.screen.query_one("#prompt-raw").text == first
        await pilot.press("escape")
        await pilot.press("down")  # the second turn: its own system prompt and history
        await pilot.press("f6")
        await settle(pilot)
        assert app.screen.report.text == backend.provenance(backend.requests[1]).rendered_prompt
        assert "custom: 'Be terse.'" in modal_text(app) and "1 prior turn" in modal_text(app)
        assert not app.screen.report.split.injected


async def test_f6_in_the_message_box_previews_the_typed_message_with_history(make_app, backend):
    app = make_app()
    async with app.run_test(size=(160, 45)) as pilot:
        await settle(pilot)
        await ask(pilot, "first")
        app.chat.system = SystemPrompt.empty()
        app.screen.query_one("#message").focus()
        await pilot.press(*"next one", "f6")
        await settle(pilot)
        report = app.screen.report
        assert report.title == "Prompt of the next message"
        expected = backend.render(SystemPrompt.empty(), app.chat.conversation.next_messages("next one")).text
        assert report.text == expected and "<|im_start|>user\nfirst<|im_end|>" in expected
        assert "empty: a system message" in modal_text(app) and "1 prior turn" in modal_text(app)


async def test_replay_headers_and_f6_show_the_saved_configuration(make_app, backend):
    app = make_app(session=SessionStore().create("configs"))
    async with app.run_test(size=(160, 45)) as pilot:
        await settle(pilot)
        await ask(pilot, "Hello, who are you?")
        app.chat.adapters, app.chat.adapters_pending = (AdapterSpec("/a/hello.gguf", -1.0),), True
        await ask(pilot, "Hello, who are you?")
        app.recorder.wait()
        app.push_screen(ReplayScreen(Session.open(app.recorder.session.path)))
        await settle(pilot)
        first, second = headers(app)
        assert "no adapter" in first and "0 prior turns" in first
        assert "hello×-1" in second and "1 prior turn" in second and "prompt tokens" in second
        await pilot.press("down", "down")  # the cursor onto the second turn
        await pilot.press("f6")
        await pilot.pause()
        assert isinstance(app.screen, PromptModal)
        assert app.screen.report.text == backend.provenance(backend.requests[1]).rendered_prompt
        assert "hello ×-1 · /a/hello.gguf" in modal_text(app) and "1 prior turn" in modal_text(app)


def test_the_status_bar_labels_the_next_answers_sampling():
    bar = StatusBar()
    bar.info = StatusInfo(sampling=SamplingSettings(temperature=0.0))
    assert "next: adapters: none · system: none · greedy" in str(bar.render())
    bar.info = StatusInfo(sampling=SamplingSettings(temperature=0.8, seed=3))
    assert "T 0.8 seed 3" in str(bar.render())
