"""file_sha256's cache: never a stale digest, and safe with several processes writing it."""

from __future__ import annotations

import hashlib
import os

import pytest

from engine.fingerprint import file_sha256


@pytest.fixture(autouse=True)
def data_dir(tmp_path, monkeypatch):
    path = tmp_path / "data"
    monkeypatch.setenv("LOGITSCOPE_DATA_DIR", str(path))
    return path


def test_digest_is_cached_and_right(tmp_path):
    path = tmp_path / "a.bin"
    path.write_bytes(b"a" * 1000)
    assert file_sha256(str(path)) == hashlib.sha256(b"a" * 1000).hexdigest()
    assert file_sha256(str(path)) == hashlib.sha256(b"a" * 1000).hexdigest()


def test_a_file_replaced_with_the_same_size_and_mtime_is_hashed_again(tmp_path):
    path = tmp_path / "adapter.gguf"
    path.write_bytes(b"old weights!")
    old = file_sha256(str(path))
    stamp = os.stat(path)
    new = tmp_path / "new.gguf"
    new.write_bytes(b"new weights!")
    os.utime(new, ns=(stamp.st_atime_ns, stamp.st_mtime_ns))
    os.replace(new, path)  # how a re-trained adapter or re-downloaded model usually arrives
    assert os.stat(path).st_size == stamp.st_size and os.stat(path).st_mtime_ns == stamp.st_mtime_ns
    assert file_sha256(str(path)) == hashlib.sha256(b"new weights!").hexdigest() != old


def test_another_process_temporary_cache_file_is_left_alone(tmp_path, data_dir):
    data_dir.mkdir(parents=True, exist_ok=True)
    theirs = data_dir / "sha256-cache.tmp"  # the one name every process used
    theirs.write_text('{"half written by another process')
    path = tmp_path / "b.bin"
    path.write_bytes(b"b")
    file_sha256(str(path))
    assert theirs.read_text() == '{"half written by another process'
    assert not [p for p in data_dir.iterdir() if p.name not in ("sha256-cache.json", theirs.name)]
