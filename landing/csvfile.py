"""RFC 4180 CSV files of the landing zone: header checked, each record with the line it starts on; records checked per batch."""

from __future__ import annotations

import csv
import hashlib
import io
import logging
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from landing.errors import BadInput, Failures, decode_utf8, redact
from landing.values import LABEL, PRACTICE, RECORD_NO

# a field may be as long as a text node of xpm_clients.xml may be (libxml2's limit): Python's csv refuses fields over
# 128 KB by default, which is valid CSV (a long note) refused; the whole file is in memory anyway
FIELD_LIMIT = 10_000_000
csv.field_size_limit(max(csv.field_size_limit(), FIELD_LIMIT))
log = logging.getLogger("scr.landing")
IGNORED = "ignored"  # the raw table naming a file's columns the contract does not name (one row per column)


@dataclass
class Table:
    """A CSV's columns (every contract column, absent ones all None), record start lines, raw hashes and the names of
    the columns it has that the contract does not name (ignored: their values are never kept, nor hashed)."""

    columns: dict[str, list[str | None]]
    lines: list[int]
    raw_hashes: list[str]
    ignored: list[str]


def read_csv(path: Path, file: str, known: list[str], required: list[str], digests: bool = True) -> Table:
    """Read `path` strictly: repeated or missing required header names and ragged rows are BadInput. A column the
    contract does not name is ignored, as the XML and JSON readers ignore unknown elements and keys (an export tool
    adds columns between versions; found by QA, session 33: one extra column failed the whole practice)."""
    data = path.read_bytes()
    if not data.strip():
        raise BadInput(file, None, "empty file")
    text = decode_utf8(data, file)
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        first = next(reader, None)
        if first is None:  # a byte order mark alone: nothing after it, not even a header
            raise BadInput(file, None, "empty file (no header row)")
        header = [h.strip().lower() for h in first]
        for sep, kind in ((";", "semicolons"), ("\t", "tabs")):  # a spreadsheet's other "CSV": said, not quoted whole
            if len(header) == 1 and set(header[0].split(sep)) & set(required):
                raise BadInput(file, "line 1", f"columns separated by {kind}, not commas: save it as CSV UTF-8 (comma delimited)")
        for name in header:
            if header.count(name) > 1:
                raise BadInput(file, "line 1", f"column {name!r} repeats")
        for name in required:
            if name not in header:
                raise BadInput(file, "line 1", f"missing required column {name!r}")
        keep = [i for i, name in enumerate(header) if name in known]
        cols: list[list[str]] = [[] for _ in keep]
        lines, hashes, start = [], [], reader.line_num + 1
        for row in reader:
            if row:  # a blank line is no record
                if len(row) != len(header):
                    raise BadInput(file, f"line {start}", f"expected {len(header)} fields, found {len(row)}")
                kept = [row[i] for i in keep]
                for values, v in zip(cols, kept):
                    values.append(v)
                lines.append(start)
                if digests:  # an unkeyed digest only until landing.idents.finish keys it: the record holds tax numbers
                    hashes.append(hashlib.sha256("\x1f".join(kept).encode()).hexdigest())
            start = reader.line_num + 1
    except csv.Error as exc:
        raise BadInput(file, f"line {reader.line_num}", f"not valid CSV: {exc}") from None
    by_name = dict(zip([header[i] for i in keep], cols))
    empty = [None] * len(lines)
    ignored = [name for name in header if name not in known]
    return Table({name: by_name.get(name, empty) for name in known}, lines, hashes, ignored)


def tables(path: Path, file: str, known: list[str], required: list[str], digests: bool = True) -> dict[str, dict[str, list]]:
    """The CSV's raw column lists as table "table" (every contract column), with record_no (start lines) and, if asked,
    raw_hash; and table IGNORED: the names of the columns ignored, for `warn_ignored` in the process that types them."""
    table = read_csv(path, file, known, required, digests)
    out: dict[str, list] = {**table.columns, RECORD_NO: table.lines}
    if digests:
        out["raw_hash"] = table.raw_hashes
    return {"table": out, IGNORED: {"column": table.ignored}}


def _shown(name: str) -> str:
    # a header name is no value, but a tax number typed there is masked as in any logged text (redact: grouped
    # `123 456 782` too, which a run of digits alone missed)
    name = redact(name)
    return repr(name if len(name) <= 40 else name[:39] + "…")


def warn_ignored(raw: dict[str, pl.DataFrame], file: str) -> None:
    """One warning per practice of the batch whose `file` had columns the contract does not name: their names only."""
    frame = raw.get(IGNORED)
    if frame is None or frame.is_empty():
        return
    for pid, names in frame.group_by("practice_id", maintain_order=True).agg("column").iter_rows():
        shown = ", ".join(_shown(n) for n in names[:10]) + (f" and {len(names) - 10} more" if len(names) > 10 else "")
        log.warning("practice %s: %s: columns the contract does not name, ignored (not read): %s", pid, file, shown)


def labelled(raw: pl.DataFrame, id_column: str) -> pl.DataFrame:
    """The records of a batch with a label naming each by its line and id."""
    key = pl.col(id_column).str.strip_chars()
    return raw.with_columns(
        pl.when(key.str.len_chars() > 0)
        .then(pl.format("line {} ({}={})", RECORD_NO, pl.lit(id_column), key))
        .otherwise(pl.format("line {}", RECORD_NO))
        .alias(LABEL)
    )


def check_records(raw: pl.DataFrame, file: str, key: list[str], required: list[str], failures: Failures,
                  stage: tuple) -> None:  # fmt: skip
    """Each record has its required fields and a key unique in its practice's file; else the practice fails with
    BadInput naming the line: its first record missing a field (stage + 1) or else its first repeat (stage + 2)."""
    present = [pl.col(c).str.strip_chars().str.len_chars().fill_null(0) > 0 for c in required]
    missing = raw.filter(~pl.all_horizontal(present)).unique(PRACTICE, keep="first", maintain_order=True)
    for row in missing.iter_rows(named=True):  # one row per practice with bad input
        name = next(c for c in required if not (row[c] or "").strip())
        failures.add(row[PRACTICE], (*stage, 1), BadInput(file, row[LABEL], f"missing {name}"))
    keys = [pl.col(c).str.strip_chars() for c in key]
    repeats = raw.filter(~pl.struct(PRACTICE, *keys).is_first_distinct()).unique(PRACTICE, keep="first", maintain_order=True)
    for row in repeats.iter_rows(named=True):
        # the label names the record and its key's value; the message says only what is wrong, so the analysts'
        # failure_reasons (the message without the record) holds no client's code (found by hand, session 28)
        failures.add(row[PRACTICE], (*stage, 2), BadInput(file, row[LABEL], f"{' and '.join(key)} already used by an earlier record"))


def outside_vocabulary(frame: pl.DataFrame, column: str, allowed: list[str], file: str, field: str, failures: Failures,
                       stage: tuple) -> None:  # fmt: skip
    """Each practice's first record whose `column` (as normalised by the caller; empty is allowed) is none of `allowed`
    fails it, naming the record; the value is not quoted (a type or state field may hold a typed-in number)."""
    wrong = frame.filter(pl.col(column).is_not_null() & ~pl.col(column).is_in(allowed)).unique(PRACTICE, keep="first", maintain_order=True)
    for p, label in wrong.select(PRACTICE, LABEL).iter_rows():  # one row per practice with bad input
        failures.add(p, stage, BadInput(file, label, f"{field} is none of {', '.join(allowed)}"))
