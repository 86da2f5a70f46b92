"""`logitscope session ...` subcommands (list, show, rerun, rescore, compare, export). Placeholder until #5 lands."""

from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the `session` command group to the CLI."""
