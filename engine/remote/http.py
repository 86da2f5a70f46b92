"""HTTP for remote engines, on the standard library: JSON calls, server-sent events, retries.

One connection per call (http.client), so calls from several threads never share a socket and a
stream can be cancelled by closing its own connection, which is how llama.cpp's server notices a
client went away and frees the slot. Idempotent calls (GET, tokenize, templates) are retried with
backoff when the connection fails or the server says it is loading (503); a generation never is.
The API key travels in the Authorization header only and is never part of a message.
"""

from __future__ import annotations

import http.client
import json
import socket
import ssl
import threading
import time
import urllib.parse
from collections.abc import Iterator
from typing import Any

from .errors import AuthError, RemoteError, UnreachableError, WrongApiError

RETRY_DELAYS_S = (0.25, 0.5, 1.0, 2.0)  # the waits between the attempts of an idempotent call


class HttpError(RemoteError):
    """A status the caller may want to handle (404: no such endpoint in this API)."""

    def __init__(self, status: int, msg: str) -> None:
        super().__init__(msg)
        self.status = status


class HttpClient:
    def __init__(self, base: str, api_key: str | None = None, timeout: float = 30.0) -> None:
        parts = urllib.parse.urlsplit(base)
        self.base = base
        self._https = parts.scheme == "https"
        self._host = parts.hostname or ""
        self._port = parts.port
        self._prefix = parts.path.rstrip("/")
        self._api_key = api_key
        self.timeout = timeout

    def _connect(self) -> http.client.HTTPConnection:
        if self._https:
            return http.client.HTTPSConnection(self._host, self._port, timeout=self.timeout,
                                               context=ssl.create_default_context())
        return http.client.HTTPConnection(self._host, self._port, timeout=self.timeout)

    def _headers(self, body: bytes | None, accept: str = "application/json") -> dict[str, str]:
        headers = {"Accept": accept, "User-Agent": "logitscope"}
        if body is not None:
            headers["Content-Type"] = "application/json"
        if self._api_key:
            headers["Authorization"] = f"Bearer {self._api_key}"
        return headers

    def get(self, path: str) -> Any:
        return self._json("GET", path, None, idempotent=True)

    def post(self, path: str, body: Any, idempotent: bool = False) -> Any:
        return self._json("POST", path, body, idempotent=idempotent)

    def _json(self, method: str, path: str, body: Any, idempotent: bool) -> Any:
        delays = RETRY_DELAYS_S if idempotent else ()
        for attempt in range(len(delays) + 1):
            try:
                status, data = self._once(method, path, body)
            except UnreachableError:
                if attempt == len(delays):
                    raise
            else:
                if status != 503 or attempt == len(delays):
                    return self._decode(path, status, data)
            time.sleep(delays[attempt])
        raise AssertionError("unreachable")

    def _once(self, method: str, path: str, body: Any) -> tuple[int, bytes]:
        payload = None if body is None else json.dumps(body).encode("utf-8")
        conn = self._connect()
        try:
            conn.request(method, self._prefix + path, body=payload, headers=self._headers(payload))
            response = conn.getresponse()
            return response.status, response.read()
        except (OSError, http.client.HTTPException) as exc:
            raise self._unreachable(exc) from exc
        finally:
            conn.close()

    def _unreachable(self, exc: BaseException) -> UnreachableError:
        what = "timed out" if isinstance(exc, (TimeoutError, socket.timeout)) else str(exc) or type(exc).__name__
        return UnreachableError(f"No engine answers at {self.base} ({what}). Is the server running, "
                                f"and is the address right?")

    def _decode(self, path: str, status: int, data: bytes) -> Any:
        if status in (401, 403):
            raise AuthError(f"{self.base} refused the request to {path} (HTTP {status}): "
                            f"{'the API key is wrong' if self._api_key else 'it wants an API key'}. "
                            f"Put the key in LOGITSCOPE_API_KEY (or name the variable with --api-key-env).")
        try:
            parsed = json.loads(data.decode("utf-8")) if data else None
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise WrongApiError(f"{self.base}{path} answered HTTP {status} with something that is not "
                                f"JSON ({data[:60]!r}): not a llama.cpp or OpenAI-compatible server?") from None
        if status >= 400:
            raise HttpError(status, f"{self.base}{path} answered HTTP {status}: {error_message(parsed)}")
        return parsed

    def stream(self, path: str, body: Any) -> SseStream:
        """POST `body` and read the answer as server-sent events (never retried)."""
        payload = json.dumps(body).encode("utf-8")
        conn = self._connect()
        try:
            conn.request("POST", self._prefix + path, body=payload,
                         headers=self._headers(payload, accept="text/event-stream"))
            response = conn.getresponse()
        except (OSError, http.client.HTTPException) as exc:
            conn.close()
            raise self._unreachable(exc) from exc
        if response.status != 200:
            data = response.read()
            conn.close()
            self._decode(path, response.status, data)
            raise WrongApiError(f"{self.base}{path} answered HTTP {response.status}.")
        return SseStream(conn, response, self)


def error_message(parsed: Any) -> str:
    """The message in an error body, in llama.cpp's and OpenAI's shapes."""
    if isinstance(parsed, dict):
        error = parsed.get("error", parsed.get("detail", parsed))
        if isinstance(error, dict):
            return str(error.get("message") or error)
        return str(error)
    return str(parsed)


class SseStream:
    """The events of one streamed answer, as parsed JSON; `close()` (any thread) ends it."""

    def __init__(self, conn: http.client.HTTPConnection, response: http.client.HTTPResponse,
                 client: HttpClient) -> None:
        self._conn = conn
        self._response = response
        self._client = client
        self._lock = threading.Lock()
        self.closed = False
        self.cancelled = False  # closed by cancel() before the server ended the answer

    def events(self) -> Iterator[Any]:
        data: list[str] = []
        try:
            while True:
                try:
                    raw = self._response.readline()
                except (OSError, http.client.HTTPException, ValueError, AttributeError) as exc:
                    if self.closed:
                        return
                    raise self._client._unreachable(exc) from exc
                if not raw:
                    return
                line = raw.decode("utf-8").rstrip("\r\n")
                if line.startswith("data:"):
                    data.append(line[5:].lstrip())
                elif not line and data:
                    text, data = "\n".join(data), []
                    if text == "[DONE]":
                        return
                    event = json.loads(text)
                    if isinstance(event, dict) and "error" in event:
                        raise RemoteError(f"{self._client.base} stopped the answer: {error_message(event)}")
                    yield event
        finally:
            self.close()

    def cancel(self) -> None:
        """Stop reading (any thread): the answer ends as cancelled, the server's slot is freed."""
        if not self.closed:
            self.cancelled = True
        self.close()

    def close(self) -> None:
        """Drop the connection: llama.cpp's server stops the generation when it notices."""
        with self._lock:
            if self.closed:
                return
            self.closed = True
        try:
            sock = self._conn.sock
            if sock is not None:
                sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self._conn.close()
