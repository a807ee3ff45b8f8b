"""The matcher's tables: client_match, client_crosswalk, suspect_link, replaced per practice in one transaction."""

from __future__ import annotations

import duckdb
import polars as pl

from transforms.audit import SUSPECT_SCHEMA
from transforms.matching import CROSSWALK_SCHEMA, LINK_SCHEMA, MatchResult

__all__ = ["TABLES", "create_match_tables", "write_match_results"]

# table -> (shape, sort key): rows are written sorted, so the same result gives the same table
TABLES: dict[str, tuple[pl.Schema, list[str]]] = {
    "client_match": (LINK_SCHEMA, ["practice_id", "source_l", "source_client_id_l", "source_r", "source_client_id_r"]),
    "client_crosswalk": (CROSSWALK_SCHEMA, ["practice_id", "source", "source_client_id"]),
    "suspect_link": (
        SUSPECT_SCHEMA,
        ["practice_id", "link_kind", "source_l", "source_client_id_l", "source_r", "source_client_id_r"],
    ),
}
_SQL_TYPE = {pl.String: "VARCHAR", pl.Float64: "DOUBLE"}


def _create_sql(table: str) -> str:
    shape, _ = TABLES[table]
    cols = ", ".join(f"{c} {_SQL_TYPE[t.base_type()]}" for c, t in shape.items())
    return f"CREATE TABLE IF NOT EXISTS {table} ({cols})"


def create_match_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Create client_match, client_crosswalk and suspect_link if missing."""
    for table in TABLES:
        con.execute(_create_sql(table))


def _frames(result: MatchResult) -> dict[str, pl.DataFrame]:
    return {"client_match": result.links, "client_crosswalk": result.crosswalk, "suspect_link": result.suspect_links}


def write_match_results(con: duckdb.DuckDBPyConnection, result: MatchResult, practice_ids: list[str]) -> None:
    """Replace the named practices' rows in the three match tables, all in one transaction."""
    create_match_tables(con)
    ids = pl.DataFrame({"practice_id": sorted(set(practice_ids))}, schema={"practice_id": pl.String})  # noqa: F841
    frames = _frames(result)
    con.execute("BEGIN TRANSACTION")
    try:
        for table, (shape, key) in TABLES.items():
            df = frames[table].select(shape.names()).cast(shape).sort(key)  # noqa: F841  (read by name in SQL)
            con.execute(f"DELETE FROM {table} WHERE practice_id IN (SELECT practice_id FROM ids)")
            con.execute(
                f"INSERT INTO {table} BY NAME SELECT * FROM df WHERE practice_id IN (SELECT practice_id FROM ids)"
            )
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
