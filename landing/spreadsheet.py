"""Text a spreadsheet would evaluate: the escaping every CSV the project writes uses, its exact inverse,
and the tests of a value for formula-like or control characters (quality and survivorship use them).

A cell that starts with `=`, `+`, `-`, `@` (or their full-width or small forms), a tab or a carriage return is
a formula to Excel, LibreOffice and Google Sheets; it is written with a leading apostrophe, which
they show as text. A cell that already starts with an apostrophe gets one more, so reading a file
back (`unescape_*`) restores exactly what was written, whatever it held.
"""

from __future__ import annotations

import polars as pl

__all__ = [
    "TRIGGERS", "escape_cell", "unescape_cell", "escape_frame", "unescape_frame",
    "formula_like", "has_control_chars", "unsafe_text",
]  # fmt: skip

# what makes a spreadsheet evaluate a cell, full-width and small forms included (the small ones, U+FE62/63/66/6B,
# written as no spreadsheet is known to read them: QA, session 30 could not rule it out)
TRIGGERS = "=+-@\t\r\uff1d\uff0b\uff0d\uff20\ufe62\ufe63\ufe66\ufe6b"
_ESCAPED = TRIGGERS + "'"
_NEEDS = "^[" + "".join(f"\\x{{{ord(c):x}}}" for c in _ESCAPED) + "]"
_ESCAPED_RE = "^'[" + "".join(f"\\x{{{ord(c):x}}}" for c in _ESCAPED) + "]"
_FORMULA = "^[" + "".join(f"\\x{{{ord(c):x}}}" for c in TRIGGERS) + "]"
# C0 and C1 controls (tab, CR and LF included), DEL, and bidirectional overrides that reorder what a reader sees
_CONTROL = r"[\x00-\x1f\x7f-\x9f\x{202a}-\x{202e}\x{2066}-\x{2069}]"


def escape_cell(value: str | None) -> str | None:
    """One cell as it is written: a leading apostrophe before a trigger (or an apostrophe)."""
    if value and value[0] in _ESCAPED:
        return "'" + value
    return value


def unescape_cell(value: str | None) -> str | None:
    """The exact inverse of escape_cell."""
    if value and len(value) > 1 and value[0] == "'" and value[1] in _ESCAPED:
        return value[1:]
    return value


def _text_columns(frame: pl.DataFrame) -> list[str]:
    return [c for c, t in frame.schema.items() if t == pl.String]


def escape_frame(frame: pl.DataFrame) -> pl.DataFrame:
    """Every text column, and every column's name, escaped with escape_cell (vectorised); write the result with any
    CSV writer.

    Categorical and Enum columns (DuckDB's ENUM) are written as the text they are, so they are escaped as text."""
    names = frame.columns
    # by position: a query's column may be named `*` or `^x$`, which pl.col reads as all columns or a pattern
    frame = frame.rename({c: f"_{i}" for i, c in enumerate(names)})
    coded = [c for c, t in frame.schema.items() if isinstance(t, pl.Categorical | pl.Enum)]
    frame = frame.with_columns(pl.col(c).cast(pl.String) for c in coded)
    escaped = frame.with_columns(
        pl.when(pl.col(c).str.contains(_NEEDS)).then(pl.concat_str(pl.lit("'"), pl.col(c))).otherwise(pl.col(c)).alias(c)
        for c in _text_columns(frame)
    )
    # the header row too: a query's column may be named from the data (`pivot ... on name`; found by QA, session 29)
    return escaped.rename({f"_{i}": escape_cell(c) for i, c in enumerate(names)})


def unescape_frame(frame: pl.DataFrame) -> pl.DataFrame:
    """Every text column, and every column's name, unescaped (a CSV read back with infer_schema=False): the exact
    inverse of escape_frame."""
    names = [unescape_cell(c) for c in frame.columns]
    frame = frame.rename({c: f"_{i}" for i, c in enumerate(frame.columns)})
    unescaped = frame.with_columns(
        pl.when(pl.col(c).str.contains(_ESCAPED_RE)).then(pl.col(c).str.slice(1)).otherwise(pl.col(c)).alias(c)
        for c in _text_columns(frame)
    )
    return unescaped.rename({f"_{i}": c for i, c in enumerate(names)})


def formula_like(expr: pl.Expr) -> pl.Expr:
    """True where the text starts with a formula trigger (after no trimming: a spreadsheet does none)."""
    return expr.str.contains(_FORMULA).fill_null(False)


def has_control_chars(expr: pl.Expr) -> pl.Expr:
    """True where the text holds a control character or a bidirectional override."""
    return expr.str.contains(_CONTROL).fill_null(False)


# the same without tab and line breaks, which are text (a multi-line name in a quoted CSV cell, as RFC 4180 allows)
_CONTROL_NOT_TEXT = r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\x{202a}-\x{202e}\x{2066}-\x{2069}]"


def has_non_text_controls(expr: pl.Expr) -> pl.Expr:
    """True where the text holds a control character other than a tab or a line break, or a bidirectional override:
    what the gate blocks (QA, session 35: a Tax client_name written over two lines blocked its whole practice)."""
    return expr.str.contains(_CONTROL_NOT_TEXT).fill_null(False)


def unsafe_text(expr: pl.Expr) -> pl.Expr:
    """True where the text is formula-like or holds control characters: never preferred over a clean value."""
    return formula_like(expr) | has_control_chars(expr)
