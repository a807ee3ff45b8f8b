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


def _levels(**named: str) -> dict:
    from transforms.compare import FIELDS

    return {f: FIELDS[f].index(named[f]) if f in named else 0 for f in FIELDS}


def test_names_that_share_nothing_and_nothing_but_a_birthday_are_rejected():
    """QA11 D5: Olivia Taylor ~ Thomas Wright, one birthday, nothing else: shown to a person at 0.937 before."""
    from transforms.compare import FIELDS
    from transforms.decide import NAMES_DIFFER

    rows = [
        {"match_probability": 0.937, "veto": None, "_p_unvetoed": None, **_levels(name="different", dob="exact")},
        # a mailbox, a phone, a postcode or a number in common: a person looks (a name changed, a record mixed up)
        {"match_probability": 0.937, "veto": None, "_p_unvetoed": None, **_levels(name="different", dob="exact", email="exact")},
        {"match_probability": 0.937, "veto": None, "_p_unvetoed": None, **_levels(name="different", dob="exact", mobile="shared")},
        {"match_probability": 0.937, "veto": None, "_p_unvetoed": None, **_levels(name="different", address="postcode_or_city")},
        {"match_probability": 0.937, "veto": None, "_p_unvetoed": None, **_levels(name="different", tax_no="one_slip")},
        # a surname or a given name in common is not "nothing"
        {"match_probability": 0.937, "veto": None, "_p_unvetoed": None, **_levels(name="surname_only", dob="exact")},
        {"match_probability": 0.999, "veto": "dob", "_p_unvetoed": 0.999, **_levels(name="different", dob="different")},
    ]
    schema = {"match_probability": pl.Float64, "veto": pl.String, "_p_unvetoed": pl.Float64, **{f: pl.Int8 for f in FIELDS}}
    out = decide(pl.DataFrame(rows, schema=schema), AUTO, REVIEW)
    assert out["decision"].to_list() == ["reject", "review", "review", "review", "review", "review", "reject"]
    assert out["veto"].to_list() == [NAMES_DIFFER, None, None, None, None, None, "dob"]
