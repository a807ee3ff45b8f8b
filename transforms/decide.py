"""Per link: auto, review or reject from the model's calibrated probability and a few explicit vetoes.

- auto: probability at or above the automatic threshold, and no veto;
- review: probability at or above the review threshold, and no veto; or a veto that may rest on a
  keying slip (a birthday, a number, a Xero organisation link) when everything else makes the pair
  certain (probability without the vetoed fields at or above the automatic threshold);
- reject: the rest. Structural vetoes (a person and an organisation, a family trust and a unit
  trust, Jr and Sr, two clients a source system itself relates) always reject, and so does a pair of two
  people whose names share nothing and who agree on nothing but perhaps a birthday (veto NAMES_DIFFER).
"""

from __future__ import annotations

import polars as pl

from transforms.compare import FIELDS, ID_FIELDS

__all__ = ["SLIP_VETOES", "NAMES_DIFFER", "decide", "nothing_but_a_birthday"]

# vetoes one mistyped value can cause: a person is shown the pair when the rest of the evidence is certain
SLIP_VETOES = ("identifier", "dob", "org_link")
NAMES_DIFFER = "names_differ"


def _at(field: str, *levels: str) -> pl.Expr:
    return pl.col(field).is_in([FIELDS[field].index(x) for x in levels])


def nothing_but_a_birthday() -> pl.Expr:
    """Two people whose given name and surname both differ (name level `different`) and whose only agreement, if
    any, is a birthday: no number, mailbox, phone, address (not even a postcode or suburb), Xero organisation,
    contact, group or middle name in common. A practice of 2,000 clients holds dozens of shared birthdays; QA11 D5
    found such pairs shown to a person at 0.937 with the expert values (8 links in a 26-record practice)."""
    agree = pl.any_horizontal(
        *[_at(f, "exact", "different_same_ending", "one_slip") for f in ID_FIELDS],
        _at("email", "exact", "same_local_part", "fuzzy", "same_own_domain"),
        _at("phone", "shared"), _at("mobile", "shared"),
        _at("address", "exact", "fuzzy", "postcode_and_city", "postcode_or_city"),
        _at("orgs", "shared"), _at("contacts", "shared"), _at("groups", "shared"), _at("middle", "same", "initial"),
    )  # fmt: skip
    return (_at("name", "different") & ~agree).fill_null(False)


def decide(cmp: pl.DataFrame, auto_threshold: float, review_threshold: float) -> pl.DataFrame:
    """decision per pair from match_probability, veto and _p_unvetoed (the probability with the vetoed fields unknown)."""
    prob = pl.col("match_probability")
    veto = pl.col("veto")
    slip = "(" + "|".join(SLIP_VETOES) + ")"
    only_slips = veto.str.contains(f"^{slip}(,{slip})*$")
    decision = (
        pl.when(veto.is_null() & (prob >= auto_threshold)).then(pl.lit("auto"))
        .when(veto.is_null() & (prob >= review_threshold)).then(pl.lit("review"))
        .when(veto.is_not_null() & only_slips & (pl.col("_p_unvetoed") >= auto_threshold)).then(pl.lit("review"))
        .otherwise(pl.lit("reject"))
    )
    if "name" not in cmp.columns:  # a frame of probabilities and vetoes only
        return cmp.with_columns(decision=decision)
    apart = nothing_but_a_birthday()
    return cmp.with_columns(
        decision=pl.when(apart).then(pl.lit("reject")).otherwise(decision),
        veto=pl.when(apart & veto.is_null()).then(pl.lit(NAMES_DIFFER)).otherwise(veto),
    )
