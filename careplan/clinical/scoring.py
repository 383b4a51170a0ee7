"""Score every instrument the intake allows, and say which screens were not done.

Why here and not in the engine: the pages show live scores while the clinician
types, before any plan exists, so scoring must stand on its own. A score whose
items are not all answered is ``None`` (not asked), never a partial guess.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from careplan.clinical.instruments import fibromyalgia, pain, peg, phq4, sams, sleep, sss, wpi
from careplan.clinical.medications import MedicationReview
from careplan.clinical.plan import ScoreDetail
from careplan.intake.model import RED_FLAGS, Intake


@dataclass(frozen=True, slots=True)
class Scores:
    """Every instrument result; ``None`` where the intake did not ask enough."""

    pain_now: int | None
    pain_band: pain.PainBand | None
    peg: peg.PegResult | None
    wpi: wpi.WpiResult | None
    sss: sss.SssResult | None
    fibromyalgia: fibromyalgia.FibroResult | None
    phq4: phq4.Phq4Result | None
    gad2: int | None
    phq2: int | None
    sleep: sleep.SleepResult | None
    sams: sams.SamsResult | None
    statin_name: str | None


def compute_scores(*, intake: Intake, medications: MedicationReview) -> Scores:
    """All instrument scores for one intake (pure)."""
    history, severity, risks = intake.history, intake.symptom_severity, intake.risk_factors
    items = intake.risk_factors.phq4
    peg_result = None
    if None not in (history.peg.pain, history.peg.enjoyment, history.peg.activity):
        peg_result = peg.score(
            pain=history.peg.pain or 0,
            enjoyment=history.peg.enjoyment or 0,
            activity=history.peg.activity or 0,
        )
    wpi_result = None if intake.affected_areas is None else wpi.score(intake.affected_areas)
    sss_result = None
    if (
        severity.fatigue is not None
        and severity.waking_unrefreshed is not None
        and severity.cognitive_symptoms is not None
        and severity.headaches is not None
        and severity.lower_abdominal_pain is not None
        and severity.depression is not None
    ):
        sss_result = sss.score(
            fatigue=severity.fatigue,
            waking_unrefreshed=severity.waking_unrefreshed,
            cognitive_symptoms=severity.cognitive_symptoms,
            headaches=severity.headaches,
            lower_abdominal_pain=severity.lower_abdominal_pain,
            depression=severity.depression,
        )
    fibro = None
    if wpi_result and sss_result and history.duration_weeks is not None:
        fibro = fibromyalgia.assess(
            wpi=wpi_result.score,
            sss=sss_result.score,
            generalized=wpi_result.generalized,
            duration_weeks=history.duration_weeks,
        )
    gad2 = phq2 = None
    if items.anxious is not None and items.worry is not None:
        gad2 = phq4.gad2(anxious=items.anxious, worry=items.worry)
    if items.little_interest is not None and items.down is not None:
        phq2 = phq4.phq2(little_interest=items.little_interest, down=items.down)
    phq4_result = None
    if gad2 is not None and phq2 is not None:
        phq4_result = phq4.score(
            anxious=items.anxious or 0,
            worry=items.worry or 0,
            little_interest=items.little_interest or 0,
            down=items.down or 0,
        )
    # The SSS "waking unrefreshed" item alone is not a sleep screen: hours or quality must be asked.
    statin = _latest_statin(intake=intake, medications=medications)
    sams_result = None
    if statin is not None and intake.affected_areas:
        sams_result = sams.partial_index(
            areas=intake.affected_areas,
            statin_started=statin[1],
            visit_date=intake.visit.date,
            duration_weeks=history.duration_weeks,
        )
    return Scores(
        pain_now=history.pain_now,
        pain_band=None if history.pain_now is None else pain.band(history.pain_now),
        peg=peg_result,
        wpi=wpi_result,
        sss=sss_result,
        fibromyalgia=fibro,
        phq4=phq4_result,
        gad2=gad2,
        phq2=phq2,
        sleep=None
        if risks.sleep_hours is None and risks.sleep_quality is None
        else sleep.screen(
            hours=risks.sleep_hours,
            quality=risks.sleep_quality,
            waking_unrefreshed=severity.waking_unrefreshed,
        ),
        sams=sams_result,
        statin_name=None if statin is None else statin[0],
    )


def _latest_statin(*, intake: Intake, medications: MedicationReview) -> tuple[str, date] | None:
    """The most recently started statin with a start date: the one a new symptom follows."""
    started = {m.name: m.started for m in intake.history.medications or [] if m.started}
    dated = [
        (match.entered, started[match.entered])
        for match in medications.recognised
        if "statin" in match.classes and match.entered in started
    ]
    return max(dated, key=lambda pair: pair[1]) if dated else None


def flat_scores(scores: Scores) -> dict[str, float | int | bool | str | None]:
    """The plan's ``scores`` object: numbers a chart or a FHIR Observation can take."""
    return {
        "pain_now": scores.pain_now,
        "peg": None if scores.peg is None else scores.peg.score,
        "wpi": None if scores.wpi is None else scores.wpi.score,
        "generalized_pain": None if scores.wpi is None else scores.wpi.generalized,
        "sss": None if scores.sss is None else scores.sss.score,
        "fibromyalgia_criteria_met": None
        if scores.fibromyalgia is None
        else scores.fibromyalgia.met,
        "phq4": None if scores.phq4 is None else scores.phq4.total,
        "gad2": scores.gad2,
        "phq2": scores.phq2,
        "sleep_screen": None if scores.sleep is None else scores.sleep.result,
        "sams_ci_partial": None if scores.sams is None or not scores.sams.applicable
        else scores.sams.partial,
    }


def score_details(scores: Scores) -> tuple[ScoreDetail, ...]:
    """Each score with band, a one-line reading and its source, for the clinician."""
    rows: list[ScoreDetail] = []
    if scores.pain_now is not None:
        rows.append(ScoreDetail(id="pain_now", name="Pain now (0-10)", value=scores.pain_now,
                                band=scores.pain_band, note="numeric rating scale",
                                source=pain.SOURCE))
    if scores.peg is not None:
        rows.append(ScoreDetail(id="peg", name=peg.NAME, value=scores.peg.score,
                                band=scores.peg.band,
                                note="mean of pain, enjoyment and activity items; track it",
                                source=peg.SOURCE))
    if scores.wpi is not None:
        regions = ", ".join(scores.wpi.regions) or "none"
        rows.append(ScoreDetail(id="wpi", name=wpi.NAME, value=scores.wpi.score,
                                band="generalised" if scores.wpi.generalized else "not generalised",
                                note=f"regions: {regions}", source=wpi.SOURCE))
    if scores.sss is not None:
        rows.append(ScoreDetail(id="sss", name=sss.NAME, value=scores.sss.score, band=None,
                                note="0-12", source=sss.SOURCE))
    if scores.fibromyalgia is not None:
        rows.append(ScoreDetail(id="fibromyalgia", name=fibromyalgia.NAME,
                                value="met" if scores.fibromyalgia.met else "not met",
                                band=None, note="; ".join(scores.fibromyalgia.reasons),
                                source=fibromyalgia.SOURCE))
    if scores.phq4 is not None:
        rows.append(ScoreDetail(id="phq4", name=phq4.NAME, value=scores.phq4.total,
                                band=scores.phq4.band,
                                note=f"GAD-2 {scores.phq4.gad2}, PHQ-2 {scores.phq4.phq2}; "
                                     f"each positive at {phq4.POSITIVE_AT} or more",
                                source=phq4.SOURCE))
    else:
        for sub, value in (("GAD-2", scores.gad2), ("PHQ-2", scores.phq2)):
            if value is not None:
                rows.append(ScoreDetail(id=sub.lower().replace("-", ""), name=sub, value=value,
                                        band="positive" if value >= phq4.POSITIVE_AT
                                        else "negative",
                                        note="partial PHQ-4", source=phq4.SOURCE))
    if scores.sleep is not None:
        rows.append(ScoreDetail(id="sleep", name=sleep.NAME, value=scores.sleep.result,
                                band=None, note="; ".join(scores.sleep.reasons),
                                source=sleep.SOURCE))
    if scores.sams is not None:
        rows.append(ScoreDetail(id="sams_ci", name=sams.NAME,
                                value=scores.sams.partial if scores.sams.applicable else None,
                                band=None, note=f"{scores.statin_name}: {scores.sams.note}",
                                source=sams.SOURCE))
    return tuple(rows)


def red_flags_not_asked(intake: Intake) -> tuple[str, ...]:
    """The red-flag questions without an answer: a plan is not signed while any is open
    (a serious cause cannot be ruled out by questions nobody asked)."""
    return tuple(name for name in RED_FLAGS if getattr(intake.red_flags, name) is None)


def screens_not_done(intake: Intake) -> tuple[str, ...]:
    """Screens the intake left unasked, so the plan can say so instead of assuming 'no'."""
    history, severity, risks, flags = (
        intake.history, intake.symptom_severity, intake.risk_factors, intake.red_flags
    )
    missing: list[str] = []
    if history.pain_now is None:
        missing.append("pain rating (0-10)")
    if None in (history.peg.pain, history.peg.enjoyment, history.peg.activity):
        missing.append("PEG-3 (pain, enjoyment, activity)")
    if history.duration_weeks is None:
        missing.append("how long the pain has lasted")
    if intake.affected_areas is None:
        missing.append("body map (Widespread Pain Index)")
    if None in (severity.fatigue, severity.waking_unrefreshed, severity.cognitive_symptoms,
                severity.headaches, severity.lower_abdominal_pain, severity.depression):
        missing.append("Symptom Severity Scale")
    phq = risks.phq4
    if None in (phq.anxious, phq.worry, phq.little_interest, phq.down):
        missing.append("PHQ-4 (anxiety and mood)")
    if flags.thoughts_of_self_harm is None:
        missing.append("self-harm safety question")
    if risks.sleep_hours is None and risks.sleep_quality is None:
        missing.append("sleep screen")
    if risks.stress_level is None:
        missing.append("stress level")
    unasked = [name for name in RED_FLAGS if getattr(flags, name) is None]
    if unasked and unasked != ["thoughts_of_self_harm"]:
        count = len([n for n in unasked if n != "thoughts_of_self_harm"])
        missing.append(f"red-flag checklist ({count} of {len(RED_FLAGS) - 1} items not asked)")
    if history.medications is None:
        missing.append("medication list")
    return tuple(missing)
