"""A small hand-made warehouse that exercises every analysts' view; its expected figures are worked out by hand in the tests.

Seven practices of the registry:
  A1 AU wave 1 complete (promoted twice, version 2 current)   A2 AU wave 1 in_review (promoted, links pending)
  B1 NZ wave 2 blocked (failed an expectation in R1)          B2 NZ wave 2 failed (bad HQ record)
  C1 UK connect    C2 UK coming_soon    C3 UK confirm          (no wave)
Two runs: R0 (60 s) and R1 (120 s). The tax number of A2's HQ client is held as a keyed hash, which no
view may show.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import duckdb

from warehouse.schema import create_all

T0 = datetime(2024, 5, 1, 10, 0, 0)
T1 = datetime(2024, 5, 2, 10, 0, 0)
SECRET_HASH = "hmac-6b1f0c0ffee-keyed-digest"


def at(base: datetime, seconds: int) -> datetime:
    return base + timedelta(seconds=seconds)


def build(con: duckdb.DuckDBPyConnection) -> None:
    """Create every table and fill them with the hand-made rows."""
    create_all(con)
    t0, t1 = f"timestamp '{T0}'", f"timestamp '{T1}'"
    s = lambda base, n: f"{base} + interval {n} second"  # noqa: E731
    con.execute("""
        insert into stg_practice (practice_id, name, region, uses_xpm, uses_tax, connection, connected_by, master_admin, strategy, wave)
        values ('A1', 'Alpha & Co', 'AU', true, true, 'confirmed', 'ann', 'ann', 'combine', 1),
               ('A2', 'Anchor Tax', 'AU', true, false, 'confirmed', 'bo', 'bo', 'keep_xpm', 1),
               ('B1', 'Birch Ltd', 'NZ', false, false, 'none', null, 'cy', 'keep_hq', 2),
               ('B2', 'Beech Partners', 'NZ', false, false, 'none', null, 'di', null, 2),
               ('C1', 'Cedar', 'UK', true, false, 'none', null, 'ed', null, null),
               ('C2', 'Cypress', 'UK', false, false, 'none', null, 'fa', null, null),
               ('C3', 'Chestnut', 'UK', true, false, 'unconfirmed', 'gu', 'gu', null, null)""")
    con.execute(f"""
        insert into pipeline_run (run_id, kind, started_at, finished_at, status, summary)
        values ('R0', 'wave', {t0}, {s(t0, 60)}, 'completed', '{{}}'), ('R1', 'rerun', {t1}, {s(t1, 120)}, 'completed', '{{}}')""")
    history = [
        ("A1", "coming_soon", "waiting for its consolidation wave", "R0", s(t0, 1)), ("A1", "complete", "promoted (combine)", "R0", s(t0, 30)),
        ("A2", "coming_soon", "waiting for its consolidation wave", "R0", s(t0, 1)),
        ("A2", "in_review", "promoted (keep_xpm); 1 links await review", "R1", s(t1, 10)),
        ("B1", "coming_soon", "waiting for its consolidation wave", "R0", s(t0, 1)),
        ("B1", "blocked", "failed: unified_client_id_unique", "R0", s(t0, 40)),
        ("B2", "coming_soon", "waiting for its consolidation wave", "R0", s(t0, 1)),
        ("B2", "failed", "hq_clients.json: record 3 (id=H9): date_of_birth: not a date: '1990-13-01'", "R0", s(t0, 50)),
        ("C1", "connect", "HQ is not connected to an XPM or Xero Tax account", "R0", s(t0, 1)),
        ("C2", "coming_soon", "waiting for its consolidation wave", "R0", s(t0, 1)),
        ("C3", "confirm", "an old connection awaits confirmation by the Master Admin gu", "R0", s(t0, 1)),
    ]  # fmt: skip
    values = ", ".join(f"('{p}', '{st}', '{d.replace(chr(39), chr(39) * 2)}', '{r}', {ts})" for p, st, d, r, ts in history)
    con.execute(f"insert into practice_status_history (practice_id, status, detail, run_id, changed_at) values {values}")
    con.execute("""
        insert into practice_status
        select practice_id, arg_max(status, changed_at), arg_max(detail, changed_at), max(changed_at), arg_max(run_id, changed_at)
        from practice_status_history group by practice_id""")
    con.execute(f"""
        insert into run_practice (run_id, practice_id, records, clusters, auto_links, review_links, status, detail, written_at)
        values ('R0', 'A1', 5, 2, 2, 0, 'complete', 'promoted (combine)', {s(t0, 30)}),
               ('R0', 'B1', 2, 1, 0, 1, 'blocked', 'failed: other_expectation', {s(t0, 40)}),
               ('R0', 'B2', 0, null, 0, 0, 'failed', 'hq_clients.json: record 3', {s(t0, 50)}),
               ('R0', 'C1', 0, null, 0, 0, 'connect', 'HQ is not connected', {s(t0, 5)}),
               ('R1', 'A2', 3, 2, 0, 1, 'in_review', 'promoted (keep_xpm); 1 links await review', {s(t1, 10)}),
               ('R1', 'B1', 2, 1, 0, 1, 'blocked', 'failed: unified_client_id_unique', {s(t1, 20)})""")
    con.execute(f"""
        insert into quality_result (run_id, practice_id, suite, expectation, success, unexpected_count, result, checked_at)
        values ('R0', 'A1', 'clients', 'names_not_null', true, 0, '{{}}', {s(t0, 30)}),
               ('R0', 'A1', 'clients', 'unified_client_id_unique', true, 0, '{{}}', {s(t0, 30)}),
               ('R0', 'B1', 'clients', 'other_expectation', false, 1, '{{}}', {s(t0, 40)}),
               ('R1', 'A2', 'clients', 'names_not_null', true, 0, '{{}}', {s(t1, 10)}),
               ('R1', 'B1', 'clients', 'unified_client_id_unique', false, 2, '{{}}', {s(t1, 20)}),
               ('R1', 'B1', 'clients', 'names_not_null', true, 0, '{{}}', {s(t1, 20)})""")
    con.execute(f"""
        insert into stg_client (practice_id, source, source_client_id, name, abn, tfn_hash, tfn_last3, ird_last3)
        values ('A1', 'xpm', 'x1', 'Ann Lee', null, null, null, null), ('A1', 'xpm', 'x2', 'Bob Ray', null, null, null, null),
               ('A1', 'hq', 'h1', 'Ann Lee', null, null, null, null), ('A1', 'hq', 'h2', 'Robert Ray', null, null, null, null),
               ('A1', 'tax', 't1', 'LEE, Ann', null, null, null, null),
               ('A2', 'xpm', 'y1', 'Kim Olsen', null, null, null, null), ('A2', 'xpm', 'y2', 'Olsen Holdings', null, null, null, null),
               ('A2', 'hq', 'k1', 'Kim Olsen', '51824753556', '{SECRET_HASH}', '789', null),
               ('B1', 'hq', 'b1', 'Birch Client', null, null, null, '123'), ('B1', 'hq', 'b2', 'Birch Client Ltd', null, null, null, null)""")
    evidence = '{"name":{"level":"exact","weight":5.0}}'
    con.execute(f"""
        insert into client_match (practice_id, source_l, source_client_id_l, source_r, source_client_id_r, match_weight,
                                  match_probability, decision, veto, evidence)
        values ('A1', 'hq', 'h1', 'xpm', 'x1', 9.0, 0.999, 'auto', null, '{evidence}'),
               ('A2', 'hq', 'k1', 'xpm', 'y1', 4.0, 0.9, 'review', null, '{evidence}'),
               ('A2', 'xpm', 'y1', 'xpm', 'y2', 1.0, 0.6, 'review', null, '{evidence}'),
               ('B1', 'hq', 'b1', 'hq', 'b2', 1.5, 0.7, 'review', 'thin_evidence', '{evidence}')""")
    con.execute(f"""
        insert into review_decision (practice_id, source_l, source_client_id_l, source_r, source_client_id_r, decision, decided_at, source_file)
        values ('A2', 'xpm', 'y1', 'xpm', 'y2', 'accept', {s(t1, 30)}, 'review-A2.csv')""")
    con.execute(f"""
        insert into promotion_version (practice_id, version, run_id, content_hash, promoted_at, is_current)
        values ('A1', 1, 'R0', 'h1', {s(t0, 20)}, false), ('A1', 2, 'R0', 'h2', {s(t0, 30)}, true),
                                             ('A2', 1, 'R1', 'h3', {s(t1, 10)}, true)""")
    con.execute("""
        insert into unified_client_version (practice_id, version, unified_client_id, name, tfn_hash, tfn_last3)
        values ('A1', 1, 'U1a', 'Ann Lee', null, null), ('A1', 1, 'U1b', 'Bob Ray', null, null), ('A1', 1, 'U1c', 'Robert Ray', null, null),
               ('A1', 2, 'U1', 'Ann Lee', null, null), ('A1', 2, 'U2', 'Bob Ray', null, null),
               ('A2', 1, 'V1', 'Kim Olsen', '""" + SECRET_HASH + """', '789'), ('A2', 1, 'V2', 'Olsen Holdings', null, null)""")
    con.execute("""
        insert into client_crosswalk_version (practice_id, version, source, source_client_id, unified_client_id, merge_status, match_probability)
        values ('A1', 1, 'xpm', 'x1', 'U1a', 'unique', null), ('A1', 1, 'xpm', 'x2', 'U1b', 'unique', null),
               ('A1', 1, 'hq', 'h2', 'U1c', 'unique', null),
               ('A1', 2, 'xpm', 'x1', 'U1', 'auto', 0.999), ('A1', 2, 'hq', 'h1', 'U1', 'auto', 0.999),
               ('A1', 2, 'tax', 't1', 'U1', 'auto', 0.998), ('A1', 2, 'xpm', 'x2', 'U2', 'reviewed', 0.8),
               ('A1', 2, 'hq', 'h2', 'U2', 'reviewed', 0.8),
               ('A2', 1, 'hq', 'k1', 'V1', 'review', 0.9), ('A2', 1, 'xpm', 'y1', 'V1', 'review', 0.9),
               ('A2', 1, 'xpm', 'y2', 'V2', 'unique', null)""")
    con.execute("""
        insert into stg_sync_link (practice_id, xpm_client_uuid, hq_client_id, linked_at, last_synced_at, state, record_no)
        values ('A1', 'x1', 'h1', null, null, 'active', 1), ('A1', 'x2', 'h2', null, null, 'active', 2),
               ('A1', 'x3', 'h3', null, null, 'paused', 3), ('A1', 'x2', 'h2', null, null, 'paused', 5)""")
    con.execute(f"""
        insert into sync_retirement (practice_id, xpm_client_uuid, hq_client_id, retired_at, state_before, run_id)
        values ('A1', 'x1', 'h1', {s(t1, 200)}, 'active', 'S1')""")
    con.execute("""
        insert into sync_drift (practice_id, xpm_client_uuid, hq_client_id, field, state, run_id)
        values ('A1', 'x1', 'h1', 'name', 'active', 'S1'), ('A1', 'x1', 'h1', 'email', 'active', 'S1'),
               ('A1', 'x3', 'h3', 'phone', 'paused', 'S1')""")
    con.execute("insert into sync_unconnected values ('C1', 'none', 'from the cutover, new clients appear in one system only', 'HQ is not connected to an XPM or Xero Tax account')")
    con.execute("""
        insert into practice_change select practice_id, 1 from stg_practice""")


HOSTILE_NAME = '<script>alert("name")</script> & =HYPERLINK("http://example.invalid")'
HOSTILE_DETAIL = "hq_clients.json: <img src=x onerror=alert(1)> & more"


def published(path, hostile: bool = False):
    """A file warehouse at `path` holding the hand-made rows (practice B1's name and B2's failure made hostile on
    request), with its analysts' snapshot published; returns the path."""
    from warehouse.snapshot import publish

    con = duckdb.connect(str(path))
    try:
        build(con)
        if hostile:
            con.execute("update stg_practice set name = ? where practice_id = 'B1'", [HOSTILE_NAME])
            con.execute("update practice_status set detail = ? where practice_id = 'B2'", [HOSTILE_DETAIL])
        publish(con, path)
    finally:
        con.close()
    return path
