"""`--engine URL`: which server, which dialect, and the URL as it may be written down.

`llamacpp+http://host:port` and `openai+https://host/v1` name the dialect; a plain `http(s)://`
URL leaves it to detection (engine/remote/backend.py asks `/props`). A user:password@ part is
taken off the URL: its password (or, alone, its user) is the API key, so a key typed into a URL
is still never recorded. `safe` is the URL without credentials or query string: the only form
provenance, journals and logs ever hold.
"""

from __future__ import annotations

import urllib.parse
from dataclasses import dataclass

from ..errors import RequestError

DIALECTS = ("llamacpp", "openai")


@dataclass(frozen=True)
class EngineUrl:
    base: str  # scheme://host:port/path, no credentials, no query, no trailing slash
    dialect: str | None  # "llamacpp" | "openai" | None (detect)
    url_key: str | None = None  # a key given in the URL's user:password@

    @property
    def safe(self) -> str:
        return self.base


def parse_engine_url(text: str) -> EngineUrl:
    scheme, sep, rest = text.strip().partition("://")
    if not sep:
        raise RequestError(f"--engine expects a URL such as http://127.0.0.1:8080 (got {safe_url(text)!r}).")
    dialect: str | None = None
    if "+" in scheme:
        dialect, _, scheme = scheme.partition("+")
        if dialect not in DIALECTS:
            raise RequestError(f"Unknown engine dialect {dialect!r} in --engine: use "
                               f"{' or '.join(d + '+http://' for d in DIALECTS)}, or a plain http:// URL.")
    if scheme not in ("http", "https"):
        raise RequestError(f"--engine speaks http or https, not {scheme!r}.")
    parts = urllib.parse.urlsplit(f"{scheme}://{rest}")
    key = parts.password or parts.username or None
    host = parts.hostname or ""
    if not host:
        raise RequestError("--engine's URL names no host.")
    netloc = f"[{host}]" if ":" in host else host
    if parts.port is not None:
        netloc += f":{parts.port}"
    base = urllib.parse.urlunsplit((scheme, netloc, parts.path.rstrip("/"), "", ""))
    return EngineUrl(base, dialect, urllib.parse.unquote(key) if key else None)


def safe_url(text: str) -> str:
    """`text` without user:password@ and without a query string or fragment, for any message."""
    scheme, sep, rest = text.partition("://")
    if not sep:
        return text.split("?")[0].split("@")[-1]
    rest = rest.split("#")[0].split("?")[0]
    authority, slash, path = rest.partition("/")
    return f"{scheme}://{authority.rpartition('@')[2]}{slash}{path}"
