"""Versioned promotion of unified clients; rollback to a practice's previous version.

Every promoted table keeps all versions in `<table>_version` (practice_id, version, ...) and
`promotion_version` says which version of each practice is current; `unified_client`, the other
`unified_*` tables, `field_lineage` and `client_crosswalk` are views of the current versions, so a
crosswalk row always points at a unified client of the same version. Nothing here commits: the
caller holds the transaction (one per chunk).
"""

from __future__ import annotations

import duckdb
import polars as pl

from warehouse.load import registered
from warehouse.schema import PROMOTED, VERSIONED

__all__ = ["content_sql", "content_of", "promote", "rollback", "versions", "current_rows", "current_versions", "unified_members", "PromotionError"]


class PromotionError(ValueError):
    """A promotion or rollback that cannot be done (unknown practice, no previous version)."""


def content_sql(relations: dict[str, str], by: list[str]) -> str:
    """SQL giving (*by, content): one hash per practice (or practice and version) over every promoted table.

    Rows are hashed in the table's declared column order, so a frame about to be promoted and the
    rows stored from it hash alike; the match probability that led to a merge is not content.
    """
    keys = ", ".join(by)
    parts = []
    for table in VERSIONED:
        cols = [c for c in PROMOTED[table] if c != "match_probability"]
        row = "md5(to_json(struct_pack(" + ", ".join(f'"{c}" := "{c}"' for c in cols) + "))::varchar)"
        parts.append(
            f"select {keys}, '{table}' as t, sha256(string_agg({row}, ',' order by {row})) as h "
            f"from {relations[table]} group by {keys}"
        )
    union = " union all ".join(parts)
    return (
        f"with h as ({union}) select {keys}, sha256(string_agg(t || '=' || h, ';' order by t)) as content "
        f"from h group by {keys}"
    )


def content_of(tables: dict[str, pl.DataFrame]) -> dict[str, str]:
    """practice -> content hash of these promoted tables' rows, as promote() would compute it, on a DuckDB of
    its own: a chunk task computes it beside the writer rather than the writer inside its transaction."""
    names = {t: f"_content_{t}" for t in VERSIONED}
    with duckdb.connect(":memory:") as own:
        own.execute("set threads = 1")  # a chunk task's thread: the other cores are the other chunks' and the writer's
        with registered(own, **{rel: tables[t] for t, rel in names.items()}):
            return dict(own.sql(content_sql(names, ["practice_id"])).fetchall())


def current_versions(con: duckdb.DuckDBPyConnection, practice_ids: list[str] | None = None) -> dict[str, int]:
    """practice -> version now current."""
    rows = con.sql("select practice_id, version from promotion_version where is_current").fetchall()
    return {p: v for p, v in rows if practice_ids is None or p in practice_ids}


def current_rows(con: duckdb.DuckDBPyConnection, table: str, practice_id: str) -> pl.DataFrame:
    """The practice's rows of a promoted table (current version), sorted."""
    return con.sql(f"select * from {table} where practice_id = $p order by all", params={"p": practice_id}).pl()


def promote(
    con: duckdb.DuckDBPyConnection, tables: dict[str, pl.DataFrame], practice_ids: list[str], run_id: str,
    content: dict[str, str] | None = None,
) -> dict[str, int]:
    """Promote these practices: a new version where content changed, the current one kept where not.

    `tables` maps every name of warehouse.schema.VERSIONED to its rows; `content`, content_of(tables) when the
    caller has it already. Returns practice -> current version.
    """
    ids = sorted(set(practice_ids))
    if not ids:
        return {}
    missing = [t for t in VERSIONED if t not in tables]
    if missing:
        raise ValueError(f"promote needs every promoted table; missing {', '.join(missing)}")
    names = {t: f"_promote_{t}" for t in VERSIONED}
    with registered(con, **{rel: tables[t].filter(pl.col("practice_id").is_in(ids)) for t, rel in names.items()}):
        return _promote_registered(con, names, ids, run_id, content)


def _promote_registered(
    con: duckdb.DuckDBPyConnection, names: dict[str, str], ids: list[str], run_id: str, content: dict[str, str] | None
) -> dict[str, int]:
    if content is None:
        content = dict(con.sql(content_sql(names, ["practice_id"])).fetchall())
    current = {p: (v, h) for p, v, h in con.sql(
        "select practice_id, version, content_hash from promotion_version where is_current").fetchall()}  # fmt: skip
    latest = dict(con.sql("select practice_id, max(version) from promotion_version group by practice_id").fetchall())
    out = {p: current[p][0] for p in ids if p in current and current[p][1] == content.get(p, "")}
    changed = [p for p in ids if p not in out]
    if changed:
        new = pl.DataFrame(
            {"practice_id": changed, "version": [latest.get(p, 0) + 1 for p in changed], "content_hash": [content.get(p, "") for p in changed],
             "previous_version": [current[p][0] if p in current else None for p in changed]},
            schema={"practice_id": pl.String, "version": pl.Int32, "content_hash": pl.String, "previous_version": pl.Int32},
        )  # previous_version: the version it replaces as current (none: NULL), where a rollback without --to goes back to
        with registered(con, _promote_new=new):
            for table, rel in names.items():
                con.execute(f"insert into {table}_version by name select r.*, n.version from {rel} r join _promote_new n using (practice_id)")
            con.execute("update promotion_version set is_current = false where practice_id in (select practice_id from _promote_new)")
            con.execute(
                "insert into promotion_version by name select practice_id, version, $run as run_id, content_hash, "
                "timezone('UTC', now()) as promoted_at, true as is_current, previous_version from _promote_new",
                {"run": run_id},
            )
        out.update(dict(zip(new["practice_id"], new["version"])))
    return {p: int(out[p]) for p in ids}


def rollback(con: duckdb.DuckDBPyConnection, practice_id: str, to: int | None | str = "previous") -> tuple[int | None, int | None]:
    """Make another version current: the previous one by default, a given one, or None (nothing promoted).

    The previous version is the one that was current just before the current one was promoted (by a run, an unmerge
    or a rekey), not merely the highest below it: after `--to 1` from version 3, the version 4 a run then makes goes
    back to 1, never to the 3 already undone. Returns (version left, version now current); the caller holds the transaction.
    """
    cur = con.sql("select version, previous_version from promotion_version where practice_id = $p and is_current",
                  params={"p": practice_id}).fetchall()  # fmt: skip
    have = [r[0] for r in con.sql("select version from promotion_version where practice_id = $p order by 1", params={"p": practice_id}).fetchall()]
    if not have:
        raise PromotionError(f"practice {practice_id} has never been promoted")
    current = cur[0][0] if cur else None
    if to == "previous":
        if current is None:
            raise PromotionError(f"practice {practice_id} has no promoted version now: name one with --to")
        before = cur[0][1]
        if before is None and not [v for v in have if v < current]:
            raise PromotionError(f"practice {practice_id} has no version before its current version {current} (use --to none)")
        if before is None:  # promoted after a rollback to none: what it replaced is nothing
            raise PromotionError(
                f"practice {practice_id} had no version promoted when its current version {current} was (use --to none, "
                f"or --to N for another: {', '.join(str(v) for v in have if v != current)})"
            )
        to = before
    if to is not None and to not in have:
        raise PromotionError(f"practice {practice_id} has no version {to} (versions: {', '.join(map(str, have))})")
    if to == current:
        raise PromotionError(f"practice {practice_id} is already on {'no version' if to is None else f'version {to}'}")
    con.execute("update promotion_version set is_current = (version = $v) where practice_id = $p", {"v": to, "p": practice_id})
    return current, to


def versions(con: duckdb.DuckDBPyConnection, practice_id: str) -> pl.DataFrame:
    """Every promoted version of a practice: version, run_id, promoted_at, is_current, previous_version."""
    return con.sql(
        "select version, run_id, promoted_at, is_current, previous_version from promotion_version where practice_id = $p order by version",
        params={"p": practice_id},
    ).pl()


def unified_members(con: duckdb.DuckDBPyConnection, unified_client_id: str) -> pl.DataFrame:
    """The current crosswalk rows of one unified client (empty when it is not currently promoted)."""
    return con.sql(
        "select * from client_crosswalk where unified_client_id = $u order by all", params={"u": unified_client_id}
    ).pl()
