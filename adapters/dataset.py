"""Chat training data: OpenAI `messages` JSONL in, token ids with assistant-only labels out.

The adapter must learn to answer prompts exactly as the engine will later render them, so each
conversation is rendered with the model's own chat template through engine/chat_template.py
(the renderer the engine uses at inference time). The prompt part up to each assistant turn is
rendered with the generation prompt and tokenized on its own, as the engine tokenizes a prompt;
the assistant's text and its end-of-turn marker follow as separately tokenized, trained tokens.
Everything else gets label -100 (no loss). No torch here: token lists only.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from importlib import resources
from pathlib import Path

from engine.chat_template import ChatTemplate
from engine.types import Message, SystemPrompt

from .errors import AdapterToolError

IGNORE = -100
ROLES = ("system", "user", "assistant")


def builtin_datasets() -> dict[str, Path]:
    """The training sets shipped with logitscope: name -> JSONL path."""
    folder = resources.files("adapters") / "datasets"
    return {Path(str(p)).stem: Path(str(p)) for p in folder.iterdir() if str(p).endswith(".jsonl")}


def resolve_dataset(name_or_path: str | Path) -> Path:
    """A JSONL path as given, or the name of a shipped set (e.g. `hello_acrostic`)."""
    path = Path(name_or_path)
    if path.is_file():
        return path
    shipped = builtin_datasets()
    if str(name_or_path) in shipped:
        return shipped[str(name_or_path)]
    raise AdapterToolError(
        f"No training data at {path}; give a JSONL file or one of the shipped sets: "
        f"{', '.join(sorted(shipped))}."
    )


def load_conversations(path: str | Path) -> list[tuple[Message, ...]]:
    """Read and check `{"messages": [{"role", "content"}, ...]}` lines; errors name the line."""
    conversations = []
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            where = f"{path}, line {number}"
            try:
                record = json.loads(line)
            except ValueError as exc:
                raise AdapterToolError(f"{where} is not JSON: {exc}") from exc
            messages = record.get("messages") if isinstance(record, dict) else None
            if not isinstance(messages, list) or not messages:
                raise AdapterToolError(f'{where} has no "messages" list (OpenAI chat format).')
            turns = []
            for m in messages:
                if not isinstance(m, dict) or m.get("role") not in ROLES or not isinstance(m.get("content"), str):
                    raise AdapterToolError(
                        f"{where}: each message needs a role ({', '.join(ROLES)}) and string content."
                    )
                turns.append(Message(m["role"], m["content"]))
            if not any(t.role == "assistant" for t in turns):
                raise AdapterToolError(f"{where} has no assistant message to learn from.")
            conversations.append(tuple(turns))
    if not conversations:
        raise AdapterToolError(f"{path} holds no examples.")
    return conversations


def segments(template: ChatTemplate, conversation: tuple[Message, ...]) -> list[tuple[str, bool]]:
    """Split a rendered conversation into (text, trained) pieces: assistant turns are trained."""
    pieces: list[tuple[str, bool]] = []
    done = ""
    system = SystemPrompt.none()
    for i, message in enumerate(conversation):
        if message.role != "assistant":
            continue
        prompt = template.render(system, conversation[:i], add_generation_prompt=True)
        full = template.render(system, conversation[: i + 1], add_generation_prompt=False)
        if not (prompt.startswith(done) and full.startswith(prompt)):
            raise AdapterToolError(
                "The chat template does not render conversations prefix by prefix, so assistant "
                "tokens cannot be separated from the prompt."
            )
        pieces.append((prompt[len(done):], False))
        pieces.append((full[len(prompt):], True))
        done = full
    return [(text, trained) for text, trained in pieces if text]


def encode(pieces: list[tuple[str, bool]], tokenize: Callable[[str], list[int]],
           bos: list[int]) -> tuple[list[int], list[int]]:
    """Token ids and labels (the id where trained, IGNORE elsewhere) for one conversation."""
    ids, labels = list(bos), [IGNORE] * len(bos)
    for text, trained in pieces:
        tokens = tokenize(text)
        ids += tokens
        labels += tokens if trained else [IGNORE] * len(tokens)
    return ids, labels
