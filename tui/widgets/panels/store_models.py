"""The model panel's picker of other tools' models: how engine/model_stores' findings read in a list.

One group per store (Hugging Face cache, Ollama, LM Studio, llama.cpp cache, the config's
folders), each model as two lines of plain Content (names come from other tools' folders and
files: never markup): its name in that store (what `--model` takes, the store prefix left to the
group title), then size, architecture, quantisation, trained context and whether it has a chat
template, all from its GGUF header. A file that cannot be read is shown with the reason and
cannot be picked; a store that holds nothing shows nothing. Option ids are `store:` + the name
(a file can sit in a store and under "Used before" at once, and option ids must be unique);
`store_paths` maps them back to files.
"""

from __future__ import annotations

import os
from pathlib import Path

from textual.content import Content
from textual.widgets.option_list import Option

from engine.model_stores import STORE_NAMES, STORE_TITLES, FoundModel

from .sizes import format_size

ID_PREFIX = "store:"
LOOKING = "Looking in the HF cache, Ollama, LM Studio, llama.cpp's cache…"
TITLES = {**STORE_TITLES, "folder": "Your folders ([models] folders)"}


def short_name(model: FoundModel) -> str:
    """The name without its store prefix (the group says which store): `llama3.2:1b`; a file in
    the user's folders by its path, `~` for the home folder."""
    prefix = f"{model.store}:"
    if model.name.startswith(prefix):
        return model.name[len(prefix):]
    home = str(Path.home())
    if home != "/" and model.name.startswith(home + os.sep):
        return "~" + model.name[len(home):]
    return model.name


def details(model: FoundModel) -> str:
    if model.error:
        return f"cannot be used: {model.error}"
    facts = [format_size(model.size), model.architecture or "?", model.quantization or "?"]
    if model.context_length:
        facts.append(f"ctx {model.context_length}")
    facts.append("template" if model.chat_template else "no template")
    return " · ".join(facts)


def store_option(model: FoundModel) -> Option:
    style = "dim italic" if model.error else "dim"
    prompt = Content.assemble((short_name(model), "bold"), "\n", (details(model), style))
    return Option(prompt, id=ID_PREFIX + model.name, disabled=model.error is not None)


def store_options(models: list[FoundModel] | None) -> list[Option]:
    """The groups, in store order, and a line while the scan runs (None); nothing when it found
    nothing (`logitscope models` says where it looked)."""
    if models is None:
        return [Option(Content.styled(LOOKING, "dim italic"), disabled=True)]
    options: list[Option] = []
    for store in STORE_NAMES:
        group = [m for m in models if m.store == store]
        if group:
            options.append(Option(Content.styled(TITLES[store], "bold underline"), disabled=True))
            options += [store_option(m) for m in group]
    return options


def store_paths(models: list[FoundModel] | None) -> dict[str, str]:
    """Option id -> the file to load."""
    return {ID_PREFIX + m.name: m.path for m in models or ()}
