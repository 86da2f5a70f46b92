"""Question batteries: the documented YAML format (docs/batteries.md), checked on load, and the
batteries shipped for each experiment family. Pure code: nothing here calls the engine.

Public API (import from here), the contract a runner builds on:

    battery = load_battery("backdoor")          # a shipped name, or a path to a .yaml file
    for item in battery.items(permute=None):    # question x paraphrase x option ordering, in file order
        item.key                # "question/p0/o1": stable within the file, for results and resuming
        item.question           # Question: name, title, question_type, paraphrases, readout, source
        item.paraphrase_index, item.ordering_index
        item.ordering           # tuple of original option indices per position; () without options
        item.user_message       # the exact user message (prompts.py): send it with the chat template
        item.presented          # PresentedOption(position, original_index, text, label) per shown option
        item.scored             # the option strings to score, in presented order ("A", "B" / texts)
        item.readout            # what to read from the answer, one of:
            OptionsReadout      #   options, labels (letters|numbers|none), permute, max_orderings
            WordsReadout        #   categories: WordCategory(name, words).variants() = strings summed
            NumberReadout       #   minimum, maximum; values(), strings() = "0" ... "100"
            FreeReadout         #   samples, temperature, max_tokens, categories; categorise(answer)
            TraceReadout        #   max_tokens, temperature: entropy and top-1 mass per position
    battery.count_items(permute=None)           # how many items items() yields
    normalise_answer(text)                      # how sampled free answers are counted

`permute=None` keeps each question's own `permute`; True permutes every option question (a
runner's --permute), False none. `shipped_battery_paths()` lists the shipped files;
`load_battery_file(path)` and `parse_battery(text, source)` read one. Every refusal is a
BatteryFormatError (or BatteryNotFoundError) naming the file, line, question and key.
"""

from .errors import BatteryError, BatteryFormatError, BatteryNotFoundError
from .format import (
    Battery,
    BatteryItem,
    CategoryRule,
    FreeReadout,
    NumberReadout,
    OptionsReadout,
    PresentedOption,
    Question,
    Readout,
    ReadoutKind,
    TraceReadout,
    WordCategory,
    WordsReadout,
    normalise_answer,
    word_variants,
)
from .loading import load_battery_file, parse_battery
from .permutations import balanced_orderings
from .prompts import LabelStyle, choice_instruction
from .registry import load_battery, resolve_battery, shipped_batteries, shipped_battery_paths

__all__ = [
    "Battery", "BatteryError", "BatteryFormatError", "BatteryItem", "BatteryNotFoundError", "CategoryRule",
    "FreeReadout", "LabelStyle", "NumberReadout", "OptionsReadout", "PresentedOption", "Question", "Readout",
    "ReadoutKind", "TraceReadout", "WordCategory", "WordsReadout", "balanced_orderings", "choice_instruction",
    "load_battery", "load_battery_file", "normalise_answer", "parse_battery", "resolve_battery",
    "shipped_batteries", "shipped_battery_paths", "word_variants",
]
