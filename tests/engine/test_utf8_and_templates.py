import pytest

from engine.chat_template import ChatTemplate
from engine.errors import TemplateError
from engine.types import Message, SystemPrompt
from engine.utf8 import Utf8Assembler

SMOL_LIKE = (
    "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}"
    "{{ '<|im_start|>system\nDEFAULT<|im_end|>\n' }}{% endif %}"
    "{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}"
    "{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)


def test_utf8_assembler_attributes_a_split_character_to_the_completing_token():
    text = "a😀中"
    data = text.encode()
    assembler = Utf8Assembler()
    pieces = [assembler.feed(data[i:i + 1]) for i in range(len(data))]
    assert "".join(pieces) + assembler.flush() == text
    assert pieces[1:4] == ["", "", ""] and pieces[4] == "😀"


def test_utf8_assembler_flushes_an_unfinished_character_as_replacement():
    assembler = Utf8Assembler()
    assert assembler.feed(b"\xe4\xb8") == ""
    assert assembler.flush() == "\ufffd"


@pytest.mark.parametrize("system, expected_start", [
    (SystemPrompt.none(), "<|im_start|>system\nDEFAULT<|im_end|>"),
    (SystemPrompt.empty(), "<|im_start|>system\n<|im_end|>"),
    (SystemPrompt.custom("Be terse."), "<|im_start|>system\nBe terse.<|im_end|>"),
])
def test_three_system_modes(system, expected_start):
    template = ChatTemplate(SMOL_LIKE, "<s>", "</s>")
    text = template.render(system, (Message("user", "hi"),))
    assert text.startswith(expected_start)
    assert text.endswith("<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n")
    assert template.kind == "gguf"


def test_missing_template_uses_the_documented_fallback():
    template = ChatTemplate(None, "<s>", "</s>")
    assert template.kind == "fallback"
    assert template.render(SystemPrompt.custom("S"), (Message("user", "hi"),)) == \
        "<s>system: S\n\nuser: hi\n\nassistant:"


def test_template_errors_are_clear():
    with pytest.raises(TemplateError, match="does not parse"):
        ChatTemplate("{% for %}", "", "")
    refusing = ChatTemplate("{{ raise_exception('roles must alternate') }}", "", "")
    with pytest.raises(TemplateError, match="roles must alternate"):
        refusing.render(SystemPrompt.none(), (Message("user", "x"),))


def test_sandbox_blocks_attribute_escapes():
    template = ChatTemplate("{{ messages.__class__.__mro__ }}", "", "")
    with pytest.raises(TemplateError):
        template.render(SystemPrompt.none(), (Message("user", "x"),))
