"""Read a .safetensors file into numpy without torch or the safetensors package.

`adapter convert` must work without the train extra (a user may bring a PEFT adapter trained
elsewhere), and the format is simple: an 8-byte little-endian header length, a JSON header of
name -> dtype/shape/offsets, then raw little-endian data. bf16 (common for PEFT adapters) has no
numpy dtype, so it is widened to float32 by shifting its bits into the high half of a float32.
"""

from __future__ import annotations

import json
import struct
from pathlib import Path

import numpy as np

_DTYPES = {
    "F64": np.float64, "F32": np.float32, "F16": np.float16,
    "I64": np.int64, "I32": np.int32, "I16": np.int16, "I8": np.int8, "U8": np.uint8,
}


class SafetensorsError(ValueError):
    """The file is not a safetensors file we can read."""


def read_safetensors(path: str | Path) -> dict[str, np.ndarray]:
    """Every tensor in `path` as a numpy array (bf16 widened to float32)."""
    data = Path(path).read_bytes()
    if len(data) < 8:
        raise SafetensorsError(f"{path} is too short to be a safetensors file.")
    (header_len,) = struct.unpack("<Q", data[:8])
    if header_len > len(data) - 8:
        raise SafetensorsError(f"{path} is not a safetensors file (bad header length).")
    try:
        header = json.loads(data[8:8 + header_len])
    except ValueError as exc:
        raise SafetensorsError(f"{path} is not a safetensors file: {exc}") from exc
    body = memoryview(data)[8 + header_len:]
    tensors: dict[str, np.ndarray] = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        start, end = entry["data_offsets"]
        raw = body[start:end]
        dtype, shape = entry["dtype"], tuple(entry["shape"])
        if dtype == "BF16":
            bits = np.frombuffer(raw, dtype="<u2").astype(np.uint32) << 16
            array = bits.view(np.float32)
        elif dtype in _DTYPES:
            array = np.frombuffer(raw, dtype=np.dtype(_DTYPES[dtype]).newbyteorder("<"))
        else:
            raise SafetensorsError(f"{path}: tensor {name} has unsupported dtype {dtype}.")
        tensors[name] = array.reshape(shape).copy()
    return tensors
