"""The body map: every WPI area is drawn once per view it belongs to, on the patient's side."""

from __future__ import annotations

import math

import pytest

from careplan.documents import bodymap
from careplan.documents.bodymap import (
    DECOR,
    HEIGHT,
    REGIONS,
    VIEWS,
    WIDTH,
    Polygon,
    View,
    region_at,
    region_at_combined,
    regions_in,
    side_labels,
    view_offset,
)
from careplan.intake.vocabulary import AREA_LABELS, AREAS

SVG_NS = "{http://www.w3.org/2000/svg}"

FRONT_ONLY = {"jaw_left", "jaw_right", "chest", "abdomen"}
BACK_ONLY = {"upper_back", "lower_back"}
BOTH = set(AREAS) - FRONT_ONLY - BACK_ONLY


def centroid(poly: Polygon) -> tuple[float, float]:
    """Area centroid (shoelace formula)."""
    area = cx = cy = 0.0
    for (x0, y0), (x1, y1) in zip(poly, poly[1:] + poly[:1], strict=True):
        cross = x0 * y1 - x1 * y0
        area += cross
        cx += (x0 + x1) * cross
        cy += (y0 + y1) * cross
    area /= 2
    return cx / (6 * area), cy / (6 * area)


def region(area: str, view: View) -> bodymap.Region:
    (found,) = [r for r in regions_in(view) if r.id == area]
    return found


def in_polygon(poly: Polygon, x: float, y: float) -> bool:
    """Independent even-odd test, to check the decor against the regions."""
    inside = False
    for (x0, y0), (x1, y1) in zip(poly, poly[1:] + poly[:1], strict=True):
        if (y0 > y) != (y1 > y) and x < x0 + (y - y0) * (x1 - x0) / (y1 - y0):
            inside = not inside
    return inside


def grid(step: float = 1.0, start: float = 0.0) -> list[tuple[float, float]]:
    xs = [start + i * step for i in range(int((WIDTH - start) / step) + 1)]
    ys = [start + j * step for j in range(int((HEIGHT - start) / step) + 1)]
    return [(x, y) for y in ys for x in xs]


# ------------------------------------------------------------------- regions and views


def test_every_area_appears_and_has_a_label() -> None:
    assert {r.id for r in REGIONS} == set(AREAS)
    assert set(AREA_LABELS) == set(AREAS)
    assert AREA_LABELS["upper_arm_left"] == "Left upper arm"
    assert AREA_LABELS["lower_back"] == "Lower back"
    assert AREA_LABELS["jaw_left"] == "Jaw (left side)"
    assert all(r.label for r in REGIONS)


def test_each_area_is_only_in_the_views_it_belongs_to() -> None:
    front = {r.id for r in regions_in("front")}
    back = {r.id for r in regions_in("back")}
    assert front == BOTH | FRONT_ONLY
    assert back == BOTH | BACK_ONLY
    assert len(REGIONS) == len(front) + len(back)  # one Region per (area, view)
    assert regions_in("front") + regions_in("back") == REGIONS


def test_unknown_view_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown view"):
        regions_in("side")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="unknown view"):
        region_at(view="top", x=50, y=50)  # type: ignore[arg-type]


def test_all_points_lie_inside_the_view_box() -> None:
    shapes = [p for r in REGIONS for p in r.polygons] + [p for v in VIEWS for p in DECOR[v]]
    for poly in shapes:
        assert len(poly) >= 3
        for x, y in poly:
            assert 0 <= x <= WIDTH
            assert 0 <= y <= HEIGHT


@pytest.mark.parametrize("view", VIEWS)
@pytest.mark.parametrize("offset", [0.0, 0.5, 0.25])
def test_regions_never_overlap(view: View, offset: float) -> None:
    # Integer points fall exactly on shared borders: each must still belong to one region.
    for x, y in grid(1.0, offset):
        hits = [r.id for r in regions_in(view) if bodymap._inside(r.polygons, x, y)]
        assert len(hits) <= 1, (view, x, y, hits)


@pytest.mark.parametrize("view", VIEWS)
def test_decor_does_not_cover_any_region(view: View) -> None:
    for x, y in grid(1.0, 0.5):
        if region_at(view=view, x=x, y=y) is not None:
            assert not any(in_polygon(p, x, y) for p in DECOR[view]), (view, x, y)


@pytest.mark.parametrize("region_", REGIONS, ids=lambda r: f"{r.view}-{r.id}")
def test_the_centroid_of_each_region_hits_it(region_: bodymap.Region) -> None:
    for poly in region_.polygons:
        x, y = centroid(poly)
        assert region_at(view=region_.view, x=x, y=y) == region_.id


@pytest.mark.parametrize("view", VIEWS)
@pytest.mark.parametrize(
    ("x", "y"),
    [
        (2, 2),  # top corner
        (50, 2),  # above the head
        (50, 12),  # forehead (decor, not a region)
        (5, 100),  # beside the arm
        (50, 150),  # between the knees
        (50, 215),  # below the feet
        (-1, 50),
        (101, 50),
        (50, -5),
        (50, 221),
        (math.nan, 50),
        (50, math.inf),
    ],
)
def test_points_outside_the_figure_hit_nothing(view: View, x: float, y: float) -> None:
    assert region_at(view=view, x=x, y=y) is None


def test_hit_test_finds_obvious_spots() -> None:
    assert region_at(view="front", x=50, y=60) == "chest"
    assert region_at(view="front", x=50, y=90) == "abdomen"
    assert region_at(view="back", x=50, y=60) == "upper_back"
    assert region_at(view="back", x=50, y=90) == "lower_back"
    assert region_at(view="front", x=50, y=34) == "neck"
    assert region_at(view="back", x=50, y=34) == "neck"


# ------------------------------------------------------------------- left and right


@pytest.mark.parametrize("stem", ["shoulder", "upper_arm", "lower_arm", "hip", "upper_leg"])
def test_left_and_right_are_the_patients(stem: str) -> None:
    # Front: the patient faces us, so their left is on our right.
    assert centroid(region(f"{stem}_left", "front").polygons[0])[0] > 50
    assert centroid(region(f"{stem}_right", "front").polygons[0])[0] < 50
    # Back: we see their back, so their left is on our left.
    assert centroid(region(f"{stem}_left", "back").polygons[0])[0] < 50
    assert centroid(region(f"{stem}_right", "back").polygons[0])[0] > 50


def test_jaw_sides_and_click_on_the_viewer_right() -> None:
    assert centroid(region("jaw_left", "front").polygons[0])[0] > 50
    assert centroid(region("jaw_right", "front").polygons[0])[0] < 50
    assert region_at(view="front", x=75, y=47) == "shoulder_left"
    assert region_at(view="back", x=75, y=47) == "shoulder_right"
    assert region_at(view="front", x=44, y=190) == "lower_leg_right"
    assert region_at(view="back", x=44, y=190) == "lower_leg_left"


def test_side_labels_name_the_patients_sides() -> None:
    (front_l, front_r) = side_labels("front")
    (back_l, back_r) = side_labels("back")
    assert (front_l[0], front_r[0]) == ("Right", "Left")
    assert (back_l[0], back_r[0]) == ("Left", "Right")
    for _, x, y in (front_l, front_r, back_l, back_r):
        assert 0 <= x <= WIDTH
        assert 0 <= y < 30  # near the top
    assert front_l[1] < 50 < front_r[1]


def test_the_figure_is_mirror_symmetric() -> None:
    for view in VIEWS:
        for r in regions_in(view):
            twin = r.id.replace("_left", "_right") if "_left" in r.id else None
            if twin is None:
                continue
            mirrored = {(round(WIDTH - x, 2), y) for x, y in r.polygons[0]}
            assert mirrored == set(region(twin, view).polygons[0])


# ------------------------------------------------------------------- combined picture


def test_view_offset() -> None:
    assert view_offset("front") == 0
    assert view_offset("back") == WIDTH + 20
    assert view_offset("back", gap=5) == WIDTH + 5
    with pytest.raises(ValueError, match="gap"):
        view_offset("back", gap=-1)


def test_combined_hit_test() -> None:
    assert region_at_combined(x=75, y=47) == "shoulder_left"  # front, viewer right
    assert region_at_combined(x=120 + 75, y=47) == "shoulder_right"  # back, viewer right
    assert region_at_combined(x=120 + 50, y=60) == "upper_back"
    assert region_at_combined(x=110, y=60) is None  # the gap
    assert region_at_combined(x=50, y=60, gap=10) == "chest"
    assert region_at_combined(x=105 + 50, y=60, gap=5) == "upper_back"
    assert region_at_combined(x=500, y=60) is None
    for r in REGIONS:
        x, y = centroid(r.polygons[0])
        assert region_at_combined(x=x + view_offset(r.view), y=y) == r.id
