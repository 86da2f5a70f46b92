"""The default thread count works on every OS, with or without os.sched_getaffinity."""

from __future__ import annotations

import os

from engine.threads import default_thread_count


def test_uses_the_affinity_mask_where_there_is_one(monkeypatch):
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 3, 5}, raising=False)
    assert default_thread_count() == 3


def test_macos_and_windows_fall_back_to_the_cpu_count(monkeypatch):
    monkeypatch.delattr(os, "sched_getaffinity", raising=False)
    monkeypatch.delattr(os, "process_cpu_count", raising=False)
    monkeypatch.setattr(os, "cpu_count", lambda: 6)
    assert default_thread_count() == 6
    monkeypatch.setattr(os, "cpu_count", lambda: None)  # "cannot be determined"
    assert default_thread_count() == 1


def test_an_interactive_app_leaves_the_ui_a_core_on_a_cpu_model(monkeypatch):
    from engine import threads

    monkeypatch.setattr(threads, "default_thread_count", lambda: 8)
    assert threads.interactive_thread_counts(0) == (7, 8)
    assert threads.interactive_thread_counts(-1) == (None, None)  # every layer on the GPU: the defaults
    assert threads.interactive_thread_counts(10) == (None, None)
    monkeypatch.setattr(threads, "default_thread_count", lambda: 1)
    assert threads.interactive_thread_counts(0) == (None, None)  # one CPU: nothing to leave
