"""The 19-region body map of the ACR 2016 Widespread Pain Index, as plain vector shapes.

Why this module exists: the printed PDF (reportlab) and the Intake page (a Pillow
image with click hit-testing, in ``ui/bodymap.py``) must show *the same* figure, so the
geometry lives here once, as numbers, with no drawing library imported. Only the standard
library is used; whoever draws decides how.

Coordinates: each view ("front", "back") has its own system, ``WIDTH`` x
``HEIGHT`` = 100 x 220 units, origin at the top-left corner, **x grows to the
right and y grows DOWN** (as in images). reportlab's y grows up, so the PDF must
flip: ``pdf_y = top - y * scale``.

Left and right are always the PATIENT's. In the front view the patient faces
the viewer, so the patient's left is on the viewer's right (larger x); in the
back view we look at the patient's back, so the patient's left is on the
viewer's left (smaller x). Left/right mix-ups were the commonest recording
error on the Michigan Body Map, hence the side labels and the tests.

Regions never overlap within a view. Shared borders use identical vertices and
the hit test uses a half-open crossing rule, so a point on a shared border
belongs to exactly one region.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Final, Literal

from careplan.intake.vocabulary import AREA_LABELS, AREAS

__all__ = [
    "DECOR",
    "DEFAULT_GAP",
    "HEIGHT",
    "OUTLINE",
    "REGIONS",
    "SELECTED_FILL",
    "UNSELECTED_FILL",
    "VIEWS",
    "WIDTH",
    "Point",
    "Polygon",
    "Region",
    "View",
    "region_at",
    "region_at_combined",
    "regions_in",
    "side_labels",
    "view_offset",
]

View = Literal["front", "back"]
VIEWS: Final[tuple[View, ...]] = ("front", "back")
Point = tuple[float, float]
Polygon = tuple[Point, ...]

WIDTH: Final = 100.0
HEIGHT: Final = 220.0
DEFAULT_GAP: Final = 20.0
CAPTION_HEIGHT: Final = 16.0  # room under each view for "Front" / "Back" (the page's image)

SELECTED_FILL: Final = "#4b5563"  # dark grey: stays dark when printed in black and white
UNSELECTED_FILL: Final = "#f3f4f6"
OUTLINE: Final = "#374151"

# On the back the hip region is the buttock; say so in the tooltip.
_VIEW_LABELS: Final[dict[tuple[str, View], str]] = {
    ("hip_left", "back"): "Left hip (buttock)",
    ("hip_right", "back"): "Right hip (buttock)",
}


@dataclass(frozen=True, slots=True)
class Region:
    """One WPI area as drawn in one view: its id, the view, its shapes and a plain label."""

    id: str
    view: View
    polygons: tuple[Polygon, ...]
    label: str


# --------------------------------------------------------------------------- geometry


def _pt(x: float, y: float) -> Point:
    """Round once, so shared borders are built from bit-identical numbers."""
    return (round(x, 2) + 0.0, round(y, 2) + 0.0)


def _poly(points: Iterable[Point]) -> Polygon:
    return tuple(_pt(x, y) for x, y in points)


def _mirror(poly: Polygon) -> Polygon:
    """Reflect a shape across the figure's midline (x = 50)."""
    return tuple(_pt(WIDTH - x, y) for x, y in reversed(poly))


def _symmetric(left_half: Sequence[Point]) -> Polygon:
    """A midline shape from its viewer-left half: top-centre, down the side, bottom-centre."""
    half = _poly(left_half)
    return half + _mirror(half[1:-1])


def _arc(start: float, stop: float, step: float = 7.5) -> list[Point]:
    """Points on the head ellipse from angle ``start`` to ``stop`` (degrees, y down: 90 = chin)."""
    count = round(abs(stop - start) / step)
    sign = 1.0 if stop >= start else -1.0
    out: list[Point] = []
    for i in range(count + 1):
        t = math.radians(start + sign * step * i)
        out.append(_pt(_HEAD_CX + _HEAD_RX * math.cos(t), _HEAD_CY + _HEAD_RY * math.sin(t)))
    return out


_HEAD_CX: Final = 50.0
_HEAD_CY: Final = 17.5
_HEAD_RX: Final = 10.5
_HEAD_RY: Final = 13.5

# The neck's top edge *is* the head's lower arc (60..120 degrees): they touch, never overlap.
_NECK: Final = _poly([*_arc(60, 120), (43.5, 38.0), (56.5, 38.0)])
_HEAD_FULL: Final = _poly(_arc(0, 360)[:-1])
# Front: the lower face (below the 30/150-degree chord) is the two jaw regions.
_JAW_LINE_Y: Final = _arc(30, 30)[0][1]
_HEAD_FRONT: Final = _poly([*_arc(150, 390), (50.0, _JAW_LINE_Y)])
_JAW_VIEWER_LEFT: Final = _poly([*_arc(90, 150), (50.0, _JAW_LINE_Y)])
_JAW_VIEWER_RIGHT: Final = _poly([(50.0, _JAW_LINE_Y), *_arc(30, 90)])

# Viewer-left half of the figure; the other side is the mirror image.
_SHOULDER: Final = _poly(
    [(43.5, 38), (37, 39), (30.5, 40.5), (25.5, 43.5), (22, 48.5), (20.5, 57),
     (28.5, 57), (30.5, 52)]
)  # fmt: skip
_UPPER_ARM: Final = _poly(
    [(20.5, 57), (28.5, 57), (28, 66), (27, 77), (25.8, 88), (17.6, 88), (18.7, 77), (19.6, 66)]
)
_LOWER_ARM: Final = _poly(
    [(17.6, 88), (25.8, 88), (25.2, 97), (23.8, 108), (22.4, 118), (15.8, 118), (15.8, 108),
     (16.4, 97)]
)  # fmt: skip
_HAND: Final = _poly(
    [(15.8, 118), (22.4, 118), (23.6, 122.5), (23.4, 128), (21.6, 133), (18.8, 134.5),
     (16.2, 132.5), (14.6, 127.5), (14.6, 122.5)]
)  # fmt: skip
# Torso side, shared by chest/upper back (38..78) and abdomen/lower back (78..104).
_TORSO_TOP: Final = _symmetric(
    [(50, 38), (43.5, 38), (30.5, 52), (31, 60), (31.8, 70), (32.8, 78), (50, 78)]
)
_TORSO_BOTTOM: Final = _symmetric(
    [(50, 78), (32.8, 78), (33.7, 86), (33.9, 92), (32.8, 98.5), (31, 104), (50, 104)]
)
_HIP_FRONT: Final = _poly([(50, 104), (31, 104), (30.2, 111), (29.9, 119), (40, 122.5), (50, 126)])
_THIGH_FRONT: Final = _poly(
    [(29.9, 119), (40, 122.5), (50, 126), (49.2, 134), (48.3, 146), (47.4, 158), (36.6, 158),
     (34, 146), (31.2, 132)]
)  # fmt: skip
_BUTTOCK: Final = _poly(
    [(50, 104), (31, 104), (30.2, 111), (29.9, 119), (31.4, 124.5), (35, 128.2), (40, 129.6),
     (45.2, 129.2), (48.6, 127.6), (50, 126)]
)  # fmt: skip
_THIGH_BACK: Final = _poly(
    [(29.9, 119), (31.4, 124.5), (35, 128.2), (40, 129.6), (45.2, 129.2), (48.6, 127.6),
     (50, 126), (49.2, 134), (48.3, 146), (47.4, 158), (36.6, 158), (34, 146), (31.2, 132)]
)  # fmt: skip
_LOWER_LEG: Final = _poly(
    [(36.6, 158), (47.4, 158), (47.8, 167), (47.3, 179), (46, 191), (45.2, 202), (40, 202),
     (38.8, 191), (36.6, 179), (35.8, 167)]
)  # fmt: skip
_FOOT_FRONT: Final = _poly(
    [(40, 202), (45.2, 202), (46, 206.5), (45.6, 210.5), (42, 212), (37.2, 211.6), (35.6, 209.8),
     (37.2, 206.8)]
)  # fmt: skip
_HEEL: Final = _poly(
    [(40, 202), (45.2, 202), (45.8, 206.5), (45, 210), (42.6, 211.4), (40, 210.8), (39, 207)]
)


def _pairs(viewer_left: Polygon) -> tuple[Polygon, Polygon]:
    """(viewer-left shape, viewer-right shape) for a limb or side."""
    return viewer_left, _mirror(viewer_left)


def _sided(view: View, stem: str, shape: Polygon) -> list[tuple[str, Polygon]]:
    """Name a viewer-left shape and its mirror by the PATIENT's side for this view."""
    viewer_left, viewer_right = _pairs(shape)
    if view == "front":  # the patient faces us: their right is on our left
        return [(f"{stem}_right", viewer_left), (f"{stem}_left", viewer_right)]
    return [(f"{stem}_left", viewer_left), (f"{stem}_right", viewer_right)]


def _build_view(view: View) -> list[tuple[str, Polygon]]:
    shapes: list[tuple[str, Polygon]] = []
    if view == "front":
        shapes += [("jaw_right", _JAW_VIEWER_LEFT), ("jaw_left", _JAW_VIEWER_RIGHT)]
    shapes.append(("neck", _NECK))
    shapes += _sided(view, "shoulder", _SHOULDER)
    shapes += _sided(view, "upper_arm", _UPPER_ARM)
    shapes += _sided(view, "lower_arm", _LOWER_ARM)
    if view == "front":
        shapes += [("chest", _TORSO_TOP), ("abdomen", _TORSO_BOTTOM)]
        shapes += _sided(view, "hip", _HIP_FRONT)
        shapes += _sided(view, "upper_leg", _THIGH_FRONT)
    else:
        shapes += [("upper_back", _TORSO_TOP), ("lower_back", _TORSO_BOTTOM)]
        shapes += _sided(view, "hip", _BUTTOCK)
        shapes += _sided(view, "upper_leg", _THIGH_BACK)
    shapes += _sided(view, "lower_leg", _LOWER_LEG)
    return shapes


def _build_regions() -> tuple[Region, ...]:
    regions: list[Region] = []
    for view in VIEWS:
        for area_id, poly in _build_view(view):
            label = _VIEW_LABELS.get((area_id, view), AREA_LABELS[area_id])
            regions.append(Region(id=area_id, view=view, polygons=(poly,), label=label))
    # Stable order: view, then the order of AREAS (the vocabulary's order).
    regions.sort(key=lambda r: (VIEWS.index(r.view), AREAS.index(r.id)))
    return tuple(regions)


REGIONS: Final[tuple[Region, ...]] = _build_regions()

DECOR: Final[dict[View, tuple[Polygon, ...]]] = {
    "front": (_HEAD_FRONT, *_pairs(_HAND), *_pairs(_FOOT_FRONT)),
    "back": (_HEAD_FULL, *_pairs(_HAND), *_pairs(_HEEL)),
}

_BY_VIEW: Final[dict[View, tuple[Region, ...]]] = {
    view: tuple(r for r in REGIONS if r.view == view) for view in VIEWS
}

if {r.id for r in REGIONS} != set(AREAS):  # pragma: no cover
    raise RuntimeError("body map regions are out of step with careplan.intake.vocabulary.AREAS")


# --------------------------------------------------------------------------- queries


def _check_view(view: object) -> View:
    if view not in VIEWS:
        raise ValueError(f"unknown view {view!r}; expected one of {VIEWS}")
    return view


def regions_in(view: View) -> tuple[Region, ...]:
    """The regions drawn in one view, in stable order (so both renderers agree)."""
    return _BY_VIEW[_check_view(view)]


def _crossings(poly: Polygon, x: float, y: float) -> int:
    """Count polygon edges crossed by a ray from (x, y) towards +x (half-open rule).

    Each edge is evaluated with its endpoints in a canonical order, so two
    regions sharing a border compute exactly the same intersection and a point
    on that border is counted for one of them only.
    """
    count = 0
    n = len(poly)
    for i in range(n):
        a, b = poly[i], poly[(i + 1) % n]
        if a > b:
            a, b = b, a
        (ax, ay), (bx, by) = a, b
        if (ay > y) != (by > y):
            x_cross = ax + (y - ay) * (bx - ax) / (by - ay)
            if x < x_cross:
                count += 1
    return count


def _inside(polygons: Iterable[Polygon], x: float, y: float) -> bool:
    """Even-odd rule over all of a region's polygons (holes stay holes)."""
    return sum(_crossings(p, x, y) for p in polygons) % 2 == 1


def region_at(*, view: View, x: float, y: float) -> str | None:
    """The area id under a point of one view (view units), or None if outside every region."""
    regions = regions_in(view)
    if not (math.isfinite(x) and math.isfinite(y)):
        return None
    if not (0.0 <= x <= WIDTH and 0.0 <= y <= HEIGHT):
        return None
    for region in regions:
        if _inside(region.polygons, x, y):
            return region.id
    return None


def view_offset(view: View, *, gap: float = DEFAULT_GAP) -> float:
    """x offset of a view in the side-by-side picture: front at 0, back at WIDTH + gap."""
    _check_view(view)
    if not (math.isfinite(gap) and gap >= 0):
        raise ValueError(f"gap must be a finite number >= 0, got {gap!r}")
    return 0.0 if view == "front" else WIDTH + gap


def region_at_combined(*, x: float, y: float, gap: float = DEFAULT_GAP) -> str | None:
    """The area id under a click on the side-by-side picture (front left, back right).

    ``x``/``y`` are in picture units, i.e. pixels divided by the scale the image was
    drawn at. The gap between the views belongs to neither.
    """
    for view in VIEWS:
        left = view_offset(view, gap=gap)
        if left <= x <= left + WIDTH:
            return region_at(view=view, x=x - left, y=y)
    return None


def side_labels(view: View) -> tuple[tuple[str, float, float], ...]:
    """Where to write "Right"/"Left" (the PATIENT's sides) near the top corners.

    Each anchor is the centre of the text's baseline, viewer-left corner first.
    """
    if _check_view(view) == "front":
        return (("Right", 10.0, 10.0), ("Left", 90.0, 10.0))
    return (("Left", 10.0, 10.0), ("Right", 90.0, 10.0))
