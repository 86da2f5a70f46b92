"""`logitscope tui`: open the interactive app on a model configuration (the default command)."""

from __future__ import annotations

import argparse

from . import options


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("tui", help="open the interactive TUI (the default)")
    options.add_model_options(parser)
    options.add_system_options(parser)
    options.add_sampling_options(parser)
    parser.add_argument("--session", metavar="NAME", default=None,
                        help="journal the turns into session NAME of the store (a name, id, id prefix "
                             "or file there; resumed if it exists, created if new from a plain name, "
                             "never from a path); default: a new session named by the time")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from engine.local import LocalBackend
    from engine.threads import interactive_thread_counts
    from tui.app import run_tui  # textual is imported only for the TUI

    config = options.model_config(args)
    if args.threads is None:  # leave the UI a core while a CPU model streams (engine/threads.py)
        n_threads, n_threads_batch = interactive_thread_counts(config.n_gpu_layers)
        config = replace(config, n_threads=n_threads, n_threads_batch=n_threads_batch)
    backend = options.open_backend(args, LocalBackend, config)  # --engine URL: a remote engine (docs/remote.md)
    return run_tui(backend, options.system_prompt(args), options.sampling(args),
                   session=getattr(args, "session", None), max_tokens=args.max_tokens)
