"""The intake of the shared contract as strict pydantic models.

Why strict: pydantic's lax mode turns ``"12"`` into 12, ``True`` into 1, ``nan``
into a float and ``0`` into 1970-01-01. In a clinical form each of those is a
silent lie, so every field is strict, unknown fields are refused, text is NFC
normalised and control or bidi-override characters are rejected.

A field that is absent (``None``) was *not asked*; it never means "no".
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated, Any, Final, Literal, get_args

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    GetCoreSchemaHandler,
    ModelWrapValidatorHandler,
    PrivateAttr,
    StringConstraints,
    ValidationError,
    ValidationInfo,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError, core_schema

# Re-exported (``model.AREAS`` etc. read on): the words themselves live in
# careplan.intake.vocabulary.
from careplan.intake.vocabulary import AREAS as AREAS
from careplan.intake.vocabulary import RED_FLAG_LABELS as RED_FLAG_LABELS
from careplan.intake.vocabulary import Area as Area
from careplan.text import hidden_character, nfc, refusal

EARLIEST_DATE: Final = date(1900, 1, 1)
NOTE_MAX_CHARS: Final = 10_000
LIST_MAX_ITEMS: Final = 50

Sex = Literal["female", "male", "other", "unknown"]
# The handout's languages (BCP 47 tags): the Patients and Intake pages offer these.
Language = Literal["en", "es"]
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
SleepQuality = Literal["good", "fair", "poor"]

SEXES: Final[tuple[str, ...]] = get_args(Sex)
LANGUAGES: Final[tuple[str, ...]] = get_args(Language)
ONSETS: Final[tuple[str, ...]] = get_args(Onset)
PATTERNS: Final[tuple[str, ...]] = get_args(Pattern)
CHARACTERS: Final[tuple[str, ...]] = get_args(Character)
TRIGGERS: Final[tuple[str, ...]] = get_args(Trigger)
CONDITIONS: Final[tuple[str, ...]] = get_args(Condition)
SLEEP_QUALITIES: Final[tuple[str, ...]] = get_args(SleepQuality)

# Alcohol: a UK unit is 8 g of ethanol, a US standard drink 14 g. Both may be
# typed as whole numbers, so they agree when within half a drink plus half a unit.
GRAMS_PER_UNIT: Final = 8
GRAMS_PER_DRINK: Final = 14
ALCOHOL_ROUNDING_UNITS: Final = 0.5 * GRAMS_PER_DRINK / GRAMS_PER_UNIT + 0.5


def drinks_to_units(drinks: float) -> float:
    """US standard drinks as UK units, to one decimal."""
    return round(drinks * GRAMS_PER_DRINK / GRAMS_PER_UNIT, 1)


def units_to_drinks(units: float) -> float:
    """UK units as US standard drinks, to one decimal."""
    return round(units * GRAMS_PER_UNIT / GRAMS_PER_DRINK, 1)


# The first version's single numbness question, split into saddle (cauda equina) and limb.
LEGACY_NUMBNESS: Final = "numbness_or_bladder_bowel_change"
SADDLE_NUMBNESS: Final = "saddle_numbness_or_bladder_bowel_change"
LIMB_NUMBNESS: Final = "limb_numbness_or_tingling"
_LEGACY_READ: Final = (
    f"red_flags.{LEGACY_NUMBNESS} (old form) was read as saddle numbness or bladder/bowel "
    "change, the safer reading"
)


def fold_legacy_numbness(flags: dict[str, Any]) -> tuple[dict[str, Any], str | None]:
    """Rewrite old-form red flags to the new fields; return them and how they were read.

    The old question asked about any numbness or a bladder or bowel change, so:
    - its answer becomes ``saddle_numbness_or_bladder_bowel_change`` (the emergency,
      the safer reading); when the new field is also given the two are combined with
      OR, so a "yes" in either one stands (never silently cleared);
    - its "no" also answers ``limb_numbness_or_tingling`` when that was not given
      (the patient denied any numbness); its "yes" leaves the limb question unasked.
    A value that is not true, false or null is left in place for validation to name.
    """
    if LEGACY_NUMBNESS not in flags:
        return flags, None
    old = flags[LEGACY_NUMBNESS]
    if old is not None and not isinstance(old, bool):
        return flags, None
    out = {k: v for k, v in flags.items() if k != LEGACY_NUMBNESS}
    if old is None:
        return out, None
    note = _LEGACY_READ
    saddle = out.get(SADDLE_NUMBNESS)
    if saddle is None:
        out[SADDLE_NUMBNESS] = old
    elif isinstance(saddle, bool):
        out[SADDLE_NUMBNESS] = saddle or old
        if saddle != old:
            note += f"; combined with {SADDLE_NUMBNESS} ({str(saddle).lower()}), yes wins"
    if out.get(LIMB_NUMBNESS) is None:
        if old:
            note += "; limb numbness or tingling was not asked separately"
        else:
            out[LIMB_NUMBNESS] = False
            note += "; its 'no' also stands for no limb numbness or tingling"
    return out, note


def upgrade_legacy_fields(data: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of raw intake data (e.g. a stored draft) with old-form fields in the new form."""
    out = dict(data)
    flags = out.get("red_flags")
    if isinstance(flags, dict):
        out["red_flags"], _ = fold_legacy_numbness(flags)
    return out

_LINE_BREAKS = re.compile("[\t\n\r\u2028\u2029\x85]")


def _clean_text(value: Any, *, multiline: bool) -> Any:
    """NFC-normalise and refuse invisible control characters before length checks
    (``careplan.text``: the same characters, and the same words, everywhere)."""
    if not isinstance(value, str):
        return value
    text = nfc(value)
    if multiline:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    elif _LINE_BREAKS.search(text):
        raise PydanticCustomError("line_break", "must be a single line")
    bad = hidden_character(text, lines=True)
    if bad is not None:
        raise PydanticCustomError("control_character", refusal(bad))
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


@dataclass(frozen=True, slots=True)
class Between:
    """Annotated metadata: the number must lie in [low, high], said in clinicians' words.

    A marker rather than pydantic's ``ge``/``le`` because the message must be the
    contract's ("must be between 0 and 10"), and one marker rather than a bare validator
    so the form registry (careplan.intake.form) can read the bounds from the model.
    """

    low: float
    high: float

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        return core_schema.no_info_after_validator_function(self._check, handler(source))

    def _check(self, value: float) -> float:
        if not self.low <= value <= self.high:
            raise PydanticCustomError(
                "range",
                "must be between {low} and {high}",
                {"low": _fmt(self.low), "high": _fmt(self.high)},
            )
        return value


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
Rating10 = Annotated[int, Between(0, 10)]
Item3 = Annotated[int, Between(0, 3)]
Hours = Annotated[float, Between(0, 24)]


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
    # Any BCP 47 tag, as the contract says (es-MX, pt-BR): a patient may prefer a language
    # there is no handout in (the handout is then English, and the command says so). The
    # pages offer the handout's languages (LANGUAGES, the form registry's choice).
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
    duration_weeks: Annotated[int, Between(0, 5200)] | None = None
    pattern: Pattern | None = None
    pain_now: Rating10 | None = None
    pain_worst_week: Rating10 | None = None
    peg: Peg = Field(default_factory=Peg)
    character: CharacterList | None = None
    triggers: TriggerList | None = None
    recent_unaccustomed_exertion: bool | None = None
    morning_stiffness_minutes: Annotated[int, Between(0, 1440)] | None = None
    conditions: ConditionList | None = None
    medications: Annotated[list[Medication], Field(max_length=LIST_MAX_ITEMS)] | None = None
    grapefruit: bool | None = None  # grapefruit or its juice regularly (CYP3A4 food interaction)
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
    water_glasses_per_day: Annotated[int, Between(0, 50)] | None = None
    protein_each_meal: bool | None = None
    smoker: bool | None = None
    alcohol_units_per_week: Annotated[float, Between(0, 300)] | None = None  # UK units, 8 g
    alcohol_drinks_per_week: Annotated[float, Between(0, 300)] | None = None  # US drinks, 14 g
    pregnant: bool | None = None
    pregnancy_weeks: Annotated[int, Between(0, 45)] | None = None

    @model_validator(mode="after")
    def _alcohol_units_and_drinks_agree(self) -> RiskFactors:
        units, drinks = self.alcohol_units_per_week, self.alcohol_drinks_per_week
        if units is None or drinks is None:
            return self
        if abs(units - drinks_to_units(drinks)) > ALCOHOL_ROUNDING_UNITS:
            raise _field_error(
                ("alcohol_drinks_per_week",),
                f"{_fmt(drinks)} drinks a week is about {_fmt(drinks_to_units(drinks))} units, "
                f"but alcohol_units_per_week says {_fmt(units)}; give one of them, or two that "
                "agree",
                drinks,
            )
        return self

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
    """The red-flag checklist. The old ``numbness_or_bladder_bowel_change`` is still read.

    It is read the safer way (see ``fold_legacy_numbness``) and the reading is
    kept in ``notes`` so the plan can tell the clinician; it is never dumped.
    """

    dark_urine: bool | None = None
    severe_weakness: bool | None = None
    fever_or_chills: bool | None = None
    unexplained_weight_loss: bool | None = None
    night_pain: bool | None = None
    history_of_cancer: bool | None = None
    new_headache_jaw_pain_or_vision_change: bool | None = None
    one_sided_calf_swelling: bool | None = None
    saddle_numbness_or_bladder_bowel_change: bool | None = None  # cauda equina: emergency
    limb_numbness_or_tingling: bool | None = None  # not an emergency on its own
    proximal_weakness_rising_or_climbing: bool | None = None
    rash: bool | None = None
    pain_out_of_proportion_or_tense_swelling: bool | None = None
    chest_pain_or_breathlessness: bool | None = None
    thoughts_of_self_harm: bool | None = None

    _notes: tuple[str, ...] = PrivateAttr(default=())

    @model_validator(mode="wrap")
    @classmethod
    def _read_legacy_numbness(
        cls, data: Any, handler: ModelWrapValidatorHandler[RedFlags]
    ) -> RedFlags:
        note = None
        if isinstance(data, dict) and LEGACY_NUMBNESS in data:
            old = data[LEGACY_NUMBNESS]
            if old is not None and not isinstance(old, bool):
                raise ValidationError.from_exception_data("RedFlags", [InitErrorDetails(
                    type=PydanticCustomError("bool_type", "must be true or false"),
                    loc=(LEGACY_NUMBNESS,), input=old,
                )])
            data, note = fold_legacy_numbness(data)
        flags = handler(data)
        if note is not None:
            flags._notes = (note,)
        return flags

    @property
    def notes(self) -> tuple[str, ...]:
        """How old-form answers were read (empty for an intake in the current form)."""
        return self._notes


RED_FLAGS: Final[tuple[str, ...]] = tuple(RedFlags.model_fields)
# The questions are worded in careplan.intake.vocabulary; a new red flag needs its question there.
if tuple(RED_FLAG_LABELS) != RED_FLAGS:
    raise RuntimeError(f"red-flag labels do not match: {set(RED_FLAG_LABELS) ^ set(RED_FLAGS)}")


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
    def legacy_notes(self) -> tuple[str, ...]:
        """Old-form fields this intake carried and how each was read, for the clinician."""
        return self.red_flags.notes

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
