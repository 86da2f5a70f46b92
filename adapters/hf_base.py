"""The base model for training, as a transformers model: from a GGUF (cached) or an HF folder.

Training must see the very weights the user interrogates, so the default source is the GGUF
itself: transformers can dequantise it (`from_pretrained(dir, gguf_file=...)`), but that takes
~20 s of metadata parsing and leaves a GGUF quantizer on the model that makes `save_pretrained`
refuse. We drop the quantizer and cache a plain Hugging Face copy once per GGUF sha256 under
the data dir; later runs load it in about a second with identical weights.
Needs the `train` extra; imported only by adapters/train.py.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine.fingerprint import file_sha256
from engine.gguf import has_gguf_magic
from engine.locations import data_dir

from .errors import AdapterToolError

_COMPLETE = "logitscope-complete"


@dataclass
class LoadedBase:
    model: Any  # transformers PreTrainedModel, fp32 (typed loosely: transformers is optional)
    tokenizer: Any  # its tokenizer
    source: str  # the GGUF file or HF folder given
    sha256: str  # of the GGUF, or "" for an HF folder
    cached_from: str  # the HF folder actually loaded


def hf_cache_dir(sha256: str) -> Path:
    return data_dir() / "hf-models" / sha256


def _require_train_extra():
    try:
        import peft  # noqa: F401
        import torch  # noqa: F401
        import transformers  # noqa: F401
    except ImportError as exc:
        raise AdapterToolError(
            f"Training needs the train extra ({exc.name} is missing): "
            "pip install 'logitscope[train]'"
        ) from exc


def _load_folder(folder: Path):
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(folder)
    model = AutoModelForCausalLM.from_pretrained(folder, dtype=torch.float32)
    return model, tokenizer


def _convert_gguf(gguf_path: Path, target: Path, log) -> None:
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    log(f"Reading {gguf_path.name} into transformers once (about 20-30 s); cached afterwards.")
    folder, name = str(gguf_path.parent), gguf_path.name
    tokenizer = AutoTokenizer.from_pretrained(folder, gguf_file=name)
    model = AutoModelForCausalLM.from_pretrained(folder, gguf_file=name, dtype=torch.float32)
    # The weights are already dequantised to fp32; the GGUF quantizer only blocks saving.
    model.hf_quantizer = None  # type: ignore[assignment]
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    model.config._name_or_path = name
    tmp = target.with_name(target.name + ".part")
    shutil.rmtree(tmp, ignore_errors=True)
    model.save_pretrained(tmp)
    tokenizer.save_pretrained(tmp)
    (tmp / _COMPLETE).write_text(str(gguf_path))
    shutil.rmtree(target, ignore_errors=True)
    os.replace(tmp, target)


def load_base(base: str | Path, log=print) -> LoadedBase:
    """Load `base` (a .gguf file or a Hugging Face model folder) in fp32 for training."""
    _require_train_extra()
    path = Path(base)
    if path.is_dir():
        if not (path / "config.json").is_file():
            raise AdapterToolError(f"{path} is a folder without config.json: not a Hugging Face model.")
        model, tokenizer = _load_folder(path)
        return LoadedBase(model, tokenizer, str(path), "", str(path))
    if not path.is_file():
        raise AdapterToolError(f"The base model {path} does not exist.")
    if not has_gguf_magic(path):
        raise AdapterToolError(f"{path} is neither a GGUF file nor a Hugging Face model folder.")
    sha = file_sha256(str(path))
    cache = hf_cache_dir(sha)
    if not (cache / _COMPLETE).is_file():
        try:
            _convert_gguf(path, cache, log)
        except AdapterToolError:
            raise
        except Exception as exc:  # transformers supports only some GGUF architectures/quant types
            raise AdapterToolError(
                f"transformers could not read {path.name} ({type(exc).__name__}: {exc}). "
                "Train from the Hugging Face model folder instead (--base FOLDER)."
            ) from exc
    model, tokenizer = _load_folder(cache)
    return LoadedBase(model, tokenizer, str(path), sha, str(cache))
