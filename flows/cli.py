"""The `scr` command line: one tool, the same options, short forms, wording and exit codes on every command.

It only parses and calls: the journey commands (flows/cli_run.py) run Prefect flows; the others read or
write the warehouse directly and never import Prefect. Exit codes: 0 done; 1 refused or not found;
2 bad usage or environment.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from flows import cli_review, cli_run, cli_sync
from flows.cli_common import Practices, Warehouse, existing_warehouse, fail, out, refuse
from flows.cli_practice import practice_app

app = typer.Typer(
    help="single-client-record: one client record per real client, for every practice. "
    "Exit codes: 0 done, 1 refused or not found, 2 bad usage or environment.",
    no_args_is_help=True,
    rich_markup_mode=None,
    pretty_exceptions_show_locals=False,
)

for _name in ("run", "wave", "rerun", "rekey", "generate", "demo", "serve"):
    app.command(_name)(getattr(cli_run, _name))
app.add_typer(practice_app, name="practice")
app.add_typer(cli_review.review_app, name="review")
app.command("rollback")(cli_review.rollback)
app.command("unmerge")(cli_review.unmerge)
app.command("retire-sync")(cli_sync.retire_sync)


def print_status(warehouse: Path, only: list[str] | None = None, every: bool = False) -> None:
    """Practices by status (and each practice with its detail when asked)."""
    from warehouse.db import WarehouseBusy, connect
    from warehouse.status import read_status

    try:
        with connect(warehouse, read_only=True) as con:
            rows = read_status(con)
    except WarehouseBusy as exc:
        fail(str(exc))
    if only:
        unknown = sorted(set(only) - set(rows["practice_id"].to_list()))
        if unknown:
            refuse(f"no practice {', '.join(unknown)} in {warehouse}")
        rows = rows.filter(rows["practice_id"].is_in(only))
    counts = rows.group_by("status").len().sort("status")
    table = Table(title=f"migration progress: {warehouse}", title_justify="left")
    table.add_column("status")
    table.add_column("practices", justify="right")
    for status_, n in counts.iter_rows():
        table.add_row(status_, str(n))
    table.add_row("[bold]total", f"[bold]{rows.height}")
    out.print(table)
    if every or only:
        detail = Table(show_lines=False)
        for col in ("practice_id", "status", "detail"):
            detail.add_column(col, overflow="fold")
        for pid, status_, text in rows.select("practice_id", "status", "detail").iter_rows():
            detail.add_row(pid, status_, text or "")
        out.print(detail)


@app.command()
def status(
    warehouse: Warehouse = None,
    all_: Annotated[bool, typer.Option("--all", "-a", help="list every practice with its detail")] = False,
    practice: Practices = None,
) -> None:
    """Print migration progress: practices by status (`--all` or `-p ID` for each practice's detail)."""
    path = existing_warehouse(warehouse)
    print_status(path, only=practice, every=all_)
    if not all_ and not practice:
        out.print("[dim]each practice with its detail: scr status --all, or scr practice ID[/]", highlight=False)


if __name__ == "__main__":  # pragma: no cover
    app()
