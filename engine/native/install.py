"""Build and install llama-cpp-python so that it runs on this machine.

    python engine/native/install.py              # before `pip install -e .` (the README does it)
    CMAKE_ARGS="-DGGML_CUDA=on" python engine/native/install.py   # a GPU build, likewise Metal
    python engine/native/install.py --rebuild    # ignore every cached wheel
    python engine/native/install.py --plan       # print the build plan as JSON, build nothing

Run it with the Python of the environment to install into. It reads the pinned version from
pyproject.toml, decides the build for this host (engine/native/build_plan.py), reuses a wheel
from logitscope's own cache only when everything that shapes the binary matches
(engine/native/wheelhouse.py), else builds one with pip (`--no-cache-dir`, from the sdist), installs
it, removes llama-cpp-python wheels from pip's own cache (which ignores CMAKE_ARGS and would hand
a stale wheel to the next plain `pip install`), and writes the build record that `logitscope
doctor` reads. A second run with the same settings takes seconds.

Standard library only, and runnable by path before anything is installed.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

if __package__ in (None, ""):  # run by path: the sibling modules are top-level here
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import build_plan
    import build_record
    import wheelhouse
else:
    from . import build_plan, build_record, wheelhouse

PROJECT_ROOT = Path(__file__).resolve().parents[2]
FALLBACK_REQUIREMENT = "llama-cpp-python==0.3.36"  # when run from an installed copy


def pinned_requirement() -> str:
    """The llama-cpp-python pin in pyproject.toml: the single source of the version."""
    try:
        import tomllib

        with open(PROJECT_ROOT / "pyproject.toml", "rb") as handle:
            deps = tomllib.load(handle)["project"]["dependencies"]
    except (OSError, KeyError, ValueError, ImportError):
        return FALLBACK_REQUIREMENT
    for dep in deps:
        if dep.replace("_", "-").lower().startswith("llama-cpp-python"):
            return dep
    return FALLBACK_REQUIREMENT


def say(text: str) -> None:
    print(f"[logitscope native] {text}", flush=True)


def pip(*args: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pip", *args], **kwargs)


def build_wheel(requirement: str, plan: build_plan.BuildPlan, destination: Path) -> Path:
    """Compile the wheel from the sdist with the plan's CMAKE_ARGS; pip's cache is never used."""
    destination.mkdir(parents=True, exist_ok=True)
    log_path = destination / "build.log"
    with tempfile.TemporaryDirectory(prefix="logitscope-native-") as tmp:
        header = Path(tmp) / build_plan.FIX_HEADER.name  # a path without spaces, for CMake
        shutil.copyfile(build_plan.FIX_HEADER, header)
        cmake_args = shlex.join(plan.cmake_args_for_build(header))
        env = dict(os.environ, CMAKE_ARGS=cmake_args)
        out_dir = Path(tmp) / "wheel"
        say(f"building {requirement} from source for this machine (about 11 minutes on 2 "
            f"cores); CMAKE_ARGS={cmake_args!r}; full log: {log_path}")
        command = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-cache-dir",
                   "--no-binary", "llama-cpp-python", "-v", requirement, "-w", str(out_dir)]
        started = time.monotonic()
        with open(log_path, "w", encoding="utf-8") as log:
            process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
            done = threading.Event()

            def heartbeat() -> None:
                while not done.wait(60):
                    say(f"still compiling ({(time.monotonic() - started) / 60:.0f} min)")

            threading.Thread(target=heartbeat, daemon=True).start()
            code = process.wait()
            done.set()
        if code != 0:
            tail = log_path.read_text(encoding="utf-8", errors="replace").splitlines()[-40:]
            print("\n".join(tail), file=sys.stderr)
            raise SystemExit(f"[logitscope native] the build failed (exit {code}); "
                             f"the full log is {log_path}")
        wheels = sorted(out_dir.glob("llama_cpp_python-*.whl"))
        if not wheels:
            raise SystemExit(f"[logitscope native] pip made no wheel; see {log_path}")
        final = destination / wheels[-1].name
        shutil.move(str(wheels[-1]), final)
        say(f"built {final.name} in {(time.monotonic() - started) / 60:.1f} min")
        return final


def install_wheel(wheel: Path) -> None:
    say(f"installing {wheel}")
    pip("install", "--no-deps", "--force-reinstall", "--no-cache-dir", str(wheel), check=True)
    pip("install", "--no-cache-dir", str(wheel), check=True)  # its own dependencies, if missing


def forget_pip_cached_wheels() -> None:
    """pip's cache hands back a wheel built once, whatever CMAKE_ARGS say next time."""
    pip("cache", "remove", "llama_cpp_python", capture_output=True)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="engine/native/install.py",
                                     description="Build and install llama-cpp-python for this machine.")
    parser.add_argument("--rebuild", action="store_true", help="ignore every cached wheel")
    parser.add_argument("--plan", action="store_true", help="print the build plan as JSON and exit")
    options = parser.parse_args(argv)

    requirement = pinned_requirement()
    plan = build_plan.plan_build()
    plan_record = plan.as_record()
    cpu = wheelhouse.cpu_identity(build_plan.native_isa(plan.compiler or None))
    key = wheelhouse.cache_key(requirement, plan_record, cpu)
    if options.plan:
        print(json.dumps({"requirement": requirement, "key": key, **plan_record}, indent=2))
        return 0
    say(f"{requirement}; AMX: {plan.amx}; compiler: {plan.compiler_version}")
    for note in plan.notes:
        say(note)

    record = build_record.read_record()
    if (not options.rebuild and record and record.get("key") == key
            and record.get("library_fingerprint") == build_record.installed_library_fingerprint()):
        say("already installed for this machine with these settings; nothing to do")
        return 0

    wheel = None if options.rebuild else wheelhouse.cached_wheel(key)
    if wheel is not None:
        say(f"reusing {wheel} (built for this machine with these settings)")
    else:
        wheel = build_wheel(requirement, plan, wheelhouse.slot(key))
    install_wheel(wheel)
    forget_pip_cached_wheels()
    path = build_record.write_record({
        "key": key,
        "requirement": requirement,
        "wheel": wheel.name,
        "wheel_sha256": sha256(wheel),
        "library_fingerprint": build_record.installed_library_fingerprint(),
        "cpu": cpu,
        "installed_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "python": sys.executable,
        **plan_record,
    })
    say(f"done; build record: {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
