"""Identifier check digits (python-stdnum), applied once per distinct value, never per row."""

from __future__ import annotations

from collections.abc import Callable

import polars as pl
from stdnum import ean
from stdnum.au import abn, acn, tfn
from stdnum.nz import ird

__all__ = ["digits", "is_valid", "CHECKS"]


def _tfn(v: str) -> bool | None:
    # stdnum's weights for 8-digit TFNs disagree with other implementations and the
    # tax office publishes none: an 8-digit TFN is "unknown", never "invalid".
    return None if len(v) == 8 else tfn.is_valid(v)


def _nzbn(v: str) -> bool:
    return len(v) == 13 and v.startswith("94") and ean.is_valid(v)


CHECKS: dict[str, Callable[[str], bool | None]] = {
    "ABN": abn.is_valid,
    "ACN": acn.is_valid,
    "TFN": _tfn,
    "IRD": ird.is_valid,
    "NZBN": _nzbn,
}


def digits(expr: pl.Expr) -> pl.Expr:
    """Digits only; empty becomes null."""
    out = expr.str.replace_all(r"\D", "")
    return pl.when(out.str.len_chars() > 0).then(out).otherwise(None)


def is_valid(values: pl.Series, id_type: str) -> pl.Series:
    """Check-digit verdict per value (null where the value is null or no check exists)."""
    check = CHECKS.get(id_type.upper())
    if check is None:
        return pl.Series(values.name, [None] * len(values), dtype=pl.Boolean)
    distinct = values.drop_nulls().unique().to_list()
    verdict = {v: check(v) for v in distinct}  # once per distinct value, stdnum is per-string
    return values.replace_strict(verdict, default=None, return_dtype=pl.Boolean)

# Identifier kinds from public registers: the only ones ever stored in clear (every other kind is hashed).
PUBLIC_KINDS = frozenset({"ABN", "ACN", "ARBN", "NZBN", "NZCN", "UKCRN", "CRN", "COMPANY"})
