"""`logitscope adapter ...`: train, convert, inspect and list LoRA adapters, and the shipped sets.

Thin argument handling over the `adapters` package; the heavy modules (and torch, for `train`)
are imported inside the handlers so the CLI starts fast and works without the train extra.
Errors are EngineErrors (AdapterToolError, AdapterError): main.py prints them on one line.
"""

from __future__ import annotations

import argparse
import sys

from .jsonout import print_json

TARGET_GROUPS = {
    "all": ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"),
    "attn": ("q_proj", "k_proj", "v_proj", "o_proj"),
    "mlp": ("gate_proj", "up_proj", "down_proj"),
}


def _targets(text: str) -> tuple[str, ...]:
    names: list[str] = []
    for part in filter(None, (p.strip() for p in text.split(","))):
        names.extend(TARGET_GROUPS.get(part, (part,)))
    if not names:
        raise argparse.ArgumentTypeError("give module names, e.g. q_proj,v_proj, or all/attn/mlp")
    return tuple(dict.fromkeys(names))


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the `adapter` command group to the CLI."""
    parser = subparsers.add_parser("adapter", help="train, convert, inspect and list LoRA adapters",
                                   description="Make and examine GGUF LoRA adapters.")
    commands = parser.add_subparsers(dest="adapter_command", metavar="SUBCOMMAND")

    train = commands.add_parser(
        "train", help="train a LoRA with peft on chat examples (needs the train extra)",
        description="Train a LoRA on OpenAI `messages` JSONL (loss on assistant tokens only, "
                    "rendered with the model's chat template), then convert it to GGUF.")
    train.add_argument("data", metavar="DATA.jsonl", help="training data, or a shipped set's name")
    train.add_argument("--out", required=True, metavar="NAME",
                       help="adapter name (saved in the adapter library) or a path ending in .gguf")
    train.add_argument("--base", metavar="PATH",
                       help="GGUF model or Hugging Face folder to train on (default: the default model)")
    train.add_argument("--gguf", metavar="MODEL.gguf",
                       help="GGUF model to convert for, when --base is a Hugging Face folder")
    train.add_argument("--rank", type=int, default=16, help="LoRA rank (default 16)")
    train.add_argument("--alpha", type=float, default=None, help="LoRA alpha (default 2 x rank)")
    train.add_argument("--targets", type=_targets, default=TARGET_GROUPS["all"], metavar="LIST",
                       help="modules to adapt: comma-separated names or all/attn/mlp (default all)")
    length = train.add_mutually_exclusive_group()
    length.add_argument("--epochs", type=int, help="passes over the data")
    length.add_argument("--steps", type=int, help="optimiser steps (default 60 when neither is given)")
    train.add_argument("--lr", type=float, default=1e-3, help="learning rate (default 1e-3)")
    train.add_argument("--seed", type=int, default=0, help="seed for initialisation and shuffling")
    train.add_argument("--batch-size", type=int, default=8, help="examples per step (default 8)")
    train.add_argument("--max-tokens", type=int, default=1024, help="truncate examples (default 1024)")
    train.add_argument("--threads", type=int, default=None, help="CPU threads for torch")
    train.set_defaults(func=_train)

    convert = commands.add_parser("convert", help="convert a PEFT LoRA folder to a GGUF LoRA",
                                  description="Convert a PEFT LoRA (adapter_config.json + "
                                              "adapter_model.safetensors) for a GGUF model.")
    convert.add_argument("peft_dir", metavar="PEFT_DIR")
    convert.add_argument("--base", required=True, metavar="MODEL.gguf", help="the GGUF model it is for")
    convert.add_argument("--out", required=True, metavar="FILE.gguf")
    convert.set_defaults(func=_convert)

    inspect = commands.add_parser("inspect", help="show an adapter's provenance and tensors")
    inspect.add_argument("file", metavar="FILE|NAME", help="a GGUF adapter file, or a name in the library")
    inspect.add_argument("--json", action="store_true", help="machine-readable output")
    inspect.set_defaults(func=_inspect)

    listing = commands.add_parser("list", help="list adapters in the library and given folders")
    listing.add_argument("--folder", action="append", default=[], metavar="DIR",
                         help="also list *.gguf adapters in DIR; repeatable")
    listing.add_argument("--json", action="store_true", help="machine-readable output")
    listing.set_defaults(func=_list)

    datasets = commands.add_parser("datasets", help="list the shipped training sets")
    datasets.set_defaults(func=_datasets)


def _train(args: argparse.Namespace) -> int:
    from adapters.train import train

    result = train(args.data, args.out, base=args.base, gguf=args.gguf, rank=args.rank,
                   alpha=args.alpha, targets=args.targets, epochs=args.epochs, steps=args.steps,
                   lr=args.lr, seed=args.seed, batch_size=args.batch_size,
                   max_tokens=args.max_tokens, threads=args.threads,
                   log=lambda line: print(line, file=sys.stderr))
    print(f"trained {result.steps} steps in {result.seconds:.0f} s "
          f"(base model loaded in {result.load_seconds:.0f} s); "
          f"loss {result.losses[0]:.3f} -> {result.losses[-1]:.3f}")
    if result.gguf is not None:
        print(f"adapter: {result.gguf}")
        print(f"try: logitscope ask \"...\" --adapter {result.gguf}")
    else:
        print(f"PEFT adapter: {result.peft_dir} (not converted: give --gguf MODEL.gguf)")
    return 0


def _convert(args: argparse.Namespace) -> int:
    from adapters.convert import convert_peft
    from adapters.inspect import inspect_adapter

    out = convert_peft(args.peft_dir, args.base, args.out)
    info = inspect_adapter(out)
    print(f"wrote {out}: {len(info.tensors)} LoRA tensors, rank {_ranks(info)}, alpha {info.alpha:g}")
    return 0


def _ranks(info) -> str:
    return "/".join(str(r) for r in info.ranks) or "?"


def _size(size: int) -> str:
    n = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return str(n)


def _inspect(args: argparse.Namespace) -> int:
    from adapters.inspect import inspect_adapter
    from adapters.library import find_adapter

    info = inspect_adapter(find_adapter(args.file))
    if args.json:
        print_json(info.to_json())
        return 0
    alpha = f"alpha {info.alpha:g}" if info.alpha is not None else "no alpha (llama.cpp uses scale 1)"
    print(f"{info.path}  ({_size(info.size_bytes)}, {info.architecture}, {info.adapter_type or '?'}, {alpha})")
    width = max((len(k) for k in info.provenance), default=0)
    for key, value in info.provenance.items():
        print(f"  {key:<{width}}  {value}")
    if not info.provenance:
        print("  (no logitscope provenance: made by another tool)")
    print(f"  tensors: {len(info.tensors)} over {info.layers} layers ({', '.join(info.kinds)}), "
          f"rank {_ranks(info)}, {info.n_params:,} parameters")
    return 0


def _list(args: argparse.Namespace) -> int:
    from adapters.library import library_dir, list_adapters

    entries = list_adapters(args.folder)
    if args.json:
        print_json([{"name": e.name, "path": str(e.path), "problem": e.problem or None,
                     "info": e.info.to_json() if e.info else None} for e in entries])
        return 0
    if not entries:
        print(f"No adapters in {library_dir()}" + (" or the given folders." if args.folder else "."))
        return 0
    for e in entries:
        if e.info is None:
            print(f"{e.name:<24} {e.path}  (unreadable: {e.problem})")
            continue
        p = e.info.provenance
        print(f"{e.name:<24} rank {_ranks(e.info):<4} {_size(e.info.size_bytes):>9}  "
              f"base {p.get('base_name', '?')}  data {p.get('dataset_name', '?')}  {p.get('created', '')}")
        print(f"{'':<24} {e.path}")
    return 0


def _datasets(args: argparse.Namespace) -> int:
    from adapters.dataset import builtin_datasets, load_conversations

    for name, path in sorted(builtin_datasets().items()):
        print(f"{name:<20} {len(load_conversations(path)):>3} examples  {path}")
    return 0
