"""Phone numbers to E.164, each distinct (region, number) parsed once; mobiles told from landlines."""

from __future__ import annotations

import numpy as np
import phonenumbers
import polars as pl

from transforms.coded import distinct_rows

__all__ = ["REGION", "MOBILE_PREFIX", "e164_fast", "phone_e164"]

REGION = {"AU": "AU", "NZ": "NZ", "UK": "GB", "US": "US"}


def _e164(region: str | None, raw: str) -> str | None:
    try:
        num = phonenumbers.parse(raw, REGION.get(region or ""))
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(num):
        return None
    return phonenumbers.format_number(num, phonenumbers.PhoneNumberFormat.E164)


# shapes phonenumbers reads plainly (checked against it for every 4-digit number start, and by a property
# test): +61/+64/+44/+1 with a national number; AU/NZ/UK trunk 0 or US trunk 1 dropped for the country code
# ([0-9], not \d: phonenumbers turns other scripts' digits into ASCII ones)
_FAST_INTERNATIONAL = r"^\+(?:61[2-9][0-9]{8}|64[2-9][0-9]{7,9}|44[1-9][0-9]{8,9}|1[2-9][0-9]{9})$"
_FAST_NATIONAL = {
    "AU": (r"^0[2-9][0-9]{8}$", "+61", 1),
    "NZ": (r"^0[2-9][0-9]{7,9}$", "+64", 1),
    "GB": (r"^0[1-9][0-9]{8,9}$", "+44", 1),
    "US": (r"^1?[2-9][0-9]{9}$", "+1", -10),
}


def e164_fast(region: pl.Expr, compact: pl.Expr) -> pl.Expr:
    """E.164 of a digits-and-plus number in a common AU/NZ/UK/US shape; null otherwise (phonenumbers decides)."""
    r = region.replace_strict(REGION, default=None, return_dtype=pl.String)
    out = pl.when(compact.str.contains(_FAST_INTERNATIONAL)).then(compact)
    for reg, (pattern, cc, start) in _FAST_NATIONAL.items():
        out = out.when((r == reg) & compact.str.contains(pattern)).then(pl.lit(cc) + compact.str.slice(start))
    return out.otherwise(None)


def phone_e164(region: pl.Series, raw: pl.Series) -> pl.Series:
    """E.164 per (practice region, raw) value; parsed once per DISTINCT pair, null if unparseable."""
    # formatting says nothing phonenumbers needs: "0412 345 678" and "0412-345-678" are one lookup; a missing
    # region and an empty one read alike
    frame = pl.DataFrame({"region": region.cast(pl.String), "raw": raw.cast(pl.String)}).select(
        region=pl.col("region").fill_null(""), raw=pl.col("raw").str.replace_all(r"[^\d+]", "").replace("", None)
    )
    known = np.flatnonzero(frame["raw"].is_not_null().to_numpy())
    distinct, index = distinct_rows(frame[known])
    distinct = distinct.with_columns(e164=e164_fast(pl.col("region"), pl.col("raw")))
    slow = distinct.with_row_index("i").filter(pl.col("e164").is_null())
    parsed = [_e164(r, v) for r, v in slow.select("region", "raw").iter_rows()]  # one library call per distinct unusual value
    e164 = distinct["e164"].scatter(slow["i"].to_numpy(), pl.Series(parsed, dtype=pl.String)) if slow.height else distinct["e164"]
    out = np.full(len(raw), -1, dtype=np.int64)
    out[known] = index
    return e164.gather(pl.Series(out).replace(-1, None)).alias(raw.name)


# E.164 starts of mobile numbers: a mobile is one person's, a landline a household's
MOBILE_PREFIX = r"^\+(614|642[0-9]|447)"
