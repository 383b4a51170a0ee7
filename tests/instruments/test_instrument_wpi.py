import pytest

from careplan.clinical.instruments import wpi
from careplan.intake.vocabulary import AREAS


def test_areas_and_regions_cover_each_area_once() -> None:
    assert len(AREAS) == 19
    in_regions = [area for members in wpi.REGIONS.values() for area in members]
    assert sorted(in_regions) == sorted(AREAS)
    assert list(wpi.REGIONS) == ["left_upper", "right_upper", "left_lower", "right_lower", "axial"]
    assert list(wpi.REGION_LABELS) == list(wpi.REGIONS)
    assert wpi.REGION_LABELS["left_upper"] == "Left upper region (region 1)"


def test_empty() -> None:
    assert wpi.score([]) == wpi.WpiResult(score=0, regions=(), generalized=False)


def test_all_areas() -> None:
    result = wpi.score(AREAS)
    assert result.score == 19
    assert result.regions == tuple(wpi.REGIONS)
    assert result.generalized


def test_duplicates_count_once() -> None:
    result = wpi.score(["neck", "neck", "hip_left"])
    assert result.score == 2
    assert result.regions == ("left_lower", "axial")


def test_jaw_chest_abdomen_score_but_do_not_count_for_regions() -> None:
    result = wpi.score(["jaw_left", "jaw_right", "chest", "abdomen", "hip_left", "hip_right"])
    assert result.score == 6
    assert result.regions == ("left_lower", "right_lower")
    assert not result.generalized


def test_only_excluded_areas_give_no_regions() -> None:
    result = wpi.score(["jaw_left", "jaw_right", "chest", "abdomen"])
    assert result == wpi.WpiResult(score=4, regions=(), generalized=False)


@pytest.mark.parametrize(
    ("areas", "regions", "generalized"),
    [
        (
            ["shoulder_left", "shoulder_right", "hip_left", "lower_back"],
            ("left_upper", "right_upper", "left_lower", "axial"),
            True,
        ),
        (
            ["lower_arm_left", "upper_arm_right", "upper_leg_left", "lower_leg_right"],
            ("left_upper", "right_upper", "left_lower", "right_lower"),
            True,
        ),
        (
            ["shoulder_left", "shoulder_right", "hip_left", "chest"],
            ("left_upper", "right_upper", "left_lower"),
            False,
        ),
        (
            ["jaw_left", "shoulder_right", "hip_left", "hip_right", "neck"],
            ("right_upper", "left_lower", "right_lower", "axial"),
            True,
        ),
    ],
)
def test_generalized(areas: list[str], regions: tuple[str, ...], generalized: bool) -> None:
    result = wpi.score(areas)
    assert result.regions == regions
    assert result.generalized is generalized


def test_unknown_area() -> None:
    with pytest.raises(ValueError, match="knee"):
        wpi.score(["neck", "knee"])


def test_single_string_rejected() -> None:
    with pytest.raises(TypeError, match="single string"):
        wpi.score("neck")


def test_is_symmetric() -> None:
    areas = ["hip_left", "hip_right", "shoulder_left"]
    assert wpi.is_symmetric(areas, "hip_left", "hip_right")
    assert not wpi.is_symmetric(areas, "shoulder_left", "shoulder_right")
    with pytest.raises(ValueError, match="unknown"):
        wpi.is_symmetric(areas, "hip_left", "hip_middle")
