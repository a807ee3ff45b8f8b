"""Spreadsheet-safe CSV cells: escaped on the way out, exactly restored on the way back, whatever the text."""

from __future__ import annotations

import io

import polars as pl
from hypothesis import example, given, settings
from hypothesis import strategies as st

from landing.spreadsheet import TRIGGERS, escape_cell, escape_frame, formula_like, unescape_cell, unescape_frame

# text that starts with the interesting characters often, anything else too
CELLS = st.one_of(
    st.none(),
    st.text(st.characters(blacklist_categories=["Cs"], blacklist_characters="\x00")),
    st.builds(lambda a, b: a + b, st.sampled_from([*TRIGGERS, "'", "''", "'=", " ="]), st.text(max_size=8)),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(CELLS, min_size=1, max_size=8))
def test_csv_round_trip_restores_every_cell_exactly(cells):
    frame = pl.DataFrame({"text": cells, "n": list(range(len(cells)))}, schema={"text": pl.String, "n": pl.Int64})
    buf = io.BytesIO()
    escape_frame(frame).write_csv(buf)
    back = unescape_frame(pl.read_csv(io.BytesIO(buf.getvalue()), infer_schema=False))
    assert back["text"].to_list() == cells
    # the vectorised and the per-cell forms are one function
    assert escape_frame(frame)["text"].to_list() == [escape_cell(c) for c in cells]
    assert [unescape_cell(escape_cell(c)) for c in cells] == cells


@settings(max_examples=300, deadline=None)
@given(CELLS)
def test_no_escaped_cell_starts_with_a_trigger(cell):
    out = escape_cell(cell)
    assert not (out and out[0] in TRIGGERS)
    if cell and cell[0] in TRIGGERS:
        assert out == "'" + cell


def test_formula_like_covers_the_owasp_list_and_full_width_forms():
    cells = ["=1+1", "+1", "-1", "@SUM(1)", "\t=1", "\r=1", "\uff1d1", "\ufe661", "\ufe621", "Smith", " =1", "1-2", "'=1"]
    got = pl.DataFrame({"c": cells}).select(formula_like(pl.col("c")))["c"].to_list()
    assert got == [True] * 9 + [False] * 4


def test_categorical_and_enum_text_is_escaped_like_any_text():
    """A text column DuckDB hands over as ENUM (an analyst's cast) or Polars as a category is text in the CSV too."""
    frame = pl.DataFrame({
        "cat": pl.Series(["=HYPERLINK(\"x\")", "ok"], dtype=pl.Categorical),
        "enum": pl.Series(["@SUM(1)", "ok"], dtype=pl.Enum(["@SUM(1)", "ok"])),
        "n": [-1, 2],
    })  # fmt: skip
    written = pl.read_csv(io.StringIO(escape_frame(frame).write_csv()), infer_schema=False)
    assert written.rows() == [("'=HYPERLINK(\"x\")", "'@SUM(1)", "-1"), ("ok", "ok", "2")]


@settings(max_examples=200, deadline=None)
@example(["_1", "*", "^a$", "=x"])  # names polars reads as all columns or a pattern, and one taking another's place
@given(st.lists(st.text(st.characters(blacklist_categories=["Cs"], blacklist_characters="\x00\r\n\""), min_size=1, max_size=8)
                .filter(lambda t: t.strip() == t), min_size=1, max_size=5, unique=True))  # fmt: skip
def test_column_names_are_escaped_too_and_restored_exactly(names):
    """Found by QA (session 29): `scr query "pivot ... on name" -f csv` put client names such as `=Claark, Ruby` in the
    header row as written; a column's name is a cell of the header row and is escaped like any cell."""
    frame = pl.DataFrame({n: ["x"] for n in names})
    escaped = escape_frame(frame)
    assert escaped.columns == [escape_cell(n) for n in names]
    assert not any(c[0] in TRIGGERS for c in escaped.columns)
    buf = io.BytesIO()
    escaped.write_csv(buf)
    assert unescape_frame(pl.read_csv(io.BytesIO(buf.getvalue()), infer_schema=False)).columns == names
