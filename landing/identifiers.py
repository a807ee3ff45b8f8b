"""Identifier semantics: one canonical kind per number across systems, one canonical form per kind, check digits.

Only the kinds in PUBLIC_KINDS (numbers from public registers) are ever stored in clear; every other
kind, known or not, is kept as a keyed hash and its last three characters (landing.idents).
Check digits: python-stdnum's algorithms as column expressions for the common kinds (VECTORISED, held to
stdnum by property tests), python-stdnum itself once per distinct value for the rest.
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

__all__ = ["PUBLIC_KINDS", "CHECKS", "PLACEHOLDERS", "kind_of", "kinds", "canonical", "digits", "is_valid", "slip_messages"]

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

# numbers that stand for "no number": the ATO's codes where a TFN is not quoted (000 000 000 not quoted, 111 111 111
# applied for, 333 333 333 under 18, 444 444 444 a pensioner, 987 654 321 not yet provided) and any one digit repeated
# or a plain sequence, as placeholders are keyed in any system. 000 000 000 passes the TFN check: QA (session 35)
# found a father and son merged automatically on it, a "shared tax number" lifting the birthday veto. Canonical forms
# (digits, padded): such a number is kept as an identifier of its kind, last three and check verdict false, but with no
# hash to match on (landing.idents)
PLACEHOLDERS = frozenset(
    [d * n for d in "0123456789" for n in range(6, 15)] + ["123456789", "987654321", "0123456789", "1234567890"]
)

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
    # a label is free text from the source: never let it carry a number (or a password: QA, session 30 found
    # "PASSWORD TR0UB4DOR" kept as a kind) into the warehouse; a label with a digit is any other kind
    return kind if _LABEL_RE.fullmatch(kind) and not re.search(r"\d", kind) else "OTHER"


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


def _digit(value: pl.Expr, i: int) -> pl.Expr:
    # not strict: every branch is computed for every row, and rows that are not digits are answered elsewhere
    return value.str.slice(i, 1).cast(pl.Int64, strict=False)


def _weighted(value: pl.Expr, weights: tuple[int, ...], start: int = 0) -> pl.Expr:
    """Sum of weight * digit over the positions from `start` (a fixed handful of columns: no per-row work)."""
    return pl.sum_horizontal([w * _digit(value, start + i) for i, w in enumerate(weights)])


def _shaped(value: pl.Expr, lengths: tuple[int, ...], check: pl.Expr) -> pl.Expr:
    """False unless `value` is ASCII digits of one of `lengths`; then `check`."""
    fits = value.str.contains(r"^[0-9]+$") & value.str.len_bytes().is_in(list(lengths))
    return pl.when(fits).then(check).otherwise(False)


def _abn(v: pl.Expr) -> pl.Expr:  # stdnum.au.abn: the first two digits are 11 + (-sum - 1) mod 89
    return _shaped(v, (11,), v.str.slice(0, 2).cast(pl.Int64, strict=False) == 11 + (-_weighted(v, (3, 5, 7, 9, 11, 13, 15, 17, 19), 2) - 1) % 89)


def _acn(v: pl.Expr) -> pl.Expr:  # stdnum.au.acn: the ninth digit is sum(digit * (i - 8)) mod 10
    return _shaped(v, (9,), _weighted(v, (-8, -7, -6, -5, -4, -3, -2, -1)) % 10 == _digit(v, 8))


def _tfn9(v: pl.Expr) -> pl.Expr:  # stdnum.au.tfn, nine digits; eight are "unknown" (_tfn)
    nine = _shaped(v, (9,), _weighted(v, (1, 4, 3, 7, 5, 8, 6, 9, 10)) % 11 == 0)
    return pl.when(v.str.contains(r"^[0-9]{8}$")).then(None).otherwise(nine)


def _ird(v: pl.Expr) -> pl.Expr:  # stdnum.nz.ird: 8 or 9 digits in (10,000,000, 150,000,000), two weight sets
    body = v.str.slice(0, v.str.len_bytes() - 1).str.zfill(8)
    first = -_weighted(body, (3, 2, 7, 6, 5, 4, 3, 2)) % 11
    second = -_weighted(body, (7, 4, 3, 2, 5, 2, 7, 6)) % 11
    check = pl.when(first != 10).then(first).otherwise(second)
    number = v.str.slice(0, 9).cast(pl.Int64, strict=False)
    return _shaped(v, (8, 9), (number > 10_000_000) & (number < 150_000_000) & (check == _digit(v, -1)))


def _ean13_nzbn(v: pl.Expr) -> pl.Expr:  # _nzbn: 13 digits starting 94, the EAN-13 check digit
    ean_check = (10 - _weighted(v, (1, 3) * 6)) % 10
    return _shaped(v, (13,), v.str.starts_with("94") & (ean_check == _digit(v, 12)))


def _utr(v: pl.Expr) -> pl.Expr:  # stdnum.gb.utr: ten digits, the first '21987654321'[sum(digit * weight) mod 11]
    rest = _weighted(v, (6, 7, 8, 9, 10, 5, 4, 3, 2), 1) % 11
    check = pl.when(rest == 0).then(2).when(rest == 1).then(1).otherwise(11 - rest)
    return _shaped(v, (10,), _digit(v, 0) == check)


# the same verdicts as CHECKS, as expressions over whole columns (tests/landing/test_identifiers.py holds them
# to python-stdnum on any input); kinds without one here go through CHECKS once per distinct value
VECTORISED: dict[str, Callable[[pl.Expr], pl.Expr]] = {
    "ABN": _abn, "ACN": _acn, "ARBN": _acn, "TFN": _tfn9, "IRD": _ird, "NZBN": _ean13_nzbn, "UTR": _utr,
}  # fmt: skip


def is_valid(values: pl.Series, id_type: str) -> pl.Series:
    """Check-digit verdict per value (null where the value is null or no check exists)."""
    kind = id_type.upper()
    check = CHECKS.get(kind)
    if check is None:
        return pl.Series(values.name, [None] * len(values), dtype=pl.Boolean)
    if kind in VECTORISED:
        # digit strings (canonical values are) by expression; anything else as stdnum cleans and reads it
        digits_only = values.str.contains(r"^[0-9]*$")
        others = values.filter(digits_only.not_()).unique().to_list()
        verdict = {v: check(v) for v in others}
        frame = pl.DataFrame({"v": values, "digits": digits_only})
        v = pl.col("v")
        other = v.replace_strict(verdict, default=None, return_dtype=pl.Boolean) if verdict else pl.lit(None, pl.Boolean)
        return frame.select(pl.when(pl.col("digits")).then(VECTORISED[kind](v)).otherwise(other)).to_series().alias(values.name)
    distinct = values.drop_nulls().unique().to_list()
    verdict = {v: check(v) for v in distinct}  # once per distinct value, stdnum is per-string
    return values.replace_strict(verdict, default=None, return_dtype=pl.Boolean)


# slips are looked for in numbers of 6 to 14 characters: shorter or longer ones are not keyed digit by digit
# from a tax return or a register (and a long one's variants would cost more hashes than they are worth)
SLIP_LENGTHS = (6, 14)


def slip_messages(numbers: pl.DataFrame) -> pl.DataFrame:
    """What a number may be a slip of, as the messages to hash: (id_type, value) -> (id_type, value, message).

    `numbers`: distinct id_type, value (canonical) and is_valid. A slip is one digit keyed wrongly or two
    neighbouring digits swapped. Where check digits exist (VECTORISED) and fail, the messages are the numbers one slip
    away whose check digits pass, in the form an identifier's own hash takes ("TFN:123456782"): a record
    holding the right number then shares one with the mistyped one. Where no check exists, they are the
    number with one character left out ("TAX~12345678"): two numbers one slip apart share one of those.
    A number whose check digits pass has none (its own hash stands for it). An eight-digit TFN (no check known) whose
    0-padded nine digits pass the check has that number's message too ("TFN:033477887"): the 0 a spreadsheet drops.
    Every step is a column
    expression over all numbers at once.
    """
    v = pl.col("value")
    sized = numbers.filter(v.str.len_bytes().is_between(*SLIP_LENGTHS) & pl.col("is_valid").fill_null(False).not_())
    positions = pl.DataFrame({"i": list(range(SLIP_LENGTHS[1]))}, schema={"i": pl.Int64})
    at = sized.with_columns(n=v.str.len_bytes().cast(pl.Int64)).join(positions, how="cross").filter(pl.col("i") < pl.col("n"))
    head, tail = v.str.slice(0, pl.col("i")), v.str.slice(pl.col("i") + 1)
    # no check: the number with one character left out
    unchecked = at.filter(pl.col("is_valid").is_null()).select(
        "id_type", "value", message=pl.concat_str("id_type", pl.lit("~"), head, tail)
    )
    # check digits fail: every number one digit off or with two neighbours swapped, kept where the check passes
    # (kinds whose check is a check digit: EIN's and SSN's reject a number's shape, and a slip passes them)
    failed = at.filter((pl.col("is_valid") == False) & pl.col("id_type").is_in(sorted(VECTORISED)))  # noqa: E712
    digits_ = pl.DataFrame({"d": [str(d) for d in range(10)]})
    keyed = failed.filter(v.str.slice(pl.col("i"), 1).str.contains(r"^[0-9]$")).join(digits_, how="cross").select(
        "id_type", "value", candidate=pl.concat_str(head, "d", tail)
    )
    swapped = failed.filter(pl.col("i") < pl.col("n") - 1).select(
        "id_type", "value",
        candidate=pl.concat_str(head, v.str.slice(pl.col("i") + 1, 1), v.str.slice(pl.col("i"), 1), v.str.slice(pl.col("i") + 2)),
    )  # fmt: skip
    # an eight-digit TFN whose nine-digit form with its leading 0 restored passes the check: that number with the 0 a
    # spreadsheet dropped ("033 477 887" read back as 33477887). Eight digits may be an old TFN too (no published
    # check), so it is not that number's hash, only a near one: the pair meets at `one_slip`, weighed, never against
    zero = numbers.filter(
        (pl.col("id_type") == "TFN") & v.str.contains(r"^[0-9]{8}$") & pl.col("is_valid").is_null()
    ).select("id_type", "value", message=pl.concat_str("id_type", pl.lit(":0"), v))
    zero = zero.filter(_tfn9(pl.col("message").str.slice(4)).fill_null(False))
    candidates = pl.concat([keyed, swapped]).filter(pl.col("candidate") != v).unique()
    checked = [
        part.filter(VECTORISED[str(kind[0])](pl.col("candidate")).fill_null(False))
        for kind, part in candidates.group_by("id_type", maintain_order=True)
    ]
    near = pl.concat(checked) if checked else candidates.clear()
    near = near.select("id_type", "value", message=pl.concat_str("id_type", pl.lit(":"), "candidate"))
    return pl.concat([unchecked, near, zero]).unique().sort("id_type", "value", "message")
