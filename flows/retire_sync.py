"""`retire_legacy_sync` flow and `scr retire-sync`: end the legacy client sync, record what it froze and the drift."""

from __future__ import annotations

from contextlib import nullcontext

import uuid
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import polars as pl
from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE
from prefect.runtime import flow_run

from flows.cutover import SyncRetirementRefused, check_cutover, today
from flows.markdown import md_text
from flows.hashkey import adopt_key, check_task_key, check_warehouse_key
from flows.settings import acting, get_settings, hash_key
from flows.snapshot_hook import publish_snapshot
from transforms.drift import DRIFT, drift, link_sides
from warehouse import db
from landing import BadInput, read_practice, read_practices, read_registry, registry_problems
from landing.errors import unexpected
from landing.schema import CLIENT, SYNC_LINK
from transforms.retirement import plan_retirement, unconnected
from warehouse.schema import create_all
from warehouse.status import mark_changed
from warehouse.sync_retirement import read_retired, write_retirement

__all__ = ["SyncRetirementRefused", "check_cutover", "retire_legacy_sync", "summarise"]

ARTIFACT_KEY = "legacy-sync-retirement"


@task(name="retire-sync-plan", cache_policy=NO_CACHE)
def plan_task(landing: Path, warehouse: Path) -> tuple[pl.DataFrame, dict[str, str], pl.DataFrame]:
    """Registry (with the operators' recorded choices), its problems, and the links already retired.

    Read-only: a dry run must not touch the file. A writer at work (a wave) is waited for, as a second writer waits.
    """
    from transforms.status_rules import with_choices
    from warehouse.choices import latest_choices

    registry = read_registry(landing)
    problems = registry_problems(landing, registry)
    if not warehouse.exists():
        return registry, problems, read_retired(None)
    with db.reader(warehouse, get_settings().wait_seconds, on_wait=get_run_logger().warning) as con:
        check_warehouse_key(con, hash_key(landing), warehouse)  # the links it retired were named with that key's tokens
        return with_choices(registry, latest_choices(con)), problems, read_retired(con)


@task(name="retire-sync-compute", cache_policy=NO_CACHE)
def compute_task(landing: Path, registry: pl.DataFrame, problems: dict[str, str], retired: pl.DataFrame, key_fingerprint: str) -> dict[str, Any]:
    """Read every practice's clients and links; a practice with bad input is skipped with its reason."""
    # the warehouse's key, as a run's chunks read it (where the task runs, checked against the flow's): a record id
    # holding a tax number is the keyed token runs stored for it, so the links retired join their records, and a link
    # retired before is known again (QA8: a key of this task alone gave it a new token each time). Drift compares the
    # two sides' tax-number hashes and stores only their last three digits.
    key = hash_key(landing)
    check_task_key(key, key_fingerprint)
    skipped = dict(problems)
    todo = registry.sort("practice_id").filter(~pl.col("practice_id").is_in(list(skipped)))
    try:
        read, bad = read_practices(landing, todo, key)  # one batch: bad input skips its own practice only
        parts = [read]
    except Exception:  # noqa: BLE001 - an unexpected reader error: read one by one so it fails its practice only
        parts, bad = [], {}
        for practice in todo.iter_rows(named=True):  # per practice: file reading, not rows
            try:
                parts.append(read_practice(landing, practice, key))
            except BadInput as exc:
                bad[practice["practice_id"]] = str(exc)
            except Exception as exc:  # an unexpected reader error fails this practice, never the run
                bad[practice["practice_id"]] = unexpected("read", exc)  # never its text: it may quote a record
    skipped.update(bad)
    done = [pid for pid in todo.get_column("practice_id").to_list() if pid not in bad]
    clients = [frames.client.filter(pl.col("source").is_in(["xpm", "hq"])) for frames in parts]
    links = [frames.sync_link for frames in parts]
    client = pl.concat(clients, how="vertical_relaxed") if clients else pl.DataFrame(schema=CLIENT)
    link = pl.concat(links, how="vertical_relaxed") if links else pl.DataFrame(schema=SYNC_LINK)
    drifted = drift(client, link) if link.height else pl.DataFrame(schema=DRIFT)
    plan = plan_retirement(link, link_sides(client, link), drifted, retired)
    return {"practices": done, "skipped": skipped, "plan": plan, "drift": drifted, "unconnected": unconnected(registry)}


@task(name="retire-sync-write", cache_policy=NO_CACHE)
def write_task(landing: Path, warehouse: Path, computed: dict[str, Any], run_id: str, as_of: date, by: str) -> dict[str, int]:
    """Record retirements (with who and when), drift and unconnected practices through one connection, one transaction."""
    with db.writer(warehouse, get_settings().wait_seconds, on_wait=get_run_logger().warning) as con:
        with db.transaction(con):
            create_all(con)
            adopt_key(con, hash_key(landing), warehouse)  # its tokens are this key's: refused under another's
            written = write_retirement(
                con,
                computed["plan"],
                computed["drift"],
                computed["unconnected"],
                run_id=run_id,
                retired_at=datetime.now(UTC).replace(tzinfo=None),
                as_of=as_of,
                retired_by=by,
            )
            mark_changed(con, sorted(set(computed["plan"]["practice_id"]) | set(computed["drift"]["practice_id"])))
        publish_snapshot(con, warehouse)
        return written


def summarise(practices: list[str], plan: pl.DataFrame, drifted: pl.DataFrame) -> pl.DataFrame:
    """Per practice read: links retired, already retired, paused skipped, drift pairs (zeros included)."""
    counts = plan.group_by("practice_id").agg(
        (pl.col("action") == "retire").sum().alias("retired"),
        (pl.col("action") == "already_retired").sum().alias("already_retired"),
        (pl.col("action") == "skipped_paused").sum().alias("paused_skipped"),
    )
    pairs = (
        drifted.select("practice_id", "xpm_client_uuid", "hq_client_id")
        .unique()
        .group_by("practice_id")
        .agg(pl.len().alias("drift_pairs"))
    )
    base = pl.DataFrame({"practice_id": practices}, schema={"practice_id": pl.String})
    cols = ["retired", "already_retired", "paused_skipped", "drift_pairs"]
    return (
        base.join(counts, on="practice_id", how="left")
        .join(pairs, on="practice_id", how="left")
        .with_columns(pl.col(c).fill_null(0).cast(pl.Int64) for c in cols)
        .sort("practice_id")
    )


def _markdown(result: dict[str, Any]) -> str:
    """The run's report as markdown, for the Prefect artifact."""
    mode = ("dry run (nothing written)" if result["dry_run"] else "retired") + (", forced before the cutover" if result["forced"] else "")
    lines = [
        f"# Legacy client sync retirement: {mode}",
        f"as of {result['as_of']}, cutover {result['cutover']}, run {result['run_id']}",
        "",
        "| practice | retired | already retired | paused skipped | drift pairs |",
        "|---|---|---|---|---|",
    ]
    lines += [
        f"| {md_text(p['practice_id'])} | {p['retired']} | {p['already_retired']} | {p['paused_skipped']} | {p['drift_pairs']} |"
        for p in result["practices"]
    ]
    if result["skipped"]:
        lines += ["", "## Skipped practices", "", "| practice | reason |", "|---|---|"]
        lines += [f"| {md_text(s['practice_id'])} | {md_text(s['reason'])} |" for s in result["skipped"]]
    if result["unconnected"]:
        lines += ["", "## Practices without a confirmed connection", "", "| practice | connection | note |", "|---|---|---|"]
        lines += [f"| {md_text(u['practice_id'])} | {md_text(u['connection'])} | {md_text(u['note'])} |" for u in result["unconnected"]]
    return "\n".join(lines)


@flow(name="retire-legacy-sync")
def retire_legacy_sync(
    landing: Path,
    warehouse: Path,
    as_of: date | None = None,
    dry_run: bool = False,
    force: bool = False,
    cutover: date | None = None,
    by: str | None = None,
) -> dict:
    """End every active legacy sync link per practice, record it in sync_retirement with who (`by`, else SCR_OPERATOR,
    else the login the flow runs as: a deployment's) and when, report drift."""
    settings = get_settings()
    by = acting(by)
    as_of = as_of or today()
    cutover = cutover or settings.cutover_date
    check_cutover(as_of, cutover, force, dry_run)
    landing, warehouse = Path(landing), Path(warehouse)
    run_id = str(flow_run.id or uuid.uuid4())
    # in turn from the reading to the writing: run by a deployment, no `scr retire-sync` kept its place in the queue,
    # and a wave starting while it reads every practice's files would take the warehouse before its writer
    # a dry run with no warehouse there reads none and writes nothing: no turn taken, no lock file left beside the path
    # it was given (a mistyped --warehouse; found by QA, session 29)
    turn = nullcontext() if dry_run and not warehouse.exists() else db.keeping_turn(warehouse, settings.wait_seconds, on_wait=get_run_logger().warning)
    with turn:
        registry, problems, retired = plan_task(landing, warehouse)
        computed = compute_task(landing, registry, problems, retired, hash_key(landing).fingerprint)
        written = None if dry_run else write_task(landing, warehouse, computed, run_id, as_of, by)
    per_practice = summarise(computed["practices"], computed["plan"], computed["drift"])
    result = {
        "run_id": run_id,
        "as_of": as_of.isoformat(),
        "cutover": cutover.isoformat(),
        "dry_run": dry_run,
        "by": by,
        "forced": as_of < cutover,
        "practices": per_practice.to_dicts(),
        "totals": {c: int(per_practice[c].sum()) for c in per_practice.columns if c != "practice_id"},
        "skipped": [{"practice_id": k, "reason": v} for k, v in sorted(computed["skipped"].items())],
        "unconnected": computed["unconnected"].to_dicts(),
        "written": written,
    }
    create_markdown_artifact(
        key=ARTIFACT_KEY + ("-dry-run" if dry_run else ""),
        markdown=_markdown(result),
        description="legacy client sync retirement",
    )
    get_run_logger().info(
        "legacy sync: %(retired)d retired, %(already_retired)d already, %(paused_skipped)d paused, "
        "%(drift_pairs)d drift pairs",
        result["totals"],
    )
    return result
