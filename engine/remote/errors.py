"""The errors a remote engine adds to engine.errors' family: each names the server and what to do.

They are EngineErrors, so the CLI prints them as one line and the TUI shows them in its error
modal like any other engine error; none of them ever carries a credential.
"""

from __future__ import annotations

from ..errors import EngineError


class RemoteError(EngineError):
    title = "Remote engine error"


class UnreachableError(RemoteError):
    """Nothing answers at the URL (connection refused, unknown host, timeout)."""

    title = "Remote engine unreachable"


class WrongApiError(RemoteError):
    """Something answers, but not the API the dialect speaks (a web server, another service)."""

    title = "Not a supported engine"


class AuthError(RemoteError):
    """The server refused the API key (HTTP 401 or 403)."""

    title = "Remote engine refused the API key"


class ModelMismatchError(RemoteError):
    """The server runs another model than the one asked for."""

    title = "Remote engine runs another model"


class UnsupportedError(RemoteError):
    """The server cannot do what was asked (forced scoring, full distributions, adapters)."""

    title = "Not available on this remote engine"
