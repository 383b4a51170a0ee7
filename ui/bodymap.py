"""The body map as a picture to click (Pillow), and which region a click falls on.

Why a module of its own: Pillow and the body-map geometry cost time to load, so only the
Intake page imports this module, after sign-in; ``import ui`` (every page, the sign-in form)
never does. The shapes come from ``careplan.documents.bodymap``, the same ones the PDF draws.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

from PIL import Image, ImageDraw, ImageFont

from careplan.documents import bodymap
from careplan.intake.vocabulary import AREA_LABELS, AREAS

MAP_SCALE: Final = 2.0


def body_map_image(selected: Sequence[str], *, scale: float = MAP_SCALE) -> Image.Image:
    """Front and back figure as a picture to click; selected regions dark."""
    gap = bodymap.DEFAULT_GAP
    width = int((2 * bodymap.WIDTH + gap) * scale)
    height = int((bodymap.HEIGHT + bodymap.CAPTION_HEIGHT) * scale)
    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=int(8 * scale))
    chosen = set(selected)
    for view in bodymap.VIEWS:
        dx = bodymap.view_offset(view, gap=gap)

        def xy(polygon: bodymap.Polygon, dx: float = dx) -> list[tuple[float, float]]:
            return [((x + dx) * scale, y * scale) for x, y in polygon]

        for polygon in bodymap.DECOR[view]:
            draw.polygon(xy(polygon), fill="white", outline=bodymap.OUTLINE)
        for region in bodymap.regions_in(view):
            fill = bodymap.SELECTED_FILL if region.id in chosen else bodymap.UNSELECTED_FILL
            for polygon in region.polygons:
                draw.polygon(xy(polygon), fill=fill, outline=bodymap.OUTLINE)
        for text, x, y in bodymap.side_labels(view):
            draw.text(((x + dx) * scale, y * scale), text, fill="black", font=font, anchor="mm")
        draw.text(((bodymap.WIDTH / 2 + dx) * scale, (bodymap.HEIGHT + 9) * scale),
                  view.capitalize(), fill="black", font=font, anchor="mm")
    return image


def text_alternative(selected: Sequence[str]) -> str:
    """The picture in words, for anyone who cannot see it: what it shows and what is marked.

    The picture is drawn inside a component's frame whose image has no alt text (the
    component offers none), so the page prints this beside it."""
    chosen = set(selected)
    marked = [AREA_LABELS[area] for area in AREAS if area in chosen]
    return (f"The picture shows the body from the front and from the back, with its "
            f"{len(AREAS)} pain regions. Marked (dark): "
            f"{', '.join(marked) if marked else 'none'}.")


def region_at_click(click: dict[str, Any] | None, *, natural_width: int) -> str | None:
    """The body region under a click on the displayed picture (any display size)."""
    if not click:
        return None
    shown = float(click.get("width") or natural_width)
    factor = natural_width / shown / MAP_SCALE
    return bodymap.region_at_combined(x=float(click["x"]) * factor,
                                      y=float(click["y"]) * factor, gap=bodymap.DEFAULT_GAP)
