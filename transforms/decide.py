"""Per link: auto, review or reject from the model's calibrated probability and a few explicit vetoes.

- auto: probability at or above the automatic threshold, and no veto;
- review: probability at or above the review threshold, and no veto; or a veto that may rest on a
  keying slip (a birthday, a number, a Xero organisation link) when everything else makes the pair
  certain (probability without the vetoed fields at or above the automatic threshold);
- reject: the rest. Structural vetoes (a person and an organisation, a family trust and a unit
  trust, Jr and Sr, two clients a source system itself relates) always reject.
"""

from __future__ import annotations

import polars as pl

__all__ = ["SLIP_VETOES", "decide"]

# vetoes one mistyped value can cause: a person is shown the pair when the rest of the evidence is certain
SLIP_VETOES = ("identifier", "dob", "org_link")


def decide(cmp: pl.DataFrame, auto_threshold: float, review_threshold: float) -> pl.DataFrame:
    """decision per pair from match_probability, veto and _p_unvetoed (the probability with the vetoed fields unknown)."""
    prob = pl.col("match_probability")
    veto = pl.col("veto")
    only_slips = veto.str.split(",").list.eval(pl.element().is_in(list(SLIP_VETOES))).list.all()
    decision = (
        pl.when(veto.is_null() & (prob >= auto_threshold)).then(pl.lit("auto"))
        .when(veto.is_null() & (prob >= review_threshold)).then(pl.lit("review"))
        .when(veto.is_not_null() & only_slips & (pl.col("_p_unvetoed") >= auto_threshold)).then(pl.lit("review"))
        .otherwise(pl.lit("reject"))
    )
    return cmp.with_columns(decision=decision)
