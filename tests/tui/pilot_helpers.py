"""Pilot helpers shared by the TUI tests: wait for workers, type a question, focus the transcript."""

from __future__ import annotations


async def wait_for_workers(pilot) -> None:
    """Every worker done. An exclusive worker that a newer one replaced (a model list asked for
    again, F6 pressed twice) ends cancelled, which `wait_for_complete` raises: that is finished too."""
    from textual.worker import WorkerCancelled

    for _ in range(20):
        try:
            await pilot.app.workers.wait_for_complete()
            return
        except WorkerCancelled:
            await pilot.pause()


async def settle(pilot) -> None:
    """Wait until every worker finished and the UI processed what they left behind."""
    await wait_for_workers(pilot)
    await pilot.pause()
    await wait_for_workers(pilot)
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
