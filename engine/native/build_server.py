"""Build llama.cpp's `llama-server` and RPC worker from the source the pinned llama-cpp-python vendors.

    python engine/native/build_server.py               # build once (cached), print the paths
    python engine/native/build_server.py --print-path  # only the bin folder on stdout, for scripts
    CMAKE_ARGS="-DGGML_CUDA=on" python engine/native/build_server.py   # a CUDA server
    python engine/native/build_server.py --rebuild     # ignore the cached build

logitscope's remote engine speaks llama.cpp's server; its tests, and the scale-out recipe in
docs/scale-out.md (`llama-server --rpc` over RPC workers), need the server built from the same
llama.cpp as the library, so that local and remote numbers are comparable. This script fetches
the pinned sdist with pip (pip's cache makes that quick), extracts `vendor/llama.cpp`, configures
it with `-DGGML_RPC=ON -DLLAMA_BUILD_SERVER=ON` and the build plan install.py uses (so the
binaries run on this CPU, AMX fix included, and the user's CMAKE_ARGS pass through), builds only
the two targets, and keeps them in the cache engine/native/server_binaries.py reads. A second run
with the same settings finds them and takes about a second.

Standard library only, and runnable by path before anything is installed.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

if __package__ in (None, ""):  # run by path: the sibling modules are top-level here
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import build_plan
    import install
    import server_binaries
    import wheelhouse
else:
    from . import build_plan, install, server_binaries, wheelhouse

VENDORED = "vendor/llama.cpp"


def say(text: str) -> None:
    print(f"[logitscope server build] {text}", file=sys.stderr, flush=True)


def default_jobs() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # macOS, Windows
        return max(1, os.cpu_count() or 1)


def download_sdist(requirement: str, destination: Path) -> Path:
    """The sdist of `requirement`, through pip (its HTTP cache serves a repeat download)."""
    command = [sys.executable, "-m", "pip", "download", "--no-binary", ":all:", "--no-deps",
               requirement, "-d", str(destination)]
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"[logitscope server build] could not download {requirement}'s sdist:\n"
                         f"{done.stdout}{done.stderr}")
    found = sorted(destination.glob("llama_cpp_python-*.tar.gz"))
    if not found:
        raise SystemExit(f"[logitscope server build] pip downloaded no sdist into {destination}")
    return found[-1]


def extract_vendored(sdist: Path, destination: Path) -> Path:
    """Extract only `<top>/vendor/llama.cpp/` from the sdist; returns the llama.cpp folder."""
    with tarfile.open(sdist) as archive:
        members = [m for m in archive.getmembers()
                   if m.name.partition("/")[2].startswith(VENDORED + "/")]
        if not members:
            raise SystemExit(f"[logitscope server build] {sdist.name} holds no {VENDORED}")
        archive.extractall(destination, members=members, filter="data")
    top = members[0].name.partition("/")[0]
    return destination / top / VENDORED


def rpc_target(source: Path) -> str:
    """The RPC worker's CMake target in this source (`ggml-rpc-server`, formerly `rpc-server`)."""
    cmake = (source / "tools" / "rpc" / "CMakeLists.txt")
    if not cmake.is_file():
        cmake = source / "examples" / "rpc" / "CMakeLists.txt"
    match = re.search(r"set\(TARGET\s+([\w.-]+)\)", cmake.read_text(encoding="utf-8"))
    if not match:
        raise SystemExit(f"[logitscope server build] no RPC target found in {cmake}")
    return match.group(1)


def configure_command(source: Path, build: Path, cmake_args: list[str]) -> list[str]:
    generator = ["-G", "Ninja"] if shutil.which("ninja") and not os.environ.get("CMAKE_GENERATOR") else []
    return ["cmake", "-S", str(source), "-B", str(build), *generator, *cmake_args]


def build_command(build: Path, targets: list[str], jobs: int) -> list[str]:
    return ["cmake", "--build", str(build), "--config", "Release", "--target", *targets,
            "-j", str(jobs)]


def run_logged(command: list[str], log_path: Path) -> None:
    with open(log_path, "a", encoding="utf-8") as log:
        log.write(f"$ {' '.join(command)}\n")
        log.flush()
        code = subprocess.run(command, stdout=log, stderr=subprocess.STDOUT).returncode
    if code != 0:
        tail = log_path.read_text(encoding="utf-8", errors="replace").splitlines()[-40:]
        print("\n".join(tail), file=sys.stderr)
        raise SystemExit(f"[logitscope server build] `{command[0]} {command[1]}` failed "
                         f"(exit {code}); the full log is {log_path}")


def collect(build_bin: Path, names: list[str], destination: Path) -> None:
    """The two executables, and any shared libraries a user's BUILD_SHARED_LIBS=ON made."""
    destination.mkdir(parents=True)
    for path in sorted(build_bin.iterdir()):
        is_library = ".so" in path.name or path.suffix in (".dylib", ".dll")
        if path.is_file() and (path.name in names or path.stem in names or is_library):
            shutil.copy2(path, destination / path.name)


def build(requirement: str, plan: build_plan.BuildPlan, key: str, jobs: int,
          sdist: Path | None) -> server_binaries.ServerBinaries:
    slot = server_binaries.slot(key)
    slot.mkdir(parents=True, exist_ok=True)
    log_path = slot / "build.log"
    log_path.write_text("", encoding="utf-8")
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="logitscope-server-build-") as tmp:
        work = Path(tmp)
        sdist = sdist or download_sdist(requirement, work / "sdist")
        source = extract_vendored(sdist, work / "src")
        header = work / build_plan.FIX_HEADER.name  # a path without spaces, for CMake
        shutil.copyfile(build_plan.FIX_HEADER, header)
        cmake_args = server_binaries.server_cmake_args(plan.cmake_args_for_build(header))
        targets = [server_binaries.SERVER_NAME, rpc_target(source)]
        say(f"building {' and '.join(targets)} from {requirement}'s {VENDORED} with {jobs} jobs "
            f"(about 11 minutes on 2 cores); CMake arguments: {' '.join(cmake_args)}; log: {log_path}")
        run_logged(configure_command(source, work / "build", cmake_args), log_path)
        run_logged(build_command(work / "build", targets, jobs), log_path)
        staging = slot / "bin.partial"
        shutil.rmtree(staging, ignore_errors=True)
        collect(work / "build" / "bin", targets, staging)
    shutil.rmtree(server_binaries.bin_dir(key), ignore_errors=True)
    staging.rename(server_binaries.bin_dir(key))
    found = server_binaries.find_in(server_binaries.bin_dir(key))
    if found is None:
        raise SystemExit(f"[logitscope server build] the build made no {' and '.join(targets)}; "
                         f"see {log_path}")
    minutes = (time.monotonic() - started) / 60
    (slot / server_binaries.RECORD_NAME).write_text(json.dumps({
        "key": key, "requirement": requirement, "cmake_args": plan.cmake_args,
        "targets": targets, "jobs": jobs, "build_minutes": round(minutes, 2),
        "built_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), **plan.as_record(),
    }, indent=2), encoding="utf-8")
    say(f"built in {minutes:.1f} min")
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="engine/native/build_server.py",
                                     description="Build llama-server and the RPC worker for this machine.")
    parser.add_argument("--print-path", action="store_true",
                        help="print only the folder holding the binaries (building them if needed)")
    parser.add_argument("--rebuild", action="store_true", help="ignore the cached build")
    parser.add_argument("--jobs", "-j", type=int, default=default_jobs(), help="parallel compile jobs")
    parser.add_argument("--sdist", type=Path, help="a llama-cpp-python sdist to build from "
                        "instead of pip's download")
    options = parser.parse_args(argv)

    requirement = install.pinned_requirement()
    plan = build_plan.plan_build()
    cpu = wheelhouse.cpu_identity(build_plan.native_isa(plan.compiler or None))
    key = server_binaries.server_key(requirement, plan.as_record(), cpu)
    found = None if options.rebuild else server_binaries.find_in(server_binaries.bin_dir(key))
    if found is not None:
        say(f"cached for this machine with these settings: {found.bin_dir}")
    else:
        for note in plan.notes:
            say(note)
        found = build(requirement, plan, key, max(1, options.jobs), options.sdist)
    if options.print_path:
        print(found.bin_dir)
    else:
        print(f"llama-server: {found.llama_server}")
        print(f"rpc-server:   {found.rpc_server}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
