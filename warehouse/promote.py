"""Atomic, versioned promotion of unified clients; rollback to a practice's previous version.

Storage: every promoted table keeps all versions in `<table>_version` (practice_id, version, ...);
`promotion_version` says which version of each practice is current. `unified_client`,
`unified_contact`, `unified_group_member`, `unified_custom_field`, `unified_relationship`,
`unified_org_link` and `field_lineage` are VIEWS of the current versions. `client_crosswalk` stays a
TABLE (the matcher writes proposals there too): promotion replaces the promoted practices' rows.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

import duckdb
import polars as pl

if TYPE_CHECKING:
    from transforms.survivorship import Unified

__all__ = ["promote", "promote_in_transaction", "rollback", "refresh_crosswalk", "create_promoted", "PromotionError", "TABLES", "current_versions"]

# Unified field -> promoted table name
TABLES = {
    "client": "unified_client",
    "contact": "unified_contact",
    "group_member": "unified_group_member",
    "custom_field": "unified_custom_field",
    "relationship": "unified_relationship",
    "org_link": "unified_org_link",
    "lineage": "field_lineage",
    "crosswalk": "client_crosswalk",
}
CROSSWALK_COLS = ["practice_id", "source", "source_client_id", "unified_client_id", "merge_status", "match_probability"]


class PromotionError(ValueError):
    """A promotion or rollback that cannot be done (unknown practice, no previous version)."""


def _ensure(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(
        """create table if not exists promotion_version (
             practice_id varchar not null, version integer not null, run_id varchar, content_hash varchar,
             promoted_at timestamp, is_current boolean not null, primary key (practice_id, version))"""
    )
    con.execute(
        """create table if not exists client_crosswalk (
             practice_id varchar, source varchar, source_client_id varchar, unified_client_id varchar,
             merge_status varchar, match_probability double)"""
    )


def create_promoted(con: duckdb.DuckDBPyConnection) -> None:
    """Create the history tables and current-version views, empty, in the shape survive() produces (idempotent)."""
    _ensure(con)
    if all(_exists(con, f"{t}_version") for t in TABLES.values()):
        return
    from transforms.survivorship import survive
    from landing.frames import Frames

    none = pl.DataFrame(schema={"practice_id": pl.String, "strategy": pl.String})
    crosswalk = pl.DataFrame(schema={c: pl.String for c in CROSSWALK_COLS[:-1]} | {"match_probability": pl.Float64})
    empty = survive(Frames.empty(), crosswalk, none)
    for field, table in TABLES.items():
        con.register("_promote_empty", getattr(empty, field).to_arrow())
        try:
            _history(con, table, "_promote_empty")
        finally:
            con.unregister("_promote_empty")
        if table != "client_crosswalk":
            _view(con, table)


def _exists(con: duckdb.DuckDBPyConnection, table: str) -> bool:
    return bool(con.sql("select count(*) from information_schema.tables where table_name = $t", params={"t": table}).fetchall()[0][0])


def _history(con: duckdb.DuckDBPyConnection, table: str, rel: str) -> None:
    """Create `<table>_version` from the frame's shape, or add the columns it lacks."""
    con.execute(
        f"create table if not exists {table}_version as "
        f"select practice_id, 0::integer as version, * exclude (practice_id) from {rel} limit 0"
    )
    have = {r[0] for r in con.sql(f"select column_name from information_schema.columns where table_name = '{table}_version'").fetchall()}
    for name, typ in con.sql(f"select column_name, column_type from (describe {rel})").fetchall():
        if name not in have:
            con.execute(f'alter table {table}_version add column "{name}" {typ}')


def _view(con: duckdb.DuckDBPyConnection, table: str) -> None:
    con.execute(
        f"create or replace view {table} as select t.* exclude (version) from {table}_version t "
        "join promotion_version p using (practice_id, version) where p.is_current"
    )


def _table_hashes(con: duckdb.DuckDBPyConnection, rel: str, table: str) -> dict[str, str]:
    """Per practice: hash of the table's rows, independent of row order."""
    # the matcher retrains per chunk, so probabilities wobble with the chunk's other practices;
    # which records merged is the content, the probability is not
    body = f"select * exclude (match_probability) from {rel}" if table == "client_crosswalk" else f"select * from {rel}"
    rows = con.sql(
        f"select practice_id, sha256(string_agg(h, ',' order by h)) from "
        f"(select practice_id, md5(to_json(t)::varchar) as h from ({body}) t) group by practice_id"
    ).fetchall()
    return dict(rows)


def refresh_crosswalk(con: duckdb.DuckDBPyConnection, practice_ids: list[str]) -> None:
    """client_crosswalk rows of these practices := their current promoted crosswalk (practices never promoted: untouched).

    For a caller that wrote the matcher's proposals over a promoted practice the gate then blocked.
    """
    create_promoted(con)
    practice_ids = [p for p in current_versions(con) if p in set(practice_ids)]
    cols = ", ".join(CROSSWALK_COLS)
    con.execute("delete from client_crosswalk where practice_id in (select unnest($ids::varchar[]))", {"ids": practice_ids})
    con.execute(
        f"insert into client_crosswalk ({cols}) select {', '.join('c.' + c for c in CROSSWALK_COLS)} "
        "from client_crosswalk_version c join promotion_version p using (practice_id, version) "
        "where p.is_current and c.practice_id in (select unnest($ids::varchar[])) order by all",
        {"ids": practice_ids},
    )


def current_versions(con: duckdb.DuckDBPyConnection, practice_ids: list[str] | None = None) -> dict[str, int]:
    """practice -> version now current."""
    _ensure(con)
    rows = con.sql("select practice_id, version from promotion_version where is_current").fetchall()
    return {p: v for p, v in rows if practice_ids is None or p in practice_ids}


def promote(con: duckdb.DuckDBPyConnection, unified: Unified, practice_ids: list[str], run_id: str) -> dict[str, int]:
    """Promote these practices in one transaction; unchanged content keeps its version. Returns practice -> current version."""
    if not practice_ids:
        return {}
    create_promoted(con)
    con.execute("begin transaction")
    try:
        out = promote_in_transaction(con, unified, practice_ids, run_id)
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    return out


def promote_in_transaction(con: duckdb.DuckDBPyConnection, unified: Unified, practice_ids: list[str], run_id: str) -> dict[str, int]:
    """promote() inside a transaction the caller opened (so other writes can commit with it)."""
    ids = sorted(set(practice_ids))
    names = {}
    for field, table in TABLES.items():
        names[table] = f"_promote_{table}"
        con.register(names[table], getattr(unified, field).filter(pl.col("practice_id").is_in(ids)).to_arrow())
    try:
        return _promote_registered(con, names, ids, run_id)
    finally:
        for rel in names.values():
            con.unregister(rel)


def _promote_registered(con: duckdb.DuckDBPyConnection, names: dict[str, str], ids: list[str], run_id: str) -> dict[str, int]:
    per_table = {t: _table_hashes(con, rel, t) for t, rel in names.items()}
    content = {
        p: hashlib.sha256(";".join(f"{t}={per_table[t].get(p, '')}" for t in sorted(names)).encode()).hexdigest() for p in ids
    }
    current = {p: (v, h) for p, v, h in con.sql(
        "select practice_id, version, content_hash from promotion_version where is_current").fetchall()}
    latest = dict(con.sql("select practice_id, max(version) from promotion_version group by practice_id").fetchall())
    out = {p: current[p][0] for p in ids if p in current and current[p][1] == content[p]}
    changed = [p for p in ids if p not in out]
    if changed:
        new = pl.DataFrame(
            {"practice_id": changed, "version": [latest.get(p, 0) + 1 for p in changed],
             "content_hash": [content[p] for p in changed]},
            schema={"practice_id": pl.String, "version": pl.Int32, "content_hash": pl.String},
        )
        con.register("_promote_new", new.to_arrow())
        try:
            for table, rel in names.items():
                _history(con, table, rel)
                con.execute(
                    f"insert into {table}_version by name select r.*, n.version from {rel} r "
                    "join _promote_new n using (practice_id)"
                )
            con.execute("update promotion_version set is_current = false where practice_id in (select practice_id from _promote_new)")
            con.execute(
                "insert into promotion_version select practice_id, version, $run, content_hash, now()::timestamp, true "
                "from _promote_new", {"run": run_id}
            )
        finally:
            con.unregister("_promote_new")
        out.update(dict(zip(new["practice_id"], new["version"])))
    for table in TABLES.values():
        if table != "client_crosswalk":
            _view(con, table)
    refresh_crosswalk(con, ids)
    return {p: int(out[p]) for p in ids}


def rollback(con: duckdb.DuckDBPyConnection, practice_id: str) -> int:
    """Make the practice's previous version current again; returns that version."""
    _ensure(con)
    cur = con.sql("select version from promotion_version where practice_id = $p and is_current", params={"p": practice_id}).fetchall()
    if not cur:
        raise PromotionError(f"practice {practice_id!r} has no promoted version")
    prev = con.sql(
        "select max(version) from promotion_version where practice_id = $p and version < $v",
        params={"p": practice_id, "v": cur[0][0]},
    ).fetchall()[0][0]
    if prev is None:
        raise PromotionError(f"practice {practice_id!r} has no version before its current version {cur[0][0]}")
    con.execute("begin transaction")
    try:
        con.execute("update promotion_version set is_current = (version = $v) where practice_id = $p", {"v": prev, "p": practice_id})
        refresh_crosswalk(con, [practice_id])
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    return int(prev)
