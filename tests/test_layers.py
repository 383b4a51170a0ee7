"""The layers hold: each heavy or outward-facing library is imported by the few modules that
own it, and the pages reach the database only through the use cases.

Imports are read from the source (every ``import`` anywhere in a module, including inside
functions), except those under ``if TYPE_CHECKING:``, which never run.
"""

from __future__ import annotations

import ast
from fnmatch import fnmatch
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ("careplan", "pages", "migrations", "app.py", "server.py", "ui")

# What may import each guarded module or library (module names; * matches within a name).
OWNERS: dict[str, tuple[str, ...]] = {
    # the storage layer: the use cases, the commands, the migrations
    "careplan.storage": ("careplan.database", "careplan.actions", "careplan.visits",
                         "careplan.patients", "careplan.admin", "careplan.accounts",
                         "careplan.access",
                         "careplan.demo", "careplan.cli", "migrations.*"),
    "careplan.database": ("ui.state", "careplan.cli", "careplan.demo"),
    # inside the storage package, the module that needs each one: Alembic runs the migrations
    # (db), pandas draws the History frame (history)
    "sqlalchemy": ("careplan.storage", "careplan.storage.*", "migrations.*"),
    "alembic": ("careplan.storage.db", "migrations.*"),
    "pandas": ("careplan.storage.history", "pages.5_History", "pages.6_Admin"),
    "reportlab": ("careplan.documents.pdf",),
    "fhir": ("careplan.fhir", "careplan.fhir.*"),
    "streamlit": ("app", "server", "ui", "ui.*", "pages.*"),
    # the HTTP routes around the dashboard (the session cookie, downloads kept by no one)
    "starlette": ("ui.http",),
    "streamlit_image_coordinates": ("pages.2_Intake",),
    "PIL": ("ui.bodymap",),
    "argon2": ("careplan.accounts",),
    # the clinical core runs inside the use cases and the commands, never straight from a
    # page, and never inside storage: storage receives the intake, plan and scores it stores
    "careplan.clinical.engine": ("careplan", "careplan.clinical.*", "careplan.visits",
                                 "careplan.cli", "careplan.demo", "careplan.documents.report",
                                 "careplan.fhir._importer"),
    "careplan.clinical.drafts": ("careplan.visits", "careplan.demo"),
    "careplan.intake.validation": ("careplan", "careplan.intake", "careplan.intake.*",
                                   "careplan.clinical.*", "careplan.visits", "careplan.cli",
                                   "careplan.demo", "careplan.fhir._importer"),
}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def runtime_imports(tree: ast.Module) -> set[str]:
    """Every module imported when the code runs (``TYPE_CHECKING`` blocks left out)."""
    skipped: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skipped.update(id(child) for block in node.body for child in ast.walk(block))
    found: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def sources() -> dict[str, set[str]]:
    files: list[Path] = []
    for name in SOURCES:
        path = ROOT / name
        files.extend(sorted(path.rglob("*.py")) if path.is_dir() else [path])
    return {module_name(f): runtime_imports(ast.parse(f.read_text("utf-8"))) for f in files}


def guarded_by(imported: str) -> str | None:
    """The guarded name ``imported`` falls under (the longest match), if any."""
    matches = [g for g in OWNERS if imported == g or imported.startswith(f"{g}.")]
    return max(matches, key=len, default=None)


def forbidden(module: str, imported: str) -> bool:
    """Whether ``module`` may not import ``imported`` (a guarded name it does not own)."""
    guard = guarded_by(imported)
    return (guard is not None and module != guard and not module.startswith(f"{guard}.")
            and not any(fnmatch(module, owner) for owner in OWNERS[guard]))


def test_each_guarded_import_comes_from_its_owners_only() -> None:
    wrong = sorted(
        f"{module} imports {imported}"
        for module, imports in sources().items()
        for imported in imports
        if forbidden(module, imported)
    )
    assert wrong == [], "import these through the layer that owns them (tests/test_layers.py)"


@pytest.mark.parametrize(("module", "imported", "expected"), [
    ("pages.2_Intake", "careplan.storage", "careplan.storage"),
    ("ui.fields", "careplan.storage.Draft", "careplan.storage"),
    ("ui.fields", "careplan.storage.visits", "careplan.storage"),
    ("careplan.visits", "sqlalchemy.orm", "sqlalchemy"),
    ("pages.1_Patients", "streamlit_image_coordinates", "streamlit_image_coordinates"),
    ("careplan.clinical.plan", "careplan.clinical.plan", None),
])
def test_the_guard_reads_names_as_meant(module: str, imported: str, expected: str | None) -> None:
    assert guarded_by(imported) == expected


@pytest.mark.parametrize(("module", "imported"), [
    ("careplan.storage.visits", "careplan.clinical.engine"),  # storage stores, never builds
    ("careplan.storage.plans", "careplan.clinical.drafts.preview"),
    ("careplan.storage", "careplan.intake.validation"),
    ("pages.3_Care_plan", "careplan.clinical.engine"),
    ("ui.fields", "careplan.storage"),
])
def test_the_guard_refuses_an_upward_or_sideways_import(module: str, imported: str) -> None:
    assert forbidden(module, imported)


def test_the_guard_lets_the_use_cases_run_the_engine() -> None:
    assert not forbidden("careplan.visits", "careplan.clinical.engine")
    assert not forbidden("careplan.clinical.drafts", "careplan.clinical.engine")


def test_the_guard_skips_type_checking_imports_only() -> None:
    tree = ast.parse(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from sqlalchemy.orm import Session\n"
        "def f() -> None:\n    import pandas\n"
    )
    assert runtime_imports(tree) == {"typing", "typing.TYPE_CHECKING", "pandas"}


def test_every_owner_exists() -> None:
    """An owner renamed away would leave a rule guarding nothing."""
    modules = set(sources())
    for owners in OWNERS.values():
        for owner in owners:
            assert any(fnmatch(m, owner) for m in modules), owner
