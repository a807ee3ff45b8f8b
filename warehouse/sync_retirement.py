"""The legacy sync's retirement record: tables sync_retirement, sync_drift, sync_unconnected."""

from __future__ import annotations

from datetime import date, datetime

import duckdb
import polars as pl

from warehouse.schema import has_table

__all__ = ["read_retired", "write_retirement", "forget_sync_tokens", "rekey_sync_tokens"]

_LINK_KEY = ["practice_id", "xpm_client_uuid", "hq_client_id"]
# a record id holding a tax number is stored as its keyed token (landing.idtokens); a rekey forgets the token, keeping
# its last three digits and a number telling the practice's forgotten ids apart, until the link is read with the new key
_TOKEN = r"^hashed-(\d+)-[0-9a-f]{16}$"
_FORGOTTEN = r"^hashed-(\d+)-forgotten-\d+$"
_SYNC_TABLES = ("sync_retirement", "sync_drift")


def read_retired(con: duckdb.DuckDBPyConnection | None) -> pl.DataFrame:
    """Keys of links already retired (empty when there is no warehouse yet)."""
    empty = pl.DataFrame(schema={k: pl.String for k in _LINK_KEY})
    if con is None or not has_table(con, "sync_retirement"):
        return empty
    return con.sql(f"select {', '.join(_LINK_KEY)} from sync_retirement").pl().cast(empty.schema)  # type: ignore[arg-type]


def write_retirement(
    con: duckdb.DuckDBPyConnection,
    plan: pl.DataFrame,
    drift: pl.DataFrame,
    unconnected_practices: pl.DataFrame,
    *,
    run_id: str,
    retired_at: datetime,
    as_of: date,
    retired_by: str | None = None,
) -> dict[str, int]:
    """Record the retirement (inside the caller's transaction): who and when with each link; a link already retired
    keeps its first record."""
    retire = plan.filter(pl.col("action") == "retire")  # noqa: F841  (read by name in SQL)
    # drift is frozen when a link is retired (later edits are no longer the sync's business);
    # paused links record theirs once, the first time they are seen
    frozen = plan.filter(pl.col("action") != "already_retired").select(_LINK_KEY)
    drift_rows = drift.join(frozen, on=_LINK_KEY, how="semi")  # noqa: F841
    before = _count(con, "sync_retirement"), _count(con, "sync_drift")
    con.execute(
        """
        insert into sync_retirement by name
        select r.practice_id, r.xpm_client_uuid, r.hq_client_id, r.linked_at, r.last_synced_at,
               $retired_at as retired_at, r.state_before, $as_of as as_of, $run_id as run_id,
               r.xpm_found, r.hq_found, r.xpm_archived, r.hq_archived, r.drift_fields, $retired_by as retired_by
        from retire r
        on conflict do nothing""",
        {"retired_at": retired_at, "as_of": as_of, "run_id": run_id, "retired_by": retired_by},
    )
    con.execute("insert into sync_drift by name select d.*, $run_id as run_id from drift_rows d on conflict do nothing", {"run_id": run_id})
    # the registry is the truth for who has not connected: replace the whole list
    con.execute("delete from sync_unconnected")
    con.execute("insert into sync_unconnected by name select * from unconnected_practices")
    after = _count(con, "sync_retirement"), _count(con, "sync_drift")
    return {"retired": after[0] - before[0], "drift_rows": after[1] - before[1]}


def _count(con: duckdb.DuckDBPyConnection, table: str) -> int:
    return con.sql(f"select count(*) from {table}").fetchall()[0][0]


def _rename(con: duckdb.DuckDBPyConnection, names: str) -> int:
    """Rename record ids of both sync tables by the temp table `names` (practice_id, from_id, to_id): each row naming
    one is deleted and written again renamed (its key changes). Returns rows renamed."""
    renamed = 0
    for table in _SYNC_TABLES:
        con.execute(
            f"""create or replace temp table _renamed as
                select t.* replace (coalesce(x.to_id, t.xpm_client_uuid) as xpm_client_uuid,
                                    coalesce(h.to_id, t.hq_client_id) as hq_client_id)
                from {table} t
                left join {names} x on x.practice_id = t.practice_id and x.from_id = t.xpm_client_uuid
                left join {names} h on h.practice_id = t.practice_id and h.from_id = t.hq_client_id
                where x.to_id is not null or h.to_id is not null"""
        )
        con.execute(f"delete from {table} t where exists (select 1 from {names} n where n.practice_id = t.practice_id "
                    "and n.from_id in (t.xpm_client_uuid, t.hq_client_id))")  # fmt: skip
        con.execute(f"insert into {table} by name select * from _renamed")
        renamed += _count(con, "_renamed")
        con.execute("drop table _renamed")
    return renamed


def forget_sync_tokens(con: duckdb.DuckDBPyConnection) -> int:
    """A rekey (inside its transaction): every record token of the old key in sync_retirement and sync_drift becomes
    `hashed-LAST3-forgotten-N` (the same N for the same token of a practice, in both tables), so no hash of the old key
    stays; rekey_sync_tokens gives each its new token once the practice's links are read with the new key.
    Returns rows changed."""
    if not all(has_table(con, t) for t in _SYNC_TABLES):
        return 0
    ends = " union ".join(f"select practice_id, {c} as v from {t}" for t in _SYNC_TABLES for c in ("xpm_client_uuid", "hq_client_id"))
    con.execute(
        f"""create or replace temp table _forgotten as
            select practice_id, v as from_id,
                   'hashed-' || regexp_extract(v, $token, 1) || '-forgotten-'
                   || dense_rank() over (partition by practice_id order by v) as to_id
            from ({ends}) where regexp_matches(v, $token)""",
        {"token": _TOKEN},
    )
    # a practice's earlier forgotten ids keep their numbers: the new ones come after them
    con.execute(
        f"""update _forgotten f set to_id = 'hashed-' || regexp_extract(f.from_id, $token, 1) || '-forgotten-'
                || (regexp_extract(f.to_id, '(\\d+)$', 1)::bigint + coalesce(m.n, 0))
            from (select practice_id, max(regexp_extract(v, '(\\d+)$', 1)::bigint) as n from ({ends})
                  where regexp_matches(v, $forgotten) group by all) m
            where m.practice_id = f.practice_id""",
        {"token": _TOKEN, "forgotten": _FORGOTTEN},
    )
    changed = _rename(con, "_forgotten")
    con.execute("drop table _forgotten")
    return changed


def rekey_sync_tokens(con: duckdb.DuckDBPyConnection, practice_ids: list[str]) -> int:
    """The forgotten record ids of these practices' retired and drifting links get the token their staging (stg_sync_link,
    just read with the warehouse's key) gives them: the link with the same other end, the same times and the same last
    three digits; one that meets no such link, or more than one, stays forgotten. The caller holds the transaction,
    after the practices' staging was written. Returns rows changed."""
    if not practice_ids or not all(has_table(con, t) for t in (*_SYNC_TABLES, "stg_sync_link")):
        return 0
    forgotten = " union all ".join(f"select 1 from {t} where practice_id in (select unnest($ids::varchar[])) and "
                                   f"(regexp_matches(xpm_client_uuid, $f) or regexp_matches(hq_client_id, $f))" for t in _SYNC_TABLES)  # fmt: skip
    if not con.execute(f"select count(*) from ({forgotten})", {"ids": sorted(set(practice_ids)), "f": _FORGOTTEN}).fetchall()[0][0]:
        return 0  # every run's chunk asks: nothing forgotten, nothing to do
    end = "(s.{c} = f.{c} or (regexp_matches(f.{c}, $forgotten) and regexp_matches(s.{c}, $token) " \
          "and regexp_extract(s.{c}, '^hashed-(\\d+)-', 1) = regexp_extract(f.{c}, $forgotten, 1)))"
    con.execute(
        f"""create or replace temp table _found as
            with forgotten as (
                select distinct practice_id, xpm_client_uuid, hq_client_id, linked_at, last_synced_at from sync_retirement
                where regexp_matches(xpm_client_uuid, $forgotten) or regexp_matches(hq_client_id, $forgotten)
                union
                select distinct practice_id, xpm_client_uuid, hq_client_id, null, last_synced_at from sync_drift
                where regexp_matches(xpm_client_uuid, $forgotten) or regexp_matches(hq_client_id, $forgotten)
            ), pairs as (
                select f.practice_id, f.xpm_client_uuid as fx, s.xpm_client_uuid as sx, f.hq_client_id as fh, s.hq_client_id as sh
                from forgotten f join stg_sync_link s on s.practice_id = f.practice_id
                  and s.last_synced_at is not distinct from f.last_synced_at
                  and (f.linked_at is null or s.linked_at is not distinct from f.linked_at)
                  and {end.format(c="xpm_client_uuid")} and {end.format(c="hq_client_id")}
                where f.practice_id in (select unnest($ids::varchar[]))
            ), ends as (
                select practice_id, fx as from_id, sx as to_id from pairs where regexp_matches(fx, $forgotten)
                union select practice_id, fh, sh from pairs where regexp_matches(fh, $forgotten)
            ), one as (
                select practice_id, from_id, any_value(to_id) as to_id from ends group by all having count(distinct to_id) = 1
            )
            select * from one qualify count(*) over (partition by practice_id, to_id) = 1""",
        {"forgotten": _FORGOTTEN, "token": _TOKEN, "ids": sorted(set(practice_ids))},
    )
    changed = _rename(con, "_found") if _count(con, "_found") else 0
    con.execute("drop table _found")
    return changed
