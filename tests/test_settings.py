"""Deployment settings: read in one place, checked, and never a placeholder clinic."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from careplan.clinical.engine import build_plan
from careplan.documents.clinic import Clinic
from careplan.documents.pdf import patient_pdf
from careplan.errors import SettingError
from careplan.settings import DEFAULT_DATABASE_URL, load
from factories import TODAY, make_intake, run_command
from pdf_helpers import reader


def test_defaults() -> None:
    config = load({})
    assert config.database_url == DEFAULT_DATABASE_URL
    assert config.clinic is None
    assert config.idle_minutes == 15
    assert (config.audit_key, config.debug) == ("", False)


def test_a_configured_clinic_and_locale() -> None:
    config = load({"CAREPLAN_CLINIC_NAME": "Riverside Practice", "CAREPLAN_CLINIC_PHONE":
                   "020 7946 0000", "CAREPLAN_LOCALE": "en-GB", "CAREPLAN_DEMO": "1"})
    assert config.handout_clinic() == Clinic(name="Riverside Practice", phone="020 7946 0000",
                                             hours="ask at the front desk", locale="en-GB",
                                             demo=False, hours_es="pregunte en la recepción")


def test_the_clinic_hours_print_as_configured_in_each_language() -> None:
    """A Spanish handout prints CAREPLAN_CLINIC_HOURS_ES; without it, the hours as typed."""
    clinic = {"CAREPLAN_CLINIC_NAME": "Clínica del Valle", "CAREPLAN_CLINIC_PHONE": "555-0142",
              "CAREPLAN_CLINIC_HOURS": "Mon-Fri 9-5"}
    typed = load(clinic).handout_clinic()
    assert (typed.hours_in("en"), typed.hours_in("es")) == ("Mon-Fri 9-5", "Mon-Fri 9-5")
    both = load({**clinic, "CAREPLAN_CLINIC_HOURS_ES": "De lunes a viernes, de 9 a 5"})
    assert both.handout_clinic().hours_in("es") == "De lunes a viernes, de 9 a 5"
    assert both.handout_clinic().hours_in("en") == "Mon-Fri 9-5"


@pytest.mark.parametrize(("env", "message"), [
    ({}, "no clinic is configured"),
    ({"CAREPLAN_CLINIC_NAME": "Riverside"}, "set both CAREPLAN_CLINIC_NAME and"),
    ({"CAREPLAN_LOCALE": "fr-FR", "CAREPLAN_DEMO": "1"}, "unknown locale 'fr-FR'"),
    ({"CAREPLAN_IDLE_MINUTES": "ten", "CAREPLAN_DEMO": "1"}, "CAREPLAN_IDLE_MINUTES must be"),
    ({"CAREPLAN_IDLE_MINUTES": "nan", "CAREPLAN_DEMO": "1"}, "CAREPLAN_IDLE_MINUTES must be"),
])
def test_bad_or_missing_settings_say_what_to_set(env: dict[str, str], message: str) -> None:
    with pytest.raises(SettingError, match=message):
        load(env).handout_clinic()


def test_a_demo_handout_says_so_on_every_page() -> None:
    plan = build_plan(intake=make_intake(), today=TODAY)
    demo = reader(patient_pdf(plan, clinic=load({"CAREPLAN_DEMO": "1"}).handout_clinic()))
    assert all("DEMO - not a real clinic" in page.extract_text() for page in demo.pages)
    real = Clinic(name="Riverside Practice", phone="020 7946 0000", demo=False)
    assert "DEMO" not in "".join(p.extract_text() for p in reader(patient_pdf(plan, clinic=real))
                                 .pages)


def test_the_command_marks_a_handout_demo_without_a_clinic(tmp_path: Path) -> None:
    """The contract's command always prints; without a clinic, never an unmarked placeholder."""
    out = tmp_path / "plan.pdf"
    result = run_command("plan", "careplan/example_intake.json", "--pdf", str(out),
                         env={"CAREPLAN_DEMO": "0", "CAREPLAN_LOCALE": "en-GB"})
    assert result.returncode == 0
    assert "marked DEMO" in result.stderr
    assert "set CAREPLAN_CLINIC_NAME and CAREPLAN_CLINIC_PHONE" in result.stderr
    pages = reader(out.read_bytes()).pages
    assert all("DEMO - not a real clinic" in page.extract_text() for page in pages)
    assert "call 999" in " ".join(page.extract_text() for page in pages)  # locale kept
    configured = run_command("plan", "careplan/example_intake.json", "--pdf", str(out),
                             env={"CAREPLAN_CLINIC_NAME": "Riverside Practice",
                                  "CAREPLAN_CLINIC_PHONE": "020 7946 0000"})
    assert configured.returncode == 0
    assert configured.stderr == ""
    text = " ".join(page.extract_text() for page in reader(out.read_bytes()).pages)
    assert "Riverside Practice, 020 7946 0000" in text
    assert "DEMO" not in text


_READ = re.compile(r"""environ(?:\.get)?\s*[\[(]\s*["']([A-Z_]+)["']|getenv\(\s*["']([A-Z_]+)""")
_ELSEWHERE = {"CAREPLAN_CACHE_DIR": "careplan/cache.py", "XDG_CACHE_HOME": "careplan/cache.py",
              "CAREPLAN_DEBUG": "careplan/cli.py", "USER": "careplan/cli.py"}


def environment_reads() -> dict[str, set[str]]:
    """Each environment variable the product's code reads, with the files that read it."""
    root = Path(__file__).resolve().parent.parent
    files = [*root.glob("careplan/**/*.py"), *root.glob("ui/*.py"), *root.glob("pages/*.py"),
             root / "app.py", root / "server.py"]
    found: dict[str, set[str]] = {}
    for path in files:
        for match in _READ.finditer(path.read_text("utf-8")):
            found.setdefault(match[1] or match[2], set()).add(
                path.relative_to(root).as_posix())
    return found


def test_settings_are_read_in_one_place_and_the_few_exceptions_are_named() -> None:
    """A variable read anywhere else drifts out of the table a deployer reads."""
    reads = environment_reads()
    assert {name for name in reads if name not in _ELSEWHERE} <= {"PYDANTIC_DISABLE_PLUGINS"}
    for name, files in reads.items():
        assert files == {_ELSEWHERE.get(name, "careplan/__main__.py")}, name
    # settings.py reads its KEYS in a loop, so the pattern above does not see them there
    assert "os.environ.get(key) for key in KEYS" in (
        Path(__file__).resolve().parent.parent / "careplan" / "settings.py").read_text("utf-8")


def test_every_variable_read_is_in_the_readme_settings_table() -> None:
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text("utf-8")
    table = readme.split("## Settings", 1)[1].split("\n## ", 1)[0]
    missing = {name for name in environment_reads()
               if name not in ("USER", "XDG_CACHE_HOME", "PYDANTIC_DISABLE_PLUGINS")
               and f"`{name}`" not in table and f"`{name.rsplit('_', 1)[0]}" not in table}
    assert missing == set()
