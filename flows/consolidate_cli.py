"""CLI for people acting on consolidation: review export/apply, rollback, unmerge (wired into `scr` by the lead)."""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

__all__ = ["review_app", "rollback", "unmerge"]

review_app = typer.Typer(help="Pending links out to a person, decisions back in.", no_args_is_help=True)
# messages never wrap: a long path stays one line whatever the terminal's width
out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)

WarehouseOpt = Annotated[Path | None, typer.Option("--warehouse", help="DuckDB warehouse file (default: settings)")]


@contextmanager
def _open(warehouse: Path | None):
    """The warehouse's writer connection (waiting, bounded, for another writer), tables ensured."""
    from flows.settings import get_settings
    from flows.snapshot_hook import publish_snapshot
    from warehouse.db import WarehouseBusy, transaction, writer
    from warehouse.schema import create_all

    path = warehouse or get_settings().warehouse
    if not Path(path).exists():
        _fail(f"warehouse {path} does not exist")
    try:
        with writer(path, get_settings().wait_seconds, on_wait=lambda m: err.print(f"[yellow]{m}[/]")) as con:
            with transaction(con):
                create_all(con)
            yield con
            publish_snapshot(con, path)  # the command committed: analysts see it
    except WarehouseBusy as exc:
        _fail(str(exc))


def _fail(message: str) -> None:
    err.print(f"[bold red]error:[/] {message}")
    raise typer.Exit(code=1)


@review_app.command("export")
def export(
    practice: Annotated[str, typer.Option("--practice", help="practice id")],
    out_file: Annotated[Path | None, typer.Option("--out", help="CSV to write (default review-<practice>.csv)")] = None,
    warehouse: WarehouseOpt = None,
) -> None:
    """Write the practice's links awaiting review to a CSV; fill its `decision` column with accept or reject."""
    from warehouse.review import ReviewError, export_review

    target = out_file or Path(f"review-{practice}.csv")
    with _open(warehouse) as con:
        try:
            n = export_review(con, practice, target)
        except ReviewError as exc:
            _fail(str(exc))
    out.print(f"[green]{n}[/] links of practice [bold]{practice}[/] await review: {target}")


@review_app.command("apply")
def apply(
    file: Annotated[Path, typer.Argument(help="a review CSV with its decision column filled in")],
    warehouse: WarehouseOpt = None,
) -> None:
    """Record the accept/reject decisions of a filled-in review CSV (rerunnable: same file, same result)."""
    import polars as pl

    from warehouse.db import transaction
    from warehouse.review import ReviewError, apply_review
    from warehouse.status import mark_changed

    with _open(warehouse) as con:
        try:
            with transaction(con):
                n = apply_review(con, file)
                mark_changed(con, pl.read_csv(file, columns=["practice_id"], infer_schema=False)["practice_id"].unique().to_list())
        except ReviewError as exc:
            _fail(str(exc))
    out.print(f"[green]{n}[/] decisions recorded from {file}; rerun the practice to apply them")


def _with_warehouse(warehouse: Path | None, action):
    """Run action(con) on the warehouse; a PromotionError becomes a clear error and exit 1."""
    from warehouse.promote import PromotionError

    with _open(warehouse) as con:
        try:
            return action(con)
        except PromotionError as exc:
            _fail(str(exc))


def rollback(
    practice: Annotated[str, typer.Option("--practice", help="practice id")],
    warehouse: WarehouseOpt = None,
) -> None:
    """Restore the practice's previous promoted version."""
    from flows.undo import rollback as do_rollback

    version = _with_warehouse(warehouse, lambda con: do_rollback(con, practice))
    out.print(f"practice [bold]{practice}[/] is back on version [green]{version}[/]")


def unmerge(
    unified_id: Annotated[str, typer.Option("--unified-id", help="unified client id to split")],
    warehouse: WarehouseOpt = None,
) -> None:
    """Split a unified client into one per source record; its pairs are recorded as rejected."""
    from flows.undo import unmerge as do_unmerge

    ids = _with_warehouse(warehouse, lambda con: do_unmerge(con, unified_id))
    out.print(f"[bold]{unified_id}[/] split into {len(ids)} unified clients:")
    for i in ids:
        out.print(f"  {i}")
