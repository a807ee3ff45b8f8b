"""`scr review apply` / `revoke` as an operator types them: exit codes as the contract has them, words that fit."""

from __future__ import annotations

import polars as pl
import pytest
from typer.testing import CliRunner

from flows.cli import app as scr
from landing.schema import PRACTICE
from warehouse.db import connect, transaction
from warehouse.schema import create_all
from warehouse.staging import load_practices

runner = CliRunner()


@pytest.fixture()
def wh(tmp_path):
    path = tmp_path / "wh.duckdb"
    registry = pl.DataFrame(
        [("p1", "P One", "AU", True, False, "confirmed", "admin@p1", "admin@p1", "combine", 1)], schema=PRACTICE, orient="row"
    )
    with connect(path) as con:
        create_all(con)
        with transaction(con):
            load_practices(con, registry)
        con.execute("""insert into client_match (practice_id, source_l, source_client_id_l, source_r, source_client_id_r, decision)
                       values ('p1', 'hq', 'h1', 'xpm', 'x1', 'review'), ('p1', 'hq', 'h2', 'xpm', 'x2', 'review')""")
    return path


def said(res) -> str:  # the words, whatever the terminal's width
    return " ".join(res.output.split())


def decisions(path) -> int:
    with connect(path, read_only=True) as con:
        return con.execute("select count(*) from review_decision").fetchone()[0]


def test_a_review_file_that_is_not_there_is_bad_usage_like_a_missing_warehouse(wh, tmp_path):
    """Found by the operator audit: a mistyped file name was exit 1 (refused), a missing warehouse or landing zone 2."""
    res = runner.invoke(scr, ["review", "apply", str(tmp_path / "reveiw.csv"), "-w", str(wh)])
    assert res.exit_code == 2 and "Traceback" not in res.output, res.output
    assert f"no review file at {tmp_path / 'reveiw.csv'}: `scr review export -p ID" in said(res)
    res = runner.invoke(scr, ["review", "apply", str(tmp_path), "-w", str(wh)])
    assert res.exit_code == 2 and f"the review file {tmp_path} is a folder" in said(res), res.output
    assert decisions(wh) == 0


def test_one_decision_applied_is_it_not_them(wh, tmp_path):
    rows = "practice_id,source_l,source_client_id_l,source_r,source_client_id_r,decision\n"
    one = tmp_path / "one.csv"
    one.write_text(rows + "p1,hq,h1,xpm,x1,accept\np1,hq,h2,xpm,x2,\n")
    res = runner.invoke(scr, ["review", "apply", str(one), "--by", "rev", "-w", str(wh)])
    assert res.exit_code == 0, res.output
    assert "1 decision recorded from" in said(res) and "`scr rerun -p p1` applies it" in said(res)
    two = tmp_path / "two.csv"
    two.write_text(rows + "p1,hq,h1,xpm,x1,accept\np1,hq,h2,xpm,x2,reject\n")
    res = runner.invoke(scr, ["review", "apply", str(two), "--by", "rev", "-w", str(wh)])
    assert res.exit_code == 0 and "1 decision recorded from" in said(res) and "1 already recorded" in said(res), res.output
    assert "`scr rerun -p p1` applies them" in said(res)  # both decisions in force


@pytest.mark.parametrize(("pair", "says"), [
    ("xpm:x1,hq", "write it as SOURCE:ID,SOURCE:ID"), ("xpm:x1,", "write it as SOURCE:ID,SOURCE:ID"),
    ("xpm:x1,hq:", "write it as SOURCE:ID,SOURCE:ID"), ("xpm:x1,hq:h1,tax:t1", "write it as SOURCE:ID,SOURCE:ID"),
    ("xmp:x1,hq:h1", "'xmp' is not a source: use xpm, hq, tax"),
])  # fmt: skip
def test_a_pair_not_written_source_id_is_bad_usage_never_a_traceback(wh, pair, says):
    """Found by the operator audit: `--pair xpm:x1,hq` ended in an IndexError traceback (exit 1)."""
    res = runner.invoke(scr, ["review", "revoke", "-p", "p1", "--pair", pair, "-w", str(wh)])
    assert res.exit_code == 2 and isinstance(res.exception, SystemExit), res.output
    assert f"error: --pair {pair!r}: {says}" in said(res)


def test_a_revoke_given_two_kinds_of_decision_says_so(wh):
    """Found by hand (session 28): `--pair ... --all` was told "say which decisions to withdraw" though it had said two."""
    res = runner.invoke(scr, ["review", "revoke", "-p", "p1", "--pair", "xpm:x1,hq:h1", "--all", "--by", "ops", "-w", str(wh)])
    assert res.exit_code == 2 and isinstance(res.exception, SystemExit), res.output
    assert said(res) == "error: --pair and --all: withdraw one kind of decision at a time (one of --pair, --file, --unmerge or --all)"
    res = runner.invoke(scr, ["review", "revoke", "-p", "p1", "--by", "ops", "-w", str(wh)])
    assert res.exit_code == 2 and said(res) == "error: say which decisions to withdraw: one of --pair, --file, --unmerge or --all"


def test_a_pair_is_found_whatever_the_case_of_its_sources(wh, tmp_path):
    rows = "practice_id,source_l,source_client_id_l,source_r,source_client_id_r,decision\np1,hq,h1,xpm,x1,reject\n"
    (tmp_path / "r.csv").write_text(rows)
    assert runner.invoke(scr, ["review", "apply", str(tmp_path / "r.csv"), "-w", str(wh)]).exit_code == 0
    res = runner.invoke(scr, ["review", "revoke", "-p", "p1", "--pair", "XPM:x1, HQ:h1", "--by", "ops", "-w", str(wh)])
    assert res.exit_code == 0 and "withdrew 1 decision" in said(res), res.output
    assert decisions(wh) == 0


def test_decisions_for_a_pinned_practice_say_to_release_it_before_the_rerun(wh, tmp_path):
    """Found by the operator audit: `scr review apply` said '`scr rerun -p p1` applies it' of a practice pinned after
    a rollback, and that rerun is refused (exit 1) until `scr practice release p1`."""
    with connect(wh) as con:
        con.execute("insert into practice_pin values ('p1', 1, 'ops', now(), 'rollback from 2')")
    (tmp_path / "r.csv").write_text("practice_id,source_l,source_client_id_l,source_r,source_client_id_r,decision\np1,hq,h1,xpm,x1,reject\n")
    res = runner.invoke(scr, ["review", "apply", str(tmp_path / "r.csv"), "--by", "rev", "-w", str(wh)])
    assert res.exit_code == 0, res.output
    assert "; p1 is pinned after a rollback: `scr practice release p1`, then `scr rerun -p p1` applies it" in said(res)


@pytest.mark.parametrize("action", ["unmerge", "revoke"])
def test_an_undo_on_a_practice_failed_on_its_input_leaves_its_reason_as_the_run_wrote_it(tmp_path, action):
    """Found by the operator audit: an unmerge or a revoke on a failed practice (promoted before its files went bad)
    put 'split U1 by ops (version 3); ' or '3 decisions withdrawn by ops: rerun to apply; ' before the failure, and the
    analysts' failure_reasons (and `scr status`'s top failure reasons) grouped it under those words."""
    from tests.warehouse.handmade import published

    wh = published(tmp_path / "hm.duckdb")
    reason = "xpm_clients.xml: line 3: not valid XML"
    with connect(wh) as con:
        con.execute("update practice_status set status = 'failed', detail = ? where practice_id in ('A1', 'A2')", [reason])
    args = ["unmerge", "-u", "U1"] if action == "unmerge" else ["review", "revoke", "-p", "A2", "--all"]
    res = runner.invoke(scr, [*args, "--by", "ops", "-w", str(wh)])
    assert res.exit_code == 0, res.output
    assert f"stays failed: {reason}" in said(res) and "is now" not in said(res) and "it stays failed until its files are fixed" in said(res)
    with connect(wh, read_only=True) as con:
        assert con.execute("select distinct status, detail from practice_status where practice_id in ('A1', 'A2')").fetchall() == [("failed", reason)]
        reasons = con.execute("select reason, practice_ids from failure_reasons").fetchall()
    assert ("xpm_clients.xml: not valid XML", ["A1", "A2"]) in reasons and len(reasons) == 2, reasons  # and B2's own


def test_export_of_several_practices_writes_one_csv_each_named_after_out(tmp_path):
    # as --help and the README's table say: `-o out.csv` with two -p writes out-A1.csv and out-A2.csv, never out.csv
    from tests.warehouse.handmade import published

    wh = published(tmp_path / "w.duckdb")
    res = runner.invoke(scr, ["review", "export", "-w", str(wh), "-p", "A1", "-p", "A2", "-o", str(tmp_path / "out.csv")])
    assert res.exit_code == 0, res.output
    assert sorted(p.name for p in tmp_path.glob("out*")) == ["out-A1.csv", "out-A2.csv"]
    assert "practice A1" in said(res) and str(tmp_path / "out-A1.csv") in said(res) and str(tmp_path / "out-A2.csv") in said(res)


def test_a_revoke_of_several_decisions_says_the_rerun_applies_them(wh, tmp_path):
    # it said "`scr rerun -p p1` applies it" of "withdrew 2 decisions", where `review apply` says "applies them"
    csv = tmp_path / "r.csv"
    csv.write_text("practice_id,source_l,source_client_id_l,source_r,source_client_id_r,decision\n"
                   "p1,hq,h1,xpm,x1,accept\np1,hq,h2,xpm,x2,reject\n")  # fmt: skip
    assert runner.invoke(scr, ["review", "apply", str(csv), "--by", "ops", "-w", str(wh)]).exit_code == 0
    res = runner.invoke(scr, ["review", "revoke", "-p", "p1", "--file", "r.csv", "--by", "ops", "-w", str(wh)])
    assert res.exit_code == 0, res.output
    assert "withdrew 2 decisions (r.csv) `scr rerun -p p1` applies them" in said(res)


def test_an_export_over_a_file_with_decisions_not_recorded_is_refused_and_keeps_the_file(wh, tmp_path):
    # a reviewer's filled-in file exported over again (the same -o, or the default name) lost every decision unsaid
    csv = tmp_path / "r.csv"
    assert runner.invoke(scr, ["review", "export", "-p", "p1", "-o", str(csv), "-w", str(wh)]).exit_code == 0
    lines = csv.read_text().splitlines()
    filled = "\n".join([lines[0], lines[1].rsplit(",", 1)[0] + ",accept", *lines[2:]]) + "\n"  # decision: the last column
    csv.write_text(filled)
    again = runner.invoke(scr, ["review", "export", "-p", "p1", "-o", str(csv), "-w", str(wh)])
    assert again.exit_code == 1 and isinstance(again.exception, SystemExit), again.output
    assert said(again) == (f"error: {csv} holds 1 filled-in decision not recorded yet: `scr review apply {csv}` first, "
                           "or export to another file with --out")  # fmt: skip
    assert csv.read_text() == filled
    # recorded, the file holds nothing an export would lose: it is written anew, the decided link gone from it
    assert runner.invoke(scr, ["review", "apply", str(csv), "--by", "ops", "-w", str(wh)]).exit_code == 0
    after = runner.invoke(scr, ["review", "export", "-p", "p1", "-o", str(csv), "-w", str(wh)])
    assert after.exit_code == 0, after.output
    assert "accept" not in csv.read_text()


@pytest.mark.parametrize("hands", [("ops", "ops", "ops"), ("ops", "ann", "bob")], ids=["same_hand", "other_hands"])
def test_a_repeated_revoke_keeps_only_the_latest_withdrawal_in_the_status_detail(tmp_path, hands):
    # each revoke put its phrase before the detail: the same decisions recorded and withdrawn again piled up
    # '1 decision withdrawn by ops: rerun to apply; ' until the 500 characters' cut, and phrases of one kind that
    # differ in a count, a name or a version did so too
    from tests.warehouse.handmade import published
    from warehouse.review import DECISIONS, record_decisions

    wh = published(tmp_path / "hm.duckdb")
    pair = pl.DataFrame([("A2", "xpm", "y1", "xpm", "y2", "accept")], schema=DECISIONS, orient="row")
    details = []
    for by in hands:
        res = runner.invoke(scr, ["review", "revoke", "-p", "A2", "--all", "--by", by, "-w", str(wh)])
        assert res.exit_code == 0, res.output
        with connect(wh) as con:
            details.append(con.execute("select detail from practice_status where practice_id = 'A2'").fetchone()[0])
            with transaction(con):
                record_decisions(con, pair, "review-A2.csv", "ann")  # decided again, to be withdrawn again
    assert details[0].startswith("1 decision withdrawn by ops: rerun to apply; promoted (keep_xpm)")
    assert details[0].count("withdrawn") == 1
    assert details[1] == details[0].replace("by ops", f"by {hands[1]}")
    assert details[2] == details[0].replace("by ops", f"by {hands[2]}")


def test_a_client_split_again_says_its_latest_version_once_beside_other_clients_splits():
    from flows.operations import _led_by

    split = r"split U1 by .+ \(version \d+\)"
    detail = _led_by("split U1 by ops (version 3)", "split U2 by ann (version 2); promoted (combine)", split)
    assert _led_by("split U1 by ann (version 4)", detail, split) == (
        "split U1 by ann (version 4); split U2 by ann (version 2); promoted (combine)"
    )
    assert _led_by("split U1 by ops (version 5)", "split U11 by ops (version 1)", split) == (
        "split U1 by ops (version 5); split U11 by ops (version 1)"  # another client, whose id only begins the same
    )


def test_an_export_without_a_practice_names_those_whose_links_await_review(wh, tmp_path):
    """The operator who types `scr review export` alone learns which practices to name, most links first."""
    res = runner.invoke(scr, ["review", "export", "-w", str(wh)])
    assert res.exit_code == 2 and "Traceback" not in res.output, res.output
    assert "name the practice to review with --practice ID (repeat for more): links await review in 1 practice: p1 (2)" in said(res)
    with connect(wh) as con:
        con.execute("insert into client_match (practice_id, source_l, source_client_id_l, source_r, source_client_id_r, decision) "
                    "select 'q' || lpad(i::varchar, 2, '0'), 'hq', 'h' || i, 'xpm', 'x' || i, 'review' from range(12) t(i)")  # fmt: skip
        con.execute("insert into client_match (practice_id, source_l, source_client_id_l, source_r, source_client_id_r, decision) "
                    "values ('q05', 'hq', 'h99', 'xpm', 'x99', 'review'), ('q05', 'hq', 'h98', 'xpm', 'x98', 'review'), "
                    "('q00', 'hq', 'h0', 'tax', 't0', 'auto')")  # fmt: skip
    res = runner.invoke(scr, ["review", "export", "-w", str(wh)])
    assert res.exit_code == 2, res.output
    assert ("links await review in 13 practices: q05 (3), p1 (2), q00 (1), q01 (1), q02 (1), q03 (1), q04 (1), q06 (1), "
            "q07 (1), q08 (1) and 3 more (`scr query \"select * from review_queue\"` lists them)") in said(res), said(res)
    decided = tmp_path / "all.csv"
    decided.write_text("practice_id,source_l,source_client_id_l,source_r,source_client_id_r,decision\n"
                       + "p1,hq,h1,xpm,x1,accept\np1,hq,h2,xpm,x2,reject\n"
                       + "".join(f"q{i:02d},hq,h{i},xpm,x{i},reject\n" for i in range(12))
                       + "q05,hq,h99,xpm,x99,accept\nq05,hq,h98,xpm,x98,accept\n")  # fmt: skip
    assert runner.invoke(scr, ["review", "apply", str(decided), "--by", "rev", "-w", str(wh)]).exit_code == 0
    res = runner.invoke(scr, ["review", "export", "-w", str(wh)])
    assert res.exit_code == 2 and "(repeat for more): no practice has links awaiting review" in said(res), said(res)


def test_pairs_the_review_budget_left_apart_are_counted_exported_apart_and_decided_like_any(wh, tmp_path):
    """Found by QA (session 28): pairs scored 0.5 or more that the review budget's raised threshold left apart were
    dropped without trace; they are kept rejected with veto review_budget, counted, and exported on request."""
    with connect(wh) as con:
        con.execute("""insert into client_match (practice_id, source_l, source_client_id_l, source_r, source_client_id_r,
                                                 match_probability, decision, veto)
                       values ('p1', 'hq', 'h3', 'xpm', 'x3', 0.71, 'reject', 'review_budget'),
                              ('p1', 'hq', 'h4', 'xpm', 'x4', 0.02, 'reject', 'identifier')""")
    res = runner.invoke(scr, ["practice", "p1", "-w", str(wh)])
    assert res.exit_code == 0, res.output
    assert ("held back: 1 pair scored 0.5 or more, left apart by the review budget "
            "(`scr review export -p p1 --held-back` lists them)") in said(res)  # fmt: skip
    plain, held = tmp_path / "review.csv", tmp_path / "held.csv"
    assert runner.invoke(scr, ["review", "export", "-p", "p1", "-o", str(plain), "-w", str(wh)]).exit_code == 0
    assert pl.read_csv(plain)["source_client_id_l"].to_list() == ["h1", "h2"]
    res = runner.invoke(scr, ["review", "export", "-p", "p1", "--held-back", "-o", str(held), "-w", str(wh)])
    assert res.exit_code == 0 and said(res) == f"1 pair of practice p1 the review budget left apart: {held}", res.output
    rows = pl.read_csv(held)
    assert rows.select("source_client_id_l", "source_client_id_r", "veto").rows() == [("h3", "x3", "review_budget")]
    rows.with_columns(decision=pl.lit("accept")).write_csv(held)
    res = runner.invoke(scr, ["review", "apply", str(held), "--by", "rev", "-w", str(wh)])
    assert res.exit_code == 0 and "1 decision recorded from" in said(res), res.output
    res = runner.invoke(scr, ["practice", "p1", "-w", str(wh)])
    assert "held back" not in said(res)  # decided: the next run merges it, as any accepted link
    # and a status counts it with the review links' decisions (found by QA, session 29: it was not counted)
    from warehouse.review import review_counts

    with connect(wh) as con:
        assert review_counts(con, ["p1"]).rows() == [("p1", 2, 1)]


def test_a_pair_revoked_again_names_the_withdrawal_that_did_it(wh, tmp_path):
    """Found by QA (session 29): `review revoke --pair` run a second time (killed after its commit, before it said so)
    did not name the earlier withdrawal, as `--file` and `--unmerge` do."""
    rows = "practice_id,source_l,source_client_id_l,source_r,source_client_id_r,decision\np1,hq,h1,xpm,x1,reject\np1,hq,h2,xpm,x2,accept\n"
    (tmp_path / "r.csv").write_text(rows)
    assert runner.invoke(scr, ["review", "apply", str(tmp_path / "r.csv"), "--by", "rev", "-w", str(wh)]).exit_code == 0
    first = runner.invoke(scr, ["review", "revoke", "-p", "p1", "--pair", "xpm:x1,hq:h1", "--by", "ops", "-w", str(wh)])
    assert first.exit_code == 0, first.output
    again = runner.invoke(scr, ["review", "revoke", "-p", "p1", "--pair", "xpm:x1,hq:h1", "--by", "ops", "-w", str(wh)])
    assert again.exit_code == 1 and "has no decision in force for those pairs (already withdrawn: 1 decision by ops at " in said(again)
    other = runner.invoke(scr, ["review", "revoke", "-p", "p1", "--pair", "xpm:x9,hq:h9", "--by", "ops", "-w", str(wh)])
    assert other.exit_code == 1 and "already withdrawn" not in said(other)  # a pair never decided: no withdrawal to name


@pytest.mark.parametrize("revoke", [["--file", "b.csv"], ["--pair", "xpm:x1,hq:h1"], ["--all"], ["--unmerge", "uc_1"]])
def test_a_restored_decision_keeps_who_decided_it_and_when(wh, tmp_path, revoke):
    """QA9 F3: a revoke restored the decision its withdrawn one had replaced as the revoker's, at the revoke's time: the
    table of decisions in force then said bob accepted a pair bob had rejected. The log says who restored it."""
    head = "practice_id,source_l,source_client_id_l,source_r,source_client_id_r,decision\n"
    (tmp_path / "a.csv").write_text(head + "p1,hq,h1,xpm,x1,accept\n")
    assert runner.invoke(scr, ["review", "apply", str(tmp_path / "a.csv"), "--by", "alice", "-w", str(wh)]).exit_code == 0
    with connect(wh, read_only=True) as con:
        alice = con.execute("select decided_at from review_decision").fetchone()[0]
    if revoke[0] == "--unmerge":  # an unmerge's reject over alice's accept (as `scr unmerge` records it)
        from warehouse.review import PAIR, record_decisions

        with connect(wh) as con, transaction(con):
            record_decisions(con, pl.DataFrame([("p1", "hq", "h1", "xpm", "x1", "reject")], schema=[*PAIR, "decision"], orient="row"),
                             "unmerge:uc_1", "bob")  # fmt: skip
    else:
        (tmp_path / "b.csv").write_text(head + "p1,hq,h1,xpm,x1,reject\n")
        assert runner.invoke(scr, ["review", "apply", str(tmp_path / "b.csv"), "--by", "bob", "-w", str(wh)]).exit_code == 0
    res = runner.invoke(scr, ["review", "revoke", "-p", "p1", *revoke, "--by", "carol", "-w", str(wh)])
    assert res.exit_code == 0, res.output
    with connect(wh, read_only=True) as con:
        assert con.execute("select decision, decided_by, source_file, decided_at from review_decision").fetchall() == [
            ("accept", "alice", "a.csv", alice)]
        log = con.execute("select action, decision, logged_by from review_decision_log order by logged_at, action").fetchall()
    assert log == [("decide", "accept", "alice"), ("decide", "reject", "bob"), ("restore", "accept", "carol"), ("revoke", "reject", "carol")]


def test_a_row_whose_practice_id_names_another_practice_of_this_warehouse_says_the_pair_is_not_its_link(wh, tmp_path):
    """QA9 F5: a row of p1's pair whose practice_id was edited to p2, a practice of this warehouse with no links, was
    refused as "unknown practice 'p2': not in this warehouse"."""
    registry = pl.DataFrame([("p1", "P One", "AU", True, False, "confirmed", "admin@p1", "admin@p1", "combine", 1),
                             ("p2", "P Two", "AU", True, False, "confirmed", "admin@p2", "admin@p2", None, 1)],
                            schema=PRACTICE, orient="row")  # fmt: skip
    with connect(wh) as con, transaction(con):
        load_practices(con, registry)
    head = "practice_id,source_l,source_client_id_l,source_r,source_client_id_r,decision\n"
    (tmp_path / "e3.csv").write_text(head + "p1,hq,h1,xpm,x1,accept\np2,hq,h2,xpm,x2,accept\n")
    res = runner.invoke(scr, ["review", "apply", str(tmp_path / "e3.csv"), "--by", "x", "-w", str(wh)])
    assert res.exit_code == 1, res.output
    assert ("e3.csv: line 3: the pair hq:h2 - xpm:x2 is not one of p2's links: it is one of p1's (was the line's "
            "practice_id changed?); nothing was recorded") in said(res), said(res)
    assert "unknown practice" not in said(res) and decisions(wh) == 0
    # a pair no practice proposes, of a practice that is there: the proposals may have changed since the export
    (tmp_path / "e4.csv").write_text(head + "p2,hq,h9,xpm,x9,accept\n")
    res = runner.invoke(scr, ["review", "apply", str(tmp_path / "e4.csv"), "--by", "x", "-w", str(wh)])
    assert res.exit_code == 1 and "line 2: no proposed link hq:h9 - xpm:x9 in practice p2; nothing was recorded" in said(res), said(res)
    assert "unknown practice" not in said(res) and decisions(wh) == 0


def test_review_export_to_a_dash_is_refused_in_one_line_and_writes_no_file_named_dash(wh, tmp_path, monkeypatch):
    """QA8 (session 33): `scr review export -p P -o -` wrote a file named `-` in the current folder (and said so, as
    if it were a place): the export is a file to fill in and give back to `scr review apply`, never stdout."""
    monkeypatch.chdir(tmp_path)
    res = runner.invoke(scr, ["review", "export", "-p", "p1", "-o", "-", "-w", str(wh)])
    assert res.exit_code == 2 and res.stderr.count("\n") == 1, res.output
    assert res.stderr.startswith("error: --out -: ") and not (tmp_path / "-").exists(), res.stderr
