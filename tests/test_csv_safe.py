"""CSV cells that could run as formulas are neutralised; numbers are untouched."""

from __future__ import annotations

import csv
import io

import pytest
from hypothesis import given
from hypothesis import strategies as st

from careplan.documents.csv_safe import TRIGGERS, neutralise, to_csv


@pytest.mark.parametrize("cell", ['=HYPERLINK("http://x")', "+1", "@SUM(1)", "\t=1", "\r=1",
                                  "-2+3", "  =1+1", "\uff1d1+1", "\u00a0=1+1", "\u3000@SUM(1)",
                                  "\uff0bcmd", "\u2007-1"])
def test_formula_cells_get_an_apostrophe(cell: str) -> None:
    assert neutralise(cell) == "'" + cell


def test_numbers_and_plain_text_are_untouched() -> None:
    assert neutralise(-3) == -3
    assert neutralise(2.5) == 2.5
    assert neutralise("O'Brien") == "O'Brien"


@given(st.lists(st.lists(st.one_of(st.text(), st.integers()), min_size=1, max_size=4),
                max_size=5))
def test_no_text_cell_starts_with_a_trigger(rows: list[list[object]]) -> None:
    text = to_csv(["a", "b", "c", "d"], rows)
    for row in csv.reader(io.StringIO(text, newline="")):
        for cell in row:
            assert not cell.lstrip(" ").startswith(TRIGGERS) or cell.lstrip("-").isdigit()
