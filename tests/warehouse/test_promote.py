"""Versioned promotion on a real DuckDB: idempotent reruns, new versions, rollback, atomicity, no raw TFN."""

from __future__ import annotations

from dataclasses import replace

import duckdb
import polars as pl
import pytest

from flows.commit import unified_tables
from landing.frames import Frames
from tests.quality.factory import TFN_RAW, crosswalk, practice, strategies
from transforms.survivorship import survive
from warehouse.db import transaction
from warehouse.promote import PromotionError
from warehouse.promote import promote as _promote
from warehouse.promote import rollback as _rollback
from warehouse.schema import VERSIONED, create_all
from warehouse.staging import load_staging

VIEWS = VERSIONED


def fresh() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    create_all(con)
    return con


def promote(con, unified, ids, run_id):
    with transaction(con):
        return _promote(con, unified_tables(unified), ids, run_id)


def rollback(con, pid):
    with transaction(con):
        return _rollback(con, pid)


def snapshot(con: duckdb.DuckDBPyConnection) -> dict[str, list[tuple]]:
    """Every table and view, sorted, without the promotion timestamp."""
    names = [r[0] for r in con.sql("select table_name from information_schema.tables order by 1").fetchall()]
    out = {}
    for n in names:
        q = "select * exclude (promoted_at) from promotion_version" if n == "promotion_version" else f"select * from {n}"
        out[n] = con.sql(q + " order by all").fetchall()
    return out


@pytest.fixture()
def two():
    (f1, cw1), (f2, cw2) = practice("p1"), practice("p2")
    return Frames.concat([f1, f2]), pl.concat([cw1, cw2])


def test_rerun_of_the_same_inputs_changes_nothing(two):
    f, cw = two
    con = fresh()
    strat = strategies(p1="combine", p2="keep_xpm")
    assert promote(con, survive(f, cw, strat), ["p1", "p2"], "run-1") == {"p1": 1, "p2": 1}
    before = snapshot(con)
    assert promote(con, survive(f, cw, strat), ["p1", "p2"], "run-2") == {"p1": 1, "p2": 1}
    assert snapshot(con) == before
    assert {v: len(before[v]) > 0 for v in VIEWS} == {v: True for v in VIEWS}


def test_new_inputs_make_a_new_version_and_rollback_restores_the_old(two):
    f, cw = two
    con = fresh()
    promote(con, survive(f, cw, strategies(p1="combine", p2="combine")), ["p1", "p2"], "run-1")
    v1 = snapshot(con)
    # p1 switches to keep_hq: p1 gets version 2, p2 is unchanged
    assert promote(con, survive(f, cw, strategies(p1="keep_hq", p2="combine")), ["p1", "p2"], "run-2") == {"p1": 2, "p2": 1}
    names = dict(con.sql("select unified_client_id, name from unified_client where practice_id = 'p1'").fetchall())
    assert names["p1-u1"] == "Smith Family Trust (HQ)"
    assert con.sql("select count(distinct version) from unified_client_version where practice_id = 'p1'").fetchall() == [(2,)]
    assert rollback(con, "p1") == (2, 1)
    after = snapshot(con)
    for view in VIEWS:
        assert after[view] == v1[view], view
    with pytest.raises(PromotionError, match="no version before"):
        rollback(con, "p1")
    with pytest.raises(PromotionError, match="never been promoted"):
        rollback(con, "p9")


def test_client_crosswalk_shows_promoted_practices_only_and_proposals_live_apart(two):
    f, cw = two
    con = fresh()
    # the matcher's proposals for p1, p2 and a practice not promoted yet
    proposals = pl.concat([cw, crosswalk([("p3", "hq", "z", "p3-u", "unique")])])
    con.execute("insert into proposed_crosswalk by name select * from proposals")
    u = survive(f, cw, strategies(p1="combine"))
    promote(con, u, ["p1"], "run-1")
    got = con.sql("select * exclude (role) from client_crosswalk order by all").pl()
    assert got.equals(u.crosswalk.drop("role").sort(pl.all()))
    assert set(got["practice_id"]) == {"p1"}
    # every promoted crosswalk row points at a unified client of the same version
    assert con.sql("select count(*) from client_crosswalk anti join unified_client using (practice_id, unified_client_id)").fetchall() == [(0,)]
    assert con.sql("select count(*) from proposed_crosswalk").fetchall() == [(proposals.height,)]


def test_a_failing_promotion_leaves_the_warehouse_as_it_was(two):
    f, cw = two
    con = fresh()
    u = survive(f, cw, strategies(p1="combine", p2="combine"))
    promote(con, u, ["p1"], "run-1")
    before = snapshot(con)
    # a probability that is not a number fails the last insert, after the other tables were written
    broken = replace(u, crosswalk=u.crosswalk.with_columns(match_probability=pl.lit("not a number")))
    with pytest.raises(duckdb.Error):
        promote(con, broken, ["p1", "p2"], "run-2")
    # and the same inside a chunk's transaction that fails after promoting
    assert snapshot(con) == before


def test_no_raw_tax_number_anywhere_after_promotion(two):
    f, cw = two
    con = fresh()
    with transaction(con):
        load_staging(con, f, ["p1", "p2"])
    promote(con, survive(f, cw, strategies(p1="combine", p2="keep_xpm")), ["p1", "p2"], "run-1")
    assert con.sql("select count(*) from unified_client where tfn_last3 = '782'").fetchall() == [(2,)]
    cols = con.sql(
        "select table_name, column_name from information_schema.columns where data_type = 'VARCHAR' order by all"
    ).fetchall()
    assert len(cols) > 50
    for table, col in cols:
        hits = con.sql(
            f'select count(*) from "{table}" where regexp_replace("{col}", \'\\D\', \'\', \'g\') like $v',
            params={"v": f"%{TFN_RAW}%"},
        ).fetchall()[0][0]
        assert hits == 0, f"{table}.{col} holds the raw TFN"


def test_views_exist_empty_before_any_promotion():
    con = fresh()
    create_all(con)  # idempotent
    for view in VIEWS:
        assert con.sql(f"select count(*) from {view}").fetchall() == [(0,)]
    cols = [r[0] for r in con.sql("describe unified_client").fetchall()]
    assert cols[:5] == ["practice_id", "unified_client_id", "name", "entity_type", "archived"]
    cw = [r[0] for r in con.sql("describe client_crosswalk").fetchall()]
    assert cw[:6] == ["practice_id", "source", "source_client_id", "unified_client_id", "merge_status", "match_probability"]


def test_a_retrained_probability_alone_is_not_a_new_version(two):
    f, cw = two
    con = fresh()
    u = survive(f, cw, strategies(p1="combine"))
    promote(con, u, ["p1"], "run-1")
    wobble = u.crosswalk.with_columns(pl.col("match_probability") * 0.999)
    assert promote(con, replace(u, crosswalk=wobble), ["p1"], "run-2") == {"p1": 1}
    moved = u.crosswalk.with_columns(merge_status=pl.when(pl.col("source_client_id") == "x1").then(pl.lit("unique")).otherwise("merge_status"))
    assert promote(con, replace(u, crosswalk=moved), ["p1"], "run-3") == {"p1": 2}


def test_a_practice_promoted_earlier_keeps_its_crosswalk_whatever_the_matcher_proposes_next(two):
    f, cw = two
    con = fresh()
    u = survive(f, cw, strategies(p1="combine"))
    promote(con, u, ["p1"], "run-1")
    promoted = con.sql("select * from client_crosswalk order by all").fetchall()
    # the matcher later proposes something else for p1 (then blocked) and p2 (never promoted)
    with transaction(con):
        con.execute("delete from proposed_crosswalk")
        con.execute("insert into proposed_crosswalk by name select * from cw")
    assert con.sql("select * from client_crosswalk order by all").fetchall() == promoted


def test_content_hashed_beside_the_writer_is_what_promotion_hashes_and_what_it_stores(two):
    # a chunk task hashes its practices' content on a DuckDB of its own (warehouse.promote.content_of) and the
    # writer compares that with the current version: it must be the hash promote() computes itself and the one
    # the invariants recompute from the stored rows, or every rerun would make a new version
    from warehouse.invariants import check
    from warehouse.promote import content_of

    f, cw = two
    tables = unified_tables(survive(f, cw, strategies(p1="combine", p2="keep_xpm")))
    given = content_of(tables)
    assert sorted(given) == ["p1", "p2"] and len(set(given.values())) == 2
    itself, handed = fresh(), fresh()
    with transaction(itself):
        _promote(itself, tables, ["p1", "p2"], "run-1")
    with transaction(handed):
        _promote(handed, tables, ["p1", "p2"], "run-1", content=given)
    stored = "select practice_id, version, content_hash from promotion_version order by all"
    assert itself.sql(stored).fetchall() == handed.sql(stored).fetchall()
    assert {p: h for p, _, h in handed.sql(stored).fetchall()} == given
    assert check(handed, ["p1", "p2"], ["p1", "p2"], [])["versions_immutable"]["ok"]
    with transaction(handed):  # the same content handed again: no new version
        assert _promote(handed, tables, ["p1", "p2"], "run-2", content=given) == {"p1": 1, "p2": 1}


def test_a_warehouse_from_before_previous_versions_finds_them_from_its_promotions_and_rollbacks():
    """An older warehouse's promotion_version has no previous_version: create_all adds it, found from what made each
    version current (promotions, rollbacks recorded as pin choices) in time order, so a rollback without --to undoes
    version 4 (made after `--to 1` from 3) back to 1, not 3; a version promoted over none has none before it."""
    con = fresh()
    con.execute("alter table promotion_version drop column previous_version")  # as an older warehouse has it
    con.execute("""insert into promotion_version values
        ('p1', 1, 'R1', 'h1', timestamp '2024-05-01 10:00', false), ('p1', 2, 'R2', 'h2', timestamp '2024-05-02 10:00', false),
        ('p1', 3, 'R3', 'h3', timestamp '2024-05-03 10:00', false), ('p1', 4, 'R4', 'h4', timestamp '2024-05-05 10:00', true),
        ('p2', 1, 'R1', 'h1', timestamp '2024-05-01 10:00', false), ('p2', 2, 'R4', 'h2', timestamp '2024-05-05 10:00', true)""")
    con.execute("""insert into practice_choice values
        ('p1', 'pin', '1', '3', 'ops', timestamp '2024-05-04 10:00', 'rollback'),
        ('p1', 'pin', null, '1', 'ops', timestamp '2024-05-04 11:00', 'released'),
        ('p2', 'pin', 'none', '1', 'ops', timestamp '2024-05-04 10:00', 'rollback')""")
    create_all(con)
    assert con.sql("select practice_id, version, previous_version from promotion_version order by all").fetchall() == [
        ("p1", 1, None), ("p1", 2, 1), ("p1", 3, 2), ("p1", 4, 1), ("p2", 1, None), ("p2", 2, None)]
    assert rollback(con, "p1") == (4, 1)
    with pytest.raises(PromotionError, match="had no version promoted when its current version 2 was"):
        rollback(con, "p2")
