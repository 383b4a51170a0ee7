"""The public API is deliberate: sorted, importable, documented (httpx's guard)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import careplan

PACKAGE = Path(careplan.__file__).parent


def test_all_is_sorted_and_importable() -> None:
    assert careplan.__all__ == sorted(careplan.__all__)
    for name in careplan.__all__:
        assert getattr(careplan, name) is not None


def test_every_public_name_has_a_docstring() -> None:
    for name in careplan.__all__:
        assert (getattr(careplan, name).__doc__ or "").strip(), name


def test_domain_package_never_imports_streamlit() -> None:
    for path in PACKAGE.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            assert not any(n.split(".")[0] == "streamlit" for n in names), path


def test_every_public_name_has_a_home() -> None:
    # Loaded on first use (careplan.__getattr__): each name from the module it lives in.
    assert sorted(careplan._HOME) == careplan.__all__
    with pytest.raises(AttributeError, match="no_such_name"):
        careplan.__getattr__("no_such_name")


def test_storage_exports_each_public_name_of_its_modules() -> None:
    """Callers write ``storage.get_draft``: the package re-exports what its modules define."""
    from careplan import storage

    defined: set[str] = set()
    for path in (PACKAGE / "storage").glob("*.py"):
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.FunctionDef | ast.ClassDef):
                defined.add(node.name)
            elif isinstance(node, ast.Assign):
                defined.update(t.id for t in node.targets if isinstance(t, ast.Name))
            elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
                defined.add(node.target.id)
    public = {name for name in defined if not name.startswith("_")}
    assert sorted(public) == sorted(storage.__all__)
    for name in storage.__all__:
        assert getattr(storage, name) is not None
