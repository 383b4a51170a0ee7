"""What the printed plan says, as plain data: the patient handout and the clinician summary.

Why separate from the PDF: what a patient reads (words, order, reading level)
is decided here, purely and testably; ``pdf.py`` only lays it out. Texts are
plain strings: escaping for reportlab happens in ``pdf.py``, at output.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Final, Literal

from careplan.bodymap import LABELS
from careplan.engine import default_rule_base
from careplan.plan import Alert, CarePlan, Domain, MedicationLine, Recommendation
from careplan.review import Review, shown_alerts, shown_recommendations, status_of
from careplan.rules.topics import Speaks, Voice, resolve

Audience = Literal["patient", "clinician"]
Tone = Literal["body", "lead", "small", "muted", "strong"]


@dataclass(frozen=True, slots=True)
class Clinic:
    """Who the patient calls. Configured per deployment; 555-01xx numbers are fictional."""

    name: str = "Inomyalgia Care Clinic"
    phone: str = "555-0100"
    hours: str = "Monday to Friday, 8 am to 6 pm"


@dataclass(frozen=True, slots=True)
class Heading:
    text: str
    level: int = 1


@dataclass(frozen=True, slots=True)
class Paragraph:
    text: str
    tone: Tone = "body"


@dataclass(frozen=True, slots=True)
class Bullets:
    items: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Checklist:
    """Actions with an empty tick box each: what, how much, how often."""

    items: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class HelpBox:
    """The 'Get help now' box: the patient's own warnings first, then the standing list."""

    title: str
    own_warnings: tuple[str, ...]
    emergency: tuple[str, ...]
    same_day: tuple[str, ...]
    numbers: str


@dataclass(frozen=True, slots=True)
class KeyMessages:
    items: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class BodyMap:
    """The front and back figure with the painful areas shaded, kept whole on one page."""

    title: str
    selected: tuple[str, ...]
    caption: str


@dataclass(frozen=True, slots=True)
class Table:
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    widths: tuple[float, ...]  # fractions of the text width
    blank_rows: int = 0  # extra empty rows to fill in by hand
    section_rows: tuple[int, ...] = ()  # rows shown as a full-width sub-heading (first cell)


@dataclass(frozen=True, slots=True)
class WriteLines:
    count: int


Block = Heading | Paragraph | Bullets | Checklist | HelpBox | KeyMessages | BodyMap | Table | (
    WriteLines
)


@dataclass(frozen=True, slots=True)
class Document:
    """A whole printable document, ready for layout."""

    audience: Audience
    title: str
    subject: str
    author: str
    lang: str
    blocks: tuple[Block, ...]
    footer: str
    draft: bool
    spoken: tuple[tuple[str, Speaks], ...] = ()  # printed statements with their stances


PATIENT_HEADINGS: Final[dict[Domain, str]] = {
    "rest": "Rest and activity",
    "physical_therapy": "Exercise and physical therapy",
    "medication_review": "Your medicines",
    "sleep": "Sleep",
    "nutrition": "Food, drink and smoking",
    "stress": "Stress and mood",
    "follow_up": "Next steps",
}

CLINICIAN_HEADINGS: Final[dict[Domain, str]] = {
    "rest": "Rest and activity",
    "physical_therapy": "Physical therapy and exercise",
    "medication_review": "Medication review",
    "sleep": "Sleep",
    "nutrition": "Nutrition",
    "stress": "Stress and mental health",
    "follow_up": "Follow-up",
}

NEVER_STOP: Final = "Do not stop a prescribed medicine without asking us first."
HELD_FOR_ALERT: Final = "Some advice is on hold until a doctor checks you. We will add it after."


def _date(value: date) -> str:
    """Long date for patients: 20 November 2026 (no locale, deterministic)."""
    months = ("January", "February", "March", "April", "May", "June", "July", "August",
              "September", "October", "November", "December")
    return f"{value.day} {months[value.month - 1]} {value.year}"


def _weeks(count: int) -> str:
    return f"{count} week" if count == 1 else f"{count} weeks"


def _score(value: float | int | bool | str | None) -> str:
    if isinstance(value, float):
        return f"{value:.1f}"
    return str(value).replace("_", " ")


Said = tuple[str, Speaks]  # a printed statement and the stances it takes


def _fixed_lines(
    plan: CarePlan, alerts: tuple[Alert, ...], recs: tuple[Recommendation, ...]
) -> dict[str, tuple[Said, ...]]:
    """The fixed handout lines that agree with what this handout prints, by place.

    Precedence runs again on the printed items only (after review), so a line
    such as "Moving is safe" or "it passes" never sits beside an item, kept by
    the clinician, that holds exercise or names an emergency.
    """
    rules = default_rule_base()
    items: tuple[Alert | Recommendation, ...] = (*alerts, *recs)
    voices = [Voice(item.id, tuple(sorted(item.speaks.items()))) for item in items]
    allowed = set(resolve(voices, rules.texts, rules.topics).lines)
    emergency = any(a.severity == "emergency" for a in alerts)
    wanted = {
        "KEY-EMERGENCY": emergency,
        "KEY-CHECK-SOON": bool(alerts) and not emergency,
        "KEY-SLEEP-STRESS": any(r.domain in ("sleep", "stress") for r in recs),
        "KEY-KEEP-TAKING": bool(plan.medications),
    }
    values = {"weeks": _weeks(plan.follow_up.review_in_weeks)}
    lines: dict[str, list[Said]] = {}
    for text in rules.texts:
        if text.id in allowed and wanted.get(text.id, True):
            line = text.text.format_map(values) if "{" in text.text else text.text
            lines.setdefault(text.where, []).append((line, text.speaks))
    lines["key"] = lines.get("key", [])[:5]  # 3 to 5 key messages (plain-language guidance)
    return {where: tuple(found) for where, found in lines.items()}


def _say(lines: dict[str, tuple[Said, ...]], where: str) -> tuple[str, ...]:
    return tuple(text for text, _ in lines.get(where, ()))


def patient_handout(
    plan: CarePlan, *, review: Review | None = None, clinic: Clinic | None = None
) -> Document:
    """The take-home plan in plain words: only reviewed items once a review exists."""
    clinic = clinic or Clinic()
    recs = shown_recommendations(plan, review)
    alerts = shown_alerts(plan, review)
    held = bool(plan.withheld)
    lines = _fixed_lines(plan, alerts, recs)
    draft = review is None or not review.signed
    blocks: list[Block] = [
        Table(
            header=(),
            rows=(
                ("For", plan.patient.name),
                ("Date", _date(plan.visit.date)),
                ("Your clinician", plan.visit.clinician or "Your care team"),
                ("Call us", f"{clinic.name}, {clinic.phone} ({clinic.hours})"),
            ),
            widths=(0.25, 0.75),
        ),
        HelpBox(
            title="Get help now if...",
            own_warnings=tuple(a.patient_text for a in alerts),
            emergency=_say(lines, "help_emergency"),
            same_day=_say(lines, "help_same_day"),
            numbers=" ".join(_say(lines, "help_numbers")),
        ),
        Heading("The most important things"),
        KeyMessages(_say(lines, "key")),
    ]
    areas = plan.affected_areas
    if areas:
        blocks += [
            BodyMap(
                title="Where you hurt",
                selected=areas,
                caption=f"You told us you have pain in your {area_labels(areas)}. These areas "
                "are dark in the picture. Left and right mean your left and your right.",
            ),
        ]
    for domain, heading in PATIENT_HEADINGS.items():
        items = tuple(r.patient_text for r in recs if r.domain == domain)
        if domain == "medication_review":
            blocks += _medicines_section(plan, items)
            continue
        if domain == "follow_up":
            blocks += _next_steps(plan, items)
            continue
        if not items:
            continue
        blocks += [Heading(heading), Checklist(items)]
        if held and domain == "physical_therapy":
            blocks.append(Paragraph(HELD_FOR_ALERT, "muted"))
    blocks += [
        Heading("If your pain flares up"),
        Bullets(_say(lines, "flare")),
        Heading("Your questions"),
        Paragraph("Write down what you want to ask at your next visit."),
        WriteLines(4),
    ]
    status = "DRAFT, not yet reviewed by your clinician" if draft else (
        f"Reviewed by {review.signed_by}" if review and review.signed_by else "Reviewed"
    )
    printed: tuple[Alert | Recommendation, ...] = (*alerts, *recs)
    spoken = tuple(
        (item.patient_text, tuple(sorted(item.speaks.items()))) for item in printed
    ) + tuple(said for found in lines.values() for said in found)
    return Document(
        audience="patient",
        title="Your care plan for muscle pain",
        subject=f"Care plan for {plan.patient.name}",
        author=plan.visit.clinician or clinic.name,
        lang=plan.patient.preferred_language,
        blocks=tuple(blocks),
        footer=f"{status} · {plan.patient.name} · Plan of {_date(plan.visit.date)}",
        draft=draft,
        spoken=spoken,
    )


def _medicines_section(plan: CarePlan, items: tuple[str, ...]) -> list[Block]:
    blocks: list[Block] = [Heading(PATIENT_HEADINGS["medication_review"])]
    if plan.medications:
        blocks.append(Paragraph("The medicines you told us you take:"))
        blocks.append(Bullets(tuple(
            " ".join(part for part in (m.entered, m.dose or "") if part) for m in plan.medications
        )))
    if items:
        blocks.append(Checklist(items))
    blocks.append(Paragraph(NEVER_STOP, "strong"))
    blocks.append(Paragraph(
        "Ask us or your pharmacist before you start any new medicine, pain pill or supplement."
    ))
    return blocks


def _next_steps(plan: CarePlan, items: tuple[str, ...]) -> list[Block]:
    weeks = plan.follow_up.review_in_weeks
    when = _date(plan.visit.date + timedelta(weeks=weeks))
    blocks: list[Block] = [
        Heading(PATIENT_HEADINGS["follow_up"]),
        Paragraph(f"Your next visit: in {_weeks(weeks)}, around {when}.", "lead"),
    ]
    if items:
        blocks.append(Checklist(items))
    scores: list[tuple[str, str]] = []
    if plan.scores.get("pain_now") is not None:
        scores.append(("Pain now", f"{_score(plan.scores['pain_now'])} out of 10"))
    if plan.scores.get("peg") is not None:
        scores.append(("How much pain gets in your way", f"{_score(plan.scores['peg'])} out of 10"))
    if scores:
        blocks += [
            Heading("Your scores today", level=2),
            Table(header=("Score", "Today"), rows=tuple(scores), widths=(0.6, 0.4)),
        ]
    blocks += [
        Heading("Track your pain at home", level=2),
        Paragraph("Once a week, write your scores from 0 to 10. 0 means none. "
                  "10 means the worst you can think of."),
        Table(
            header=("Date", "Pain", "Gets in the way of fun", "Gets in the way of tasks"),
            rows=(),
            widths=(0.22, 0.18, 0.3, 0.3),
            blank_rows=max(4, min(weeks, 8)),
        ),
    ]
    return blocks


def clinician_summary(plan: CarePlan, *, review: Review | None = None) -> Document:
    """One to two pages for the record: scores, alerts, medicines, every item with its source."""
    p, v = plan.patient, plan.visit
    state = "draft (not reviewed)"
    if review is not None:
        state = f"signed by {review.signed_by} on {review.signed_on}" if review.signed else (
            "reviewed, unsigned"
        )
    blocks: list[Block] = [
        Table(
            header=(),
            rows=(
                ("Patient", f"{p.name}; born {p.date_of_birth.isoformat()} (age {p.age}); "
                            f"sex {p.sex or 'not recorded'}; MRN {p.mrn or 'none'}"),
                ("Visit", f"{v.date.isoformat()}; clinician {v.clinician or 'not recorded'}"),
                ("Reason", v.reason or "not recorded"),
                ("Plan", f"{state}; rule base {plan.rule_base.version} ({plan.rule_base.digest}); "
                         f"made {plan.generated_on.isoformat()}"),
                *((("Notes", v.notes),) if v.notes else ()),
            ),
            widths=(0.16, 0.84),
        ),
        Paragraph(plan.disclaimer, "muted"),
        Heading("Alerts"),
    ]
    if plan.alerts:
        blocks.append(Table(
            header=("Urgency", "Alert", "Because", "Source"),
            rows=tuple(
                (f"{a.severity} ({a.timeframe.replace('_', ' ')}); {status_of(a.id, review)}",
                 f"{a.id}: {a.title}. {a.action}", "; ".join(a.because), a.source)
                for a in plan.alerts
            ),
            widths=(0.14, 0.46, 0.2, 0.2),
        ))
    else:
        blocks.append(Paragraph("No red flags or drug alerts fired."))
    blocks += [
        Heading("Scores"),
        Table(
            header=("Score", "Value", "Band", "Reading", "Source"),
            rows=tuple(
                (d.name, _score(d.value), d.band or "", d.note, d.source)
                for d in plan.score_details
            ),
            widths=(0.19, 0.08, 0.11, 0.42, 0.2),
        ),
        Heading("Medications"),
    ]
    if plan.medications:
        blocks.append(Table(
            header=("As entered", "Dose", "Started", "Recognised as"),
            rows=tuple(
                (m.entered, m.dose or "", m.started.isoformat() if m.started else "",
                 medication_reading(m) or "NOT RECOGNISED: check by hand")
                for m in plan.medications
            ),
            widths=(0.25, 0.2, 0.15, 0.4),
        ))
    else:
        blocks.append(Paragraph("No medications recorded."))
    labs = ", ".join(plan.follow_up.labs_to_consider) or "none"
    screens = "; ".join(plan.screens_not_done) or "none"
    blocks += [
        Paragraph(f"Labs to consider (not ordered): {labs}."),
        Paragraph(f"Review in {plan.follow_up.review_in_weeks} weeks. "
                  f"Screens not done: {screens}."),
    ]
    reviewed = {r.id: r for r in shown_recommendations(plan, review)}
    items = list(plan.recommendations) + [r for i, r in reviewed.items() if i.startswith("ADDED-")]
    rows: list[tuple[str, ...]] = []
    sections: list[int] = []
    for domain, heading in CLINICIAN_HEADINGS.items():
        mine = [r for r in items if r.domain == domain]
        if not mine:
            continue
        sections.append(len(rows))
        rows.append((heading, "", "", ""))
        for r in mine:
            status = status_of(r.id, review)
            text = r.title
            if status in ("edited", "added"):
                text += f"\nPatient text ({status}): {reviewed[r.id].patient_text}"
            rule = r.id if review is None else f"{r.id}\n{status}"
            rows.append((rule, text, "; ".join(r.because), r.source))
    blocks += [
        Heading("Recommendations"),
        Table(header=("Rule", "Recommendation", "Because", "Source"), rows=tuple(rows),
              widths=(0.19, 0.27, 0.27, 0.27), section_rows=tuple(sections)),
    ]
    if plan.withheld:
        blocks += [Heading("Held back by an emergency alert", level=2), Bullets(tuple(
            f"{w.id}: {w.reason}" for w in plan.withheld
        ))]
    if review is not None:
        reasons = tuple(
            f"{d.item_id} {status_of(d.item_id, review)}: {d.reason}"
            for d in review.decisions if d.reason
        ) + tuple(f"Added ({a.domain}): {a.title}: {a.reason}" for a in review.added)
        if reasons:
            blocks += [Heading("Review decisions", level=2), Bullets(reasons)]
    return Document(
        audience="clinician",
        title="Clinician summary: muscle pain care plan",
        subject=f"Care plan summary for {p.name}",
        author=v.clinician or "Inomyalgia Care",
        lang="en",
        blocks=tuple(blocks),
        footer=f"{p.name} · MRN {p.mrn or 'none'} · visit {v.date.isoformat()} · {state}",
        draft=review is None or not review.signed,
    )


def medication_reading(line: MedicationLine, *, classes: bool = True) -> str | None:
    """What the vocabulary read in one medication line, for the clinician, or
    ``None`` if it read nothing: "atorvastatin (statin)", or for a misspelling
    read as a near name "read as Lipitor — check: atorvastatin (statin)".
    """
    if not line.recognised:
        return None
    reading = ", ".join(line.generics)
    if classes and line.classes:
        reading += f" ({', '.join(line.classes)})"
    return f"read as {line.read_as} — check: {reading}" if line.read_as else reading


def patient_words(document: Document) -> str:
    """Every sentence a patient reads, in order, for the reading-level check."""
    parts: list[str] = []
    for block in document.blocks:
        if isinstance(block, Heading | Paragraph):
            parts.append(block.text)
        elif isinstance(block, Bullets | Checklist | KeyMessages):
            parts.extend(block.items)
        elif isinstance(block, HelpBox):
            parts += [*block.own_warnings, *block.emergency, *block.same_day, block.numbers]
        elif isinstance(block, BodyMap):
            parts += [block.title, block.caption]
    return "\n".join(_sentence(p) for p in parts)


def _sentence(text: str) -> str:
    """Headings and list items count as sentences, as a reader takes them."""
    text = text.strip()
    return text if text.endswith((".", "!", "?", ":")) else f"{text}."


def area_labels(areas: tuple[str, ...]) -> str:
    """'neck, left shoulder and upper back' for a caption or alt text."""
    names = [LABELS[a].lower() for a in areas]
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"
