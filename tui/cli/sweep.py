"""`logitscope sweep`: P(option), P(word category) or a continuation's logprob as a function of one
adapter's scale, read from one loaded model.

Why: an adapter trained on a behaviour is best read as a dose-response curve (scale -1 to 2: the
behaviour reversed, off, on, exaggerated), not as one number. One LocalBackend serves every
scale: each request carries its Configuration (the swept adapter at that scale, every other
--adapter at its own, the system prompt), and the engine swaps adapter scales without reloading
the model. What is read at each scale is sweep_readouts.py; the curve is drawn by
terminal_plot.py; `--json` prints one object with every number (README, "sweep").
"""

from __future__ import annotations

import argparse
import math
import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from engine.fingerprint import file_sha256
from engine.local import LocalBackend
from engine.types import AdapterSpec, ChoiceMode, Configuration
from sessions.batteries import OptionsReadout, WordCategory, WordsReadout, load_battery

from . import options
from .jsonout import emit, provenance_record
from .sweep_readouts import ContinuationsReader, OptionsReader, Reader, Reading, ScaleReading, WordsReader
from .terminal_plot import MARKERS, Series, line_plot

MAX_SCALES = 401
PLOTTED = ("prob", "raw_prob", "logprob")
# Python 3.13's test for "this argument is a negative number, not a flag", so that
# `--scales -1:2:0.25` and `--scales -1,0,1` parse on 3.11 and 3.12 as well.
_NEGATIVE_NUMBER = re.compile(r"-\.?\d")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "sweep", help="P(option), P(word category) or a continuation's logprob over an adapter's scale",
        description="Read the options (or word categories, or continuations) at each scale of one "
                    "adapter, from one loaded model (adapters are swapped, never reloaded); print a "
                    "table and a plot, or --json.",
    )
    parser._negative_number_matcher = _NEGATIVE_NUMBER
    parser.add_argument("prompt", nargs="?", help="the user message (not with --battery)")
    parser.add_argument("--scales", required=True, type=parse_scales, metavar="START:STOP:STEP|S1,S2,...",
                        help="the swept adapter's scales: a range with its end included (-1:2:0.25) or "
                             f"a list (0,0.5,1,2); at most {MAX_SCALES}")
    parser.add_argument("--sweep", metavar="NAME",
                        help="which --adapter is swept (its name or path as given, or its file name "
                             "without .gguf; default: the first); the others stay at their scales")
    what = parser.add_argument_group("what is read (one kind)").add_mutually_exclusive_group(required=True)
    what.add_argument("--option", action="append", metavar="TEXT", help="an answer to score; repeat for each")
    what.add_argument("--word", action="append", type=parse_word_category, metavar="CATEGORY=WORD,WORD",
                      help="a category of single words, P summed over each word's case and leading-space "
                           "variants; repeat for each category")
    what.add_argument("--continuation", action="append", metavar="TEXT",
                      help="a continuation of the answer whose total logprob is read; repeatable")
    what.add_argument("--battery", metavar="NAME|PATH",
                      help="read a battery question (with --question): its options or word categories, "
                           "its exact user message; no PROMPT then")
    parser.add_argument("--question", metavar="NAME", help="with --battery: the question to read")
    parser.add_argument("--paraphrase", type=int, default=0, metavar="N",
                        help="with --battery: which paraphrase (0-based, default 0; options in the file's order)")
    parser.add_argument("--mode", choices=[m.value for m in ChoiceMode], default=None,
                        help="options and words: complete (default; the whole answer, end of turn "
                             "included) or prefix (the answer starts with it)")
    parser.add_argument("--plot", choices=PLOTTED, default=None,
                        help="what the table and the plot show: prob (normalised over the options or "
                             "categories; the default for them), raw_prob, or logprob (the default "
                             "for continuations)")
    options.add_model_options(parser)
    options.add_system_options(parser)
    parser.add_argument("--json", action="store_true", help="one JSON object with every number")
    parser.set_defaults(func=run)


def parse_scales(text: str) -> tuple[float, ...]:
    """`START:STOP:STEP` (STOP included when the steps reach it) or `S1,S2,...`; sorted, distinct."""
    try:
        if ":" in text:
            start, stop, step = (float(part) for part in text.split(":"))
            if not step > 0 or not stop >= start:
                raise argparse.ArgumentTypeError(f"{text!r}: a range needs START <= STOP and STEP > 0")
            count = math.floor((stop - start) / step + 1e-9) + 1
            if count > MAX_SCALES:
                raise argparse.ArgumentTypeError(f"{text!r} has {count} scales; at most {MAX_SCALES}")
            scales = [round(start + i * step, 10) for i in range(count)]
        else:
            scales = [float(part) for part in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: expected START:STOP:STEP or a list like 0,0.5,1") from None
    if not all(math.isfinite(s) for s in scales):
        raise argparse.ArgumentTypeError(f"{text!r}: scales must be finite numbers")
    if len(set(scales)) != len(scales):
        raise argparse.ArgumentTypeError(f"{text!r}: a scale is given twice")
    if len(scales) > MAX_SCALES:
        raise argparse.ArgumentTypeError(f"{text!r} has {len(scales)} scales; at most {MAX_SCALES}")
    return tuple(sorted(scales))


def parse_word_category(text: str) -> WordCategory:
    name, sep, words = text.partition("=")
    listed = tuple(w.strip() for w in words.split(",") if w.strip())
    if not sep or not name.strip() or not listed:
        raise argparse.ArgumentTypeError(f"{text!r}: expected CATEGORY=WORD,WORD,... (e.g. risky=bold,reckless)")
    return WordCategory(name.strip(), listed)


@dataclass(frozen=True)
class SweptAdapter:
    given: str  # as typed on the command line
    index: int  # its place among the --adapter specs
    spec: AdapterSpec  # resolved path (its scale is replaced by each swept scale)


def swept_adapter(typed: list[str], specs: tuple[AdapterSpec, ...], name: str | None) -> SweptAdapter:
    """The --adapter named by --sweep (as typed, by path, or by file name), else the first."""
    if not specs:
        raise SystemExit("logitscope sweep: give the adapter to sweep with --adapter NAME|FILE")
    if name is None:
        return SweptAdapter(typed[0], 0, specs[0])
    for i, (text, spec) in enumerate(zip(typed, specs, strict=True)):
        as_typed = AdapterSpec.parse(text).path
        if name in (as_typed, text, spec.path, Path(spec.path).stem, Path(spec.path).name):
            return SweptAdapter(text, i, spec)
    raise SystemExit(f"logitscope sweep: --sweep {name!r} is none of the adapters given "
                     f"({', '.join(typed)})")


def battery_reader(args: argparse.Namespace, mode: ChoiceMode) -> Reader:
    """A battery question's reader: its exact user message, options (labels scored) or categories."""
    if args.prompt is not None:
        raise SystemExit("logitscope sweep: with --battery the user message is the question's; give no PROMPT")
    battery = load_battery(args.battery)
    names = ", ".join(q.name for q in battery.questions)
    if args.question is None:
        raise SystemExit(f"logitscope sweep: --battery needs --question NAME (one of: {names})")
    try:
        question = battery.question(args.question)
    except KeyError:
        raise SystemExit(f"logitscope sweep: battery {battery.name!r} has no question {args.question!r} "
                         f"(it has: {names})") from None
    if not 0 <= args.paraphrase < len(question.paraphrases):
        raise SystemExit(f"logitscope sweep: question {question.name!r} has {len(question.paraphrases)} "
                         f"paraphrases (--paraphrase 0 to {len(question.paraphrases) - 1})")
    user = question.user_message(args.paraphrase)
    if isinstance(question.readout, OptionsReadout):
        presented = question.presented(question.orderings(False)[0])
        return OptionsReader(user, tuple(o.scored for o in presented), mode, tuple(o.text for o in presented))
    if isinstance(question.readout, WordsReadout):
        return WordsReader(user, question.readout.categories, mode)
    raise SystemExit(f"logitscope sweep: question {question.name!r} is read as {question.readout.kind.value}; "
                     "sweep reads options and words questions")


def reader_from(args: argparse.Namespace) -> Reader:
    if args.battery is None and (args.question is not None or args.paraphrase != 0):
        raise SystemExit("logitscope sweep: --question and --paraphrase go with --battery")
    if args.battery is None and args.prompt is None:
        raise SystemExit("logitscope sweep: give the user message (PROMPT), or --battery and --question")
    if args.continuation:
        if args.mode is not None:
            raise SystemExit("logitscope sweep: --mode is for --option and --word; a continuation is "
                             "scored as given (no end of turn)")
        return ContinuationsReader(args.prompt, tuple(dict.fromkeys(args.continuation)))
    mode = ChoiceMode(args.mode or ChoiceMode.COMPLETE.value)
    if args.battery is not None:
        return battery_reader(args, mode)
    if args.word:
        names = [c.name for c in args.word]
        if len(set(names)) != len(names):
            raise SystemExit("logitscope sweep: a --word category is named twice")
        return WordsReader(args.prompt, tuple(args.word), mode)
    return OptionsReader(args.prompt, tuple(dict.fromkeys(args.option)), mode)


def configurations(args: argparse.Namespace, swept: SweptAdapter, specs: tuple[AdapterSpec, ...]
                   ) -> list[tuple[float, Configuration]]:
    system = options.system_prompt(args)
    return [(scale, Configuration(adapters=tuple(replace(s, scale=scale) if i == swept.index else s
                                                 for i, s in enumerate(specs)), system=system))
            for scale in args.scales]


def run(args: argparse.Namespace) -> int:
    reader = reader_from(args)
    config = options.model_config(args)
    swept = swept_adapter(args.adapter, config.adapters, args.sweep)
    plotted = args.plot or ("logprob" if reader.kind == "continuations" else "prob")
    points: list[tuple[Configuration, float, ScaleReading]] = []
    # The model is loaded once; every scale is a request carrying its own configuration.
    with options.open_backend(args, LocalBackend, replace(config, adapters=())) as backend:
        for scale, configuration in configurations(args, swept, config.adapters):
            points.append((configuration, scale, reader.read(backend, configuration)))
    if args.json:
        emit(sweep_record(reader, swept, config.adapters, points))
    else:
        print_sweep(reader, swept, config.adapters, points, plotted)
    return 0


def _value_record(reading: Reading) -> dict[str, Any]:
    return {"prob": reading.prob, "raw_prob": reading.raw_prob, "logprob": reading.logprob, **reading.detail}


def sweep_record(reader: Reader, swept: SweptAdapter, specs: tuple[AdapterSpec, ...],
                 points: list[tuple[Configuration, float, ScaleReading]]) -> dict[str, Any]:
    """The one `sweep --json` object (field names are public interface: README, "sweep")."""
    first = points[0][2].provenance
    return {
        "readout": reader.kind,
        "mode": getattr(reader, "mode", None),
        "prompt": reader.prompt,
        "names": list(reader.names()),
        **({"categories": {c.name: list(c.words) for c in reader.categories}}
           if isinstance(reader, WordsReader) else {}),
        "swept": {"given": swept.given, "path": swept.spec.path, "sha256": file_sha256(swept.spec.path)},
        "fixed_adapters": [s for i, s in enumerate(specs) if i != swept.index],
        "scales": [scale for _, scale, _ in points],
        "points": [{"scale": scale, "adapters": configuration.adapters, "mass": reading.mass,
                    "values": {r.name: _value_record(r) for r in reading.readings}}
                   for configuration, scale, reading in points],
        "prompt_token_ids": list(first.prompt_token_ids),
        "provenance": provenance_record(first),
    }


_TITLES = {"prob": "P normalised over the {what}", "raw_prob": "P (unnormalised)", "logprob": "logprob (nats)"}


def _cell(value: float, plotted: str) -> str:
    """A number for the table: small probabilities keep their digits (1.2e-06, not 0.0000)."""
    if plotted == "logprob" or value == 0 or value >= 1e-3 or not math.isfinite(value):
        return f"{value:.4f}"
    return f"{value:.2e}"


def print_sweep(reader: Reader, swept: SweptAdapter, specs: tuple[AdapterSpec, ...],
                points: list[tuple[Configuration, float, ScaleReading]], plotted: str) -> None:
    what = {"options": "options", "words": "categories", "continuations": "continuations"}[reader.kind]
    fixed = [f"{Path(s.path).name}:{s.scale:g}" for i, s in enumerate(specs) if i != swept.index]
    print(f"sweeping {Path(swept.spec.path).name} (sha256 {file_sha256(swept.spec.path)[:12]}) over "
          f"{len(points)} scales" + (f"; fixed: {', '.join(fixed)}" if fixed else ""))
    print(f"  {swept.spec.path}")
    mode = getattr(reader, "mode", None)
    title = _TITLES[plotted].format(what=what) + (f" ({mode.value} answers)" if mode else "")
    print(title)
    names = reader.names()
    width = max(8, min(14, (80 - 8 - 9) // max(len(names), 1) - 1))
    shown = [repr(n) if n != n.strip() else n for n in names]
    # each column starts with its curve's marker, so long names are told apart by the legend
    header = "   scale " + " ".join(f"{(MARKERS[k % len(MARKERS)] + ' ' + n)[:width]:>{width}}"
                                    for k, n in enumerate(shown))
    has_mass = points[0][2].mass is not None
    print(header + ("      mass" if has_mass else ""))
    for _, scale, reading in points:
        cells = " ".join(f"{_cell(getattr(r, plotted), plotted):>{width}}" for r in reading.readings)
        mass = f"  {_cell(reading.mass, 'prob'):>8}" if reading.mass is not None else ""
        print(f"{scale:8.3g} {cells}{mass}")
    print()
    series = [Series(label, tuple(getattr(reading.readings[k], plotted) for _, _, reading in points))
              for k, label in enumerate(shown)]
    y_range = None if plotted == "logprob" else (0.0, 1.0)
    for line in line_plot([scale for _, scale, _ in points], series, y_range=y_range, y_title=title,
                          x_title=f"scale of {Path(swept.spec.path).name}"):
        print(line)
