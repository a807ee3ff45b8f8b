"""The analysts' views against a hand-made warehouse: every figure worked out by hand (tests/warehouse/handmade.py)."""

import duckdb
import pytest

from tests.warehouse.handmade import SECRET_HASH, T0, T1, at, build
from warehouse.schema import create_all
from warehouse.views import ANALYST_VIEWS, VIEWS


@pytest.fixture()
def hand(con):
    build(con)  # on the fresh warehouse of tests/warehouse/conftest.py
    return con


def rows(con, view: str, order: str | None = None) -> list[tuple]:
    return con.sql(f"select * from {view}" + (f" order by {order}" if order else "")).fetchall()


def test_every_view_answers_empty_on_a_fresh_warehouse(con):
    for name in VIEWS:
        assert rows(con, name) == [], name
    assert set(ANALYST_VIEWS) == {"migration_progress", "wave_summary", "review_queue", "quality_failures", "merge_summary",
                                  "practice_timeline", "sync_retirement_status"}  # fmt: skip


def test_migration_progress_by_region_wave_and_status(hand):
    # AU wave 1: A1 complete (5 records), A2 in review (3): half the practices, 5/8 of the records complete
    assert rows(hand, "migration_progress") == [
        ("AU", 1, "in_review", 1, 3, 2, 0.5, 0.625),
        ("AU", 1, "complete", 1, 5, 2, 0.5, 0.625),
        ("NZ", 2, "blocked", 1, 2, 2, 0.0, 0.0),
        ("NZ", 2, "failed", 1, 0, 2, 0.0, 0.0),
        ("UK", None, "connect", 1, 0, 3, 0.0, None),  # no record read yet: no share of records
        ("UK", None, "confirm", 1, 0, 3, 0.0, None),
        ("UK", None, "coming_soon", 1, 0, 3, 0.0, None),
    ]


def test_wave_summary_per_wave_and_run(hand):
    r0 = ("R0", "wave", "completed", T0, at(T0, 60))
    r1 = ("R1", "rerun", "completed", T1, at(T1, 120))
    # planned, complete, in_review, blocked, failed, waiting, records_in, unified_out, auto, review, last written, seconds
    assert rows(hand, "wave_summary") == [
        (1, *r0, 1, 1, 0, 0, 0, 0, 5, 2, 2, 0, at(T0, 30), 60.0),
        (2, *r0, 2, 0, 0, 1, 1, 0, 2, 0, 0, 1, at(T0, 50), 60.0),  # B1 blocked: its cluster is not out
        (None, *r0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, at(T0, 5), 60.0),
        (1, *r1, 1, 0, 1, 0, 0, 0, 3, 2, 0, 1, at(T1, 10), 120.0),
        (2, *r1, 1, 0, 0, 1, 0, 0, 2, 0, 0, 1, at(T1, 20), 120.0),
    ]


def test_review_queue_pending_links_oldest_first_with_masked_ids(hand):
    evidence = '{"name":{"level":"exact","weight":5.0}}'
    assert rows(hand, "review_queue") == [
        # B1 has left links for review since R0; A2 since R1. A2's decided pair y1-y2 is not pending.
        ("B1", "Birch Ltd", at(T0, 40), 1, "hq", "b1", "Birch Client", "IRD ***123", "hq", "b2", "Birch Client Ltd", None,
         0.7, 1.5, "thin_evidence", evidence),
        ("A2", "Anchor Tax", at(T1, 10), 1, "hq", "k1", "Kim Olsen", "ABN ***556 TFN ***789", "xpm", "y1", "Kim Olsen", None,
         0.9, 4.0, None, evidence),
    ]  # fmt: skip


def test_review_queue_waits_since_the_run_after_the_last_one_that_left_no_link(hand):
    # a run between R0 and R1 left B1 with no link for review: B1's wait restarts at R1
    hand.execute(f"insert into run_practice (run_id, practice_id, review_links, written_at) values ('Rx', 'B1', 0, timestamp '{at(T0, 3600)}')")
    assert rows(hand, "review_queue", "practice_id")[1][:3] == ("B1", "Birch Ltd", at(T1, 20))


def test_quality_failures_are_the_last_check_of_blocked_practices(hand):
    # B1 failed other_expectation in R0, then unified_client_id_unique in R1: only the last check counts
    assert rows(hand, "quality_failures") == [
        ("B1", "Birch Ltd", "failed: unified_client_id_unique", at(T0, 40), "R1", "clients", "unified_client_id_unique", 2,
         at(T1, 20), None),
    ]  # fmt: skip


def test_quality_failures_name_the_source_records_behind_the_failing_rows(hand):
    """QA (session 35): a blocked practice named only a unified id that was never promoted; the operator had to map it
    through proposed_crosswalk by hand. A row failing by a record's key names that record."""
    keys = '{"success": false, "unexpected_keys": [{"practice_id":"B1","unified_client_id":"ub1"},{"practice_id":"B1","unified_client_id":"ub2"}]}'
    hand.execute("update quality_result set result = ? where run_id = 'R1' and practice_id = 'B1' and not success", [keys])
    hand.execute("""insert into proposed_crosswalk (practice_id, source, source_client_id, unified_client_id, merge_status)
                    values ('B1', 'xpm', 'bx1', 'ub1', 'auto'), ('B1', 'hq', 'bh1', 'ub1', 'auto'), ('B1', 'tax', 'T9', 'ub2', 'unique'),
                           ('A1', 'xpm', 'zz', 'ub1', 'auto')""")  # another practice's id alike: never named
    assert [r[-1] for r in rows(hand, "quality_failures")] == [["hq:bh1", "tax:T9", "xpm:bx1"]]
    by_record = '{"success": false, "unexpected_keys": [{"practice_id":"B1","source":"xpm","source_client_id":"bx7"}]}'
    hand.execute("update quality_result set result = ? where run_id = 'R1' and practice_id = 'B1' and not success", [by_record])
    assert [r[-1] for r in rows(hand, "quality_failures")] == [["xpm:bx7"]]


def test_quality_failures_leave_out_the_warnings_that_blocked_nothing(hand):
    """A name starting with '+' fails a warning-only expectation beside the one that blocked B1: the view says why B1 is
    blocked (what `practice_status.detail` names), not every warning recorded beside it."""
    warning = '{"expectation_config": {"severity": "warning", "meta": {"name": "names_not_formula_like"}}, "success": false}'
    hand.execute("insert into quality_result values ('R1', 'B1', 'clients', 'names_not_formula_like', false, 1, ?, ?)",
                 [warning, at(T1, 20)])  # fmt: skip
    assert [r[6] for r in rows(hand, "quality_failures")] == ["unified_client_id_unique"]


def test_merge_summary_per_practice_from_the_current_version(hand):
    # A1's version 2 is current: 2 unified clients (version 1 had 3), 3 records auto-merged, 2 on review decisions
    assert rows(hand, "merge_summary") == [
        ("A1", "complete", 2, at(T0, 30), 2, 2, 1, 5, 2, 3, 2, 0, 0, 5),
        ("A2", "in_review", 1, at(T1, 10), 2, 1, 0, 3, 2, 0, 0, 2, 1, 3),
        ("B1", "blocked", None, None, 0, 2, 0, 2, 0, 0, 0, 0, 0, 0),
        ("B2", "failed", None, None, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0),
        ("C1", "connect", None, None, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0),
        ("C2", "coming_soon", None, None, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0),
        ("C3", "confirm", None, None, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0),
    ]


def test_practice_timeline_every_change_with_its_run(hand):
    timeline = rows(hand, "practice_timeline")
    assert len(timeline) == 11
    a2 = [r for r in timeline if r[0] == "A2"]
    assert a2 == [
        ("A2", at(T0, 1), None, "coming_soon", "waiting for its consolidation wave", "R0", "wave", T0),
        ("A2", at(T1, 10), "coming_soon", "in_review", "promoted (keep_xpm); 1 links await review", "R1", "rerun", T1),
    ]


def test_sync_retirement_status_per_practice(hand):
    status = {r[0]: r[1:] for r in rows(hand, "sync_retirement_status")}
    # A1: 3 links (x2-h2 listed twice: its first line says active), one retired, the other active one not,
    # drift on two links (3 fields); C1 was found unconnected at retirement
    assert status["A1"] == ("complete", "confirmed", False, 3, 2, 1, 1, 1, 2, 3, at(T1, 200))
    assert status["C1"] == ("connect", "none", True, 0, 0, 0, 0, 0, 0, 0, None)
    assert status["C3"] == ("confirm", "unconfirmed", False, 0, 0, 0, 0, 0, 0, 0, None)
    assert sorted(status) == ["A1", "A2", "B1", "B2", "C1", "C2", "C3"]


def test_progress_by_run_replays_the_statuses_as_each_run_ended(hand):
    by_run = {(r[0], r[5]): r[6] for r in rows(hand, "progress_by_run")}
    assert by_run[("R0", "coming_soon")] == 2 and ("R0", "in_review") not in by_run  # A2 was still waiting at R0's end
    assert by_run[("R1", "coming_soon")] == 1 and by_run[("R1", "in_review")] == 1
    assert sum(v for (run, _), v in by_run.items() if run == "R0") == 7


@pytest.mark.parametrize(
    ("detail", "reason"),
    [
        ("hq_clients.json: record 3 (id=H9): date_of_birth: not a date: '1990-13-01'", "hq_clients.json: date_of_birth: not a date"),
        ("hq_clients.json: line 16: not valid JSON: Unterminated string starting at", "hq_clients.json: not valid JSON: Unterminated string starting at"),
        ("xpm_clients.xml: line 40: not valid XML: Opening and ending tag mismatch: Client line 5 and Clinet, line 40, column 14",
         "xpm_clients.xml: not valid XML: Opening and ending tag mismatch"),
        ("practices.json: row 4 (practice_id=P9): not a valid practice id", "practices.json: not a valid practice id"),
        ("tax_clients.csv: empty file", "tax_clients.csv: empty file"),
        ("tax_clients.csv: line 4 (client_code=T1): client_code already used by an earlier record",
         "tax_clients.csv: client_code already used by an earlier record"),
        # as written before session 28: the key's value in the message too
        ("tax_clients.csv: line 4 (client_code=123456782): client_code=123456782 repeats an earlier record",
         "tax_clients.csv: repeats an earlier record"),
        # the words after a quoted value stay (found by QA, session 29: cut at the first quote, these said only
        # "tax_clients.csv: column" and "hq_clients.json: practiceId")
        ("tax_clients.csv: line 1: column 'email' repeats", "tax_clients.csv: column repeats"),
        ("hq_clients.json: practiceId 'X' is not the folder's practice 'S07'", "hq_clients.json: practiceId is not the folder's practice"),
        ('hq_clients.json: record 2 (id=h2): displayName "O\'Brien, Ann" is too long', "hq_clients.json: displayName is too long"),
        ("tax_clients.csv: line 3: abn 'x' (a number a spreadsheet rounded): export it again", "tax_clients.csv: abn: export it again"),
        # a byte's place is its line and column (session 35): neither splits the reason
        ("tax_clients.csv: line 4, column 11: byte 0xEB (Windows-1252 'ë'?) is not UTF-8: save the file as UTF-8 (Excel: CSV "
         "UTF-8)", "tax_clients.csv: byte 0xEB is not UTF-8: save the file as UTF-8"),
        # a part of a record (session 30: this said "hq_clients.json: record 7 contact 1: contact_id")
        ("hq_clients.json: record 7 (id=1b) contact 1: name: holds a control character (U+0000), which no client system "
         "writes: the export is damaged", "hq_clients.json: name: holds a control character, which no client system writes"),
    ],
)  # fmt: skip
def test_failure_reasons_keep_the_file_and_kind_of_error_never_the_record_or_its_values(detail, reason):
    con = duckdb.connect()
    create_all(con)
    con.execute("insert into practice_status (practice_id, status, detail) values ('P1', 'failed', ?), ('P2', 'failed', ?)", [detail, detail])
    assert rows(con, "failure_reasons") == [(reason, 2, ["P1", "P2"])]


def test_folders_not_in_the_registry_are_one_reason_not_one_per_folder():
    """QA9 F11: a folder's problem names the folder, which is the practice: each stray folder was a reason of its own,
    so `scr status` gave 30 stray folders 30 "top failure reasons" lines."""
    con = duckdb.connect()
    create_all(con)
    strays = ["P00001", "P00002", "P00003"]
    con.execute("insert into practice_status (practice_id, status, detail) select p, 'failed', p || ': practice folder not in "
                "practices.json' from unnest($p::varchar[]) t(p)", {"p": strays})  # fmt: skip
    con.execute("insert into practice_status (practice_id, status, detail) values ('P9', 'failed', 'hq_clients.json: empty file')")
    assert rows(con, "failure_reasons") == [("practice folder not in practices.json", 3, strays),
                                            ("hq_clients.json: empty file", 1, ["P9"])]  # fmt: skip


def test_no_view_shows_a_keyed_hash_of_a_tax_number(hand):
    for name in VIEWS:
        columns = [c for c in hand.sql(f"select * from {name} limit 0").columns]
        assert not [c for c in columns if c.endswith("_hash")], name
        text = " ".join(str(v) for row in rows(hand, name) for v in row)
        assert SECRET_HASH not in text, name
