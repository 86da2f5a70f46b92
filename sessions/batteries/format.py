"""The typed battery model: what a battery file means once it has been read and checked.

Why its own module: the loader (loading.py) turns YAML into these frozen dataclasses, and every
consumer (`battery show`, the runner, the TUI) reads only these, never raw YAML. A question has
exactly one readout, the thing measured from the model's answer:

- `OptionsReadout`: 2-10 options, labelled (letters/numbers: the label is scored) or unlabelled
  (the option text is scored), optionally presented in several orderings;
- `WordsReadout`: categories of single words; P(category) sums the probability of its words and
  their case / leading-space variants (`word_variants`);
- `NumberReadout`: an integer answer in [minimum, maximum] (default 0-100);
- `FreeReadout`: N answers sampled at temperature T, optionally mapped to categories by rules;
- `TraceReadout`: one answer generated (greedy by default), read as entropy and top-1 mass at
  every position (vocabulary collapse, "only say yes").

`Battery.items()` expands a battery into what a runner evaluates; see the package docstring.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from .permutations import Ordering, balanced_orderings
from .prompts import LabelStyle, option_labels, unfilled_placeholders, user_message


class ReadoutKind(str, enum.Enum):
    OPTIONS = "options"
    WORDS = "words"
    NUMBER = "number"
    FREE = "free"
    TRACE = "trace"


@dataclass(frozen=True)
class OptionsReadout:
    options: tuple[str, ...]   # as written in the file (original order)
    labels: LabelStyle = LabelStyle.LETTERS
    permute: bool = False      # present the options in several orderings
    max_orderings: int = 24    # the cap of permutations.balanced_orderings
    kind: ReadoutKind = field(default=ReadoutKind.OPTIONS, init=False)

    def orderings(self, permute: bool | None = None) -> tuple[Ordering, ...]:
        """The orderings to present; `permute` overrides the file's setting (a runner's --permute)."""
        if not (self.permute if permute is None else permute):
            return (tuple(range(len(self.options))),)
        return balanced_orderings(len(self.options), self.max_orderings)

    def describe(self) -> str:
        labels = option_labels(self.labels, len(self.options))
        scored = labels if labels is not None else self.options
        return (f"options, {self.labels.value}: P of " + " / ".join(f'"{s}"' for s in scored)
                + (f"; permuted (at most {self.max_orderings} orderings)" if self.permute else ""))


def _capitalised(word: str) -> str:
    return word[:1].upper() + word[1:]


def word_variants(word: str) -> tuple[str, ...]:
    """The strings a word's probability is summed over (docs/batteries.md, "Word variants").

    Forms: the word as written, all lower case, lower case with the first letter upper case, all
    upper case; each bare and with one leading space. Duplicates removed, in that order:
    "bold" -> "bold", " bold", "Bold", " Bold", "BOLD", " BOLD".
    """
    lower = word.lower()
    forms = dict.fromkeys((word, lower, _capitalised(lower), word.upper()))
    return tuple(variant for form in forms for variant in (form, " " + form))


@dataclass(frozen=True)
class WordCategory:
    name: str
    words: tuple[str, ...]

    def variants(self) -> tuple[str, ...]:
        """Every variant of every word, deduplicated (a category's probability sums these)."""
        return tuple(dict.fromkeys(v for w in self.words for v in word_variants(w)))


@dataclass(frozen=True)
class WordsReadout:
    categories: tuple[WordCategory, ...]
    kind: ReadoutKind = field(default=ReadoutKind.WORDS, init=False)

    def describe(self) -> str:
        return "words: P of " + "; ".join(f"{c.name} ({', '.join(c.words)})" for c in self.categories)


@dataclass(frozen=True)
class NumberReadout:
    minimum: int = 0
    maximum: int = 100
    kind: ReadoutKind = field(default=ReadoutKind.NUMBER, init=False)

    def values(self) -> range:
        return range(self.minimum, self.maximum + 1)

    def strings(self) -> tuple[str, ...]:
        """Each integer as the answer text that is teacher-forced ("0" ... "100")."""
        return tuple(str(v) for v in self.values())

    def describe(self) -> str:
        return f"number: P of each integer {self.minimum}-{self.maximum}, mass, expected value, spread"


def normalise_answer(text: str) -> str:
    """A sampled answer as it is counted: case-folded, whitespace collapsed, outer punctuation cut."""
    return " ".join(text.split()).strip(" .,;:!?\"'`()[]{}*").casefold()


@dataclass(frozen=True)
class CategoryRule:
    """A category of free answers: any regex matches (re.search on the raw answer), or any keyword
    appears as a whole word or phrase, ignoring case."""

    name: str
    regexes: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()

    def matches(self, answer: str) -> bool:
        if any(re.search(pattern, answer) for pattern in self.regexes):
            return True
        return any(re.search(r"(?<!\w)" + re.escape(k) + r"(?!\w)", answer, re.IGNORECASE)
                   for k in self.keywords)


@dataclass(frozen=True)
class FreeReadout:
    samples: int = 128
    temperature: float = 1.0
    max_tokens: int = 64
    categories: tuple[CategoryRule, ...] = ()
    kind: ReadoutKind = field(default=ReadoutKind.FREE, init=False)

    def categorise(self, answer: str) -> str | None:
        """The first category (in file order) whose rule matches, else None ("other")."""
        return next((rule.name for rule in self.categories if rule.matches(answer)), None)

    def describe(self) -> str:
        text = f"free: {self.samples} samples at temperature {self.temperature:g}, {self.max_tokens} tokens at most"
        if self.categories:
            text += "; categories " + ", ".join(rule.name for rule in self.categories)
        return text


@dataclass(frozen=True)
class TraceReadout:
    max_tokens: int = 32
    temperature: float = 0.0
    kind: ReadoutKind = field(default=ReadoutKind.TRACE, init=False)

    def describe(self) -> str:
        how = "greedy" if self.temperature == 0 else f"temperature {self.temperature:g}"
        return f"trace: entropy and top-1 mass at each position of one answer ({how}, {self.max_tokens} tokens)"


Readout = OptionsReadout | WordsReadout | NumberReadout | FreeReadout | TraceReadout


@dataclass(frozen=True)
class PresentedOption:
    """One option as a given ordering shows it."""

    position: int        # 0-based place in the prompt
    original_index: int  # index in the file's options list
    text: str
    label: str | None    # "A" / "1", or None when unlabelled

    @property
    def scored(self) -> str:
        """The answer string whose probability is read: the label, or the text when unlabelled."""
        return self.text if self.label is None else self.label


@dataclass(frozen=True)
class Question:
    name: str
    title: str
    question_type: str | None   # the paper's field as written (None when absent)
    paraphrases: tuple[str, ...]
    readout: Readout
    prefix: str = ""
    suffix: str = ""
    source: str = ""            # "FILE:LINE" of the question in its file
    extra: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}), compare=False)

    @property
    def options(self) -> OptionsReadout | None:
        return self.readout if isinstance(self.readout, OptionsReadout) else None

    def shows_options(self) -> bool:
        """Whether the options appear in the prompt (labelled, or an `{options}` placeholder)."""
        if self.options is None:
            return False
        return self.options.labels is not LabelStyle.NONE or any(
            "{options}" in text for text in (self.prefix, self.suffix, *self.paraphrases))

    def orderings(self, permute: bool | None = None) -> tuple[Ordering, ...]:
        """Option orderings to present ((), for a question without options; one, when the options
        are not shown in the prompt, since their order cannot matter then)."""
        if self.options is None:
            return ((),)
        if not self.shows_options():
            return (tuple(range(len(self.options.options))),)
        return self.options.orderings(permute)

    def presented(self, ordering: Ordering) -> tuple[PresentedOption, ...]:
        if self.options is None:
            return ()
        labels = option_labels(self.options.labels, len(ordering))
        return tuple(PresentedOption(position, index, self.options.options[index],
                                     None if labels is None else labels[position])
                     for position, index in enumerate(ordering))

    def user_message(self, paraphrase_index: int = 0, ordering: Ordering | None = None) -> str:
        """The exact user message; `ordering` defaults to the file's order."""
        paraphrase = self.paraphrases[paraphrase_index]
        if self.options is None:
            return user_message(paraphrase, prefix=self.prefix, suffix=self.suffix)
        order = tuple(range(len(self.options.options))) if ordering is None else ordering
        return user_message(paraphrase, prefix=self.prefix, suffix=self.suffix,
                            options=[self.options.options[i] for i in order], labels=self.options.labels)

    def unfilled_placeholders(self) -> tuple[str, ...]:
        """`{name}` placeholders left in the text as written (the paper's `{sep_suffix}`, ...)."""
        return unfilled_placeholders(self.prefix, *self.paraphrases, self.suffix)


@dataclass(frozen=True)
class BatteryItem:
    """One prompt to evaluate: a question x paraphrase x option ordering."""

    battery: str
    question: Question
    paraphrase_index: int
    ordering_index: int
    ordering: Ordering                       # () when the question has no options
    presented: tuple[PresentedOption, ...]   # the options in this ordering; () without options
    user_message: str

    @property
    def key(self) -> str:
        """Stable within a battery file: `question/p<paraphrase>/o<ordering>` (0-based)."""
        return f"{self.question.name}/p{self.paraphrase_index}/o{self.ordering_index}"

    @property
    def readout(self) -> Readout:
        return self.question.readout

    @property
    def scored(self) -> tuple[str, ...]:
        """For options: the strings scored, in presented order (labels, or texts); else ()."""
        return tuple(option.scored for option in self.presented)


@dataclass(frozen=True)
class Battery:
    name: str
    family: str
    description: str
    questions: tuple[Question, ...]
    path: Path | None = None

    def question(self, name: str) -> Question:
        for question in self.questions:
            if question.name == name:
                return question
        raise KeyError(name)

    def items(self, permute: bool | None = None) -> Iterator[BatteryItem]:
        """Every question x paraphrase x ordering, in file order; `permute` overrides each
        question's own `permute` (True: every option question is permuted; False: none is)."""
        for question in self.questions:
            orderings = question.orderings(permute)
            for p in range(len(question.paraphrases)):
                for o, ordering in enumerate(orderings):
                    yield BatteryItem(self.name, question, p, o, ordering, question.presented(ordering),
                                      question.user_message(p, ordering if ordering else None))

    def count_items(self, permute: bool | None = None) -> int:
        return sum(len(q.paraphrases) * len(q.orderings(permute)) for q in self.questions)
