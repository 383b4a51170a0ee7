"""Lay out a report ``Document`` as PDF bytes. The only module that imports reportlab.

Safety first, because names and notes are typed by people:
- every user string is escaped before it reaches reportlab's paragraph markup,
  and newlines become ``<br/>`` only after escaping; no user text is ever put
  inside a markup attribute;
- reportlab may not fetch anything (no trusted hosts or URL schemes), so an
  ``<img src>`` that slipped through could not read a file or a URL;
- characters the shipped font lacks (CJK, some emoji) become a visible
  U+FFFD replacement mark instead of vanishing or crashing.
Output is byte-stable (``rl_config.invariant``) so golden tests can compare it.
"""

from __future__ import annotations

import html
import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, Final
from weakref import WeakKeyDictionary

from reportlab import Version as rl_version
from reportlab import rl_config
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import LETTER
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import inch
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont, TTFontFace
from reportlab.pdfgen import canvas
from reportlab.platypus import (
    CondPageBreak,
    Flowable,
    KeepTogether,
    ListFlowable,
    ListItem,
    SimpleDocTemplate,
    Spacer,
    TableStyle,
)
from reportlab.platypus import Paragraph as RLParagraph
from reportlab.platypus import Table as RLTable

from careplan import cache as file_cache
from careplan.clinical.plan import CarePlan
from careplan.clinical.review import Review
from careplan.documents import bodymap
from careplan.documents.clinic import Clinic
from careplan.documents.language import Language
from careplan.documents.report import (
    BodyMap,
    Bullets,
    Checklist,
    Document,
    Heading,
    HelpBox,
    KeyMessages,
    Paragraph,
    Table,
    WriteLines,
    clinician_summary,
    patient_handout,
)

rl_config.invariant = 1
rl_config.trustedHosts = None
rl_config.trustedSchemes = []

FONT: Final = "DejaVuSans"
PLACEHOLDER: Final = "\ufffd"
_FACES: Final = {
    FONT: "DejaVuSans.ttf",
    f"{FONT}-Bold": "DejaVuSans-Bold.ttf",
    f"{FONT}-Oblique": "DejaVuSans-Oblique.ttf",
    f"{FONT}-BoldOblique": "DejaVuSans-BoldOblique.ttf",
}
INK: Final = colors.HexColor("#111827")
MUTED: Final = colors.HexColor("#4b5563")
RULE: Final = colors.HexColor("#9ca3af")
SHADE: Final = colors.HexColor("#f3f4f6")
REGION_ON: Final = colors.HexColor("#4b5563")
OUTLINE: Final = colors.HexColor("#374151")
CLINICIAN_MIN_PT: Final = 9.0  # the smallest text of the clinician summary


_EAGER: Final = (FONT, f"{FONT}-Bold")  # every document prints these two faces
COVERAGE_FILE: Final = "coverage.txt"  # code points all four faces draw, as hex ranges


@cache
def _register_fonts() -> frozenset[int]:
    """Register the regular and bold faces once; return the code points all faces can draw.

    Why not all four faces: parsing a DejaVu face is pure Python (about 20 ms each) and
    only a muted paragraph uses the obliques, so they load on first use
    (``_register_obliques``). The coverage of all four is shipped, checked by a test
    against the fonts themselves (``font_coverage``), so text is judged the same either way.
    """
    for name in _EAGER:
        _register_face(name)
    pdfmetrics.registerFontFamily(
        FONT, normal=FONT, bold=f"{FONT}-Bold", italic=f"{FONT}-Oblique",
        boldItalic=f"{FONT}-BoldOblique",
    )
    fonts = resources.files("careplan.documents") / "fonts"
    ranges = (fonts / COVERAGE_FILE).read_text(encoding="ascii")
    # ~6,000 code points: kept in the cache as a set, read faster than the ranges are expanded
    key = file_cache.digest([_COVERAGE_FORMAT, ranges])
    return file_cache.cached("coverage", key, lambda: _code_points(ranges))


_COVERAGE_FORMAT: Final = "1: hex ranges, one a line"


def _code_points(ranges: str) -> frozenset[int]:
    covered: set[int] = set()
    for line in ranges.split():
        first, _, last = line.partition("-")
        covered.update(range(int(first, 16), int(last or first, 16) + 1))
    return frozenset(covered)


def _register_face(name: str) -> None:
    with resources.as_file(resources.files("careplan.documents") / "fonts" / _FACES[name]) as path:
        pdfmetrics.registerFont(_font(name, path))


def _font(name: str, path: Path) -> TTFont:
    """The parsed face, from the cache when this font file and reportlab were seen before.

    Why: reportlab parses a TrueType file in pure Python (~15 ms a face, every process).
    The parse depends only on the file's bytes and reportlab's version, the cache key.
    A parsed font holds two things a pickle cannot: its per-document state (empty until a
    document uses it) and the face's ``_pdfScale`` function, both made again here as
    reportlab makes them.
    """
    data = path.read_bytes()
    key = file_cache.digest([rl_version, _FONT_ENTRY_FORMAT, name, data])
    fields, face_fields = file_cache.cached(
        f"font_{name}", key, lambda: _font_fields(name, path, data)
    )
    face = TTFontFace.__new__(TTFontFace)
    vars(face).update(face_fields, filename=str(path), _pdfScale=_pdf_scale(face_fields))
    if _TTF_DATA not in face_fields:  # the file's own bytes, just read for the key
        vars(face)[_TTF_DATA] = data
    font = TTFont.__new__(TTFont)
    vars(font).update(fields, face=face, state=WeakKeyDictionary())
    return font


# A cache entry leaves out the face's copy of the font file when it is the file's bytes:
# they are read anyway for the key, so the entry is ~0.75 MB smaller to read and unpickle.
_TTF_DATA: Final = "_ttf_data"
_FONT_ENTRY_FORMAT: Final = "2: without the file's bytes"


def _font_fields(name: str, path: Path, data: bytes) -> tuple[dict[str, Any], dict[str, Any]]:
    font = TTFont(name, str(path))
    fields = {k: v for k, v in vars(font).items() if k not in ("face", "state")}
    face_fields = {
        k: v for k, v in vars(font.face).items()
        if k != "_pdfScale" and not (k == _TTF_DATA and v == data)
    }
    return fields, face_fields


def _pdf_scale(face_fields: dict[str, Any]) -> Callable[[float], float]:
    """Font units to thousandths of an em, as ``TTFontFile.extractInfo`` defines it."""
    units_per_em = face_fields["unitsPerEm"]
    if units_per_em == 1000:
        return lambda x: x
    mult = 1000 / units_per_em
    return lambda x: x * mult


@cache
def _register_obliques() -> None:
    for name in _FACES:
        if name not in _EAGER:
            _register_face(name)


def font_coverage() -> frozenset[int]:
    """The code points every shipped face can draw, read from the fonts (for the test)."""
    covered: set[int] | None = None
    for name in _FACES:
        fonts = resources.files("careplan.documents") / "fonts"
        with resources.as_file(fonts / _FACES[name]) as path:
            face = set(getattr(TTFont(name, str(path)), "face").charToGlyph)  # noqa: B009
        covered = face if covered is None else covered & face
    return frozenset(covered or ())


def coverage_ranges(points: frozenset[int]) -> str:
    """``points`` as sorted hex ranges, one a line (the shipped coverage file's format)."""
    lines: list[str] = []
    ordered = sorted(points)
    start = previous = ordered[0]
    for point in [*ordered[1:], None]:
        if point is not None and point == previous + 1:
            previous = point
            continue
        lines.append(f"{start:04X}" if start == previous else f"{start:04X}-{previous:04X}")
        if point is not None:
            start = previous = point
    return "\n".join(lines) + "\n"


def drawable(text: str) -> str:
    """Replace characters the font cannot draw with a visible mark (never drop them)."""
    covered = _register_fonts()
    return "".join(ch if ord(ch) in covered or ch in "\n\t" else PLACEHOLDER for ch in text)


def markup(text: str) -> str:
    """User text -> safe reportlab paragraph markup: escape first, then line breaks."""
    # html, not xml.sax.saxutils: the same five replacements without importing urllib
    safe = html.escape(drawable(text), quote=False).replace('"', "&quot;").replace("'", "&#39;")
    return safe.replace("\n", "<br/>")


@dataclass(frozen=True, slots=True)
class _Styles:
    body: ParagraphStyle
    lead: ParagraphStyle
    small: ParagraphStyle
    muted: ParagraphStyle
    strong: ParagraphStyle
    h1: ParagraphStyle
    h2: ParagraphStyle
    title: ParagraphStyle
    cell: ParagraphStyle
    cell_head: ParagraphStyle
    size: float


@cache
def _styles(size: float, floor: float = 0.0) -> _Styles:
    """The paragraph styles around a body ``size``; none of them smaller than ``floor``."""

    def style(name: str, **kw: Any) -> ParagraphStyle:
        base: dict[str, Any] = {
            "fontName": FONT, "fontSize": size, "leading": size * 1.35, "textColor": INK,
            "spaceAfter": size * 0.35,
        }
        base.update(kw)
        return ParagraphStyle(name, **base)

    cell = max(size * 0.92, floor)
    small = max(size * 0.85, floor)
    return _Styles(
        body=style("body"),
        lead=style("lead", fontName=f"{FONT}-Bold", fontSize=size * 1.1, leading=size * 1.5),
        small=style("small", fontSize=small, leading=max(size * 1.15, small * 1.25)),
        muted=style("muted", fontSize=small, leading=max(size * 1.15, small * 1.25),
                    textColor=MUTED, fontName=f"{FONT}-Oblique"),
        strong=style("strong", fontName=f"{FONT}-Bold"),
        h1=style("h1", fontName=f"{FONT}-Bold", fontSize=size * 1.4, leading=size * 1.8,
                 spaceBefore=size * 0.9, spaceAfter=size * 0.3, keepWithNext=1),
        h2=style("h2", fontName=f"{FONT}-Bold", fontSize=size * 1.15, leading=size * 1.5,
                 spaceBefore=size * 0.6, spaceAfter=size * 0.2, keepWithNext=1),
        title=style("title", fontName=f"{FONT}-Bold", fontSize=size * 1.9, leading=size * 2.3,
                    spaceAfter=size * 0.6),
        cell=style("cell", fontSize=cell, leading=cell * 1.3, spaceAfter=0),
        cell_head=style("cell_head", fontName=f"{FONT}-Bold", fontSize=cell,
                        leading=cell * 1.3, spaceAfter=0),
        size=size,
    )


class _NumberedCanvas(canvas.Canvas):
    """Two-pass canvas: draws 'Page X of Y' and the footer once the page count is known."""

    footer: str = ""
    font_size: float = 9.0
    watermark: str = ""
    page_label: str = "Page {page} of {total}"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._pages: list[dict[str, Any]] = []

    def showPage(self) -> None:
        self._pages.append(dict(self.__dict__))
        internals: Any = self  # reportlab's own two-pass recipe uses these private hooks
        internals._startPage()

    def save(self) -> None:
        total = len(self._pages)
        for state in self._pages:
            self.__dict__.update(state)
            self._draw_footer(total)
            if self.watermark:
                self._draw_watermark()
            super().showPage()
        super().save()

    def _draw_footer(self, total: int) -> None:
        width, _ = LETTER
        self.saveState()
        self.setFont(FONT, self.font_size)
        self.setFillColor(MUTED)
        self.setStrokeColor(RULE)
        left, right = 0.75 * inch, width - 0.75 * inch
        self.line(left, 0.62 * inch, right, 0.62 * inch)
        label = self.page_label.format(page=self.getPageNumber(), total=total)
        self.drawRightString(right, 0.45 * inch, label)
        room = right - left - pdfmetrics.stringWidth(label, FONT, self.font_size) - 12
        self.drawString(left, 0.45 * inch, _fit(drawable(self.footer), room, self.font_size))
        self.restoreState()


    def _draw_watermark(self) -> None:
        """Large grey words across the page: a demo handout cannot pass for a real one."""
        width, height = LETTER
        self.saveState()
        self.setFont(f"{FONT}-Bold", 44)
        self.setFillColor(MUTED)
        self.setFillAlpha(0.18)
        self.translate(width / 2, height / 2)
        self.rotate(45)
        self.drawCentredString(0, 0, drawable(self.watermark))
        self.restoreState()


def _fit(text: str, width: float, size: float) -> str:
    """Shorten ``text`` with an ellipsis so it fits ``width`` points (footers never overlap)."""
    if pdfmetrics.stringWidth(text, FONT, size) <= width:
        return text
    while text and pdfmetrics.stringWidth(text + "…", FONT, size) > width:
        text = text[:-1]
    return text.rstrip() + "…"


def _canvas_for(
    footer: str, size: float, watermark: str = "", page_label: str = "Page {page} of {total}",
) -> type[_NumberedCanvas]:
    return type("_Canvas", (_NumberedCanvas,), {
        "footer": footer, "font_size": size, "watermark": watermark, "page_label": page_label,
    })


def _table_style(commands: list[tuple[Any, ...]]) -> TableStyle:
    """Every table cell in our font: reportlab would set Helvetica for non-paragraph cells."""
    return TableStyle([("FONTNAME", (0, 0), (-1, -1), FONT), *commands])


def _p(text: str, style: ParagraphStyle) -> RLParagraph:
    return RLParagraph(markup(text), style)


class _TickBox(Flowable):
    """An empty square to tick by hand, drawn directly on the canvas."""

    def __init__(self, size: float) -> None:
        super().__init__()
        self.size = size

    def wrap(self, available_width: float, available_height: float) -> tuple[float, float]:
        return self.size * 1.3, self.size

    def draw(self) -> None:
        side = self.size * 0.95
        self.canv.setStrokeColor(INK)
        self.canv.setLineWidth(1)
        self.canv.rect(0, -self.size * 0.05, side, side, stroke=1, fill=0)


def _table(block: Table, st: _Styles, width: float, height: float) -> RLTable:
    """A table of paragraphs; without a header the first column is the bold label.

    Where every row fits a page, rows are kept whole and a sub-heading row stays with the
    row after it (never alone at a page's foot). Only a row taller than a page (a very long
    note) is split across pages: reportlab then also draws the repeated header row at the
    foot of the first page, and a NOSPLIT there draws rows out of place."""
    head: list[list[Any]] = [[_p(h, st.cell_head) for h in block.header]] if block.header else []
    label = st.cell if block.header else st.cell_head
    body: list[list[Any]] = [
        [_p(row[0], st.cell_head if index in block.section_rows else label),
         *(_p(cell, st.cell) for cell in row[1:])]
        for index, row in enumerate(block.rows)
    ]
    blanks: list[list[Any]] = [["" for _ in block.widths] for _ in range(block.blank_rows)]
    heights = [None] * (len(head) + len(body)) + [st.size * 2.2] * len(blanks)
    columns = [w * width for w in block.widths]
    padding = st.size * 0.45  # the top and bottom padding below
    keep = all(
        max(cell.wrap(column - 12, height)[1] for cell, column in zip(row, columns, strict=True))
        + padding < height * 0.8 for row in head + body)
    table = RLTable(
        head + body + blanks, colWidths=columns, rowHeights=heights,
        repeatRows=1 if head else 0, splitInRow=0 if keep else 1, hAlign="LEFT",
    )
    commands: list[tuple[Any, ...]] = [
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("GRID", (0, 0), (-1, -1), 0.5, RULE),
        ("TOPPADDING", (0, 0), (-1, -1), st.size * 0.2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), st.size * 0.25),
    ]
    if head:
        commands.append(("BACKGROUND", (0, 0), (-1, 0), SHADE))
    for index in block.section_rows:
        row = index + len(head)
        commands += [("SPAN", (0, row), (-1, row)), ("BACKGROUND", (0, row), (-1, row), SHADE)]
        if keep:
            commands.append(("NOSPLIT", (0, row), (-1, min(row + 1, len(head) + len(body) - 1))))
    table.setStyle(_table_style(commands))
    return table


def _help_box(block: HelpBox, st: _Styles, width: float) -> RLTable:
    inner: list[Flowable] = [_p(block.title, st.h1)]
    own, emergency, same_day = block.headings
    if block.own_warnings:
        inner.append(_p(own, st.strong))
        inner.append(_bullets(block.own_warnings, st))
    inner.append(_p(emergency, st.strong))
    inner.append(_bullets(block.emergency, st))
    if block.same_day:  # a stricter item may have taken each same-day line's place
        inner.append(_p(same_day, st.strong))
        inner.append(_bullets(block.same_day, st))
    inner.append(_p(block.numbers, st.strong))
    # One row per part, so a box with many warnings can continue on the next page.
    box = RLTable([[part] for part in inner], colWidths=[width], hAlign="LEFT")
    box.setStyle(_table_style([
        ("BOX", (0, 0), (-1, -1), 2.5, INK),
        ("BACKGROUND", (0, 0), (-1, -1), SHADE),
        ("LEFTPADDING", (0, 0), (-1, -1), 10),
        ("RIGHTPADDING", (0, 0), (-1, -1), 10),
        ("TOPPADDING", (0, 0), (-1, -1), 1),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 1),
        ("TOPPADDING", (0, 0), (-1, 0), 4),
        ("BOTTOMPADDING", (0, -1), (-1, -1), 8),
    ]))
    return box


def _bullets(items: Iterable[str], st: _Styles, *, numbered: bool = False) -> ListFlowable:
    flow: list[Any] = [ListItem(_p(item, st.body), leftIndent=st.size * 1.4) for item in items]
    return ListFlowable(
        flow, bulletType="1" if numbered else "bullet", start=None if numbered else "•",
        leftIndent=st.size * 1.4, bulletFontName=FONT, bulletFontSize=st.size,
    )


def _checklist(items: Iterable[str], st: _Styles, width: float) -> RLTable:
    rows = [[_TickBox(st.size), _p(item, st.body)] for item in items]
    table = RLTable(rows, colWidths=[st.size * 1.8, width - st.size * 1.8], hAlign="LEFT",
                    splitInRow=1)
    table.setStyle(_table_style([
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (-1, -1), 0),
        ("TOPPADDING", (0, 0), (-1, -1), 2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
    ]))
    return table


_SIDES: Final = ("Left", "Right")  # bodymap.side_labels' words, as the Intake page shows them


@cache
def _head_span() -> tuple[float, float]:
    """The head's left and right edge in the front view (body-map units): the shapes that
    reach the top of the figure."""
    xs = [x for polygon in bodymap.DECOR["front"] if min(y for _, y in polygon) < 10
          for x, _ in polygon]
    return min(xs), max(xs)


class BodyMapFigure(Flowable):
    """Front and back views side by side; selected regions dark, printable in black and white.

    Drawn straight on the page's canvas: a reportlab ``Drawing`` of the same ~60 polygons
    needs the graphics package (a few ms to import in every headless run) and a render
    pass of its own.
    """

    def __init__(self, width: float, height: float,
                 polygons: list[tuple[list[float], Any]],
                 words: list[tuple[float, float, str, float]]) -> None:
        super().__init__()
        self.width, self.height = width, height
        self.polygons = polygons  # flat x, y points and the fill, in drawing order
        self.words = words  # centre x, baseline y, text, size (bold, ink)

    def wrap(self, available_width: float, available_height: float) -> tuple[float, float]:
        return self.width, self.height

    def draw(self) -> None:
        canv = self.canv
        canv.setStrokeColor(OUTLINE)
        canv.setLineWidth(0.8)
        for points, fill in self.polygons:
            path = canv.beginPath()
            path.moveTo(points[0], points[1])
            for i in range(2, len(points), 2):
                path.lineTo(points[i], points[i + 1])
            path.close()
            canv.setFillColor(fill)
            canv.drawPath(path, stroke=1, fill=1)
        canv.setFillColor(INK)
        for x, y, text, size in self.words:
            canv.setFont(f"{FONT}-Bold", size)
            canv.drawCentredString(x, y, text)


def body_map_figure(
    selected: Iterable[str], *, height: float, font_size: float,
    labels: tuple[str, str, str, str] = ("Front", "Back", "Left", "Right"),
) -> BodyMapFigure:
    """Front and back views side by side; selected regions dark, printable in black and white.

    ``labels``: the words for front, back, left and right in the handout's language.
    """
    chosen = set(selected)
    front, back, left, right = labels
    sides = dict(zip(_SIDES, (left, right), strict=True))
    scale = height / bodymap.HEIGHT
    label_size = font_size * 0.9
    # Where each side label's centre goes, in body-map units: at its corner, moved out just
    # far enough to clear the head when the word is long ("Izquierda" is twice "Left").
    placed: dict[str, list[tuple[str, float, float, float]]] = {}  # view -> text, x, y, half
    for view in bodymap.VIEWS:
        placed[view] = []
        for text, x, y in bodymap.side_labels(view):
            word = drawable(sides[text])
            half = pdfmetrics.stringWidth(word, f"{FONT}-Bold", label_size) / scale / 2
            head_left, head_right = _head_span()
            x = min(x, head_left - 3 - half) if x < bodymap.WIDTH / 2 else max(
                x, head_right + 3 + half)
            placed[view].append((word, x, y, half))
    # The labels between the figures need room side by side: the gap grows with the words.
    front_edge = max(x + half for _, x, _, half in placed["front"])
    back_edge = min(x - half for _, x, _, half in placed["back"])
    gap = max(44.0, front_edge - bodymap.WIDTH - back_edge + font_size / scale)
    caption_room = font_size * 1.8
    total_width = (2 * bodymap.WIDTH + gap) * scale
    polygons: list[tuple[list[float], Any]] = []
    words: list[tuple[float, float, str, float]] = []
    for view in bodymap.VIEWS:
        dx = bodymap.view_offset(view, gap=gap)

        def point(x: float, y: float, dx: float = dx) -> list[float]:
            return [(x + dx) * scale, caption_room + (bodymap.HEIGHT - y) * scale]

        for polygon in bodymap.DECOR[view]:
            polygons.append(([c for p in polygon for c in point(*p)], colors.white))
        for region in bodymap.regions_in(view):
            fill = REGION_ON if region.id in chosen else colors.white
            for polygon in region.polygons:
                polygons.append(([c for p in polygon for c in point(*p)], fill))
        for word, x, y, _ in placed[view]:
            px, py = point(x, y)
            words.append((px, py, word, label_size))
        cx = (bodymap.WIDTH / 2 + dx) * scale
        words.append((cx, font_size * 0.3, drawable(front if view == "front" else back),
                      font_size))
    return BodyMapFigure(total_width, height + caption_room + font_size * 1.5, polygons, words)

def _intro_room(heading: Flowable, intro: Paragraph, table: Table, st: _Styles,
                width: float, height: float) -> float:
    """The height a heading, the line introducing a table and the table's header and first
    row need together: with less room left, they start on the next page, so the line never
    ends a page without its table (a Spanish line is longer and reaches that point)."""
    first = replace(table, rows=table.rows[:1], blank_rows=min(table.blank_rows, 1))
    parts = (heading, _p(intro.text, getattr(st, intro.tone)), _table(first, st, width, height))
    return sum(part.wrap(width, 10_000)[1] for part in parts) + st.size * 1.6


def _flowables(document: Document, st: _Styles, width: float, height: float) -> list[Flowable]:
    story: list[Flowable] = [_p(document.title, st.title)]
    following = [*document.blocks[1:], None]
    then = [*document.blocks[2:], None, None]
    for block, after, later in zip(document.blocks, following, then, strict=True):
        if isinstance(block, Heading):
            style = st.h1 if block.level == 1 else st.h2
            if isinstance(after, Table):  # a long table may start here and split, not jump
                style = ParagraphStyle(f"{style.name}-free", parent=style, keepWithNext=0)
            heading = _p(block.text, style)
            room = st.size * 8
            if isinstance(after, Paragraph) and isinstance(later, Table):
                room = max(room, _intro_room(heading, after, later, st, width, height))
            story += [CondPageBreak(room), heading]
        elif isinstance(block, Paragraph):
            story.append(_p(block.text, getattr(st, block.tone)))
        elif isinstance(block, Bullets):
            story.append(_bullets(block.items, st))
        elif isinstance(block, KeyMessages):
            story.append(_bullets(block.items, st, numbered=True))
        elif isinstance(block, Checklist):
            story.append(_checklist(block.items, st, width))
        elif isinstance(block, HelpBox):
            story += [Spacer(1, st.size * 0.5), _help_box(block, st, width)]
        elif isinstance(block, Table):
            story += [_table(block, st, width, height), Spacer(1, st.size * 0.6)]
        elif isinstance(block, BodyMap):
            drawing = body_map_figure(block.selected, height=2.2 * inch, font_size=st.size,
                                      labels=block.labels)
            drawing.hAlign = "CENTER"
            caption = ParagraphStyle("caption", parent=st.small, alignment=TA_CENTER)
            story.append(KeepTogether(
                [_p(block.title, st.h1), drawing, _p(block.caption, caption)]
            ))
        elif isinstance(block, WriteLines):
            lines = RLTable([[""]] * block.count, colWidths=[width],
                            rowHeights=[st.size * 2.2] * block.count)
            lines.setStyle(_table_style([
                ("LINEBELOW", (0, 0), (-1, -1), 0.6, RULE),
            ]))
            story.append(lines)
    return story


def render(document: Document, *, large_print: bool = False) -> bytes:
    """The document as PDF bytes: Letter, DejaVu fonts embedded, page X of Y on every page."""
    _register_fonts()
    if any(isinstance(b, Paragraph) and b.tone == "muted" for b in document.blocks):
        _register_obliques()
    size = 14.0 if large_print else (11.0 if document.audience == "patient" else 9.0)
    # The clinician summary is dense: its smaller styles (table cells, notes, the footer) are
    # held at CLINICIAN_MIN_PT too, so nothing in it prints under 9 pt (issue 13).
    floor = CLINICIAN_MIN_PT if document.audience == "clinician" else 0.0
    st = _styles(size, floor)
    out = io.BytesIO()
    margin = 0.75 * inch if document.audience == "patient" else 0.55 * inch
    doc = SimpleDocTemplate(
        out, pagesize=LETTER, leftMargin=margin, rightMargin=margin,
        topMargin=0.7 * inch, bottomMargin=0.85 * inch, title=drawable(document.title),
        author=drawable(document.author), subject=drawable(document.subject),
        creator="Inomyalgia Care", producer="Inomyalgia Care", lang=document.lang,
        invariant=1, keywords=["care plan", "muscle pain", "decision support"],
        initialFontName=FONT,  # else Helvetica is declared on every page
    )
    story = _flowables(document, st, doc.width, doc.height)
    doc.build(story, canvasmaker=_canvas_for(
        document.footer, max(8.0, floor, size * 0.75), document.watermark, document.page_label
    ))
    return out.getvalue()


def patient_pdf(
    plan: CarePlan, *, review: Review | None = None, clinic: Clinic | None = None,
    large_print: bool = False, language: Language = "en",
) -> bytes:
    """The patient handout in ``language`` (draft until a signed review exists)."""
    return render(patient_handout(plan, review=review, clinic=clinic, language=language),
                  large_print=large_print)


def clinician_pdf(
    plan: CarePlan, *, review: Review | None = None, handout_language: Language | None = None,
) -> bytes:
    """The clinician summary for the record (English; it names the handout's language)."""
    return render(clinician_summary(plan, review=review, handout_language=handout_language))
