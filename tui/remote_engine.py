"""The remote engine the TUI may run on: what it is, in words, and opening one from a typed URL.

Why its own module: the model panel shows the engine and its capabilities, the status bar names
it, and the main screen opens one when the user types a URL in the model panel; all three ask
the same questions of a backend that may or may not be remote (engine/remote/'s RemoteBackend
has `origin()`; the Backend protocol does not). Nothing here touches a widget, and
`open_remote` blocks (it asks the server what it runs): call it from a thread worker.
"""

from __future__ import annotations

import os
from typing import Any
from urllib.parse import urlsplit

from engine.backend import Backend
from engine.types import AdapterSpec, Capabilities, RemoteOrigin

API_KEY_ENV = "LOGITSCOPE_API_KEY"  # the CLI's default --api-key-env (tui/cli/options.py)
LOCAL = "local"  # typed in the engine field: back to the local engine
URL_SCHEMES = ("http://", "https://", "llamacpp+http://", "llamacpp+https://", "openai+http://",
               "openai+https://")


def is_engine_url(text: str) -> bool:
    return text.lower().startswith(URL_SCHEMES)


def remote_origin(backend: Backend | Any) -> RemoteOrigin | None:
    """The server a started remote backend talks to; None for a local backend or one not started
    (asking a remote one that has not started would block on the network)."""
    origin = getattr(backend, "origin", None)
    if not callable(origin) or backend.info is None:
        return None
    try:
        return origin()
    except Exception:  # an engine that went away since: the panel shows no origin rather than fail
        return None


def address(origin: RemoteOrigin) -> str:
    """`127.0.0.1:8080` (the URL's host and port; the URL itself has no credentials)."""
    return urlsplit(origin.url.split("+", 1)[-1]).netloc or origin.url


def capability_lines(capabilities: Capabilities) -> list[str]:
    """What the engine can and cannot do, one short line each (the model panel's list)."""
    yes_no = {True: "yes", False: "no"}
    return [
        "distribution: " + ("full vocabulary" if capabilities.full_vocab_logprobs else "top-k + rest (H, rank ≥)"),
        f"top-k limit: {capabilities.top_k_limit or 'none'}",
        f"adapter scales: {yes_no[capabilities.lora_scales]} · sampler view: {yes_no[capabilities.sampler_view]}",
        f"choose/score: {yes_no[capabilities.forced_scoring]} · compare: {yes_no[capabilities.compare]}",
        f"prompt rendered by: {'logitscope' if capabilities.template_rendering == 'ours' else 'the server'}",
    ]


def open_remote(url: str, adapters: tuple[AdapterSpec, ...] = ()) -> Backend:
    """Blocking: a RemoteBackend on `url`, started (its server asked what it runs), the API key
    from $LOGITSCOPE_API_KEY. Raises the engine's errors (unreachable, not a supported server, key
    refused) for the caller to show."""
    from engine.remote import RemoteBackend

    backend = RemoteBackend(url, api_key=os.environ.get(API_KEY_ENV) or None, adapters=adapters)
    backend.start()
    return backend


__all__ = ["LOCAL", "address", "capability_lines", "is_engine_url", "open_remote", "remote_origin"]
