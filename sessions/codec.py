"""Faithful JSON encoding of the engine's frozen dataclasses, driven by their type hints.

The journal must give back exactly what the engine produced (`decode(T, encode(x)) == x`), and
the engine's types will grow fields. Reading the dataclass fields and their annotations keeps this
module free of a hand-written mapping per type that would silently drop a new field.

Conventions (see docs/session-format.md): dataclasses become objects with every field, tuples
become arrays, enums their value, bytes base64 text, and non-finite floats the strings "inf",
"-inf" and "nan" (JSON has no literal for them). Token steps use a compact, faster form
(`encode_steps` / `decode_steps`) because a session holds hundreds of thousands of them.
"""

from __future__ import annotations

import base64
import dataclasses
import enum
import math
import types
import typing
from functools import cache
from typing import Any

from engine.types import DISTRIBUTION_FULL, SampledToken, SamplerView, TokenAlternative, TokenStep


def _float_out(value: float) -> float | str:
    if math.isfinite(value):
        return value
    return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")


def _float_in(value: Any) -> float:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str) and value in ("inf", "-inf", "nan"):
        return float(value)
    raise ValueError(f"expected a number, got {value!r}")


def encode(value: Any) -> Any:
    """Turn an engine value into plain JSON data."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        if isinstance(value, TokenStep):
            return encode_step(value)
        return {f.name: encode(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, bool) or value is None or isinstance(value, (int, str)):
        return value
    if isinstance(value, float):
        return _float_out(value)
    if isinstance(value, (bytes, bytearray)):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, (tuple, list)):
        return [encode(v) for v in value]
    raise TypeError(f"cannot journal a value of type {type(value).__name__}")


@cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def decode(tp: Any, data: Any) -> Any:
    """Rebuild a value of type `tp` from `encode`'s output; raises ValueError on a mismatch."""
    if tp is TokenStep:
        return decode_step(data)
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        options = typing.get_args(tp)
        if data is None and type(None) in options:
            return None
        errors = []
        for option in options:
            if option is type(None):
                continue
            try:
                return decode(option, data)
            except (ValueError, TypeError, KeyError) as exc:
                errors.append(str(exc))
        raise ValueError(f"no alternative of {tp} fits {data!r}: {errors}")
    if origin is tuple:
        args = typing.get_args(tp)
        if not isinstance(data, list):
            raise ValueError(f"expected an array for {tp}, got {type(data).__name__}")
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(decode(args[0], item) for item in data)
        return tuple(decode(a, item) for a, item in zip(args, data, strict=True))
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        if not isinstance(data, dict):
            raise ValueError(f"expected an object for {tp.__name__}, got {type(data).__name__}")
        hints = _hints(tp)
        kwargs = {}
        for field in dataclasses.fields(tp):
            if field.name in data:
                kwargs[field.name] = decode(hints[field.name], data[field.name])
            elif (field.default is dataclasses.MISSING
                  and field.default_factory is dataclasses.MISSING):
                raise ValueError(f"{tp.__name__} record lacks the field {field.name!r}")
        return tp(**kwargs)
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return tp(data)
    if tp is float:
        return _float_in(data)
    if tp is bool:
        if not isinstance(data, bool):
            raise ValueError(f"expected true/false, got {data!r}")
        return data
    if tp is int:
        if isinstance(data, bool) or not isinstance(data, int):
            raise ValueError(f"expected an integer, got {data!r}")
        return data
    if tp is str:
        if not isinstance(data, str):
            raise ValueError(f"expected a string, got {data!r}")
        return data
    if tp is bytes:
        return base64.b64decode(data, validate=True)
    if tp is typing.Any:
        return data
    raise TypeError(f"cannot decode type {tp!r}")


# ----- token steps: the bulk of a session, in a compact form -----------------------------------

def encode_step(step: TokenStep) -> dict[str, Any]:
    """`top` becomes [id, text, logprob(, piece_b64)] arrays; `piece` base64 under `piece_b64`;
    a step a sampler chain drew adds `post` and `sampler`."""
    return {
        "i": step.i,
        "id": step.id,
        "text": step.text,
        "piece_b64": base64.b64encode(step.piece).decode("ascii"),
        "logprob": _float_out(step.logprob),
        "entropy": _float_out(step.entropy),
        "rank": step.rank,
        "forced": step.forced,
        "top": [_encode_alternative(alt) for alt in step.top],
        **(_encode_sampler(step) if step.sampler is not None else {}),
        # Written only when not the whole vocabulary's (a remote engine's top-k): lines as before.
        **({"distribution": step.distribution} if step.distribution != DISTRIBUTION_FULL else {}),
    }


def _encode_sampler(step: TokenStep) -> dict[str, Any]:
    """`post` as `[id, prob]` pairs, `[id, prob, text]` for a token not in `top` (whose text is
    there); `sampler` with `removed` grouped by stage, `{"top-k": [ids in top's order]}`."""
    view = step.sampler
    assert view is not None
    in_top = {alt.id for alt in step.top}
    removed: dict[str, list[int]] = {}
    for token, stage in view.removed:
        removed.setdefault(stage, []).append(token)
    return {
        "post": [[t.id, _float_out(t.prob)] if t.id in in_top else [t.id, _float_out(t.prob), t.text]
                 for t in step.post],
        "sampler": {"greedy": view.greedy, "kept": view.kept,
                    "kept_raw_mass": _float_out(view.kept_raw_mass), "removed": removed},
    }


def _decode_sampler(data: dict[str, Any], top: tuple[TokenAlternative, ...]
                    ) -> tuple[tuple[SampledToken, ...], SamplerView | None]:
    """`post` and `sampler` as `_encode_sampler` wrote them; `()` and None for a step journaled
    without them (forced, or written before the sampler's view existed)."""
    sampler = data.get("sampler")
    if sampler is None:
        return (), None
    texts = {alt.id: alt.text for alt in top}
    post = tuple(SampledToken(t[0], t[2] if len(t) > 2 else texts[t[0]], _f(t[1])) for t in data["post"])
    stage_of = {token: stage for stage, tokens in sampler["removed"].items() for token in tokens}
    removed = [(alt.id, stage_of.pop(alt.id)) for alt in top if alt.id in stage_of]
    removed += stage_of.items()  # not in `top`: only a hand-made step has such
    view = SamplerView(greedy=sampler["greedy"], kept=sampler["kept"],
                       kept_raw_mass=_f(sampler["kept_raw_mass"]), removed=tuple(removed))
    return post, view


def _encode_alternative(alt: TokenAlternative) -> list[Any]:
    """`[id, text, logprob]` when the bytes are the text's UTF-8 (almost every token), else
    `[id, text, logprob, piece_b64]` (`null` for bytes nobody recorded): see `_piece_of`."""
    entry = [alt.id, alt.text, _float_out(alt.logprob)]
    piece = alt.piece
    if piece is None:
        if "\\" not in alt.text:
            entry.append(None)
    elif "\\" in alt.text or piece != alt.text.encode("utf-8"):
        entry.append(base64.b64encode(piece).decode("ascii"))
    return entry


def _piece_of(entry: list[Any]) -> bytes | None:
    """An alternative's bytes. A triple means the text's UTF-8 unless the text has a backslash:
    the engine escapes invalid UTF-8 as `\\xNN`, and journals before the fourth element could
    not say which it was, so those bytes are unknown (None)."""
    if len(entry) > 3:
        return None if entry[3] is None else base64.b64decode(entry[3])
    text = entry[1]
    return None if "\\" in text else text.encode("utf-8")


def _f(value: Any) -> float:
    return value if type(value) is float else _float_in(value)


def decode_step(data: dict[str, Any]) -> TokenStep:
    top = tuple(TokenAlternative(t[0], t[1], _f(t[2]), _piece_of(t)) for t in data["top"])
    post, sampler = _decode_sampler(data, top)
    return TokenStep(
        i=data["i"],
        id=data["id"],
        text=data["text"],
        piece=base64.b64decode(data["piece_b64"]),
        logprob=_f(data["logprob"]),
        entropy=_f(data["entropy"]),
        rank=data["rank"],
        top=top,
        forced=data.get("forced", False),
        post=post,
        sampler=sampler,
        distribution=data.get("distribution", DISTRIBUTION_FULL),
    )


def encode_steps(steps: tuple[TokenStep, ...]) -> list[dict[str, Any]]:
    return [encode_step(s) for s in steps]


def decode_steps(data: list[dict[str, Any]]) -> tuple[TokenStep, ...]:
    try:
        return tuple(decode_step(d) for d in data)
    except (KeyError, IndexError, TypeError, AttributeError) as exc:
        raise ValueError(f"malformed token step: {exc!r}") from exc
