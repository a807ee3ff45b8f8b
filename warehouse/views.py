"""The analysts' views: one small named function per view, returning its SQL.

The same SQL is created in the live warehouse (by `schema.create_all`) and in the analysts'
snapshot (by `snapshot.publish`), over tables of the same names, so a figure means the same in
both. No view carries a secret: tax numbers appear as their last three digits at most, and the
keyed hashes are never selected.
"""

from __future__ import annotations

from collections.abc import Callable

import duckdb

__all__ = ["VIEWS", "ANALYST_VIEWS", "create_views"]

STATUS_ORDER = "['connect', 'confirm', 'coming_soon', 'in_review', 'blocked', 'failed', 'complete']"


def migration_progress() -> str:
    """Practices and source records by region, wave and status, with the share complete of each region and wave."""
    return """
        with practices as (
            select s.practice_id, s.status, p.region, p.wave
            from practice_status s left join stg_practice p using (practice_id)
        ), records as (
            select practice_id, count(*) as source_records from stg_client group by practice_id
        ), grouped as (
            select region, wave, status, count(*) as practices, coalesce(sum(r.source_records), 0)::bigint as source_records
            from practices left join records r using (practice_id)
            group by region, wave, status
        )
        select region, wave, status, practices, source_records,
               sum(practices) over w::bigint as practices_in_group,
               round(sum(case when status = 'complete' then practices else 0 end) over w / sum(practices) over w, 4)
                   as share_complete,
               round(sum(case when status = 'complete' then source_records else 0 end) over w
                     / nullif(sum(source_records) over w, 0), 4) as share_records_complete
        from grouped
        window w as (partition by region, wave)
        order by region nulls last, wave nulls last, list_position(""" + STATUS_ORDER + """, status), status"""


def wave_summary() -> str:
    """Per registry wave and run: practices taken and what they became, records in, unified clients out, links, duration.

    Unified clients out counts the unified clients promoted for the practices that passed the quality gate in that
    run (a record awaiting review is one of its own), as `unified_client` holds them; for runs recorded before
    run_practice kept that count, their proposed clusters.
    """
    return """
        with taken as (
            select r.*, p.wave from run_practice r left join stg_practice p using (practice_id)
        ), passed as (
            select run_id, practice_id from quality_result group by run_id, practice_id having bool_and(success)
        )
        select t.wave, t.run_id, r.kind as run_kind, r.status as run_status, r.started_at, r.finished_at,
               count(*) as planned,
               count(*) filter (where t.status = 'complete') as complete,
               count(*) filter (where t.status = 'in_review') as in_review,
               count(*) filter (where t.status = 'blocked') as blocked,
               count(*) filter (where t.status = 'failed') as failed,
               count(*) filter (where t.status not in ('complete', 'in_review', 'blocked', 'failed')) as waiting,
               coalesce(sum(t.records), 0)::bigint as records_in,
               coalesce(sum(coalesce(t.unified_clients, t.clusters)) filter (where g.practice_id is not null), 0)::bigint
                   as unified_clients_out,
               coalesce(sum(t.auto_links), 0)::bigint as auto_links,
               coalesce(sum(t.review_links), 0)::bigint as review_links,
               max(t.written_at) as last_written_at,
               date_diff('millisecond', r.started_at, r.finished_at) / 1000.0 as duration_seconds
        from taken t
        left join pipeline_run r using (run_id)
        left join passed g on g.run_id = t.run_id and g.practice_id = t.practice_id
        group by t.wave, t.run_id, r.kind, r.status, r.started_at, r.finished_at
        order by r.started_at, t.run_id, t.wave nulls last"""


def _masked_ids(side: str) -> str:
    """A record's identifiers for a person to compare: kind and last three digits only."""
    parts = [
        f"case when {side}.abn is not null then 'ABN ***' || right({side}.abn, 3) end",
        f"case when {side}.acn is not null then 'ACN ***' || right({side}.acn, 3) end",
        f"case when {side}.nzbn is not null then 'NZBN ***' || right({side}.nzbn, 3) end",
        f"case when {side}.tfn_last3 is not null then 'TFN ***' || {side}.tfn_last3 end",
        f"case when {side}.ird_last3 is not null then 'IRD ***' || {side}.ird_last3 end",
    ]
    return f"nullif(concat_ws(' ', {', '.join(parts)}), '')"


def review_queue() -> str:
    """Links awaiting a person, not yet decided; practices waiting longest first, with both records' names and masked ids.

    waiting_since: the first run of the practice's current streak of runs that left links for review.
    """
    side = (
        "left join stg_client {a} on {a}.practice_id = m.practice_id and {a}.source = m.source_{a} "
        "and {a}.source_client_id = m.source_client_id_{a}"
    )
    return f"""
        with pending as (
            select m.* from client_match m
            where m.decision = 'review' and not exists (
                select 1 from review_decision d
                where d.practice_id = m.practice_id and d.source_l = m.source_l and d.source_client_id_l = m.source_client_id_l
                  and d.source_r = m.source_r and d.source_client_id_r = m.source_client_id_r)
        ), runs as (
            select practice_id, written_at, review_links,
                   max(case when review_links = 0 then written_at end) over (partition by practice_id) as last_clear
            from run_practice
        ), since as (
            select practice_id, min(written_at) as waiting_since from runs
            where review_links > 0 and (last_clear is null or written_at > last_clear)
            group by practice_id
        )
        select m.practice_id, p.name as practice_name, s.waiting_since,
               count(*) over (partition by m.practice_id) as pending_in_practice,
               m.source_l, m.source_client_id_l, l.name as name_l, {_masked_ids('l')} as ids_l,
               m.source_r, m.source_client_id_r, r.name as name_r, {_masked_ids('r')} as ids_r,
               m.match_probability, m.match_weight, m.veto, m.evidence
        from pending m
        left join stg_practice p on p.practice_id = m.practice_id
        left join since s on s.practice_id = m.practice_id
        {side.format(a='l')}
        {side.format(a='r')}
        order by s.waiting_since nulls last, m.practice_id, m.match_probability desc,
                 m.source_l, m.source_client_id_l, m.source_r, m.source_client_id_r"""


def quality_failures() -> str:
    """Blocked practices with the expectations that blocked them at their last check (a row with no expectation if none
    is stored). A warning-only expectation (GX severity "warning") blocks nothing: it stays in quality_result only."""
    return """
        with last_check as (
            select practice_id, arg_max(run_id, checked_at) as run_id from quality_result group by practice_id
        ), failed as (
            select q.* from quality_result q join last_check l using (practice_id, run_id)
            where not q.success
              and coalesce(json_extract_string(q.result, '$.expectation_config.severity'), 'critical') <> 'warning'
        ), keys as (
            select practice_id, run_id, suite, expectation, unnest(json_extract(result, '$.unexpected_keys[*]')) as k from failed
        ), named as (
            -- the source records behind each failing row (QA, session 35: only a unified id never promoted was named)
            select k.practice_id, k.run_id, k.suite, k.expectation,
                   list_sort(list(distinct coalesce(c.source || ':' || c.source_client_id,
                                          json_extract_string(k.k, '$.source') || ':' || json_extract_string(k.k, '$.source_client_id')))
                        filter (where coalesce(c.source, json_extract_string(k.k, '$.source')) is not null)) as records
            from keys k
            left join proposed_crosswalk c
              on c.practice_id = k.practice_id and c.unified_client_id = json_extract_string(k.k, '$.unified_client_id')
            group by all
        )
        select s.practice_id, p.name as practice_name, s.detail as status_detail, s.updated_at as blocked_since,
               f.run_id, f.suite, f.expectation, f.unexpected_count, f.checked_at, n.records[1:20] as records
        from practice_status s
        left join stg_practice p using (practice_id)
        left join failed f using (practice_id)
        left join named n on n.practice_id = f.practice_id and n.run_id = f.run_id and n.suite = f.suite and n.expectation = f.expectation
        where s.status = 'blocked'
        order by s.practice_id, f.suite, f.expectation"""


def merge_summary() -> str:
    """Per practice: source records in by source, unified clients out, promoted records by merge status."""
    return """
        with records as (
            select practice_id,
                   count(*) filter (where source = 'xpm') as records_xpm,
                   count(*) filter (where source = 'hq') as records_hq,
                   count(*) filter (where source = 'tax') as records_tax,
                   count(*) as records_in
            from stg_client group by practice_id
        ), merged as (
            select practice_id,
                   count(*) filter (where merge_status = 'auto') as records_auto,
                   count(*) filter (where merge_status = 'reviewed') as records_reviewed,
                   count(*) filter (where merge_status = 'review') as records_review,
                   count(*) filter (where merge_status = 'unique') as records_unique,
                   count(*) as records_promoted
            from client_crosswalk group by practice_id
        ), clients as (
            select practice_id, count(*) as unified_clients from unified_client group by practice_id
        ), current_version as (
            select practice_id, version, promoted_at from promotion_version where is_current
        )
        select s.practice_id, s.status, v.version as promoted_version, v.promoted_at,
               coalesce(r.records_xpm, 0) as records_xpm, coalesce(r.records_hq, 0) as records_hq,
               coalesce(r.records_tax, 0) as records_tax, coalesce(r.records_in, 0) as records_in,
               coalesce(c.unified_clients, 0) as unified_clients,
               coalesce(m.records_auto, 0) as records_auto, coalesce(m.records_reviewed, 0) as records_reviewed,
               coalesce(m.records_review, 0) as records_review, coalesce(m.records_unique, 0) as records_unique,
               coalesce(m.records_promoted, 0) as records_promoted
        from practice_status s
        left join records r using (practice_id)
        left join merged m using (practice_id)
        left join clients c using (practice_id)
        left join current_version v using (practice_id)
        order by s.practice_id"""


def practice_timeline() -> str:
    """Every status change of every practice, with the status before it, its run and the time."""
    return """
        select h.practice_id, h.changed_at,
               lag(h.status) over (partition by h.practice_id order by h.changed_at) as previous_status,
               h.status, h.detail, h.run_id, r.kind as run_kind, r.started_at as run_started_at
        from practice_status_history h left join pipeline_run r using (run_id)
        order by h.practice_id, h.changed_at"""


def sync_retirement_status() -> str:
    """Per practice: legacy sync links (active, paused), retired, still active, drifting; its status, connection, and
    whether retirement found it unconnected (step one not done)."""
    return """
        with practices as (
            select practice_id from stg_practice
            union select practice_id from sync_retirement
            union select practice_id from sync_unconnected
        ), links as (
            -- a link listed twice is one link, in the state of its first line (as retirement reads it)
            select practice_id, xpm_client_uuid, hq_client_id, arg_min(state, record_no) as state
            from stg_sync_link group by practice_id, xpm_client_uuid, hq_client_id
        ), link_counts as (
            select l.practice_id, count(*) as sync_links,
                   count(*) filter (where l.state = 'active') as active_links,
                   count(*) filter (where l.state = 'paused') as paused_links,
                   count(*) filter (where l.state = 'active' and r.practice_id is null) as active_not_retired
            from links l left join sync_retirement r using (practice_id, xpm_client_uuid, hq_client_id)
            group by l.practice_id
        ), retired as (
            select practice_id, count(*) as links_retired, max(retired_at) as last_retired_at
            from sync_retirement group by practice_id
        ), drifting as (
            select practice_id, count(distinct [xpm_client_uuid, hq_client_id]) as links_drifting, count(*) as drift_fields
            from sync_drift group by practice_id
        )
        select x.practice_id, s.status, p.connection, u.practice_id is not null as unconnected_at_retirement,
               coalesce(c.sync_links, 0) as sync_links, coalesce(c.active_links, 0) as active_links,
               coalesce(c.paused_links, 0) as paused_links, coalesce(r.links_retired, 0) as links_retired,
               coalesce(c.active_not_retired, 0) as active_not_retired,
               coalesce(d.links_drifting, 0) as links_drifting, coalesce(d.drift_fields, 0) as drift_fields,
               r.last_retired_at
        from practices x
        left join stg_practice p using (practice_id)
        left join practice_status s using (practice_id)
        left join sync_unconnected u using (practice_id)
        left join link_counts c using (practice_id)
        left join retired r using (practice_id)
        left join drifting d using (practice_id)
        order by x.practice_id"""


def progress_by_run() -> str:
    """Practices by status as each run ended (a run still going: as now), for progress over runs."""
    return """
        with runs as (
            select run_id, kind, status as run_status, started_at, finished_at,
                   coalesce(finished_at, (select max(changed_at) from practice_status_history)) as as_of
            from pipeline_run
        ), practices as (
            select distinct practice_id from practice_status_history
        ), asof_status as (
            select r.run_id, h.status
            from runs r cross join practices p
            asof join practice_status_history h on h.practice_id = p.practice_id and h.changed_at <= r.as_of
        )
        select r.run_id, r.kind as run_kind, r.run_status, r.started_at, r.finished_at, a.status, count(*) as practices
        from runs r join asof_status a using (run_id)
        group by r.run_id, r.kind, r.run_status, r.started_at, r.finished_at, a.status
        order by r.started_at, r.run_id, list_position(""" + STATUS_ORDER + """, a.status)"""


def failure_reasons() -> str:
    """Failed practices by reason: the file and the kind of error, without the record or any value from it."""
    return """
        with reasons as (
            select practice_id,
                   -- a record's label goes with its parts (`record 7 (id=...) contact 1:`)
                   -- a key's value the message names outside the record's label (`client_code=ANDE001 repeats ...`, as
                   -- written before session 28) goes too: a Tax client code may be a tax file number
                   -- a value quoted ('x' or "x", as Python's repr writes it: opened after a space, closed before one, a
                   -- comma, a colon or the end) or in brackets goes, the words around it stay ("column 'email' repeats"
                   -- is "column repeats"; the apostrophe of "the folder's" opens nothing)
                   -- a folder's own problem names the folder, which is the practice: `P00001: practice folder not in
                   -- practices.json` is one reason for every such folder (QA9: each was a "top" reason of its own)
                   regexp_replace(regexp_replace(
                       regexp_replace(regexp_replace(regexp_replace(regexp_replace(
                           regexp_replace(case when starts_with(detail, practice_id || ': ') then substr(detail, length(practice_id) + 3) else detail end,
                                          ': (line|record|row) \\d+( \\([^)]*\\))?(,? [a-z]+ \\d+)*:', ':'),
                           ' ''[^'']*''([ ,;:)]|$)', '\\1', 'g'), ' "[^"]*"([ ,;:)]|$)', '\\1', 'g'), ' ?\\([^)]*\\)', '', 'g'),
                           '( [''"]| ?\\().*$', ''),
                       '^(([^:]*:){2}[^:]*):.*$', '\\1'), '([A-Za-z_]+=[^ ,;:]+(, )?)+ (repeats an earlier record)', '\\3') as reason
            from practice_status where status = 'failed'
        )
        select trim(reason) as reason, count(*) as practices, list(practice_id order by practice_id) as practice_ids
        from reasons group by trim(reason)
        order by practices desc, reason"""


# the views the interface contract names, then the ones the report and `scr status` read besides
def field_lineage_by_field() -> str:
    """One row per unified client and field: the source record and column it came from, and the rule."""
    return """
        with rows as (select practice_id, unified_client_id, source, source_client_id, rule, unnest(fields) as field
                      from field_lineage)
        select practice_id, unified_client_id, field, source, source_client_id,
               case field when 'entity_type' then 'client_type,business_structure' else field end as source_field, rule
        from rows"""


ANALYST_VIEWS: dict[str, Callable[[], str]] = {
    "migration_progress": migration_progress,
    "wave_summary": wave_summary,
    "review_queue": review_queue,
    "quality_failures": quality_failures,
    "merge_summary": merge_summary,
    "practice_timeline": practice_timeline,
    "sync_retirement_status": sync_retirement_status,
}
VIEWS: dict[str, Callable[[], str]] = {
    **ANALYST_VIEWS, "progress_by_run": progress_by_run, "failure_reasons": failure_reasons,
    "field_lineage_by_field": field_lineage_by_field,
}


def create_views(con: duckdb.DuckDBPyConnection) -> None:
    """Create (or replace) every analyst view over the tables of the same names on this connection."""
    for name, sql in VIEWS.items():
        con.execute(f"create or replace view {name} as {sql()}")
