"""The README's module map matches the tree (datasette's test_docs idea): every module and
package of ``careplan/`` and ``ui/`` is named by its path, and every path named exists."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("careplan", "ui")


def module_map() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    return readme.split("## Module map", 1)[1].split("\n## ", 1)[0]


def named_paths() -> set[str]:
    """Paths in backticks: ``careplan/intake/model.py``, ``careplan/clinical/rules/``."""
    return set(re.findall(r"`((?:careplan|ui|pages)/(?:[\w/]*?(?:\.py|/))?)`", module_map()))


def tree() -> set[str]:
    found: set[str] = set()
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            if "__pycache__" in path.parts:
                continue
            relative = path.relative_to(ROOT)
            if path.name == "__init__.py":
                found.add(f"{relative.parent.as_posix()}/")
            else:
                found.add(relative.as_posix())
    return found


def test_the_module_map_names_every_module_and_package() -> None:
    missing = tree() - named_paths()
    assert not missing, f"add to the README's module map: {sorted(missing)}"


def test_every_path_in_the_module_map_exists() -> None:
    stale = {name for name in named_paths() if not (ROOT / name).exists()}
    assert not stale, f"the README's module map names what does not exist: {sorted(stale)}"
