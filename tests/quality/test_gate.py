"""The GX gate on hand-made practices: a bad practice is blocked by name, the others pass."""

from __future__ import annotations

import json
from dataclasses import replace

import polars as pl
import pytest

from quality.gate import run_gate
from quality.suites import suites
from tests.quality.factory import practice, strategies
from transforms.survivorship import survive
from landing.frames import Frames


def _merge(cw: pl.DataFrame, pid: str, ids: list[str], into: str) -> pl.DataFrame:
    hit = (pl.col("practice_id") == pid) & pl.col("source_client_id").is_in(ids)
    return cw.with_columns(
        unified_client_id=pl.when(hit).then(pl.lit(into)).otherwise("unified_client_id"),
        merge_status=pl.when(hit).then(pl.lit("auto")).otherwise("merge_status"),
    )


@pytest.fixture(scope="module")
def three():
    parts = [practice(p) for p in ("p1", "p2", "p3")]
    return Frames.concat([f for f, _ in parts]), pl.concat([cw for _, cw in parts])


def test_clean_practices_pass_with_one_row_per_practice_and_expectation(three):
    f, cw = three
    g = run_gate(survive(f, cw, strategies(p1="combine", p2="keep_xpm", p3="keep_hq")), f)
    assert g.passed == ["p1", "p2", "p3"] and g.blocked == {}
    n_expectations = sum(len(s.specs) for s in suites(survive(f, cw, strategies(p1="combine")), f))
    assert g.results.height == 3 * n_expectations
    assert g.results.select("practice_id", "expectation").n_unique() == g.results.height
    assert g.results["success"].all()
    assert set(g.raw) == {"records", "clients", "identifiers"}


def test_two_valid_abns_in_one_client_block_only_that_practice(three):
    f, cw = three
    # h3 and x4 both carry valid, different ABNs? x4 has none: give p2's u1 (valid ABN via h1) h3 too
    bad = _merge(cw, "p2", ["h3"], "p2-u1")
    g = run_gate(survive(f, bad, strategies(p1="combine", p2="combine", p3="combine")), f)
    assert g.passed == ["p1", "p3"]
    assert g.blocked == {"p2": "failed expectations: one_valid_identifier_per_kind"}
    failing = g.results.filter(~pl.col("success"))
    assert failing.select("practice_id", "expectation").rows() == [("p2", "one_valid_identifier_per_kind")]
    keys = json.loads(failing["result_json"][0])["unexpected_keys"]
    assert keys == [{"practice_id": "p2", "unified_client_id": "p2-u1", "id_type": "ABN"}]


def test_lost_and_doubled_records_are_caught(three):
    f, cw = three
    u = survive(f, cw, strategies(p1="combine", p2="combine", p3="combine"))
    lost = u.crosswalk.filter(~((pl.col("practice_id") == "p1") & (pl.col("source_client_id") == "x1")))
    doubled = pl.concat([lost, u.crosswalk.filter((pl.col("practice_id") == "p3") & (pl.col("source_client_id") == "h2"))])
    g = run_gate(replace(u, crosswalk=doubled), f)
    assert g.passed == ["p2"]
    assert g.blocked == {"p1": "failed expectations: every_record_accounted_once",
                         "p3": "failed expectations: every_record_accounted_once"}


def test_nameless_client_bad_entity_type_and_wrong_archived_flag(three):
    f, cw = three
    u = survive(f, cw, strategies(p1="combine", p3="combine"))
    c = u.client.with_columns(
        name=pl.when(pl.col("unified_client_id") == "p1-u1").then(pl.lit("  ")).otherwise("name"),
        entity_type=pl.when(pl.col("unified_client_id") == "p1-u2").then(pl.lit("Trust")).otherwise("entity_type"),
        archived=pl.when(pl.col("unified_client_id") == "p3-u1").then(pl.lit(True)).otherwise("archived"),
    )
    g = run_gate(replace(u, client=c), f)
    assert g.blocked == {"p1": "failed expectations: entity_type_known, has_name",
                         "p3": "failed expectations: archived_consistent"}


def test_a_client_spanning_two_practices_is_blocked(three):
    f, cw = three
    u = survive(f, cw, strategies(p1="combine", p2="combine"))
    shared = u.crosswalk.with_columns(
        unified_client_id=pl.when(pl.col("unified_client_id") == "p2-u2").then(pl.lit("p1-u2")).otherwise("unified_client_id"))
    c = u.client.with_columns(
        unified_client_id=pl.when(pl.col("unified_client_id") == "p2-u2").then(pl.lit("p1-u2")).otherwise("unified_client_id"))
    g = run_gate(replace(u, crosswalk=shared, client=c), f)
    assert set(g.blocked) == {"p1", "p2"}
    for pid in ("p1", "p2"):
        assert "one_practice_per_client" in g.blocked[pid] and "unified_id_unique" in g.blocked[pid]


def test_invalid_identifier_must_be_flagged(three):
    f, cw = three
    u = survive(f, cw, strategies(p1="keep_xpm"))
    assert u.client.filter(pl.col("unified_client_id") == "p1-u1")["abn_valid"].to_list() == [False]
    assert run_gate(u, f).passed == ["p1"]
    unflagged = u.client.with_columns(abn_valid=pl.lit(None, pl.Boolean))
    assert run_gate(replace(u, client=unflagged), f).blocked == {"p1": "failed expectations: identifiers_checked_or_flagged"}


def test_gates_on_two_threads_at_once_agree(three):
    from concurrent.futures import ThreadPoolExecutor

    f, cw = three
    u = survive(f, _merge(cw, "p2", ["h3"], "p2-u1"), strategies(p1="combine", p2="combine"))
    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(lambda _: run_gate(u, f), range(4)))
    assert all(r.blocked == {"p2": "failed expectations: one_valid_identifier_per_kind"} for r in results)
    assert all(r.results.equals(results[0].results) for r in results)


def _renamed(f: Frames, pid: str, cid: str, name: str) -> Frames:
    hit = (pl.col("practice_id") == pid) & (pl.col("source_client_id") == cid)
    return replace(f, client=f.client.with_columns(name=pl.when(hit).then(pl.lit(name)).otherwise(pl.col("name"))))


def test_a_formula_or_control_character_name_blocks_its_practice(three):
    f, cw = three
    # h3 stands alone in review: its name is the unified client's name, whatever it holds
    hostile = _renamed(_renamed(f, "p1", "h3", '=HYPERLINK("http://x","Acme")'), "p3", "h3", "Acme\x1b[2J Pty Ltd")
    small = _renamed(f, "p2", "h3", '\ufe66HYPERLINK("http://x","Acme")')  # the small equals sign too (session 30)
    g = run_gate(survive(small, cw, strategies(p1="combine", p2="combine", p3="combine")), small)
    assert g.blocked == {"p2": "failed expectations: names_without_formula_or_control_chars"}
    g = run_gate(survive(hostile, cw, strategies(p1="combine", p2="combine", p3="combine")), hostile)
    assert g.passed == ["p2"]
    # the block names the blocking expectation only; p1's formula warning is in the results too
    assert g.blocked == {p: "failed expectations: names_without_formula_or_control_chars" for p in ("p1", "p3")}
    warned = g.results.filter(~pl.col("success") & (pl.col("expectation") == "names_not_formula_like"))
    assert warned["practice_id"].to_list() == ["p1"]


def test_a_name_written_over_two_lines_or_with_a_tab_does_not_block_its_practice(three):
    """QA (session 35): a Tax client_name over two lines (a quoted CSV cell, as RFC 4180 allows) blocked its whole
    practice as a control character; tab and line breaks are text (a NUL or ESC still blocks: above)."""
    f, cw = three
    broken = _renamed(_renamed(f, "p1", "h3", "Multi\nLine Name"), "p2", "h3", "Tabbed\tName\r\nPty Ltd")
    g = run_gate(survive(broken, cw, strategies(p1="combine", p2="combine", p3="combine")), broken)
    assert g.passed == ["p1", "p2", "p3"] and g.blocked == {}


def test_a_name_starting_with_plus_minus_or_at_is_flagged_without_blocking(three):
    f, cw = three
    flagged = _renamed(_renamed(f, "p1", "h3", "@Home Realty"), "p2", "h3", "-Minus Design")
    g = run_gate(survive(flagged, cw, strategies(p1="combine", p2="combine", p3="combine")), flagged)
    assert g.passed == ["p1", "p2", "p3"] and g.blocked == {}
    warned = g.results.filter(~pl.col("success")).select("practice_id", "expectation").rows()
    assert sorted(warned) == [("p1", "names_not_formula_like"), ("p2", "names_not_formula_like")]
    assert '"severity": "warning"' in g.results.filter(~pl.col("success"))["result_json"][0]


def _gx_loaded(_) -> bool:  # runs in the gate's process
    import sys

    return "great_expectations" in sys.modules


def _has_key(_) -> bool:  # runs in the gate's process
    import os

    return any(k in os.environ for k in ("SCR_HASH_KEY", "SCR_HASH_KEY_FILE"))


def test_the_gates_own_process_validates_as_this_one_does_and_a_dead_one_is_replaced_by_this_one(three, monkeypatch):
    from polars.testing import assert_frame_equal

    from quality import gate

    f, cw = three
    bad = _merge(cw, "p2", ["h3"], "p2-u1")
    unified = survive(f, bad, strategies(p1="combine", p2="combine", p3="combine"))
    gate.stop_process()
    here = run_gate(unified, f)
    monkeypatch.setenv("SCR_HASH_KEY", "a-test-key-that-must-not-reach-the-gate-process")
    gate.start_process()
    try:
        worker = gate._PROCESS["worker"]
        there = run_gate(unified, f)
        assert gate._remote(worker, _gx_loaded, None)  # the validation ran in the gate's process
        assert not gate._remote(worker, _has_key, None)  # which never holds the hash key
        assert (there.passed, there.blocked) == (here.passed, here.blocked) == (["p1", "p3"], {"p2": "failed expectations: one_valid_identifier_per_kind"})
        assert_frame_equal(there.results, here.results)
        worker.proc.kill()  # the process dies: the gate validates here instead, and says so
        worker.proc.wait()
        again = run_gate(unified, f)
        assert gate.process_pid() is None
        assert_frame_equal(again.results, here.results)
    finally:
        gate.stop_process()
