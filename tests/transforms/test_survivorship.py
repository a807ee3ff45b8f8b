"""Survivorship on hand-made practices: every strategy's winners and lineage, carried data, conservation."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.quality.factory import ABN_BAD, ABN_OK, client, crosswalk, frames, practice, strategies
from transforms.carry import own_id
from transforms.survivorship import GROUPS, explode_lineage, survive


def row(u, uid: str) -> dict:
    return u.client.filter(pl.col("unified_client_id") == uid).row(0, named=True)


def lineage(u, uid: str, field: str) -> tuple[str, str, str, str]:
    r = explode_lineage(u.lineage).filter((pl.col("unified_client_id") == uid) & (pl.col("field") == field)).row(0, named=True)
    return r["source"], r["source_client_id"], r["source_field"], r["rule"]


@pytest.fixture(scope="module")
def p1():
    return practice("p1")


def test_keep_xpm_takes_xpm_then_tax_and_archives_hq(p1):
    u = survive(*p1, strategies(p1="keep_xpm"))
    trust = row(u, "p1-u1")
    assert trust["name"] == "Smith Family Trust"
    assert lineage(u, "p1-u1", "name") == ("xpm", "x1", "name", "keep_xpm:source_priority")
    # XPM survives even with an invalid ABN: it is kept and flagged, HQ's valid one is archived with h1
    assert (trust["abn"], trust["abn_valid"]) == (ABN_BAD, False)
    assert lineage(u, "p1-u1", "abn")[:2] == ("xpm", "x1")
    # the street address survives as a block from x1: HQ's line2 does not leak in
    assert (trust["address_line1"], trust["address_line2"], trust["postcode"]) == ("1 XPM St", None, "2000")
    assert lineage(u, "p1-u1", "address_line2")[:2] == ("xpm", "x1")
    # x1 has no postal block: Tax is next
    assert trust["postal_line1"] == "PO Box 1"
    assert lineage(u, "p1-u1", "postal_city") == ("tax", "t1", "postal_city", "keep_xpm:present_over_empty")
    assert (trust["tfn_last3"], trust["tfn_valid"]) == ("782", True)
    roles = dict(u.crosswalk.select("source_client_id", "role").iter_rows())
    assert roles["h1"] == roles["h2"] == "archived" and roles["x1"] == roles["t1"] == "survivor"
    # an archived HQ record only fills what XPM and Tax leave empty
    assert row(u, "p1-u2")["email"] == "jane@example.com"
    assert lineage(u, "p1-u2", "email") == ("hq", "h2", "email", "keep_xpm:present_over_empty")
    assert lineage(u, "p1-u2", "phone") == ("xpm", "x2", "phone", "keep_xpm:survivor_source")


def test_keep_hq_takes_hq_and_archives_xpm_and_tax(p1):
    u = survive(*p1, strategies(p1="keep_hq"))
    trust = row(u, "p1-u1")
    assert (trust["name"], trust["abn"], trust["email"]) == ("Smith Family Trust (HQ)", ABN_OK, "smith@example.com")
    assert (trust["address_line1"], trust["address_line2"]) == ("9 HQ Rd", "Unit 2")
    assert lineage(u, "p1-u1", "name") == ("hq", "h1", "name", "keep_hq:survivor_source")
    # HQ has no postal block: XPM is next, then Tax (x1 has none)
    assert lineage(u, "p1-u1", "postal_line1")[:2] == ("tax", "t1")
    jane = row(u, "p1-u2")
    assert (jane["phone"], jane["email"]) == ("0411", "jane@example.com")
    roles = dict(u.crosswalk.select("source_client_id", "role").iter_rows())
    assert roles["x1"] == roles["t1"] == roles["x2"] == "archived" and roles["h1"] == "survivor"


def test_combine_field_by_field(p1):
    u = survive(*p1, strategies(p1="combine"))
    trust = row(u, "p1-u1")
    assert (trust["abn"], trust["abn_valid"]) == (ABN_OK, True)
    assert lineage(u, "p1-u1", "abn") == ("hq", "h1", "abn", "combine:valid_over_invalid")
    assert lineage(u, "p1-u1", "email") == ("hq", "h1", "email", "combine:valid_over_invalid")
    assert lineage(u, "p1-u1", "name") == ("xpm", "x1", "name", "combine:source_priority")
    assert (trust["address_line1"], trust["address_line2"]) == ("1 XPM St", None)
    assert lineage(u, "p1-u1", "tfn_hash")[:2] == ("xpm", "x1")
    jane = row(u, "p1-u2")
    assert lineage(u, "p1-u2", "phone") == ("xpm", "x2", "phone", "combine:source_priority")
    assert lineage(u, "p1-u2", "email") == ("hq", "h2", "email", "combine:present_over_empty")
    assert (jane["phone"], jane["email"], jane["entity_type"]) == ("0400", "jane@example.com", "person")
    assert trust["entity_type"] == "organisation"
    assert set(u.crosswalk.filter(pl.col("unified_client_id").is_in(["p1-u1", "p1-u2"]))["role"]) == {"merged"}


def test_combine_most_recent_among_dated_records():
    cs = [
        client("p", "hq", "a", "Old Name", phone="1", updated_at=datetime(2022, 1, 1)),
        client("p", "hq", "b", "New Name", phone="2", updated_at=datetime(2023, 1, 1)),
    ]
    cw = crosswalk([("p", "hq", "a", "u", "auto"), ("p", "hq", "b", "u", "auto")])
    u = survive(frames(cs), cw, strategies(p="combine"))
    assert row(u, "u")["name"] == "New Name"
    assert lineage(u, "u", "name") == ("hq", "b", "name", "combine:most_recent")


def test_combine_takes_an_active_records_values_over_an_archived_duplicates_whatever_their_ids():
    """QA (session 35): two XPM records of one client, the archived one with last year's email, phone and address:
    `combine` took the archived one's values because its id sorted first (combine:tie_by_id)."""
    for old_id, new_id in (("a-old", "b-new"), ("x-old", "b-new")):
        cs = [client("p", "xpm", old_id, "Nora Jones", phone="03 9000 0001", email="nora@old.example", archived=True),
              client("p", "xpm", new_id, "Nora Jones", phone="03 9000 0002", email="nora@new.example", archived=False)]  # fmt: skip
        cw = crosswalk([("p", "xpm", old_id, "u", "auto"), ("p", "xpm", new_id, "u", "auto")])
        u = survive(frames(cs), cw, strategies(p="combine"))
        assert (row(u, "u")["email"], row(u, "u")["phone"], row(u, "u")["archived"]) == ("nora@new.example", "03 9000 0002", False)
        assert lineage(u, "u", "email") == ("xpm", new_id, "email", "combine:active_over_archived")


def test_archived_only_when_every_member_is(p1):
    u = survive(*p1, strategies(p1="combine"))
    assert row(u, "p1-u1")["archived"] is False
    assert lineage(u, "p1-u1", "archived") == ("xpm", "x1", "archived", "active_member_keeps_client_active")
    cs = [client("p", "xpm", "a", "A", archived=True), client("p", "hq", "b", "A", archived=True)]
    cw = crosswalk([("p", "xpm", "a", "u", "auto"), ("p", "hq", "b", "u", "auto")])
    u2 = survive(frames(cs), cw, strategies(p="keep_xpm"))
    assert row(u2, "u")["archived"] is True
    assert lineage(u2, "u", "archived")[3] == "all_archived"


def test_review_records_stand_alone_with_stable_ids(p1):
    u = survive(*p1, strategies(p1="combine"))
    review = u.crosswalk.filter(pl.col("merge_status") == "review")
    assert sorted(review["source_client_id"]) == ["h3", "x4"]
    assert dict(review.select("source_client_id", "unified_client_id").iter_rows()) == {
        "h3": own_id("p1", "hq", "h3"), "x4": own_id("p1", "xpm", "x4")}
    assert own_id("p1", "hq", "h3") != own_id("p2", "hq", "h3")
    assert survive(*p1, strategies(p1="combine")).crosswalk.equals(u.crosswalk)


def test_nothing_lost_contacts_groups_fields_relationships_org_links(p1):
    u = survive(*p1, strategies(p1="keep_xpm"))
    contacts = u.contact.filter(pl.col("unified_client_id") == "p1-u1")
    # John Smith appears in XPM and HQ with different case and spacing: one contact, the XPM one
    assert sorted(contacts["name"]) == ["John Smith", "Mary Smith"]
    assert contacts.filter(pl.col("name") == "John Smith")["contact_id"].to_list() == ["c1"]
    groups = u.group_member.select("unified_client_id", "group_name").rows()
    assert sorted(groups) == [("p1-u1", "Smith Group"), ("p1-u2", "Doe")]
    assert u.custom_field.select("unified_client_id", "field_name", "value").rows() == [("p1-u2", "Referral", "web")]
    assert u.relationship.select("unified_client_id", "related_unified_client_id").rows() == [("p1-u2", "p1-u1")]
    orgs = u.org_link.select("unified_client_id", "organisation_id").sort("organisation_id").rows()
    assert orgs == [("p1-u1", "o1"), (own_id("p1", "hq", "h3"), "o3")]


def test_lineage_covers_every_field_from_a_member(p1):
    u = survive(*p1, strategies(p1="combine"))
    fields = [c for cols in GROUPS.values() for c in cols] + ["archived", "entity_type"]
    every = explode_lineage(u.lineage)
    assert every.height == u.client.height * len(fields)
    assert every.select("unified_client_id", "field").n_unique() == every.height
    members = u.crosswalk.select("practice_id", "unified_client_id", "source", "source_client_id")
    assert every.join(members, on=members.columns, how="anti").is_empty()
    # stored compact: one row per client, record and rule; a client of one record is a single row
    alone = u.crosswalk.filter(pl.len().over("unified_client_id") == 1)["unified_client_id"]
    assert u.lineage.filter(pl.col("unified_client_id").is_in(alone.implode()), ~pl.col("rule").str.ends_with("single_record"),
                            ~pl.col("fields").list.contains("archived"), ~pl.col("fields").list.contains("entity_type")).is_empty()
    assert u.lineage.select("unified_client_id", "source", "source_client_id", "rule").n_unique() == u.lineage.height


def test_only_practices_with_a_strategy_are_consolidated():
    f1, cw1 = practice("p1")
    f2, cw2 = practice("p2")
    from landing.frames import Frames

    u = survive(Frames.concat([f1, f2]), pl.concat([cw1, cw2]), strategies(p2="keep_hq"))
    for name in ["client", "contact", "lineage", "crosswalk", "org_link"]:
        assert set(getattr(u, name)["practice_id"]) == {"p2"}


def test_unknown_strategy_is_refused(p1):
    with pytest.raises(ValueError, match="unknown strategy"):
        survive(*p1, strategies(p1="keep_everything"))


@st.composite
def practices(draw):
    """Random practices: records of random sources, random clusters, random statuses, some records uncovered."""
    rows, cw, strats = [], [], []
    for p in range(draw(st.integers(1, 3))):
        pid = f"p{p}"
        n = draw(st.integers(1, 12))
        for i in range(n):
            src = draw(st.sampled_from(["xpm", "hq", "tax"]))
            rows.append(client(pid, src, f"r{i}", draw(st.sampled_from(["A", "B", None])) or "X",
                               archived=draw(st.booleans()), abn=draw(st.sampled_from([None, ABN_OK, ABN_BAD]))))
            status = draw(st.sampled_from(["auto", "review", "unique", "missing"]))
            if status != "missing":
                cw.append((pid, src, f"r{i}", f"{pid}-c{draw(st.integers(0, 3))}", status))
        strats.append((pid, draw(st.sampled_from(["keep_xpm", "keep_hq", "combine"]))))
    return frames(rows), crosswalk(cw), pl.DataFrame(strats, schema=["practice_id", "strategy"], orient="row")


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(practices())
def test_conservation_records_in_equal_records_out(case):
    f, cw, strats = case
    u = survive(f, cw, strats)
    key = ["practice_id", "source", "source_client_id"]
    assert sorted(u.crosswalk.select(key).rows()) == sorted(f.client.select(key).rows())
    assert u.client["member_count"].sum() == f.client.height
    assert u.client.select("practice_id", "unified_client_id").n_unique() == u.client.height
    assert set(u.crosswalk["unified_client_id"]) == set(u.client["unified_client_id"])
    # no unified client spans two practices
    assert u.crosswalk.group_by("unified_client_id").agg(pl.col("practice_id").n_unique())["practice_id"].max() == 1


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(practices(), st.sampled_from(["email", "abn", "address_line1", "postal_line1"]))
def test_a_field_is_empty_only_when_every_member_left_it_empty(case, col):
    f, cw, strats = case
    rng = f.client.with_columns(
        email=pl.when(pl.col("source_client_id").str.ends_with("1")).then(pl.lit("a@b.co")),
        address_line1=pl.when(pl.col("source") == "hq").then(pl.lit("1 Road")),
        postal_line1=pl.when(pl.col("source") == "tax").then(pl.lit("PO Box 2")),
    )
    f = replace(f, client=rng)
    u = survive(f, cw, strats)
    key = ["practice_id", "source", "source_client_id"]
    any_member = (
        u.crosswalk.join(f.client.select(*key, col), on=key)
        .group_by("practice_id", "unified_client_id").agg(has=pl.col(col).is_not_null().any())
    )
    got = u.client.select("practice_id", "unified_client_id", pl.col(col).is_not_null().alias("got"))
    both = any_member.join(got, on=["practice_id", "unified_client_id"])
    assert both.height == u.client.height
    assert (both["has"] == both["got"]).all()


@pytest.mark.parametrize("strategy", ["keep_xpm", "keep_hq", "combine"])
@pytest.mark.parametrize("hostile", ["=HYPERLINK(\"http://x\",\"Smith\")", "+1-800-SMITH", "@SUM(A1)", "Smith\tTrust",
                                     "Smith\u202eTrust"])
def test_a_formula_like_or_control_char_value_never_wins_over_a_clean_one(p1, strategy, hostile):
    f, cw = p1
    # every record of u1 hostile but one: whichever source the strategy prefers, the clean one wins
    for clean_source in ("xpm", "hq", "tax"):
        names = {"xpm": hostile, "hq": hostile, "tax": hostile, clean_source: "Smith Family Trust"}
        client = f.client.with_columns(
            name=pl.when(pl.col("source_client_id").is_in(["x1", "h1", "t1"]))
            .then(pl.col("source").replace_strict(names, default=None))
            .otherwise(pl.col("name"))
        )
        u = survive(replace(f, client=client), cw, strategies(p1=strategy))
        assert row(u, "p1-u1")["name"] == "Smith Family Trust", (strategy, clean_source)
        src, _, _, rule = lineage(u, "p1-u1", "name")
        assert src == clean_source
        preferred = {"keep_xpm": "xpm", "keep_hq": "hq", "combine": "xpm"}[strategy]
        if clean_source != preferred:
            assert rule == f"{strategy}:clean_over_unsafe"


def test_a_hostile_value_still_beats_an_empty_one(p1):
    f, cw = p1
    client = f.client.with_columns(
        name=pl.when(pl.col("source_client_id") == "x4").then(pl.lit("=cmd|' /C calc'!A0")).otherwise(pl.col("name")),
    )
    u = survive(replace(f, client=client), cw, strategies(p1="combine"))
    # nothing is invented: the only name x4 has survives, flagged by the gate, escaped by every export
    assert row(u, own_id("p1", "xpm", "x4"))["name"] == "=cmd|' /C calc'!A0"
