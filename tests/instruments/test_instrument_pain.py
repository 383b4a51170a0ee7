import pytest

from careplan.clinical.instruments import pain


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0, "none"),
        (1, "mild"),
        (3, "mild"),
        (4, "moderate"),
        (6, "moderate"),
        (7, "severe"),
        (10, "severe"),
    ],
)
def test_band_edges(value: int, expected: str) -> None:
    assert pain.band(value) == expected


@pytest.mark.parametrize("value", [-1, 11, 2.5, True])
def test_band_rejects_out_of_range(value: int) -> None:
    with pytest.raises(ValueError, match="0-10"):
        pain.band(value)


def test_constants() -> None:
    assert pain.MEANINGFUL_CHANGE_POINTS == 2
    assert "Farrar" in pain.SOURCE
    assert pain.NAME
