"""Write small .safetensors files from numpy, so conversion tests need no torch."""

from __future__ import annotations

import json
import struct
from pathlib import Path

import numpy as np

_NAMES = {np.dtype(np.float32): "F32", np.dtype(np.float16): "F16"}


def write_safetensors(path: Path, tensors: dict[str, np.ndarray], bf16: bool = False) -> Path:
    header, blobs, offset = {}, [], 0
    for name, array in tensors.items():
        if bf16:
            raw = (np.ascontiguousarray(array, dtype=np.float32).view(np.uint32) >> 16).astype("<u2").tobytes()
            dtype = "BF16"
        else:
            raw, dtype = np.ascontiguousarray(array).tobytes(), _NAMES[array.dtype]
        header[name] = {"dtype": dtype, "shape": list(array.shape), "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    text = json.dumps(header).encode()
    Path(path).write_bytes(struct.pack("<Q", len(text)) + text + b"".join(blobs))
    return Path(path)
