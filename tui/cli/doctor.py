"""`logitscope doctor`: is this installation sound on this machine? Exit 0 only if it is.

Prints each check of engine/doctor with its status and, for anything not "ok", what to do.
`--json` prints the whole report (the same checks, with every detail) as one JSON object.
"""

from __future__ import annotations

import argparse

from engine.doctor import run_doctor

from .jsonout import print_json

MARK = {"ok": "ok  ", "warn": "WARN", "fail": "FAIL"}


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "doctor", help="check the llama.cpp build, the default model and the install",
        description="Check that logitscope works on this machine: llama.cpp's build and system "
                    "info, the build record, the default model, paths, packages, and a self-test "
                    "that loads the default model and decodes a few tokens. Exit 0 only when "
                    "nothing failed.",
    )
    parser.add_argument("--json", action="store_true", help="print the report as one JSON object")
    parser.add_argument("--no-self-test", action="store_true", help="skip loading the model")
    parser.add_argument("--model", metavar="PATH", help="self-test this GGUF model instead")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    report = run_doctor(self_test=not args.no_self_test, model_path=args.model)
    if args.json:
        print_json(report.as_json())
    else:
        print("logitscope doctor")
        for check in report.checks:
            print(f"  {MARK.get(check.status, check.status)}  {check.name}: {check.summary}")
            if check.status != "ok" and check.fix:
                print(f"        fix: {check.fix}")
        print("all good" if report.ok else "something failed: see the FAIL lines above")
    return 0 if report.ok else 1
