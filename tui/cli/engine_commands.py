"""`logitscope engine info URL`: what a remote engine runs and can do, before asking it anything.

It connects as `--engine URL` would (the same dialect detection, API key and errors), prints the
server's model, build, context, the adapters it loaded (their ids for per-request scales) and the
capabilities logitscope sees (docs/remote.md), as text or with `--json` one object.
"""

from __future__ import annotations

import argparse

from engine.remote import RemoteBackend

from . import options
from .jsonout import print_json


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("engine", help="remote engines (llama.cpp's server)",
                                   description="Inspect a remote engine (docs/remote.md).")
    commands = parser.add_subparsers(dest="engine_command", metavar="COMMAND", required=True)
    info = commands.add_parser("info", help="what the engine at URL runs and can do",
                               description="Connect to a remote engine and show its model, build, "
                                           "adapters and capabilities.")
    info.add_argument("url", metavar="URL", help="the engine's URL, as --engine takes it")
    info.add_argument("--api-key-env", metavar="NAME", default=options.API_KEY_ENV,
                      help=f"the environment variable holding the API key (default {options.API_KEY_ENV})")
    info.add_argument("--json", action="store_true", help="one JSON object")
    info.set_defaults(func=run_info)


def run_info(args: argparse.Namespace) -> int:
    with RemoteBackend(args.url, api_key=options.api_key(args)) as backend:
        described = backend.describe()
    if args.json:
        print_json(described)
        return 0
    print(f"engine {described['url']} ({described['dialect']})")
    for key in ("model_id", "model_path", "server_version", "n_vocab", "n_ctx", "n_ctx_train", "chat_template"):
        print(f"  {key}: {described[key]}")
    adapters = ", ".join(f"{a['id']}: {a['path']}" for a in described["adapters"]) or "none"
    print(f"  adapters: {adapters}")
    caps = described["capabilities"]
    print("  capabilities: " + ", ".join(f"{name}={getattr(caps, name)}" for name in caps.__dataclass_fields__))
    return 0
