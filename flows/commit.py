"""Writing one chunk: staging, extraction evidence, proposals, quality results, promotion and statuses in ONE transaction.

After a crash at any instant the warehouse holds the whole chunk or none of it (DuckDB's WAL makes
the commit atomic). Only the flow process calls this: it is the warehouse's single writer.
"""

from __future__ import annotations

import logging
import time

import duckdb
import polars as pl

from flows import faults
from flows.timing import Stopwatch
from landing import redact
from landing.errors import described, ours
from warehouse.db import interrupted, transaction
from warehouse.matches import write_match_results
from warehouse.meta import REREAD_PENDING, read_meta, rekey_versions
from warehouse.sync_retirement import rekey_sync_tokens
from warehouse.promote import promote
from warehouse.run_store import write_gate_results, write_run_practices
from warehouse.staging import load_staging
from warehouse.status import mark_changed, read_status, write_extracts, write_status

log = logging.getLogger("scr.commit")

__all__ = ["write_chunk", "unified_tables", "why", "forget_frames"]


def why(exc: BaseException) -> str:
    """An error as one line for a status detail or a log. The storage's errors (an OSError: a full disk, a file size
    limit; DuckDB's) and this project's own (a key mismatch) as their kind and message, bounded, long numbers masked:
    their text says what the operator must fix. Any other error as its kind and place only: a library's text can quote
    a record's values (session 29)."""
    if not isinstance(exc, (OSError, duckdb.Error)) and not ours(exc):
        return described(exc)
    text = redact(" ".join(f"{type(exc).__name__}: {exc}".split()))
    return text if len(text) <= 300 else text[:297] + "..."


def forget_frames(exc: BaseException) -> None:
    """Drop the tracebacks of an error and of the errors it came from, once it has been logged.

    A chunk task's error is also held by the task runner's future, in a reference cycle that only a full
    run of the cycle collector frees; its traceback holds the failed chunk's frames (and their data frames).
    """
    seen: set[int] = set()
    todo: list[BaseException | None] = [exc]
    while todo:
        exc = todo.pop()
        if exc is None or id(exc) in seen:
            continue
        seen.add(id(exc))
        exc.__traceback__ = None
        todo += [exc.__cause__, exc.__context__]


def unified_tables(unified) -> dict[str, pl.DataFrame]:
    """A transforms.survivorship.Unified as the promoted tables of warehouse.schema.VERSIONED."""
    return {
        "unified_client": unified.client,
        "unified_contact": unified.contact,
        "unified_group_member": unified.group_member,
        "unified_custom_field": unified.custom_field,
        "unified_relationship": unified.relationship,
        "unified_org_link": unified.org_link,
        "field_lineage": unified.lineage,
        "client_crosswalk": unified.crosswalk,
    }


def run_practices(result) -> pl.DataFrame:
    """Every practice of the chunk with its figures (zero when it got no further than reading) and its status."""
    base = pl.DataFrame({"practice_id": result.practice_ids}, schema={"practice_id": pl.String})
    status = result.status.select("practice_id", "status", "detail").unique("practice_id", keep="last")
    counts = ("records", "clusters", "auto_links", "review_links", "unified_clients")
    stats = result.stats.select("practice_id", *[pl.col(c).cast(pl.Int64) for c in counts])
    return base.join(stats, on="practice_id", how="left").join(status, on="practice_id", how="left").with_columns(
        pl.col("records", "auto_links", "review_links").fill_null(0)
    )


def _write(con: duckdb.DuckDBPyConnection, result, run_id: str, pinned: set[str], clock: Stopwatch) -> None:
    good = [p for p in result.practice_ids if p not in result.failed]
    with clock.stage("write_staging"):
        write_extracts(con, result.extracts, run_id)
        load_staging(con, result.frames, good)
    faults.point("chunk:staged")
    if result.match is not None:
        with clock.stage("write_matches"):
            matched = result.match.crosswalk["practice_id"].unique().sort().to_list()
            write_match_results(con, result.match.links, result.match.crosswalk, result.match.suspect_links, matched)
    if result.gate is not None:
        with clock.stage("write_gate"):
            write_gate_results(con, result.gate.results, run_id)
        passed = sorted(set(result.gate.passed) - pinned)
        if result.unified is not None and passed:
            faults.point("chunk:promoting")
            with clock.stage("promote"):
                promote(con, unified_tables(result.unified), passed, run_id, content=result.content)
    if read_meta(con, REREAD_PENDING) is not None:
        # a rekey's run: every version of a practice read again gets its hashes made anew from the records its lineage
        # names: a pinned practice's current one (pinned practices come only in a rekey's run, their version kept, not
        # promoted) and every earlier one, so a rollback --to one restores its tax numbers
        rekey_versions(con, good)
    # a retired or drifting link's record id a rekey forgot gets its new token from the links just read (any run's:
    # a practice whose files failed in the rekey's run gets it once they are read)
    rekey_sync_tokens(con, good)
    faults.point("chunk:promoted")
    with clock.stage("write_status"):
        # a pinned practice keeps the status its pin gave it (what this run would have promoted was not), unless
        # its files could not be read
        kept = sorted((pinned & set(result.practice_ids)) - set(result.failed))
        write_status(con, result.status.filter(~pl.col("practice_id").is_in(kept)), run_id)
        rows = run_practices(result)
        if kept:
            rows = rows.update(read_status(con).filter(pl.col("practice_id").is_in(kept)).select("practice_id", "status", "detail"),
                               on="practice_id")  # fmt: skip
        write_run_practices(con, rows, run_id)
        mark_changed(con, result.practice_ids)


def write_chunk(con: duckdb.DuckDBPyConnection, result, run_id: str, pinned: set[str] = frozenset(), clock: Stopwatch | None = None) -> bool:
    """Commit the chunk whole; if the write fails, its practices are marked failed (in a transaction of their own).

    Returns True when the chunk's results landed.
    """
    clock = clock or Stopwatch()
    try:
        with transaction(con):
            _write(con, result, run_id, set(pinned), clock)
            faults.point("chunk:before-commit")
            start = time.perf_counter()
        clock.add("commit", time.perf_counter() - start)
        return True
    except Exception as exc:  # noqa: BLE001 - the chunk's practices fail, the wave goes on
        if interrupted(exc):  # a Ctrl-C during the chunk's transaction: the run stops, the chunk is not written
            raise KeyboardInterrupt from exc
        log.error("writing chunk %s failed: %s", ", ".join(result.practice_ids[:5]), why(exc))  # no traceback: its text
        failed = pl.DataFrame(
            {"practice_id": result.practice_ids, "status": "failed", "detail": f"warehouse write failed: {why(exc)}"},
            schema={"practice_id": pl.String, "status": pl.String, "detail": pl.String},
        )
        with transaction(con):
            write_status(con, failed, run_id)
            mark_changed(con, result.practice_ids)
        return False
