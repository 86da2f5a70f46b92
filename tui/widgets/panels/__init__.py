"""The side panels (system prompt, adapters, sampling, model); the screen shows one at a time."""

from .adapters import AdaptersPanel
from .model import ModelPanel
from .sampling import SamplingPanel
from .system import SystemPanel

PANELS = {"system": SystemPanel, "adapters": AdaptersPanel, "sampling": SamplingPanel, "model": ModelPanel}

__all__ = ["PANELS", "AdaptersPanel", "ModelPanel", "SamplingPanel", "SystemPanel"]
