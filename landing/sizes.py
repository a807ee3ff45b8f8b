"""Cheap size estimates of practices in the landing zone, for wave planning (no parsing)."""

from __future__ import annotations

from pathlib import Path

import polars as pl

# Measured on generated zones: bytes per client record in each export format.
BYTES_PER_RECORD = {"xpm_clients.xml": 1500, "hq_clients.json": 700, "tax_clients.csv": 200}


def practice_sizes(landing: Path, practice_ids: list[str]) -> pl.DataFrame:
    """practice_id, records: estimated client records per practice from file sizes."""
    records = []
    for pid in practice_ids:  # one stat() per file, not per record
        folder = Path(landing) / pid
        total = sum(
            (folder / name).stat().st_size // per for name, per in BYTES_PER_RECORD.items() if (folder / name).is_file()
        )
        records.append(total)
    return pl.DataFrame({"practice_id": practice_ids, "records": records}, schema={"practice_id": pl.String, "records": pl.Int64})
