"""Typing raw landing strings into a staging shape: strip, empty to null, flags, dates; bad values named.

Typing runs once per batch of practices; a bad value fails only its own practice (column PRACTICE).
"""

from __future__ import annotations

import re

import polars as pl

from landing.errors import BadInput, Failures

LABEL = "_label"  # per-row "record 3 (UUID=...)" / "line 7 (client_code=...)" for messages
PRACTICE = "_p"  # per-row position of the record's practice in the batch being read
RECORD_NO = "record_no"

# C0 controls but tab, line feed and carriage return (an address or a note may hold lines), DEL, C1 controls
CONTROL = r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]"
_CONTROL_RE = re.compile(CONTROL)
_TRUE = ["yes", "true", "y", "1"]
_FALSE = ["no", "false", "n", "0"]


def clean(expr: pl.Expr) -> pl.Expr:
    """Whitespace stripped; empty becomes null."""
    s = expr.cast(pl.String).str.strip_chars()
    return pl.when(s.str.len_bytes() > 0).then(s).otherwise(None)  # bytes: no need to count characters


# decimal digits of other scripts an identifier may be typed in: full-width (an Asian input method), Arabic-Indic,
# Eastern Arabic-Indic, Devanagari; a number so typed was dropped as having no digits (QA, session 30)
_DIGITS = [chr(base + d) for base in (0xFF10, 0x0660, 0x06F0, 0x0966) for d in range(10)]


def ascii_digits(expr: pl.Expr) -> pl.Expr:
    """Text with every full-width, Arabic-Indic or Devanagari digit written as the ASCII digit it is."""
    return expr.str.replace_many(_DIGITS, [str(d) for _ in range(4) for d in range(10)])


def last_three(canon: pl.Expr) -> pl.Expr:
    """The last three characters of a hashed value, to tell values apart by eye, only of one of eight characters or
    more: of a PIN's four they are most of it, of a short password its tail (QA, session 30)."""
    return pl.when(canon.str.len_chars() >= 8).then(canon.str.slice(-3))


def parse_bool(expr: pl.Expr) -> pl.Expr:
    """Yes/No and true/false (any case) to bool; anything else null."""
    low = clean(expr).str.to_lowercase()
    return pl.when(low.is_in(_TRUE)).then(True).when(low.is_in(_FALSE)).then(False).otherwise(None)


def parse_date(expr: pl.Expr) -> pl.Expr:
    """YYYY-MM-DD, or the date of a YYYY-MM-DDThh:mm:ss (XPM writes dates that way)."""
    s = clean(expr)
    return pl.coalesce(
        s.str.strptime(pl.Date, "%Y-%m-%d", strict=False),
        s.str.strptime(pl.Datetime("us"), "%Y-%m-%dT%H:%M:%S%.f", strict=False).dt.date(),
    )


def parse_ts(expr: pl.Expr) -> pl.Expr:
    """ISO timestamp to naive UTC: with Z or an offset (converted), or local without one, or a bare date."""
    s = clean(expr)
    zoned = s.str.replace(r"[Zz]$", "+00:00").str.strptime(
        pl.Datetime("us", "UTC"), "%Y-%m-%dT%H:%M:%S%.f%:z", strict=False
    )
    return pl.coalesce(
        zoned.dt.replace_time_zone(None),
        s.str.strptime(pl.Datetime("us"), "%Y-%m-%dT%H:%M:%S%.f", strict=False),
        s.str.strptime(pl.Datetime("us"), "%Y-%m-%d %H:%M:%S%.f", strict=False),
        s.str.strptime(pl.Date, "%Y-%m-%d", strict=False).cast(pl.Datetime("us")),
    )


_PARSERS = {pl.Boolean: (parse_bool, "flag"), pl.Date: (parse_date, "date")}


def _parser(dtype: pl.DataType):
    if isinstance(dtype, pl.Datetime):
        return parse_ts, "timestamp"
    return _PARSERS.get(dtype.base_type(), (None, None))


def typed(raw: pl.DataFrame, shape: pl.Schema, file: str, fields: dict[str, str] | None = None,
          by: str = PRACTICE) -> tuple[pl.DataFrame, dict[int, BadInput]]:  # fmt: skip
    """`raw` (strings, plus LABEL and `by`) in `shape` plus `by`, and for each practice (`by`) with a value that
    does not parse, a BadInput naming file, record and field: its first such record in file order."""
    fields = fields or {}
    texts, parsed, checks, rest = [], [], [], []
    for col, dtype in shape.items():
        if col not in raw.columns:
            rest.append(pl.lit(None, dtype=dtype).alias(col))
        elif raw.schema[col] != pl.String:
            rest.append(pl.col(col).cast(dtype))
        elif dtype == pl.String:
            texts.append(col)
        else:
            parse, kind = _parser(dtype)
            parsed.append(parse(pl.col(col)).alias(col))
            checks.append((col, kind))
    exprs = [*rest, *parsed] + ([clean(pl.col(texts))] if texts else [])
    # text holding a control character: no client system writes one (found by QA, session 29: a NUL and a terminal's
    # escape sequence reached promoted contact names and addresses)
    control = [pl.any_horizontal([pl.col(c).str.contains(CONTROL).fill_null(False) for c in texts]).alias("_control")]
    out = raw.select(by, *exprs, pl.col(LABEL), *[pl.col(c).alias(f"_raw_{c}") for c, _ in checks], *(control if texts else []))
    errors: dict[int, BadInput] = {}
    if out.height and (checks or texts):
        # a value present in the file that did not parse, or text with a control character; per practice its first
        # such record (rows are in file order)
        flags = [(clean(pl.col(f"_raw_{c}")).is_not_null() & pl.col(c).is_null()).alias(f"_bad_{c}") for c, _ in checks]
        flags += [pl.col("_control").alias("_bad__control")] if texts else []
        bad = (
            out.lazy().with_row_index("_i").select("_i", by, LABEL, *flags)
            .filter(pl.any_horizontal(pl.col("^_bad_.*$")))
            .with_columns(_more=pl.len().over(by) - 1)  # QA (session 35): only the first was said; fixed, the next came
            .unique(by, keep="first", maintain_order=True)
            .collect(engine="in-memory")  # the streaming engine may reorder rows: the first bad record counts
        )  # fmt: skip
        for row in bad.iter_rows(named=True):  # one row per practice with bad input
            bad_value = next(((c, k) for c, k in checks if row[f"_bad_{c}"]), None)
            more = f" (and {row['_more']} more record{'s' * (row['_more'] != 1)} of this file so)" if row["_more"] else ""
            if bad_value is None:
                error = _control_error(raw.row(row["_i"], named=True), texts, fields, file, row[LABEL])
                errors[row[by]] = BadInput(file, row[LABEL], error.message + more)
                continue
            col, kind = bad_value
            value = out.get_column(f"_raw_{col}")[row["_i"]]
            errors[row[by]] = BadInput(file, row[LABEL], f"{fields.get(col, col)}: not a {kind}: {value!r}{more}")
    out = out.select(by, *shape.names())
    return out, errors


def _control_error(row: dict, texts: list[str], fields: dict[str, str], file: str, label: str | None) -> BadInput:
    """The bad input of a record whose text holds a control character: the field and the character's code point,
    never the value (it may hold anything)."""
    col, char = next((c, m.group()) for c in texts if row.get(c) is not None and (m := _CONTROL_RE.search(row[c])))
    return BadInput(file, label, f"{fields.get(col, col)}: holds a control character (U+{ord(char):04X}), which no client "
                    "system writes: the export is damaged or was edited; export it again")  # fmt: skip


def raw_frame(columns: dict[str, list], **constants: str | None) -> pl.DataFrame:
    """Column lists of raw strings (record_no and PRACTICE as integers) as a frame, plus constant text columns."""
    ints = (RECORD_NO, PRACTICE)
    raw = pl.DataFrame(columns, schema={k: pl.Int64 if k in ints else pl.String for k in columns})
    if LABEL not in raw.columns:
        raw = raw.with_columns(pl.lit(None, dtype=pl.String).alias(LABEL))
    return raw.with_columns(pl.lit(v, dtype=pl.String).alias(k) for k, v in constants.items())


def type_tables(raw: dict[str, pl.DataFrame], spec, source: str, file: str, rank: int,
                failures: Failures) -> dict[str, pl.DataFrame]:  # fmt: skip
    """A batch's raw tables of one file typed table by table in `spec` order (table, shape, field names);
    each practice with a bad value is noted in `failures` at stage (rank, 1, position in spec)."""
    out = {}
    for k, (name, shape, fields) in enumerate(spec):
        frame, errors = typed(raw[name].with_columns(source=pl.lit(source, dtype=pl.String)), shape, file, fields)
        failures.update((rank, 1, k), errors)
        out[name] = frame
    return out
