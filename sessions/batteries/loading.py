"""Read a battery file (YAML) and check every rule of docs/batteries.md before anything runs.

Why its own module: a battery is written by hand, so a mistake must surface at load time with a
message that names the file and line, the question and the key (`FILE:LINE: question 'q':
key 'options': ...`), never as a KeyError halfway through a run. The question files of the
behavioural self-awareness paper load unchanged: a top-level list of questions, their keys
(`name`, `title`, `question_type`, `question` or `question_paraphrases`, `options`, `prefix`,
`suffix`) understood, any other key (`guesser_prompt`, `func_name`, `scenarios`, ...) kept in
`Question.extra` and ignored. Our own keys are checked strictly; an unknown key that looks like
a misspelt known one is refused with a "did you mean".
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml

from .errors import BatteryFormatError, BatteryNotFoundError
from .format import (
    Battery,
    CategoryRule,
    FreeReadout,
    NumberReadout,
    OptionsReadout,
    Question,
    Readout,
    ReadoutKind,
    TraceReadout,
    WordCategory,
    WordsReadout,
    word_variants,
)
from .prompts import OPTIONS_PLACEHOLDER, LabelStyle, question_text

# The paper's question_type values (every one its files use) and the readout each implies.
PAPER_TYPES: dict[str, ReadoutKind] = {
    "multiple_choice": ReadoutKind.OPTIONS,
    "score": ReadoutKind.NUMBER,
    "quantitative": ReadoutKind.NUMBER,
    "ff_score": ReadoutKind.NUMBER,
    "free_form": ReadoutKind.FREE,
    "word": ReadoutKind.FREE,
}
# Which readouts a question_type admits when one of our readout keys is also given.
COMPATIBLE: dict[ReadoutKind, frozenset[ReadoutKind]] = {
    ReadoutKind.OPTIONS: frozenset({ReadoutKind.OPTIONS}),
    ReadoutKind.NUMBER: frozenset({ReadoutKind.NUMBER}),
    ReadoutKind.FREE: frozenset({ReadoutKind.FREE, ReadoutKind.WORDS, ReadoutKind.TRACE}),
}
PAPER_KEYS = ("name", "id", "title", "question_type", "question", "question_paraphrases", "options",
              "prefix", "suffix")
READOUT_KEYS = ("options", "words", "number", "free", "trace")
OUR_KEYS = ("labels", "permute", "max_orderings", "words", "number", "free", "trace")
BATTERY_KEYS = ("name", "family", "description", "questions")
MIN_OPTIONS, MAX_OPTIONS = 2, 10
MAX_ORDERINGS = 1000
MAX_NUMBER_SPAN = 10_000
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*\Z")


class _Map(dict[Any, Any]):
    """A YAML mapping that remembers the line it starts on and each key's line (1-based)."""

    line = 0
    key_lines: dict[Any, int] = {}  # replaced per instance by _construct_map


class _Loader(yaml.SafeLoader):
    """safe_load, plus: mappings carry their line, and a key given twice is an error."""


def _construct_map(loader: _Loader, node: yaml.MappingNode) -> Any:
    data = _Map()
    data.line = node.start_mark.line + 1
    yield data
    seen: dict[Any, int] = {}
    for key_node, _ in node.value:
        if key_node.tag == "tag:yaml.org,2002:merge":
            continue
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, (str, int, float, bool)) and key is not None:
            raise yaml.constructor.ConstructorError(None, None, "a key must be plain text", key_node.start_mark)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"key {key!r} given twice (first on line {seen[key]})", key_node.start_mark)
        seen[key] = key_node.start_mark.line + 1
    data.key_lines = seen
    loader.flatten_mapping(node)
    for key_node, value_node in node.value:
        data[loader.construct_object(key_node, deep=True)] = loader.construct_object(value_node, deep=True)


_Loader.add_constructor("tag:yaml.org,2002:map", _construct_map)


class _Where:
    """Builds error messages: `FILE:LINE: question 'q': key 'k': problem`."""

    def __init__(self, source: str, line: int = 0, question: str | None = None,
                 mapping: _Map | None = None) -> None:
        self.source, self.line, self.question, self.mapping = source, line, question, mapping

    def at(self, line: int, question: str | None = None, mapping: _Map | None = None) -> _Where:
        return _Where(self.source, line or self.line, question if question is not None else self.question,
                      mapping)

    def error(self, problem: str, key: str | None = None) -> BatteryFormatError:
        line = self.line
        if key is not None and self.mapping is not None:  # the line of the key itself, if known
            line = self.mapping.key_lines.get(re.split(r"[.\[]", key)[0], line)
        parts = [f"{self.source}:{line}" if line else self.source]
        if self.question is not None:
            parts.append(f"question {self.question!r}")
        if key is not None:
            parts.append(f"key {key!r}")
        return BatteryFormatError(": ".join([*parts, problem]))


def _line(value: Any) -> int:
    return value.line if isinstance(value, _Map) else 0


def _text(where: _Where, key: str, value: Any, *, allow_empty: bool = False) -> str:
    if isinstance(value, bool):  # YAML 1.1: unquoted yes/no/on/off/true/false are booleans
        raise where.error(f"expected text, got {_kind(value)}; put quotes around it (\"Yes\")", key)
    if not isinstance(value, str):
        raise where.error(f"expected text, got {_kind(value)}", key)
    if not allow_empty and not value.strip():
        raise where.error("must not be empty", key)
    return value


def _kind(value: Any) -> str:
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return f"a boolean ({value})"
    if isinstance(value, (int, float)):
        return f"a number ({value})"
    if isinstance(value, str):
        return f"text ({value!r})"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


def _int(where: _Where, key: str, value: Any, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise where.error(f"expected a whole number, got {_kind(value)}", key)
    if not low <= value <= high:
        raise where.error(f"must be between {low} and {high}, got {value}", key)
    return value


def _float(where: _Where, key: str, value: Any, low: float, high: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise where.error(f"expected a number, got {_kind(value)}", key)
    if not low <= value <= high:
        raise where.error(f"must be between {low:g} and {high:g}, got {value}", key)
    return float(value)


def _text_list(where: _Where, key: str, value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not value:
        raise where.error(f"expected a non-empty list of texts, got {_kind(value)}", key)
    return tuple(_text(where, f"{key}[{i}]", item) for i, item in enumerate(value))


def _mapping(where: _Where, key: str, value: Any, allowed: tuple[str, ...]) -> Mapping[str, Any]:
    """One of our sub-mappings: only `allowed` keys (an empty value `key:` means all defaults)."""
    if value is None or value is True:
        return {}
    if not isinstance(value, dict):
        raise where.error(f"expected a mapping of {', '.join(allowed)}, got {_kind(value)}", key)
    for sub in value:
        if sub not in allowed:
            raise where.at(_line(value)).error(f"unknown key {sub!r}; allowed: {', '.join(allowed)}", key)
    return value


def _suggestion(key: Any) -> str | None:
    if not isinstance(key, str):
        return None
    close = difflib.get_close_matches(key, (*PAPER_KEYS, *OUR_KEYS), n=1, cutoff=0.8)
    return close[0] if close else None


# --- readouts --------------------------------------------------------------------------------

def _options_readout(where: _Where, raw: Mapping[str, Any]) -> OptionsReadout:
    options = raw["options"]
    if not isinstance(options, list):
        raise where.error(f"expected a list of {MIN_OPTIONS}-{MAX_OPTIONS} options, got {_kind(options)}",
                          "options")
    if not MIN_OPTIONS <= len(options) <= MAX_OPTIONS:
        raise where.error(f"expected {MIN_OPTIONS}-{MAX_OPTIONS} options, got {len(options)}", "options")
    texts = tuple(_text(where, f"options[{i}]", o) for i, o in enumerate(options))
    for i, text in enumerate(texts):
        if text in texts[:i]:
            raise where.error(f"option {text!r} is given twice", f"options[{i}]")
    labels_raw = raw.get("labels", LabelStyle.LETTERS.value)
    try:
        labels = LabelStyle(labels_raw)
    except ValueError:
        raise where.error(f"expected one of {', '.join(s.value for s in LabelStyle)}, got {_kind(labels_raw)}",
                          "labels") from None
    permute = raw.get("permute", False)
    if not isinstance(permute, bool):
        raise where.error(f"expected true or false, got {_kind(permute)}", "permute")
    max_orderings = _int(where, "max_orderings", raw.get("max_orderings", 24), 1, MAX_ORDERINGS)
    return OptionsReadout(texts, labels, permute, max_orderings)


def _words_readout(where: _Where, value: Any) -> WordsReadout:
    if not isinstance(value, dict) or not value:
        raise where.error(f"expected a mapping of category -> list of words, got {_kind(value)}", "words")
    categories: list[WordCategory] = []
    owner: dict[str, tuple[str, str]] = {}  # folded variant -> (category, word)
    for name, words in value.items():
        key = f"words.{name}"
        if not isinstance(name, str) or not _NAME.match(name):
            raise where.error("a category name is letters, digits, '_', '.' or '-'", key)
        listed = _text_list(where, key, words)
        for word in listed:
            if word != word.strip() or any(ch.isspace() for ch in word):
                raise where.error(f"{word!r} is not a single word (no spaces)", key)
            for variant in word_variants(word):
                folded = variant.strip().casefold()
                if folded in owner and owner[folded] != (name, word):
                    other_category, other_word = owner[folded]
                    where_else = ("twice in this category" if other_category == name
                                  else f"also in category {other_category!r}")
                    raise where.error(f"{word!r} folds to the same word as {other_word!r}, {where_else}", key)
                owner[folded] = (name, word)
        categories.append(WordCategory(name, listed))
    return WordsReadout(tuple(categories))


def _number_readout(where: _Where, value: Any) -> NumberReadout:
    raw = _mapping(where, "number", value, ("min", "max"))
    low = _int(where, "number.min", raw.get("min", 0), -10**9, 10**9)
    high = _int(where, "number.max", raw.get("max", 100), -10**9, 10**9)
    if high <= low:
        raise where.error(f"max ({high}) must be greater than min ({low})", "number")
    if high - low > MAX_NUMBER_SPAN:
        raise where.error(f"at most {MAX_NUMBER_SPAN + 1} integers, got {high - low + 1}", "number")
    return NumberReadout(low, high)


def _category_rules(where: _Where, value: Any) -> tuple[CategoryRule, ...]:
    if value is None:
        return ()
    if not isinstance(value, dict):
        raise where.error(f"expected a mapping of category -> rule, got {_kind(value)}", "free.categories")
    rules = []
    for name, rule in value.items():
        key = f"free.categories.{name}"
        if not isinstance(name, str) or not _NAME.match(name):
            raise where.error("a category name is letters, digits, '_', '.' or '-'", key)
        raw = _mapping(where, key, rule, ("regex", "keywords"))
        regexes = _text_list(where, f"{key}.regex", raw["regex"]) if "regex" in raw else ()
        keywords = _text_list(where, f"{key}.keywords", raw["keywords"]) if "keywords" in raw else ()
        if not regexes and not keywords:
            raise where.error("give a regex or keywords", key)
        for pattern in regexes:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise where.error(f"bad regular expression {pattern!r}: {exc}", f"{key}.regex") from None
        rules.append(CategoryRule(name, regexes, keywords))
    return tuple(rules)


def _free_readout(where: _Where, value: Any) -> FreeReadout:
    raw = _mapping(where, "free", value, ("samples", "temperature", "max_tokens", "categories"))
    default = FreeReadout()
    return FreeReadout(
        samples=_int(where, "free.samples", raw.get("samples", default.samples), 1, 100_000),
        temperature=_float(where, "free.temperature", raw.get("temperature", default.temperature), 0.0, 10.0),
        max_tokens=_int(where, "free.max_tokens", raw.get("max_tokens", default.max_tokens), 1, 32_768),
        categories=_category_rules(where, raw.get("categories")),
    )


def _trace_readout(where: _Where, value: Any) -> TraceReadout:
    raw = _mapping(where, "trace", value, ("max_tokens", "temperature"))
    default = TraceReadout()
    return TraceReadout(
        max_tokens=_int(where, "trace.max_tokens", raw.get("max_tokens", default.max_tokens), 1, 32_768),
        temperature=_float(where, "trace.temperature", raw.get("temperature", default.temperature), 0.0, 10.0),
    )


# --- a question ------------------------------------------------------------------------------

def _question_name(where: _Where, raw: Mapping[str, Any], index: int) -> str:
    names = {key: raw[key] for key in ("name", "id") if key in raw}
    if not names:
        raise where.at(_line(raw), f"#{index + 1}").error("every question needs a name (or id)")
    if len(names) == 2 and names["name"] != names["id"]:
        raise where.at(_line(raw), f"#{index + 1}").error(
            f"name {names['name']!r} and id {names['id']!r} differ; give one", "id")
    key, name = next(iter(names.items()))
    if not isinstance(name, str) or not _NAME.match(name):
        raise where.at(_line(raw), f"#{index + 1}").error(
            f"a name is letters, digits, '_', '.' or '-' (starting with a letter or digit), got {_kind(name)}", key)
    return name


def _readout(where: _Where, raw: Mapping[str, Any]) -> Readout:
    given = [key for key in READOUT_KEYS if key in raw]
    if len(given) > 1:
        raise where.error(f"a question has one readout; got {', '.join(given)}", given[1])
    qtype = raw.get("question_type")
    implied: ReadoutKind | None = None
    if qtype is not None:
        if qtype not in PAPER_TYPES:
            raise where.error(f"unknown question type {qtype!r}; known: {', '.join(PAPER_TYPES)}", "question_type")
        implied = PAPER_TYPES[qtype]
    if given:
        kind = ReadoutKind(given[0])
    elif implied is not None:
        kind = implied
    else:
        raise where.error("say what to read: give question_type or one of " + ", ".join(READOUT_KEYS))
    if implied is not None and kind not in COMPATIBLE[implied]:
        raise where.error(f"question_type {qtype!r} does not go with {kind.value}", given[0])
    for key in ("labels", "permute", "max_orderings"):
        if key in raw and kind is not ReadoutKind.OPTIONS:
            raise where.error("only for a question with options", key)
    if kind is ReadoutKind.OPTIONS:
        if "options" not in raw:
            raise where.error(f"question_type {qtype!r} needs options", "options")
        return _options_readout(where, raw)
    if kind is ReadoutKind.WORDS:
        return _words_readout(where, raw["words"])
    if kind is ReadoutKind.NUMBER:
        return _number_readout(where, raw.get("number"))
    if kind is ReadoutKind.TRACE:
        return _trace_readout(where, raw["trace"])
    return _free_readout(where, raw.get("free"))


def _paraphrases(where: _Where, raw: Mapping[str, Any]) -> tuple[str, ...]:
    if "question" in raw and "question_paraphrases" in raw:
        raise where.error("give question or question_paraphrases, not both", "question")
    if "question_paraphrases" in raw:
        value = raw["question_paraphrases"]
        if not isinstance(value, list) or not value:
            raise where.error(f"expected a non-empty list of texts, got {_kind(value)}", "question_paraphrases")
        return tuple(_text(where, f"question_paraphrases[{i}]", p) for i, p in enumerate(value))
    if "question" in raw:
        return (_text(where, "question", raw["question"]),)
    raise where.error("no question text: give question_paraphrases (or question)")


def _check_texts(where: _Where, question: Question) -> None:
    """Rules that look at the text: labelled options need their placeholder; a number question's
    text states its range."""
    options = question.options
    if options is not None and options.labels is not LabelStyle.NONE:
        for i, paraphrase in enumerate(question.paraphrases):
            if OPTIONS_PLACEHOLDER not in question_text(paraphrase, question.prefix, question.suffix):
                raise where.error(f"has no {OPTIONS_PLACEHOLDER} placeholder: labelled options must be "
                                  "placed in the text (or set labels: none)", f"question_paraphrases[{i}]")
    readout = question.readout
    if isinstance(readout, NumberReadout):
        for i, paraphrase in enumerate(question.paraphrases):
            text = question_text(paraphrase, question.prefix, question.suffix)
            missing = [str(v) for v in (readout.minimum, readout.maximum)
                       if not re.search(rf"(?<![\d-]){re.escape(str(v))}(?!\d)", text)]
            if missing:
                raise where.error(f"does not state the range: {' and '.join(missing)} not in the text "
                                  f"(a number question says its range, e.g. 'from {readout.minimum} to "
                                  f"{readout.maximum}')", f"question_paraphrases[{i}]")


def parse_question(where: _Where, raw: Any, index: int) -> Question:
    if not isinstance(raw, dict):
        raise where.at(0, f"#{index + 1}").error(f"a question is a mapping of keys, got {_kind(raw)}")
    name = _question_name(where, raw, index)
    where = where.at(_line(raw), name, raw if isinstance(raw, _Map) else None)
    known = set(PAPER_KEYS) | set(OUR_KEYS)
    extra = {}
    for key in raw:
        if key in known:
            continue
        suggestion = _suggestion(key)
        if suggestion is not None:
            raise where.error(f"unknown key; did you mean {suggestion!r}?", str(key))
        extra[key] = raw[key]
    title = _text(where, "title", raw["title"]) if "title" in raw else name
    qtype = raw.get("question_type")
    prefix = _text(where, "prefix", raw.get("prefix", ""), allow_empty=True)
    suffix = _text(where, "suffix", raw.get("suffix", ""), allow_empty=True)
    question = Question(
        name=name, title=title, question_type=qtype if isinstance(qtype, str) else None,
        paraphrases=_paraphrases(where, raw), readout=_readout(where, raw), prefix=prefix, suffix=suffix,
        source=f"{where.source}:{where.line}", extra=MappingProxyType(extra),
    )
    _check_texts(where, question)
    return question


# --- a battery -------------------------------------------------------------------------------

def parse_battery(text: str, source: str, path: Path | None = None, default_name: str = "battery") -> Battery:
    """A battery from YAML text; `source` names it in messages (usually the file's path)."""
    where = _Where(source)
    try:
        data = yaml.load(text, Loader=_Loader)  # _Loader is a SafeLoader
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        line = mark.line + 1 if mark is not None else 0
        raise where.at(line).error(f"not valid YAML: {exc.problem or exc}") from None
    except yaml.YAMLError as exc:
        raise where.error(f"not valid YAML: {exc}") from None
    meta: Mapping[str, Any] = {}
    if isinstance(data, dict):
        for key in data:
            if key not in BATTERY_KEYS:
                raise where.at(_line(data)).error(
                    f"unknown battery key; allowed: {', '.join(BATTERY_KEYS)}", str(key))
        if "questions" not in data:
            raise where.at(_line(data)).error("a battery mapping needs a list of questions", "questions")
        meta, data = data, data["questions"]
    if not isinstance(data, list) or not data:
        raise where.error(f"expected a list of questions (or a mapping with questions:), got {_kind(data)}")
    questions: list[Question] = []
    for index, raw in enumerate(data):
        question = parse_question(where, raw, index)
        for earlier in questions:
            if earlier.name == question.name:
                raise where.at(_line(raw), question.name).error(
                    f"name given twice (first at {earlier.source})", "name")
        questions.append(question)

    def text_of(key: str, default: str) -> str:
        if key not in meta:
            return default
        return _text(where.at(_line(meta)), key, meta[key], allow_empty=key == "description")

    name = text_of("name", default_name)
    if not _NAME.match(name):
        raise where.error("a battery name is letters, digits, '_', '.' or '-'", "name")
    return Battery(name=name, family=text_of("family", "custom"), description=text_of("description", ""),
                   questions=tuple(questions), path=path)


def load_battery_file(path: str | Path) -> Battery:
    """Read and check the battery at `path` (named after the file unless it says its name)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise BatteryNotFoundError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise BatteryFormatError(f"{path}: cannot read it: {exc}") from None
    default_name = re.sub(r"[^A-Za-z0-9_.-]", "_", path.stem).lstrip("_.-") or "battery"
    return parse_battery(text, str(path), path=path, default_name=default_name)
