"""Where sessions live (`data_dir()/sessions/<id>.jsonl`) and how a user names one.

The TUI's session browser, the CLI and `--session NAME` all find sessions through this one class,
so a session can be given as a file path, its id (the file name without `.jsonl`), its name, or a
unique prefix of its id, the same way everywhere.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from engine.locations import data_dir as default_data_dir

from .errors import SessionError, SessionExistsError, SessionNotFoundError
from .journal import Session
from .model import SessionOrigin

SUFFIX = ".jsonl"


@dataclass(frozen=True)
class SessionInfo:
    """One line of the session browser / `session list`."""

    id: str
    name: str
    path: str
    created: str
    turns: int
    model: str  # file name of the first turn's model ("" for an empty session)
    origin: SessionOrigin | None
    problems: int  # damaged or torn records skipped while reading
    error: str = ""  # set when the file could not be read at all


def slugify(name: str) -> str:
    slug = re.sub(r"[^a-z0-9._-]+", "-", name.strip().lower()).strip("-.")
    return slug[:64]


def _model_of(session: Session) -> str:
    if not len(session.turns):
        return ""
    try:
        return Path(session.entry_meta(0)["result"]["provenance"]["model_path"]).name
    except (KeyError, TypeError):
        return ""


def info_of(session: Session) -> SessionInfo:
    return SessionInfo(
        id=session.id, name=session.name, path=str(session.path), created=session.header.created,
        turns=len(session.turns), model=_model_of(session), origin=session.header.origin,
        problems=len(session.problems),
    )


class SessionStore:
    """The sessions under `data_dir/sessions` (`data_dir` defaults to engine.locations.data_dir())."""

    def __init__(self, data_dir: str | Path | None = None) -> None:
        base = Path(data_dir) if data_dir is not None else default_data_dir()
        self.root = base / "sessions"

    def _files(self) -> list[Path]:
        if not self.root.is_dir():
            return []
        return sorted(p for p in self.root.iterdir() if p.suffix == SUFFIX and p.is_file())

    def list(self) -> list[SessionInfo]:
        """Every session, newest first; unreadable files are listed with `error` set."""
        infos = []
        for path in self._files():
            try:
                infos.append(info_of(Session.open(path)))
            except SessionError as exc:
                infos.append(SessionInfo(path.stem, "", str(path), "", 0, "", None, 0, exc.msg))
        return sorted(infos, key=lambda i: (i.created, i.id), reverse=True)

    def search(self, text: str) -> list[SessionInfo]:
        """Sessions whose name, id, model, prompts or answers contain `text` (case-insensitive)."""
        needle = text.lower()
        found = []
        for info in self.list():
            if info.error:
                continue
            haystack = [info.name, info.id, info.model]
            session = Session.open(info.path)
            for index in range(len(session.turns)):
                meta = session.entry_meta(index)
                request = meta.get("request", {})
                haystack += [m.get("content", "") for m in request.get("messages", [])]
                haystack += [meta.get("result", {}).get("text", ""), request.get("continuation", "")]
                haystack += request.get("options", [])
            if any(needle in str(h).lower() for h in haystack):
                found.append(info)
        return found

    def path_for(self, ref: str) -> Path:
        """Resolve a path, id, name or unique id prefix to an existing session file."""
        candidate = Path(ref).expanduser()
        if candidate.is_file():
            return candidate
        if (self.root / f"{ref}{SUFFIX}").is_file():
            return self.root / f"{ref}{SUFFIX}"
        files = self._files()
        by_name = []
        for path in files:
            try:
                if Session.read_header(path).name == ref:
                    by_name.append(path)
            except SessionError:
                continue
        if len(by_name) == 1:
            return by_name[0]
        by_prefix = [p for p in files if p.stem.startswith(ref)]
        if len(by_prefix) == 1:
            return by_prefix[0]
        if len(by_name) > 1 or len(by_prefix) > 1:
            raise SessionNotFoundError(f"{ref!r} matches several sessions; give the full id.")
        raise SessionNotFoundError(
            f"No session {ref!r} (looked for a file, an id, a name and an id prefix in {self.root})."
        )

    def open(self, ref: str) -> Session:
        return Session.open(self.path_for(ref))

    def create(self, name: str | None = None, origin: SessionOrigin | None = None) -> Session:
        """A new empty session; its id is the slug of `name` (or a timestamp), made unique."""
        stamp = datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S")
        base = slugify(name) if name else ""
        base = base or stamp
        self.root.mkdir(parents=True, exist_ok=True)
        for n in range(1, 1000):
            sid = base if n == 1 else f"{base}-{n}"
            path = self.root / f"{sid}{SUFFIX}"
            try:
                return Session.create(path, name or sid, origin)
            except FileExistsError:
                continue
        raise SessionExistsError(f"Too many sessions named like {base!r}.")

    def open_or_create(self, name: str) -> Session:
        """The session called `name` (by name, id or path), created empty if there is none."""
        try:
            return self.open(name)
        except SessionNotFoundError:
            return self.create(name)

    def delete(self, ref: str) -> Path:
        path = self.path_for(ref)
        os.unlink(path)
        return path
