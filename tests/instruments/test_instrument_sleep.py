import pytest

from careplan.clinical.instruments import sleep


def test_not_asked() -> None:
    assert sleep.screen(hours=None, quality=None, waking_unrefreshed=None) is None


@pytest.mark.parametrize(
    ("hours", "expected"),
    [
        (0.0, "likely_problem"),
        (5.5, "likely_problem"),
        (5.99, "likely_problem"),
        (6.0, "possible_problem"),
        (6.9, "possible_problem"),
        (7.0, "no_problem"),
        (9, "no_problem"),
        (24.0, "no_problem"),
    ],
)
def test_hours_edges(hours: float, expected: str) -> None:
    result = sleep.screen(hours=hours, quality=None, waking_unrefreshed=None)
    assert result is not None
    assert result.result == expected


@pytest.mark.parametrize(
    ("quality", "expected"),
    [("poor", "likely_problem"), ("fair", "possible_problem"), ("good", "no_problem")],
)
def test_quality(quality: str, expected: str) -> None:
    result = sleep.screen(hours=None, quality=quality, waking_unrefreshed=None)
    assert result is not None
    assert result.result == expected
    assert result.reasons == (f"rates sleep as {quality}",)


@pytest.mark.parametrize(
    ("waking", "expected"),
    [(3, "likely_problem"), (2, "possible_problem"), (1, "no_problem"), (0, "no_problem")],
)
def test_waking_unrefreshed(waking: int, expected: str) -> None:
    result = sleep.screen(hours=None, quality=None, waking_unrefreshed=waking)
    assert result is not None
    assert result.result == expected
    assert result.reasons[0].endswith(f"({waking} of 3)")


def test_likely_lists_problem_findings_only() -> None:
    result = sleep.screen(hours=5.5, quality="fair", waking_unrefreshed=1)
    assert result == sleep.SleepResult(
        result="likely_problem",
        reasons=("sleeps 5.5 hours a night", "rates sleep as fair"),
    )


def test_worst_finding_wins() -> None:
    result = sleep.screen(hours=8.0, quality="good", waking_unrefreshed=3)
    assert result is not None
    assert result.result == "likely_problem"
    assert result.reasons == ("wakes unrefreshed: severe (3 of 3)",)


def test_no_problem_lists_what_was_checked() -> None:
    result = sleep.screen(hours=7.0, quality="good", waking_unrefreshed=0)
    assert result == sleep.SleepResult(
        result="no_problem",
        reasons=(
            "sleeps 7 hours a night",
            "rates sleep as good",
            "wakes unrefreshed: not at all (0 of 3)",
        ),
    )


def test_one_hour_is_singular() -> None:
    result = sleep.screen(hours=1, quality=None, waking_unrefreshed=None)
    assert result is not None
    assert result.reasons == ("sleeps 1 hour a night",)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"hours": -0.5}, "0-24"),
        ({"hours": 24.5}, "0-24"),
        ({"hours": float("nan")}, "0-24"),
        ({"quality": "Poor"}, "quality"),
        ({"quality": "bad"}, "quality"),
        ({"waking_unrefreshed": 4}, "0-3"),
        ({"waking_unrefreshed": True}, "0-3"),
    ],
)
def test_rejects_invalid(kwargs: dict[str, object], message: str) -> None:
    args: dict[str, object] = {"hours": None, "quality": None, "waking_unrefreshed": None}
    args.update(kwargs)
    with pytest.raises(ValueError, match=message):
        sleep.screen(**args)  # type: ignore[arg-type]
