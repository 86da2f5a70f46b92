"""Run the doctor's checks in order: the build first, the model self-test last."""

from __future__ import annotations

from ..errors import EngineError
from ..local import LocalBackend
from ..types import ModelConfig
from .checks import build_record_check, default_model_check, llama_build_check, paths_check
from .packages import packages_check
from .report import FAIL, Check, DoctorReport
from .self_test import self_test_check


def run_doctor(self_test: bool = True, model_path: str | None = None) -> DoctorReport:
    checks: list[Check] = [packages_check(), paths_check()]
    model_check = default_model_check()
    checks.append(model_check)
    path = model_path or (model_check.details.get("path") if model_check.status != FAIL else None)
    backend = LocalBackend(ModelConfig(model_path=path or ""))
    try:
        info, error = None, None
        try:
            info = backend.system_info()
        except EngineError as exc:
            error = exc
        checks.append(llama_build_check(info, error))
        checks.append(build_record_check(info))
        if self_test and path:
            checks.append(self_test_check(backend, path))
    finally:
        backend.close()
    return DoctorReport(tuple(checks))
