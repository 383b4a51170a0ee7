import pytest

from careplan.clinical.instruments import sss


def _score(**overrides: object) -> int:
    items: dict[str, object] = {
        "fatigue": 0,
        "waking_unrefreshed": 0,
        "cognitive_symptoms": 0,
        "headaches": False,
        "lower_abdominal_pain": False,
        "depression": False,
    }
    items.update(overrides)
    return sss.score(**items).score  # type: ignore[arg-type]


def test_zero_and_max() -> None:
    assert _score() == 0
    assert (
        _score(
            fatigue=3,
            waking_unrefreshed=3,
            cognitive_symptoms=3,
            headaches=True,
            lower_abdominal_pain=True,
            depression=True,
        )
        == 12
    )


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"fatigue": 2}, 2),
        ({"waking_unrefreshed": 1, "cognitive_symptoms": 3}, 4),
        ({"headaches": True}, 1),
        ({"lower_abdominal_pain": True, "depression": True, "fatigue": 1}, 3),
    ],
)
def test_sums(overrides: dict[str, object], expected: int) -> None:
    assert _score(**overrides) == expected


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"fatigue": 4}, "0-3"),
        ({"waking_unrefreshed": -1}, "0-3"),
        ({"cognitive_symptoms": 1.5}, "0-3"),
        ({"fatigue": True}, "0-3"),
        ({"headaches": 1}, "True or False"),
    ],
)
def test_rejects_invalid(overrides: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        _score(**overrides)
