"""The jump keys on a screen with a token cursor: shift+→ / shift+← and ctrl+j (tui/keymap.py).

Mixed into MainScreen and ReplayScreen. The cursor moves to the next or previous position of the
answer under it that matches the current criterion (tui/jumps.py, thresholds from the config
file's `[explore]` table); with none that way it stays put and a notice says so. ctrl+j cycles
the criterion; each screen's status line shows it with how many positions of the answer match
(`jump_status`), refreshed whenever the screen renders the cursor's turn.
"""

from __future__ import annotations

from typing import Protocol

from ..jumps import (
    CRITERIA,
    describe,
    jump_target,
    matching_positions,
    next_criterion,
    no_match_notice,
    status_text,
)
from .host import TokenHost
from .navigation import answered_turns, set_cursor, steps_of


class JumpHost(TokenHost, Protocol):
    """A TokenHost with a status line (the main screen's bar, replay's line) and the criterion."""

    jump_kind: str
    jumps_used: bool

    def refresh_status(self) -> None: ...


class JumpKeys:
    jump_kind: str = CRITERIA[0]
    """The current jump criterion: entropy, prob or rank (jumps.CRITERIA)."""
    jumps_used: bool = False
    """Set by the first jump or criterion change: until then the status line does not spend its
    width on the criterion (at 100 columns it pushed other parts out)."""

    def jump_status(self: JumpHost) -> str:
        """The criterion and, with a cursor, how many positions of its answer match; "" until the
        jump keys are first used."""
        if not self.jumps_used:
            return ""
        steps = steps_of(self, self.cursor[0]) if self.cursor is not None else None
        return status_text(self.jump_kind, self.app.settings.explore, steps)

    def action_jump(self: JumpHost, direction: int) -> None:
        """To the nearest matching position after (1) or before (-1) the cursor, in its answer;
        with no cursor, in the last answer (its first match forward, its last going back)."""
        if not self.jumps_used:
            self.jumps_used = True
            self.refresh_status()
        if self.cursor is not None:
            turn_index, pos = self.cursor[0], self.cursor[1]
        else:
            answered = answered_turns(self)
            if not answered:
                self.notify("No answer yet: ask something first.", timeout=3)
                return
            turn_index, pos = answered[-1], None
        steps = steps_of(self, turn_index)
        thresholds = self.app.settings.explore
        target = jump_target(steps, pos, direction, self.jump_kind, thresholds)
        if target is None:
            any_match = bool(matching_positions(steps, self.jump_kind, thresholds))
            self.notify(no_match_notice(self.jump_kind, thresholds, direction, any_match), timeout=3)
            return
        set_cursor(self, turn_index, target)

    def action_cycle_jump(self: JumpHost) -> None:
        self.jumps_used = True
        self.jump_kind = next_criterion(self.jump_kind)
        self.refresh_status()
        self.notify(f"Jump keys stop where {describe(self.jump_kind, self.app.settings.explore)}.",
                    timeout=2)
