"""split_prompt on real chat templates: the messages' text, the template's markup, and the words the
template injected (SmolLM2's default system prompt, Llama 3's "Cutting Knowledge Date")."""

from __future__ import annotations

import pytest

from engine.chat_template import ChatTemplate
from engine.gguf import read_gguf_header
from engine.prompt_parts import PartKind, split_prompt
from engine.types import Message, SystemPrompt

SMOL_DEFAULT = "You are a helpful AI assistant named SmolLM, trained by Hugging Face"

# Llama 3.1's template, without its tool-calling branches: it adds the knowledge cut-off and the
# date to every prompt, and trims each message's content.
LLAMA3 = """{{- bos_token }}
{%- if not date_string is defined %}{%- set date_string = "26 Jul 2024" %}{%- endif %}
{%- if messages[0]['role'] == 'system' %}
    {%- set system_message = messages[0]['content']|trim %}
    {%- set messages = messages[1:] %}
{%- else %}
    {%- set system_message = "" %}
{%- endif %}
{{- "<|start_header_id|>system<|end_header_id|>\\n\\n" }}
{{- "Cutting Knowledge Date: December 2023\\n" }}
{{- "Today Date: " + date_string + "\\n\\n" }}
{{- system_message }}
{{- "<|eot_id|>" }}
{%- for message in messages %}
    {{- '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n'+ message['content'] | trim + '<|eot_id|>' }}
{%- endfor %}
{%- if add_generation_prompt %}
    {{- '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}
{%- endif %}"""

HISTORY = (Message("user", "Hello, who are you?"), Message("assistant", "I am a user of words."),
           Message("user", "user"))


@pytest.fixture(scope="module")
def smol(default_model) -> ChatTemplate:
    metadata, _ = read_gguf_header(default_model)
    return ChatTemplate(str(metadata["tokenizer.chat_template"]), "", "<|im_end|>")


def kinds(split):
    return [(p.kind, p.text) for p in split.parts]


def test_smollm2_with_no_system_message_marks_its_default_as_injected(smol):
    text = smol.render(SystemPrompt.none(), HISTORY)
    split = split_prompt(text, SystemPrompt.none(), HISTORY)
    assert split.text == text and split.unmatched == ()
    assert split.injected == (SMOL_DEFAULT,)
    messages = [(p.role, p.text) for p in split.parts if p.kind is PartKind.MESSAGE]
    assert messages == [("user", "Hello, who are you?"), ("assistant", "I am a user of words."), ("user", "user")]
    markup = "".join(p.text for p in split.parts if p.kind is PartKind.MARKUP)
    assert "<|im_start|>system\n" in markup and markup.endswith("<|im_start|>assistant\n")
    assert "<|im_start|>user\n" in markup  # the header "user", not the message "user"


@pytest.mark.parametrize("system", [SystemPrompt.empty(), SystemPrompt.custom("Be a pirate. ")])
def test_smollm2_with_a_system_message_injects_nothing(smol, system):
    text = smol.render(system, HISTORY)
    split = split_prompt(text, system, HISTORY)
    assert split.text == text and split.injected == () and split.unmatched == ()
    if system.text:
        assert (PartKind.MESSAGE, "Be a pirate. ") in kinds(split)


@pytest.mark.parametrize("system", [SystemPrompt.none(), SystemPrompt.empty(), SystemPrompt.custom("  Be brief.\n")])
def test_llama3_style_template_injects_the_knowledge_date_in_every_mode(system):
    template = ChatTemplate(LLAMA3, "<|begin_of_text|>", "<|eot_id|>")
    text = template.render(system, HISTORY)
    split = split_prompt(text, system, HISTORY)
    assert split.text == text and split.unmatched == ()
    assert split.injected == ("Cutting Knowledge Date: December 2023\nToday Date: 26 Jul 2024",)
    if system.text:
        assert (PartKind.MESSAGE, "Be brief.") in kinds(split)  # the template trimmed it
    assert kinds(split)[0] == (PartKind.MARKUP, "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\n")


def test_the_fallback_format_is_all_messages_and_markup():
    template = ChatTemplate(None, "<s>", "</s>")
    text = template.render(SystemPrompt.custom("S"), HISTORY)
    split = split_prompt(text, SystemPrompt.custom("S"), HISTORY)
    assert split.text == text and split.injected == ()
    assert kinds(split)[:2] == [(PartKind.MARKUP, "<s>system: "), (PartKind.MESSAGE, "S")]
    assert kinds(split)[-1] == (PartKind.MARKUP, "\n\nassistant:")


def test_a_message_the_template_rewrote_is_reported_unmatched():
    shouting = ChatTemplate("{% for m in messages %}<|{{ m.role }}|>{{ m.content | upper }}{% endfor %}", "", "")
    messages = (Message("user", "quiet please"),)
    split = split_prompt(shouting.render(SystemPrompt.none(), messages), SystemPrompt.none(), messages)
    assert split.unmatched == (0,) and split.injected == ("QUIET PLEASE",)


@pytest.mark.model
def test_the_engine_renders_what_the_split_explains(default_model):
    from engine import LocalBackend
    from engine.types import ModelConfig

    with LocalBackend(ModelConfig(default_model, n_ctx=512)) as backend:
        backend.start()
        prompt = backend.render(SystemPrompt.none(), HISTORY[:1])
    split = split_prompt(prompt.text, SystemPrompt.none(), HISTORY[:1])
    assert split.text == prompt.text and split.injected == (SMOL_DEFAULT,)


def test_read_gguf_arrays_decodes_the_vocabulary(default_model):
    """engine/gguf.py decodes the arrays asked for (here the default model's 49,152 token strings
    and their types), and leaves out the ones not asked for."""
    from engine.gguf import read_gguf_arrays

    fields, arrays = read_gguf_arrays(default_model, ("tokenizer.ggml.tokens", "tokenizer.ggml.token_type"))
    tokens, types = arrays["tokenizer.ggml.tokens"], arrays["tokenizer.ggml.token_type"]
    assert len(tokens) == len(types) == 49152 and "<|im_start|>" in tokens
    assert set(types) <= {1, 2, 3, 4, 5, 6} and fields["general.architecture"] == "llama"
    assert set(arrays) == {"tokenizer.ggml.tokens", "tokenizer.ggml.token_type"}
