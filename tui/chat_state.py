"""The chat configuration the next generation uses, and the request it turns into.

Panels edit this through the screen; it is plain data so a session can record it and tests can
assert on the requests it builds.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from engine.types import AdapterSpec, GenerationRequest, SamplingSettings, SystemPrompt

from .conversation import Conversation


@dataclass
class ChatState:
    system: SystemPrompt = SystemPrompt()
    sampling: SamplingSettings = SamplingSettings()
    max_tokens: int = 256
    top_k_probs: int = 10
    adapters: tuple[AdapterSpec, ...] = ()
    adapters_pending: bool = False  # changed since the engine last applied them
    conversation: Conversation = field(default_factory=Conversation)

    def request(self, turn_index: int, continue_from: tuple[int, ...] = ()) -> GenerationRequest:
        return GenerationRequest(
            messages=self.conversation.messages_for(turn_index),
            system=self.system,
            sampling=self.sampling,
            max_tokens=max(1, self.max_tokens - len(continue_from)),
            top_k_probs=self.top_k_probs,
            continue_from=continue_from,
        )

    def take_pending_adapters(self) -> tuple[AdapterSpec, ...] | None:
        """The adapter set to apply before the next generation, or None when unchanged."""
        if not self.adapters_pending:
            return None
        self.adapters_pending = False
        return self.adapters
