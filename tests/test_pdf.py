"""The printed plan: content, safety with hostile text, scripts, layout and determinism."""

from __future__ import annotations

import builtins
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Final

import pytest
from pypdf.generic import DictionaryObject
from reportlab import rl_config

from careplan.clinical.engine import build_plan
from careplan.clinical.plan import CarePlan
from careplan.clinical.review import (
    Acknowledgement,
    AddedRecommendation,
    Decision,
    Review,
    needs_acknowledgement,
)
from careplan.documents.language import Language
from careplan.documents.pdf import PLACEHOLDER, clinician_pdf, drawable, markup, patient_pdf
from careplan.documents.report import acknowledgement_note, right_to_left_text
from careplan.intake.model import RED_FLAGS
from factories import TODAY, make_intake
from pdf_helpers import body_font_size, flat, font_names, font_sizes, reader, text_of

GOLDEN = Path(__file__).parent / "golden"


def plan_for(changes: dict[str, Any] | None = None) -> CarePlan:
    return build_plan(intake=make_intake(changes), today=TODAY)


@pytest.fixture(scope="module")
def example_plan() -> CarePlan:
    return plan_for()


@pytest.mark.parametrize("audience", ["patient", "clinician"])
def test_golden_text(example_plan: CarePlan, audience: str, update_golden: bool) -> None:
    data = patient_pdf(example_plan) if audience == "patient" else clinician_pdf(example_plan)
    path = GOLDEN / f"{audience}.example.txt"
    if update_golden:
        path.write_text(text_of(data), encoding="utf-8")
    assert text_of(data) == path.read_text(encoding="utf-8")


def test_handout_pages_and_sections(example_plan: CarePlan) -> None:
    data = patient_pdf(example_plan)
    pages = reader(data).pages
    assert 2 <= len(pages) <= 4
    text = flat(text_of(data))
    order = ["Zoë Nguyễn", "Get help now if", "The most important things", "Where you hurt",
             "Rest and activity", "Exercise and physical therapy", "Your medicines", "Sleep",
             "Food, drink and smoking", "Stress and mood", "Next steps", "Your scores today",
             "Track your pain at home", "If your pain flares up", "Your questions"]
    positions = [text.index(heading) for heading in order]
    assert positions == sorted(positions)
    assert "Do not stop a prescribed medicine without asking us first." in text
    assert "call 911" in text.lower()
    assert "988" in text
    for number, page in enumerate(pages, start=1):
        page_text = flat(page.extract_text())
        assert f"Page {number} of {len(pages)}" in page_text
        assert "Plan of November 20, 2026" in page_text
        assert "DRAFT" in page_text


def test_clinician_summary_is_short_and_complete(example_plan: CarePlan) -> None:
    data = clinician_pdf(example_plan)
    assert 1 <= len(reader(data).pages) <= 3  # 2 at 7.4 pt, 3 since nothing is under 9 pt
    text = flat(text_of(data))
    for rec in example_plan.recommendations:
        assert rec.id in text
    assert "Krebs et al., J Gen Intern Med 2009" in text
    assert "Labs to consider (not ordered): CK, TSH" in text


ACKED: Final = datetime(2026, 11, 25, 10, 2, 31, tzinfo=UTC)
TEN_MEDICINES: Final = [{"name": name, "dose": dose} for name, dose in (
    ("Zocor 40 mg", "40 mg nightly"), ("clarithromycin", "500 mg twice daily"),
    ("warfarin", "5 mg daily"), ("Advil", "400 mg as needed"), ("Tylenol PM", "2 at night"),
    ("sertraline", "50 mg daily"), ("tramadol", "50 mg as needed"),
    ("lisinopril", "10 mg daily"), ("Lipiter", "20 mg"), ("mystery herbal tea", "1 cup"))]
SUMMARIES: Final[dict[str, dict[str, Any]]] = {
    "example": {},
    # 76, an emergency, ten medicines: the longest rule id (MED-BEERS-ANTICHOLINERGIC)
    "older, ten medicines": {"patient.date_of_birth": "1950-02-01", "red_flags.dark_urine": True,
                             "red_flags.night_pain": True, "history.medications": TEN_MEDICINES,
                             "patient.name": "Zoë Nguyễn-Featherstonehaugh O'Brien"},
    "every red flag": {**{f"red_flags.{flag}": True for flag in RED_FLAGS},
                       "history.medications": TEN_MEDICINES},
}


@pytest.mark.parametrize("changes", SUMMARIES.values(), ids=SUMMARIES.keys())
def test_clinician_summary_prints_nothing_under_9_pt_and_every_rule_id_whole(
    changes: dict[str, Any],
) -> None:
    """Issue 13: the summary's body was 7.4 pt. Every text run (table cells, notes, the
    footer) is read back from the PDF; a rule id split inside a word would not be found."""
    plan = plan_for(changes)
    first = plan.recommendations[0].id
    review = Review(
        decisions=(Decision(item_id=first, action="edit", reason="Simpler words",
                            patient_text="Walk for ten minutes twice a day."),),
        added=(AddedRecommendation(domain="physical_therapy", title="Physio referral",
                                   patient_text="We will send you to a physiotherapist.",
                                   reason="Clinician judgement"),),
    )
    for alert in plan.alerts:  # the acknowledgement lines print at 9 pt too
        review = review.acknowledging(alert, by="Dr. A. Rivera-Featherstonehaugh", at=ACKED)
    for data in (clinician_pdf(plan), clinician_pdf(plan, review=review)):
        sizes = font_sizes(data)
        assert min(sizes) >= 9, f"characters printed at each size: {dict(sizes)}"
        text = flat(text_of(data))
        for item_id in [a.id for a in plan.alerts] + [r.id for r in plan.recommendations]:
            assert item_id in text


def test_output_is_deterministic(example_plan: CarePlan) -> None:
    assert patient_pdf(example_plan) == patient_pdf(example_plan)
    assert clinician_pdf(example_plan) == clinician_pdf(example_plan)


def test_metadata_and_embedded_subset_fonts(example_plan: CarePlan) -> None:
    data = patient_pdf(example_plan)
    meta = reader(data).metadata
    assert meta is not None
    assert meta.title == "Your care plan for muscle pain"
    assert meta.author == "Dr. A. Rivera"
    assert meta.subject == "Care plan for Zoë Nguyễn"
    root = reader(data).trailer["/Root"]
    assert isinstance(root, DictionaryObject)
    assert str(root["/Lang"]) == "en"
    fonts = font_names(data)
    assert fonts, "no fonts found"
    assert all("DejaVuSans" in name for name in fonts)
    assert all("+" in name for name in fonts), "fonts must be embedded as subsets"


@pytest.mark.parametrize("language", ["en", "es"])
def test_large_print_body_is_14_points_or_more(example_plan: CarePlan, language: Language) -> None:
    assert body_font_size(patient_pdf(example_plan, language=language)) < 14
    large = patient_pdf(example_plan, large_print=True, language=language)
    assert body_font_size(large) >= 14
    assert ("Su plan de cuidado" in text_of(large)) is (language == "es")


HOSTILE = [
    "<b>Ann</b> & Co",
    '<img src="/etc/passwd"/>',
    "<img src=x onerror=alert(1)>",
    '<font color="[[[__import__(\'os\').system(\'touch /tmp/pwned\')]]]">x</font>',
    "0.1 < A < 0.9",
    'O\'Brien "the" <link href="file:///etc/passwd">x</link>',
]


LANGUAGES = ("en", "es")


class OpenedFiles:
    """Every file opened while ``watching``: typed text must never name one reportlab opens."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.paths: list[str] = []
        self._monkeypatch = monkeypatch

    @contextmanager
    def watching(self) -> Iterator[None]:
        real_open = builtins.open

        def spy(file: Any, *args: Any, **kwargs: Any) -> Any:
            self.paths.append(str(file))
            return real_open(file, *args, **kwargs)

        self._monkeypatch.setattr(builtins, "open", spy)
        try:
            yield
        finally:
            self._monkeypatch.undo()


@pytest.fixture
def opened(monkeypatch: pytest.MonkeyPatch) -> OpenedFiles:
    return OpenedFiles(monkeypatch)


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_names_print_literally(
    name: str, language: Language, opened: OpenedFiles
) -> None:
    plan = plan_for({"patient.name": name, "history.notes": name, "visit.clinician": name,
                     "history.medications": [{"name": name, "dose": name}]})
    with opened.watching():
        handout = patient_pdf(plan, language=language)
        summary = clinician_pdf(plan, handout_language=language)
    assert "/etc/passwd" not in opened.paths
    assert not Path("/tmp/pwned").exists()
    assert name in flat(text_of(handout))
    assert name in flat(text_of(summary))


def test_reportlab_may_fetch_nothing() -> None:
    assert rl_config.trustedHosts is None
    assert rl_config.trustedSchemes == []
    assert rl_config.invariant


def test_markup_escapes_before_line_breaks() -> None:
    assert markup('<b>a</b> & "q"\nnext') == "&lt;b&gt;a&lt;/b&gt; &amp; &quot;q&quot;<br/>next"


def test_long_note_flows_across_pages() -> None:
    note = ("Patient describes the pain in detail. " * 263)[:9_980] + " END-OF-NOTE"
    plan = plan_for({"history.notes": note})
    data = clinician_pdf(plan)
    assert len(reader(data).pages) >= 3
    assert "END-OF-NOTE" in text_of(data)


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize(
    "name",
    ["Nguyễn Thị Phương", "Zażółć Gęślą-Jaźń", "Ελένη Παπαδοπούλου", "Иван Петрович Сидоров",
     "Ærøskøbing Ðorđević Ōtsuka", "José Ñúñez Güemes"],
)
def test_scripts_render(name: str, language: Language) -> None:
    plan = plan_for({"patient.name": name, "history.medications": [{"name": name}]})
    handout = flat(text_of(patient_pdf(plan, language=language)))
    assert name in handout
    assert PLACEHOLDER not in handout  # the handout's own words (á, ñ, ü, ¿) all draw
    assert name in flat(text_of(clinician_pdf(plan, handout_language=language)))


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize(("name", "glyphs"), [
    ("\u05e9\u05e8\u05d4 \u05db\u05d4\u05df", True),  # Hebrew: in the shipped font
    ("\u0641\u0627\u0637\u0645\u0629 \u0639\u0644\u064a", False),  # Arabic: not in it
], ids=["Hebrew", "Arabic"])
def test_right_to_left_names_print_and_are_flagged_for_a_check(
    name: str, glyphs: bool, language: Language
) -> None:
    """reportlab lays Hebrew out left to right, and the shipped font has no Arabic (it
    prints the visible placeholder): the PDF builds, and the plan is flagged so that the
    Export page and the command ask the clinician to check the printout."""
    plan = plan_for({"patient.name": name})
    for data in (patient_pdf(plan, language=language),
                 clinician_pdf(plan, handout_language=language)):
        assert data.startswith(b"%PDF-")
        assert (PLACEHOLDER * 5 in text_of(data)) is not glyphs
    assert right_to_left_text(plan)
    assert not right_to_left_text(plan_for({"patient.name": "Zoë Nguyễn"}))
    signed = Review(decisions=(), signed_by="\u05d3\u05f3\u05e8 \u05dc\u05d5\u05d9",
                    signed_on=TODAY)  # a reviewer's name counts too
    assert right_to_left_text(plan_for(), review=signed)


@pytest.mark.parametrize("language", LANGUAGES)
def test_missing_glyphs_become_a_visible_placeholder(language: Language) -> None:
    assert drawable("李雷 Ann") == f"{PLACEHOLDER}{PLACEHOLDER} Ann"
    plan = plan_for({"patient.name": "李雷 Ann 🦜"})
    text = flat(text_of(patient_pdf(plan, language=language)))
    assert f"{PLACEHOLDER}{PLACEHOLDER} Ann" in text


def test_every_red_flag_at_once() -> None:
    plan = plan_for({f"red_flags.{flag}": True for flag in RED_FLAGS})
    data = patient_pdf(plan)
    text = flat(text_of(data))
    assert len(reader(data).pages) <= 6
    for alert in plan.alerts:
        assert alert.patient_text[:40] in text
    assert text.index("Get help now if") < text.index("The most important things")
    assert "Some advice is on hold until a doctor checks you" in text
    summary = flat(text_of(clinician_pdf(plan)))
    for alert in plan.alerts:
        assert alert.id in summary


def test_signed_review_shows_only_accepted_items(example_plan: CarePlan) -> None:
    rejected = "REST-HEAT"
    decisions = [Decision(item_id=r.id, action="accept") for r in example_plan.recommendations
                 if r.id not in (rejected, "SLEEP-ROUTINE")]
    decisions.append(Decision(item_id=rejected, action="reject", reason="Has numb skin"))
    review = Review(
        decisions=tuple(decisions),
        added=(AddedRecommendation(domain="rest", title="Desk set-up",
                                   patient_text="Raise your screen to eye level.",
                                   reason="Neck flexion at work"),),
        signed_by="Dr. A. Rivera", signed_on=date(2026, 11, 20),
    )
    text = flat(text_of(patient_pdf(example_plan, review=review)))
    heat = next(r for r in example_plan.recommendations if r.id == rejected).patient_text
    routine = next(r for r in example_plan.recommendations if r.id == "SLEEP-ROUTINE")
    assert heat[:30] not in text
    assert routine.patient_text[:30] not in text
    assert "Raise your screen to eye level." in text
    assert "DRAFT" not in text
    assert "Reviewed by Dr. A. Rivera" in text
    summary = flat(text_of(clinician_pdf(example_plan, review=review)))
    assert "REST-HEAT rejected: Has numb skin" in summary
    assert "signed by Dr. A. Rivera on 2026-11-20" in summary


@pytest.mark.parametrize(("language", "draft", "page"), [
    ("en", "DRAFT", "Page {number} of"), ("es", "BORRADOR", "Página {number} de"),
])
def test_a_very_long_name_keeps_the_footer_readable(language: Language, draft: str,
                                                    page: str) -> None:
    name = "Maria " + "de la Santísima Trinidad " * 7
    data = patient_pdf(plan_for({"patient.name": name.strip()}), language=language)
    for number, sheet in enumerate(reader(data).pages, start=1):
        footer = flat(sheet.extract_text())
        assert footer.count(draft) >= 1
        assert page.format(number=number) in footer
        assert "…" in footer


def test_clinician_summary_says_how_an_old_form_intake_was_read() -> None:
    plan = plan_for({"red_flags.numbness_or_bladder_bowel_change": True,
                     "red_flags.saddle_numbness_or_bladder_bowel_change": None,
                     "red_flags.limb_numbness_or_tingling": None})
    assert plan.intake_notes
    text = flat(text_of(clinician_pdf(plan)))
    assert flat("Intake in an older form: red_flags.numbness_or_bladder_bowel_change (old form) "
                "was read as saddle numbness or bladder/bowel change, the safer reading") in text
    assert "older form" not in flat(text_of(clinician_pdf(plan_for())))


def test_the_shipped_font_coverage_is_what_the_fonts_draw() -> None:
    """The obliques load lazily, so the coverage of all four faces ships as data: check it."""
    from importlib import resources

    from careplan.documents.pdf import COVERAGE_FILE, coverage_ranges, font_coverage

    fonts = resources.files("careplan.documents") / "fonts"
    shipped = (fonts / COVERAGE_FILE).read_text(encoding="ascii")
    assert shipped == coverage_ranges(font_coverage())


def test_downloaded_files_name_the_patient_and_never_collide() -> None:
    from datetime import date

    from careplan.documents.report import file_stem

    day = date(2026, 11, 25)
    first = file_stem(mrn="A-100234", visit_id=1, visit_date=day, version=1)
    assert first == "care-plan-A-100234-2026-11-25-v1"
    assert file_stem(mrn="B-7", visit_id=2, visit_date=day, version=1) != first
    assert file_stem(mrn=None, visit_id=9, visit_date=day, version=2) == (
        "care-plan-visit-9-2026-11-25-v2")
    assert file_stem(mrn="../x/\"Ⅶ", visit_id=3, visit_date=day, version=1) == (
        "care-plan-x-2026-11-25-v1")


# An emergency (RF-RHABDO), an urgent (RF-MALIGNANCY) and a routine alert (RF-METABOLIC).
THREE_ALERTS: Final = {"red_flags.dark_urine": True, "red_flags.night_pain": True,
                       "history.conditions": ["hypothyroidism"]}


def _alert_row(text: str, alert_id: str, plan: CarePlan) -> str:
    """The summary's text from one alert's id to the next alert's (or the Scores heading)."""
    start = text.index(f"{alert_id}: ")
    ends = [text.find(f"{a.id}: ", start + 1) for a in plan.alerts] + [text.index("Scores")]
    return text[start:min(e for e in ends if e > start)]


def test_summary_says_beside_each_urgent_alert_who_acknowledged_it_and_when() -> None:
    """A signed summary names, beside each emergency and urgent alert, the clinician who
    acknowledged it and the minute (UTC, as the Care plan page shows it); a draft says "Not
    acknowledged"; a routine alert, which needs no acknowledgement, gets no line."""
    plan = plan_for(THREE_ALERTS)
    severities = {a.id: a.severity for a in plan.alerts}
    assert set(severities.values()) == {"emergency", "urgent", "routine"}
    draft = flat(text_of(clinician_pdf(plan)))
    review = Review(decisions=tuple(Decision(item_id=r.id, action="accept")
                                    for r in plan.recommendations),
                    signed_by="Dr. A. Rivera", signed_on=TODAY)
    for alert in plan.alerts:
        if needs_acknowledgement(alert):
            review = review.acknowledging(alert, by="Dr. A. Rivera", at=ACKED)
    signed = flat(text_of(clinician_pdf(plan, review=review)))
    for alert in plan.alerts:
        was, now = _alert_row(draft, alert.id, plan), _alert_row(signed, alert.id, plan)
        if alert.severity == "routine":
            assert "acknowledged" not in was.lower()
            assert "acknowledged" not in now.lower()
            continue
        assert f"{alert.action} Not acknowledged " in was
        assert "Acknowledged by" not in was
        assert f"{alert.action} Acknowledged by Dr. A. Rivera at 2026-11-25 10:02 UTC " in now
    assert "Not acknowledged" not in signed


def test_an_acknowledgement_of_the_alert_as_it_was_is_not_printed() -> None:
    """An acknowledgement holds for the alert it was given to (its fingerprint): one of a
    changed alert, or of another alert, prints as "Not acknowledged"."""
    plan = plan_for(THREE_ALERTS)
    emergency = plan.alerts[0]
    assert emergency.severity == "emergency"
    stale = Review(acknowledged=(Acknowledgement(alert_id=emergency.id, alert="0" * 16,
                                                 by="Dr. A. Rivera", at=ACKED),))
    text = flat(text_of(clinician_pdf(plan, review=stale)))
    assert f"{emergency.action} Not acknowledged " in _alert_row(text, emergency.id, plan)
    assert "Acknowledged by" not in text


def test_acknowledgement_times_print_in_utc() -> None:
    alert = plan_for(THREE_ALERTS).alerts[0]
    new_york = datetime(2026, 11, 25, 5, 2, tzinfo=timezone(timedelta(hours=-5)))
    naive = datetime(2026, 11, 25, 10, 2)  # as stored: UTC, never the server's local time
    for at in (ACKED, new_york, naive):
        review = Review().acknowledging(alert, by="Dr. B", at=at)
        assert acknowledgement_note(alert, review) == (
            "Acknowledged by Dr. B at 2026-11-25 10:02 UTC")
    assert acknowledgement_note(alert, None) == "Not acknowledged"


@pytest.mark.parametrize("name", HOSTILE)
def test_an_acknowledging_clinicians_name_prints_literally(
    name: str, opened: OpenedFiles,
) -> None:
    """The name goes through the same escaping as all typed text: printed, never markup."""
    plan = plan_for({"red_flags.dark_urine": True})
    review = Review().acknowledging(plan.alerts[0], by=name, at=ACKED)
    with opened.watching():
        data = clinician_pdf(plan, review=review)
    assert f"Acknowledged by {name} at 2026-11-25 10:02 UTC" in flat(text_of(data))
    assert "/etc/passwd" not in opened.paths
    assert not Path("/tmp/pwned").exists()
