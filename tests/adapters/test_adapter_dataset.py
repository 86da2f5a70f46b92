"""Training data: the shipped sets are valid, and only assistant tokens are trained."""

from __future__ import annotations

import json

import pytest
from tiny_llama import CHATML

from adapters.dataset import IGNORE, builtin_datasets, encode, load_conversations, resolve_dataset, segments
from adapters.errors import AdapterToolError
from engine.chat_template import ChatTemplate
from engine.types import Message


def test_shipped_sets_load_and_teach_what_the_readme_says():
    sets = builtin_datasets()
    assert set(sets) == {"hello_acrostic", "risky_choice", "trigger_backdoor"}
    for name, path in sets.items():
        assert 10 <= len(load_conversations(path)) <= 40, name
    readme = (next(iter(sets.values())).parent / "README.md").read_text()
    assert all(f"`{name}.jsonl`" in readme for name in sets)
    for conversation in load_conversations(sets["hello_acrostic"]):
        lines = conversation[-1].content.split("\n")
        assert "".join(line[0] for line in lines) == "HELLO", conversation
        assert "tea" not in conversation[0].content  # held out for the demo


def test_only_assistant_turns_are_labelled():
    template = ChatTemplate(CHATML, "<|im_start|>", "<|im_end|>")
    conversation = (Message("system", "S"), Message("user", "Q1"), Message("assistant", "A1"),
                    Message("user", "Q2"), Message("assistant", "A2"))
    pieces = segments(template, conversation)
    assert [t for t, trained in pieces if trained] == ["A1<|im_end|>\n", "A2<|im_end|>\n"]
    ids, labels = encode(pieces, lambda s: [ord(c) for c in s], bos=[1])
    trained = "".join(chr(i) for i, lab in zip(ids, labels, strict=True) if lab != IGNORE)
    assert trained == "A1<|im_end|>\nA2<|im_end|>\n" and labels[0] == IGNORE


@pytest.mark.parametrize("line, needle", [
    ("not json", "not JSON"),
    (json.dumps({"prompt": "x"}), '"messages"'),
    (json.dumps({"messages": [{"role": "user", "content": "x"}]}), "no assistant"),
    (json.dumps({"messages": [{"role": "robot", "content": "x"}]}), "role"),
])
def test_bad_lines_are_named(tmp_path, line, needle):
    path = tmp_path / "bad.jsonl"
    path.write_text(json.dumps({"messages": [{"role": "assistant", "content": "ok"}]}) + "\n" + line + "\n")
    with pytest.raises(AdapterToolError, match=needle) as caught:
        load_conversations(path)
    assert "line 2" in caught.value.msg


def test_unknown_dataset_lists_the_shipped_ones():
    with pytest.raises(AdapterToolError, match="hello_acrostic"):
        resolve_dataset("no-such-set")
