"""Batch mode of the headless command: many intakes, one process, the same files as one by one."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from factories import EXAMPLE_PATH, apply, example_data
from factories import run_command as run

TODAY = "2026-11-25"


def test_each_intake_gives_the_files_the_single_command_gives(tmp_path: Path) -> None:
    first, second = tmp_path / "first.json", tmp_path / "second.json"
    shutil.copy(EXAMPLE_PATH, first)
    second.write_text(json.dumps(apply(example_data(), {"red_flags.dark_urine": True})), "utf-8")
    out = tmp_path / "out"
    out.mkdir()
    result = run("plan", first, second, "--out-dir", out, "--today", TODAY)
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    assert sorted(p.name for p in out.iterdir()) == [
        "first.pdf", "first.plan.json", "second.pdf", "second.plan.json"]
    for name in ("first", "second"):
        single_pdf, single_json = tmp_path / f"{name}-single.pdf", tmp_path / f"{name}-single.json"
        done = run("plan", tmp_path / f"{name}.json", "--pdf", single_pdf, "--json", single_json,
                   "--today", TODAY)
        assert done.returncode == 0, done.stderr
        assert (out / f"{name}.pdf").read_bytes() == single_pdf.read_bytes()
        assert (out / f"{name}.plan.json").read_bytes() == single_json.read_bytes()
    assert "RF-RHABDO" in (out / "second.plan.json").read_text("utf-8")


def test_one_bad_intake_writes_nothing_and_names_its_file(tmp_path: Path) -> None:
    good, bad = tmp_path / "good.json", tmp_path / "bad.json"
    shutil.copy(EXAMPLE_PATH, good)
    bad.write_text(json.dumps(apply(example_data(), {"history.pain_now": 11})), "utf-8")
    out = tmp_path / "out"
    out.mkdir()
    result = run("plan", good, bad, "--out-dir", out, "--today", TODAY)
    assert result.returncode == 2
    assert f"{bad}: history.pain_now" in result.stderr
    assert list(out.iterdir()) == []


def test_several_intakes_need_an_out_dir_and_distinct_names(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    one, two = tmp_path / "a" / "x.json", tmp_path / "b" / "x.json"
    shutil.copy(EXAMPLE_PATH, one)
    shutil.copy(EXAMPLE_PATH, two)
    no_dir = run("plan", one, EXAMPLE_PATH, "--pdf", tmp_path / "p.pdf")
    assert no_dir.returncode == 2
    assert "--out-dir" in no_dir.stderr
    same = run("plan", one, two, "--out-dir", tmp_path)
    assert same.returncode == 2
    assert "same file name" in same.stderr
    assert not (tmp_path / "p.pdf").exists()
    assert not (tmp_path / "x.pdf").exists()
