"""`scr practice ...`: the choices an operator types, as typed (case, spaces), with the contract's exit codes."""

from __future__ import annotations

import json
from datetime import datetime

import polars as pl
import pytest
from typer.testing import CliRunner

from flows.cli import app as scr
from landing.schema import PRACTICE
from tests.support.holder import held_writer
from warehouse.db import connect, transaction
from warehouse.schema import create_all
from warehouse.staging import load_practices

runner = CliRunner()


@pytest.fixture()
def wh(tmp_path):
    path = tmp_path / "wh.duckdb"
    registry = pl.DataFrame(
        [("p1", "P One", "AU", True, False, "confirmed", "admin@p1", "admin@p1", None, 1)], schema=PRACTICE, orient="row"
    )
    with connect(path) as con:
        create_all(con)
        with transaction(con):
            load_practices(con, registry)
    return path


def test_keep_xpm_for_a_practice_without_xpm_or_tax_is_refused_saying_why(tmp_path):
    """keep_xpm keeps the XPM and Tax clients and archives HQ's duplicates: an HQ-only practice has none to keep, yet
    `scr practice strategy ID keep_xpm` recorded it (exit 0). Refused now, as `practice confirm` refuses what does not
    apply; keep_hq and combine (which merges HQ's own duplicates field by field) are still recorded."""
    path = tmp_path / "wh.duckdb"
    registry = pl.DataFrame([("h1", "HQ Only", "AU", False, False, "none", None, "admin@h1", None, 1)], schema=PRACTICE, orient="row")
    with connect(path) as con:
        create_all(con)
        with transaction(con):
            load_practices(con, registry)
    res = runner.invoke(scr, ["practice", "strategy", "h1", "keep_xpm", "--by", "ops", "-w", str(path)])
    assert res.exit_code == 1, res.output
    assert "practice h1 uses Xero HQ only: there are no XPM or Tax clients to keep" in said(res)
    with connect(path, read_only=True) as con:
        assert con.execute("select count(*) from practice_choice").fetchone()[0] == 0
    for choice in ("keep_hq", "combine"):
        res = runner.invoke(scr, ["practice", "strategy", "h1", choice, "--by", "ops", "-w", str(path)])
        assert res.exit_code == 0, res.output


def said(res) -> str:  # the words, whatever the terminal's width
    return " ".join(res.output.split())


def chosen(path) -> list[tuple]:
    with connect(path, read_only=True) as con:
        return con.sql("select value, previous from practice_choice where choice = 'strategy' order by chosen_at").fetchall()


def test_strategy_as_an_operator_types_it_and_one_that_is_no_strategy(wh):
    def strategy(value: str):
        return runner.invoke(scr, ["practice", "strategy", "p1", value, "--by", "ops", "-w", str(wh)])

    res = strategy("Keep_XPM ")
    assert res.exit_code == 0 and "strategy not chosen -> keep_xpm" in said(res), res.output
    res = strategy("combine")
    assert res.exit_code == 0 and "keep_xpm -> combine" in said(res), res.output
    res = strategy("COMBINE")  # the same again: refused, nothing recorded
    assert res.exit_code == 1 and "already has strategy combine" in said(res)
    res = strategy("merge")  # bad usage: exit 2, one line, nothing recorded
    assert res.exit_code == 2 and isinstance(res.exception, SystemExit)
    assert "strategy 'merge' is not one of keep_xpm, keep_hq, combine" in said(res) and "Traceback" not in res.output
    assert chosen(wh) == [("keep_xpm", None), ("combine", "keep_xpm")]


def test_confirm_names_who_confirms_and_an_empty_by_is_bad_usage(wh, monkeypatch):
    """Found by the operator audit: without --by the login name was taken, and the refusal read '... not root'."""
    monkeypatch.delenv("SCR_OPERATOR", raising=False)
    res = runner.invoke(scr, ["practice", "confirm", "p1", "-w", str(wh)])
    assert res.exit_code == 2 and "--by EMAIL" in said(res) and "Traceback" not in res.output
    res = runner.invoke(scr, ["practice", "strategy", "p1", "combine", "--by", " ", "-w", str(wh)])
    assert res.exit_code == 2 and "--by is empty" in said(res)
    assert chosen(wh) == []  # nothing recorded by either


def test_a_practice_name_with_brackets_is_shown_as_written(wh):
    """A trading name is text, never terminal markup: `[AU]` stays, `[/]` does not crash the command."""
    with connect(wh) as con:
        con.execute("update stg_practice set name = 'Lee [AU] Partners [/]' where practice_id = 'p1'")
    shown = runner.invoke(scr, ["practice", "p1", "-w", str(wh)])
    assert shown.exit_code == 0 and shown.exception is None, shown.output
    assert "practice p1: Lee [AU] Partners [/]" in said(shown)
    chose = runner.invoke(scr, ["practice", "strategy", "p1", "combine", "--by", "ops[/b]@firm", "-w", str(wh)])
    assert chose.exit_code == 0 and chose.exception is None, chose.output
    assert "ops[/b]@firm" in said(chose)


def test_a_strategy_chosen_while_links_await_review_leaves_a_status_that_says_so(wh):
    """Found by the operator audit: the status kept the run's words, 'strategy combine chosen by ops: ...; strategy not
    chosen yet (keep_xpm, keep_hq or combine); 2 links await review', and each later choice added its own clause."""
    with connect(wh) as con:
        con.execute("""insert into client_match (practice_id, source_l, source_client_id_l, source_r, source_client_id_r, decision)
                       values ('p1', 'hq', 'h1', 'xpm', 'x1', 'review'), ('p1', 'hq', 'h2', 'xpm', 'x2', 'review')""")
        con.execute("""insert into practice_status (practice_id, status, detail, updated_at)
                       values ('p1', 'in_review', 'strategy not chosen yet (keep_xpm, keep_hq or combine); 2 links await review', now())""")

    def status() -> tuple:
        with connect(wh, read_only=True) as con:
            return con.execute("select status, detail from practice_status where practice_id = 'p1'").fetchone()

    for choice in ("combine", "keep_hq"):
        res = runner.invoke(scr, ["practice", "strategy", "p1", choice, "--by", "ops", "-w", str(wh)])
        assert res.exit_code == 0, res.output
        expected = f"strategy {choice} chosen by ops: its next run consolidates with it; 2 links await review"
        assert status() == ("in_review", expected)
        assert f"practice p1 stays in_review: {expected}" in said(res) and "not chosen yet" not in said(res)
    shown = runner.invoke(scr, ["practice", "p1", "-w", str(wh)])
    assert "not chosen yet" not in said(shown) and "strategy: keep_hq (chosen by ops" in said(shown), shown.output


def test_a_practice_asked_for_while_a_wave_writes_is_answered_from_the_analysts_snapshot(wh):
    """`scr practice ID` read the live warehouse, which a wave holds: exit 2, 'use `scr status -p ID`'. It reads the
    analysts' snapshot now, as `scr review export` does: the practice whole, choices and all, while the wave writes;
    a warehouse with no snapshot yet is read from its file (then a busy one is exit 2, saying what publishes one)."""
    from warehouse.choices import pin, record_choice
    from warehouse.db import writer
    from warehouse.snapshot import publish

    with held_writer(wh):  # no snapshot published yet: the live file, which the wave holds
        res = runner.invoke(scr, ["practice", "p1", "-w", str(wh)])
    assert res.exit_code == 2 and "Traceback" not in res.output, res.output
    assert ("it has no analysts' snapshot to read meanwhile: a run publishes one once it has planned its practices, so "
            "try again in a moment (with no run, `scr snapshot` publishes one)") in said(res), said(res)
    with connect(wh) as con:
        record_choice(con, "p1", "strategy", "keep_hq", None, "ops")
        record_choice(con, "p1", "connection", "unconfirmed", "confirmed", "ops")
        pin(con, "p1", None, "ops", "rollback from 1")
    alone = runner.invoke(scr, ["practice", "p1", "-w", str(wh)])  # the live file, read-only
    assert alone.exit_code == 0, alone.output
    assert "strategy: keep_hq (chosen by ops" in said(alone) and "step one: unconfirmed" in said(alone), alone.output
    assert "pinned: on no version by ops" in said(alone)
    with writer(wh) as con:
        publish(con, wh)
    with held_writer(wh):
        res = runner.invoke(scr, ["practice", "p1", "-w", str(wh)])
        as_json = runner.invoke(scr, ["practice", "p1", "-w", str(wh), "--json"])
        unknown = runner.invoke(scr, ["practice", "nope", "-w", str(wh)])
    assert res.exit_code == 0, res.output
    assert res.output == alone.output  # the same practice, choices and pin and all, as its file says
    assert as_json.exit_code == 0 and json.loads(as_json.output)["practice_id"] == "p1"
    assert unknown.exit_code == 2 and "unknown practice 'nope'" in said(unknown)


def test_the_next_step_of_a_complete_practice_with_decisions_withdrawn_since_its_run_is_a_rerun(wh):
    """Found by the operator audit: after `scr review revoke` on a complete practice its status said 'rerun to apply'
    and `scr practice ID` said 'next step: nothing: its unified clients are promoted'."""
    with connect(wh) as con:
        con.execute("insert into run_practice (run_id, practice_id, status, written_at) values ('R1', 'p1', 'complete', timestamp '2024-05-01 10:00')")
        con.execute("insert into practice_status (practice_id, status, detail, updated_at) values ('p1', 'complete', 'promoted (combine)', now())")

    def next_step() -> str:
        res = runner.invoke(scr, ["practice", "p1", "-w", str(wh), "--json"])
        assert res.exit_code == 0, res.output
        return json.loads(res.output)["next_step"]

    assert next_step() == "nothing: its unified clients are promoted"
    log = "insert into review_decision_log values ('p1', 'hq', 'h1', 'xpm', 'x1', ?, 'reject', ?, 'ops', ?)"
    with connect(wh) as con:  # an unmerge applies the reject decisions it records: nothing for a run to do
        con.execute(log, ["decide", "unmerge:uc_1", datetime(2024, 5, 2)])
        con.execute(log, ["decide", "review.csv", datetime(2024, 4, 30)])  # before the run: applied by it
    assert next_step() == "nothing: its unified clients are promoted"
    with connect(wh) as con:
        con.execute(log, ["revoke", "unmerge:uc_1", datetime(2024, 5, 3)])
    assert next_step() == "`scr rerun -p p1`: it applies the decisions recorded or withdrawn since its last run"


def test_a_choice_for_a_practice_failed_on_its_input_leaves_it_failed_with_its_reason(wh):
    """Found by the operator audit: `scr practice strategy` (or confirm, unconfirm) on a practice whose XPM file is not
    valid XML turned it to coming_soon or confirm, the failure gone from `scr status`; the next run failed it again."""
    reason = "xpm_clients.xml: line 39: not valid XML: Opening and ending tag mismatch"
    with connect(wh) as con:
        con.execute("update stg_practice set connection = 'unconfirmed', connected_by = null")
        con.execute("insert into practice_status (practice_id, status, detail, updated_at) values ('p1', 'failed', ?, now())", [reason])

    def status() -> tuple:
        with connect(wh, read_only=True) as con:
            return con.execute("select status, detail from practice_status where practice_id = 'p1'").fetchone()

    for args in (["strategy", "p1", "combine", "--by", "ops"], ["confirm", "p1", "--by", "admin@p1"], ["unconfirm", "p1", "--by", "ops"]):
        res = runner.invoke(scr, ["practice", *args, "-w", str(wh)])
        assert res.exit_code == 0, res.output
        assert status() == ("failed", reason), args
        assert f"practice p1 stays failed: {reason}" in said(res) and "is now" not in said(res) and "stays failed until its files are fixed" in said(res)
    assert chosen(wh) == [("combine", None)]  # the choice itself is recorded: it applies once the files are fixed


def test_confirm_over_a_connection_someone_else_confirmed_says_who_had(wh):
    # the registry's connection is confirmed, by a clerk (status confirm): it said "connection confirmed -> confirmed"
    with connect(wh) as con:
        con.execute("update stg_practice set connected_by = 'clerk@p1'")
    res = runner.invoke(scr, ["practice", "confirm", "p1", "--by", "admin@p1", "-w", str(wh)])
    assert res.exit_code == 0, res.output
    assert "connection confirmed by clerk@p1 -> confirmed (by admin@p1)" in said(res)
    assert runner.invoke(scr, ["practice", "unconfirm", "p1", "--by", "ops", "-w", str(wh)]).exit_code == 0
    again = runner.invoke(scr, ["practice", "confirm", "p1", "--by", "admin@p1", "-w", str(wh)])
    assert again.exit_code == 0 and "connection unconfirmed -> confirmed (by admin@p1)" in said(again), again.output


def test_unconfirm_refuses_a_step_one_that_is_not_done_and_says_why(wh):
    """Found by the operator audit: a connection the registry records as confirmed by someone who is not the Master
    Admin (status confirm) was 'unconfirmed' (exit 0, a choice recorded) though no confirmation stood; an unconfirmed
    one was refused as '... is not confirmed (unconfirmed)'."""
    with connect(wh) as con:
        con.execute("update stg_practice set connected_by = 'clerk@p1'")
    res = runner.invoke(scr, ["practice", "unconfirm", "p1", "--by", "ops", "-w", str(wh)])
    assert res.exit_code == 1, res.output
    assert ("practice p1's step one is not done (connection confirmed by clerk@p1, not by the Master Admin admin@p1): "
            "there is no confirmation to withdraw") in said(res)  # fmt: skip
    with connect(wh) as con:
        con.execute("update stg_practice set connected_by = 'admin@p1'")
    assert runner.invoke(scr, ["practice", "unconfirm", "p1", "--by", "ops", "-w", str(wh)]).exit_code == 0
    again = runner.invoke(scr, ["practice", "unconfirm", "p1", "--by", "ops", "-w", str(wh)])
    assert again.exit_code == 1 and "step one is not done (an old connection awaits confirmation by the Master Admin admin@p1)" in said(again)
    with connect(wh, read_only=True) as con:
        assert con.execute("select value from practice_choice where choice = 'connection'").fetchall() == [("unconfirmed",)]


def _p1_zone_and_snapshot(tmp_path, monkeypatch) -> tuple:
    """A landing zone of the `wh` fixture's practice p1 (run, rerun), and a published hand-made warehouse (status)."""
    from tests.warehouse.handmade import published

    monkeypatch.setenv("SCR_HASH_KEY", "k" * 40)
    landing = tmp_path / "landing"
    landing.mkdir()
    (landing / "practices.json").write_text(json.dumps([{
        "practice_id": "p1", "name": "P One", "region": "AU", "uses_xpm": True, "uses_tax": False, "connection": "confirmed",
        "connected_by": "admin@p1", "master_admin": "admin@p1", "strategy": None, "wave": 1}]))  # fmt: skip
    return landing, str(published(tmp_path / "snap.duckdb"))


def test_an_unknown_practice_is_worded_alike_by_every_command(wh, tmp_path, monkeypatch):
    """Found by the operator audit: `unknown practice NOPE: no practice of that id in ...` (status), `unknown practice
    NOPE: not in .../practices.json` (run) and `unknown practice 'NOPE': not in the registry ...` (practice, revoke)."""
    landing, snap = _p1_zone_and_snapshot(tmp_path, monkeypatch)
    for args in (["run", "-l", str(landing), "-w", str(wh), "-p", "NOPE"], ["rerun", "-l", str(landing), "-w", str(wh), "-p", "NOPE"],
                 ["status", "-w", snap, "-p", "NOPE"], ["practice", "NOPE", "-w", str(wh)],
                 ["practice", "strategy", "NOPE", "combine", "-w", str(wh)], ["review", "revoke", "-p", "NOPE", "--all", "-w", str(wh)]):  # fmt: skip
        res = runner.invoke(scr, args)
        assert res.exit_code == 2, (args, res.output)
        assert said(res).startswith("error: unknown practice 'NOPE': not in "), (args, res.output)


def test_an_id_typed_in_another_case_or_with_a_slip_is_told_the_id_it_was_likely_meant_as(wh, tmp_path, monkeypatch):
    """Found by hand (session 28): `scr practice p00004` suggested running `scr run` rather than naming P00004."""
    landing, snap = _p1_zone_and_snapshot(tmp_path, monkeypatch)
    for args, typed, meant in (
        (["run", "-l", str(landing), "-w", str(wh), "-p", "P1"], "P1", "p1"),
        (["rerun", "-l", str(landing), "-w", str(wh), "-p", " p1"], " p1", "p1"),
        (["status", "-w", snap, "-p", "a1"], "a1", "A1"), (["practice", "P1", "-w", str(wh)], "P1", "p1"),
        (["practice", "strategy", "P1", "combine", "-w", str(wh)], "P1", "p1"),
        (["review", "export", "-p", "P1", "-w", snap, "-o", str(tmp_path / "r.csv")], "P1", None),  # no p1 there
        (["review", "export", "-p", "a2", "-w", snap, "-o", str(tmp_path / "r.csv")], "a2", "A2"),
    ):  # fmt: skip
        res = runner.invoke(scr, args)
        assert res.exit_code == 2 and said(res).startswith(f"error: unknown practice {typed!r}: not in "), (args, res.output)
        assert said(res).endswith(f"; did you mean {meant!r}?" if meant else ""), (args, res.output)
        assert meant or "did you mean" not in said(res), (args, res.output)
    assert not (tmp_path / "r.csv").exists()
    # nothing near: the hint it gave before
    res = runner.invoke(scr, ["practice", "NOPE", "-w", str(wh)])
    assert said(res).endswith("not in the registry the warehouse last read (run `scr run` first?)"), res.output


def test_a_warehouse_that_is_not_there_is_worded_alike_by_every_command(tmp_path):
    """Found by the operator audit: `scr status` said 'no warehouse at X: run `scr run` first', `scr practice` the
    command to type (`scr run --landing DIR --warehouse X`)."""
    wh = str(tmp_path / "typo.duckdb")
    expected = f"error: no warehouse at {wh}: run `scr run --landing DIR --warehouse {wh}` first (or `make demo`)"
    for args in (["status"], ["query", "select 1"], ["report", "-o", str(tmp_path / "r.html")], ["practice", "p1"],
                 ["practice", "strategy", "p1", "combine"], ["unmerge", "-u", "uc_1"], ["review", "apply", __file__]):  # fmt: skip
        res = runner.invoke(scr, [*args, "-w", wh])
        assert res.exit_code == 2 and said(res) == expected, (args, res.output)


def test_a_practice_released_while_links_await_review_stays_in_review(wh):
    """Found by the operator audit: `scr practice release` always left coming_soon ('waiting for its consolidation
    wave'), also when links awaited a person (a strategy change keeps such a practice in_review) or its input had failed."""
    with connect(wh) as con:
        con.execute("""insert into client_match (practice_id, source_l, source_client_id_l, source_r, source_client_id_r, decision)
                       values ('p1', 'hq', 'h1', 'xpm', 'x1', 'review'), ('p1', 'hq', 'h2', 'xpm', 'x2', 'review')""")
        con.execute("insert into practice_pin values ('p1', 1, 'ops', now(), 'rollback from 2')")
        con.execute("insert into practice_status (practice_id, status, detail, updated_at) values ('p1', 'in_review', 'rolled back', now())")
    res = runner.invoke(scr, ["practice", "release", "p1", "--by", "ops", "-w", str(wh)])
    assert res.exit_code == 0, res.output
    assert "practice p1 stays in_review: released by ops: its next run consolidates it; 2 links await review" in said(res)
    with connect(wh) as con:
        con.execute("delete from client_match")
        con.execute("insert into practice_pin values ('p1', 1, 'ops', now(), 'rollback from 2')")
        con.execute("update practice_status set status = 'failed', detail = 'hq_clients.json: record 3: not JSON'")
    res = runner.invoke(scr, ["practice", "release", "p1", "--by", "ops", "-w", str(wh)])
    assert res.exit_code == 0 and "practice p1 stays failed: hq_clients.json: record 3: not JSON" in said(res), res.output


def test_a_complete_practice_released_stays_complete_on_its_promoted_version(wh):
    """Found by the review: `scr practice release` of a practice complete on the version a rollback pinned said
    coming_soon ('waiting for its consolidation wave'), as if nothing were promoted; a strategy chosen since that
    version was promoted still waits for a run."""
    with connect(wh) as con:
        con.execute("insert into promotion_version (practice_id, version, run_id, content_hash, promoted_at, is_current) "
                    "values ('p1', 1, 'R1', 'h', timestamp '2024-05-01 10:00', true)")
        con.execute("insert into practice_pin values ('p1', 1, 'ops', now(), 'rollback from 2')")
        con.execute("insert into practice_status (practice_id, status, detail, updated_at) values ('p1', 'complete', "
                    "'rolled back to version 1 by ops; pinned until `scr practice release p1`', now())")
    res = runner.invoke(scr, ["practice", "release", "p1", "--by", "ops", "-w", str(wh)])
    assert res.exit_code == 0, res.output
    with connect(wh, read_only=True) as con:
        status, detail = con.execute("select status, detail from practice_status where practice_id = 'p1'").fetchone()
        assert con.execute("select count(*) from practice_pin").fetchone()[0] == 0
    assert status == "complete" and detail == (
        "released by ops: version 1 stays promoted (`scr rerun -p p1` consolidates it again); rolled back to version 1 by ops"
    )
    assert "practice p1 stays complete: released by ops" in said(res)
    with connect(wh) as con:
        con.execute("insert into practice_pin values ('p1', 1, 'ops', now(), 'rollback from 2')")
    res = runner.invoke(scr, ["practice", "strategy", "p1", "combine", "--by", "ops", "-w", str(wh)])
    assert res.exit_code == 0, res.output
    res = runner.invoke(scr, ["practice", "release", "p1", "--by", "ops", "-w", str(wh)])
    assert res.exit_code == 0 and "coming_soon: released by ops: waiting for its consolidation wave" in said(res), res.output


def test_unapplied_decisions_in_json_are_the_decisions_the_text_says_the_next_run_applies(wh, tmp_path):
    """QA9 F4: `--json` counted log entries (4 decides, a decide, a revoke and a restore: 7) where the text said
    '4 decisions recorded, applied by the practice's next run'."""
    pairs = [("hq", f"h{i}", "xpm", f"x{i}") for i in range(1, 5)]
    with connect(wh) as con:
        for pair in pairs:
            con.execute("insert into client_match (practice_id, source_l, source_client_id_l, source_r, source_client_id_r, decision) "
                        "values ('p1', ?, ?, ?, ?, 'review')", list(pair))  # fmt: skip
        con.execute("""insert into practice_status (practice_id, status, detail, updated_at)
                       values ('p1', 'in_review', 'strategy not chosen yet (keep_xpm, keep_hq or combine); 4 links await review', now())""")
    head = "practice_id,source_l,source_client_id_l,source_r,source_client_id_r,decision\n"
    (tmp_path / "a.csv").write_text(head + "".join(f"p1,{','.join(p)},accept\n" for p in pairs))
    (tmp_path / "b.csv").write_text(head + f"p1,{','.join(pairs[0])},reject\n")
    for name, by in (("a.csv", "alice"), ("b.csv", "bob")):
        assert runner.invoke(scr, ["review", "apply", str(tmp_path / name), "--by", by, "-w", str(wh)]).exit_code == 0
    assert runner.invoke(scr, ["review", "revoke", "-p", "p1", "--file", "b.csv", "--by", "bob", "-w", str(wh)]).exit_code == 0
    text = runner.invoke(scr, ["practice", "p1", "-w", str(wh)])
    data = json.loads(runner.invoke(scr, ["practice", "p1", "-w", str(wh), "--json"]).output)
    assert "4 decisions recorded, applied by the practice's next run" in said(text), text.output
    assert data["detail"].endswith("; 4 decisions recorded, applied by the practice's next run")
    assert (data["unapplied_decisions"], data["decisions"]) == (4, {"accept": 4})


def test_practice_as_json_gives_each_fact_as_a_value_a_script_reads(wh):
    """Found by the README audit: `--json` gave the lines a person reads ("status": "in_review: promoted ...",
    "region, wave": "AU, 1"), so a script had to parse text for the status."""
    with connect(wh) as con:
        con.execute("insert into practice_status (practice_id, status, detail, updated_at) values ('p1', 'complete', 'promoted (combine)', timestamp '2024-05-01 10:00')")
        con.execute("insert into promotion_version (practice_id, version, run_id, content_hash, promoted_at, is_current) values ('p1', 1, 'R1', 'h', timestamp '2024-05-01 10:00', true)")
    res = runner.invoke(scr, ["practice", "p1", "-w", str(wh), "--json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.output)
    assert (data["status"], data["detail"], data["status_updated_at"]) == ("complete", "promoted (combine)", "2024-05-01T10:00:00+00:00")
    assert (data["region"], data["wave"], data["systems"]) == ("AU", 1, ["HQ", "XPM"])
    assert data["versions"] == [{"version": 1, "run_id": "R1", "promoted_at": "2024-05-01T10:00:00+00:00", "current": True}]
    assert data["awaiting_review"] == 0 and data["pin"] is None and data["next_step"].startswith("nothing")


def test_times_shown_say_their_zone(wh):
    """Found by hand (session 28): `pinned: ... at 2026-12-04 23:00` was UTC, unlabelled, while `scr status` says UTC;
    `--json` times had no offset, so a parser read them as local time."""
    import re

    with connect(wh) as con:
        con.execute("insert into practice_pin values ('p1', null, 'ops', timestamp '2024-05-01 10:00', 'rollback from 1')")
    # the command publishes the analysts' snapshot, which `scr practice` reads
    assert runner.invoke(scr, ["practice", "strategy", "p1", "combine", "--by", "ops", "-w", str(wh)]).exit_code == 0
    shown = said(runner.invoke(scr, ["practice", "p1", "-w", str(wh)]))
    assert re.search(r"chosen by ops at \d{4}-\d\d-\d\d \d\d:\d\d UTC\)", shown), shown
    assert "pinned: on no version by ops at 2024-05-01 10:00 UTC" in shown, shown
    data = json.loads(runner.invoke(scr, ["practice", "p1", "-w", str(wh), "--json"]).output)
    assert data["pin"]["pinned_at"] == "2024-05-01T10:00:00+00:00"
    assert datetime.fromisoformat(data["strategy_chosen_at"]).utcoffset().total_seconds() == 0


def test_confirming_a_practice_never_read_and_with_no_strategy_says_its_wave_may_ask_for_one(tmp_path):
    """Found by QA (session 29): `practice confirm` of a practice no run had read said only "waiting for its
    consolidation wave"; its wave then stopped in review to ask for a strategy (its size was not known before)."""
    path = tmp_path / "wh.duckdb"
    registry = pl.DataFrame([("p2", "P Two", "AU", True, False, "unconfirmed", None, "admin@p2", None, 1),
                             ("p3", "P Three", "AU", True, False, "unconfirmed", None, "admin@p3", "combine", 1)],
                            schema=PRACTICE, orient="row")  # fmt: skip
    with connect(path) as con:
        create_all(con)
        with transaction(con):
            load_practices(con, registry)
    res = runner.invoke(scr, ["practice", "confirm", "p2", "--by", "admin@p2", "-w", str(path)])
    assert res.exit_code == 0, res.output
    assert ("coming_soon: step one confirmed by admin@p2: waiting for its consolidation wave, which asks for a strategy "
            "first unless each of its files holds") in said(res), said(res)
    assert "`scr practice strategy p2 keep_xpm|keep_hq|combine` now saves that stop" in said(res)
    res = runner.invoke(scr, ["practice", "confirm", "p3", "--by", "admin@p3", "-w", str(path)])
    assert res.exit_code == 0 and "waiting for its consolidation wave" in said(res) and "strategy" not in said(res), said(res)


def test_a_practice_whose_row_left_practices_json_is_said_so_not_unknown_nor_another(wh):
    """QA, session 30: a practice removed from practices.json stayed `complete` in `scr status`, while `scr practice`
    and `scr rollback -p` called it unknown and offered an unrelated practice ('P00060' for 'P00001')."""
    with connect(wh) as con:
        con.execute("insert into practice_status (practice_id, status, detail) values ('p9', 'complete', 'done')")
    for args in (["practice", "p9", "-w", str(wh)], ["practice", "strategy", "p9", "combine", "--by", "ops", "-w", str(wh)]):
        res = runner.invoke(scr, args)
        assert res.exit_code == 2, (args, res.output)
        assert said(res).startswith("error: practice 'p9' is no longer in practices.json"), said(res)
        assert "scr rerun -p p9" in said(res) and "did you mean" not in said(res)


def test_a_practice_whose_id_is_a_subcommand_or_starts_with_a_dash_is_reached_as_the_refusal_says(tmp_path):
    """QA10 F8: the registry accepts ids `scr practice ID` reads as something else: a subcommand's name (`release`:
    the release command, its ID missing) or an option (`-x`). The refusal names the command that shows it, which works."""
    path = tmp_path / "wh.duckdb"
    ids = ["release", "show", "-x"]
    registry = pl.DataFrame([(p, f"P {p}", "AU", True, False, "confirmed", "a@p", "a@p", None, 1) for p in ids],
                            schema=PRACTICE, orient="row")  # fmt: skip
    with connect(path) as con:
        create_all(con)
        with transaction(con):
            load_practices(con, registry)
    from click.testing import CliRunner as ClickRunner

    from flows.cli import command

    for typed, hint in (
        (["release"], "a practice whose id is release is shown by `scr practice show release`"),
        (["show"], "a practice whose id is show is shown by `scr practice show show`"),
        (["-x"], "if -x is a practice id, name it after `--`, the options first: `scr practice show -w FILE -- -x`"),
    ):
        res = ClickRunner().invoke(command(), ["practice", *typed, "-w", str(path)], prog_name="scr")
        said = " ".join(res.stderr.split())
        assert res.exit_code == 2 and said.startswith("error: ") and said.endswith(f" ({hint}); see `scr practice {typed[0] if typed[0] != '-x' else 'show'} -h`") and res.stderr.count("\n") == 1, res.stderr
    for typed in (["show", "release"], ["show", "show"], ["show", "-w", str(path), "--", "-x"]):
        res = runner.invoke(scr, ["practice", *typed] + ([] if "--" in typed else ["-w", str(path)]))
        assert res.exit_code == 0 and res.output.startswith(f"practice {typed[-1]}: P {typed[-1]}"), res.output
    # a mistyped option is not taken for a practice id
    res = ClickRunner().invoke(command(), ["practice", "show", "--jsn", "release", "-w", str(path)], prog_name="scr")
    assert res.exit_code == 2 and "practice id" not in res.stderr, res.stderr
