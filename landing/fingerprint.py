"""A practice's input fingerprint: which of its files exist, their sizes and modification times.

Cheap (one stat per file, no reading), so every run can tell which practices' input changed since
they were last read: a failed practice stays failed until its files change.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import polars as pl

from landing import hq, sync, tax, xpm

__all__ = ["fingerprints", "FILES"]

FILES = (xpm.FILE, hq.FILE, tax.FILE, sync.FILE)


def _one(folder: Path) -> str:
    parts = []
    for name in FILES:
        try:
            st = (folder / name).stat()
        except OSError:
            parts.append(f"{name}:-")
            continue
        parts.append(f"{name}:{st.st_size}:{st.st_mtime_ns}")
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:32]


def fingerprints(landing: Path, practice_ids: list[str]) -> pl.DataFrame:
    """practice_id, fingerprint for each practice folder (an absent folder has a fingerprint too)."""
    landing = Path(landing)
    prints = [_one(landing / pid) for pid in practice_ids]  # one stat per file, per practice
    return pl.DataFrame({"practice_id": practice_ids, "fingerprint": prints}, schema={"practice_id": pl.String, "fingerprint": pl.String})
