"""One exception family for everything the engine can refuse or lose.

Each error carries a short `title` for a notification or modal heading and a `msg` a user can act
on; the CLI prints both, the TUI shows them in its error modal.
"""

from __future__ import annotations


class EngineError(Exception):
    title = "Engine error"

    def __init__(self, msg: str, title: str | None = None, details: str = "") -> None:
        super().__init__(msg)
        self.msg = msg
        if title is not None:
            self.title = title
        self.details = details  # e.g. the tail of llama.cpp's log

    def __str__(self) -> str:
        return self.msg


class ModelLoadError(EngineError):
    title = "Could not load model"


class ContextOverflowError(EngineError):
    title = "Prompt longer than the context"


class TemplateError(EngineError):
    title = "Chat template problem"


class AdapterError(EngineError):
    title = "Adapter problem"


class WorkerDiedError(EngineError):
    title = "Engine worker died"


class EngineClosedError(WorkerDiedError):
    """A request was running when the backend was closed (quitting): nothing to report."""

    title = "Engine closed"


class RequestError(EngineError):
    title = "Bad request"
