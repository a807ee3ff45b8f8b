"""The writer's call after each commit: publish the analysts' snapshot, never failing the work it follows."""

from __future__ import annotations

import logging
from pathlib import Path

import duckdb

from flows import faults
from flows.commit import why
from warehouse.db import interrupted
from warehouse.snapshot import publish

__all__ = ["publish_snapshot"]

log = logging.getLogger("scr.snapshot")


def publish_snapshot(con: duckdb.DuckDBPyConnection, warehouse: Path | str) -> dict | None:
    """Publish what the last commits changed; a failure is logged and caught up by the next publish."""
    try:
        done = publish(con, warehouse, at=faults.point)  # SNAPSHOT_POINTS: the crash tests stop it part-way
    except Exception as exc:  # noqa: BLE001 - the commit it follows stands; the next publish catches up
        if interrupted(exc):  # a Ctrl-C that came during DuckDB's statement: the command stops, as by the signal
            raise KeyboardInterrupt from exc
        log.warning("analysts' snapshot not published (the next commit will catch up): %s", why(exc))
        return None
    log.debug("snapshot published: %s", done)
    return done
