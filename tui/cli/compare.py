"""`logitscope compare PROMPT --configs FILE`: one prompt under 2-4 configurations, side by side.

Thin argument handling over the engine's lockstep comparison (engine/compare/): the
configurations come from a configs file (sessions/batteries/configs.py, the syntax every command
with several configurations takes; sampling keys allowed, the sampling flags filling what a
table leaves out; a `model` key runs that configuration on another model file, in a worker of
its own), `--only` picks some, `--forced` scores every one on one configuration's answer or on
a given text. Each configuration's answer is printed with its configuration, then a summary
line per pair; `--json` prints one object (tui/cli/compare_output.py, docs/compare.md).
Progress goes to stderr; Ctrl-C cancels the comparison in the worker, and what was done is
printed (and journaled with `--session`), exit 130. Every lane samples with one seed, drawn
once when `--seed` is not given, so configurations differ by their configuration, not by the
draw.
"""

from __future__ import annotations

import argparse
import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import Any

from engine.compare import CompareLane, CompareRequest, CompareResult, CompareStep
from engine.compare.types import MAX_LANES
from engine.errors import EngineError
from engine.local import LocalBackend
from engine.seeds import random_seed
from engine.types import Configuration as EngineConfiguration
from engine.types import Message, SamplingSettings, TriggerPlace
from sessions.batteries.configs import ConfigsError, Configuration, load_configs
from sessions.comparison_text import answer_line, comparison_approximate, lane_header, pair_line
from sessions.comparisons import failed_comparison
from sessions.distribution_marks import COMPARE_LEGEND
from sessions.partial import error_note

from . import options
from .compare_output import comparison_json
from .jsonout import print_json
from .progress import ProgressBar


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "compare", help="one prompt under 2-4 configurations, side by side, with their divergence",
        description="Decode one prompt under each configuration of a configs file in lockstep and report, "
                    "per pair, the KL divergence both ways, the Jensen-Shannon divergence and the positions "
                    "where the chosen tokens differ (docs/compare.md).")
    parser.add_argument("prompt", help="the user message")
    parser.add_argument("--configs", metavar="FILE.toml",
                        help="named configurations (docs/batteries.md, 'Configurations'); required")
    parser.add_argument("--only", type=_names, metavar="A,B",
                        help=f"compare only these configurations (1-{MAX_LANES} names of the file; a replica "
                             "table's name stands for its replicas)")
    parser.add_argument("--forced", metavar="NAME|TEXT",
                        help="teacher-force every configuration on configuration NAME's answer, or on the "
                             "tokens of TEXT")
    parser.add_argument("--top-k-probs", type=int, default=10, metavar="K",
                        help="alternatives reported per position, 0-100 (default 10)")
    parser.add_argument("--json", action="store_true", help="print one JSON object (docs/compare.md)")
    parser.add_argument("--session", metavar="NAME",
                        help="journal the comparison in the session NAME of the store (created from a "
                             "plain name if new)")
    options.add_model_options(parser)
    options.add_sampling_options(parser)
    parser.set_defaults(func=run)


def _names(text: str) -> tuple[str, ...]:
    names = tuple(dict.fromkeys(n.strip() for n in text.split(",") if n.strip()))
    if not names:
        raise argparse.ArgumentTypeError("expected configuration names separated by commas")
    return names


def configurations(args: argparse.Namespace, sampling: SamplingSettings
                   ) -> tuple[tuple[Configuration, ...], tuple[Configuration, ...]]:
    """The file's configurations, and those compared: all of them, or those `--only` names, in
    the order it names them."""
    if args.configs is None:
        raise ConfigsError("compare needs --configs FILE.toml naming the configurations to compare "
                           "(docs/compare.md); for one configuration use ask")
    if args.adapter:
        raise ConfigsError(f"{args.configs}: --configs gives every configuration; drop --adapter (or put "
                           "it in a table of the file)")
    from adapters.library import parse_adapter

    every = found = load_configs(args.configs, parse_adapter, sampling_defaults=sampling, models=True)
    if args.only:
        chosen: list[Configuration] = []
        for name in args.only:
            matching = [c for c in found if name in (c.name, c.group)]
            if not matching:
                raise ConfigsError(f"{args.configs}: --only names {name!r}, which is no configuration of the "
                                   f"file ({', '.join(c.name for c in found)})")
            chosen += [c for c in matching if c not in chosen]
        found = tuple(chosen)
    if len(found) > MAX_LANES:
        raise ConfigsError(f"{args.configs}: {len(found)} configurations; a comparison takes 1 to {MAX_LANES}: "
                           "pick some with --only A,B")
    return every, found


def lanes(found: tuple[Configuration, ...], sampling: SamplingSettings) -> tuple[CompareLane, ...]:
    """Each configuration as the engine's lane; a lane without a seed gets the shared one."""
    out = []
    for c in found:
        own = c.sampling or sampling
        if own.seed is None:
            own = replace(own, seed=sampling.seed)
        engine = EngineConfiguration(adapters=c.adapters, system=c.system, trigger=c.trigger,
                                     trigger_at=TriggerPlace(c.trigger_at.value), model_path=c.model)
        out.append(CompareLane(c.name, engine, own))
    return tuple(out)


@contextmanager
def _cancel_on_interrupt(backend: LocalBackend) -> Iterator[list[bool]]:
    """The first Ctrl-C cancels the comparison (the worker ends it after the position in flight
    and sends what is done); a second one interrupts as usual."""
    interrupted: list[bool] = []

    def handler(signum: int, frame: Any) -> None:
        if interrupted:
            raise KeyboardInterrupt
        interrupted.append(True)
        print("\nstopping after the position in flight (Ctrl-C again to abandon it)", file=sys.stderr)
        backend.cancel()

    previous = signal.signal(signal.SIGINT, handler)
    try:
        yield interrupted
    finally:
        signal.signal(signal.SIGINT, previous)


def run(args: argparse.Namespace) -> int:
    sampling = options.sampling(args)
    if sampling.seed is None:  # one seed for every lane, drawn here and recorded
        sampling = replace(sampling, seed=random_seed())
    every, found = configurations(args, sampling)
    forced_text = None
    with options.open_backend(args, LocalBackend) as backend:
        model = backend.start()  # the worker ignores SIGINT (engine/worker.py): Ctrl-C cancels below
        request = CompareRequest((Message("user", args.prompt),), lanes(found, sampling),
                                 max_tokens=args.max_tokens, top_k_probs=options.top_k_probs(args))
        if args.forced is not None:
            if args.forced in request_names(request):
                request = replace(request, forced_from=args.forced)
            elif any(args.forced in (c.name, c.group) for c in every):
                raise ConfigsError(f"{args.configs}: --forced names {args.forced!r}, which --only left out")
            else:
                forced_text = args.forced
                ids = tuple(backend.tokenize(args.forced))
                if not ids:
                    raise ConfigsError("--forced gives no tokens to score (an empty text)")
                request = replace(request, forced_ids=ids)
        total = len(request.forced_ids) or request.max_tokens
        bar = ProgressBar(f"compare {', '.join(request_names(request))}")
        stream = backend.compare(request)
        steps: list[CompareStep] = []
        with _cancel_on_interrupt(backend) as interrupted:
            try:
                for step in stream:
                    steps.append(step)
                    bar(len(steps), total)
            except EngineError as error:
                bar.finish()
                if steps:  # what was decided before the error is kept, as a failed comparison
                    _record(args, request, steps, failed_comparison(request, steps, model), note=error_note(error))
                raise
            finally:
                bar.finish()
        result = stream.result
        assert result is not None
    recorded = _record(args, request, steps, result)
    if args.json:
        print_json({**comparison_json(request, steps, result), "forced_text": forced_text,
                    "session": recorded})
    else:
        _print(request, steps, result)
    if interrupted:
        print(f"stopped after {len(steps)} positions", file=sys.stderr)
        return 130
    return 0


def request_names(request: CompareRequest) -> tuple[str, ...]:
    return tuple(lane.name for lane in request.lanes)


def _record(args: argparse.Namespace, request: CompareRequest, steps: list[CompareStep],
            result: CompareResult, note: str = "") -> dict[str, str] | None:
    if not args.session:
        return None
    from sessions import SessionStore, new_comparison

    session = SessionStore().open_or_create(args.session)
    record = session.append_comparison(new_comparison(request, steps, result, note=note))
    print(f"[recorded comparison {record.id} in session {session.id} ({session.path})]", file=sys.stderr)
    return {"id": session.id, "path": str(session.path), "comparison": record.id}


def _print(request: CompareRequest, steps: list[CompareStep], result: CompareResult) -> None:
    for lane, answer in zip(request.lanes, result.lanes, strict=True):
        print(lane_header(lane))
        print(f"  {answer.text}")
        print(f"  {answer_line(answer)}")
    if request.forced:
        on = f"{request.forced_from}'s answer" if request.forced_from else "the given text"
        print(f"(every configuration teacher-forced on {on})")
    approximate = comparison_approximate(steps)  # a remote engine's top-k: KL/JS approximate
    for summary in result.pairs:
        print(pair_line(result.names, summary, approximate))
    if approximate:
        print(COMPARE_LEGEND)
