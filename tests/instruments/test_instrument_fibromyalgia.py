import pytest

from careplan.clinical.instruments import fibromyalgia


def _assess(
    wpi: int = 7, sss: int = 5, generalized: bool = True, duration_weeks: int = 12
) -> fibromyalgia.FibroResult:
    return fibromyalgia.assess(
        wpi=wpi, sss=sss, generalized=generalized, duration_weeks=duration_weeks
    )


@pytest.mark.parametrize(
    ("wpi", "sss", "met"),
    [
        (7, 5, True),  # first branch, both at the edge
        (19, 12, True),
        (7, 4, False),
        (6, 9, True),  # second branch
        (4, 9, True),
        (4, 8, False),
        (3, 12, False),  # 2010 version would accept WPI 3; 2016 does not
        (6, 8, False),
    ],
)
def test_score_branches(wpi: int, sss: int, met: bool) -> None:
    assert _assess(wpi=wpi, sss=sss).met is met


def test_met_reasons() -> None:
    result = _assess()
    assert result.met
    assert result.reasons == (
        "WPI 7 and SSS 5 meet the score threshold",
        "generalised pain in 4 or more of 5 regions",
        "symptoms for 12 weeks (3 months or more)",
    )


def test_scores_not_met() -> None:
    result = _assess(wpi=5, sss=8)
    assert not result.met
    assert result.reasons[0].startswith("WPI 5 and SSS 8 do not meet the score threshold")


def test_not_generalized() -> None:
    result = _assess(wpi=10, sss=10, generalized=False)
    assert not result.met
    assert result.reasons[1].startswith("no generalised pain")


@pytest.mark.parametrize(("weeks", "met"), [(11, False), (12, True), (52, True)])
def test_duration(weeks: int, met: bool) -> None:
    result = _assess(duration_weeks=weeks)
    assert result.met is met
    assert result.reasons[2].startswith(f"symptoms for {weeks} weeks")
    if not met:
        assert "less than 3 months" in result.reasons[2]


def test_min_duration_constant() -> None:
    assert fibromyalgia.MIN_DURATION_WEEKS == 12


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"wpi": 20}, "wpi"),
        ({"wpi": -1}, "wpi"),
        ({"sss": 13}, "sss"),
        ({"duration_weeks": -1}, "duration_weeks"),
        ({"generalized": 1}, "generalized"),
    ],
)
def test_rejects_invalid(kwargs: dict[str, int], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        _assess(**kwargs)  # type: ignore[arg-type]
