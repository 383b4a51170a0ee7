"""The ui package's front: ``import ui`` gives the pages every name they call, from a
sorted ``__all__``, so the modules behind it can move without touching a page.

Read from the source (no import): importing ui starts Streamlit's caches outside a run.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
UI = ROOT / "ui"


def exported() -> list[str]:
    tree = ast.parse((UI / "__init__.py").read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets):
            value = ast.literal_eval(node.value)
            assert isinstance(value, list)
            return [str(name) for name in value]
    raise AssertionError("ui/__init__.py has no __all__")


def test_all_is_sorted() -> None:
    assert exported() == sorted(exported())


def test_every_ui_name_the_pages_use_is_exported() -> None:
    submodules = {p.stem for p in UI.glob("*.py")}
    used = {name for path in [ROOT / "app.py", *sorted((ROOT / "pages").glob("*.py"))]
            for name in re.findall(r"\bui\.(\w+)", path.read_text(encoding="utf-8"))}
    missing = used - set(exported()) - submodules
    assert not missing, f"add to ui/__init__.py's __all__: {sorted(missing)}"
