import pytest

from careplan.clinical.instruments import peg


@pytest.mark.parametrize(
    ("score", "expected"),
    [
        (0.0, "low"),
        (3.9, "low"),
        (4.0, "moderate"),
        (6.9, "moderate"),
        (7.0, "high"),
        (10.0, "high"),
    ],
)
def test_band_edges(score: float, expected: str) -> None:
    assert peg.band(score) == expected


@pytest.mark.parametrize(
    ("items", "score", "band"),
    [
        ((0, 0, 0), 0.0, "low"),
        ((3, 4, 4), 3.7, "low"),  # 11 / 3 = 3.67
        ((4, 4, 4), 4.0, "moderate"),
        ((6, 7, 7), 6.7, "moderate"),  # 20 / 3 = 6.67
        ((7, 7, 7), 7.0, "high"),
        ((5, 6, 6), 5.7, "moderate"),  # 17 / 3 = 5.67 rounds up
        ((5, 5, 6), 5.3, "moderate"),  # 16 / 3 = 5.33 rounds down
        ((10, 10, 10), 10.0, "high"),
    ],
)
def test_score(items: tuple[int, int, int], score: float, band: peg.PegBand) -> None:
    pain, enjoyment, activity = items
    result = peg.score(pain=pain, enjoyment=enjoyment, activity=activity)
    assert result == peg.PegResult(score=score, band=band)


def test_score_is_order_independent() -> None:
    results = {
        peg.score(pain=p, enjoyment=e, activity=a) for p, e, a in [(1, 2, 8), (8, 1, 2), (2, 8, 1)]
    }
    assert results == {peg.PegResult(score=3.7, band="low")}


@pytest.mark.parametrize(
    "items",
    [
        {"pain": -1, "enjoyment": 0, "activity": 0},
        {"pain": 0, "enjoyment": 11, "activity": 0},
        {"pain": 0, "enjoyment": 0, "activity": 4.5},
    ],
)
def test_score_rejects_out_of_range(items: dict[str, int]) -> None:
    with pytest.raises(ValueError, match="0-10"):
        peg.score(**items)


@pytest.mark.parametrize("score", [-0.1, 10.1, float("nan")])
def test_band_rejects_out_of_range(score: float) -> None:
    with pytest.raises(ValueError, match="0-10"):
        peg.band(score)


@pytest.mark.parametrize(
    ("before", "after", "expected"),
    [
        (10.0, 7.0, True),  # exactly 30%
        (10.0, 7.1, False),
        (5.0, 3.5, True),
        (5.0, 3.6, False),
        (6.7, 4.7, False),  # 29.9%
        (6.7, 4.6, True),
        (4.0, 6.0, False),  # worse
        (0.0, 0.0, False),
        (3.0, 0.0, True),
    ],
)
def test_meaningful_improvement(before: float, after: float, expected: bool) -> None:
    assert peg.meaningful_improvement(before=before, after=after) is expected


def test_meaningful_improvement_rejects_out_of_range() -> None:
    with pytest.raises(ValueError, match="0-10"):
        peg.meaningful_improvement(before=11.0, after=5.0)
