"""Blocking: pairs inside one practice only, recall on typos, hint pairs, block cap."""

from __future__ import annotations

import polars as pl

import datetime as dt
import itertools

import pytest

from tests.transforms.frames import frames_of, practices
from transforms.candidates import candidate_pairs, hint_pairs, mailbox_pairs, pairs_per_record
from transforms.standardise import standardise
from landing.schema import CLIENT, ORG_LINK, SYNC_LINK


def std(rows: list[dict]) -> pl.DataFrame:
    frame = pl.DataFrame([{**{k: None for k in CLIENT}, **r} for r in rows], schema=CLIENT)
    return standardise(frames_of(frame), practices(sorted(set(frame["practice_id"]))))


def rec(practice, cid, name, **kw) -> dict:
    return {"practice_id": practice, "source": "xpm", "source_client_id": cid, "name": name, "client_type": "PERSON", **kw}


def keys(s: pl.DataFrame, pairs: pl.DataFrame) -> set[tuple[str, str]]:
    k = s["key"]
    return {(k[a], k[b]) for a, b in pairs.select("rid_l", "rid_r").iter_rows()}


def test_pairs_never_cross_practices():
    s = std([rec("p1", "a", "John Smith", email="j@x.com"), rec("p2", "a", "John Smith", email="j@x.com"),
             rec("p1", "b", "John Smith", email="j@x.com")])  # fmt: skip
    pairs = candidate_pairs(s)
    prac = s["practice_id"]
    assert pairs.height == 1
    assert all(prac[a] == prac[b] == p for a, b, p in pairs.select("rid_l", "rid_r", "practice_id").iter_rows())


def test_surname_typo_and_name_order_are_still_candidates():
    s = std([rec("p1", "a", "Smith, Jonathan"), rec("p1", "b", "Jonathan Smyth"), rec("p1", "c", "Aroha Ngata")])
    assert ("xpm:a", "xpm:b") in keys(s, candidate_pairs(s))
    assert not any("xpm:c" in p for p in keys(s, candidate_pairs(s)))


def test_shared_identifier_or_phone_makes_a_candidate():
    s = std([rec("p1", "a", "Totally Different", abn="51824753556"), rec("p1", "b", "Other Name", abn="51824753556"),
             rec("p1", "c", "Third", phone="0412 345 678"), rec("p1", "d", "Fourth", phone="+61 412 345 678")])  # fmt: skip
    assert keys(s, candidate_pairs(s)) == {("xpm:a", "xpm:b"), ("xpm:c", "xpm:d")}


def test_a_tax_number_and_a_slip_of_it_make_a_candidate():
    """The only thing two records share is a TFN, mistyped in one (its check digits fail): the readers' slip hashes
    (landing.idents) meet the other's hash. A different valid TFN, or a number unlike both, meets nothing."""
    from landing.idents import LONG, identifiers
    from landing.secrets import HashKey

    numbers = {"a": "123 456 782", "b": "123456728", "c": "123456790", "d": "918273645"}  # b swaps a's last two digits
    long = pl.DataFrame([("xpm", c, "TFN", v) for c, v in numbers.items()], schema=LONG, orient="row")
    ident = identifiers(long, "p1", "AU", HashKey("candidate-tests-key-not-a-secret-000", "test"))
    names = {"a": "Totally Different", "b": "Other Name", "c": "Third Person", "d": "Fourth Client"}
    frame = pl.DataFrame([{**{k: None for k in CLIENT}, **rec("p1", c, n)} for c, n in names.items()], schema=CLIENT)
    s = standardise(frames_of(frame).with_(identifier=ident), practices(["p1"]))
    assert keys(s, candidate_pairs(s)) == {("xpm:a", "xpm:b")}


def test_pairs_are_ordered_and_unique():
    s = std([rec("p1", c, "John Smith", email="j@x.com", phone="0412345678") for c in "abc"])
    pairs = candidate_pairs(s)
    assert pairs.height == 3
    assert (pairs["rid_l"] < pairs["rid_r"]).all()


def test_huge_blocks_are_capped_and_weak_keys_need_company():
    # no two names a typo apart (a digit read as a letter, two letters in each other's place): only the email joins them
    prefixes = ["".join(p) for p in itertools.combinations_with_replacement("abcdefghij", 2)]
    s = std([rec("p1", f"c{i:03d}", f"Person{i} {prefixes[i]}unique", email=f"shared{i // 20}@x.com") for i in range(40)])
    assert candidate_pairs(s, max_block=10).height == 0
    assert candidate_pairs(s, max_block=100).height > 0
    # a postcode and an initial alone join too many unrelated clients: not a candidate
    s = std([rec("p1", "a", "Alice Nguyen", postcode="2000"), rec("p1", "b", "Andrew Kowalski", postcode="2000")])
    assert candidate_pairs(s).height == 0


# the variations of issue 12 that a person merges at a glance: every one must be a candidate pair
VARIATIONS = {
    "case": ({"name": "BRENT REES", "email": "brent@x.com"}, {"name": "Brent Rees", "date_of_birth": dt.date(1980, 1, 2)}),
    "surname_comma_given_typo": ({"name": "Zemanovic, Jacck", "postcode": "2000"}, {"name": "Jack Zemanovic"}),
    "nickname_other_initial": ({"name": "Bob Marley"}, {"name": "Robert Marley"}),
    "nickname_jon": ({"name": "Jon Clarke"}, {"name": "Jonathan Clarke"}),
    "nickname_mike": ({"name": "Mike Manson"}, {"name": "Michael Manson"}),
    "email_case_only": ({"name": "C Billman", "email": "Callum.B@X.com"}, {"name": "Totally Other", "email": "callum.b@x.com"}),
    "dob_day_month_swapped": ({"name": "Ann Lee", "date_of_birth": dt.date(1980, 3, 7)},
                              {"name": "Anne Leigh", "date_of_birth": dt.date(1980, 7, 3)}),
    "dob_year_apart": ({"name": "Callum Billman", "date_of_birth": dt.date(1980, 3, 7)},
                       {"name": "Calum Bilman", "date_of_birth": dt.date(1981, 3, 7)}),
    "surname_typo_in_first_letter": ({"name": "Nicholas Zdams"}, {"name": "Nicky Adams"}),
    "given_and_family_name_swapped": ({"name": "x", "first_name": "Esposito", "last_name": "Jonathan"},
                                      {"name": "Jonathan Esposito", "first_name": "Jonathan", "last_name": "Esposito"}),
    "phone_formatting": ({"name": "Q", "phone": "(02) 9999 1234"}, {"name": "R", "mobile": "+61 2 9999 1234"}),
    "abn_formatting": ({"name": "Acme", "abn": "51 824 753 556"}, {"name": "Acme Holdings", "abn": "51824753556"}),
    "partners_initials": ({"name": "J & N Wallace", "business_structure": "Partnership"},
                          {"name": "Joseph and Natalie Wallace", "business_structure": "Partnership"}),
    # a scanned form read "m" as "rn" in both names, and "w" as "vv": nothing else links the two records
    "ocr_rn_for_m": ({"name": "Rnatthew Simpson"}, {"name": "Matthew Sirnpson", "date_of_birth": dt.date(1952, 11, 6)}),
    "ocr_vv_for_w": ({"name": "Victoria Vvright", "email": "vw@x.com"}, {"name": "Victoria Wrigbt", "postcode": "2067"}),
    # two letters of the given name keyed in each other's place, and a slip in the surname past its first two letters
    "given_transposed_surname_typo": ({"name": "Finlay White", "postcode": "4227"}, {"name": "Filnay Whige", "postcode": "4228"}),
    # one house with its street type mistyped: nothing else in common (Febrl3's rec-567 and rec-1493)
    "street_type_typo": ({"name": "Isabella Shadnley", "address_line1": "57 Fincham Crescent", "postcode": "2642"},
                         {"name": "Isabel Browne", "address_line1": "57 Fincham Cerscent", "postcode": "2642"}),
    "postal_street_type_typo": ({"name": "Holly Green", "postal_line1": "PO 3 Larpent St", "postal_postcode": "2101"},
                                {"name": "Matthew Grene", "postal_line1": "3 Larpent Sztreet", "postal_postcode": "2101"}),
}  # fmt: skip


@pytest.mark.parametrize("kind", list(VARIATIONS))
def test_every_variation_of_one_client_is_a_candidate(kind):
    a, b = VARIATIONS[kind]
    noise = [rec("p1", f"z{i}", n) for i, n in enumerate(["Aroha Ngata", "Wei Chen", "Priya Sharma", "Liam Walsh"])]
    s = std([{**rec("p1", "a", None), **a}, {**rec("p1", "b", None), **b}, *noise])
    assert ("xpm:a", "xpm:b") in keys(s, candidate_pairs(s)), kind


# one person keyed under another surname in one system (married, maiden, or mistyped) whose own mailbox still spells
# the name the other system has: first.last, an initial and the surname, the surname and an initial, a whole given
# name against a record of its initial only
MAILBOXES = {
    "mailbox_keeps_former_surname": ({"name": "Nicholas Esposito", "email": "nicholas.thornton@gmail.com"},
                                     {"name": "Nicholas Thornton", "date_of_birth": dt.date(1993, 10, 22)}),
    "mailbox_initial_surname": ({"name": "William Kumar", "email": "WBell@gmail.com"}, {"name": "William Bell", "postcode": "2150"}),
    "mailbox_surname_initial": ({"name": "Raj Doyle-King", "email": "king.r@icloud.com"}, {"name": "Raj King", "postcode": "5045"}),
    "mailbox_names_an_initial": ({"name": "D Santos", "date_of_birth": dt.date(1982, 1, 12)},
                                 {"name": "Daniel Thornton", "email": "daniel.santos@gmail.com"}),
}  # fmt: skip


@pytest.mark.parametrize("kind", list(MAILBOXES))
def test_a_mailbox_spelling_another_systems_name_makes_a_candidate(kind):
    a, b = MAILBOXES[kind]
    noise = [rec("p1", f"z{i}", n) for i, n in enumerate(["Aroha Ngata", "Wei Chen", "Priya Sharma", "Liam Walsh"])]
    s = std([{**rec("p1", "a", None), **a, "source": "hq"}, {**rec("p1", "b", None), **b}, *noise])
    assert ("hq:a", "xpm:b") in keys(s, candidate_pairs(s)), kind


def test_a_house_number_and_street_word_meet_only_with_the_postcode():
    # "12 Smith Stret" of two towns is two addresses; a unit number before the house number is read past
    s = std([rec("p1", "a", "Aroha Ngata", address_line1="12 Smith Stret", postcode="2000"),
             rec("p1", "b", "Wei Chen", address_line1="12 Smith Street", postcode="3000"),
             rec("p1", "c", "Priya Sharma", address_line1="Unit 4/12 Smith Stret", postcode="3000"),
             rec("p1", "d", "Liam Walsh", address_line1="Smith Street", postcode="3000")])  # fmt: skip
    assert keys(s, candidate_pairs(s)) == {("xpm:b", "xpm:c")}


def test_a_mailbox_meets_only_its_owners_name_in_its_practice():
    # "sarah.graham@" on Christine Graham's record is a relative's (another given name): it names Sarah, not
    # Christine; Nicholas Thornton of another practice is not compared; a mailbox of a given name alone names no one;
    # two records of one system are not compared for it (one system took the new surname, the other kept the old)
    s = std([rec("p1", "a", "Christine Graham", email="sarah.graham@gmail.com", source="hq"), rec("p1", "b", "Sarah Graham"),
             rec("p1", "c", "Nicholas Esposito", email="nicholas.thornton@gmail.com", source="hq"), rec("p2", "d", "Nicholas Thornton"),
             rec("p1", "e", "Liam Walsh", email="liam80@gmail.com", source="hq"), rec("p1", "f", "Liam Thornton"),
             rec("p1", "g", "Ruby Bakery", email="ruby.fischer@gmail.com"), rec("p1", "h", "Ruby Fischer")])  # fmt: skip
    assert candidate_pairs(s).height == 0


def test_a_mailbox_of_its_owners_own_name_adds_no_pair():
    # Raymond Nguyen's mailbox on his record keyed "Riguyen" spells his own name with a slip: it says nothing about
    # his namesake (a father and son); a record of an initial only meets a whole given name cut to it, not another's
    s = std([rec("p1", "a", "Raymond Riguyen", email="rnguyen9@xtra.co.nz", source="tax"), rec("p1", "b", "Raymond Nguyen"),
             rec("p1", "c", "Dylan Santos"), rec("p1", "d", "Dean Chen", email="daniel.santos@gmail.com", source="tax")])  # fmt: skip
    assert mailbox_pairs(s).height == 0


def test_two_records_of_one_xero_organisation_are_candidates():
    # "Webb Entsrprises" and "Wegb Enterprises": a typo in each name, but one Xero organisation behind both
    client = pl.DataFrame([{**{k: None for k in CLIENT}, **rec("p1", c, n, client_type="ORGANISATION")}
                           for c, n in (("a", "Webb Entsrprises"), ("b", "Wegb Enterprises"), ("z", "Aroha Ngata"))], schema=CLIENT)
    links = pl.DataFrame([{"practice_id": "p1", "source": "xpm", "source_client_id": c, "organisation_id": "org-1", "organisation_name": None}
                          for c in "ab"], schema=ORG_LINK)  # fmt: skip
    s = standardise(frames_of(client, links), practices(["p1"]))
    assert keys(s, candidate_pairs(s)) == {("xpm:a", "xpm:b")}


def test_hint_pairs_from_sync_links_and_tax_references():
    s = std([{**rec("p1", "x1", "A"), "source": "xpm"}, {**rec("p1", "h1", "B"), "source": "hq"},
             {**rec("p1", "T1", "C"), "source": "tax", "xpm_client_uuid": "x1"}])  # fmt: skip
    sync = pl.DataFrame([{"practice_id": "p1", "xpm_client_uuid": "x1", "hq_client_id": "h1", "state": "active"}], schema=SYNC_LINK)
    hints = hint_pairs(s, sync)
    k = s["key"]
    assert {(k[a], k[b], kind) for a, b, kind in hints.iter_rows()} == {("hq:h1", "xpm:x1", "sync"), ("tax:T1", "xpm:x1", "tax_xpm")}
    assert candidate_pairs(s, hints).height == 2


def test_pairs_per_record_counts_both_ends():
    s = std([rec("p1", c, "John Smith", email="j@x.com") for c in "ab"] + [rec("p1", "z", "Aroha Ngata")])
    counts = pairs_per_record(candidate_pairs(s), s)
    assert dict(zip(counts["source_client_id"], counts["pairs"])) == {"a": 1, "b": 1, "z": 0}
