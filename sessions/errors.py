"""The session package's one exception family, shaped like the engine's (`msg` and `title`).

The CLI prints `title: msg` on one line; the TUI shows the same pair in its error modal. Every
refusal says what was wrong and, where there is one, what to do about it.
"""

from __future__ import annotations


class SessionError(Exception):
    title = "Session error"

    def __init__(self, msg: str, title: str | None = None) -> None:
        super().__init__(msg)
        self.msg = msg
        if title is not None:
            self.title = title

    def __str__(self) -> str:
        return self.msg


class NotASessionError(SessionError):
    title = "Not a logitscope session"


class NewerFormatError(SessionError):
    title = "Session from a newer logitscope"


class SessionNotFoundError(SessionError):
    title = "No such session"


class SessionExistsError(SessionError):
    title = "Session already exists"


class RerunError(SessionError):
    title = "Cannot re-run this session"
