"""Decide how llama-cpp-python must be compiled so that the binary runs on this host.

pip compiles llama.cpp with `-march=native`: whatever the compiler and this CPU enable is used.
On an x86-64 CPU with AMX, a compiler whose `_tile_loadconfig` intrinsic under-declares its
memory input (GCC 12, Debian 12's default) drops the stores that fill the tile configuration in
llama.cpp's AMX kernels, and the first prompt evaluation dies of SIGILL. So, on x86-64:

1. ask the compiler, with the build's own flags, whether AMX code generation is on at all;
2. if it is, compile and run engine/native/amx_probe.cpp, which mirrors llama.cpp's code;
3. if the probe shows the configuration dropped, force-include amx_tile_config_fix.h into the C++
   sources (the same instruction, told that it reads 64 bytes) and probe again;
4. keep AMX only when a probe says "kept"; otherwise switch AMX code generation off.

Everything else (CUDA, Metal, the user's own flags) passes through unchanged from CMAKE_ARGS.
Standard library only: this runs before anything is installed (engine/native/install.py).
"""

from __future__ import annotations

import hashlib
import os
import platform
import shlex
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
PROBE_SOURCE = HERE / "amx_probe.cpp"
FIX_HEADER = HERE / "amx_tile_config_fix.h"
FIX_PLACEHOLDER = "@AMX_TILE_CONFIG_FIX@"  # replaced by a real path only for the build itself

# Every AMX code-generation switch GCC and clang know; the ones a compiler rejects are skipped.
AMX_OFF_FLAGS = ("-mno-amx-tile", "-mno-amx-int8", "-mno-amx-bf16", "-mno-amx-fp16",
                 "-mno-amx-complex")

# Outcomes, recorded in the build record and shown by `logitscope doctor`.
AMX_NOT_X86 = "not-x86"            # no x86 AMX on this architecture
AMX_NOT_GENERATED = "not-generated"  # the compiler does not emit AMX code for these flags
AMX_COMPILER_OK = "kept"            # AMX kept: this compiler fills the configuration correctly
AMX_FIXED = "kept-with-fix"         # AMX kept: the fix header makes the compiler fill it
AMX_DISABLED = "disabled"           # AMX switched off: no probe could show a correct build

_FALSE = {"off", "0", "false", "no", "n", "ignore", "notfound"}


@dataclass
class BuildPlan:
    """What the installer passes to llama-cpp-python's build, and why."""

    cmake_args: list[str]
    amx: str
    compiler: str
    compiler_version: str
    arch_flags: list[str]
    uses_fix_header: bool = False
    notes: list[str] = field(default_factory=list)

    def cmake_args_for_build(self, fix_header_path: Path) -> list[str]:
        return [arg.replace(FIX_PLACEHOLDER, str(fix_header_path)) for arg in self.cmake_args]

    def as_record(self) -> dict:
        return {
            "cmake_args": self.cmake_args,
            "amx": self.amx,
            "compiler": self.compiler,
            "compiler_version": self.compiler_version,
            "arch_flags": self.arch_flags,
            "uses_fix_header": self.uses_fix_header,
            "fix_header_sha256": file_sha256(FIX_HEADER) if self.uses_fix_header else None,
            "notes": self.notes,
        }


def file_sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# ----- reading the user's CMAKE_ARGS ---------------------------------------------------------

def cmake_define(args: list[str], name: str) -> str | None:
    """The last value given to -D<name>[:TYPE]=VALUE (or "-D <name>=VALUE"), else None."""
    value = None
    for i, arg in enumerate(args):
        if arg == "-D" and i + 1 < len(args):
            arg = "-D" + args[i + 1]
        if not arg.startswith("-D"):
            continue
        key, sep, rest = arg[2:].partition("=")
        if sep and key.split(":")[0] == name:
            value = rest
    return value


def is_on(value: str | None, default: bool) -> bool:
    if value is None:
        return default
    return value.strip().lower() not in _FALSE


def append_flags(args: list[str], name: str, extra: list[str]) -> list[str]:
    """Add flags to -D<name>, keeping the user's own flags (and the user's other arguments)."""
    current = cmake_define(args, name)
    kept = [a for a in args if cmake_define([a], name) is None]
    joined = " ".join(part for part in [current or "", *extra] if part)
    return [*kept, f"-D{name}={joined}"]


# ----- the compiler ---------------------------------------------------------------------------

def find_cxx_compiler(args: list[str]) -> str | None:
    """The C++ compiler CMake will pick: -DCMAKE_CXX_COMPILER, $CXX, then CMake's search order."""
    chosen = cmake_define(args, "CMAKE_CXX_COMPILER") or os.environ.get("CXX")
    if chosen:
        return shutil.which(chosen) or chosen
    for name in ("c++", "g++", "clang++"):
        found = shutil.which(name)
        if found:
            return found
    return None


def compiler_version(cxx: str) -> str:
    try:
        out = subprocess.run([cxx, "--version"], capture_output=True, text=True, timeout=60)
    except OSError:
        return "unknown"
    return (out.stdout.splitlines() or ["unknown"])[0].strip()


def predefined_macros(cxx: str, flags: list[str]) -> set[str]:
    out = subprocess.run([cxx, *flags, "-dM", "-E", "-x", "c++", os.devnull],
                         capture_output=True, text=True, timeout=120)
    if out.returncode != 0:
        return set()
    return {line.split()[1] for line in out.stdout.splitlines() if line.startswith("#define ")}


def native_isa(cxx: str | None) -> list[str] | None:
    """The macros `-march=native` adds for this compiler on this CPU (`__AVX512F__`,
    `__AMX_TILE__`, ...): exactly the instruction sets a native build may use. None without a
    compiler that understands `-march=native`."""
    if not cxx:
        return None
    try:
        native = predefined_macros(cxx, ["-march=native"])
        base = predefined_macros(cxx, [])
    except (OSError, subprocess.SubprocessError):
        return None
    return sorted(native - base) if native else None


def accepted_flags(cxx: str, flags: tuple[str, ...], base: list[str]) -> list[str]:
    accepted = []
    for flag in flags:
        out = subprocess.run([cxx, *base, flag, "-Werror", "-E", "-x", "c++", os.devnull],
                             capture_output=True, text=True, timeout=60)
        if out.returncode == 0:
            accepted.append(flag)
    return accepted


def run_probe(cxx: str, flags: list[str], fix_header: bool) -> str:
    """Compile and run the AMX probe: "kept", "dropped", "inconclusive" or "no-compile: ..."."""
    with tempfile.TemporaryDirectory(prefix="logitscope-amx-probe-") as tmp:
        binary = Path(tmp) / "amx_probe"
        extra = ["-include", str(FIX_HEADER)] if fix_header else []
        verdicts = []
        for level in ("-O2", "-O3"):  # the release build uses -O3; -O2 for good measure
            built = subprocess.run([cxx, *flags, level, *extra, str(PROBE_SOURCE), "-o", str(binary)],
                                   capture_output=True, text=True, timeout=300)
            if built.returncode != 0:
                return "no-compile: " + (built.stderr.strip().splitlines() or ["?"])[-1]
            try:
                ran = subprocess.run([str(binary)], capture_output=True, text=True, timeout=60)
            except subprocess.TimeoutExpired:
                return "inconclusive"
            verdicts.append(ran.stdout.strip() or "inconclusive")
        return "kept" if all(v == "kept" for v in verdicts) else next(v for v in verdicts if v != "kept")


# ----- the plan -------------------------------------------------------------------------------

def arch_flags_for(args: list[str]) -> list[str]:
    """The -m flags llama.cpp's CPU backend will be compiled with, as far as AMX is concerned."""
    if is_on(cmake_define(args, "GGML_NATIVE"), default=True):
        return ["-march=native"]
    flags = []
    if is_on(cmake_define(args, "GGML_AVX512"), default=False):
        flags += ["-mavx512f", "-mavx512bw", "-mavx512vl", "-mavx512dq", "-mavx512cd"]
    if is_on(cmake_define(args, "GGML_AVX512_VNNI"), default=False):
        flags.append("-mavx512vnni")
    for name, flag in (("GGML_AMX_TILE", "-mamx-tile"), ("GGML_AMX_INT8", "-mamx-int8"),
                       ("GGML_AMX_BF16", "-mamx-bf16")):
        if is_on(cmake_define(args, name), default=False):
            flags.append(flag)
    return flags


def plan_build(cmake_args_env: str | None = None, machine: str | None = None,
               arch_flags: list[str] | None = None) -> BuildPlan:
    """The build for this host. `arch_flags` overrides what the build would use (tests use it to
    exercise the AMX path on a CPU without AMX, e.g. ["-march=sapphirerapids"])."""
    raw = os.environ.get("CMAKE_ARGS", "") if cmake_args_env is None else cmake_args_env
    args = shlex.split(raw)
    machine = (machine or platform.machine()).lower()
    cxx = find_cxx_compiler(args)
    version = compiler_version(cxx) if cxx else "no C++ compiler found"
    if machine not in ("x86_64", "amd64", "x64"):
        return BuildPlan(args, AMX_NOT_X86, cxx or "", version, [])
    if cxx is None:
        return BuildPlan(args, AMX_NOT_GENERATED, "", version, [],
                         notes=["no C++ compiler found; the build itself will say so"])
    arch = arch_flags_for(args) if arch_flags is None else list(arch_flags)
    user_flags = shlex.split(cmake_define(args, "CMAKE_CXX_FLAGS") or "")
    flags = [*user_flags, *arch]
    macros = predefined_macros(cxx, flags)
    if not {"__AMX_TILE__", "__AMX_INT8__"} <= macros:
        return BuildPlan(args, AMX_NOT_GENERATED, cxx, version, arch,
                         notes=["the compiler emits no AMX code with these flags"])
    notes = []
    verdict = run_probe(cxx, flags, fix_header=False)
    notes.append(f"AMX probe, compiler as is: {verdict}")
    if verdict == "kept":
        return BuildPlan(args, AMX_COMPILER_OK, cxx, version, arch, notes=notes)
    fixed = run_probe(cxx, flags, fix_header=True)
    notes.append(f"AMX probe, with amx_tile_config_fix.h: {fixed}")
    if fixed == "kept":
        # C++ only: the AMX kernels are C++, and a header force-included into C sources would
        # include <stdlib.h> before their own feature macros (_GNU_SOURCE) are set.
        args = append_flags(args, "CMAKE_CXX_FLAGS", ["-include", FIX_PLACEHOLDER])
        return BuildPlan(args, AMX_FIXED, cxx, version, arch, uses_fix_header=True, notes=notes)
    off = accepted_flags(cxx, AMX_OFF_FLAGS, flags)
    args = append_flags(append_flags(args, "CMAKE_C_FLAGS", off), "CMAKE_CXX_FLAGS", off)
    notes.append("AMX code generation switched off: " + " ".join(off))
    return BuildPlan(args, AMX_DISABLED, cxx, version, arch, notes=notes)
