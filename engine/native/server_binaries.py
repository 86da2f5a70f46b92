"""Where llama.cpp's `llama-server` and RPC worker live once engine/native/build_server.py built them.

The remote-engine tests, the scale-out demo and users' scripts need the two binaries built from
the llama.cpp source that the pinned llama-cpp-python vendors, compiled for this machine the way
install.py compiles the library (same build plan: `-march=native`, the AMX decision, the user's
CMAKE_ARGS). They are cached under `~/.cache/logitscope/llama-server/<key>/bin/` (or
`$LOGITSCOPE_SERVER_CACHE`), keyed by everything that shapes them, so a build made for another
CPU or with other CMAKE_ARGS is never handed back. `server_binaries()` only reads that cache
(it never builds); `$LOGITSCOPE_LLAMA_SERVER_BIN` names a folder of one's own build instead.

Standard library only: build_server.py imports it by path before anything is installed.
"""

from __future__ import annotations

import hashlib
import json
import os
import sysconfig
from pathlib import Path
from typing import NamedTuple

if __package__ in (None, ""):  # imported by build_server.py run by path: siblings are top-level
    import build_plan
    import wheelhouse
else:
    from . import build_plan, wheelhouse

KEY_VERSION = 1  # bump when the key's ingredients or the build's fixed options change
SERVER_NAME = "llama-server"
# The RPC worker's CMake target and file: `ggml-rpc-server` since llama.cpp renamed it, before
# that `rpc-server`. Either is accepted in a folder; the build asks the source which it has.
RPC_NAMES = ("ggml-rpc-server", "rpc-server")
ENV_CACHE = "LOGITSCOPE_SERVER_CACHE"
ENV_BIN = "LOGITSCOPE_LLAMA_SERVER_BIN"
RECORD_NAME = "build.json"

# Before the plan's arguments (the user may override them): a self-contained, offline build of
# only what the two binaries need. The server's web UI would be downloaded from Hugging Face at
# build time (LLAMA_USE_PREBUILT_UI); logitscope talks to its API, so the UI stays out.
DEFAULT_CMAKE_ARGS = (
    "-DCMAKE_BUILD_TYPE=Release",
    "-DBUILD_SHARED_LIBS=OFF",
    "-DLLAMA_BUILD_TESTS=OFF",
    "-DLLAMA_BUILD_EXAMPLES=OFF",
    "-DLLAMA_BUILD_APP=OFF",
    "-DLLAMA_BUILD_UI=OFF",
    "-DLLAMA_USE_PREBUILT_UI=OFF",
    "-DLLAMA_OPENSSL=OFF",
    # a user's -DBUILD_SHARED_LIBS=ON: the libraries are copied beside the binaries
    "-DCMAKE_BUILD_RPATH=$ORIGIN",
)
# After them: what makes it a server build with RPC at all.
REQUIRED_CMAKE_ARGS = (
    "-DGGML_RPC=ON",
    "-DLLAMA_BUILD_COMMON=ON",
    "-DLLAMA_BUILD_TOOLS=ON",
    "-DLLAMA_BUILD_SERVER=ON",
)


class ServerBinaries(NamedTuple):
    llama_server: Path
    rpc_server: Path

    @property
    def bin_dir(self) -> Path:
        return self.llama_server.parent


def cache_root() -> Path:
    override = os.environ.get(ENV_CACHE)
    return Path(override) if override else wheelhouse.user_cache_dir() / "llama-server"


def server_cmake_args(plan_cmake_args: list[str]) -> list[str]:
    """The whole CMake argument list: defaults, the plan's (the user's CMAKE_ARGS and the AMX
    decision, as install.py passes them to llama-cpp-python), then the required options."""
    return [*DEFAULT_CMAKE_ARGS, *plan_cmake_args, *REQUIRED_CMAKE_ARGS]


def server_key(requirement: str, plan_record: dict, cpu: dict) -> str:
    """A hash of everything that shapes the binaries. Unlike the wheel's key, no Python version:
    the binaries do not link Python."""
    ingredients = {
        "key_version": KEY_VERSION,
        "requirement": requirement,
        "platform": sysconfig.get_platform(),
        "cmake_args": server_cmake_args(list(plan_record["cmake_args"])),
        "plan": {k: plan_record.get(k) for k in ("amx", "compiler", "compiler_version",
                                                 "arch_flags", "fix_header_sha256")},
        "cpu": wheelhouse.build_target(cpu),
    }
    return hashlib.sha256(json.dumps(ingredients, sort_keys=True).encode()).hexdigest()


def slot(key: str) -> Path:
    return cache_root() / key[:24]


def bin_dir(key: str) -> Path:
    return slot(key) / "bin"


def executable(folder: Path, name: str) -> Path | None:
    for candidate in (folder / name, folder / f"{name}.exe"):
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return candidate
    return None


def find_in(folder: Path) -> ServerBinaries | None:
    """Both binaries in `folder`, else None."""
    server = executable(folder, SERVER_NAME)
    rpc = next((found for name in RPC_NAMES if (found := executable(folder, name))), None)
    return ServerBinaries(server, rpc) if server and rpc else None


def host_key(requirement: str) -> str:
    """The key for this machine and the current CMAKE_ARGS (runs the compiler: a fraction of a
    second, longer where the AMX probe runs)."""
    plan = build_plan.plan_build()
    cpu = wheelhouse.cpu_identity(build_plan.native_isa(plan.compiler or None))
    return server_key(requirement, plan.as_record(), cpu)


def pinned_requirement() -> str:
    if __package__ in (None, ""):
        import install
    else:
        from . import install
    return install.pinned_requirement()


def server_binaries() -> ServerBinaries | None:
    """The binaries for this machine: `$LOGITSCOPE_LLAMA_SERVER_BIN` if set, else the build
    cached for this host's key; None when not built (run engine/native/build_server.py)."""
    override = os.environ.get(ENV_BIN)
    if override:
        return find_in(Path(override))
    return find_in(bin_dir(host_key(pinned_requirement())))
