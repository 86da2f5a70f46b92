"""`logitscope models`: the GGUF models and LoRA adapters this user already has, and their names.

Lists what engine/model_stores finds in the Hugging Face cache, Ollama's store, LM Studio's
folder, llama.cpp's cache and the folders given with `--models-dir`, read from each file's GGUF
header (nothing is loaded). The name column is what `--model` accepts. `--json` prints one
object per file (JSON Lines; docs/models.md lists the fields). Exit 0 even when nothing is
found: the output then says where it looked.
"""

from __future__ import annotations

import argparse

from engine.model_stores import KINDS, STORE_NAMES, FoundModel, discover_models, searched_locations

from .jsonout import emit

COLUMNS = ("name", "size", "arch", "quant", "ctx", "template", "path")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "models", help="list the GGUF models and adapters you already have (HF cache, Ollama, LM Studio, ...)",
        description="List GGUF models and LoRA adapters found in the Hugging Face cache (HF_HUB_CACHE / "
                    "HF_HOME), Ollama's store (OLLAMA_MODELS), LM Studio's models folder, llama.cpp's "
                    "cache (LLAMA_CACHE) and the folders given with --models-dir, from their GGUF "
                    "headers (nothing is loaded). The name column is what --model accepts.",
    )
    parser.add_argument("--json", action="store_true", help="one JSON object per file (JSON Lines)")
    parser.add_argument("--kind", choices=KINDS, help="only models, or only adapters")
    parser.add_argument("--store", choices=STORE_NAMES, action="append",
                        help="only this store (repeatable; default: all)")
    parser.add_argument("--models-dir", metavar="DIR", action="append", default=[],
                        help="also list *.gguf below DIR, recursively (repeatable)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    stores = args.store or None
    found = discover_models(stores, args.models_dir, kind=args.kind)
    if args.json:
        for model in found:
            emit(model.to_json())
        return 0
    if not found:
        what = {None: "GGUF models or adapters", "model": "GGUF models", "adapter": "GGUF adapters"}[args.kind]
        print(f"No {what} found. Looked in:")
        for location in searched_locations(stores, args.models_dir):
            print(f"  {location.store:<9} {location.path}{'' if location.exists else '  (not there)'}")
        return 0
    print_table(found)
    return 0


def size_text(size: int) -> str:
    for unit, scale in (("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if size >= scale:
            return f"{size / scale:.1f} {unit}"
    return f"{size} B"


def row(model: FoundModel) -> tuple[str, ...]:
    adapter = model.kind == "adapter"
    return (model.name, size_text(model.size), model.architecture or "?",
            "adapter" if adapter else (model.quantization or "?"),
            "" if adapter or model.context_length is None else str(model.context_length),
            "" if adapter else ("yes" if model.chat_template else "no"), model.path)


def notes(model: FoundModel) -> list[str]:
    """The lines under a row: an adapter's base, a split model's parts, the store's pairing, an error."""
    lines = []
    if model.kind == "adapter":
        base = ", ".join(part for part in (
            model.base_name and f"base {model.base_name}", model.base_organization and f"by {model.base_organization}",
            model.base_sha256 and f"sha256 {model.base_sha256[:12]}",
            model.lora_alpha is not None and f"alpha {model.lora_alpha:g}") if part)
        fits = model.architecture or "an unknown architecture"
        lines.append(f"LoRA adapter for {fits}" + (f" ({base})" if base else ""))
    if model.parts > 1:
        lines.append(f"split in {model.parts} files; llama.cpp loads them from the first")
    if model.pairs_with:
        lines.append(("its base: " if model.kind == "adapter" else "Ollama applies: ") + ", ".join(model.pairs_with))
    if model.error:
        lines.append(f"error: {model.error}")
    return lines


def print_table(found: list[FoundModel]) -> None:
    rows = [COLUMNS, *(row(model) for model in found)]
    widths = [max(len(r[i]) for r in rows) for i in range(len(COLUMNS) - 1)]
    for n, cells in enumerate(rows):
        print("  ".join(cell.ljust(width) for cell, width in zip(cells, widths, strict=False)) + "  " + cells[-1])
        for line in notes(found[n - 1]) if n else ():
            print(f"    {line}")
