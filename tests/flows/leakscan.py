"""Looking everywhere for raw secret values: warehouse tables and views, files, logs, Prefect's records, exports.

A secret is matched in any formatting a person could reasonably have used: digits (of any script: full-width ones
too) with spaces of any kind, line breaks (a multi-line address or CSV cell: QA), characters that show as nothing, dots,
commas, underscores, dashes (an en dash too) or slashes between them (leading zeros
ignored), or, for values with letters, the letters and digits in order whatever the case and punctuation.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import polars as pl

# characters that show as nothing (zero-width spaces, soft hyphens, joiners, direction marks, byte-order marks)
_HIDDEN = r"\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff"
# (a run of spaces and line breaks, however long, is one separator: a TFN on lines of its own, or parted by four spaces)
_RUN = rf"\d(?:(?:(?:\s+|[._/\-\x{{2010}}-\x{{2015}}\x{{2212}}{_HIDDEN}]){{0,3}}|,)\d)*"
_SEPARATORS = rf"(?:\s|[.,_/\-\u2010-\u2015\u2212{_HIDDEN}])+"


def _ascii(value: str) -> str:
    """The value's digits, each as its ASCII digit (a full-width one too)."""
    return "".join(str(unicodedata.digit(c)) for c in value if c.isdecimal())


def _digits(value: str) -> str:
    return _ascii(value).lstrip("0")


def _alnum(value: str) -> str:
    return re.sub(r"[^0-9A-Z]", "", value.upper())


@dataclass
class Secrets:
    """Raw secret values, kept in the two forms the scan looks for."""

    digits: set[str] = field(default_factory=set)
    words: set[str] = field(default_factory=set)

    def add(self, value: str | None) -> None:
        if not value or not value.strip():
            return
        if re.search(r"[A-Za-z]", value):
            if len(_alnum(value)) >= 6:
                self.words.add(_alnum(value))
        elif len(_digits(value)) >= 7:  # shorter numbers cannot be told from any other number
            self.digits.add(_digits(value))

    def __len__(self) -> int:
        return len(self.digits) + len(self.words)


def _sub_runs(run: str, longest: int) -> set[str]:
    """A digit run's groups (split at separators) and every contiguous concatenation of them, zeros stripped, of up to
    `longest` digits (no secret is longer): a file of numbers, one a line, is one run."""
    groups = [_ascii(g) for g in re.split(_SEPARATORS, run)]
    out = set()
    for i in range(len(groups)):
        joined = ""
        for g in groups[i:]:
            joined += g
            if len(stripped := joined.lstrip("0")) > longest or len(joined) > longest + 64:
                break
            out.add(stripped)
    return out


def scan_series(values: pl.Series, secrets: Secrets) -> set[str]:
    """Secrets found in any value of the series (cast to text)."""
    text = values.cast(pl.String).drop_nulls()
    if text.is_empty():
        return set()
    found: set[str] = set()
    if secrets.digits:
        runs = text.str.extract_all(_RUN).explode().drop_nulls().unique().to_list()
        longest = max(map(len, secrets.digits))
        found |= {s for run in runs for s in _sub_runs(run, longest) if s in secrets.digits}
    if secrets.words:
        squashed = text.str.to_uppercase().str.replace_all(r"[^0-9A-Z]", "")
        words = sorted(secrets.words)
        hits = squashed.filter(squashed.str.contains_any(words))
        found |= {w for w in words if hits.str.contains(w, literal=True).any()}
    return found


def scan_text(text: str, secrets: Secrets) -> set[str]:
    return scan_series(pl.Series([text]), secrets)


def scan_warehouse(con: duckdb.DuckDBPyConnection, secrets: Secrets) -> dict[str, set[str]]:
    """Every column of every table and view, any type, cast to text (JSON, structs and lists included)."""
    out: dict[str, set[str]] = {}
    columns = con.sql(
        "select table_name, column_name from information_schema.columns where table_schema = 'main' order by all"
    ).fetchall()
    assert columns, "the warehouse has no tables"
    for table, column in columns:
        values = con.sql(f'select cast("{column}" as varchar) as v from "{table}" where "{column}" is not null').pl()
        found = scan_series(values["v"], secrets)
        if found:
            out[f"{table}.{column}"] = found
    return out


def scan_folder(folder: Path, secrets: Secrets) -> dict[str, set[str]]:
    """Every file under `folder`: Parquet read through DuckDB, everything else as text (UTF-8, and binary as latin-1)."""
    out: dict[str, set[str]] = {}
    for path in sorted(p for p in Path(folder).rglob("*") if p.is_file()):
        if path.suffix == ".parquet":
            con = duckdb.connect()
            try:
                source = f"read_parquet('{path}')"
                cols = con.sql(f"select * from {source} limit 0").columns
                found = set().union(
                    *(scan_series(con.sql(f'select cast("{c}" as varchar) v from {source}').pl()["v"], secrets) for c in cols)
                )
            finally:
                con.close()
        else:  # as UTF-8 (a no-break space or an en dash between the digits is one character) and byte by byte
            data = path.read_bytes()
            found = scan_text(data.decode("utf-8", errors="replace"), secrets) | scan_text(data.decode("latin-1"), secrets)
        if found:
            out[str(path)] = found
    return out


def masked(found: dict[str, set[str]]) -> dict[str, list[str]]:
    """Where leaks were found, each secret shown by its last three characters only."""
    return {where: sorted("***" + s[-3:] for s in secrets) for where, secrets in found.items()}
