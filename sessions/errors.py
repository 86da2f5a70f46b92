"""The session package's exceptions: a branch of the engine's one family (`msg` and `title`).

The CLI prints `title: msg` on one line; the TUI shows the same pair in its error modal. Every
refusal says what was wrong and, where there is one, what to do about it.
"""

from __future__ import annotations

from engine.errors import EngineError


class SessionError(EngineError):
    title = "Session error"


class NotASessionError(SessionError):
    title = "Not a logitscope session"


class NewerFormatError(SessionError):
    title = "Session from a newer logitscope"


class SessionNotFoundError(SessionError):
    title = "No such session"


class NotInStoreError(SessionError):
    """A path outside the store (or a link) given where a session is written or removed."""

    title = "Not a session in the store"


class SessionExistsError(SessionError):
    title = "Session already exists"


class RerunError(SessionError):
    title = "Cannot re-run this session"
