"""The batteries shipped with logitscope (sessions/batteries/shipped/*.yaml) and how a name or a
path given on the command line is resolved.

Why its own module: `battery list`, `battery show` and `battery run` all accept "a shipped name or
a file path" and must agree on what that means: an existing file (or anything that looks like a
path: a `/`, or a .yaml/.yml ending) is read as a file; otherwise it is a shipped battery's name,
and an unknown name is refused listing the names there are.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from .errors import BatteryNotFoundError
from .format import Battery
from .loading import load_battery_file

SUFFIXES = (".yaml", ".yml")


def shipped_battery_paths() -> dict[str, Path]:
    """Shipped batteries: file stem (the battery's name) -> path, sorted by name."""
    folder = resources.files("sessions.batteries") / "shipped"
    paths = (Path(str(entry)) for entry in folder.iterdir() if str(entry).endswith(SUFFIXES))
    return {path.stem: path for path in sorted(paths)}


def shipped_batteries() -> tuple[Battery, ...]:
    return tuple(load_battery_file(path) for path in shipped_battery_paths().values())


def _looks_like_path(spec: str) -> bool:
    return "/" in spec or "\\" in spec or spec.endswith(SUFFIXES)


def resolve_battery(spec: str | Path) -> Path:
    """The file for a shipped battery's name, or `spec` itself when it is (or looks like) a path."""
    path = Path(spec)
    if path.is_file():
        return path
    shipped = shipped_battery_paths()
    if isinstance(spec, str) and not _looks_like_path(spec) and spec in shipped:
        return shipped[spec]
    if isinstance(spec, Path) or _looks_like_path(spec):
        raise BatteryNotFoundError(f"{spec}: no such file")
    raise BatteryNotFoundError(f"no battery named {spec!r}; shipped: {', '.join(shipped)} "
                               "(or give the path of a .yaml file)")


def load_battery(spec: str | Path) -> Battery:
    """A shipped battery by name, or the battery file at a path, read and checked."""
    return load_battery_file(resolve_battery(spec))
