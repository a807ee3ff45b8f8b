"""Blocking: pairs inside one practice only, recall on typos, hint pairs, block cap."""

from __future__ import annotations

import polars as pl

from transforms.candidates import candidate_pairs, hint_pairs, pairs_per_record
from transforms.standardise import standardise
from landing.schema import CLIENT, ORG_LINK, PRACTICE, SYNC_LINK, empty


def std(rows: list[dict]) -> pl.DataFrame:
    frame = pl.DataFrame([{**{k: None for k in CLIENT}, **r} for r in rows], schema=CLIENT)
    ids = sorted(set(frame["practice_id"]))
    regs = pl.DataFrame([{**{k: None for k in PRACTICE}, "practice_id": p, "region": "AU"} for p in ids], schema=PRACTICE)
    return standardise(frame, empty(ORG_LINK), regs)


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


def test_pairs_are_ordered_and_unique():
    s = std([rec("p1", c, "John Smith", email="j@x.com", phone="0412345678") for c in "abc"])
    pairs = candidate_pairs(s)
    assert pairs.height == 3
    assert (pairs["rid_l"] < pairs["rid_r"]).all()


def test_huge_blocks_are_capped():
    s = std([rec("p1", f"c{i:03d}", f"Person{i} Unique{i}", postcode="2000") for i in range(30)])
    assert candidate_pairs(s, max_block=10).height == 0
    assert candidate_pairs(s, max_block=100).height > 0


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
