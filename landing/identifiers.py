"""Identifier semantics: one canonical kind per number across systems, one canonical form per kind, check digits.

Only the kinds in PUBLIC_KINDS (numbers from public registers) are ever stored in clear; every other
kind, known or not, is kept as a keyed hash and its last three characters (landing.idents).
Check digits come from python-stdnum, once per distinct value, never per row.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import polars as pl
from stdnum import ean
from stdnum.au import abn, acn, tfn
from stdnum.gb import utr
from stdnum.nz import ird
from stdnum.us import ein, ssn

__all__ = ["PUBLIC_KINDS", "CHECKS", "kind_of", "kinds", "canonical", "digits", "is_valid"]

# THE allow-list: identifiers anyone can look up in a public register. Nothing else is stored in clear.
PUBLIC_KINDS = frozenset({
    "ABN",    # Australian Business Register
    "ACN",    # ASIC company register
    "ARBN",   # ASIC registered bodies
    "NZBN",   # NZ Business Number register
    "NZCN",   # NZ Companies Office company number
    "UKCRN",  # UK Companies House number
    "CRN",    # a company register number elsewhere
})  # fmt: skip

# a source's label (upper-cased, letters and digits only) -> canonical kind, or a regional family
_LABELS = {
    "TFN": "TFN", "TAXFILENUMBER": "TFN", "IRD": "IRD", "IRDNUMBER": "IRD", "IRDNO": "IRD",
    "ABN": "ABN", "ACN": "ACN", "ARBN": "ARBN", "NZBN": "NZBN", "NZCN": "NZCN", "UKCRN": "UKCRN",
    "UTR": "UTR", "EIN": "EIN", "SSN": "SSN",
    "CRN": "_COMPANY", "COMPANY": "_COMPANY", "COMPANYNUMBER": "_COMPANY",  # HQ CRN = XPM CompanyNumber
    "BUSINESSNUMBER": "_BUSINESS",  # XPM BusinessNumber
    "TAXNUMBER": "_TAX", "TAX": "_TAX",  # XPM TaxNumber
    "GST": "_GST", "GSTNUMBER": "_GST",
}  # fmt: skip
_REGIONAL = {
    "_COMPANY": ({"AU": "ACN", "NZ": "NZCN", "UK": "UKCRN"}, "CRN"),
    "_BUSINESS": ({"AU": "ABN", "NZ": "NZBN"}, "BUSINESS"),
    "_TAX": ({"AU": "TFN", "NZ": "IRD", "UK": "UTR"}, "TAX"),
    "_GST": ({"NZ": "IRD"}, "GST"),  # an NZ GST number is the IRD number
}
_LABEL_RE = re.compile(r"[A-Z][A-Z0-9]{0,23}")

# digits only; these are also left-padded to nine digits (an 8-digit IRD written with or without its zero)
NUMERIC = ["TFN", "IRD", "ABN", "ACN", "ARBN", "NZBN", "NZCN", "UTR", "EIN", "SSN"]
PADDED_9 = ["IRD", "ACN", "ARBN", "NZCN"]


def kind_of(label: str | None, region: str | None) -> str | None:
    """The canonical kind of a source's identifier label in a practice's region (unknown labels kept, sanitised)."""
    if label is None:
        return None
    norm = re.sub(r"[^A-Z0-9]", "", label.upper())
    kind = _LABELS.get(norm, norm)
    if kind in _REGIONAL:
        by_region, other = _REGIONAL[kind]
        return by_region.get(region or "", other)
    # a label is free text from the source: never let it carry a number into the warehouse
    return kind if _LABEL_RE.fullmatch(kind) and not re.search(r"\d{4}", kind) else "OTHER"


def kinds(labels: pl.Series, region: str | None) -> pl.Series:
    """kind_of for every label, computed once per distinct label."""
    table = {lab: kind_of(lab, region) for lab in labels.drop_nulls().unique().to_list()}
    return labels.replace_strict(table, default=None, return_dtype=pl.String)


def canonical(kind: pl.Expr, value: pl.Expr, uk: bool = True) -> pl.Expr:
    """One form per kind whatever the formatting: digits (IRD/ACN/ARBN/NZCN padded to 9), UK company numbers
    upper-case padded to 8, other kinds upper-case letters and digits; nothing left is null.

    uk=False leaves out the UK company number form (every branch is computed for every row): only for values
    none of whose kinds is UKCRN, where the result is the same."""
    alnum = value.str.to_uppercase().str.replace_all(r"[^0-9A-Z]", "")
    nums = value.str.replace_all(r"[^0-9]", "")
    out = pl.when(kind.is_in(PADDED_9)).then(pl.when(nums.str.len_chars() > 0).then(nums.str.zfill(9)))
    out = out.when(kind.is_in(NUMERIC)).then(nums)
    if uk:
        # UK: an optional two-letter prefix (SC, NI, OC...) then digits, zero-padded to eight characters
        uk_prefix = alnum.str.extract(r"^([A-Z]{0,2})[0-9]+$", 1)
        uk_digits = alnum.str.extract(r"^[A-Z]{0,2}([0-9]+)$", 1)
        uk_form = pl.when(uk_prefix.is_not_null()).then(
            pl.concat_str(uk_prefix, uk_digits.str.zfill(8 - uk_prefix.str.len_chars()))
        ).otherwise(alnum)
        out = out.when(kind == "UKCRN").then(uk_form)
    out = out.otherwise(alnum)
    return pl.when(out.str.len_bytes() > 0).then(out)


def _tfn(v: str) -> bool | None:
    # stdnum's weights for 8-digit TFNs disagree with other implementations and the
    # tax office publishes none: an 8-digit TFN is "unknown", never "invalid".
    return None if len(v) == 8 else tfn.is_valid(v)


def _nzbn(v: str) -> bool:
    return len(v) == 13 and v.startswith("94") and ean.is_valid(v)


CHECKS: dict[str, Callable[[str], bool | None]] = {
    "ABN": abn.is_valid,
    "ACN": acn.is_valid,
    "ARBN": acn.is_valid,  # an ARBN uses the ACN check digit
    "TFN": _tfn,
    "IRD": ird.is_valid,  # accepts the zero-padded nine-digit form
    "NZBN": _nzbn,
    "UTR": utr.is_valid,
    "EIN": ein.is_valid,
    "SSN": ssn.is_valid,
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
