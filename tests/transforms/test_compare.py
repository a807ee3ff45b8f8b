"""Comparison levels: symmetric by construction, the hard rules raise their veto."""

from __future__ import annotations

import datetime as dt

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from transforms.compare import FIELDS, compare
from transforms.standardise import standardise
from landing.schema import CLIENT, ORG_LINK, PRACTICE, empty


def std(rows: list[dict], org_links: pl.DataFrame | None = None) -> pl.DataFrame:
    frame = pl.DataFrame(
        [{**{k: None for k in CLIENT}, "practice_id": "p1", "source": "xpm", "source_client_id": f"c{i}", **r} for i, r in enumerate(rows)],
        schema=CLIENT,
    )  # fmt: skip
    reg = pl.DataFrame([{**{k: None for k in PRACTICE}, "practice_id": "p1", "region": "AU"}], schema=PRACTICE)
    return standardise(frame, org_links if org_links is not None else empty(ORG_LINK), reg)


def level(cmp: pl.DataFrame, field: str) -> str:
    return FIELDS[field][cmp[field][0]]


def pair(a: dict, b: dict, org_links=None) -> pl.DataFrame:
    return compare(std([a, b], org_links), pl.DataFrame({"rid_l": [0], "rid_r": [1]}))


def test_person_name_levels():
    assert level(pair({"name": "John Smith"}, {"name": "Smith, John"}), "name") == "exact"
    assert level(pair({"name": "Bob Smith"}, {"name": "Robert Smith"}), "name") == "nickname"
    assert level(pair({"name": "Jonathon Smith"}, {"name": "Jonathan Smith"}), "name") == "fuzzy"
    assert level(pair({"name": "J Smith"}, {"name": "John Smith"}), "name") == "initial"
    assert level(pair({"name": "Mary Smith"}, {"name": "John Smith"}), "name") == "surname_only"
    assert level(pair({"name": "John Smith Jr"}, {"name": "John Smith Sr"}), "name") == "generation_differs"


def test_org_name_levels():
    a = {"name": "Smith Holdings Pty Ltd", "business_structure": "Company"}
    assert level(pair(a, {"name": "SMITH HOLDINGS PTY. LIMITED"}), "name") == "org_exact"
    assert level(pair(a, {"name": "Smith Pty Ltd"}), "name") == "org_partial"
    assert level(pair(a, {"name": "Jones Holdings Pty Ltd"}), "name") == "org_different"


def test_valid_identifiers_that_differ_are_vetoed():
    cmp = pair({"name": "A Pty Ltd", "abn": "51824753556"}, {"name": "A Pty Ltd", "abn": "53004085616"})
    assert level(cmp, "abn") == "different" and "identifier" in cmp["veto"][0]


def test_an_invalid_identifier_never_vetoes():
    cmp = pair({"name": "A Pty Ltd", "abn": "51824753556"}, {"name": "A Pty Ltd", "abn": "51824753557"})
    assert level(cmp, "abn") == "null" and cmp["veto"][0] is None


def test_person_and_organisation_are_vetoed():
    cmp = pair({"name": "John Smith", "client_type": "PERSON"}, {"name": "Smith Pty Ltd"})
    assert "entity_kind" in cmp["veto"][0]


def test_different_dates_of_birth_are_vetoed_but_a_transposition_is_not():
    a = {"name": "John Smith", "date_of_birth": dt.date(1970, 3, 4)}
    assert "dob" in pair(a, {"name": "John Smith", "date_of_birth": dt.date(2001, 3, 4)})["veto"][0]
    swapped = pair(a, {"name": "John Smith", "date_of_birth": dt.date(1970, 4, 3)})
    assert level(swapped, "dob") == "transposed" and swapped["veto"][0] is None


def test_different_xero_organisations_are_vetoed():
    links = pl.DataFrame(
        [{"practice_id": "p1", "source": "xpm", "source_client_id": c, "organisation_id": o, "organisation_name": o}
         for c, o in (("c0", "org-1"), ("c1", "org-2"))],
        schema=ORG_LINK,
    )  # fmt: skip
    cmp = pair({"name": "A Pty Ltd"}, {"name": "A Pty Ltd"}, links)
    assert level(cmp, "orgs") == "disjoint" and "org_link" in cmp["veto"][0]


def test_family_trust_and_unit_trust_are_vetoed():
    cmp = pair({"name": "Smith Family Trust"}, {"name": "Smith Unit Trust"})
    assert "entity_type" in cmp["veto"][0]


NAMES = ["John Smith", "Smith, John", "Jon Smith", "Mary Smith", "Smith Holdings Pty Ltd", "The Trustee for Smith Family Trust",
         "J & M Smith", "Bob Jones Jr", "Robert Jones", None]  # fmt: skip
record = st.fixed_dictionaries({
    "name": st.sampled_from(NAMES),
    "business_structure": st.sampled_from([None, "Individual", "Company", "Trust", "Partnership"]),
    "date_of_birth": st.sampled_from([None, dt.date(1970, 3, 4), dt.date(1970, 4, 3), dt.date(1971, 3, 4), dt.date(2001, 1, 1)]),
    "email": st.sampled_from([None, "a@x.com", "A@x.com ", "a@y.com", "b@x.com"]),
    "phone": st.sampled_from([None, "0412 345 678", "+61412345678", "02 9999 1234"]),
    "abn": st.sampled_from([None, "51824753556", "53004085616", "51824753557"]),
    "tfn_hash": st.sampled_from([None, "h1", "h2"]),
    "tfn_valid": st.sampled_from([None, True, False]),
    "address_line1": st.sampled_from([None, "12 Wattle Street", "12 wattle st", "1 Other Road"]),
    "postcode": st.sampled_from([None, "2000", "3000"]),
})  # fmt: skip


@settings(deadline=None, max_examples=15)
@given(st.lists(record, min_size=2, max_size=6))
def test_comparison_is_symmetric(rows):
    s = std(rows)
    n = s.height
    a = pl.DataFrame({"rid_l": [i for i in range(n) for j in range(n) if i < j], "rid_r": [j for i in range(n) for j in range(n) if i < j]})
    fwd = compare(s, a).drop("rid_l", "rid_r")
    back = compare(s, a.select(rid_l="rid_r", rid_r="rid_l")).drop("rid_l", "rid_r")
    assert fwd.equals(back)
