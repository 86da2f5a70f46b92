"""The journal's on-disk format, version 1: JSON Lines, one self-checking record per line.

Why here and not in the Session class: reading and writing records is pure (bytes in, records
out) and has to stay compatible across releases, so it lives apart from file handling and is
tested on its own. The layout is documented in docs/session-format.md.

A turn line is one JSON object whose last two keys are "crc32" and "steps" (the token steps, the
bulk of the data). "crc32" is the CRC-32 of the line's bytes before `,"crc32":` followed by the
bytes of the "steps" array, so it covers the whole record. Opening a session parses everything
before "steps" and checks the CRC, an order of magnitude cheaper than parsing every float, and
still catches any damaged byte; the steps are parsed when a turn is first looked at.

Other record types (a battery run, sessions/battery_runs.py; a comparison,
sessions/comparisons.py) use the same checked layout with their own bulk key (`checked_line`,
`check_line`), so every line is protected the same way.
"""

from __future__ import annotations

import dataclasses
import json
import zlib
from dataclasses import dataclass
from typing import Any

from .codec import decode, encode, encode_steps
from .errors import NewerFormatError, NotASessionError
from .model import REQUEST_TYPES, AdapterRecord, SessionHeader, Turn, TurnKind, TurnOrigin

FORMAT_NAME = "logitscope-session"
FORMAT_VERSION = 1
_STEPS_KEY = b',"steps":'
_CRC_KEY = b',"crc32":'
_TURN_PREFIX = b'{"type":"turn"'


def _dumps(data: Any, ascii_only: bool) -> str:
    return json.dumps(data, ensure_ascii=ascii_only, separators=(",", ":"), allow_nan=False)


def _to_bytes(build: Any) -> bytes:
    try:
        return build(False).encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate in some text: escape everything instead
        return build(True).encode("utf-8")


def header_line(header: SessionHeader) -> bytes:
    record = {"type": "header", "format": FORMAT_NAME, **encode(header)}
    return _to_bytes(lambda ascii_only: _dumps(record, ascii_only)) + b"\n"


def turn_line(turn: Turn) -> bytes:
    """One complete line (newline included) for `turn`."""
    result = turn.result
    result_data = {f.name: encode(getattr(result, f.name))
                   for f in dataclasses.fields(result) if f.name != "steps"}
    meta = {
        "type": "turn",
        "id": turn.id,
        "kind": turn.kind.value,
        "created": turn.created,
        "parent": turn.parent,
        "branch_position": turn.branch_position,
        "origin": encode(turn.origin),
        "note": turn.note,
        **({"forced_pieces": encode(turn.forced_pieces)} if turn.forced_pieces else {}),
        "adapters": encode(turn.adapters),
        "request": encode(turn.request),
        "result": result_data,
    }
    return checked_line(meta, "steps", encode_steps(turn.steps))


def checked_line(meta: dict[str, Any], bulk_key: str, bulk: Any) -> bytes:
    """One complete line (newline included): the JSON object `meta`, then `"crc32"` and last the
    key `bulk_key` holding `bulk`. The CRC-32 covers the bytes before `,"crc32":` continued over
    the bytes of the bulk value, so it protects the whole line; `meta` must be plain JSON data."""

    def build(ascii_only: bool) -> str:
        head = _dumps(meta, ascii_only)[:-1]
        bulk_text = _dumps(bulk, ascii_only)
        crc = zlib.crc32(bulk_text.encode("utf-8"), zlib.crc32(head.encode("utf-8")))
        return f"{head}{_CRC_KEY.decode()}{crc},{json.dumps(bulk_key)}:{bulk_text}}}"

    return _to_bytes(build) + b"\n"


# ----- reading ---------------------------------------------------------------------------------

@dataclass
class TurnEntry:
    """A turn line that passed its checks; decoded into a Turn only when first asked for."""

    line: int
    meta: dict[str, Any]
    steps_raw: bytes | memoryview

    def decode(self) -> Turn:
        return turn_from_meta(self.meta, json.loads(bytes(self.steps_raw)))


def parse_header(line: bytes, where: str) -> SessionHeader:
    """Check the first line of a file and return its header, or refuse the file clearly."""
    try:
        record = json.loads(line)
    except ValueError:
        record = None
    if not isinstance(record, dict) or record.get("format") != FORMAT_NAME:
        raise NotASessionError(
            f"{where} is not a logitscope session: its first line is not a session header "
            f"(expected a JSON object with \"format\": \"{FORMAT_NAME}\")."
        )
    version = record.get("version")
    if not isinstance(version, int) or version < 1:
        raise NotASessionError(f"{where} has a session header without a valid format version.")
    if version > FORMAT_VERSION:
        raise NewerFormatError(
            f"{where} uses session format version {version}, but this logitscope reads up to "
            f"version {FORMAT_VERSION}. Upgrade logitscope to open it."
        )
    try:
        return decode(SessionHeader, {k: v for k, v in record.items() if k not in ("type", "format")})
    except (ValueError, TypeError) as exc:
        raise NotASessionError(f"{where} has a malformed session header: {exc}") from exc


def check_line(buf: bytes, start: int, end: int, bulk_key: bytes,
               what: str) -> tuple[dict[str, Any], memoryview]:
    """Check the line `buf[start:end]` written by `checked_line` with `bulk_key` (e.g.
    b',"steps":'): the CRC over the whole line, then parse its head. Returns the head (without
    the bulk) and the bulk's raw bytes, in place (a file's lines are not copied); raises
    ValueError if the line is damaged."""
    # Structural keys cannot occur inside JSON strings (their quotes would be escaped). The real
    # CRC is the first `,"crc32":` followed by digits and the bulk key: a nested key of that
    # name in the head (none today) is passed over.
    def bulk_after(crc_at: int) -> int:
        return buf.find(bulk_key, crc_at, min(end, crc_at + len(_CRC_KEY) + 24))

    first = crc_at = buf.find(_CRC_KEY, start, end)
    while crc_at >= 0 and not buf[crc_at + len(_CRC_KEY): max(crc_at, bulk_after(crc_at))].isdigit():
        crc_at = buf.find(_CRC_KEY, crc_at + 1, end)
    if crc_at < 0:
        crc_at = first  # damaged digits: the CRC check below says so
    split = bulk_after(crc_at) if crc_at >= 0 else -1
    if split < 0 or buf[end - 1: end] != b"}":
        raise ValueError(f"{what} record without its checksum and {bulk_key[2:-2].decode()} (cut short?)")
    view = memoryview(buf)
    bulk_raw = view[split + len(bulk_key): end - 1]
    digits = buf[crc_at + len(_CRC_KEY): split]
    stored = int(digits) if digits.isdigit() else -1
    if stored != zlib.crc32(bulk_raw, zlib.crc32(view[start:crc_at])):
        raise ValueError("checksum mismatch (damaged record)")
    meta = json.loads(buf[start:split] + b"}")
    if not isinstance(meta, dict):
        raise ValueError(f"{what} record is not a JSON object")
    return meta, bulk_raw


def record_type(buf: bytes, start: int = 0, end: int | None = None) -> object:
    """The `type` of a line that is none this reader knows (ValueError if it is not JSON)."""
    record = json.loads(buf[start:len(buf) if end is None else end])
    return record.get("type") if isinstance(record, dict) else None


def parse_turn(buf: bytes, number: int, start: int = 0, end: int | None = None) -> TurnEntry:
    """Check the turn line `buf[start:end]` (JSON head parsed, CRC over the whole line verified);
    raise ValueError if it is damaged. Works in place: a file's lines are not copied."""
    end = len(buf) if end is None else end
    if not buf.startswith(_TURN_PREFIX, start, end):
        raise ValueError(f"unknown record type {record_type(buf, start, end)!r}")
    meta, steps_raw = check_line(buf, start, end, _STEPS_KEY, "turn")
    if any(k not in meta for k in ("id", "kind", "request", "result")):
        raise ValueError("turn record lacks its id, kind, request or result")
    return TurnEntry(number, meta, steps_raw)


def turn_from_meta(meta: dict[str, Any], steps: list[Any]) -> Turn:
    """Build a Turn from a parsed head and its parsed steps (ValueError/KeyError if malformed)."""
    kind = TurnKind(meta["kind"])
    request_type, result_type = REQUEST_TYPES[kind]
    names = {f.name for f in dataclasses.fields(result_type)}
    result_data = {k: v for k, v in meta["result"].items() if k in names}
    if "steps" in names:
        result_data["steps"] = steps
    return Turn(
        id=meta["id"],
        kind=kind,
        created=meta.get("created", ""),
        request=decode(request_type, meta["request"]),
        result=decode(result_type, result_data),
        adapters=decode(tuple[AdapterRecord, ...], meta.get("adapters", [])),
        parent=meta.get("parent"),
        branch_position=meta.get("branch_position"),
        origin=decode(TurnOrigin | None, meta.get("origin")),
        note=meta.get("note", ""),
        forced_pieces=decode(tuple[bytes, ...], meta.get("forced_pieces", [])),
    )


__all__ = [
    "FORMAT_NAME", "FORMAT_VERSION", "TurnEntry", "check_line", "checked_line", "header_line",
    "parse_header", "parse_turn", "record_type", "turn_from_meta", "turn_line",
]
