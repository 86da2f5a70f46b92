"""A model whose GGUF has no chat template: the documented plain fallback, visibly flagged."""

from __future__ import annotations

from engine import LocalBackend
from engine.types import GenerationRequest, Message, ModelConfig, SamplingSettings, SystemPrompt


def test_model_without_template_uses_the_plain_fallback(tiny_gguf):
    with LocalBackend(ModelConfig(str(tiny_gguf), n_ctx=256)) as backend:
        info = backend.start()
        assert info.has_chat_template is False
        rendered = backend.render(SystemPrompt.custom("S"), (Message("user", "hi"),))
        assert rendered.template_source == "fallback"
        assert rendered.text.endswith("system: S\n\nuser: hi\n\nassistant:")
        stream = backend.generate(GenerationRequest((Message("user", "hi"),),
                                                    sampling=SamplingSettings(temperature=0.0), max_tokens=3))
        steps = list(stream)
        assert stream.result.provenance.template_source == "fallback"
        assert len(steps) <= 3


def test_cli_warns_about_the_fallback(tiny_gguf, capsys):
    from tui.cli.main import main

    assert main(["ask", "hi", "--model", str(tiny_gguf), "--max-tokens", "2", "--temperature", "0"]) == 0
    assert "No chat template in the model" in capsys.readouterr().err
