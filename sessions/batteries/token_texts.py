"""Each token id's text, so a battery record reads `'Yes' (id 7078)` and not `7078` alone.

Why its own module: `choose` returns an option's token ids and logprobs but not the tokens'
text, and a Backend has no id -> text lookup. Teacher-forcing the ids with `score`
(`continuation_ids`) returns every token's raw bytes (`TokenStep.piece`), which is that lookup,
exactly (special tokens as their text, `<|im_end|>`; a byte token that is part of a character as
`\\xNN`, as the engine's own token text does). The ids are forced after the prompt the choice
was just scored on, so the backend finds that prompt in its cache and decodes only these few
tokens, as `choose` does for an option (a short unrelated prompt would take a KV sequence of its
own, and the engine's numbers were seen to move by 0.15 nats after that). Texts are remembered
per backend and model: a run asks once for each token it has not met yet (its labels, digits,
the end of turn), not once per record. A backend that cannot score raw ids (a scripted test backend,
a remote server) leaves the texts out, and the record views fall back to the ids; the numbers
never depend on the texts. A worker that died is not hidden: that error goes up.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterable, Sequence

from engine.backend import Backend
from engine.errors import EngineError, WorkerDiedError
from engine.types import Message, Provenance, ScoreRequest, SystemPrompt

_Known = dict[int, str]
_memo: weakref.WeakKeyDictionary[object, dict[tuple[str, str], _Known]] = weakref.WeakKeyDictionary()


def piece_text(piece: bytes) -> str:
    """A token's bytes as text; bytes that are not UTF-8 (part of a character) as `\\xNN`."""
    return piece.decode("utf-8", errors="backslashreplace")


def _known(backend: Backend, provenance: Provenance) -> _Known:
    try:
        per_model = _memo.setdefault(backend, {})
    except TypeError:  # not weak-referenceable: remember nothing beyond this call
        per_model = {}
    return per_model.setdefault((provenance.model_path, provenance.model_sha256), {})


def token_texts(backend: Backend, provenance: Provenance, ids: Iterable[int], system: SystemPrompt,
                messages: tuple[Message, ...]) -> dict[int, str] | None:
    """id -> text for every id in `ids`; those not known yet are read by one `score` after the
    conversation (`system`, `messages`) that `provenance` comes from. None when the backend
    cannot tell (its `score` refuses raw ids)."""
    known = _known(backend, provenance)
    missing = tuple(dict.fromkeys(i for i in ids if i not in known))
    if missing:
        try:
            result = backend.score(ScoreRequest(messages, "", system, top_k_probs=0, continuation_ids=missing))
        except WorkerDiedError:
            raise
        except EngineError:
            return None
        if [s.id for s in result.steps] != list(missing):
            return None
        known.update((s.id, piece_text(s.piece)) for s in result.steps)
    return known


def texts_of(texts: dict[int, str] | None, ids: Sequence[int]) -> list[str] | None:
    return None if texts is None else [texts[i] for i in ids]
