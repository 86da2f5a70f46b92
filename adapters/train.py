"""Train a LoRA adapter with peft on chat examples, then convert it to GGUF for the engine.

The seeds' central experiment is "teach a small model a behaviour with ~10 examples, then
interrogate it with the adapter on, off and scaled", so this is a deliberately small, plain
training loop: fp32 on CPU, AdamW at a constant learning rate, loss on assistant tokens only
(adapters/dataset.py), a fixed seed for shuffling and initialisation, and provenance recorded
in the adapter (base and dataset sha256, rank, alpha, targets, settings, final loss).
torch/transformers/peft are imported inside `train()` so the package imports without them.
"""

from __future__ import annotations

import json
import math
import random
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from engine.fingerprint import file_sha256
from engine.threads import default_thread_count

from .dataset import IGNORE, encode, load_conversations, resolve_dataset, segments
from .errors import AdapterToolError
from .library import output_path, peft_dir

ALL_TARGETS = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")
DEFAULT_STEPS = 60

Progress = Callable[[int, int, float], None]  # (step, total steps, loss)


@dataclass
class TrainResult:
    gguf: Path | None  # None when the base was an HF folder and no GGUF was given to convert for
    peft_dir: Path
    steps: int
    losses: list[float] = field(default_factory=list)
    seconds: float = 0.0
    load_seconds: float = 0.0


def _bar(step: int, total: int, loss: float) -> None:
    width = 30
    filled = int(width * step / total)
    sys.stderr.write(f"\r[{'#' * filled}{'.' * (width - filled)}] step {step}/{total}  loss {loss:.4f}")
    if step == total:
        sys.stderr.write("\n")
    sys.stderr.flush()


def _batches(n: int, batch_size: int, steps: int, rng: random.Random):
    """`steps` batches of example indices, reshuffling at each epoch boundary."""
    order: list[int] = []
    for _ in range(steps):
        batch: list[int] = []
        while len(batch) < batch_size:
            if not order:
                order = list(range(n))
                rng.shuffle(order)
            batch.append(order.pop())
        yield batch


def train(data: str | Path, out: str | Path, base: str | Path | None = None,
          gguf: str | Path | None = None, rank: int = 16, alpha: float | None = None,
          targets: Sequence[str] = ALL_TARGETS, epochs: int | None = None,
          steps: int | None = None, lr: float = 1e-3, seed: int = 0, batch_size: int = 8,
          max_tokens: int = 1024, threads: int | None = None,
          progress: Progress | None = _bar, log: Callable[[str], None] = print) -> TrainResult:
    """Train a LoRA on `data` (messages JSONL or a shipped set's name) and write `out` (.gguf).

    `base` is a GGUF model (default: the embedded default model) or a Hugging Face folder; the
    adapter is converted for `gguf`, which defaults to `base` when that is a GGUF file.
    """
    from engine import default_model_path
    from engine.chat_template import ChatTemplate

    from .hf_base import load_base

    if rank < 1:
        raise AdapterToolError("rank must be at least 1.")
    if steps is not None and epochs is not None:
        raise AdapterToolError("Give --epochs or --steps, not both.")
    if (steps is not None and steps < 1) or (epochs is not None and epochs < 1) or batch_size < 1:
        raise AdapterToolError("steps, epochs and batch size must be at least 1.")
    alpha = float(alpha if alpha is not None else 2 * rank)
    data_path = resolve_dataset(data)
    conversations = load_conversations(data_path)
    out_path = output_path(out)
    base_path = Path(base) if base is not None else default_model_path()
    gguf_path = Path(gguf) if gguf is not None else (base_path if base_path.is_file() else None)

    import torch
    from peft import LoraConfig, get_peft_model

    torch.set_num_threads(threads or default_thread_count())
    started = time.perf_counter()
    loaded = load_base(base_path, log=log)
    load_seconds = time.perf_counter() - started
    tokenizer = loaded.tokenizer
    template = ChatTemplate(tokenizer.chat_template, tokenizer.bos_token or "", tokenizer.eos_token or "")
    if template.kind != "gguf":
        log("The base model has no chat template: using logitscope's plain fallback format.")
    with_special = tokenizer("x", add_special_tokens=True)["input_ids"]
    plain = tokenizer("x", add_special_tokens=False)["input_ids"]
    bos = with_special[: len(with_special) - len(plain)] if with_special[-len(plain):] == plain else []

    def tokenize(text: str) -> list[int]:
        return tokenizer(text, add_special_tokens=False)["input_ids"]

    examples = []
    for conversation in conversations:
        ids, labels = encode(segments(template, conversation), tokenize, bos)
        examples.append((ids[:max_tokens], labels[:max_tokens]))
    if all(all(x == IGNORE for x in labels) for _, labels in examples):
        raise AdapterToolError(f"No assistant tokens within the first {max_tokens} tokens of any example.")

    total = steps or (epochs or 0) * math.ceil(len(examples) / batch_size) or DEFAULT_STEPS
    torch.manual_seed(seed)
    config = LoraConfig(r=rank, lora_alpha=alpha,  # type: ignore[arg-type]  # peft takes a float
                        target_modules=list(targets), lora_dropout=0.0, bias="none",
                        task_type="CAUSAL_LM")
    try:
        model = get_peft_model(loaded.model, config)
    except ValueError as exc:  # e.g. a target module the model does not have
        raise AdapterToolError(f"peft refused the LoRA settings: {exc}") from exc
    model.train()
    optimiser = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=lr,
                                  weight_decay=0.0)
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
    rng = random.Random(seed)
    losses: list[float] = []
    log(f"Training rank {rank} LoRA on {len(examples)} examples from {data_path.name}: "
        f"{total} steps of batch {batch_size}, lr {lr}.")
    train_started = time.perf_counter()
    for step, batch in enumerate(_batches(len(examples), batch_size, total, rng), 1):
        longest = max(len(examples[i][0]) for i in batch)
        batch_ids = torch.full((len(batch), longest), pad, dtype=torch.long)
        batch_labels = torch.full((len(batch), longest), IGNORE, dtype=torch.long)
        mask = torch.zeros((len(batch), longest), dtype=torch.long)
        for row, i in enumerate(batch):
            seq, lab = examples[i]
            batch_ids[row, : len(seq)] = torch.tensor(seq)
            batch_labels[row, : len(lab)] = torch.tensor(lab)
            mask[row, : len(seq)] = 1
        loss = model(input_ids=batch_ids, attention_mask=mask, labels=batch_labels).loss
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
        losses.append(loss.item())
        if progress:
            progress(step, total, losses[-1])
    seconds = time.perf_counter() - train_started

    name = out_path.stem
    folder = peft_dir(name)
    model.save_pretrained(str(folder))
    provenance = {
        "dataset_name": data_path.name, "dataset_sha256": file_sha256(data_path),
        "n_examples": len(examples), "steps": total, "batch_size": batch_size, "lr": lr,
        "seed": seed, "final_loss": round(losses[-1], 6), "train_seconds": round(seconds, 1),
        "base_source": Path(loaded.source).name,
    }
    if epochs is not None:
        provenance["epochs"] = epochs
    (folder / "logitscope_provenance.json").write_text(json.dumps(provenance, indent=1))
    result = TrainResult(None, folder, total, losses, seconds, load_seconds)
    if gguf_path is None:
        log(f"PEFT adapter saved in {folder}. Convert it for a GGUF model with: "
            f"logitscope adapter convert {folder} --base MODEL.gguf --out {out_path}")
        return result
    from .convert import convert_peft

    result.gguf = convert_peft(folder, gguf_path, out_path)
    return result
