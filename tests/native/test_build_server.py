"""The llama-server build's arguments, cache key and paths, without building anything.

engine/native/build_server.py compiles for minutes; these tests check what decides whether it
must (the key), what it passes to CMake, where the binaries land and how they are found.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from engine.native import build_plan, build_server, install, server_binaries

PLAN = {"cmake_args": [], "amx": "not-generated", "compiler": "/usr/bin/c++",
        "compiler_version": "c++ 12.2.0", "arch_flags": ["-march=native"], "fix_header_sha256": None}
CPU = {"machine": "x86_64", "model name": "Some CPU", "native_isa": ["__AVX2__"]}


@pytest.fixture(autouse=True)
def server_cache(tmp_path, monkeypatch) -> Path:
    root = tmp_path / "server-cache"
    monkeypatch.setenv(server_binaries.ENV_CACHE, str(root))
    monkeypatch.delenv(server_binaries.ENV_BIN, raising=False)
    return root


def fake_binaries(folder: Path, rpc_name: str = "ggml-rpc-server") -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name in ("llama-server", rpc_name):
        (folder / name).write_text("#!/bin/sh\n")
        (folder / name).chmod(0o755)


def test_cmake_args_keep_the_users_and_the_plans_flags_between_defaults_and_required_options():
    plan_args = ["-DGGML_CUDA=on", "-DGGML_RPC=OFF", "-DCMAKE_CXX_FLAGS=-include /tmp/fix.h"]
    args = server_binaries.server_cmake_args(plan_args)
    assert args[:len(server_binaries.DEFAULT_CMAKE_ARGS)] == list(server_binaries.DEFAULT_CMAKE_ARGS)
    assert "-DGGML_CUDA=on" in args and "-DCMAKE_CXX_FLAGS=-include /tmp/fix.h" in args
    # the last -D wins in CMake: RPC and the server cannot be switched off by CMAKE_ARGS
    assert build_plan.cmake_define(args, "GGML_RPC") == "ON"
    assert build_plan.cmake_define(args, "LLAMA_BUILD_SERVER") == "ON"
    # the web UI would be downloaded at build time
    assert build_plan.cmake_define(args, "LLAMA_USE_PREBUILT_UI") == "OFF"
    # a user's shared build still gets its own value
    user = server_binaries.server_cmake_args(["-DBUILD_SHARED_LIBS=ON"])
    assert build_plan.cmake_define(user, "BUILD_SHARED_LIBS") == "ON"


def test_the_key_changes_with_everything_that_shapes_the_binaries():
    key = server_binaries.server_key("llama-cpp-python==0.3.36", PLAN, CPU)
    assert key == server_binaries.server_key("llama-cpp-python==0.3.36", dict(PLAN), dict(CPU))
    others = [
        server_binaries.server_key("llama-cpp-python==0.3.37", PLAN, CPU),
        server_binaries.server_key("llama-cpp-python==0.3.36", {**PLAN, "cmake_args": ["-DGGML_CUDA=on"]}, CPU),
        server_binaries.server_key("llama-cpp-python==0.3.36", {**PLAN, "amx": "disabled"}, CPU),
        server_binaries.server_key("llama-cpp-python==0.3.36", {**PLAN, "fix_header_sha256": "ab"}, CPU),
        server_binaries.server_key("llama-cpp-python==0.3.36", {**PLAN, "compiler_version": "g++ 13"}, CPU),
        server_binaries.server_key("llama-cpp-python==0.3.36", PLAN, {**CPU, "native_isa": ["__AVX512F__"]}),
        server_binaries.server_key("llama-cpp-python==0.3.36", PLAN, {**CPU, "model name": "Other CPU"}),
    ]
    assert len({key, *others}) == len(others) + 1
    # notes are explanations, not ingredients
    assert key == server_binaries.server_key("llama-cpp-python==0.3.36", {**PLAN, "notes": ["x"]}, CPU)


def test_the_cache_lives_under_the_user_cache_dir_unless_overridden(monkeypatch, tmp_path, server_cache):
    assert server_binaries.cache_root() == server_cache
    assert server_binaries.bin_dir("ab" * 32) == server_cache / ("ab" * 12) / "bin"
    monkeypatch.delenv(server_binaries.ENV_CACHE)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    if sys.platform.startswith("linux"):
        assert server_binaries.cache_root() == tmp_path / "xdg" / "logitscope" / "llama-server"


@pytest.mark.parametrize("rpc_name", ["ggml-rpc-server", "rpc-server"])
def test_a_folder_with_both_executables_is_found(tmp_path, rpc_name):
    fake_binaries(tmp_path / "bin", rpc_name)
    found = server_binaries.find_in(tmp_path / "bin")
    assert found == (tmp_path / "bin" / "llama-server", tmp_path / "bin" / rpc_name)
    assert found.bin_dir == tmp_path / "bin"


def test_a_missing_or_not_executable_binary_is_not_found(tmp_path):
    fake_binaries(tmp_path / "bin")
    (tmp_path / "bin" / "ggml-rpc-server").chmod(0o644)
    assert server_binaries.find_in(tmp_path / "bin") is None
    (tmp_path / "bin" / "ggml-rpc-server").unlink()
    assert server_binaries.find_in(tmp_path / "bin") is None
    assert server_binaries.find_in(tmp_path / "nowhere") is None


def test_server_binaries_reads_this_hosts_slot_only(monkeypatch, tmp_path):
    assert server_binaries.server_binaries() is None
    key = server_binaries.host_key(install.pinned_requirement())
    fake_binaries(server_binaries.bin_dir(key))
    assert server_binaries.server_binaries() == server_binaries.find_in(server_binaries.bin_dir(key))
    # other CMAKE_ARGS: another key, and the CPU build is not handed back
    monkeypatch.setenv("CMAKE_ARGS", "-DGGML_CUDA=on")
    assert server_binaries.server_binaries() is None
    monkeypatch.setenv(server_binaries.ENV_BIN, str(tmp_path / "own"))
    fake_binaries(tmp_path / "own", "rpc-server")
    assert server_binaries.server_binaries().rpc_server == tmp_path / "own" / "rpc-server"


def test_a_warm_run_prints_the_cached_paths_without_building(monkeypatch, capsys):
    key = server_binaries.host_key(install.pinned_requirement())
    fake_binaries(server_binaries.bin_dir(key))
    monkeypatch.setattr(build_server, "build", lambda *a, **k: pytest.fail("must not build"))
    assert build_server.main(["--print-path"]) == 0
    assert capsys.readouterr().out == f"{server_binaries.bin_dir(key)}\n"
    assert build_server.main([]) == 0
    out = capsys.readouterr().out
    assert f"llama-server: {server_binaries.bin_dir(key) / 'llama-server'}" in out


def test_a_cold_or_rebuild_run_builds_for_this_hosts_key(monkeypatch, capsys, tmp_path):
    calls = []

    def fake_build(requirement, plan, key, jobs, sdist):
        calls.append((requirement, key, jobs, sdist))
        fake_binaries(server_binaries.bin_dir(key))
        return server_binaries.find_in(server_binaries.bin_dir(key))

    monkeypatch.setattr(build_server, "build", fake_build)
    assert build_server.main(["--print-path", "-j", "3", "--sdist", str(tmp_path / "s.tar.gz")]) == 0
    key = server_binaries.host_key(install.pinned_requirement())
    assert calls == [(install.pinned_requirement(), key, 3, tmp_path / "s.tar.gz")]
    assert capsys.readouterr().out.strip() == str(server_binaries.bin_dir(key))
    build_server.main([])
    assert len(calls) == 1
    build_server.main(["--rebuild"])
    assert len(calls) == 2


def test_only_the_vendored_llama_cpp_is_extracted(tmp_path):
    sdist = tmp_path / "llama_cpp_python-0.3.36.tar.gz"
    with tarfile.open(sdist, "w:gz") as archive:
        for name in ("llama_cpp_python-0.3.36/llama_cpp/__init__.py",
                     "llama_cpp_python-0.3.36/vendor/llama.cpp/CMakeLists.txt",
                     "llama_cpp_python-0.3.36/vendor/llama.cpp/tools/rpc/CMakeLists.txt"):
            data = b"set(TARGET ggml-rpc-server)\n"
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    source = build_server.extract_vendored(sdist, tmp_path / "src")
    assert source == tmp_path / "src" / "llama_cpp_python-0.3.36" / "vendor" / "llama.cpp"
    assert (source / "CMakeLists.txt").is_file()
    assert not (tmp_path / "src" / "llama_cpp_python-0.3.36" / "llama_cpp").exists()
    assert build_server.rpc_target(source) == "ggml-rpc-server"


def test_the_rpc_target_is_read_from_the_source_old_layout_too(tmp_path):
    (tmp_path / "examples" / "rpc").mkdir(parents=True)
    (tmp_path / "examples" / "rpc" / "CMakeLists.txt").write_text("set(TARGET rpc-server)\nadd_executable(...)\n")
    assert build_server.rpc_target(tmp_path) == "rpc-server"


def test_commands_build_only_the_two_targets(tmp_path):
    build = build_server.build_command(tmp_path, ["llama-server", "ggml-rpc-server"], 2)
    assert build[-5:] == ["--target", "llama-server", "ggml-rpc-server", "-j", "2"]
    configure = build_server.configure_command(tmp_path / "s", tmp_path / "b", ["-DGGML_RPC=ON"])
    assert configure[:5] == ["cmake", "-S", str(tmp_path / "s"), "-B", str(tmp_path / "b")]
    assert configure[-1] == "-DGGML_RPC=ON"


def test_collect_takes_the_executables_and_shared_libraries_only(tmp_path):
    built = tmp_path / "build" / "bin"
    fake_binaries(built)
    for name in ("libggml.so", "libllama.so.0", "llama-cli", "notes.txt"):
        (built / name).write_text("x")
    build_server.collect(built, ["llama-server", "ggml-rpc-server"], tmp_path / "out")
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "ggml-rpc-server", "libggml.so", "libllama.so.0", "llama-server"]
    assert os.access(tmp_path / "out" / "llama-server", os.X_OK)


def test_runs_by_path_with_the_standard_library(server_cache):
    key = server_binaries.host_key(install.pinned_requirement())
    fake_binaries(server_binaries.bin_dir(key))
    script = Path(build_server.__file__)
    done = subprocess.run([sys.executable, "-I", "-S", str(script), "--print-path"], capture_output=True,
                          text=True, env={**os.environ, server_binaries.ENV_CACHE: str(server_cache)},
                          cwd=script.parent, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(server_binaries.bin_dir(key))
