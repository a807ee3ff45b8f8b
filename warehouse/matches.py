"""The matcher's tables: client_match, proposed_crosswalk, suspect_link, replaced per practice."""

from __future__ import annotations

import duckdb
import polars as pl

from warehouse.load import replace_practices

__all__ = ["write_match_results"]

# table -> sort key: rows are written sorted, so the same result gives the same table
ORDER = {
    "client_match": ["practice_id", "source_l", "source_client_id_l", "source_r", "source_client_id_r"],
    "proposed_crosswalk": ["practice_id", "source", "source_client_id"],
    "suspect_link": ["practice_id", "link_kind", "source_l", "source_client_id_l", "source_r", "source_client_id_r"],
}


def write_match_results(
    con: duckdb.DuckDBPyConnection, links: pl.DataFrame, crosswalk: pl.DataFrame, suspects: pl.DataFrame, practice_ids: list[str]
) -> None:
    """Replace the named practices' links, proposed crosswalk and suspect links (inside the caller's transaction)."""
    for table, frame in (("client_match", links), ("proposed_crosswalk", crosswalk), ("suspect_link", suspects)):
        replace_practices(con, table, frame.sort(ORDER[table]), practice_ids)
