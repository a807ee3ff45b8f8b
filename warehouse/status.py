"""practice_status (one row per practice), its history, the last extraction of each practice, change marks."""

from __future__ import annotations

import duckdb
import polars as pl

from warehouse.load import registered

__all__ = ["write_status", "read_status", "write_extracts", "read_extracts", "mark_changed", "STATUS"]

STATUS = pl.Schema({"practice_id": pl.String, "status": pl.String, "detail": pl.String, "updated_at": pl.Datetime("us"), "run_id": pl.String})


def write_status(con: duckdb.DuckDBPyConnection, rows: pl.DataFrame, run_id: str | None) -> list[str]:
    """Upsert practice_id, status, detail; a change (status or detail) is also appended to the history.

    Returns the practices whose status or detail changed.
    """
    if rows.is_empty():
        return []
    incoming = rows.select("practice_id", "status", "detail").unique("practice_id", keep="last").sort("practice_id")
    with registered(con, _status_in=incoming):
        changed = [r[0] for r in con.sql(
            """select i.practice_id from _status_in i left join practice_status s using (practice_id)
               where s.practice_id is null or s.status is distinct from i.status or s.detail is distinct from i.detail
               order by 1""").fetchall()]  # fmt: skip
        con.execute(
            """insert into practice_status_history
               select i.practice_id, i.status, i.detail, $run, timezone('UTC', now()) from _status_in i
               where i.practice_id in (select unnest($changed::varchar[]))""",
            {"run": run_id, "changed": changed},
        )
        con.execute(
            """insert into practice_status select practice_id, status, detail, timezone('UTC', now()), $run from _status_in
               where practice_id in (select unnest($changed::varchar[]))
               on conflict (practice_id) do update set status = excluded.status, detail = excluded.detail,
                   updated_at = excluded.updated_at, run_id = excluded.run_id""",
            {"run": run_id, "changed": changed},
        )
    return changed


def read_status(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """Every practice's status, sorted by practice_id."""
    return con.sql("select practice_id, status, detail, updated_at, run_id from practice_status order by practice_id").pl().cast(STATUS)


def write_extracts(con: duckdb.DuckDBPyConnection, rows: pl.DataFrame, run_id: str) -> None:
    """The last reading of each practice: fingerprint of its files, ok, detail (why it failed)."""
    if rows.is_empty():
        return
    frame = rows.select("practice_id", "fingerprint", "ok", "detail").unique("practice_id", keep="last")
    with registered(con, _extract_in=frame):
        con.execute(
            """insert or replace into practice_extract
               select practice_id, fingerprint, ok, detail, $run, timezone('UTC', now()) from _extract_in""",
            {"run": run_id},
        )


def read_extracts(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    return con.sql("select practice_id, fingerprint, ok, detail from practice_extract order by practice_id").pl()


def drop_non_practices(con: duckdb.DuckDBPyConnection, id_pattern: str) -> list[str]:
    """Forget the status, and its history, of every "practice" whose id is no id (does not match `id_pattern`, a
    regular expression, whole): rows an earlier release wrote for a practices.json row that named no practice
    (`practices.json row 3`, or a tax number typed as the id, kept in clear as the key: QA, session 31). Returns their
    ids (for mark_changed)."""
    gone = [r[0] for r in con.execute(
        "delete from practice_status where not regexp_full_match(practice_id, $p) returning practice_id", {"p": id_pattern}
    ).fetchall()]  # fmt: skip
    con.execute("delete from practice_status_history where not regexp_full_match(practice_id, $p)", {"p": id_pattern})
    return gone


def mark_changed(con: duckdb.DuckDBPyConnection, practice_ids: list[str]) -> int:
    """A new commit generation for these practices (what the snapshot must publish again); returns it."""
    gen = con.sql("select coalesce(max(generation), 0) + 1 from practice_change").fetchall()[0][0]
    if practice_ids:
        con.execute(
            """insert into practice_change select unnest($ids::varchar[]), $g
               on conflict (practice_id) do update set generation = excluded.generation""",
            {"ids": sorted(set(practice_ids)), "g": gen},
        )
    return gen
