"""Decision rules on compared pairs: which strong links a person reviews instead of the matcher merging or dropping."""

from __future__ import annotations

import polars as pl

from transforms.compare import FIELDS
from transforms.decide import decide

AUTO, REVIEW = 0.995, 0.5


def pair(prob: float = 0.9999, veto: str | None = None, **levels: str) -> dict:
    """One compared pair: named levels per field (others null), its model probability and veto."""
    row = {f: 0 for f in FIELDS}
    row.update({f: FIELDS[f].index(name) for f, name in levels.items()})
    return {**row, "veto": veto, "match_probability": prob, "_evidence_w": 10.0, "_legacy": False}


def decisions(*pairs: dict) -> list[str]:
    frame = pl.DataFrame(list(pairs)).with_columns(pl.col(f).cast(pl.Int8) for f in FIELDS)
    return decide(frame.with_columns(pl.col("veto").cast(pl.String)), AUTO, REVIEW)["decision"].to_list()


def test_same_birthday_and_suburb_under_another_given_name_is_reviewed_never_merged():
    # a keying error in the given name, or twins: a person tells them apart
    same_suburb = pair(name="surname_only", dob="exact", address="postcode_and_city")
    same_postcode = pair(name="surname_only", dob="exact", address="postcode_or_city")
    assert decisions(same_suburb, same_postcode) == ["review", "review"]


def test_same_birthday_elsewhere_or_another_birthday_in_the_suburb_is_rejected():
    elsewhere = pair(name="surname_only", dob="exact", address="different")
    no_birthday = pair(name="surname_only", address="postcode_and_city")
    other_birthday = pair(name="surname_only", dob="different", address="postcode_and_city", veto="dob")
    other_phone = pair(name="surname_only", dob="exact", address="postcode_and_city", phone="different")
    assert decisions(elsewhere, no_birthday, other_birthday, other_phone) == ["reject"] * 4


def test_a_birthday_that_disagrees_under_a_sure_name_and_street_is_reviewed():
    same_street = pair(name="exact", dob="different", address="exact", veto="dob")
    same_suburb = pair(name="fuzzy", dob="different", address="postcode_and_city", veto="dob")
    out = decide(
        pl.DataFrame([same_street, same_suburb]).with_columns(pl.col(f).cast(pl.Int8) for f in FIELDS), AUTO, REVIEW
    )
    assert out["decision"].to_list() == ["review", "review"]
    assert out["veto"].to_list() == ["dob", "dob"]  # the reviewer sees why it was not merged


def test_a_disagreeing_birthday_stays_rejected_without_every_other_sign():
    unsure = pair(prob=0.97, name="exact", dob="different", address="exact", veto="dob")
    other_email = pair(name="exact", dob="different", address="exact", email="different", veto="dob")
    other_phone = pair(name="exact", dob="different", address="exact", phone="different", veto="dob")
    elsewhere = pair(name="exact", dob="different", address="postcode_or_city", veto="dob")
    other_given = pair(name="surname_only", dob="different", address="exact", veto="dob")
    two_vetoes = pair(name="exact", dob="different", address="exact", veto="dob,identifier")
    assert decisions(unsure, other_email, other_phone, elsewhere, other_given, two_vetoes) == ["reject"] * 6


def test_a_changed_surname_under_the_same_given_name_and_email_is_reviewed():
    # a married name: same given name, same email, no other address
    moved_in = pair(name="given_only", email="exact", address="exact")
    no_address = pair(name="given_only", email="exact")
    elsewhere = pair(name="given_only", email="exact", address="different")
    other_email = pair(name="given_only", email="different", address="exact")
    assert decisions(moved_in, no_address, elsewhere, other_email) == ["review", "review", "reject", "reject"]


def test_same_birthday_and_email_under_another_name_is_reviewed():
    assert decisions(pair(name="different", dob="exact", email="exact"), pair(name="different", email="exact")) == [
        "review",
        "reject",
    ]
