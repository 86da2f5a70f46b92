"""A process's resident memory, read from /proc/<pid>/status (Linux), for benchmarks/memory.py.

VmRSS is what `ps` and `top` call RSS: RssAnon (heap, KV cache, compute buffers) + RssFile
(mapped files: the model, mmapped, and the shared libraries) + RssShmem. VmHWM is the peak RSS.
All in KiB, as the kernel prints them. Standard library only: the bare-context child imports it.
"""

from __future__ import annotations

FIELDS = ("VmRSS", "RssAnon", "RssFile", "RssShmem", "VmHWM")
SOURCE = "/proc/<pid>/status VmRSS (= RssAnon + RssFile + RssShmem; VmHWM is the peak)"


def parse_status(text: str) -> dict[str, int]:
    """The FIELDS of a /proc/<pid>/status text, in KiB (missing ones left out)."""
    out: dict[str, int] = {}
    for line in text.splitlines():
        name, sep, rest = line.partition(":")
        if sep and name in FIELDS:
            value, _, unit = rest.strip().partition(" ")
            if unit.strip() != "kB":
                raise ValueError(f"unexpected unit in {line!r}")
            out[name] = int(value)
    return out


def resident_kib(pid: int | str = "self") -> dict[str, int]:
    """The FIELDS of process `pid` ("self": this one) now, in KiB."""
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        return parse_status(status.read())
