"""Every third-party module the product imports is a declared runtime requirement.

A package that only arrives as another package's dependency (Pillow came with
streamlit) can disappear or change under us; requirements.txt names what we use.
"""

from __future__ import annotations

import ast
import re
import sys
from importlib.metadata import packages_distributions
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PRODUCT = [ROOT / "app.py", *sorted((ROOT / "ui").glob("*.py")),
           *sorted((ROOT / "pages").glob("*.py")), *sorted((ROOT / "careplan").rglob("*.py"))]
FIRST_PARTY = {"careplan", "ui"}
# Modules that come with a declared package at the exact version it pins.
PROVIDED_BY = {"pydantic_core": "pydantic"}


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def imported_modules() -> set[str]:
    found: set[str] = set()
    for path in PRODUCT:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                found.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                found.add(node.module.split(".")[0])
    return found - set(sys.stdlib_module_names) - FIRST_PARTY - {"__future__"}


def declared() -> set[str]:
    names = set()
    for line in (ROOT / "requirements.txt").read_text(encoding="utf-8").splitlines():
        match = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", line.split("#")[0])
        if match:
            names.add(_normal(match[1]))
    return names


def test_every_imported_package_is_in_requirements() -> None:
    owners = {**packages_distributions(), **{m: [p] for m, p in PROVIDED_BY.items()}}
    missing = {
        module: owners.get(module, ["(not installed)"])
        for module in sorted(imported_modules())
        if not {_normal(d) for d in owners.get(module, [])} & declared()
    }
    assert missing == {}, "add these to requirements.txt"


def test_the_check_sees_pil() -> None:
    assert "PIL" in imported_modules()
    assert "pillow" in declared()
