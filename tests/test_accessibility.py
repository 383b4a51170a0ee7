"""Accessibility in a real browser (Debian Chromium), offline: axe-core finds no serious or
critical violation, and heading levels go down one step at a time, on every page.

The pages, in one walk (issue 13 point 9): the first-administrator and sign-in forms, Home,
Patients (a patient open), the six Intake sections (Red flags with an emergency and an urgent
alert showing), the Care plan (built, with alerts and items), Export, History and Admin.

axe-core comes from the ``axe-playwright-python`` package (its ``axe.min.js``), injected into
every frame of the page; nothing is fetched. Like the other browser tests this needs
``/usr/bin/chromium``: it skips locally without it and fails under ``CI=true``.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Any, Final

import pytest
from playwright.sync_api import Browser, Page, expect
from test_browser_flow import arrive, first_admin, open_tab, sign_in, widget

import browser
import ui.bodymap
from careplan.intake.vocabulary import AREA_LABELS, AREAS
from factories import example_data

pytest_plugins = ["browser"]

AXE_SCRIPT: Final = Path(str(resources.files("axe_playwright_python") / "axe.min.js"))
BLOCKING: Final = frozenset({"serious", "critical"})
SECTIONS: Final = ("Visit and history", "Body map", "Symptoms", "Risk factors and screens",
                   "Red flags", "Medicines")

# The frame Streamlit draws for the body-map component: its title is the component's name.
BODY_MAP_FRAME: Final = 'iframe[title="streamlit_image_coordinates.streamlit_image_coordinates"]'
# Violations in markup this project cannot change, each one rule on one named element (the
# axe target, a frame named by its title), with why. Nothing else is let go.
ALLOWED: Final[dict[tuple[str, str], str]] = {
    ("image-alt", f"{BODY_MAP_FRAME} >> #image"):
        "streamlit-image-coordinates draws the body-map picture as <img id=image> in its own "
        "frame and takes no alt text (nor a frame title: Streamlit names the frame after the "
        "component). The Intake page says the picture in words beside it "
        "(ui.bodymap.text_alternative), and the Painful areas list is the keyboard path.",
}

_HEADINGS_JS: Final = """
() => Array.from(document.querySelectorAll('h1, h2, h3, h4, h5, h6, [role="heading"]'))
  .filter((e) => e.getClientRects().length > 0 && !e.closest('[aria-hidden="true"]'))
  .map((e) => [Number(e.getAttribute("aria-level") || e.tagName.slice(1)),
               e.innerText.trim().replace(/\\s+/g, " ").slice(0, 60)])
"""


_CHARTS_DRAWN_JS: Final = """
() => Array.from(document.querySelectorAll('[data-testid="stVegaLiteChart"]'))
  .every((chart) => chart.querySelector("svg .role-mark, canvas") !== null)
"""


@dataclass(slots=True)
class Walk:
    """What each page showed: axe's blocking violations and the heading levels in order."""

    violations: dict[str, list[str]] = field(default_factory=dict)
    headings: dict[str, list[tuple[int, str]]] = field(default_factory=dict)
    texts: dict[str, str] = field(default_factory=dict)
    frames: dict[str, list[str]] = field(default_factory=dict)


def axe_violations(page: Page) -> list[str]:
    """Serious and critical violations as 'rule (impact): target', each element once."""
    for frame in page.frames:  # axe reaches into a frame only where it runs itself
        if not frame.is_detached():
            frame.add_script_tag(path=AXE_SCRIPT)
    result: dict[str, Any] = page.evaluate(
        "() => axe.run(document, {resultTypes: ['violations']})")
    found = []
    for violation in result["violations"]:
        if violation["impact"] not in BLOCKING:
            continue
        for node in violation["nodes"]:
            *frames, element = (str(part) for part in node["target"])
            target = " >> ".join([*map(functools.partial(_frame_named, page), frames), element])
            if (violation["id"], target) not in ALLOWED:
                checks = node.get("any", []) + node.get("all", []) + node.get("none", [])
                why = checks[0]["message"] if checks else violation["help"]
                found.append(f"{violation['id']} ({violation['impact']}): {target} "
                             f"{node['html'][:120]!r}: {why}")
    return found


def _frame_named(page: Page, selector: str) -> str:
    """A frame's selector with the frame's title, so an allowance names one frame."""
    title = page.locator(selector).first.get_attribute("title")
    return f'{selector}[title="{title}"]' if title else selector


def heading_levels(page: Page) -> list[tuple[int, str]]:
    levels: list[list[Any]] = page.evaluate(_HEADINGS_JS)
    return [(int(level), str(text)) for level, text in levels]


def jumps(levels: list[tuple[int, str]]) -> list[str]:
    """Each heading that is not an H1 first, or goes down more than one level."""
    problems = []
    before = 0
    for level, text in levels:
        if level > before + 1:
            problems.append(f"H{before} → H{level} at {text!r}" if before else
                            f"starts at H{level} ({text!r}), not H1")
        before = level
    return problems


@pytest.fixture(scope="module")
def walk(chromium: Browser, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Walk]:
    """Every page, once, with its checks (the walk is shared by the tests below)."""
    folder = tmp_path_factory.mktemp("a11y")
    env = browser.sqlite_env(folder)
    browser.migrate(env["DATABASE_URL"])
    server = browser.AppServer(env, folder).start()
    context = chromium.new_context(viewport={"width": browser.VIEWPORT[0],
                                             "height": browser.VIEWPORT[1]}, locale="en-US")
    page = context.new_page()
    seen = Walk()

    def check(name: str) -> None:
        browser.wait_for_app(page)
        # Charts draw after the run has finished: check them drawn, not the empty frame
        # before (an early check once passed a chart whose marks were not there yet).
        page.wait_for_function(_CHARTS_DRAWN_JS, polling=50)
        seen.violations[name] = axe_violations(page)
        seen.headings[name] = heading_levels(page)
        seen.texts[name] = " ".join(page.get_by_test_id("stMain").inner_text().split())
        seen.frames[name] = [f'iframe[title="{frame.get_attribute("title")}"]'
                             for frame in page.locator("iframe").all()]

    try:
        browser.open_app(page, server.url)
        page.get_by_role("heading", name="Create the first administrator").wait_for()
        check("First administrator")
        first_admin(page, server.url)
        page.locator("html[data-careplan-session='kept']").wait_for(state="attached")
        check("Home (empty)")
        with browser.rerun(page):
            page.get_by_role("button", name="Sign out").click()
        page.get_by_role("heading", name="Sign in").wait_for()
        check("Sign in")
        sign_in(page)
        _seed(env["DATABASE_URL"])

        with browser.rerun(page):
            page.get_by_role("link", name="Patients").click()
        arrive(page, "Patients")
        search = widget(page, "patient-search").locator("input")
        search.fill("Maria")
        with browser.rerun(page):
            search.press("Enter")
        with browser.rerun(page):
            page.get_by_role("button", name="Open").first.click()
        page.get_by_role("heading", name="Maria Demo-Santos").wait_for()
        check("Patients")
        with browser.rerun(page):
            page.get_by_role("button", name=re.compile(r"^Continue the visit of")).click()
        arrive(page, "Intake")
        for section in SECTIONS:
            open_tab(page, section)
            check(f"Intake: {section}")
            if section == "Body map":
                browser.screenshot(page, "a11y-body-map")
        open_tab(page, "Red flags")
        for flag in ("dark_urine", "night_pain"):  # an emergency and an urgent alert
            with browser.rerun(page):
                widget(page, f"f:red_flags.{flag}").get_by_role("radio", name="Yes").click()
        expect(page.get_by_text("EMERGENCY", exact=False).first).to_be_visible()
        check("Intake: Red flags, alerts showing")

        with browser.rerun(page):
            page.get_by_role("link", name="Care plan").click()
        arrive(page, "Care plan")
        with browser.rerun(page):
            page.get_by_role("button", name=re.compile(r"^(Build|Rebuild)")).click()
        page.get_by_role("heading", name="Recommendations").wait_for()
        check("Care plan")
        with browser.rerun(page):
            page.get_by_role("link", name="Home").click()
        arrive(page, "Inomyalgia Care")
        check("Home")
        for name in ("Export", "History", "Admin"):
            with browser.rerun(page):
                page.get_by_role("link", name=name).click()
            arrive(page, name)
            if name == "History":  # two charts, drawn (check waits for their marks)
                expect(page.get_by_test_id("stVegaLiteChart")).to_have_count(2)
            check(name)
            if name == "History":
                browser.screenshot(page, "a11y-history")
        yield seen
    finally:
        context.close()
        server.stop()


def _seed(url: str) -> None:
    """The demo patients, seen by the signed-in clinician: a plan to build in one click."""
    from careplan import demo, storage

    engine = storage.make_engine(url)
    try:
        demo.seed(engine, today=date.today(), seen_by=("rivera",))
    finally:
        engine.dispose()


def test_axe_finds_no_serious_or_critical_violation_on_any_page(walk: Walk) -> None:
    assert len(walk.violations) == 16
    report = {page: found for page, found in walk.violations.items() if found}
    assert report == {}, "\n".join(f"{page}:\n  " + "\n  ".join(found)
                                   for page, found in report.items())


def test_heading_levels_go_down_one_step_at_a_time_on_every_page(walk: Walk) -> None:
    assert all(levels for levels in walk.headings.values()), walk.headings
    report = {page: jumps(levels) for page, levels in walk.headings.items() if jumps(levels)}
    assert report == {}, report


def test_the_body_map_says_what_it_shows_and_that_the_list_is_the_keyboard_path(
    walk: Walk,
) -> None:
    text = walk.texts["Intake: Body map"]
    assert ("With a keyboard or a screen reader, use the Painful areas list below the "
            "picture: it marks the same regions.") in text
    marked = [AREA_LABELS[a] for a in AREAS if a in example_data()["affected_areas"]]
    assert f"Marked (dark): {', '.join(marked)}." in text
    assert walk.frames["Intake: Body map"] == [BODY_MAP_FRAME]  # the one frame let go above


def test_the_text_alternative_names_every_marked_region_in_the_map_order() -> None:
    words = ui.bodymap.text_alternative(["neck", "jaw_left"])
    assert words == ("The picture shows the body from the front and from the back, with its "
                     "19 pain regions. Marked (dark): Jaw (left side), Neck.")
    assert ui.bodymap.text_alternative([]).endswith("Marked (dark): none.")
