"""`logitscope battery list|show`: the shipped question batteries, and what a battery will ask.

Thin argument handling over `sessions.batteries` (the format is docs/batteries.md). `show` prints,
for each question, its type, paraphrase and ordering counts, the readout and the exact user
message of the first paraphrase in the first ordering, so a battery can be checked before it is
run. Nothing here loads a model. Errors are BatteryErrors (EngineErrors): main.py prints them on
one line, naming the file, line, question and key.
"""

from __future__ import annotations

import argparse
from typing import Any

from sessions.batteries import Battery, Question, load_battery, shipped_batteries

from .jsonout import print_json, to_jsonable


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
