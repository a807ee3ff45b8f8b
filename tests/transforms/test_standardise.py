"""Standardised features: entity kind, identifiers, phones, emails, addresses."""

from __future__ import annotations

import datetime as dt

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.transforms.frames import clients, frames_of, practices, stand_in_hash
from transforms.standardise import normalise_address, normalise_email, phone_e164, standardise
from landing.schema import ORG_LINK


def std(rows: list[dict], region: str = "AU", org_links: pl.DataFrame | None = None, **tables) -> pl.DataFrame:
    rows = [{"source": "xpm", "source_client_id": f"c{i}", **r} for i, r in enumerate(rows)]
    return standardise(frames_of(clients(rows), org_links, **tables), practices(region=region))


def test_entity_kind_from_type_structure_or_wording():
    out = std([
        {"name": "John Smith", "client_type": "PERSON"},
        {"name": "John Smith", "business_structure": "Sole Trader"},
        {"name": "Smith Holdings Pty Ltd"},
        {"name": "Jones", "business_structure": "Company"},
        {"name": "Jane Doe", "first_name": "Jane", "last_name": "Doe"},
        {"name": "Somebody"},
    ])  # fmt: skip
    assert out["kind"].to_list() == ["person", "person", "org", "org", "person", None]


def test_a_name_with_a_dotted_legal_form_is_an_organisation_and_initials_stay_a_person():
    # nothing but the name says what the record is: "L.L.C." and "P.T.Y. L.T.D." are legal forms as "LLC" is, so the
    # record is not a person (whom the person/organisation rule would keep apart from its own company record)
    out = std([
        {"name": "Cooper Automotive L.L.C."},
        {"name": "Bailey Hldgs P.T.Y. L.T.D."},
        {"name": "Cooper Automotive LLC"},
        {"name": "L. T. Dang", "first_name": "L. T.", "last_name": "Dang"},
        {"name": "P.T. Young", "first_name": "P.T.", "last_name": "Young"},
    ])  # fmt: skip
    assert out["kind"].to_list() == ["org", "org", "org", "person", "person"]


def test_identifiers_come_from_the_identifier_rows_by_kind_with_their_verdict():
    out = std([{"name": "A Pty Ltd", "abn": "51 824 753 556"}, {"name": "B Pty Ltd", "abn": "51824753557"}])
    assert out["business_no"].to_list() == [stand_in_hash("ABN", "51824753556"), stand_in_hash("ABN", "51824753557")] and out["business_no_kind"][0] == "ABN"
    assert out["business_no_checked"].to_list() == [True, False]
    # a company's ABN embeds its ACN, kept in clear to compare with another system's ACN
    assert out["abn9"].to_list() == ["824753556", "824753557"]


def test_unknown_tfn_verdict_is_kept_but_not_checked():
    out = std([{"name": "A", "tfn_hash": "h1", "tfn_valid": None}, {"name": "B", "tfn_hash": "h2", "tfn_valid": False}])
    assert out["tax_no"].to_list() == ["h1", "h2"]
    assert out["tax_no_checked"].to_list() == [False, False]


def test_contacts_groups_and_account_manager_are_features():
    contact = [{"source": "xpm", "source_client_id": "c0", "contact_id": "k", "name": "Jo SMITH", "email": " Jo@X.com", "mobile": "0412 345 678"}]
    out = std([{"name": "Smith Pty Ltd", "account_manager_id": "m1"}], contact=contact)
    row = out.row(0, named=True)
    assert row["contact_emails"] == ["jo@x.com"] and row["contact_names"] == ["jo smith"]
    assert row["mobiles"] == ["+61412345678"] and row["emails"] == ["jo@x.com"] and row["manager"] == "m1"


def test_phones_in_local_and_international_form_agree():
    out = std([{"name": "A", "phone": "0412 345 678", "mobile": "+61 2 9999 1234"}, {"name": "B", "phone": "+61412345678"}])
    assert out["phones"].to_list() == [["+61299991234", "+61412345678"], ["+61412345678"]]


def test_mobiles_are_told_from_landlines_by_their_prefix():
    # NZ mobiles start 02 (+642); Auckland's landlines start 09 (+649): a household's number, not one person's
    out = std([{"name": "A", "phone": "(09) 948 0491", "mobile": "021 123 4567"}, {"name": "B", "phone": "03 384 1857"}], region="NZ")
    assert out["mobiles"].to_list() == [["+64211234567"], []]
    assert out["landlines"].to_list() == [["+6499480491"], ["+6433841857"]]
    out = std([{"name": "A", "phone": "(02) 9999 1234", "mobile": "0412 345 678"}], region="AU")
    assert (out["mobiles"].to_list(), out["landlines"].to_list()) == ([["+61412345678"]], [["+61299991234"]])


def test_phone_region_follows_the_practice():
    e164 = phone_e164(pl.Series(["NZ", "AU", "UK"]), pl.Series(["021 123 4567", "(02) 9999 1234", "020 7946 0018"]))
    assert e164.to_list() == ["+64211234567", "+61299991234", "+442079460018"]


def test_org_links_become_a_sorted_list():
    links = pl.DataFrame(
        [{"practice_id": "p1", "source": "xpm", "source_client_id": "c0", "organisation_id": o, "organisation_name": o} for o in ("b", "a")],
        schema=ORG_LINK,
    )
    out = std([{"name": "A Pty Ltd"}, {"name": "B Pty Ltd"}], org_links=links)
    assert out["orgs"].to_list() == [["a", "b"], []]


def test_rows_are_ordered_by_key_with_row_index():
    out = std([{"name": "B", "source": "xpm"}, {"name": "A", "source": "hq"}])
    assert out["key"].to_list() == ["hq:c1", "xpm:c0"]
    assert out["rid"].to_list() == [0, 1]


def test_dates_and_addresses():
    out = std([{"name": "A", "date_of_birth": dt.date(1980, 1, 2), "address_line1": "Unit 3/12 Smith Street", "postcode": "2000 "}])
    assert out["dob"][0] == dt.date(1980, 1, 2)
    assert out["address"][0] == "3 12 smith st"
    assert out["postcode"][0] == "2000"


@settings(deadline=None, max_examples=60)
@given(st.lists(st.text(alphabet="aB@. _-x1", max_size=20), min_size=1, max_size=10))
def test_email_normaliser_is_idempotent(values):
    once = pl.select(normalise_email(pl.lit(pl.Series(values, dtype=pl.String)))).to_series()
    assert pl.select(normalise_email(pl.lit(once))).to_series().to_list() == once.to_list()


@settings(deadline=None, max_examples=60)
@given(st.lists(st.text(alphabet="12/ StreetRoadUnit,.", max_size=30), min_size=1, max_size=10))
def test_address_normaliser_is_idempotent(values):
    once = pl.select(normalise_address(pl.lit(pl.Series(values, dtype=pl.String)))).to_series()
    assert pl.select(normalise_address(pl.lit(once))).to_series().to_list() == once.to_list()
