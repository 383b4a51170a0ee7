import pytest

from careplan.clinical.instruments import phq4


@pytest.mark.parametrize(
    ("total", "band"),
    [
        (0, "none"),
        (2, "none"),
        (3, "mild"),
        (5, "mild"),
        (6, "moderate"),
        (8, "moderate"),
        (9, "severe"),
        (12, "severe"),
    ],
)
def test_band_edges(total: int, band: str) -> None:
    # Spread the total across the items, 0-3 each.
    items = [min(3, max(0, total - 3 * i)) for i in range(4)]
    result = phq4.score(anxious=items[0], worry=items[1], little_interest=items[2], down=items[3])
    assert result.total == total
    assert result.band == band


def test_sub_scores() -> None:
    result = phq4.score(anxious=2, worry=1, little_interest=0, down=2)
    assert result == phq4.Phq4Result(
        total=5, band="mild", gad2=3, phq2=2, gad2_positive=True, phq2_positive=False
    )
    assert phq4.gad2(anxious=2, worry=1) == 3
    assert phq4.phq2(little_interest=0, down=2) == 2


@pytest.mark.parametrize(("items", "positive"), [((1, 1), False), ((1, 2), True), ((3, 3), True)])
def test_positivity_at_three(items: tuple[int, int], positive: bool) -> None:
    a, b = items
    both = phq4.score(anxious=a, worry=b, little_interest=a, down=b)
    assert both.gad2_positive is positive
    assert both.phq2_positive is positive
    assert phq4.POSITIVE_AT == 3


@pytest.mark.parametrize(
    "kwargs",
    [
        {"anxious": 4, "worry": 0, "little_interest": 0, "down": 0},
        {"anxious": 0, "worry": -1, "little_interest": 0, "down": 0},
        {"anxious": 0, "worry": 0, "little_interest": 1.0, "down": 0},
        {"anxious": 0, "worry": 0, "little_interest": 0, "down": True},
    ],
)
def test_rejects_invalid(kwargs: dict[str, int]) -> None:
    with pytest.raises(ValueError, match="0-3"):
        phq4.score(**kwargs)


def test_sub_score_functions_validate() -> None:
    with pytest.raises(ValueError, match="worry"):
        phq4.gad2(anxious=0, worry=5)
    with pytest.raises(ValueError, match="down"):
        phq4.phq2(little_interest=0, down=-2)
