"""Names shared by the writer (convert.py) and the reader (inspect.py) of adapter provenance.

An adapter's GGUF records what it was made from under `logitscope.*` keys, next to the
standard `general.*` and `adapter.*` keys llama.cpp reads: base model sha256, dataset sha256,
rank, alpha, targets, training settings and the time it was created.
"""

from __future__ import annotations

PROVENANCE_PREFIX = "logitscope."

ProvenanceValue = str | int | float | bool

# Shown first, in this order, by `adapter inspect`; other logitscope.* keys follow sorted.
PROVENANCE_ORDER = (
    "created", "base_name", "base_sha256", "dataset_name", "dataset_sha256", "n_examples",
    "rank", "alpha", "targets", "steps", "epochs", "batch_size", "lr", "seed", "final_loss",
    "train_seconds",
)
