"""Comparison levels: symmetric by construction, the hard rules raise their veto."""

from __future__ import annotations

import datetime as dt

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.transforms.frames import clients, frames_of, practices
from transforms.compare import FIELDS, Features, common_dobs, compare
from transforms.standardise import standardise
from landing.schema import ORG_LINK


def std(rows: list[dict], org_links: pl.DataFrame | None = None, **tables) -> pl.DataFrame:
    frame = clients([{"source": "xpm", "source_client_id": f"c{i}", **r} for i, r in enumerate(rows)])
    return standardise(frames_of(frame, org_links, **tables), practices())


def level(cmp: pl.DataFrame, field: str) -> str:
    return FIELDS[field][cmp[field][0]]


def pair(a: dict, b: dict, org_links=None, **tables) -> pl.DataFrame:
    return compare(std([a, b], org_links, **tables), pl.DataFrame({"rid_l": [0], "rid_r": [1]}))


def test_person_name_levels():
    assert level(pair({"name": "John Smith"}, {"name": "Smith, John"}), "name") == "exact"
    assert level(pair({"name": "Bob Smith"}, {"name": "Robert Smith"}), "name") == "nickname"
    # the nickname list relates Jon to Jonathan and Mike to Michael, whatever their first letters
    assert level(pair({"name": "Jon Clarke"}, {"name": "Jonathan Clarke"}), "name") == "nickname"
    assert level(pair({"name": "Mike Manson"}, {"name": "Michael Manson"}), "name") == "nickname"
    assert level(pair({"name": "BRENT REES"}, {"name": "Brent Rees"}), "name") == "exact"
    assert level(pair({"name": "Zemanovic, Jacck"}, {"name": "Jack Zemanovic"}), "name") == "fuzzy"
    assert level(pair({"name": "Jonathon Smith"}, {"name": "Jonathan Smith"}), "name") == "fuzzy"
    assert level(pair({"name": "J Smith"}, {"name": "John Smith"}), "name") == "initial"
    assert level(pair({"name": "Mary Smith"}, {"name": "John Smith"}), "name") == "surname_only"
    assert level(pair({"name": "John Smith Jr"}, {"name": "John Smith Sr"}), "name") == "generation_differs"


def test_org_name_levels():
    a = {"name": "Smith Holdings Pty Ltd", "business_structure": "Company"}
    assert level(pair(a, {"name": "SMITH HOLDINGS PTY. LIMITED"}), "name") == "org_exact"
    assert level(pair(a, {"name": "Smith Pty Ltd"}), "name") == "org_partial"
    assert level(pair(a, {"name": "Jones Holdings Pty Ltd"}), "name") == "org_different"


def test_an_abbreviated_family_trust_is_the_family_trust_and_not_the_unit_trust():
    fam = {"name": "Byrne Fam Trust", "business_structure": "Trust"}
    assert level(pair(fam, {"name": "The Trustee for the Byrne Family Trust", "business_structure": "Trust"}), "name") == "org_exact"
    # the family's other trust stays a look-alike the hard rule keeps apart
    cmp = pair(fam, {"name": "Byrne Unit Trust", "business_structure": "Trust"})
    assert level(cmp, "name") == "org_exact_other_type" and "entity_type" in cmp["veto"][0]


def test_a_legal_form_with_full_stops_is_the_legal_form():
    llc = {"name": "Cooper Automotive L.L.C.", "business_structure": "Company"}
    assert level(pair(llc, {"name": "COOPER AUTOMOTIVE LLC", "business_structure": "Company"}), "name") == "org_exact"
    hldgs = {"name": "Bailey Hldgs P.T.Y. L.T.D.", "business_structure": "Company"}
    assert level(pair(hldgs, {"name": "Bailey Holdings Pty Ltd", "business_structure": "Company"}), "name") == "org_exact"


def test_valid_identifiers_that_differ_are_vetoed():
    cmp = pair({"name": "A Pty Ltd", "abn": "51824753556"}, {"name": "A Pty Ltd", "abn": "53004085616"})
    assert level(cmp, "business_no") == "different" and "identifier" in cmp["veto"][0]


def test_an_invalid_or_unchecked_identifier_never_vetoes():
    cmp = pair({"name": "A Pty Ltd", "abn": "51824753556"}, {"name": "A Pty Ltd", "abn": "51824753557"})
    assert level(cmp, "business_no") == "different_unchecked" and cmp["veto"][0] is None
    # a tax number without a check-digit verdict (an 8-digit TFN) weighs in, but never vetoes
    cmp = pair({"name": "Jo Bloggs", "tfn_hash": "h1", "tfn_valid": None}, {"name": "Jo Bloggs", "tfn_hash": "h2", "tfn_valid": True})
    assert level(cmp, "tax_no") == "different_unchecked" and cmp["veto"][0] is None


def test_two_valid_numbers_that_end_alike_are_weighed_not_vetoed():
    # 36202843 and 036-202-843: one IRD number, two canonical forms if a reader does not pad it
    a = {"name": "Mere Ngata", "ird_hash": "h36202843", "ird_last3": "843", "ird_valid": True}
    cmp = pair(a, {**a, "ird_hash": "h036202843"})
    assert level(cmp, "tax_no") == "different_same_ending" and cmp["veto"][0] is None


def test_the_same_number_in_any_formatting_is_exact():
    cmp = pair({"name": "A Pty Ltd", "abn": "51 824 753 556"}, {"name": "A Pty Ltd", "abn": "51824753556"})
    assert level(cmp, "business_no") == "exact"
    # an ACN in one system and the ABN that embeds it in another are the same company
    cmp = pair({"name": "A Pty Ltd", "acn": "004 085 616"}, {"name": "A Pty Ltd", "abn": "53004085616"})
    assert level(cmp, "company_no") == "exact"


def test_person_and_organisation_are_vetoed():
    cmp = pair({"name": "John Smith", "client_type": "PERSON"}, {"name": "Smith Pty Ltd"})
    assert "entity_kind" in cmp["veto"][0]


def test_different_dates_of_birth_are_vetoed_but_a_slip_is_not():
    a = {"name": "John Smith", "date_of_birth": dt.date(1970, 3, 4)}
    assert "dob" in pair(a, {"name": "John Smith", "date_of_birth": dt.date(2001, 7, 9)})["veto"][0]
    slips = {dt.date(1970, 4, 3): "transposed", dt.date(1971, 3, 4): "year_off", dt.date(1970, 3, 5): "one_digit"}
    for other, name in slips.items():
        cmp = pair(a, {"name": "John Smith", "date_of_birth": other})
        assert level(cmp, "dob") == name and cmp["veto"][0] is None


def test_a_shared_tax_number_outweighs_a_birthday_that_disagrees():
    # the same TFN and name: the birthday is the keying error; the model weighs it, no veto
    a = {"name": "John Smith", "date_of_birth": dt.date(1970, 3, 4), "tfn_hash": "h1", "tfn_valid": True}
    cmp = pair(a, {**a, "date_of_birth": dt.date(1981, 9, 12)})
    assert level(cmp, "dob") == "different" and cmp["veto"][0] is None
    # a business number may be a family's: a parent and child in one business keep their veto
    b = {"name": "John Smith", "date_of_birth": dt.date(1970, 3, 4), "abn": "51824753556"}
    assert "dob" in pair(b, {**b, "date_of_birth": dt.date(2001, 9, 12)})["veto"][0]


def _with_numbers(numbers: list[tuple[str, str]], dobs: list[dt.date] | None = None) -> pl.DataFrame:
    """Records c0, c1, ... of one name holding one number each ((label, as written), read by the readers'
    identifier step) and the birthdays `dobs`; the pairs (c0, c1) and (c0, c2) compared."""
    from landing.idents import LONG, identifiers
    from landing.secrets import HashKey

    long = pl.DataFrame([("xpm", f"c{i}", label, value) for i, (label, value) in enumerate(numbers)], schema=LONG, orient="row")
    ident = identifiers(long, "p1", "AU", HashKey("compare-tests-key-not-a-secret-0000", "test"))
    frame = clients([{"source": "xpm", "source_client_id": f"c{i}", "name": "Jo Bloggs", "date_of_birth": (dobs or [None] * 3)[i]}
                     for i in range(len(numbers))])  # fmt: skip
    cmp = compare(standardise(frames_of(frame).with_(identifier=ident), practices()), pl.DataFrame({"rid_l": [0, 0], "rid_r": [1, 2]}))
    return cmp.with_columns(tax=pl.col("tax_no").replace_strict(dict(enumerate(FIELDS["tax_no"]))),
                            other=pl.col("other_no").replace_strict(dict(enumerate(FIELDS["other_no"]))))  # fmt: skip


def test_a_mistyped_tax_number_is_one_slip_of_the_right_one_and_never_vetoes():
    # 123 456 782 is a valid TFN; 123456728 swaps its last two digits (check fails); 123 456 790 is another valid TFN
    cmp = _with_numbers([("TFN", "123 456 782"), ("TaxNumber", "123456728"), ("TFN", "123456790")])
    assert cmp["tax"].to_list() == ["one_slip", "different"]
    assert cmp["veto"][0] is None and "identifier" in cmp["veto"][1]
    # with birthdays far apart, the slip is the same number keyed wrongly: like a shared number, no birthday veto
    days = [dt.date(1970, 3, 4), dt.date(1988, 11, 20), dt.date(1970, 3, 4)]
    dobs = _with_numbers([("TFN", "123456782"), ("TFN", "123456728"), ("TFN", "123456730")], days)
    assert dobs["tax"].to_list() == ["one_slip", "different_unchecked"] and FIELDS["dob"][dobs["dob"][0]] == "different"
    assert dobs["veto"][0] is None
    # numbers without a check: one slip apart, or two numbers that differ throughout
    cmp = _with_numbers([("Passport", "PA1234567"), ("Passport", "PA1243567"), ("Passport", "PA7654321")])
    assert cmp["other"].to_list() == ["one_slip", "different_unchecked"] and cmp["veto"].to_list() == [None, None]


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
    # the shared name belongs to a family, so name and type are one level
    assert level(cmp, "name") == "org_exact_other_type"


def test_emails_compare_without_case_and_with_the_contacts_mailboxes():
    assert level(pair({"name": "Callum Billman", "email": "Callum.B@x.com"}, {"name": "Callum Billman", "email": "callum.b@x.com"}),
                 "email") == "exact"  # fmt: skip
    contact = [{"source": "xpm", "source_client_id": "c1", "contact_id": "k1", "email": "office@acme.com.au"}]
    cmp = pair({"name": "Acme Pty Ltd", "email": "office@acme.com.au"}, {"name": "Acme Pty Ltd"}, contact=contact)
    assert level(cmp, "email") == "exact"


def test_a_landline_is_a_households_and_a_mobile_ones_own():
    a = {"name": "Jo Smith", "phone": "02 9999 1234", "mobile": "0412 345 678"}
    cmp = pair(a, {"name": "Jo Smith", "phone": "(02) 9999 1234", "mobile": "0499 888 777"})
    assert level(cmp, "phone") == "shared" and level(cmp, "mobile") == "different"


def test_two_records_of_one_name_in_one_system_are_counted():
    rows = [{"name": "John Smith", "source": "hq"}, {"name": "John Smith", "source": "xpm"}, {"name": "John Smith", "source": "xpm"}]
    frame = clients([{"source_client_id": f"c{i}", **r} for i, r in enumerate(rows)])
    cmp = compare(standardise(frames_of(frame), practices()), pl.DataFrame({"rid_l": [0], "rid_r": [1]}))
    assert level(cmp, "name_count") == "repeated_in_a_system"
    assert level(pair({"name": "John Smith", "source": "hq"}, {"name": "John Smith"}), "name_count") == "once_per_system"


def test_a_relationship_record_is_not_a_comparison_field():
    # related clients are kept apart by the matcher's "related" veto (test_matching), not by a level
    assert "related" not in FIELDS


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


def test_a_birthday_many_records_carry_is_weak_agreement_and_still_vetoes_a_real_one():
    a = {"name": "Ann Lee", "date_of_birth": dt.date(2005, 12, 31)}
    s = std([a, {"name": "Ann Lee", "date_of_birth": dt.date(2005, 12, 31)}, {"name": "Ann Lee", "date_of_birth": dt.date(1971, 2, 3)}])
    both = pl.DataFrame({"rid_l": [0, 0], "rid_r": [1, 2]})
    placeholder = compare(s, both, Features(s, ["2005-12-31"]))
    assert [FIELDS["dob"][v] for v in placeholder["dob"]] == ["exact_common", "different"]
    assert "dob" in placeholder["veto"][1]  # a placeholder on one side and a real birthday on the other still differ
    assert [FIELDS["dob"][v] for v in compare(s, both)["dob"]] == ["exact", "different"]


def test_placeholder_birthdays_are_those_far_more_records_carry_than_any_birthday():
    dates = [dt.date(2005, 12, 31)] * 30 + [dt.date(1950, 1, 1) + dt.timedelta(days=i) for i in range(600) for _ in range(2)]
    s = pl.DataFrame({"dob": dates})
    assert common_dobs(s) == ["2005-12-31"]
    assert common_dobs(s.head(40)) == ["2005-12-31"]
    assert common_dobs(s.head(19)) == []  # too few records to say


def test_middle_names_from_every_place_a_system_keeps_them():
    # XPM's other-name field, the display name's middle word and HQ's legal name all say "Maria"
    xpm = {"name": "Singh, Priya", "first_name": "Priya", "other_name": "Maria", "last_name": "Singh"}
    assert level(pair(xpm, {"name": "Priya Singh", "legal_name": "Priya Maria Singh"}), "middle") == "same"
    assert level(pair(xpm, {"name": "Priya Maria Singh"}), "middle") == "same"
    # an initial agrees with the name it begins; a full name with another full name of that letter does not
    assert level(pair({"name": "Oliver J Cook"}, {"name": "Cook, Oliver James"}), "middle") == "initial"
    assert level(pair({"name": "Oliver Jack Cook"}, {"name": "Oliver James Cook"}), "middle") == "different"
    # a father and a son of one name: their middle names tell them apart
    assert level(pair({"name": "Henry Ronald Barnes"}, {"name": "Henry Edward Barnes"}), "middle") == "different"
    # no middle name on one side says nothing
    assert level(pair(xpm, {"name": "Priya Singh"}), "middle") == "null"


def test_a_surname_of_several_words_is_not_a_middle_name():
    a, b = {"name": "Anna van der Berg"}, {"name": "Anna van der Berg", "first_name": "Anna", "last_name": "van der Berg"}
    assert level(pair(a, b), "middle") == "null"
    assert level(pair({"name": "John and Mary Smith"}, {"name": "John and Mary Smith"}), "middle") == "null"
    assert level(pair({"name": "Smith Holdings Pty Ltd"}, {"name": "Smith Holdings Pty Ltd"}), "middle") == "null"
