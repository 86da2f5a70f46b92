"""The `logitscope` console script: argument parsing and error reporting for every subcommand.

With no arguments it opens the TUI on the embedded default model; options without a command
(`logitscope --temperature 0 --no-system`) are the `tui` command's. Each subcommand lives in its
own module with a `register(subparsers)` function; handlers return an exit code. Engine errors
become one clear message on stderr (exit 1), never a traceback.
"""

from __future__ import annotations

import argparse
import sys

from engine import __version__
from engine.errors import EngineError
from engine.locations import llama_log_path

from . import (
    adapter_commands,
    ask,
    battery,
    choose,
    compare,
    doctor,
    engine_commands,
    models,
    score,
    session_commands,
    sweep,
    tui_command,
)

COMMANDS = (ask, choose, score, sweep, compare, tui_command, adapter_commands, session_commands, battery, models,
            engine_commands, doctor)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="logitscope",
        description="A keyboard-driven terminal lab for interrogating local language models. "
                    "Run without arguments to open the TUI on the default model; options "
                    "without a command (logitscope --temperature 0) are the tui command's.",
    )
    parser.add_argument("--version", action="version", version=f"logitscope {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for command in COMMANDS:
        command.register(subparsers)
    return parser


# What the top-level parser itself accepts; any other leading flag belongs to the default command.
TOP_LEVEL_FLAGS = frozenset({"-h", "--help", "--version"})


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser()
    if argv and argv[0].startswith("-") and argv[0] not in TOP_LEVEL_FLAGS:
        argv = ["tui", *argv]  # `logitscope --temperature 0` opens the TUI with that setting
    args = parser.parse_args(argv)
    if getattr(args, "func", None) is None:
        if args.command is None:
            args = parser.parse_args(["tui", *argv])
        else:
            parser.parse_args([args.command, "--help"])
            return 2
    try:
        return int(args.func(args) or 0)
    except EngineError as exc:  # sessions' and adapters' errors are EngineErrors too
        print(f"logitscope: {exc.title}: {exc.msg}", file=sys.stderr)
        if exc.details:
            print("  llama.cpp said:\n    " + exc.details.strip().replace("\n", "\n    "), file=sys.stderr)
            print(f"  (full log: {llama_log_path()})", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\nlogitscope: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
