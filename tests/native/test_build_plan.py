"""The native build plan: CMAKE_ARGS handling, and the AMX probe and fix on this host's compiler.

A CPU without AMX cannot run the AMX path, so the probe is compiled for Sapphire Rapids
(-march=sapphirerapids); on such a CPU `ldtilecfg` raises SIGILL and the probe reads what the
instruction was given from the stack. On an AMX CPU the same tests run the instruction for real.
"""

from __future__ import annotations

import platform
import shutil
import subprocess

import pytest

from engine.native import build_plan, wheelhouse

SPR = ["-march=sapphirerapids"]
x86_gcc = pytest.mark.skipif(
    platform.machine().lower() not in ("x86_64", "amd64")
    or not (shutil.which("c++") or shutil.which("g++"))
    or subprocess.run([shutil.which("c++") or "g++", *SPR, "-E", "-x", "c++", "/dev/null"],
                      capture_output=True).returncode != 0,
    reason="needs an x86-64 C++ compiler that knows -march=sapphirerapids",
)


def cxx() -> str:
    return build_plan.find_cxx_compiler([])


def test_cmake_defines_are_read_and_flags_merged_not_overwritten():
    args = ["-DGGML_CUDA=on", "-DCMAKE_CXX_FLAGS:STRING=-g -O1", "-D", "GGML_NATIVE=OFF"]
    assert build_plan.cmake_define(args, "GGML_CUDA") == "on"
    assert build_plan.cmake_define(args, "CMAKE_CXX_FLAGS") == "-g -O1"
    assert not build_plan.is_on(build_plan.cmake_define(args, "GGML_NATIVE"), default=True)
    assert build_plan.is_on(None, default=True)
    merged = build_plan.append_flags(args, "CMAKE_CXX_FLAGS", ["-mno-amx-tile"])
    assert merged.count("-DGGML_CUDA=on") == 1
    assert build_plan.cmake_define(merged, "CMAKE_CXX_FLAGS") == "-g -O1 -mno-amx-tile"
    assert [a for a in merged if "CXX_FLAGS" in a] == ["-DCMAKE_CXX_FLAGS=-g -O1 -mno-amx-tile"]


def test_arch_flags_follow_ggml_native_and_the_amx_switches():
    assert build_plan.arch_flags_for([]) == ["-march=native"]
    assert build_plan.arch_flags_for(["-DGGML_NATIVE=OFF"]) == []
    flags = build_plan.arch_flags_for(["-DGGML_NATIVE=OFF", "-DGGML_AMX_INT8=ON", "-DGGML_AMX_TILE=1"])
    assert "-mamx-int8" in flags and "-mamx-tile" in flags


def test_other_architectures_pass_cmake_args_through_untouched():
    plan = build_plan.plan_build('-DGGML_METAL=on -DCMAKE_CXX_FLAGS="-O2 -g"', machine="arm64")
    assert plan.amx == build_plan.AMX_NOT_X86
    assert plan.cmake_args == ["-DGGML_METAL=on", "-DCMAKE_CXX_FLAGS=-O2 -g"]


@x86_gcc
def test_the_fix_header_makes_the_probe_see_the_whole_configuration():
    assert build_plan.run_probe(cxx(), SPR, fix_header=True) == "kept"


@x86_gcc
def test_the_probe_notices_a_configuration_that_never_reaches_ldtilecfg(tmp_path):
    """A loadconfig that loads some other (zeroed) configuration must read as dropped."""
    sabotage = tmp_path / "sabotage.h"
    sabotage.write_text(
        "#include <immintrin.h>\n#undef _tile_loadconfig\n"
        "#define _tile_loadconfig(c) do { alignas(64) static const unsigned char z[64] = {1};"
        " __asm__ volatile(\"ldtilecfg %0\" :: \"m\"(*(const unsigned char(*)[64])z)); } while (0)\n")
    assert build_plan.run_probe(cxx(), [*SPR, "-include", str(sabotage)], fix_header=False) == "dropped"


@x86_gcc
def test_an_amx_build_is_planned_with_amx_kept_and_only_when_a_probe_passed():
    plan = build_plan.plan_build("-DGGML_CUDA=on", machine="x86_64", arch_flags=SPR)
    as_is = build_plan.run_probe(cxx(), SPR, fix_header=False)
    if as_is == "kept":  # a compiler without the bug (GCC 14+, clang)
        assert plan.amx == build_plan.AMX_COMPILER_OK and not plan.uses_fix_header
    else:  # GCC 12: the stores are dropped, the header fixes them
        assert as_is == "dropped"
        assert plan.amx == build_plan.AMX_FIXED and plan.uses_fix_header
        cxx_flags = build_plan.cmake_define(plan.cmake_args, "CMAKE_CXX_FLAGS")
        assert cxx_flags == f"-include {build_plan.FIX_PLACEHOLDER}"
        assert build_plan.cmake_define(plan.cmake_args, "CMAKE_C_FLAGS") is None
    assert "-DGGML_CUDA=on" in plan.cmake_args


@x86_gcc
def test_amx_switched_off_by_the_user_needs_no_probe():
    plan = build_plan.plan_build(
        "-DCMAKE_CXX_FLAGS='-mno-amx-tile -mno-amx-int8 -mno-amx-bf16'", machine="x86_64",
        arch_flags=SPR)
    assert plan.amx == build_plan.AMX_NOT_GENERATED


def test_the_wheel_cache_key_changes_with_everything_that_shapes_the_binary():
    base = build_plan.plan_build("", machine="arm64").as_record()
    cuda = build_plan.plan_build("-DGGML_CUDA=on", machine="arm64").as_record()
    cpu = wheelhouse.cpu_identity(["__AVX2__"])
    key = wheelhouse.cache_key("llama-cpp-python==0.3.36", base, cpu)
    assert key == wheelhouse.cache_key("llama-cpp-python==0.3.36", base, cpu)
    assert key != wheelhouse.cache_key("llama-cpp-python==0.3.36", cuda, cpu)
    assert key != wheelhouse.cache_key("llama-cpp-python==0.3.37", base, cpu)
    assert key != wheelhouse.cache_key("llama-cpp-python==0.3.36", {**base, "compiler_version": "gcc 14"}, cpu)
    assert key != wheelhouse.cache_key("llama-cpp-python==0.3.36", base, {**cpu, "model name": "other"})


def test_the_key_follows_the_instruction_sets_not_the_kernels_flags_line():
    plan = build_plan.plan_build("", machine="arm64").as_record()
    cpu = {"machine": "x86_64", "model name": "Xeon", "native_isa": ["__AVX2__", "__AVX512F__"],
           "flags": "avx2 avx512f ibrs"}
    key = wheelhouse.cache_key("llama-cpp-python==0.3.36", plan, cpu)
    patched_kernel = {**cpu, "flags": "avx2 avx512f ibrs ssbd"}  # a mitigation flag appears
    assert wheelhouse.cache_key("llama-cpp-python==0.3.36", plan, patched_kernel) == key
    masked_vm = {**cpu, "native_isa": ["__AVX2__"]}  # the hypervisor hides AVX-512
    assert wheelhouse.cache_key("llama-cpp-python==0.3.36", plan, masked_vm) != key
    no_compiler = {**cpu, "native_isa": None}  # then the flags line is all we have
    assert wheelhouse.build_target(no_compiler)["flags"] == cpu["flags"]


@x86_gcc
def test_native_isa_names_what_march_native_enables_here():
    isa = build_plan.native_isa(cxx())
    assert isa and "__SSE2__" not in isa  # x86-64's baseline is not an addition
    flags = set(wheelhouse.cpu_identity().get("flags", "").split())
    assert ("__AVX2__" in isa) == ("avx2" in flags)
