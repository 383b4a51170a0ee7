"""Read PDFs back as a patient or a tester would: text, pages, fonts, sizes."""

from __future__ import annotations

import io
from collections import Counter
from typing import Any

from pypdf import PdfReader
from pypdf.generic import DictionaryObject

from careplan.documents.report import (
    Bullets,
    Checklist,
    Document,
    HelpBox,
    KeyMessages,
    Table,
)


def reader(data: bytes) -> PdfReader:
    return PdfReader(io.BytesIO(data))


def text_of(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in reader(data).pages)


def flat(text: str) -> str:
    """Text with line wrapping undone, for phrase checks across line breaks."""
    return " ".join(text.split())


def font_names(data: bytes) -> set[str]:
    names: set[str] = set()
    for page in reader(data).pages:
        resources = page["/Resources"].get_object()
        assert isinstance(resources, DictionaryObject)
        fonts = resources.get("/Font", DictionaryObject()).get_object()
        assert isinstance(fonts, DictionaryObject)
        for ref in fonts.values():
            font = ref.get_object()
            assert isinstance(font, DictionaryObject)
            names.add(str(font["/BaseFont"]))
    return names


def font_sizes(data: bytes) -> Counter[float]:
    """Characters printed at each effective font size (points, to 0.01) over all text runs,
    the footer and table cells included."""
    sizes: Counter[float] = Counter()

    def visit(text: str, cm: Any, tm: Any, font: Any, size: float) -> None:
        if text.strip():
            sizes[round(size * abs(tm[3]) * abs(cm[3]), 2)] += len(text.strip())

    for page in reader(data).pages:
        page.extract_text(visitor_text=visit)
    return sizes


def body_font_size(data: bytes) -> float:
    """The most used effective font size (points) over all text runs."""
    return round(font_sizes(data).most_common(1)[0][0], 1)


def printed_statements(document: Document) -> list[str]:
    """Every rule and fixed line the patient reads, and each 'most in one day' cell."""
    lines: list[str] = []
    for block in document.blocks:
        if isinstance(block, HelpBox):
            lines += [*block.own_warnings, *block.emergency, *block.same_day, block.numbers]
        elif isinstance(block, KeyMessages | Checklist | Bullets):
            lines += block.items
        elif isinstance(block, Table) and block.typed:  # the medicines table, either language
            lines += [row[3] for row in block.rows]
    return lines
