"""CSV that spreadsheets will not execute (CWE-1236, formula injection).

A text cell starting with = + - @, a tab or a carriage return (after any leading
whitespace, NBSP included) runs as a formula in Excel, LibreOffice and Sheets; quoting
does not stop it, and spreadsheets read the fullwidth forms (＝ ＋ － ＠) as the same
signs. Such cells get a leading apostrophe. Numbers are left alone, so -3 stays -3.
"""

from __future__ import annotations

import csv
import io
import unicodedata
from collections.abc import Iterable, Sequence
from typing import Final

TRIGGERS: Final = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: object) -> object:
    """Prefix a formula-looking text cell with an apostrophe; other values unchanged."""
    if isinstance(value, str) and _looks_like_formula(value):
        return "'" + value
    return value


def _looks_like_formula(text: str) -> bool:
    """The first character that is not whitespace, in its compatibility form, is a trigger
    (a tab or carriage return anywhere before it counts too)."""
    folded = unicodedata.normalize("NFKC", text)
    stripped = folded.lstrip(" \u00a0\u2007\u202f\u3000\n\x0b\x0c")
    return stripped.startswith(TRIGGERS)


def to_csv(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """A CSV document with every text cell neutralised."""
    out = io.StringIO(newline="")
    writer = csv.writer(out)  # RFC 4180: CRLF rows, so CR or LF inside a cell gets quoted
    writer.writerow([neutralise(h) for h in header])
    for row in rows:
        writer.writerow([neutralise(cell) for cell in row])
    return out.getvalue()
