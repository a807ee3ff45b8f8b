"""Drift between legacy-sync-linked XPM and HQ clients, field by field."""

from __future__ import annotations

from datetime import datetime

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from transforms.drift import DRIFT, SYNCED_FIELDS, drift, link_sides, normalise
from landing.schema import CLIENT, SYNC_LINK

SYNCED = datetime(2023, 9, 1)


def client(source: str, cid: str, practice: str = "p1", **kw) -> dict:
    row = {k: None for k in CLIENT.names()}
    row.update(practice_id=practice, source=source, source_client_id=cid, name="Smith Family Trust")
    row.update(kw)
    return row


def link(xpm: str, hq: str, practice: str = "p1", state: str = "active", synced=SYNCED) -> dict:
    return {
        "practice_id": practice, "xpm_client_uuid": xpm, "hq_client_id": hq, "linked_at": datetime(2020, 1, 1),
        "last_synced_at": synced, "state": state, "record_no": 1,
    }  # fmt: skip


def frames(clients: list[dict], links: list[dict]) -> tuple[pl.DataFrame, pl.DataFrame]:
    return pl.DataFrame(clients, schema=CLIENT), pl.DataFrame(links, schema=SYNC_LINK)


def test_formatting_differences_are_not_drift():
    xpm = client("xpm", "x1", email="A.Smith@Example.com ", phone="+61 2 9999 0000", address_line1="1 Main St, Unit 2",
                 country="Australia", region="New South Wales", postcode="2000")  # fmt: skip
    hq = client("hq", "h1", name="smith  family TRUST", email="a.smith@example.com", phone="(02) 9999 0000",
                address_line1="1 Main St", address_line2="Unit 2", country="AU", region="NSW", postcode=" 2000",
                updated_at=datetime(2023, 10, 1))  # fmt: skip
    co_x = client("xpm", "x2", name="Wong Engineering Pty. Ltd.", address_line1="8 Rimu Drive")
    co_h = client("hq", "h2", name="WONG ENGINEERING PROPRIETARY LIMITED", address_line1="8 rimu dr",
                  updated_at=datetime(2023, 10, 1))  # fmt: skip
    out = drift(*frames([xpm, hq, co_x, co_h], [link("x1", "h1"), link("x2", "h2")]))
    assert out.schema == DRIFT
    assert out.height == 0


def test_real_name_and_address_changes_are_drift():
    xpm = client("xpm", "x1", name="Wong Engineering Pty Ltd", address_line1="10 King Lane")
    hq = client("hq", "h1", name="Wong Plumbing Pty Ltd", address_line1="158 Oak Pde", updated_at=datetime(2023, 10, 1))
    out = drift(*frames([xpm, hq], [link("x1", "h1")]))
    assert out.select("field", "hq_value").rows() == [("address", "158 Oak Pde"), ("name", "Wong Plumbing Pty Ltd")]


def test_hq_edit_after_last_sync_is_attributed_to_hq():
    xpm = client("xpm", "x1", email="old@example.com", city="Sydney")
    hq = client("hq", "h1", email="new@example.com", city="Sydney", updated_at=datetime(2023, 10, 1))
    out = drift(*frames([xpm, hq], [link("x1", "h1")]))
    assert out.select("field", "xpm_value", "hq_value", "edited_side").rows() == [
        ("email", "old@example.com", "new@example.com", "hq")
    ]
    assert out["hq_updated_at"][0] == datetime(2023, 10, 1) and out["last_synced_at"][0] == SYNCED


def test_difference_with_hq_untouched_since_sync_is_attributed_to_xpm():
    xpm = client("xpm", "x1", city="Melbourne", phone="0398765432")
    hq = client("hq", "h1", city="Sydney", phone="0398765432", updated_at=datetime(2023, 8, 1))
    out = drift(*frames([xpm, hq], [link("x1", "h1")]))
    assert out.select("field", "edited_side").rows() == [("city", "xpm")]


def test_tax_numbers_compare_by_hash_and_never_show_raw():
    xpm = client("xpm", "x1", tfn_hash="hash-a", tfn_last3="123", ird_hash="same", ird_last3="999")
    hq = client("hq", "h1", tfn_hash="hash-b", tfn_last3="456", ird_hash="same", ird_last3="999",
                updated_at=datetime(2023, 10, 1))  # fmt: skip
    out = drift(*frames([xpm, hq], [link("x1", "h1")]))
    assert out.select("field", "xpm_value", "hq_value").rows() == [("tfn", "***123", "***456")]


def test_links_never_join_across_practices():
    # the same ids in two practices: each link must only see its own practice's records
    rows = [
        client("xpm", "x1", "p1", email="a@example.com"),
        client("hq", "h1", "p1", email="a@example.com", updated_at=datetime(2023, 10, 1)),
        client("xpm", "x1", "p2", email="b@example.com"),
        client("hq", "h1", "p2", email="c@example.com", updated_at=datetime(2023, 10, 1)),
    ]
    out = drift(*frames(rows, [link("x1", "h1", "p1"), link("x1", "h1", "p2")]))
    assert out.select("practice_id", "field").rows() == [("p2", "email")]


def test_missing_side_gives_no_drift_but_is_reported():
    rows = [client("hq", "h1", updated_at=datetime(2023, 10, 1), archived=True)]
    c, ln = frames(rows, [link("gone", "h1")])
    assert drift(c, ln).height == 0
    sides = link_sides(c, ln)
    assert sides.select("xpm_found", "hq_found", "hq_archived").rows() == [(False, True, True)]


def test_unknown_side_when_timestamps_missing_and_output_sorted():
    rows = [
        client("xpm", "x2", email="x@example.com"),
        client("hq", "h2", email="y@example.com"),
        client("xpm", "x1", city="A"),
        client("hq", "h1", city="B", updated_at=datetime(2023, 10, 1)),
    ]
    out = drift(*frames(rows, [link("x2", "h2"), link("x1", "h1", synced=None)]))
    assert out.select("xpm_client_uuid", "edited_side").rows() == [("x1", "unknown"), ("x2", "unknown")]


_text = st.text(alphabet=st.sampled_from("abcXYZ 12,.+-()\t"), max_size=20)


@settings(max_examples=60, deadline=None)
@given(values=st.lists(st.one_of(st.none(), _text), min_size=1, max_size=10), kind=st.sampled_from(sorted(set(SYNCED_FIELDS.values()) - {"secret"})))
def test_normalise_is_idempotent(values, kind):
    s = pl.DataFrame({"v": values}, schema={"v": pl.String})
    once = s.select(normalise(pl.col("v"), kind))
    twice = once.select(normalise(pl.col("v"), kind))
    assert once.equals(twice)


@settings(max_examples=40, deadline=None)
@given(email=_text, city=_text, name=st.text(alphabet="abc ", min_size=1, max_size=10))
def test_drift_is_symmetric_in_its_fields(email, city, name):
    # swapping the two sides' values finds the same fields, with the values swapped
    a = {"email": email, "city": city, "name": name}
    b = {"email": email.upper(), "city": city + "x", "name": name}
    def run(x, y):
        rows = [client("xpm", "x1", **x), client("hq", "h1", updated_at=datetime(2023, 10, 1), **y)]
        return drift(*frames(rows, [link("x1", "h1")]))
    ab, ba = run(a, b), run(b, a)
    assert ab["field"].to_list() == ba["field"].to_list()
    assert ab["xpm_value"].to_list() == ba["hq_value"].to_list()
    assert "city" in ab["field"].to_list()
