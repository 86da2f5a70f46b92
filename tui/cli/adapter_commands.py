"""`logitscope adapter ...` subcommands (train, convert, inspect, list). Placeholder until #3 lands."""

from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the `adapter` command group to the CLI."""
