"""The CLI's one JSON codec (tui/cli/jsonout.py): standard JSON, the same shapes everywhere."""

from __future__ import annotations

import json
import math

from engine.types import TokenAlternative, TokenStep
from tui.cli.jsonout import emit, print_json, to_jsonable


def strict_loads(text: str):
    def refuse(constant: str):
        raise ValueError(f"non-standard JSON constant {constant}")
    return json.loads(text, parse_constant=refuse)


def step(entropy: float = 0.5, logprob: float = -0.1) -> TokenStep:
    return TokenStep(i=0, id=7, text="é", piece="é".encode(), logprob=logprob, entropy=entropy,
                     rank=0, top=(TokenAlternative(7, "é", -0.1),))


def test_non_finite_numbers_are_null_never_bare_nan(capsys):
    emit({"done": True, "x": float("nan"), "step": step(entropy=math.nan, logprob=-math.inf)})
    record = strict_loads(capsys.readouterr().out)
    assert record["x"] is None
    assert record["step"]["entropy"] is None and record["step"]["logprob"] is None
    print_json({"mean_delta": float("inf")})
    assert strict_loads(capsys.readouterr().out) == {"mean_delta": None}


def test_bytes_are_hex_and_steps_have_one_shape_wherever_they_appear():
    nested = to_jsonable({"turns": ({"steps": (step(),)},), "raw": b"\xf0\x9f"})
    assert nested["raw"] == "f09f"
    record = nested["turns"][0]["steps"][0]
    assert record["bytes"] == "é".encode().hex() and record["top"] == [
        {"id": 7, "text": "é", "logprob": -0.1}]
    assert set(record) == {"i", "id", "text", "bytes", "logprob", "prob", "entropy", "rank", "top", "distribution"}
