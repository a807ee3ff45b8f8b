"""An operator's choices for a practice (strategy, connection confirmed, pins), each kept with who and when."""

from __future__ import annotations

import duckdb
import polars as pl

from warehouse.schema import has_table

__all__ = ["record_choice", "read_choices", "latest_choices", "pin", "unpin", "read_pins"]


def _readable(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    """The table is there to read: in the warehouse, or as the view the analysts' snapshot holds it as."""
    if has_table(con, name):
        return True
    return bool(con.sql("select count(*) from duckdb_views() where view_name = $n and not internal", params={"n": name}).fetchall()[0][0])


def record_choice(
    con: duckdb.DuckDBPyConnection, practice_id: str, choice: str, value: str | None, previous: str | None, by: str, note: str | None = None
) -> None:
    """Append one choice to the audit trail (inside the caller's transaction)."""
    con.execute(
        "insert into practice_choice values (?, ?, ?, ?, ?, timezone('UTC', now()), ?)", [practice_id, choice, value, previous, by, note]
    )


def read_choices(con: duckdb.DuckDBPyConnection, practice_id: str | None = None) -> pl.DataFrame:
    """The audit trail, oldest first (one practice's, or all)."""
    where, params = ("where practice_id = $p", {"p": practice_id}) if practice_id else ("", {})
    return con.sql(f"select * from practice_choice {where} order by chosen_at, practice_id, choice", params=params).pl()


def latest_choices(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """The choice in force per practice and kind: practice_id, choice, value, chosen_by, chosen_at (empty without any)."""
    if not _readable(con, "practice_choice"):
        return pl.DataFrame(schema={"practice_id": pl.String, "choice": pl.String, "value": pl.String, "chosen_by": pl.String,
                                    "chosen_at": pl.Datetime("us")})  # fmt: skip
    # two choices of a kind in one transaction share chosen_at: the later row wins (the snapshot's views have no rowid)
    last = ", rowid desc" if has_table(con, "practice_choice") else ""
    return con.sql(
        f"""select practice_id, choice, value, chosen_by, chosen_at from practice_choice
           qualify row_number() over (partition by practice_id, choice order by chosen_at desc{last}) = 1
           order by practice_id, choice"""
    ).pl()


def pin(con: duckdb.DuckDBPyConnection, practice_id: str, version: int | None, by: str, reason: str) -> None:
    """Hold the practice on a version (None: not promoted) until released."""
    con.execute("insert or replace into practice_pin values (?, ?, ?, timezone('UTC', now()), ?)", [practice_id, version, by, reason])


def unpin(con: duckdb.DuckDBPyConnection, practice_id: str) -> bool:
    """Release the practice; False when it was not pinned."""
    was = con.execute("select count(*) from practice_pin where practice_id = ?", [practice_id]).fetchall()[0][0]
    con.execute("delete from practice_pin where practice_id = ?", [practice_id])
    return bool(was)


def read_pins(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """practice_id, version, pinned_by, pinned_at, reason of every pinned practice (none on a warehouse from before pins)."""
    if not _readable(con, "practice_pin"):
        return pl.DataFrame(schema={"practice_id": pl.String, "version": pl.Int32, "pinned_by": pl.String,
                                    "pinned_at": pl.Datetime("us"), "reason": pl.String})  # fmt: skip
    return con.sql("select * from practice_pin order by practice_id").pl()
