"""RFC 4180 CSV files of the landing zone: header checked, each record with the line it starts on."""

from __future__ import annotations

import csv
import hashlib
import io
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from landing.errors import BadInput, decode_utf8
from landing.values import LABEL


@dataclass
class Table:
    """A CSV's columns (every contract column, absent ones all None), record start lines and raw hashes."""

    columns: dict[str, list[str | None]]
    lines: list[int]
    raw_hashes: list[str]


def read_csv(path: Path, file: str, known: list[str], required: list[str]) -> Table:
    """Read `path` strictly: unknown, repeated or missing required header names and ragged rows are BadInput."""
    data = path.read_bytes()
    if not data.strip():
        raise BadInput(file, None, "empty file")
    text = decode_utf8(data, file)
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = [h.strip().lower() for h in next(reader)]
        for name in header:
            if name not in known:
                raise BadInput(file, "line 1", f"unknown column {name!r}")
            if header.count(name) > 1:
                raise BadInput(file, "line 1", f"column {name!r} repeats")
        for name in required:
            if name not in header:
                raise BadInput(file, "line 1", f"missing required column {name!r}")
        cols: list[list[str]] = [[] for _ in header]
        lines, hashes, start = [], [], reader.line_num + 1
        for row in reader:
            if row:  # a blank line is no record
                if len(row) != len(header):
                    raise BadInput(file, f"line {start}", f"expected {len(header)} fields, found {len(row)}")
                for values, v in zip(cols, row):
                    values.append(v)
                lines.append(start)
                # an unkeyed digest only until landing.idents.finish keys it: the record holds tax numbers
                hashes.append(hashlib.sha256("\x1f".join(row).encode()).hexdigest())
            start = reader.line_num + 1
    except csv.Error as exc:
        raise BadInput(file, f"line {reader.line_num}", f"not valid CSV: {exc}") from None
    by_name = dict(zip(header, cols))
    empty = [None] * len(lines)
    return Table({name: by_name.get(name, empty) for name in known}, lines, hashes)


def labelled_frame(path: Path, file: str, known: list[str], required: list[str], id_column: str) -> pl.DataFrame:
    """The CSV as strings with record_no, raw_hash and a label naming each record by its line and id."""
    table = read_csv(path, file, known, required)
    raw = pl.DataFrame(table.columns, schema={c: pl.String for c in known}).with_columns(
        record_no=pl.Series(table.lines, dtype=pl.Int64), raw_hash=pl.Series(table.raw_hashes, dtype=pl.String)
    )
    key = pl.col(id_column).str.strip_chars()
    return raw.with_columns(
        pl.when(key.str.len_chars() > 0)
        .then(pl.format("line {} ({}={})", "record_no", pl.lit(id_column), key))
        .otherwise(pl.format("line {}", "record_no"))
        .alias(LABEL)
    )


def check_records(raw: pl.DataFrame, file: str, key: list[str], required: list[str]) -> None:
    """Each record has its required fields and a key unique in the file; else BadInput naming the line."""
    present = [pl.col(c).str.strip_chars().str.len_chars().fill_null(0) > 0 for c in required]
    missing = raw.with_row_index("_i").filter(~pl.all_horizontal(present))
    if missing.height:
        row = missing.row(0, named=True)
        name = next(c for c in required if not (row[c] or "").strip())
        raise BadInput(file, row[LABEL], f"missing {name}")
    keys = [pl.col(c).str.strip_chars() for c in key]
    repeats = raw.with_columns(_first=pl.struct(keys).is_first_distinct()).filter(~pl.col("_first"))
    if repeats.height:
        row = repeats.row(0, named=True)
        what = ", ".join(f"{c}={row[c].strip()}" for c in key)
        raise BadInput(file, row[LABEL], f"{what} repeats an earlier record")
