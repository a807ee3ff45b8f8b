"""sync_links.csv (the legacy client sync's state) to the SYNC_LINK frame."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from landing import schema
from landing.csvfile import check_records, labelled_frame
from landing.values import frame_of

FILE = "sync_links.csv"
COLUMNS = ["xpm_client_uuid", "hq_client_id", "linked_at", "last_synced_at", "state"]
REQUIRED = ["xpm_client_uuid", "hq_client_id"]


def read_sync(path: Path, practice_id: str) -> pl.DataFrame:
    """One practice's sync_links.csv; a link without both ids, or repeated, is BadInput naming the line."""
    raw = labelled_frame(path, FILE, COLUMNS, REQUIRED, "xpm_client_uuid").drop("raw_hash")
    check_records(raw, FILE, ["xpm_client_uuid", "hq_client_id"], REQUIRED)
    raw = raw.with_columns(pl.col("state").str.strip_chars().str.to_lowercase())
    cols = {c: raw.get_column(c).to_list() for c in raw.columns}
    return frame_of(cols, practice_id, None, schema.SYNC_LINK, FILE)
