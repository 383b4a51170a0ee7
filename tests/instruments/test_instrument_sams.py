import datetime

import pytest

from careplan.clinical.instruments import sams

START = datetime.date(2026, 8, 1)


def _index(
    areas: list[str],
    *,
    onset_days: int = 10,
    duration_weeks: int | None = 0,
) -> sams.SamsResult:
    """Visit placed so that symptom onset falls onset_days after the statin start."""
    weeks = duration_weeks or 0
    visit = START + datetime.timedelta(days=onset_days + 7 * weeks)
    return sams.partial_index(
        areas=areas, statin_started=START, visit_date=visit, duration_weeks=duration_weeks
    )


def test_worked_example() -> None:
    result = sams.partial_index(
        areas=["neck", "shoulder_left", "shoulder_right", "upper_back"],
        statin_started=datetime.date(2026, 8, 1),
        visit_date=datetime.date(2026, 11, 20),
        duration_weeks=12,
    )
    assert result.applicable
    assert result.onset_weeks == 3.9
    assert (result.location_points, result.onset_points) == (2, 3)
    assert (result.partial, result.max_possible) == (5, 10)
    assert "2026-08-28" in result.note
    assert "between 5 (unlikely) and 10 (probable)" in result.note


@pytest.mark.parametrize(
    ("areas", "points"),
    [
        (["hip_left", "hip_right"], 3),
        (["upper_leg_left", "upper_leg_right"], 3),
        (["hip_left", "upper_leg_right", "lower_leg_left", "lower_leg_right"], 2),
        (["lower_leg_left", "lower_leg_right"], 2),
        (["shoulder_left", "shoulder_right"], 2),
        (["upper_arm_left", "upper_arm_right"], 2),
        (["upper_arm_left", "upper_arm_right", "hip_left", "hip_right"], 3),
        (["hip_left"], 1),
        (["hip_left", "upper_leg_right"], 1),
        (["shoulder_left", "upper_arm_right"], 1),
        (["lower_arm_left", "lower_arm_right"], 1),
        (["neck", "lower_back"], 1),
    ],
)
def test_location_points(areas: list[str], points: int) -> None:
    result = _index(areas)
    assert result.applicable
    assert result.location_points == points


def test_no_areas_not_applicable() -> None:
    result = _index([])
    assert not result.applicable
    assert (result.location_points, result.partial, result.max_possible) == (0, 0, 0)
    assert "no painful areas" in result.note


@pytest.mark.parametrize(
    ("onset_days", "points", "weeks"),
    [
        (0, 3, 0.0),
        (27, 3, 3.9),
        (28, 2, 4.0),  # exactly 4 weeks
        (84, 2, 12.0),  # exactly 12 weeks
        (85, 1, 12.1),  # just over 12 weeks
        (400, 1, 57.1),
    ],
)
def test_onset_edges(onset_days: int, points: int, weeks: float) -> None:
    result = _index(["neck"], onset_days=onset_days, duration_weeks=8)
    assert result.onset_points == points
    assert result.onset_weeks == weeks
    assert result.partial == 1 + points
    assert result.max_possible == result.partial + 5


def test_symptoms_predate_statin() -> None:
    result = sams.partial_index(
        areas=["hip_left", "hip_right"],
        statin_started=START,
        visit_date=START + datetime.timedelta(weeks=2),
        duration_weeks=3,
    )
    assert not result.applicable
    assert result.onset_weeks == -1.0
    assert (result.location_points, result.onset_points, result.partial) == (0, 0, 0)
    assert "predate the statin" in result.note


def test_onset_on_start_day_applies() -> None:
    result = sams.partial_index(
        areas=["neck"],
        statin_started=START,
        visit_date=START + datetime.timedelta(weeks=3),
        duration_weeks=3,
    )
    assert result.applicable
    assert result.onset_points == 3


def test_missing_duration_uses_visit_date() -> None:
    result = sams.partial_index(
        areas=["lower_leg_left", "lower_leg_right"],
        statin_started=START,
        visit_date=START + datetime.timedelta(weeks=10),
        duration_weeks=None,
    )
    assert result.applicable
    assert result.onset_weeks == 10.0
    assert result.onset_points == 2
    assert (result.partial, result.max_possible) == (4, 9)
    assert "onset taken as the visit date" in result.note


@pytest.mark.parametrize(
    ("total", "likelihood"),
    [
        (2, "unlikely"),
        (6, "unlikely"),
        (7, "possible"),
        (8, "possible"),
        (9, "probable"),
        (11, "probable"),
    ],
)
def test_interpret(total: int, likelihood: str) -> None:
    assert sams.interpret(total) == likelihood
    assert total in {"unlikely": sams.UNLIKELY, "possible": sams.POSSIBLE}.get(
        likelihood, sams.PROBABLE
    )


@pytest.mark.parametrize("total", [1, 12])
def test_interpret_rejects_out_of_range(total: int) -> None:
    with pytest.raises(ValueError, match="2-11"):
        sams.interpret(total)


def test_rejects_invalid_input() -> None:
    with pytest.raises(ValueError, match="unknown WPI area"):
        _index(["knee"])
    with pytest.raises(ValueError, match="after the visit date"):
        sams.partial_index(
            areas=["neck"],
            statin_started=START,
            visit_date=START - datetime.timedelta(days=1),
            duration_weeks=None,
        )
    with pytest.raises(ValueError, match="duration_weeks"):
        _index(["neck"], duration_weeks=-1)
    with pytest.raises(ValueError, match="must be a date"):
        sams.partial_index(
            areas=["neck"],
            statin_started=datetime.datetime(2026, 8, 1, 9, 0),
            visit_date=datetime.date(2026, 9, 1),
            duration_weeks=None,
        )
