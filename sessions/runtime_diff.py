"""Whether two results' numbers came from the same place: the runtime facts they differ in, in words.

Two answers of one model to one prompt get other logprobs on another backend (CPU and CUDA: up to
~0.3 nats, measured greedy with the first 21 tokens identical), with flash attention on and off
(~0.1 nats on the CPU), with another KV cache type or micro-batch size. A comparison that does not
say so reads that noise as the configurations' difference. Thread counts are recorded but not
compared: llama.cpp splits its CPU work by rows, so they do not change the numbers (tested).
"""

from __future__ import annotations

from dataclasses import dataclass

from engine.types import Runtime

# What a difference of each kind has been measured to move a logprob by (issue 14), in nats.
_TYPICAL_NATS = {"backend": 0.3, "backends compiled in": 0.3, "flash attention": 0.1}


@dataclass(frozen=True)
class RuntimeDifference:
    """One fact two results' numbers were computed under differently (A's value, B's)."""

    what: str  # "backend", "backends compiled in", "flash attention", "KV cache", "micro-batch", "runtime"
    a: str
    b: str


def _devices(runtime: Runtime) -> str:
    parts = []
    for device in runtime.devices:
        name, _, description = device.partition(": ")
        parts.append(f"{name} ({description})" if description else name)
    return " + ".join(parts) or "unknown devices"


def _flash(runtime: Runtime) -> str:
    if runtime.flash_attn_in_effect is not None:
        return "on" if runtime.flash_attn_in_effect else "off"
    return f"{runtime.flash_attn.value} (not reported)"


def _summary(runtime: Runtime) -> str:
    return f"{_devices(runtime)}, flash attention {_flash(runtime)}"


def runtime_differences(a: Runtime | None, b: Runtime | None) -> tuple[RuntimeDifference, ...]:
    """What `a` and `b` differ in that changes numbers; one "runtime" entry when only one side
    recorded its runtime (a result journaled before it was recorded); () when neither did."""
    if a is None and b is None:
        return ()
    if a is None or b is None:
        return (RuntimeDifference("runtime", "not recorded" if a is None else _summary(a),
                                  "not recorded" if b is None else _summary(b)),)
    found = []
    if a.devices != b.devices:
        found.append(RuntimeDifference("backend", _devices(a), _devices(b)))
    elif a.backends != b.backends:  # a GPU build may run big batches on the GPU, layers or not
        found.append(RuntimeDifference("backends compiled in", ", ".join(a.backends) or "?",
                                       ", ".join(b.backends) or "?"))
    if _flash(a) != _flash(b):
        found.append(RuntimeDifference("flash attention", _flash(a), _flash(b)))
    if (a.type_k, a.type_v) != (b.type_k, b.type_v):
        found.append(RuntimeDifference("KV cache", f"{a.type_k}/{a.type_v}", f"{b.type_k}/{b.type_v}"))
    if a.n_ubatch != b.n_ubatch:
        found.append(RuntimeDifference("micro-batch", str(a.n_ubatch), str(b.n_ubatch)))
    return tuple(found)


def runtime_note(differences: tuple[RuntimeDifference, ...]) -> str:
    """The differences as one line ("" for none), e.g. "numbers from different backends: CPU (AMD
    EPYC) vs CUDA0 (NVIDIA H100); logprobs may differ by ~0.3 nats where the tokens agree"."""
    if not differences:
        return ""
    if differences[0].what == "runtime":
        d = differences[0]
        unknown, known, side = ("A", d.b, "B") if d.a == "not recorded" else ("B", d.a, "A")
        return (f"{unknown} does not record its backend (journaled before it was recorded, or a "
                f"failed answer); {side}: {known}; the numbers may come from different backends")
    kinds = {d.what for d in differences}
    label = ("backends" if kinds & {"backend", "backends compiled in"}
             else "flash-attention settings" if kinds == {"flash attention"} else "runtime settings")
    details = ", ".join(f"{d.a} vs {d.b}" if d.what == "backend" else f"{d.what} {d.a} vs {d.b}"
                        for d in differences)
    typical = max((_TYPICAL_NATS.get(d.what, 0.0) for d in differences), default=0.0)
    size = f"by ~{typical:g} nats " if typical else ""
    return f"numbers from different {label}: {details}; logprobs may differ {size}where the tokens agree"
