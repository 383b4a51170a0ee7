"""A typed medication name as the words it is looked up by.

Why its own module: the vocabulary normalises its names the same way when it
is loaded, so a table key and a typed name always meet.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Final

from careplan.clinical.medications.doses import NUMBER, UNIT

_STRENGTH_RE: Final[re.Pattern[str]] = re.compile(
    rf"{NUMBER}\s*{UNIT}(?:\s*/\s*(?:{NUMBER}\s*)?{UNIT}|\s*/\s*(?:h|hr|hour|day|dose|kg))?"
    r"(?![^\W_])"
)
_MARKS_RE: Final[re.Pattern[str]] = re.compile("[®™©℠]")
_NUMBER_SIGN_RE: Final[re.Pattern[str]] = re.compile(r"#\s*(\d)")
_NON_WORD_RE: Final[re.Pattern[str]] = re.compile(r"[\W_]+")


def normalise(name: str, *, drop: frozenset[str]) -> str:
    """Lower-case, NFC-normalised ``name`` with strengths, marks, punctuation and
    the words in ``drop`` (release suffixes) removed and spaces collapsed.

    Bare numbers stay, and "#3" is read as "No. 3" ("Tylenol #3" -> "tylenol no 3"),
    because some brands need them.
    """
    text = unicodedata.normalize("NFC", name).lower()
    text = _MARKS_RE.sub(" ", text)
    text = _NUMBER_SIGN_RE.sub(r" no \1", text)
    text = _STRENGTH_RE.sub(" ", text)
    text = _NON_WORD_RE.sub(" ", text)
    return " ".join(word for word in text.split() if word not in drop)
