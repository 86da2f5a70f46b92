"""`--session NAME` for ask, choose and score: journal the turn so a shell loop builds a session."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from engine.types import AdapterSpec, GenerationRequest, ModelInfo, TokenStep
from sessions.model import Request, Result


def add_session_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--session", metavar="NAME",
                        help="append this turn to the session NAME of the store (its name, id, id "
                             "prefix or path there; a new session is created from a plain name, "
                             "never from a path)")


def record_if_asked(args: argparse.Namespace, request: Request, result: Result) -> None:
    if not args.session:
        return
    from sessions import record_to

    session, turn = record_to(args.session, request, result)
    print(f"[recorded turn {turn.id} in session {session.id} ({session.path})]", file=sys.stderr)


def record_failure_if_asked(args: argparse.Namespace, request: GenerationRequest, steps: Sequence[TokenStep],
                            model: ModelInfo, adapters: tuple[AdapterSpec, ...], error: BaseException) -> None:
    """A generation an error ended after some tokens: journal what it said, as the TUI does
    (finish reason "error", the error as the turn's note). Nothing before the first token.
    `model` is the one that was loaded (a dead worker's backend no longer knows it)."""
    if not args.session or not steps:
        return
    from sessions import record_to
    from sessions.partial import error_note, failed_generation

    result = failed_generation(request, steps, model, adapters)
    session, turn = record_to(args.session, request, result, note=error_note(error))
    print(f"[recorded the {len(steps)} tokens before the error as turn {turn.id} in session "
          f"{session.id} ({session.path})]", file=sys.stderr)
