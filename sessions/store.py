"""Where sessions live (`data_dir()/sessions/<id>.jsonl`) and how a user names one.

The TUI's session browser, the CLI and `--session NAME` all find sessions through this one class,
so a session is named the same way everywhere: its id (the file name without `.jsonl`), its
name, or a unique prefix of its id. Reading also takes any file path (a shared session can be
shown, compared or exported where it lies), but writing to or deleting a session only ever
touches a session file inside the store: a path outside it, a link, or a file that is not a
session is refused and left untouched. Listing and searching go through `index.SessionIndex`.
"""

from __future__ import annotations

import builtins
import os
import re
from datetime import UTC, datetime
from pathlib import Path

from engine.locations import data_dir as default_data_dir

from .errors import (
    NewerFormatError,
    NotASessionError,
    NotInStoreError,
    SessionError,
    SessionExistsError,
    SessionNotFoundError,
)
from .index import SUFFIX, SessionIndex, SessionInfo
from .journal import Session
from .model import SessionOrigin

__all__ = ["SUFFIX", "SessionInfo", "SessionStore", "slugify"]


def slugify(name: str) -> str:
    slug = re.sub(r"[^a-z0-9._-]+", "-", name.strip().lower()).strip("-.")
    return slug[:64]


def _is_path(ref: str) -> bool:
    """Whether `ref` is spelled as a path (a bare word is an id or name first)."""
    return ref.startswith("~") or any(sep and sep in ref for sep in (os.sep, os.altsep))


class SessionStore:
    """The sessions under `data_dir/sessions` (`data_dir` defaults to engine.locations.data_dir())."""

    def __init__(self, data_dir: str | os.PathLike[str] | None = None) -> None:
        base = Path(data_dir) if data_dir is not None else default_data_dir()
        self.root = base / "sessions"

    def _files(self) -> list[Path]:
        if not self.root.is_dir():
            return []
        return sorted(p for p in self.root.iterdir() if p.suffix == SUFFIX and p.is_file())

    def list(self) -> list[SessionInfo]:
        """Every session, newest first; unreadable files are listed with `error` set."""
        infos = [s.info for s in SessionIndex(self.root).summaries()]
        return sorted(infos, key=lambda i: (i.created, i.id), reverse=True)

    def search(self, text: str) -> builtins.list[SessionInfo]:
        """Sessions whose name, id, model, prompts or answers contain `text` (case-insensitive)."""
        needle = text.lower()
        found = [s.info for s in SessionIndex(self.root).summaries() if s.matches(needle)]
        return sorted(found, key=lambda i: (i.created, i.id), reverse=True)

    def _find(self, ref: str) -> Path | None:
        """The store's session with id `ref`, else name `ref`, else unique id prefix `ref`."""
        if ref and not _is_path(ref) and ref not in (".", ".."):
            exact = self.root / f"{ref}{SUFFIX}"
            if exact.is_file():
                return exact
        files = self._files()
        by_name = []
        for path in files:
            try:
                if Session.read_header(path).name == ref:
                    by_name.append(path)
            except (SessionError, OSError):
                continue
        if len(by_name) == 1:
            return by_name[0]
        by_prefix = [p for p in files if ref and p.stem.startswith(ref)]
        if len(by_prefix) == 1:
            return by_prefix[0]
        if len(by_name) > 1 or len(by_prefix) > 1:
            raise SessionNotFoundError(f"{ref!r} matches several sessions; give the full id.")
        return None

    def _not_found(self, ref: str) -> SessionNotFoundError:
        return SessionNotFoundError(
            f"No session {ref!r} (looked for an id, a name and an id prefix in {self.root}, "
            "and for a file)."
        )

    def path_for(self, ref: str) -> Path:
        """For reading: a session of the store by id, name or unique id prefix, or any file."""
        candidate = Path(ref).expanduser()
        if _is_path(ref) and candidate.is_file():
            return candidate
        found = self._find(ref)
        if found is not None:
            return found
        if candidate.is_file():
            return candidate
        raise self._not_found(ref)

    def owned_path(self, ref: str) -> Path:
        """For writing or deleting: a session file inside the store, else a clear refusal."""
        path = self._owned(ref)
        if path is not None:
            return path
        candidate = Path(ref).expanduser()
        if candidate.is_file():  # `session delete notes.txt`: say why, not just "no session"
            raise self._outside(candidate)
        raise self._not_found(ref)

    def _owned(self, ref: str) -> Path | None:
        """The store's session `ref` (a path only if it lies in the store), None if none."""
        candidate = Path(ref).expanduser()
        path = candidate if _is_path(ref) and candidate.is_file() else self._find(ref)
        if path is None:
            return None
        if not self.contains(path):
            raise self._outside(path)
        try:
            Session.read_header(path)
        except NotASessionError as exc:
            raise NotASessionError(f"{exc.msg} It was left untouched.") from None
        except NewerFormatError:
            pass  # a session all the same (deleting it is fine; opening it refuses)
        return path

    def _outside(self, path: Path) -> NotInStoreError:
        what = "is a link, not" if path.is_symlink() else "is not"
        return NotInStoreError(
            f"{path} {what} a session in the store ({self.root}); logitscope only writes or "
            "deletes session files there, and left it untouched. Name a session by its id, name "
            "or id prefix (see `logitscope session list`)."
        )

    def contains(self, path: Path) -> bool:
        """Whether `path` is a session file (`*.jsonl`, not a link) directly inside the store."""
        path = Path(os.path.abspath(path))
        try:
            return (path.suffix == SUFFIX and not path.is_symlink()
                    and path.parent.resolve() == self.root.resolve())
        except OSError:
            return False

    def open(self, ref: str) -> Session:
        return Session.open(self.path_for(ref))

    def create(self, name: str | None = None, origin: SessionOrigin | None = None) -> Session:
        """A new empty session; its id is the slug of `name` (or a timestamp), made unique."""
        stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
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
        """The store's session called `name` (by name, id or id prefix; a path only if it is in
        the store), created empty if there is none: the one to append to. A new session is named
        by a plain word: a path or `.`/`..` that matches no session of the store is refused, never
        turned into a session named after it."""
        existing = self.open_existing(name)
        return existing if existing is not None else self.create(name)

    def open_existing(self, name: str) -> Session | None:
        """`open_or_create` without the creating: the store's session `name` to append to, or
        None when there is none and `name` is a plain word a new session may be called (the TUI
        creates it only when there is a first turn to write). A path or `.`/`..` that matches no
        session of the store is refused (NotInStoreError), before anything is written."""
        path = self._owned(name)
        if path is not None:
            return Session.open(path)
        if _is_path(name) or name.strip() in (".", ".."):
            raise NotInStoreError(
                f"{name!r} is not a session in the store ({self.root}), and a new session is not "
                "made from a path or an id that would leave the store; nothing was written. Name a "
                "new session with a plain word (`probe`), or an existing one by its id, name or id "
                "prefix (see `logitscope session list`)."
            )
        return None

    def delete(self, ref: str) -> Path:
        """Remove a session of the store (see `owned_path`); returns its path."""
        path = self.owned_path(ref)
        os.unlink(path)
        return path
