"""The intake of the shared contract as strict pydantic models.

Why strict: pydantic's lax mode turns ``"12"`` into 12, ``True`` into 1, ``nan``
into a float and ``0`` into 1970-01-01. In a clinical form each of those is a
silent lie, so every field is strict, unknown fields are refused, text is NFC
normalised and control or bidi-override characters are rejected.

A field that is absent (``None``) was *not asked*; it never means "no".
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from datetime import date, datetime
from typing import Annotated, Any, Final, Literal, get_args

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    ValidationInfo,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

EARLIEST_DATE: Final = date(1900, 1, 1)
NOTE_MAX_CHARS: Final = 10_000
LIST_MAX_ITEMS: Final = 50

Sex = Literal["female", "male", "other", "unknown"]
Onset = Literal["gradual", "sudden"]
Pattern = Literal["constant", "intermittent", "flares"]
Character = Literal[
    "aching", "tightness", "sharp", "burning", "tender_spots", "stiffness", "weakness", "cramping"
]
Trigger = Literal[
    "exercise",
    "repetitive_work",
    "prolonged_sitting",
    "prolonged_standing",
    "lifting",
    "stress",
    "cold",
    "none_identified",
]
Condition = Literal[
    "hypertension",
    "diabetes",
    "hypothyroidism",
    "chronic_kidney_disease",
    "liver_disease",
    "heart_failure",
    "cardiovascular_disease",
    "peptic_ulcer_or_gi_bleed",
    "rheumatoid_arthritis",
    "lupus",
    "other_inflammatory_disease",
    "osteoporosis",
    "depression",
    "anxiety",
    "sleep_apnoea",
    "hiv",
    "asthma",
]
Area = Literal[
    "jaw_left",
    "jaw_right",
    "shoulder_left",
    "shoulder_right",
    "upper_arm_left",
    "upper_arm_right",
    "lower_arm_left",
    "lower_arm_right",
    "hip_left",
    "hip_right",
    "upper_leg_left",
    "upper_leg_right",
    "lower_leg_left",
    "lower_leg_right",
    "neck",
    "upper_back",
    "lower_back",
    "chest",
    "abdomen",
]
SleepQuality = Literal["good", "fair", "poor"]

SEXES: Final[tuple[str, ...]] = get_args(Sex)
ONSETS: Final[tuple[str, ...]] = get_args(Onset)
PATTERNS: Final[tuple[str, ...]] = get_args(Pattern)
CHARACTERS: Final[tuple[str, ...]] = get_args(Character)
TRIGGERS: Final[tuple[str, ...]] = get_args(Trigger)
CONDITIONS: Final[tuple[str, ...]] = get_args(Condition)
AREAS: Final[tuple[str, ...]] = get_args(Area)
SLEEP_QUALITIES: Final[tuple[str, ...]] = get_args(SleepQuality)

# C0/C1 controls, zero-width space, bidi embeddings/overrides/isolates, BOM,
# interlinear annotation marks. ZWJ/ZWNJ stay: scripts and emoji need them.
_FORBIDDEN = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200b\u202a-\u202e\u2066-\u2069\ufeff\ufff9-\ufffb"
    "\ud800-\udfff]"
)
_LINE_BREAKS = re.compile("[\t\n\r\u2028\u2029\x85]")


def _clean_text(value: Any, *, multiline: bool) -> Any:
    """NFC-normalise and refuse invisible control characters before length checks."""
    if not isinstance(value, str):
        return value
    text = unicodedata.normalize("NFC", value)
    if multiline:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    elif _LINE_BREAKS.search(text):
        raise PydanticCustomError("line_break", "must be a single line")
    bad = _FORBIDDEN.search(text)
    if bad:
        raise PydanticCustomError(
            "control_character",
            "contains an invisible or control character (U+{code}); remove it",
            {"code": f"{ord(bad.group()):04X}"},
        )
    return text


def _single_line(value: Any) -> Any:
    return _clean_text(value, multiline=False)


def _multi_line(value: Any) -> Any:
    return _clean_text(value, multiline=True)


def _parse_date(value: Any) -> Any:
    """Accept a ``date`` or an ISO ``YYYY-MM-DD`` string, nothing else (no epoch ints)."""
    if isinstance(value, datetime):
        raise PydanticCustomError("date_type", "must be a date written YYYY-MM-DD")
    if isinstance(value, date):
        return value
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip()):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            raise PydanticCustomError(
                "date_invalid", "is not a real calendar date ({value})", {"value": value.strip()}
            ) from None
    raise PydanticCustomError("date_type", "must be a date written YYYY-MM-DD")


def _not_before_1900(value: date) -> date:
    if value < EARLIEST_DATE:
        raise PydanticCustomError("date_too_early", "must not be before 1900-01-01")
    return value


def _unique(values: Sequence[Any]) -> Sequence[Any]:
    seen: set[Any] = set()
    for item in values:
        if item in seen:
            raise PydanticCustomError("duplicate", "lists {item} more than once", {"item": item})
        seen.add(item)
    return values


def _between(low: float, high: float) -> AfterValidator:
    def check(value: float) -> float:
        if not low <= value <= high:
            raise PydanticCustomError(
                "range",
                "must be between {low} and {high}",
                {"low": _fmt(low), "high": _fmt(high)},
            )
        return value

    return AfterValidator(check)


def _fmt(number: float) -> str:
    return str(int(number)) if float(number).is_integer() else str(number)


IsoDate = Annotated[date, BeforeValidator(_parse_date), AfterValidator(_not_before_1900)]
Line = Annotated[
    str, BeforeValidator(_single_line), StringConstraints(min_length=1, max_length=200)
]
ShortLine = Annotated[
    str, BeforeValidator(_single_line), StringConstraints(min_length=1, max_length=100)
]
Note = Annotated[
    str, BeforeValidator(_multi_line), StringConstraints(min_length=1, max_length=NOTE_MAX_CHARS)
]
Rating10 = Annotated[int, _between(0, 10)]
Item3 = Annotated[int, _between(0, 3)]
Hours = Annotated[float, _between(0, 24)]


_MAX_ITEMS = Field(max_length=LIST_MAX_ITEMS)
_NO_REPEATS = AfterValidator(_unique)
CharacterList = Annotated[list[Character], _MAX_ITEMS, _NO_REPEATS]
TriggerList = Annotated[list[Trigger], _MAX_ITEMS, _NO_REPEATS]
ConditionList = Annotated[list[Condition], _MAX_ITEMS, _NO_REPEATS]
AreaList = Annotated[list[Area], _MAX_ITEMS, _NO_REPEATS]


class StrictModel(BaseModel):
    """Common configuration: strict types, no unknown fields, immutable."""

    model_config = ConfigDict(
        strict=True,
        extra="forbid",
        allow_inf_nan=False,
        str_strip_whitespace=True,
        frozen=True,
    )


class Patient(StrictModel):
    name: Line
    date_of_birth: IsoDate
    sex: Sex | None = None
    mrn: Annotated[str, BeforeValidator(_single_line), StringConstraints(
        min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9 ./_-]*$"
    )] | None = None
    preferred_language: Annotated[
        str, StringConstraints(pattern=r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$")
    ] = "en"

    @model_validator(mode="after")
    def _born_in_the_past(self, info: ValidationInfo) -> Patient:
        today = _context_today(info)
        if today is not None and self.date_of_birth > today:
            raise _field_error(("date_of_birth",), "must not be in the future", self.date_of_birth)
        return self


class Visit(StrictModel):
    date: IsoDate
    clinician: Line | None = None
    reason: Annotated[
        str, BeforeValidator(_multi_line), StringConstraints(min_length=1, max_length=1000)
    ] | None = None


class Peg(StrictModel):
    pain: Rating10 | None = None
    enjoyment: Rating10 | None = None
    activity: Rating10 | None = None


class Medication(StrictModel):
    name: Line
    dose: ShortLine | None = None
    started: IsoDate | None = None


class History(StrictModel):
    onset: Onset | None = None
    duration_weeks: Annotated[int, _between(0, 5200)] | None = None
    pattern: Pattern | None = None
    pain_now: Rating10 | None = None
    pain_worst_week: Rating10 | None = None
    peg: Peg = Field(default_factory=Peg)
    character: CharacterList | None = None
    triggers: TriggerList | None = None
    recent_unaccustomed_exertion: bool | None = None
    morning_stiffness_minutes: Annotated[int, _between(0, 1440)] | None = None
    conditions: ConditionList | None = None
    medications: Annotated[list[Medication], Field(max_length=LIST_MAX_ITEMS)] | None = None
    allergies: Annotated[list[Line], Field(max_length=LIST_MAX_ITEMS)] | None = None
    prior_treatments: Annotated[list[Line], Field(max_length=LIST_MAX_ITEMS)] | None = None
    notes: Note | None = None

    @model_validator(mode="after")
    def _triggers_consistent(self) -> History:
        triggers = self.triggers or []
        if "none_identified" in triggers and len(triggers) > 1:
            raise _field_error(
                ("triggers",), "'none_identified' cannot be combined with other triggers", triggers
            )
        return self


class SymptomSeverity(StrictModel):
    fatigue: Item3 | None = None
    waking_unrefreshed: Item3 | None = None
    cognitive_symptoms: Item3 | None = None
    headaches: bool | None = None
    lower_abdominal_pain: bool | None = None
    depression: bool | None = None


class Phq4(StrictModel):
    anxious: Item3 | None = None
    worry: Item3 | None = None
    little_interest: Item3 | None = None
    down: Item3 | None = None


class RiskFactors(StrictModel):
    sedentary: bool | None = None
    desk_hours_per_day: Hours | None = None
    repetitive_tasks: bool | None = None
    poor_posture: bool | None = None
    physical_labour: bool | None = None
    stress_level: Rating10 | None = None
    phq4: Phq4 = Field(default_factory=Phq4)
    sleep_hours: Hours | None = None
    sleep_quality: SleepQuality | None = None
    water_glasses_per_day: Annotated[int, _between(0, 50)] | None = None
    protein_each_meal: bool | None = None
    smoker: bool | None = None
    alcohol_units_per_week: Annotated[float, _between(0, 300)] | None = None
    pregnant: bool | None = None
    pregnancy_weeks: Annotated[int, _between(0, 45)] | None = None

    @model_validator(mode="after")
    def _weeks_only_when_pregnant(self) -> RiskFactors:
        if self.pregnancy_weeks is not None and self.pregnant is not True:
            raise _field_error(
                ("pregnancy_weeks",),
                "is only recorded when 'pregnant' is true",
                self.pregnancy_weeks,
            )
        return self


class RedFlags(StrictModel):
    dark_urine: bool | None = None
    severe_weakness: bool | None = None
    fever_or_chills: bool | None = None
    unexplained_weight_loss: bool | None = None
    night_pain: bool | None = None
    history_of_cancer: bool | None = None
    new_headache_jaw_pain_or_vision_change: bool | None = None
    one_sided_calf_swelling: bool | None = None
    numbness_or_bladder_bowel_change: bool | None = None
    proximal_weakness_rising_or_climbing: bool | None = None
    rash: bool | None = None
    pain_out_of_proportion_or_tense_swelling: bool | None = None
    chest_pain_or_breathlessness: bool | None = None
    thoughts_of_self_harm: bool | None = None


RED_FLAGS: Final[tuple[str, ...]] = tuple(RedFlags.model_fields)


class Intake(StrictModel):
    """One clinician intake. Only patient name, date of birth and visit date are required."""

    patient: Patient
    visit: Visit
    history: History = Field(default_factory=History)
    affected_areas: AreaList | None = None
    symptom_severity: SymptomSeverity = Field(default_factory=SymptomSeverity)
    risk_factors: RiskFactors = Field(default_factory=RiskFactors)
    red_flags: RedFlags = Field(default_factory=RedFlags)

    @model_validator(mode="after")
    def _dates_in_order(self, info: ValidationInfo) -> Intake:
        born, seen = self.patient.date_of_birth, self.visit.date
        errors: list[InitErrorDetails] = []
        if seen < born:
            errors.append(
                _detail(
                    ("patient", "date_of_birth"),
                    f"must not be after the visit date ({seen.isoformat()})",
                    born,
                )
            )
        today = _context_today(info)
        if today is not None and seen > today:
            errors.append(_detail(("visit", "date"), "must not be in the future", seen))
        for index, med in enumerate(self.history.medications or []):
            if med.started is not None and med.started > seen:
                errors.append(
                    _detail(
                        ("history", "medications", index, "started"),
                        "must not be after the visit date",
                        med.started,
                    )
                )
            elif med.started is not None and med.started < born:
                errors.append(
                    _detail(
                        ("history", "medications", index, "started"),
                        "must not be before the date of birth",
                        med.started,
                    )
                )
        if errors:
            raise ValidationError.from_exception_data("Intake", errors)
        return self

    @property
    def age(self) -> int:
        """Age in whole years on the visit date (29 February birthdays age on 1 March)."""
        born, seen = self.patient.date_of_birth, self.visit.date
        return seen.year - born.year - ((seen.month, seen.day) < (born.month, born.day))


def _context_today(info: ValidationInfo) -> date | None:
    context = info.context
    if isinstance(context, dict):
        today = context.get("today")
        if isinstance(today, date):
            return today
    return None


def _detail(loc: tuple[str | int, ...], message: str, value: object) -> InitErrorDetails:
    return InitErrorDetails(
        type=PydanticCustomError("consistency", message), loc=loc, input=str(value)
    )


def _field_error(loc: tuple[str | int, ...], message: str, value: object) -> ValidationError:
    return ValidationError.from_exception_data("Intake", [_detail(loc, message, value)])
