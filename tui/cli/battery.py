"""`logitscope battery list|show|run`: the shipped question batteries, what a battery will ask, and
running one over configurations.

Thin argument handling over `sessions.batteries` (the format is docs/batteries.md). `show` prints,
for each question, its type, paraphrase and ordering counts, the readout and the exact user
message of the first paraphrase in the first ordering, so a battery can be checked before it is
run; `list` and `show` load no model. `run` evaluates every item under every configuration
(`--configs FILE.toml`, else one "default" configuration from the usual flags) with one
LocalBackend and writes results.jsonl, summary.csv and report.html into `--out DIR`; Ctrl-C keeps
what is done and the same command resumes; `--json` prints one object at the end (`run_record`),
also after Ctrl-C, while the progress stays on stderr. Errors are BatteryErrors (EngineErrors):
main.py prints them on one line, naming the file, line or table, question and key.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from engine.local import LocalBackend
from engine.remote.endpoint import safe_url
from sessions.batteries import Battery, Question, load_battery, shipped_batteries
from sessions.batteries.configs import ConfigsError, Configuration, default_configuration, load_configs
from sessions.batteries.report import render_report
from sessions.batteries.results import MANIFEST_FILE, RESULTS_FILE, ResultsWriter, read_results
from sessions.batteries.runner import RunSettings, check_selection, fingerprint, plan, run_battery
from sessions.batteries.summary import SUMMARY_FILE, SummaryRow, summarise, write_summary

from . import options
from .jsonout import print_json, to_jsonable
from .progress import ProgressBar

REPORT_FILE = "report.html"


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the `battery` command group to the CLI."""
    parser = subparsers.add_parser("battery", help="list and show question batteries",
                                   description="Question batteries: many questions, each in several "
                                               "paraphrases and answer formats (docs/batteries.md).")
    commands = parser.add_subparsers(dest="battery_command", metavar="SUBCOMMAND")

    listing = commands.add_parser("list", help="list the shipped batteries",
                                  description="The batteries shipped with logitscope: name, family, "
                                              "number of questions and file.")
    listing.add_argument("--json", action="store_true", help="machine-readable output")
    listing.set_defaults(func=_list)

    show = commands.add_parser("show", help="show a battery's questions and the exact prompts",
                               description="Each question of a battery: type, paraphrases, orderings, "
                                           "readout, and the exact user message of the first paraphrase "
                                           "in the first ordering.")
    show.add_argument("battery", metavar="NAME|PATH", help="a shipped battery's name or a battery .yaml file")
    show.add_argument("--json", action="store_true", help="machine-readable output")
    show.set_defaults(func=_show)

    run = commands.add_parser("run", help="run a battery over configurations into a results folder",
                              description="Evaluate every item of a battery under each configuration and "
                                          "write DIR/results.jsonl, DIR/summary.csv and DIR/report.html. "
                                          "Ctrl-C keeps what is done; the same command resumes.")
    run.add_argument("battery", metavar="NAME|PATH", help="a shipped battery's name or a battery .yaml file")
    run.add_argument("--out", required=True, metavar="DIR", help="the results folder (created if missing)")
    run.add_argument("--configs", metavar="FILE.toml",
                     help="named configurations (docs/batteries.md); default: one configuration "
                          "'default' from --adapter and the system prompt flags")
    run.add_argument("--permute", action="store_true", help="present every option question in several orderings")
    run.add_argument("--questions", metavar="NAMES", default="",
                     help="only these questions: comma-separated names or globs (risk_*)")
    run.add_argument("--samples", type=_positive, metavar="N",
                     help="samples per free-answer item (default: the file's)")
    run.add_argument("--temperature", type=float, metavar="T",
                     help="sampling temperature of free-answer items (default: the file's)")
    run.add_argument("--seed", type=int, default=0, metavar="N",
                     help="free sample i uses seed N + i; trace answers use N (default 0)")
    run.add_argument("--restart", action="store_true",
                     help="discard the results already in DIR (needed when the battery or configurations changed)")
    run.add_argument("--json", action="store_true",
                     help="print one JSON object at the end (folder, files, evaluations, summary rows); "
                          "progress stays on stderr")
    options.add_model_options(run)
    options.add_system_options(run)
    run.set_defaults(func=_run)


_positive = options.whole_number(1, None, "must be a whole number, 1 or more")


def _summary(battery: Battery) -> dict[str, Any]:
    return {"name": battery.name, "family": battery.family, "questions": len(battery.questions),
            "items": battery.count_items(), "path": str(battery.path) if battery.path else None,
            "description": battery.description}


def _list(args: argparse.Namespace) -> int:
    batteries = shipped_batteries()
    if args.json:
        print_json([_summary(b) for b in batteries])
        return 0
    width = max((len(b.name) for b in batteries), default=4)
    family_width = max((len(b.family) for b in batteries), default=6)
    print(f"{'name':<{width}}  {'family':<{family_width}}  questions  path")
    for b in batteries:
        print(f"{b.name:<{width}}  {b.family:<{family_width}}  {len(b.questions):>9}  {b.path}")
    return 0


def question_record(question: Question) -> dict[str, Any]:
    """One question as `battery show --json` prints it (field names are public interface)."""
    first = question.orderings()[0]
    return {
        "name": question.name,
        "title": question.title,
        "question_type": question.question_type,
        "source": question.source,
        "readout": to_jsonable(question.readout),
        "describe": question.readout.describe(),
        "paraphrases": len(question.paraphrases),
        "orderings": len(question.orderings()),
        "orderings_permuted": len(question.orderings(permute=True)),
        "scored": [option.scored for option in question.presented(first)],
        "unfilled_placeholders": list(question.unfilled_placeholders()),
        "user_message": question.user_message(0, first or None),
    }


def _show(args: argparse.Namespace) -> int:
    battery = load_battery(args.battery)
    if args.json:
        print_json({**_summary(battery), "items_permuted": battery.count_items(permute=True),
                    "questions": [question_record(q) for q in battery.questions]})
        return 0
    print(f"{battery.name}  (family {battery.family}; {len(battery.questions)} questions, "
          f"{battery.count_items()} prompts; {battery.path})")
    if battery.description:
        print(f"  {battery.description}")
    for question in battery.questions:
        record = question_record(question)
        orderings = f"{record['orderings']} ordering{'s' if record['orderings'] != 1 else ''}"
        if record["orderings_permuted"] != record["orderings"]:
            orderings += f" ({record['orderings_permuted']} with --permute)"
        print()
        print(f"{question.name}  [{question.question_type or question.readout.kind.value}]  "
              f"{record['paraphrases']} paraphrases, {orderings}")
        if question.title != question.name:
            print(f"  {question.title}")
        print(f"  readout: {record['describe']}")
        if record["unfilled_placeholders"]:
            print("  left as written: " + ", ".join("{" + n + "}" for n in record["unfilled_placeholders"]))
        print("  user message (paraphrase 1, ordering 1):")
        for line in record["user_message"].split("\n"):
            print(f"    | {line}".rstrip())
    return 0


def _configurations(args: argparse.Namespace) -> tuple[Configuration, ...]:
    if args.configs is None:
        return default_configuration(options.adapter_specs(args.adapter), options.system_prompt(args))
    if args.adapter or args.system is not None or args.no_system or args.empty_system:
        raise ConfigsError(f"{args.configs}: --configs gives every configuration; drop --adapter and the "
                           "system prompt flags (or put them in a table of the file)")
    from adapters.library import parse_adapter

    return load_configs(args.configs, parse_adapter)


def _outputs(folder: str, battery_name: str) -> tuple[list[dict[str, Any]], list[SummaryRow]]:
    records = read_results(Path(folder) / RESULTS_FILE)
    rows = summarise(records)
    write_summary(rows, Path(folder) / SUMMARY_FILE)
    (Path(folder) / REPORT_FILE).write_text(render_report(f"Battery {battery_name}", rows, records), encoding="utf-8")
    return records, rows


def write_outputs(folder: str, battery_name: str) -> tuple[int, int]:
    """summary.csv and report.html from DIR/results.jsonl; returns (records, summary rows)."""
    records, rows = _outputs(folder, battery_name)
    return len(records), len(rows)


def summary_row_record(row: SummaryRow) -> dict[str, Any]:
    """A summary row with summary.csv's column names (None where the CSV cell is empty)."""
    e = row.estimate
    return to_jsonable({"battery": row.battery, "question": row.question, "readout": row.readout,
                        "configuration": row.configuration, "measure": row.measure, "mean": e.mean,
                        "sd": e.sd, "n": e.n, "ci_low": e.low, "ci_high": e.high, "runs": list(row.runs)})


def run_record(battery: Battery, folder: str, configurations: tuple[Configuration, ...], planned: int,
               skipped: int, done: int, records: int, rows: list[SummaryRow], stopped: bool) -> dict[str, Any]:
    """The one `battery run --json` object (field names are public interface: docs/batteries.md)."""
    out = Path(folder)
    return {
        "battery": battery.name,
        "battery_path": str(battery.path) if battery.path else None,
        "folder": str(out),
        "files": {"results": str(out / RESULTS_FILE), "run": str(out / MANIFEST_FILE),
                  "summary": str(out / SUMMARY_FILE), "report": str(out / REPORT_FILE)},
        "configurations": [c.name for c in configurations],
        "evaluations": {"planned": planned, "skipped": skipped, "done": done,
                        "remaining": planned - skipped - done},
        "records": records,
        "stopped": stopped,
        "summary": [summary_row_record(r) for r in rows],
    }


def _run(args: argparse.Namespace) -> int:
    battery = load_battery(args.battery)
    configurations = _configurations(args)
    settings = RunSettings(permute=True if args.permute else None, samples=args.samples,
                           temperature=args.temperature, seed=args.seed,
                           questions=tuple(q.strip() for q in args.questions.split(",") if q.strip()))
    check_selection(battery, settings)  # before DIR is created
    model = options.model_config(argparse.Namespace(**{**vars(args), "adapter": []}))
    # A remote engine's run is that engine's (its URL without credentials), not the local default model's.
    engine = getattr(args, "engine", None)
    identity = safe_url(engine) if engine else model.model_path
    writer = ResultsWriter(args.out, fingerprint(battery, configurations, settings, identity),
                           to_jsonable, restart=args.restart)
    tasks = plan(battery, configurations, settings)
    already = sum((t.key, t.configuration.name) in writer.done for t in tasks)
    done_before = len(writer.done)
    asked = sum(settings.selects(q.name) for q in battery.questions)
    print(f"battery {battery.name}: {len(tasks)} evaluations ({asked} questions x "
          f"{len(configurations)} configurations); {already} already in {writer.path}", file=sys.stderr)
    bar = ProgressBar("running")
    interrupted = False
    try:
        with options.open_backend(args, LocalBackend, model) as backend:
            run_battery(backend, tasks, writer, settings, bar)
    except KeyboardInterrupt:
        interrupted = True
    finally:  # also when the engine fails mid-run: what is done is summarised
        bar.finish()
        records, rows = _outputs(args.out, battery.name)
    if args.json:
        print_json(run_record(battery, args.out, configurations, len(tasks), already,
                              len(writer.done) - done_before, len(records), rows, interrupted))
    if interrupted:
        print(f"stopped: {len(records)} of {len(tasks)} records kept in {writer.path}; run the same command "
              "to resume", file=sys.stderr)
        return 130
    if not args.json:
        print(f"{len(records)} records, {len(rows)} summary rows: {args.out}/{RESULTS_FILE}, {SUMMARY_FILE}, "
              f"{REPORT_FILE}")
    return 0
