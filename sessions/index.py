"""The session list's cache: every session's list line and search text, kept in one file.

Why it exists: `session list` and the browser's search used to open and verify every journal in
full (the search twice), seconds for a store of 1,000 sessions. `<store>/.index.json` keeps, per
session file, what the list shows (a `SessionInfo`: turns, battery runs and comparisons counted,
the model) and the text a search looks in (prompts, answers, options, battery names, compared
prompts and configuration names), so listing stats the journals and reads one small file.

It is a cache, never the truth. An entry is used only while its file's inode, size, mtime and
ctime are what they were when it was read, and only if the file was already `SETTLE_S` old then
(a write within the same timestamp tick would otherwise go unseen: git's "racy clean" problem);
anything else is read again. An index that is missing, unreadable, malformed, or written for
another journal format or folder is rebuilt. It is written to a temp file with a per-process
unique name and renamed over the old one, so concurrent writers never tear it: the last rename
wins and every index is complete. A store that cannot be written to is still listed.
"""

from __future__ import annotations

import json
import os
import time
import uuid
from contextlib import suppress
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from .codec import decode, encode
from .errors import SessionError
from .format import FORMAT_VERSION
from .journal import Session
from .model import SessionOrigin

SUFFIX = ".jsonl"
INDEX_NAME = ".index.json"
INDEX_VERSION = 3  # 2: SessionInfo.battery_runs; 3: .comparisons (an older index is rebuilt)
SETTLE_S = 2.0  # a file modified this recently when it was read is read again next time
_STALE_TEMP_S = 3600.0  # temp files of writers killed mid-write are removed after this long
_SEP = "\x00"


@dataclass(frozen=True)
class SessionInfo:
    """One line of the session browser / `session list`."""

    id: str
    name: str
    path: str
    created: str
    turns: int
    model: str  # file name of the first turn's model, else the first battery run's, else the first
    # comparison's ("" if none)
    origin: SessionOrigin | None
    problems: int  # damaged or torn records skipped while reading
    error: str = ""  # set when the file could not be read at all
    battery_runs: int = 0
    comparisons: int = 0


@dataclass(frozen=True)
class Summary:
    info: SessionInfo
    text: str  # the turns' prompts, answers, continuations and options, lower-cased, NUL-joined

    def matches(self, needle: str) -> bool:
        i = self.info
        return not i.error and any(needle in t for t in (i.name.lower(), i.id.lower(),
                                                         i.model.lower(), self.text))


def summarize(path: Path) -> Summary:
    """Read and verify one journal in full (what a cache miss costs)."""
    try:
        session = Session.open(path)
    except (SessionError, OSError) as exc:
        msg = exc.msg if isinstance(exc, SessionError) else f"{path}: {exc.strerror or exc}"
        return Summary(SessionInfo(path.stem, "", str(path), "", 0, "", None, 0, msg), "")
    texts: dict[str, None] = {}
    model = ""  # the first turn's that names one, else the first battery run's
    for n in range(len(session.turns)):
        meta = session.entry_meta(n)
        request, result = _dict(meta.get("request")), _dict(meta.get("result"))
        model = model or _name(_dict(result.get("provenance")).get("model_path"))
        for message in _list(request.get("messages")):
            if isinstance(message, dict):
                texts[str(message.get("content", "")).lower()] = None
        for value in (result.get("text"), request.get("continuation"),
                      *_list(request.get("options"))):
            if value is not None:
                texts[str(value).lower()] = None
    runs = session.battery_runs
    for n in range(len(runs)):
        meta = runs.entry(n).meta  # the head only: the records are never parsed here
        model = model or _name(_dict(meta.get("fingerprint")).get("model_path"))
        texts[str(meta.get("battery", "")).lower()] = None
    comparisons = session.comparisons
    for n in range(len(comparisons)):
        meta = comparisons.entry(n).meta  # the head only: the positions are never parsed here
        for lane in _list(_dict(meta.get("result")).get("lanes")):
            model = model or _name(_dict(_dict(lane).get("provenance")).get("model_path"))
        for message in _list(_dict(meta.get("request")).get("messages")):
            if isinstance(message, dict):
                texts[str(message.get("content", "")).lower()] = None
        for name in _list(meta.get("names")):
            texts[str(name).lower()] = None
    info = SessionInfo(session.id, session.name, str(path), session.header.created,
                       len(session.turns), model, session.header.origin, len(session.problems),
                       battery_runs=len(runs), comparisons=len(comparisons))
    return Summary(info, _SEP.join(t for t in texts if t))


def temp_path(root: Path) -> Path:
    """A name no other process or call uses (pid and a random part): writers never share one."""
    return root / f"{INDEX_NAME}.{os.getpid()}.{uuid.uuid4().hex[:12]}.tmp"


class SessionIndex:
    """Summaries of every `*.jsonl` in `root`, from the cache where it is provably current."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.path = root / INDEX_NAME

    def summaries(self) -> list[Summary]:
        scanned_ns = time.time_ns()  # before any stat: see the module docstring
        files = self._scan()
        cached = self._load()
        entries: dict[str, Any] = {}
        summaries = []
        changed = set(cached) != set(files)
        for stem, (path, key) in files.items():
            entry = cached.get(stem)
            summary = _from_entry(entry, path, key)
            if summary is None:
                summary = summarize(Path(path))
                entry = _to_entry(summary, key, scanned_ns)
                changed = True
            entries[stem] = entry
            summaries.append(summary)
        if changed:
            self._save(entries)
        return summaries

    def _scan(self) -> dict[str, tuple[str, list[int]]]:
        files = {}
        try:
            listing = list(os.scandir(self.root))
        except OSError:  # no store yet (or not a folder): nothing to list
            return {}
        for item in listing:
            stem = item.name[:-len(SUFFIX)]
            if not item.name.endswith(SUFFIX) or not stem:
                continue
            try:
                if not item.is_file():
                    continue
                st = item.stat()
            except OSError:  # removed meanwhile
                continue
            files[stem] = (item.path, [st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns])
        return files

    def _load(self) -> dict[str, Any]:
        try:
            data = json.loads(self.path.read_bytes())
        except (OSError, ValueError):
            return {}
        if not (isinstance(data, dict) and data.get("version") == INDEX_VERSION
                and data.get("format_version") == FORMAT_VERSION and data.get("root") == str(self.root)
                and isinstance(data.get("entries"), dict)):
            return {}
        return data["entries"]

    def _save(self, entries: dict[str, Any]) -> None:
        data = {"version": INDEX_VERSION, "format_version": FORMAT_VERSION, "root": str(self.root),
                "entries": entries}
        try:
            blob = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate in some text
            blob = json.dumps(data, separators=(",", ":")).encode("ascii")
        tmp = temp_path(self.root)
        try:
            with open(tmp, "xb") as handle:
                handle.write(blob)
            os.replace(tmp, self.path)
        except OSError:  # a read-only store: the listing is still right, only slower next time
            with suppress(OSError):
                tmp.unlink()
            return
        self._remove_stale_temps()

    def _remove_stale_temps(self) -> None:
        cutoff = time.time() - _STALE_TEMP_S
        for item in self.root.glob(f"{INDEX_NAME}.*.tmp"):
            with suppress(OSError):
                if item.stat().st_mtime < cutoff:
                    item.unlink()


def _name(model_path: Any) -> str:
    return Path(str(model_path or "")).name


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _to_entry(summary: Summary, key: list[int], checked_ns: int) -> dict[str, Any]:
    info = asdict(summary.info)
    del info["path"]  # follows from the file name (and the index is per folder)
    info["origin"] = encode(summary.info.origin)
    return {"key": key, "checked_ns": checked_ns, "info": info, "text": summary.text}


_FIELDS = (("id", str), ("name", str), ("created", str), ("turns", int), ("model", str),
           ("problems", int), ("error", str), ("battery_runs", int), ("comparisons", int))


def _from_entry(entry: Any, path: str, key: list[int]) -> Summary | None:
    """The cached summary if it is certainly current, else None (read the file again)."""
    try:
        if entry["key"] != key or max(key[2], key[3]) + int(SETTLE_S * 1e9) > entry["checked_ns"]:
            return None
        info, text = entry["info"], entry["text"]
        values = {name: info[name] for name, _ in _FIELDS}
        if not isinstance(text, str) or any(type(values[n]) is not t for n, t in _FIELDS):
            return None
        origin = info["origin"]
        if origin is not None:
            origin = decode(SessionOrigin, origin)
        return Summary(SessionInfo(path=path, origin=origin, **values), text)
    except (KeyError, TypeError, ValueError, IndexError, AttributeError):
        return None
