"""The exception tree is complete and drawn: every error the package raises on purpose is
defined in ``careplan/errors.py``, derives from ``CareplanError``, and appears in the tree
at the top of that module under its own base (httpx's ``_exceptions.py`` habit)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import careplan
from careplan import errors

PACKAGE = Path(careplan.__file__).parent
_ENTRY = re.compile(r"^(?P<indent>.*?)(?:[├└]── )?(?P<name>\w+Error)\b")


def drawn_tree() -> dict[str, str | None]:
    """Each error named in the docstring tree, mapped to its parent (None for the root)."""
    doc = errors.__doc__ or ""
    parents: dict[str, str | None] = {}
    stack: list[tuple[int, str]] = []  # (column of the name, name), outermost first
    for line in doc.splitlines():
        match = _ENTRY.match(line)
        if match is None or not line.strip().startswith(("CareplanError", "├", "└", "│")):
            continue
        column = match.start("name")
        while stack and stack[-1][0] >= column:
            stack.pop()
        parents[match["name"]] = stack[-1][1] if stack else None
        stack.append((column, match["name"]))
    return parents


def test_every_error_class_is_defined_in_errors_py() -> None:
    elsewhere = [
        f"{path.relative_to(PACKAGE)}: {node.name}"
        for path in sorted(PACKAGE.rglob("*.py")) if path.name != "errors.py"
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.ClassDef) and node.name.endswith("Error")
    ]
    assert elsewhere == [], "define these in careplan/errors.py and draw them in its tree"


def test_every_error_derives_from_careplan_error_and_is_drawn_under_its_base() -> None:
    defined = {name: value for name, value in vars(errors).items()
               if isinstance(value, type) and issubclass(value, Exception)
               and value.__module__ == errors.__name__}
    tree = drawn_tree()
    assert set(tree) == set(defined), "the drawn tree and the classes differ"
    assert tree["CareplanError"] is None
    for name, cls in defined.items():
        assert issubclass(cls, errors.CareplanError), name
        if name != "CareplanError":
            own_bases = [b.__name__ for b in cls.__bases__ if issubclass(b, errors.CareplanError)]
            assert own_bases == [tree[name]], f"{name} is drawn under {tree[name]}"
        assert (cls.__doc__ or "").strip(), f"{name} has no docstring"


def test_the_tree_reader_sees_nesting() -> None:
    tree = drawn_tree()
    assert tree["StorageError"] == "CareplanError"
    assert tree["ConflictError"] == "StorageError"
    assert tree["AccountCommandError"] == "AccountError"
