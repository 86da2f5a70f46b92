"""Loading another model while adapters are on, without losing the model to a refused adapter.

A backend closes the old model before loading the new one. Had the new load carried the adapters,
one the new model refuses would fail the whole load: nothing loaded, the backend's config still
the old one, and its next call quietly loading the old model back. So the new model loads bare,
then the adapter set is applied; when that is refused, each adapter is tried on its own and the
ones the new model refuses are dropped (the caller tells the user which, and why).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from engine.backend import Backend
from engine.errors import AdapterError
from engine.types import AdapterSpec, ModelConfig, ModelInfo


@dataclass(frozen=True)
class ModelSwitch:
    info: ModelInfo
    adapters: tuple[AdapterSpec, ...]  # active on the new model
    dropped: tuple[tuple[AdapterSpec, str], ...] = ()  # refused by it, with the engine's reason


def switch_model(backend: Backend, config: ModelConfig, adapters: tuple[AdapterSpec, ...]) -> ModelSwitch:
    """Blocking (call from a thread): load `config` and carry over as many of `adapters` as fit."""
    info = backend.load(replace(config, adapters=()))
    if not adapters:
        return ModelSwitch(info, ())
    try:
        backend.set_adapters(adapters)
        return ModelSwitch(info, adapters)
    except AdapterError:
        pass
    kept: list[AdapterSpec] = []
    dropped: list[tuple[AdapterSpec, str]] = []
    for spec in adapters:
        try:
            backend.set_adapters((*kept, spec))  # all or nothing: a refusal leaves `kept` active
            kept.append(spec)
        except AdapterError as exc:
            dropped.append((spec, exc.msg))
    return ModelSwitch(info, tuple(kept), tuple(dropped))
