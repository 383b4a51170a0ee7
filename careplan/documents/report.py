"""What the printed plan says, as plain data: the patient handout and the clinician summary.

Why separate from the PDF: what a patient reads (words, order, reading level)
is decided here, purely and testably; ``pdf.py`` only lays it out. Texts are
plain strings: escaping for reportlab happens in ``pdf.py``, at output.

The handout prints in English or Spanish (``language``). Every word of its own comes from
the rule base, where each is written in both (the rule files, ``handout.toml``,
``layout.toml``, ``purposes.toml``); what was typed (names, medicines, doses, the clinic,
a text the clinician wrote or edited) prints as typed. The clinician summary is English.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from typing import Final, Literal, NamedTuple

from careplan.clinical.engine import default_rule_base
from careplan.clinical.plan import Alert, CarePlan, Domain, MedicationLine, Recommendation
from careplan.clinical.review import (
    Review,
    needs_acknowledgement,
    shown_alerts,
    shown_recommendations,
    status_of,
)
from careplan.clinical.rules.topics import Speaks, Voice, resolve
from careplan.clinical.rules.wording import Layout, join_words
from careplan.documents.clinic import Clinic
from careplan.documents.language import (
    LANGUAGE_NAMES,
    Language,
    check_language,
    handout_language,
    long_date,
    number,
    preferred_handout_language,
)
from careplan.documents.locales import Locale, get_locale
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
    labels: tuple[str, str, str, str] = ("Front", "Back", "Left", "Right")  # in the picture


@dataclass(frozen=True, slots=True)
class Table:
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    widths: tuple[float, ...]  # fractions of the text width
    blank_rows: int = 0  # extra empty rows to fill in by hand
    section_rows: tuple[int, ...] = ()  # rows shown as a full-width sub-heading (first cell)
    typed: tuple[int, ...] = ()  # columns printed as typed (a medicine's name and dose)


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
    page_label: str = "Page {page} of {total}"  # in the footer of every page
    # Items printed in the plan's English, in a Spanish handout: a text the clinician wrote
    # or edited (as typed), or a plan made before Spanish. The Export page asks for a check.
    untranslated: tuple[str, ...] = ()


CLINICIAN_HEADINGS: Final[dict[Domain, str]] = {
    "rest": "Rest and activity",
    "physical_therapy": "Physical therapy and exercise",
    "medication_review": "Medication review",
    "sleep": "Sleep",
    "nutrition": "Nutrition",
    "stress": "Stress and mental health",
    "follow_up": "Follow-up",
}

DOMAINS_IN_ORDER: Final[tuple[Domain, ...]] = (
    "rest", "physical_therapy", "medication_review", "sleep", "nutrition", "stress", "follow_up",
)


def _layout() -> Layout:
    return default_rule_base().layout


def _weeks(count: int, language: Language = "en") -> str:
    key = "week" if count == 1 else "weeks"
    return _layout().word(key, language).format(count=count)


class Said(NamedTuple):
    """A fixed line that may print, and the stances it takes."""

    id: str
    text: str
    speaks: Speaks


class _Words:
    """The handout's own words in one language (``layout.toml``), in the clinic's locale."""

    def __init__(self, language: Language, loc: Locale) -> None:
        self.language, self.loc, self.layout = language, loc, _layout()

    def __call__(self, key: str, **values: str) -> str:
        text = self.layout.word(key, self.language)
        return text.format(**values) if values else text

    def line(self, text: str) -> str:
        """A fixed or rule line in the locale's words (English only: the Spanish is US)."""
        return self.loc.text(text) if self.language == "en" else text


def _local_rule_text(loc: Locale, rule_id: str, printed: str) -> str:
    try:
        template = default_rule_base().get(rule_id).patient_text
    except KeyError:  # an item the clinician added in review has no rule
        template = printed
    return loc.rule_text(rule_id, template, printed)


def _item_text(
    item: Alert | Recommendation, language: Language, loc: Locale, untranslated: list[str]
) -> str:
    """An item's patient text in the handout's language.

    Spanish: the plan's Spanish text; for a plan made before the handout had Spanish, the
    rule's own Spanish where the rule has no placeholder to fill. A text the clinician
    wrote or edited prints as typed, in whatever language it was typed, and is listed in
    ``untranslated`` so that the Export page asks for a check.
    """
    if language == "en":
        return _local_rule_text(loc, item.id, item.patient_text)
    if item.patient_text_es is not None:
        return item.patient_text_es
    rule = default_rule_base().by_id.get(item.id)
    if rule is not None and "{" not in rule.patient_text and item.patient_text == rule.patient_text:
        return rule.patient_text_es
    untranslated.append(item.id)
    return item.patient_text


def _fixed_lines(
    plan: CarePlan, alerts: tuple[Alert, ...], recs: tuple[Recommendation, ...], words: _Words
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
    values = {"weeks": _weeks(plan.follow_up.review_in_weeks, words.language)}
    lines: dict[str, list[Said]] = {}
    for text in rules.texts:
        if text.id in allowed and wanted.get(text.id, True):
            said = text.in_language(words.language)
            line = said.format_map(values) if "{" in said else said
            lines.setdefault(text.where, []).append(Said(text.id, words.line(line), text.speaks))
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
    plan: CarePlan, *, review: Review | None = None, clinic: Clinic | None = None,
    language: Language = "en",
) -> Document:
    """The take-home plan in plain words: only reviewed items once a review exists.

    ``language``: ``en`` or ``es``. A Spanish handout is for a US clinic (``SettingError``
    for another locale: ``careplan.documents.language.check_language``).
    """
    clinic = clinic or Clinic()
    check_language(language, locale=clinic.locale)
    loc = get_locale(clinic.locale)
    words = _Words(language, loc)
    untranslated: list[str] = []
    recs = tuple(
        r.model_copy(update={"patient_text": _item_text(r, language, loc, untranslated)})
        for r in shown_recommendations(plan, review)
    )
    alerts = tuple(
        a.model_copy(update={"patient_text": _item_text(a, language, loc, untranslated)})
        for a in shown_alerts(plan, review)
    )
    # "Some advice is on hold" only when exercise and heat advice is actually held.
    printed: tuple[Alert | Recommendation, ...] = (*alerts, *recs)
    held = any(item.speaks.get("activity") == "hold" for item in printed)
    lines = _fixed_lines(plan, alerts, recs, words)
    draft = review is None or not review.signed
    visit_day = long_date(plan.visit.date, language, loc)
    typed: list[Block] = [  # what the clinician typed is printed as typed, in any locale
        Table(
            header=(),
            rows=(
                (words("row_for"), plan.patient.name),
                (words("row_date"), visit_day),
                (words("row_clinician"), plan.visit.clinician or words("care_team")),
                (words("row_call"),
                 f"{clinic.name}, {clinic.phone} ({clinic.hours_in(language)})"),
            ),
            widths=(0.25, 0.75),
        ),
    ]
    blocks: list[Block] = [
        *typed,
        HelpBox(
            title=words("help_title"),
            own_warnings=tuple(a.patient_text for a in alerts),
            emergency=_say(lines, "help_emergency"),
            same_day=_say(lines, "help_same_day"),
            numbers=" ".join(_say(lines, "help_numbers")),
            headings=_help_headings(lines),
        ),
        Heading(words("key_heading")),
        KeyMessages(_say(lines, "key")),
    ]
    areas = plan.affected_areas
    if areas:
        blocks += [
            BodyMap(
                title=words("bodymap_title"),
                selected=areas,
                caption=words("bodymap_caption", areas=area_labels(areas, language)),
                labels=(words("bodymap_front"), words("bodymap_back"), words("bodymap_left"),
                        words("bodymap_right")),
            ),
        ]
    cells: list[Said] = []
    for domain in DOMAINS_IN_ORDER:
        heading = words(f"heading_{domain}")
        items = tuple(r.patient_text for r in recs if r.domain == domain)
        if domain == "medication_review":
            blocks += _medicines_section(plan, items, lines, cells, words)
            continue
        if domain == "follow_up":
            blocks += _next_steps(plan, items, words)
            continue
        if not items:
            continue
        blocks += [Heading(heading), Checklist(items)]
        if held and domain == "physical_therapy":
            blocks.append(Paragraph(words("held_for_alert"), "muted"))
    blocks += [
        Heading(words("flare_heading")),
        Bullets(_say(lines, "flare")),
        Heading(words("questions_heading")),
        Paragraph(words("questions_text")),
        WriteLines(4),
    ]
    status = words("status_draft") if draft else (
        words("status_reviewed_by", name=review.signed_by)
        if review and review.signed_by else words("status_reviewed")
    )
    spoken = tuple(
        (item.patient_text, tuple(sorted(item.speaks.items()))) for item in printed
    ) + tuple(
        (said.text, said.speaks) for where, found in lines.items() for said in found
        if where != "most_per_day" or said in cells
    )
    if language == "en":
        blocks = [block if any(block is t for t in typed) else _localise(block, loc)
                  for block in blocks]
    return Document(
        audience="patient",
        title=words("title"),
        subject=words("subject", name=plan.patient.name),
        author=plan.visit.clinician or clinic.name,
        lang=language,
        blocks=tuple(blocks),
        footer=words("footer", status=status, name=plan.patient.name, date=visit_day),
        draft=draft,
        spoken=spoken,
        watermark=words("demo_watermark") if clinic.demo else "",
        page_label=words("page"),
        untranslated=tuple(untranslated),
    )


MEDICINES_TABLE_COLUMNS: Final = ("medicines_name", "medicines_purpose", "medicines_dose",
                                  "medicines_most")


def _medicines_section(
    plan: CarePlan, items: tuple[str, ...], lines: dict[str, tuple[Said, ...]],
    cells: list[Said], words: _Words,
) -> list[Block]:
    """The medicines table (what for, how much, most a day) and the medicine items.

    ``cells`` collects the 'most in one day' lines used, which take a stance.
    """
    blocks: list[Block] = [Heading(words("heading_medication_review"))]
    if plan.medications:
        blocks.append(Paragraph(words("medicines_intro")))
        allowed = {said.id: said for said in lines.get("most_per_day", ())}
        rows = []
        for med in plan.medications:
            cell = _most_per_day(med, allowed, age=plan.patient.age)
            cells.append(cell)
            rows.append((med.entered, _purpose(med, words), med.dose or words("as_on_label"),
                         cell.text))
        blocks.append(Table(
            header=tuple(words(key) for key in MEDICINES_TABLE_COLUMNS),
            rows=tuple(rows), widths=(0.26, 0.28, 0.24, 0.22), typed=(0, 2),
        ))
    if items:
        blocks.append(Checklist(items))
    blocks.append(Paragraph(words("never_stop"), "strong"))
    blocks.append(Paragraph(words("ask_before_new")))
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


def _purpose(med: MedicationLine, words: _Words) -> str:
    """What a medicine is for, in a patient's words: up to two purposes ("PM" pain relievers)."""
    carried = {*med.classes, *med.generics}
    index = 1 if words.language == "es" else 0
    found = list(dict.fromkeys(
        pair[index] for key, pair in words.layout.purposes.items() if key in carried
    ))[:2]
    if not found:
        return words("ask_pharmacist")
    return found[0] if len(found) == 1 else f"{found[0]}; {found[1].lower()}"


def _localise(block: Block, loc: Locale) -> Block:
    """The layout's own words in the clinic's locale: headings, paragraphs, titles, captions.

    English only (the Spanish handout is written for the US). Rule and fixed lines
    (checklists, key messages, the Get-help box, the flare plan) are already in the
    locale's words; what was typed (names, doses) is never changed.
    """
    if isinstance(block, Heading | Paragraph):
        return replace(block, text=loc.text(block.text))
    if isinstance(block, HelpBox):
        return replace(block, title=loc.text(block.title))
    if isinstance(block, Table):  # typed cells (a medicine's name and dose) stay as typed
        return replace(block, header=tuple(loc.text(h) for h in block.header), rows=tuple(
            tuple(c if i in block.typed else loc.text(c) for i, c in enumerate(row))
            for row in block.rows
        ))
    if isinstance(block, BodyMap):
        return replace(block, title=loc.text(block.title), caption=loc.text(block.caption))
    return block


def _next_steps(plan: CarePlan, items: tuple[str, ...], words: _Words) -> list[Block]:
    weeks = plan.follow_up.review_in_weeks
    language = words.language
    when = long_date(plan.visit.date + timedelta(weeks=weeks), language, words.loc)
    blocks: list[Block] = [
        Heading(words("heading_follow_up")),
        Paragraph(words("next_visit", weeks=_weeks(weeks, language), date=when), "lead"),
    ]
    if items:
        blocks.append(Checklist(items))
    scores: list[tuple[str, str]] = []
    for key, label in (("pain_now", "score_pain_now"), ("peg", "score_peg")):
        if plan.scores.get(key) is not None:
            value = number(plan.scores[key], language)
            scores.append((words(label), words("out_of_10", value=value)))
    if scores:
        blocks += [
            Heading(words("scores_heading"), level=2),
            Table(header=(words("scores_score"), words("scores_today")), rows=tuple(scores),
                  widths=(0.6, 0.4)),
        ]
    blocks += [
        Heading(words("track_heading"), level=2),
        Paragraph(words("track_text")),
        Table(
            header=(words("track_date"), words("track_pain"), words("track_fun"),
                    words("track_tasks")),
            rows=(),
            widths=(0.22, 0.18, 0.3, 0.3),
            blank_rows=max(4, min(weeks, 8)),
        ),
    ]
    return blocks


SPANISH_NOT_REVIEWED: Final = (
    "The Spanish handout text was written for this project and has not been reviewed by a "
    "qualified medical translator; have it reviewed before clinical use."
)


def untranslated_note(document: Document) -> str | None:
    """For the clinician: the items of a Spanish handout printed as typed, not translated."""
    if not document.untranslated:
        return None
    return (f"Printed as typed, not in the handout's Spanish: {', '.join(document.untranslated)}. "
            "A text written or edited in review prints as the clinician typed it (and a plan "
            "made before Spanish handouts keeps its English where a medicine's name or a "
            "number is filled in): check these items are in Spanish before handing the plan "
            "over.")


def handout_language_note(plan: CarePlan, language: Language) -> str:
    """The summary's line on the handout's language: which one, and why (in English)."""
    preferred = plan.patient.preferred_language
    name = LANGUAGE_NAMES[language]
    if handout_language(preferred) == language:
        return f"printed in {name} ({language}), the patient's preferred language ({preferred})"
    if handout_language(preferred) is None:
        return (f"printed in {name} ({language}); the patient prefers {preferred}, and there "
                "is no handout in that language")
    return f"printed in {name} ({language}) on request; the patient prefers {preferred}"


def clinician_summary(
    plan: CarePlan, *, review: Review | None = None, handout_language: Language | None = None,
) -> Document:
    """For the record (the example: three pages at 9 pt): scores, alerts (each emergency or
    urgent one with who acknowledged it and when, or "Not acknowledged"), medicines, every
    item with its source.

    ``handout_language``: the language the patient's handout was printed in (the summary
    says which, and notes that the Spanish has not had a medical translator's review);
    the patient's preferred one when not given. The summary itself is English.
    """
    p, v = plan.patient, plan.visit
    handout = handout_language or preferred_handout_language(p.preferred_language)
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
                ("Handout", handout_language_note(plan, handout)),
                *((("Notes", v.notes),) if v.notes else ()),
            ),
            widths=(0.16, 0.84),
        ),
        Paragraph(plan.disclaimer, "muted"),
        *((Paragraph(SPANISH_NOT_REVIEWED, "strong"),) if handout == "es" else ()),
        *((Paragraph("Intake in an older form: " + "; ".join(plan.intake_notes) + ".",
                     "strong"),) if plan.intake_notes else ()),
        Heading("Alerts"),
    ]
    if plan.alerts:
        blocks.append(Table(
            header=("Urgency", "Alert", "Because", "Source"),
            rows=tuple(
                (f"{a.severity} ({a.timeframe.replace('_', ' ')}); {status_of(a.id, review)}",
                 _alert_cell(a, review), "; ".join(a.because), a.source)
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
                (d.name, number(d.value, "en"), d.band or "", d.note, d.source)
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
        blocks += [Heading("Held back by a stricter item or as a repeat (not in the handout)",
                           level=2),
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


def _utc_minute(moment: datetime) -> str:
    """'2026-11-25 10:02 UTC', as the Care plan page shows a moment (stored times are UTC: a
    naive one is read as UTC, never as the server's local time)."""
    utc = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    return utc.strftime("%Y-%m-%d %H:%M UTC")


def acknowledgement_note(alert: Alert, review: Review | None) -> str | None:
    """The summary's line on who took an alert on: 'Acknowledged by Dr X at 2026-11-25 10:02
    UTC' for the acknowledgement of the alert as it stands; 'Not acknowledged' for an emergency
    or urgent alert without one (a draft, or a plan signed before acknowledgements); ``None``
    for a routine alert nobody acknowledged (none is asked for)."""
    mark = None if review is None else review.acknowledgement_of(alert)
    if mark is not None:
        return f"Acknowledged by {mark.by} at {_utc_minute(mark.at)}"
    return "Not acknowledged" if needs_acknowledgement(alert) else None


def _alert_cell(alert: Alert, review: Review | None) -> str:
    """The summary's Alert cell: what fired and what to do, then who acknowledged it."""
    text = f"{alert.id}: {alert.title}. {alert.action}"
    note = acknowledgement_note(alert, review)
    return text if note is None else f"{text}\n{note}"


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


def area_labels(areas: tuple[str, ...], language: Language = "en") -> str:
    """'neck, left shoulder and upper back' ('el cuello, el hombro izquierdo y ...') for a
    caption or alt text."""
    layout = _layout()
    return join_words([layout.area(a, language) for a in areas], language)


RIGHT_TO_LEFT_NOTE: Final = (
    "This plan has text in a right-to-left script (Hebrew or Arabic, for example). The PDF "
    "prints it left to right with its letters unjoined, so it may not read correctly: check "
    "the printed name, medicines and notes before handing the plan over, or add them in "
    "Latin letters.")


def right_to_left_text(plan: CarePlan, *, review: Review | None = None) -> bool:
    """Whether what the documents print holds right-to-left text, which the PDF cannot lay
    out (reportlab has no bidi or shaping here): the dashboard and the command flag it.
    Only typed text can hold it (the rules and the handout's own words are English or
    Spanish)."""
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
