"""The README's module map names every module of the package (datasette's test_docs idea)."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_module_map_names_every_module() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Module map", 1)[1].split("\n## ", 1)[0]
    named = set(re.findall(r"`([a-z_]+(?:\.py|/))`", section))
    package = ROOT / "careplan"
    modules = {p.name for p in package.glob("*.py") if p.name != "__init__.py"}
    folders = {f"{p.name}/" for p in package.iterdir() if (p / "__init__.py").exists()}
    missing = (modules | folders) - named
    assert not missing, f"add to the README's module map: {sorted(missing)}"
    dashboard = {"app.py"} | {p.name for p in (ROOT / "ui").glob("*.py")}
    stale = {n for n in named if n.endswith(".py") and n not in modules
             and n not in dashboard and not any(package.glob(f"*/{n}"))}
    assert not stale, f"the README's module map names modules that do not exist: {sorted(stale)}"
