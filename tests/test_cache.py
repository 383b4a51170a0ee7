"""The on-disk cache of the rule base: reused only for the same sources, never a failure."""

from __future__ import annotations

import shutil
from datetime import date
from importlib import resources
from pathlib import Path
from types import SimpleNamespace

import pytest

from careplan import cache
from careplan.clinical.rules import load_rule_base, loader


@pytest.fixture
def cache_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv("CAREPLAN_CACHE_DIR", str(folder))
    return folder


@pytest.fixture
def rules_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The loader reads its files from a copy of the shipped rules folder, to be edited."""
    shipped = Path(str(resources.files("careplan.clinical.rules")))
    copy = tmp_path / "rules"
    shutil.copytree(shipped, copy, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(loader, "resources", SimpleNamespace(files=lambda _package: copy))
    return copy


def _entries(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_the_cached_rule_base_is_the_checked_one(cache_folder: Path) -> None:
    first = loader.shipped_rule_base()  # checks the files and writes the entry
    assert [name.split("-")[0] for name in _entries(cache_folder)] == ["rulebase"]
    second = loader.shipped_rule_base()  # read back from the entry
    assert second == first == load_rule_base()
    assert second is not first


def test_a_changed_rule_file_changes_the_key_and_is_not_served_stale(
    cache_folder: Path, rules_copy: Path
) -> None:
    before_key = loader.rule_base_key()
    before = loader.shipped_rule_base()
    path = rules_copy / "self_care.toml"
    path.write_text(path.read_text("utf-8").replace(
        'title = "Stay active; no bed rest"', 'title = "Keep moving; no bed rest"', 1), "utf-8")
    assert loader.rule_base_key() != before_key
    after = loader.shipped_rule_base()
    titles = {rule.title for rule in after.rules}
    assert "Keep moving; no bed rest" in titles
    assert "Stay active; no bed rest" not in titles
    assert after.digest != before.digest
    assert len(_entries(cache_folder)) == 1  # the entry for the old files is gone


def test_a_changed_checker_changes_the_key(rules_copy: Path) -> None:
    before = loader.rule_base_key()
    checker = rules_copy / "conditions.py"
    checker.write_text(checker.read_text("utf-8") + "\n# a change\n", "utf-8")
    assert loader.rule_base_key() != before


def test_an_unwritable_cache_folder_still_gives_the_rule_base(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder", "utf-8")
    monkeypatch.setenv("CAREPLAN_CACHE_DIR", str(blocker / "cache"))  # cannot be made
    assert loader.shipped_rule_base() == load_rule_base()
    assert blocker.read_text("utf-8") == "not a folder"


def test_a_damaged_entry_is_rebuilt(cache_folder: Path) -> None:
    calls: list[int] = []

    def build() -> dict[str, int]:
        calls.append(1)
        return {"answer": 42}

    assert cache.cached("thing", "0" * 64, build) == {"answer": 42}
    (entry,) = cache_folder.iterdir()
    entry.write_bytes(b"not a pickle")
    assert cache.cached("thing", "0" * 64, build) == {"answer": 42}
    assert cache.cached("thing", "0" * 64, build) == {"answer": 42}
    assert len(calls) == 2  # built, rebuilt after the damage, then read


def test_a_folder_owned_by_someone_else_is_not_read(
    cache_folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache.cached("thing", "1" * 64, lambda: "mine")
    monkeypatch.setattr("os.getuid", lambda: 12345)
    assert cache.cached("thing", "1" * 64, lambda: "rebuilt") == "rebuilt"


def test_the_digest_separates_its_parts() -> None:
    assert cache.digest(["ab", "c"]) != cache.digest(["a", "bc"])
    assert cache.digest([b"x"]) == cache.digest(["x"])


def test_the_folder_follows_xdg(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("CAREPLAN_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert cache.cache_dir() == tmp_path / cache.FOLDER_NAME


def test_a_cached_font_prints_the_same_pdf(
    cache_folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from reportlab.pdfbase import pdfmetrics

    from careplan.clinical.engine import build_plan
    from careplan.documents import pdf
    from factories import make_intake

    plan = build_plan(intake=make_intake(), today=date(2026, 11, 25))

    registered: dict[str, object] = vars(pdfmetrics)["_fonts"]

    def fresh_pdf() -> bytes:
        for name in pdf._FACES:  # as a new process: no face registered yet
            monkeypatch.delitem(registered, name, raising=False)
        pdf._register_fonts.cache_clear()
        pdf._register_obliques.cache_clear()
        return pdf.patient_pdf(plan)

    parsed = fresh_pdf()  # parses the fonts and writes the entries
    fonts = [p.name.rpartition("-")[0] for p in cache_folder.glob("font_*")]
    assert sorted(fonts) == ["font_DejaVuSans", "font_DejaVuSans-Bold"]
    assert fresh_pdf() == parsed  # read from the entries


def test_a_changed_font_file_is_parsed_again(cache_folder: Path, tmp_path: Path) -> None:
    from reportlab.pdfbase.ttfonts import TTFont

    from careplan.documents import pdf

    shipped = Path(str(resources.files("careplan.documents") / "fonts" / "DejaVuSans.ttf"))
    copy = tmp_path / "face.ttf"
    shutil.copy(shipped, copy)
    first = pdf._font("DejaVuSans", copy)
    shutil.copy(shipped.with_name("DejaVuSans-Bold.ttf"), copy)  # other bytes, same path
    second = pdf._font("DejaVuSans", copy)
    assert first.face.name != second.face.name
    assert second.face.name == TTFont("x", str(copy)).face.name
