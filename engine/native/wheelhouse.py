"""logitscope's own cache of llama-cpp-python wheels, keyed by everything that shapes the binary.

pip's wheel cache keys a wheel built from an sdist by the sdist's URL alone: a wheel built once
comes back whatever CMAKE_ARGS say the next time (a CPU wheel when CUDA was asked for), and a
`-march=native` wheel built on one CPU comes back on another (a shared home, a copied cache)
where it may not run. This cache keys a wheel by the llama-cpp-python version, the Python and
platform, the final CMAKE_ARGS, the fix header's contents, the compiler, this CPU's model and the
instruction sets `-march=native` enables on it. Standard library only.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import subprocess
import sys
import sysconfig
from pathlib import Path

KEY_VERSION = 2  # bump when the key's ingredients change


def user_cache_dir() -> Path:
    """logitscope's folder in the platform's user cache (platformdirs' choice, without it: this
    runs before anything is installed); the native builds keep their caches under it."""
    if sys.platform == "darwin":
        base = Path.home() / "Library" / "Caches"
    elif os.name == "nt":
        base = Path(os.environ.get("LOCALAPPDATA", Path.home() / "AppData" / "Local"))
    else:
        base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "logitscope"


def cache_root() -> Path:
    override = os.environ.get("LOGITSCOPE_WHEEL_CACHE")
    return Path(override) if override else user_cache_dir() / "llama-cpp-python"


def cpu_identity(native_isa: list[str] | None = None) -> dict:
    """This CPU: its model, its feature flags, and `native_isa`, the instruction sets the compiler's
    `-march=native` enables here (build_plan.native_isa), which is what a native binary uses."""
    identity: dict = {"machine": platform.machine(), "processor": platform.processor(),
                      "native_isa": native_isa}
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as handle:
            for line in handle:
                key, _, value = line.partition(":")
                key = key.strip()
                if key in ("model name", "flags", "Features", "CPU implementer", "CPU part"):
                    identity.setdefault(key, " ".join(sorted(value.split())) if key in
                                        ("flags", "Features") else value.strip())
    except OSError:
        pass
    if sys.platform == "darwin":
        for name in ("machdep.cpu.brand_string", "machdep.cpu.features"):
            try:
                out = subprocess.run(["sysctl", "-n", name], capture_output=True, text=True,
                                     timeout=10)
                identity[name] = out.stdout.strip()
            except OSError:
                pass
    return identity


def build_target(identity: dict) -> dict:
    """What of a CPU identity shapes a native binary. The compiler's view of `-march=native` where
    known: the kernel's flags line also lists mitigations and virtual features (`ibrs`, `ssbd`)
    that a kernel update changes without changing what the binary may run."""
    target = {"machine": identity.get("machine"), "model": identity.get("model name") or
              identity.get("machdep.cpu.brand_string") or identity.get("processor")}
    if identity.get("native_isa"):
        target["native_isa"] = identity["native_isa"]
    else:
        target["flags"] = identity.get("flags") or identity.get("Features") or \
            identity.get("machdep.cpu.features")
    return target


def cache_key(requirement: str, plan_record: dict, cpu: dict) -> str:
    ingredients = {
        "key_version": KEY_VERSION,
        "requirement": requirement,
        "python": f"{sys.implementation.name}-{sys.version_info[0]}.{sys.version_info[1]}",
        "platform": sysconfig.get_platform(),
        "plan": {k: plan_record[k] for k in ("cmake_args", "amx", "compiler", "compiler_version",
                                             "arch_flags", "fix_header_sha256")},
        "cpu": build_target(cpu),
    }
    blob = json.dumps(ingredients, sort_keys=True).encode()
    return hashlib.sha256(blob).hexdigest()


def slot(key: str) -> Path:
    return cache_root() / key[:24]


def cached_wheel(key: str) -> Path | None:
    wheels = sorted(slot(key).glob("llama_cpp_python-*.whl"))
    return wheels[-1] if wheels else None
