"""Text typed by people, as the package accepts it: NFC, and no invisible or control
characters.

Why one module: a name, a note, a medicine, a search or a reason refused for the same
character must be refused with the same words wherever it enters (the intake model, the
use cases, storage on SQLite and on PostgreSQL alike), and ``Zoe\\u0308`` must be the same
text as ``Zoë`` everywhere, its length counted once composed. Refused:
- NUL (PostgreSQL cannot store it, SQLite would) and the other C0 and C1 controls (tab
  and line breaks only where a text has lines);
- invisible characters that change what a text looks like or how it sorts: the zero-width
  space, the word joiner and invisible operators, the soft hyphen, the byte-order mark;
- direction marks, embeddings, overrides and isolates (``"Ann\\u202eeoD"`` shows as
  "AnnDoe"), and the interlinear annotation marks;
- lone surrogates (not text at all).
The zero-width joiner and non-joiner stay: Persian, Indic scripts and emoji need them.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Final

_HIDDEN: Final = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u00ad\u061c\u200b\u200e\u200f\u202a-\u202e"
    "\u2060-\u2064\u2066-\u2069\ufeff\ufff9-\ufffb\ud800-\udfff]"
)
_LINES: Final = re.compile("[\t\n\r]")  # allowed in a text with lines (a note), nowhere else


def nfc(text: str) -> str:
    """The composed form: ``Zoe\\u0308`` and ``Zoë`` are the same text, of 3 characters."""
    return unicodedata.normalize("NFC", text)


def hidden_character(text: str, *, lines: bool = False) -> str | None:
    """The first character of ``text`` that is refused (tab, CR and LF only when ``lines``)."""
    found = _HIDDEN.search(text)
    if found is None and not lines:
        found = _LINES.search(text)
    return None if found is None else found.group()


def refusal(character: str) -> str:
    """The one message for a refused character, after the field's name."""
    return f"contains an invisible or control character (U+{ord(character):04X}); remove it"


def right_to_left(text: str) -> bool:
    """Whether ``text`` has letters of a right-to-left script (Hebrew, Arabic, Syriac...)."""
    return any(unicodedata.bidirectional(c) in ("R", "AL") for c in text)
