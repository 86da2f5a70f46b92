"""Do `engine`, `adapters`, `sessions` and `tui` resolve to this project?

The four names are generic: another distribution named `adapters` exists on PyPI, and a stale
copy in site-packages can shadow an editable checkout. Found with importlib, never imported
(the engine must not import the UI).
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import json
from pathlib import Path

from .report import FAIL, OK, WARN, Check

PACKAGES = ("engine", "adapters", "sessions", "tui")
DISTRIBUTION = "logitscope"


def _project_root() -> Path:
    return Path(__file__).resolve().parents[2]  # engine/doctor/packages.py -> the project


def _editable_root(dist: importlib.metadata.Distribution) -> Path | None:
    try:
        direct = json.loads(dist.read_text("direct_url.json") or "null")
    except ValueError:
        return None
    if not direct or not direct.get("dir_info", {}).get("editable"):
        return None
    url = direct.get("url", "")
    return Path(url.removeprefix("file://")).resolve() if url.startswith("file://") else None


def packages_check() -> Check:
    root = _project_root()
    where: dict[str, str | None] = {}
    for name in PACKAGES:
        spec = importlib.util.find_spec(name)
        where[name] = str(Path(spec.origin).resolve().parent) if spec and spec.origin else None
    elsewhere = [name for name, path in where.items() if path is None or Path(path).parent != root]
    claimed = importlib.metadata.packages_distributions()
    others = {name: sorted(set(claimed.get(name, [])) - {DISTRIBUTION}) for name in PACKAGES}
    others = {name: dists for name, dists in others.items() if dists}
    details: dict[str, object] = {"project_root": str(root), "resolved": where,
                                  "other_distributions": others}
    try:
        dist = importlib.metadata.distribution(DISTRIBUTION)
        details["installed_version"] = dist.version
        editable = _editable_root(dist)
        details["editable_source"] = str(editable) if editable else None
    except importlib.metadata.PackageNotFoundError:
        details["installed_version"] = None
    if elsewhere:
        found = "; ".join(f"{name} -> {where[name] or 'not found'}" for name in elsewhere)
        culprits = sorted({d for name in elsewhere for d in others.get(name, [])})
        fix = (f"pip uninstall {' '.join(culprits)}" if culprits else
               "reinstall logitscope (pip install -e . in the checkout)")
        return Check("packages", FAIL, f"not this project's: {found}", fix=fix, details=details)
    if details.get("installed_version") is None:
        return Check("packages", WARN, f"{', '.join(PACKAGES)} come from {root}, but the "
                     "logitscope distribution is not installed", fix="pip install -e .",
                     details=details)
    if others:
        listed = "; ".join(f"{name} also provided by {', '.join(d)}" for name, d in others.items())
        return Check("packages", WARN, f"all resolve to {root}, but {listed}",
                     fix=f"pip uninstall {' '.join(sorted({d for v in others.values() for d in v}))}",
                     details=details)
    return Check("packages", OK, f"{', '.join(PACKAGES)} resolve to {root}", details=details)
