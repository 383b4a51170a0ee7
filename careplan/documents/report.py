"""What the printed plan says, as plain data: the patient handout and the clinician summary.

Why separate from the PDF: what a patient reads (words, order, reading level)
is decided here, purely and testably; ``pdf.py`` only lays it out. Texts are
plain strings: escaping for reportlab happens in ``pdf.py``, at output.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, timedelta
from functools import cache
from importlib import resources
from typing import Final, Literal, NamedTuple

from careplan import cache as file_cache
from careplan.clinical.engine import default_rule_base
from careplan.clinical.plan import Alert, CarePlan, Domain, MedicationLine, Recommendation
from careplan.clinical.review import Review, shown_alerts, shown_recommendations, status_of
from careplan.clinical.rules.topics import Speaks, Voice, resolve
from careplan.documents.clinic import Clinic
from careplan.documents.locales import Locale, get_locale
from careplan.intake.vocabulary import AREA_LABELS
from careplan.text import right_to_left

Audience = Literal["patient", "clinician"]
Tone = Literal["body", "lead", "small", "muted", "strong"]


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
    headings: tuple[str, str, str] = ("", "", "")  # own warnings, emergency, same day


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
    watermark: str = ""  # printed across every page, e.g. for a demo clinic
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

DEMO_WATERMARK: Final = "DEMO - not a real clinic"
NEVER_STOP: Final = "Do not stop a prescribed medicine without asking us first."
HELD_FOR_ALERT: Final = "Some advice is on hold until a doctor checks you. We will add it after."


def _weeks(count: int) -> str:
    return f"{count} week" if count == 1 else f"{count} weeks"


def _score(value: float | int | bool | str | None) -> str:
    if isinstance(value, float):
        return f"{value:.1f}"
    return str(value).replace("_", " ")


class Said(NamedTuple):
    """A fixed line that may print, and the stances it takes."""

    id: str
    text: str
    speaks: Speaks


def _local_rule_text(loc: Locale, rule_id: str, printed: str) -> str:
    try:
        template = default_rule_base().get(rule_id).patient_text
    except KeyError:  # an item the clinician added in review has no rule
        template = printed
    return loc.rule_text(rule_id, template, printed)


def _fixed_lines(
    plan: CarePlan, alerts: tuple[Alert, ...], recs: tuple[Recommendation, ...], loc: Locale
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
        "KEY-KEEP-TAKING": bool(plan.medications),  # "ask us before you stop or change one"
    }
    values = {"weeks": _weeks(plan.follow_up.review_in_weeks)}
    lines: dict[str, list[Said]] = {}
    for text in rules.texts:
        if text.id in allowed and wanted.get(text.id, True):
            line = text.text.format_map(values) if "{" in text.text else text.text
            lines.setdefault(text.where, []).append(Said(text.id, loc.text(line), text.speaks))
    lines["key"] = lines.get("key", [])[:5]  # 3 to 5 key messages (plain-language guidance)
    return {where: tuple(found) for where, found in lines.items()}


def _help_headings(lines: dict[str, tuple[Said, ...]]) -> tuple[str, str, str]:
    found = {said.id: said.text for said in lines.get("help_headings", ())}
    own, emergency, same_day = (
        found[key] for key in ("HELP-HEAD-OWN", "HELP-HEAD-EMERGENCY", "HELP-HEAD-SAME-DAY")
    )
    return own, emergency, same_day


def _say(lines: dict[str, tuple[Said, ...]], where: str) -> tuple[str, ...]:
    return tuple(said.text for said in lines.get(where, ()))


def patient_handout(
    plan: CarePlan, *, review: Review | None = None, clinic: Clinic | None = None
) -> Document:
    """The take-home plan in plain words: only reviewed items once a review exists."""
    clinic = clinic or Clinic()
    loc = get_locale(clinic.locale)
    recs = tuple(
        r.model_copy(update={"patient_text": _local_rule_text(loc, r.id, r.patient_text)})
        for r in shown_recommendations(plan, review)
    )
    alerts = tuple(
        a.model_copy(update={"patient_text": _local_rule_text(loc, a.id, a.patient_text)})
        for a in shown_alerts(plan, review)
    )
    # "Some advice is on hold" only when exercise and heat advice is actually held.
    printed: tuple[Alert | Recommendation, ...] = (*alerts, *recs)
    held = any(item.speaks.get("activity") == "hold" for item in printed)
    lines = _fixed_lines(plan, alerts, recs, loc)
    draft = review is None or not review.signed
    typed: list[Block] = [  # what the clinician typed is printed as typed, in any locale
        Table(
            header=(),
            rows=(
                ("For", plan.patient.name),
                ("Date", loc.date(plan.visit.date)),
                ("Your clinician", plan.visit.clinician or "Your care team"),
                ("Call us", f"{clinic.name}, {clinic.phone} ({clinic.hours})"),
            ),
            widths=(0.25, 0.75),
        ),
    ]
    blocks: list[Block] = [
        *typed,
        HelpBox(
            title="Get help now if...",
            own_warnings=tuple(a.patient_text for a in alerts),
            emergency=_say(lines, "help_emergency"),
            same_day=_say(lines, "help_same_day"),
            numbers=" ".join(_say(lines, "help_numbers")),
            headings=_help_headings(lines),
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
    cells: list[Said] = []
    for domain, heading in PATIENT_HEADINGS.items():
        items = tuple(r.patient_text for r in recs if r.domain == domain)
        if domain == "medication_review":
            blocks += _medicines_section(plan, items, lines, cells)
            continue
        if domain == "follow_up":
            blocks += _next_steps(plan, items, loc)
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
    spoken = tuple(
        (item.patient_text, tuple(sorted(item.speaks.items()))) for item in printed
    ) + tuple(
        (said.text, said.speaks) for where, found in lines.items() for said in found
        if where != "most_per_day" or said in cells
    )
    blocks = [block if any(block is t for t in typed) else _localise(block, loc)
              for block in blocks]
    return Document(
        audience="patient",
        title="Your care plan for muscle pain",
        subject=f"Care plan for {plan.patient.name}",
        author=plan.visit.clinician or clinic.name,
        lang=plan.patient.preferred_language,
        blocks=tuple(blocks),
        footer=f"{status} · {plan.patient.name} · Plan of {loc.date(plan.visit.date)}",
        draft=draft,
        spoken=spoken,
        watermark=DEMO_WATERMARK if clinic.demo else "",
    )


def _medicines_section(
    plan: CarePlan, items: tuple[str, ...], lines: dict[str, tuple[Said, ...]],
    cells: list[Said],
) -> list[Block]:
    """The medicines table (what for, how much, most a day) and the medicine items.

    ``cells`` collects the 'most in one day' lines used, which take a stance.
    """
    blocks: list[Block] = [Heading(PATIENT_HEADINGS["medication_review"])]
    if plan.medications:
        blocks.append(Paragraph("The medicines you told us you take:"))
        allowed = {said.id: said for said in lines.get("most_per_day", ())}
        rows = []
        for med in plan.medications:
            cell = _most_per_day(med, allowed, age=plan.patient.age)
            cells.append(cell)
            rows.append((med.entered, _purpose(med), med.dose or "As on the label", cell.text))
        blocks.append(Table(
            header=("Medicine", "What it is for", "How much and when", "Most in one day"),
            rows=tuple(rows), widths=(0.26, 0.28, 0.24, 0.22),
        ))
    if items:
        blocks.append(Checklist(items))
    blocks.append(Paragraph(NEVER_STOP, "strong"))
    blocks.append(Paragraph(
        "Ask us or your pharmacist before you start any new medicine, pain pill or supplement."
    ))
    return blocks


_OTC_CELLS: Final[dict[str, tuple[str, ...]]] = {  # generic: cells, strictest first
    "acetaminophen": ("MOST-APAP-WEIGHT", "MOST-APAP-LOW", "MOST-APAP-STANDARD"),
    "ibuprofen": ("MOST-NSAID-AVOID", "MOST-IBUPROFEN-CAUTION", "MOST-IBUPROFEN"),
    "naproxen": ("MOST-NSAID-AVOID", "MOST-NAPROXEN-CAUTION", "MOST-NAPROXEN"),
}
_CHILD_AGE: Final = 12


def _most_per_day(med: MedicationLine, allowed: Mapping[str, Said], *, age: int) -> Said:
    """The 'most in one day' cell: an over-the-counter ceiling only where it is safe to print.

    A single-ingredient over-the-counter pain reliever at an over-the-counter strength gets
    the cell that agrees with the plan (precedence chose it); a child gets 'by weight'; a
    prescribed strength, a combination or any other medicine gets 'as prescribed'.
    """
    prescribed = allowed["MOST-AS-PRESCRIBED"]
    pain = [g for g in med.generics if g in _OTC_CELLS]
    if not med.over_the_counter or len(pain) != 1:  # a prescription, or two pain relievers
        return prescribed
    for cell_id in _OTC_CELLS[pain[0]]:
        if cell_id in allowed:
            if age < _CHILD_AGE and cell_id not in ("MOST-APAP-WEIGHT", "MOST-NSAID-AVOID"):
                return allowed["MOST-CHILD-WEIGHT"]
            return allowed[cell_id]
    return prescribed


@cache
def _purposes() -> dict[str, str]:
    rules = resources.files("careplan.clinical.rules")
    raw = rules.joinpath("purposes.toml").read_text(encoding="utf-8")
    table: dict[str, str] = file_cache.parsed_toml("purposes", raw)["purpose"]
    return table


def _purpose(med: MedicationLine) -> str:
    """What a medicine is for, in a patient's words: up to two purposes ("PM" pain relievers)."""
    carried = {*med.classes, *med.generics}
    found = list(dict.fromkeys(p for key, p in _purposes().items() if key in carried))[:2]
    if not found:
        return "Ask us or your pharmacist"
    return found[0] if len(found) == 1 else f"{found[0]}; {found[1].lower()}"


def _localise(block: Block, loc: Locale) -> Block:
    """The layout's own words in the clinic's locale: headings, paragraphs, titles, captions.

    Rule and fixed lines (checklists, key messages, the Get-help box, the flare plan) are
    already in the locale's words; what was typed (names, doses) is never changed.
    """
    if isinstance(block, Heading | Paragraph):
        return replace(block, text=loc.text(block.text))
    if isinstance(block, HelpBox):
        return replace(block, title=loc.text(block.title))
    if isinstance(block, Table):  # typed cells (a medicine's name and dose) stay as typed
        typed = {0, 2} if block.header[:1] == ("Medicine",) else set()
        return replace(block, header=tuple(loc.text(h) for h in block.header), rows=tuple(
            tuple(c if i in typed else loc.text(c) for i, c in enumerate(row))
            for row in block.rows
        ))
    if isinstance(block, BodyMap):
        return replace(block, title=loc.text(block.title), caption=loc.text(block.caption))
    return block


def _next_steps(plan: CarePlan, items: tuple[str, ...], loc: Locale) -> list[Block]:
    weeks = plan.follow_up.review_in_weeks
    when = loc.date(plan.visit.date + timedelta(weeks=weeks))
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
    """For the record (the example: three pages at 9 pt): scores, alerts, medicines, every
    item with its source."""
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
        *((Paragraph("Intake in an older form: " + "; ".join(plan.intake_notes) + ".",
                     "strong"),) if plan.intake_notes else ()),
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
            widths=(0.18, 0.11, 0.14, 0.37, 0.2),  # "likely problem", "not generalised" at 9 pt
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
              # the longest rule id on one line at 9 pt (MED-BEERS-ANTICHOLINERGIC)
              widths=(0.29, 0.24, 0.23, 0.24), section_rows=tuple(sections)),
    ]
    if plan.withheld:
        blocks += [Heading("Held back by a stricter item (not in the handout)", level=2),
                   Bullets(tuple(f"{w.id}: {w.reason}" for w in plan.withheld))]
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
            parts += [block.headings[0]] if block.own_warnings else []
            parts += [*block.own_warnings, block.headings[1], *block.emergency]
            parts += [block.headings[2], *block.same_day] if block.same_day else []
            parts.append(block.numbers)
        elif isinstance(block, BodyMap):
            parts += [block.title, block.caption]
    return "\n".join(_sentence(p) for p in parts)


def _sentence(text: str) -> str:
    """Headings and list items count as sentences, as a reader takes them."""
    text = text.strip()
    return text if text.endswith((".", "!", "?", ":")) else f"{text}."


def area_labels(areas: tuple[str, ...]) -> str:
    """'neck, left shoulder and upper back' for a caption or alt text."""
    names = [AREA_LABELS[a].lower() for a in areas]
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


RIGHT_TO_LEFT_NOTE: Final = (
    "This plan has text in a right-to-left script (Hebrew or Arabic, for example). The PDF "
    "prints it left to right with its letters unjoined, so it may not read correctly: check "
    "the printed name, medicines and notes before handing the plan over, or add them in "
    "Latin letters.")


def right_to_left_text(plan: CarePlan, *, review: Review | None = None) -> bool:
    """Whether what the documents print holds right-to-left text, which the PDF cannot lay
    out (reportlab has no bidi or shaping here): the dashboard and the command flag it.
    Only typed text can hold it (the rules and the handout's own words are English)."""
    typed = plan.model_dump_json() + ("" if review is None else review.model_dump_json())
    return right_to_left(typed)


def file_stem(*, mrn: str | None, visit_id: int, visit_date: date, version: int) -> str:
    """The downloaded files' common name: whose plan, which visit day, which version.

    Why the patient in it: two patients seen the same day must not collide in Downloads.
    The MRN in safe characters only (a file name must not carry a path or a quote); the
    visit number when there is no MRN.
    """
    safe = "".join(c for c in mrn or "" if c.isascii() and (c.isalnum() or c in "-_"))
    return f"care-plan-{safe or f'visit-{visit_id}'}-{visit_date.isoformat()}-v{version}"
