"""`--session NAME` for ask, choose and score: journal the turn so a shell loop builds a session."""

from __future__ import annotations

import argparse
import sys

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
