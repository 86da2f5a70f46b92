"""Turn a stream of token byte pieces into valid UTF-8 text, one step at a time.

A character can span several byte tokens (emoji, CJK in byte-fallback vocabularies); a step whose
bytes end mid-character gets the text "" and the step that completes the character carries it.
Concatenating every step's text gives exactly the decoded answer.
"""

from __future__ import annotations

import codecs


class Utf8Assembler:
    def __init__(self) -> None:
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")

    def feed(self, piece: bytes) -> str:
        return self._decoder.decode(piece, final=False)

    def flush(self) -> str:
        """Text for bytes still pending at the end (invalid sequences become U+FFFD)."""
        return self._decoder.decode(b"", final=True)
