"""Secrets typed into free text: custom fields that hold one are hashed and flagged; tax numbers elsewhere masked.

What we choose, and why:
- A custom field is secret when its name says so (TFN, IRD, tax/GST number, UTR, SSN, bank, BSB,
  account number, passport, licence, password...) or when its value holds a check-digit-valid TFN or
  IRD number. Its value is then kept only as `value_hash` (HMAC of its letters and digits) and
  `value_last3`, with `is_secret` set; `value` is null.
- Any other free-text column (names, addresses, positions, group and organisation names) has every
  check-digit-valid TFN or IRD number in it replaced by `***` and its last three digits.
- Phones and emails are matching evidence and are left alone; numbers with no check digit (UTR,
  SSN, bank accounts) cannot be told from other numbers in free text and are only caught by the name
  of a custom field.
"""

from __future__ import annotations

import logging
import re

import polars as pl
from stdnum.au import tfn
from stdnum.nz import ird

from landing.frames import Frames
from landing.secrets import HashKey

__all__ = ["SECRET_FIELD_NAME", "tax_number_runs", "mask_runs", "protect_custom_fields", "protect_free_text"]

log = logging.getLogger("scr.landing")

SECRET_FIELD_NAME = (
    r"(?i)(?:^|[^a-z])(?:tfn|tax\s*file|ird|gst\s*(?:number|no|num|#)|tax\s*(?:number|no|num|id|ref|#)|utr|ein|ssn"
    r"|social\s*security|national\s*insurance|nino|bank|bsb|iban|swift|account\s*(?:number|no|num|#)|acct|card"
    r"|passport|licen[cs]e|medicare|pin|password|passcode|secret)(?:[^a-z]|$)"
)
# digits with single spaces, dots, dashes or slashes between them, as people write numbers
_RUN = r"[0-9](?:[ ./-]?[0-9])+"
_EIGHT = r"[0-9](?:[ ./-]?[0-9]){7}"  # cheap pre-filter: at least eight digits in a row
_DATE = re.compile(r"\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.]\d{4}")
# columns that are keys, hashes, public identifiers or matching evidence: never rewritten
_KEEP = {
    "practice_id", "source", "source_client_id", "contact_id", "group_id", "relationship_id", "related_client_id",
    "field_id", "organisation_id", "xpm_client_uuid", "account_manager_id", "raw_hash", "source_file", "value",
    "value_type", "value_hash", "value_last3", "tfn_hash", "tfn_last3", "ird_hash", "ird_last3", "abn", "acn", "nzbn",
    "phone", "mobile", "fax", "email", "client_type", "state",
}  # fmt: skip


def _is_tax_number(run: str) -> bool:
    if _DATE.fullmatch(run):  # a written date is not a tax number, whatever its digits say
        return False
    d = re.sub(r"\D", "", run)
    return len(d) in (8, 9) and (tfn.is_valid(d) or ird.is_valid(d))


def tax_number_runs(values: pl.Series) -> list[str]:
    """Distinct digit runs, as written in `values`, that are check-digit-valid TFN or IRD numbers."""
    hits = values.filter(values.str.contains(_EIGHT).fill_null(False))
    if hits.is_empty():
        return []
    runs = hits.str.extract_all(_RUN).explode().drop_nulls().unique().to_list()
    return sorted(r for r in runs if _is_tax_number(r))  # once per distinct run


def mask_runs(expr: pl.Expr, runs: list[str]) -> pl.Expr:
    """`expr` with each of `runs` replaced by *** and its last three digits (longest first)."""
    runs = sorted(runs, key=len, reverse=True)
    return expr.str.replace_many(runs, ["***" + re.sub(r"\D", "", r)[-3:] for r in runs])


def protect_custom_fields(fields: pl.DataFrame, key: HashKey) -> pl.DataFrame:
    """Secret custom fields (by name or by a tax number in the value) kept only as HMAC + last three, flagged."""
    runs = tax_number_runs(fields.filter(pl.col("value_type") != "date").get_column("value"))
    named = pl.col("field_name").str.contains(SECRET_FIELD_NAME).fill_null(False)
    holds = pl.col("value").str.contains_any(runs).fill_null(False) if runs else pl.lit(False)
    secret = (named | holds) & pl.col("value").is_not_null()
    canon = pl.col("value").str.to_uppercase().str.replace_all(r"[^0-9A-Z]", "")
    df = fields.with_columns(is_secret=secret, _canon=pl.when(secret).then(canon))
    message = df.select(pl.concat_str(pl.lit("FREE:"), "_canon")).to_series()
    return df.with_columns(
        value=pl.when(pl.col("is_secret")).then(None).otherwise(pl.col("value")),
        value_hash=key.hash_series(message),
        value_last3=pl.col("_canon").str.slice(-3),
    ).drop("_canon")


def _masked(frame: pl.DataFrame) -> tuple[pl.DataFrame, int]:
    cols = [c for c, t in frame.schema.items() if t == pl.String and c not in _KEEP]
    if not cols or frame.is_empty():
        return frame, 0
    # one pass over all the frame's text (a run never spans the line break between two columns)
    text = frame.select(pl.concat_str(cols, separator="\n", ignore_nulls=True)).to_series()
    runs = tax_number_runs(text)
    if not runs:
        return frame, 0
    hit = pl.any_horizontal([pl.col(c).str.contains_any(runs).fill_null(False) for c in cols])
    n = frame.select(hit.sum()).item()
    return frame.with_columns(mask_runs(pl.col(c), runs) for c in cols), n


def protect_free_text(frames: Frames, key: HashKey) -> Frames:
    """Every free-text secret of a practice's frames hashed (custom fields) or masked (other text)."""
    out = {"custom_field": protect_custom_fields(frames.custom_field, key)}
    masked = 0
    for name in ("client", "contact", "group_member", "relationship", "custom_field", "org_link"):
        frame, n = _masked(out.get(name, getattr(frames, name)))
        out[name], masked = frame, masked + n
    secret = int(out["custom_field"].get_column("is_secret").sum())
    if masked or secret:
        pid = frames.client.get_column("practice_id")
        log.warning(
            "practice %s: %d custom field values kept only as hashes, %d rows with a tax number masked in free text",
            pid[0] if len(pid) else "?", secret, masked,
        )
    return frames.with_(**out)
