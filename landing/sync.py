"""sync_links.csv (the legacy client sync's state) to the SYNC_LINK frame, typed once per batch."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from landing import schema
from landing.batch import Reader
from landing.csvfile import check_records, labelled, tables, warn_ignored, outside_vocabulary
from landing.errors import Failures
from landing.values import typed as typed_frame

FILE = "sync_links.csv"
RANK = 4  # read last, after the practice's clients are finished
COLUMNS = ["xpm_client_uuid", "hq_client_id", "linked_at", "last_synced_at", "state"]
REQUIRED = ["xpm_client_uuid", "hq_client_id"]


def parse(path: Path, practice_id: str) -> dict[str, dict[str, list]]:
    """sync_links.csv as raw column lists (no lineage digests: a link is not a client record)."""
    return tables(path, FILE, COLUMNS, REQUIRED, digests=False)


def typed(raw: dict[str, pl.DataFrame], failures: Failures) -> dict[str, pl.DataFrame]:
    """A batch's links: a link without both ids, repeated, or with a bad timestamp fails its practice."""
    warn_ignored(raw, FILE)
    table = labelled(raw["table"], "xpm_client_uuid")
    check_records(table, FILE, ["xpm_client_uuid", "hq_client_id"], REQUIRED, failures, (RANK,))
    table = table.with_columns(pl.col("state").str.strip_chars().str.to_lowercase().replace("", None))
    # a state outside the contract's two (`Enabled`) was kept and never retired (found by QA, session 29)
    outside_vocabulary(table, "state", ["active", "paused"], FILE, "state", failures, (RANK, 4))
    frame, errors = typed_frame(table, schema.SYNC_LINK, FILE)
    failures.update((RANK, 3), errors)
    return {"sync_link": frame}


READER = Reader(FILE, RANK, parse, typed)
