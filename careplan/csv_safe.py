"""CSV that spreadsheets will not execute (CWE-1236, formula injection).

A text cell starting with = + - @, a tab or a carriage return (after any leading
spaces) runs as a formula in Excel, LibreOffice and Sheets; quoting does not stop
it. Such cells get a leading apostrophe. Numbers are left alone, so -3 stays -3.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Final

TRIGGERS: Final = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: object) -> object:
    """Prefix a formula-looking text cell with an apostrophe; other values unchanged."""
    if isinstance(value, str) and value.lstrip(" ").startswith(TRIGGERS):
        return "'" + value
    return value


def to_csv(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """A CSV document with every text cell neutralised."""
    out = io.StringIO(newline="")
    writer = csv.writer(out)  # RFC 4180: CRLF rows, so CR or LF inside a cell gets quoted
    writer.writerow([neutralise(h) for h in header])
    for row in rows:
        writer.writerow([neutralise(cell) for cell in row])
    return out.getvalue()
