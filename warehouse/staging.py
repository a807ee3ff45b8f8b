"""Staging tables stg_*: the landing zone as read, replaced practice by practice."""

from __future__ import annotations

import duckdb
import polars as pl

from landing import schema as shapes
from landing.frames import Frames
from warehouse.load import replace_practices

__all__ = ["load_staging", "load_practices", "read_staging", "read_practices"]


def load_staging(con: duckdb.DuckDBPyConnection, frames: Frames, practice_ids: list[str]) -> None:
    """Replace the named practices' rows in every stg_* table but stg_practice (inside the caller's transaction)."""
    for name in Frames.names():
        frame = getattr(frames, name)
        replace_practices(con, f"stg_{name}", frame.select(shapes.STAGING[name].names()).cast(shapes.STAGING[name]), practice_ids)


def load_practices(con: duckdb.DuckDBPyConnection, registry: pl.DataFrame) -> None:
    """stg_practice := the registry."""
    df = registry.select(shapes.PRACTICE.names()).cast(shapes.PRACTICE)  # noqa: F841  (read by name in SQL)
    con.execute("delete from stg_practice")
    con.execute("insert into stg_practice by name select * from df")


def _read(con: duckdb.DuckDBPyConnection, name: str, practice_ids: list[str] | None) -> pl.DataFrame:
    shape = shapes.STAGING[name]
    cols = ", ".join(shape.names())
    if practice_ids is None:
        return con.sql(f"select {cols} from stg_{name} order by all").pl().cast(shape)
    out = con.sql(
        f"select {cols} from stg_{name} where practice_id in (select unnest($ids::varchar[])) order by all",
        params={"ids": sorted(set(practice_ids))},
    )
    return out.pl().cast(shape)


def read_staging(con: duckdb.DuckDBPyConnection, practice_ids: list[str] | None = None) -> Frames:
    """The staged frames of the named practices (all when None), each sorted by every column."""
    return Frames(**{n: _read(con, n, practice_ids) for n in Frames.names()})


def client_counts(con: duckdb.DuckDBPyConnection, practice_ids: list[str]) -> pl.DataFrame:
    """practice_id, source, n: the staged client records of the named practices per source (a run counts them so to
    tell the practices that consolidate on their own: transforms.status_rules.auto_consolidates)."""
    return con.sql(
        "select practice_id, source, count(*)::bigint as n from stg_client where practice_id in (select unnest($ids::varchar[])) "
        "group by all order by all", params={"ids": practice_ids},
    ).pl()  # fmt: skip


def read_practices(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """stg_practice in the registry's shape, sorted by practice_id."""
    return _read(con, "practice", None)
