"""The main screen's answers to the side panels: new system prompt, sampling, adapters, model.

Mixed into MainScreen. Settings changes only update the chat state (they apply to the next
generation); adding an adapter and loading a model go to the engine through EngineTasks workers,
whose outcome comes back to `adapter_accepted` and `model_loaded` (which also has the model
panel remember the model in the history of models used). Handlers use the
on_<message> naming, as @on does not register handlers defined on a mixin.
"""

from __future__ import annotations

from pathlib import Path

from engine.types import AdapterSpec

from .. import messages as m
from ..widgets.panels import AdaptersPanel, ModelPanel
from .host import ChatHost
from .model_switch import ModelSwitch


class PanelEvents:
    def on_system_changed(self: ChatHost, event: m.SystemChanged) -> None:
        self.chat.system = event.system
        self.refresh_status()

    def on_sampling_changed(self: ChatHost, event: m.SamplingChanged) -> None:
        self.chat.sampling, self.chat.max_tokens = event.sampling, event.max_tokens

    def on_adapters_changed(self: ChatHost, event: m.AdaptersChanged) -> None:
        self.chat.adapters = event.adapters
        self.chat.adapters_pending = True
        self.refresh_status()

    def on_adapter_added(self: ChatHost, event: m.AdapterAdded) -> None:
        others = tuple(a for a in self.chat.adapters if a.path != event.spec.path)
        self.run_adapter_check(others + (event.spec,), event.spec)

    def adapter_accepted(self: ChatHost, spec: AdapterSpec) -> None:
        panel = self.query_one(AdaptersPanel)
        panel.add(spec)
        self.chat.adapters = panel.active
        self.chat.adapters_pending = False
        self.notify(f"Adapter {Path(spec.path).name} active at ×{spec.scale:g}.", markup=False)
        self.refresh_status()

    def on_model_requested(self: ChatHost, event: m.ModelRequested) -> None:
        if self.job is not None or self.model_loading:
            self.notify("Busy: wait for the current generation or load.", severity="warning")
            return
        # The adapters the panel shows, applied or not yet, are the ones to carry over.
        self.start_model_load(self.backend.config.with_path(event.path), self.chat.adapters)

    def model_loaded(self: ChatHost, switch: ModelSwitch) -> None:
        """A model loaded (the first one at startup too): show it, and remember it as used."""
        info = switch.info
        # The panel's thread worker records it in the model history, then lists the models again.
        self.query_one(ModelPanel).set_model(info.path, info)
        if switch.adapters != self.chat.adapters or switch.dropped:
            self.query_one(AdaptersPanel).reset(switch.adapters)
        self.chat.adapters, self.chat.adapters_pending = switch.adapters, False
        if switch.dropped:
            names = "; ".join(f"{Path(spec.path).name}: {why}" for spec, why in switch.dropped)
            self.notify(f"{info.name} refused {len(switch.dropped)} adapter(s), now off: {names}",
                        title="Adapters dropped", severity="warning", timeout=10, markup=False)
        self.refresh_status()
