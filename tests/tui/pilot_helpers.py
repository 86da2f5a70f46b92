"""Pilot helpers shared by the TUI tests: wait for workers, type a question, focus the transcript."""

from __future__ import annotations


async def settle(pilot) -> None:
    """Wait until every worker finished and the UI processed what they left behind."""
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def ask(pilot, text: str = "Is the sky blue?") -> None:
    pilot.app.screen.query_one("#message").focus()
    await pilot.press(*text, "enter")
    await settle(pilot)


async def to_transcript(pilot) -> None:
    pilot.app.screen.query_one("#transcript").focus()
    await pilot.pause()


async def steady(pilot) -> None:
    """Stop every cursor blinking, so a snapshot does not depend on when it was taken."""
    for screen in pilot.app.screen_stack:
        for widget in screen.query("Input, TextArea"):
            widget.cursor_blink = False
    await pilot.pause()
