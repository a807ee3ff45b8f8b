"""One practice whole, for a person: what was read, proposed, decided and promoted."""

from __future__ import annotations

import duckdb

from warehouse.review import HELD_BACK, review_counts

__all__ = ["practice_facts"]


def _one(con: duckdb.DuckDBPyConnection, sql: str, pid: str) -> list[tuple]:
    return con.sql(sql, params={"p": pid}).fetchall()


def practice_facts(con: duckdb.DuckDBPyConnection, practice_id: str) -> dict:
    """Counts and lists about one practice (keys, counts and names only: no secret is ever read here)."""
    q = lambda sql: _one(con, sql, practice_id)  # noqa: E731
    return {
        "records": dict(q("select source, count(*) from stg_client where practice_id = $p group by 1 order by 1")),
        "proposed_clients": q("select count(distinct unified_client_id) from proposed_crosswalk where practice_id = $p")[0][0],
        "links": dict(q("select decision, count(*) from client_match where practice_id = $p group by 1 order by 1")),
        "pending_reviews": q(
            """select count(*) from client_match m where m.practice_id = $p and m.decision = 'review' and not exists (
                 select 1 from review_decision d where d.practice_id = m.practice_id and d.source_l = m.source_l
                   and d.source_client_id_l = m.source_client_id_l and d.source_r = m.source_r
                   and d.source_client_id_r = m.source_client_id_r)"""
        )[0][0],
        # pairs the review budget left apart (transforms.resolve.HELD_BACK): no person was shown them
        "held_back": q(
            f"""select count(*) from client_match m where m.practice_id = $p and m.decision = 'reject' and m.veto = '{HELD_BACK}'
                 and not exists (select 1 from review_decision d where d.practice_id = m.practice_id and d.source_l = m.source_l
                   and d.source_client_id_l = m.source_client_id_l and d.source_r = m.source_r
                   and d.source_client_id_r = m.source_client_id_r)"""
        )[0][0],
        "decisions": dict(q("select decision, count(*) from review_decision where practice_id = $p group by 1 order by 1")),
        # the decisions in force that its next run applies: the count its status detail gives ("N decisions recorded,
        # applied by the practice's next run"), not the log's entries (QA9 F4: 4 decisions were 7 entries)
        "unapplied_decisions": int(review_counts(con, [practice_id])["decided"][0]),
        # entries of the decision log since the practice's last run (recorded, withdrawn or restored): only a run applies
        # them, a withdrawal too (an unmerge applies its own reject decisions as it records them). Runs and operators
        # write under one lock: no overlap.
        "decision_changes": q(
            """select count(*) from review_decision_log l where l.practice_id = $p
                 and not (l.action = 'decide' and l.source_file like 'unmerge:%')
                 and l.logged_at > coalesce((select max(written_at) from run_practice where practice_id = $p), '-infinity'::timestamp)"""
        )[0][0],
        "versions": q("select version, run_id, promoted_at, is_current from promotion_version where practice_id = $p order by version"),
        "promoted_clients": q("select count(*) from unified_client where practice_id = $p")[0][0],
        "merge_status": dict(q("select merge_status, count(*) from client_crosswalk where practice_id = $p group by 1 order by 1")),
        "suspect_links": q(
            """select link_kind, source_l || ':' || source_client_id_l, source_r || ':' || source_client_id_r
               from suspect_link where practice_id = $p order by all"""
        ),
        "pin": (q("select version, pinned_by, pinned_at, reason from practice_pin where practice_id = $p") or [None])[0],
        "choices": q("select choice, value, previous, chosen_by, chosen_at from practice_choice where practice_id = $p order by chosen_at"),
        # accepts of pairs vetoed `identifier` (recorded before review apply refused them, QA11 D3): what blocks the
        # practice at the gate (one_valid_identifier_per_kind), as the --pair of the revoke that undoes each
        "identifier_accepts": [r[0] for r in q(
            """select d.source_l || ':' || d.source_client_id_l || ',' || d.source_r || ':' || d.source_client_id_r
               from review_decision d join client_match m using (practice_id, source_l, source_client_id_l, source_r, source_client_id_r)
               where d.practice_id = $p and d.decision = 'accept' and regexp_matches(coalesce(m.veto, ''), '\\bidentifier\\b')
               order by 1""")],  # fmt: skip
        "failed_expectations": [r[0] for r in q(
            """select distinct expectation from quality_result where practice_id = $p and not success
               and run_id = (select run_id from quality_result where practice_id = $p order by checked_at desc limit 1) order by 1""")],  # fmt: skip
    }
