"""Decisions: the calibrated probability decides; a veto keeps a pair from automatic merging; a slip veto may be reviewed."""

from __future__ import annotations

import polars as pl
import pytest

from transforms.decide import SLIP_VETOES, decide

AUTO, REVIEW = 0.99, 0.5


def decisions(*rows: tuple[float, str | None, float | None]) -> list[str]:
    frame = pl.DataFrame(
        [{"match_probability": p, "veto": v, "_p_unvetoed": q} for p, v, q in rows],
        schema={"match_probability": pl.Float64, "veto": pl.String, "_p_unvetoed": pl.Float64},
    )
    return decide(frame, AUTO, REVIEW)["decision"].to_list()


def test_probability_alone_decides_an_unvetoed_pair():
    assert decisions((0.999, None, None), (0.99, None, None), (0.9, None, None), (0.5, None, None), (0.49, None, None)) == [
        "auto", "auto", "review", "review", "reject",
    ]  # fmt: skip


@pytest.mark.parametrize("veto", ["identifier", "entity_kind", "entity_type", "dob", "org_link", "generation", "related"])
def test_a_vetoed_pair_is_never_merged_automatically(veto):
    assert decisions((0.99999, veto, 0.5)) == ["reject"]


def test_a_slip_veto_is_reviewed_when_everything_else_is_certain():
    # same name, email, phone and address; two birthdays that differ: a keying error or a namesake, a person decides
    assert decisions(*[(0.2, v, 0.999) for v in SLIP_VETOES]) == ["review"] * len(SLIP_VETOES)
    assert decisions((0.2, "dob,identifier", 0.999)) == ["review"]
    assert decisions((0.2, "dob", 0.9)) == ["reject"]  # the rest is not certain either


def test_a_structural_veto_is_never_reviewed():
    # a person and a company, a family trust and a unit trust, Jr and Sr, a spouse the system records: two clients
    for v in ("entity_kind", "entity_type", "generation", "related", "dob,related"):
        assert decisions((0.2, v, 0.99999)) == ["reject"], v
