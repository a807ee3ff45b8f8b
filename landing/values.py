"""Typing raw landing strings into a staging shape: strip, empty to null, flags, dates; bad values named."""

from __future__ import annotations

import polars as pl

from landing.errors import BadInput

LABEL = "_label"  # per-row "record 3 (UUID=...)" / "line 7 (client_code=...)" for messages

_TRUE = ["yes", "true", "y", "1"]
_FALSE = ["no", "false", "n", "0"]


def clean(expr: pl.Expr) -> pl.Expr:
    """Whitespace stripped; empty becomes null."""
    s = expr.cast(pl.String).str.strip_chars()
    return pl.when(s.str.len_chars() > 0).then(s).otherwise(None)


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


def typed(raw: pl.DataFrame, shape: pl.Schema, file: str, fields: dict[str, str] | None = None) -> pl.DataFrame:
    """`raw` (strings, plus LABEL) in `shape`; a value that does not parse is BadInput naming file, record, field."""
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
    out = raw.select(*exprs, pl.col(LABEL), *[pl.col(c).alias(f"_raw_{c}") for c, _ in checks])
    if checks and out.height:
        # a value present in the file that did not parse; first such record in file order
        bad_exprs = [(clean(pl.col(f"_raw_{c}")).is_not_null() & pl.col(c).is_null()).alias(f"_bad_{c}") for c, _ in checks]
        bad = out.with_row_index("_i").select("_i", LABEL, *bad_exprs).filter(pl.any_horizontal(pl.col("^_bad_.*$")))
        if bad.height:
            row = bad.row(0, named=True)
            for col, kind in checks:
                if row[f"_bad_{col}"]:
                    value = out.get_column(f"_raw_{col}")[row["_i"]]
                    raise BadInput(file, row[LABEL], f"{fields.get(col, col)}: not a {kind}: {value!r}")
    return out.select(shape.names())


def frame_of(columns: dict[str, list], practice_id: str, source: str | None, shape: pl.Schema, file: str,
             fields: dict[str, str] | None = None) -> pl.DataFrame:  # fmt: skip
    """Column lists of raw strings (record_no as int) -> a typed frame of `shape` for one practice and source."""
    raw = pl.DataFrame(columns, schema={k: pl.Int64 if k == "record_no" else pl.String for k in columns})
    keys = {"practice_id": pl.lit(practice_id, dtype=pl.String)}
    if source is not None:
        keys["source"] = pl.lit(source, dtype=pl.String)
    raw = raw.with_columns(**keys)
    if LABEL not in raw.columns:
        raw = raw.with_columns(pl.lit(None, dtype=pl.String).alias(LABEL))
    return typed(raw, shape, file, fields)
