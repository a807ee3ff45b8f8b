"""`scr retire-sync`: retire the legacy client sync on the cutover date (refused earlier without --force)."""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from flows.cli_common import (
    By, Landing, Verbose, Warehouse, cell, check_key, err, fail, landing_path, operator, out, plural, print_table, quiet_prefect, refuse, registry_of,
    foreign_file, not_taken, taking_over, unwritable, waiting, warehouse_path,
)
from flows.cutover import today

__all__ = ["retire_sync"]


def _print(result: dict) -> None:
    """The run's result as rich tables."""
    title = "Legacy sync retirement" + (" (dry run: nothing written)" if result["dry_run"] else "")
    # a retirement before the cutover says it was forced (it read as any other; found by QA, session 29)
    forced = f", forced before the cutover {result['cutover']}" if result.get("forced") else ""
    counts = ("retired", "already_retired", "paused_skipped", "drift_pairs")
    table = Table(title=f"{title}, as of {result['as_of']}{forced}", show_footer=True)
    table.add_column("practice", footer="total", overflow="fold")
    for c in counts:
        table.add_column(c.replace("_", " "), justify="right", footer=str(result["totals"][c]), overflow="fold")
    for p in result["practices"]:
        table.add_row(cell(p["practice_id"]), *(str(p[c]) for c in counts))
    print_table(table)
    if result["skipped"]:
        skipped = Table(title="Skipped practices")
        skipped.add_column("practice", overflow="fold")
        skipped.add_column("reason", overflow="fold")
        for s in result["skipped"]:
            skipped.add_row(cell(s["practice_id"]), cell(s["reason"]))
        print_table(skipped)
    if result["unconnected"]:
        unc = Table(title="Practices without step one done")
        unc.add_column("practice", overflow="fold")
        unc.add_column("connection", overflow="fold")
        unc.add_column("waiting for", overflow="fold")
        for u in result["unconnected"]:
            unc.add_row(*(cell(u[c]) for c in ("practice_id", "connection", "waiting_for")))  # data: never markup
        print_table(unc)
        out.print(f"[yellow]{result['unconnected'][0]['note']}[/yellow]")
    t = result["totals"]
    verb = "would retire" if result["dry_run"] else "retired"
    before = f" ({t['already_retired']:,} retired before)" if t["already_retired"] else ""
    # who retired is recorded with the links this run retired: none retired, nothing recorded
    recorded = f"; recorded as retired by {result['by']}" if t["retired"] and not result["dry_run"] else ""
    out.print(Text(f"{verb} {plural(t['retired'], 'link')}{before}; {plural(t['paused_skipped'], 'paused link')} skipped; "
                   f"{plural(t['drift_pairs'], 'pair')} drifted since the last sync{recorded}"), highlight=False)  # fmt: skip


def _day(value: str) -> date:
    """A day written YYYY-MM-DD; anything else is bad usage naming what to write."""
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip()):
            return date.fromisoformat(value.strip())
    except ValueError:
        pass
    raise typer.BadParameter(f"{value!r} is not a day: write it as YYYY-MM-DD, e.g. 2023-11-01")


def retire_sync(
    warehouse: Warehouse = None,
    landing: Landing = None,
    as_of: Annotated[date | None, typer.Option("--as-of", parser=_day, metavar="YYYY-MM-DD", help="retirement date (default: today where this machine is, not in UTC; a day not begun yet: --dry-run only)", show_default=False)] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="compute and report, write nothing")] = False,
    force: Annotated[bool, typer.Option("--force", help="retire before the cutover date")] = False,
    by: By = None,
    verbose: Verbose = False,
) -> None:
    """Retire the legacy client sync: freeze every active link, report drift and practices without step one."""
    from flows.cutover import SyncRetirementRefused, check_cutover
    from flows.settings import get_settings

    settings = get_settings()
    who = operator(by)
    day = as_of or today()
    try:
        # refuse before starting Prefect: no flow run for a request that cannot proceed
        check_cutover(day, settings.cutover_date, force, dry_run)
    except SyncRetirementRefused as exc:
        # a dry run writes nothing, but it previews one day's retirement, and the contract refuses that day's before the
        # cutover: said how to preview the cutover's own
        preview = f"; to see what it would retire on the day: --as-of {settings.cutover_date} --dry-run" if dry_run else ""
        refuse(f"{exc}{preview}")
    wh = warehouse_path(warehouse)
    landing = landing_path(landing, wh)
    registry_of(landing)  # a missing or unreadable landing zone: exit 2 before Prefect starts
    from warehouse.db import WarehouseBusy, WarehouseUnusable, drop_kept_turn, wait_free

    problem = foreign_file(wh) if wh.exists() else None  # another tool's database too: refused before a lock file is made beside it (QA8)
    if problem:
        fail(problem)
    # a record id holding a tax number is recorded as its keyed token, the one runs give it (QA8: an ephemeral key made
    # another token on every retirement, so a link was retired again and joined nothing): the warehouse's key
    check_key(landing, wh, "the sync retirement")
    from warehouse.snapshot import snapshot_taken

    taken = None if dry_run else snapshot_taken(wh, read_id=True)
    if taken:  # another warehouse's analysts' snapshot beside it (`a.db` beside `a.duckdb`): its publish would be refused
        fail(taken)
    if not wh.exists():  # a mistyped --warehouse: said before anything is made, as the operators' choices are not read
        made = "" if dry_run else "this retirement makes one, and "
        waiting(f"note: no warehouse at {wh} yet: {made}no step one confirmed with `scr practice confirm` is known to it (check --warehouse)")
    else:  # wait (bounded) or refuse before Prefect starts, as `scr run` does: not through the flow's tracebacks
        try:
            # in turn, keeping it for the flow's reader and writer: a wave starting while Prefect starts queues behind
            wait_free(wh, settings.wait_seconds, on_wait=waiting, on_stale=taking_over, keep_turn=True)
        except (WarehouseBusy, WarehouseUnusable) as exc:
            not_taken(exc, wh)
        except Exception as exc:
            unwritable(exc, wh, "nothing was written")
            raise
    quiet_prefect(verbose)
    from flows.temporary_api import PrefectUnusable, TemporaryApi

    # Prefect's temporary API, started as `scr run` starts it: it stops with this process however it ends (a `kill -9`
    # left the one Prefect started on its own running, orphaned, for good: QA9 F7)
    api = TemporaryApi()
    from flows.retire_sync import retire_legacy_sync
    from landing import BadInput

    try:
        api.ready()
        result = retire_legacy_sync(landing=landing, warehouse=wh, as_of=day, dry_run=dry_run, force=force, by=who)
    except (BadInput, PrefectUnusable) as exc:
        fail(str(exc))
    except (WarehouseBusy, WarehouseUnusable) as exc:
        not_taken(exc, wh, "a transaction that did not commit left nothing behind")
    except Exception as exc:
        unwritable(exc, wh)
        raise
    finally:
        drop_kept_turn(wh)  # the flow's writer used it (a dry run's reader only borrowed it), or the flow never came
    _print(result)
    if result["dry_run"]:
        err.print("[dim]dry run: nothing was written[/]")
