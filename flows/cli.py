"""The `scr` command line: parses options and calls flows; no pipeline logic lives here."""

from __future__ import annotations

import os
import sys

# Prefect reads its settings at import: set them before any flow module is imported.
os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
# The temporary API takes ~10 s to start on an idle 2-core machine; give a busy one room.
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")
if not {"-v", "--verbose"} & set(sys.argv):
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from flows.settings import get_settings

app = typer.Typer(help="single-client-record: one client record per real client, for every practice.", no_args_is_help=True)
console = Console()
err = Console(stderr=True, soft_wrap=True)

Warehouse = Annotated[Path | None, typer.Option("--warehouse", "-w", help="DuckDB warehouse file [env SCR_WAREHOUSE]")]
Landing = Annotated[Path | None, typer.Option("--landing", "-l", help="landing zone folder [env SCR_LANDING]")]
PracticeIds = Annotated[list[str] | None, typer.Option("--practice", "-p", help="practice id (repeatable)")]
Runner = Annotated[str, typer.Option("--runner", help="task runner: thread (local) or dask")]
DaskAddress = Annotated[str | None, typer.Option("--dask-address", help="tcp://HOST:PORT of a Dask scheduler")]


def _quiet_prefect(verbose: bool) -> None:
    if not verbose:
        import logging

        logging.getLogger("great_expectations").setLevel(logging.WARNING)


def _fail(message: str) -> None:
    err.print(f"[bold red]error:[/] {message}")
    raise typer.Exit(2)


def _run_flow(fn, runner: str, dask_address: str | None, **kwargs) -> dict:
    """Run a migration flow with a rich progress bar; turn known run-level failures into clear errors."""
    from flows import progress
    from flows.wave import InvariantBroken, with_runner
    from warehouse.db import WarehouseBusy
    from landing import BadInput

    with Progress(
        TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=console
    ) as bar:
        task = bar.add_task("starting Prefect", total=None)

        def listen(stage: str, done: int, total: int) -> None:
            bar.update(task, description=stage, completed=done, total=total)

        progress.set_listener(listen)
        try:
            # Wait (bounded) or refuse before Prefect starts if another process holds the warehouse.
            from warehouse.db import wait_free

            wait_free(kwargs["warehouse"], get_settings().wait_seconds, on_wait=lambda m: err.print(f"[yellow]{m}[/]"))
            return with_runner(fn, runner, dask_address)(**kwargs)
        except WarehouseBusy as exc:
            _fail(str(exc))
        except InvariantBroken as exc:
            err.print(f"[bold red]error:[/] {exc}")
            raise typer.Exit(1) from None
        except BadInput as exc:
            _fail(f"the run cannot start: {exc}")
        except (ValueError, FileNotFoundError) as exc:
            _fail(str(exc))
        finally:
            progress.set_listener(None)
    return {}


def _journey(flow_name: str, landing, warehouse, runner: str, dask_address, verbose: bool, only=None, **kwargs) -> None:
    """Run a migration flow (nightly_wave or rerun_practice), then print its summary and the progress table."""
    _quiet_prefect(verbose)
    from flows import wave as flows_wave

    s = get_settings()
    warehouse = warehouse or s.warehouse
    summary = _run_flow(
        getattr(flows_wave, flow_name), runner, dask_address,
        landing=str(landing or s.landing), warehouse=str(warehouse), **kwargs,
    )
    _print_summary(summary)
    from flows.cli_analyst import print_status

    print_status(warehouse, only=only)


def _print_summary(summary: dict) -> None:
    console.print(
        f"run [bold]{summary['run_id']}[/]: {summary['practices']} practices, {summary['records']} records, "
        f"{summary['auto_links']} automatic merge links, {summary['review_links']} links for review"
    )


@app.command()
def run(
    landing: Landing = None,
    warehouse: Warehouse = None,
    practice: PracticeIds = None,
    runner: Runner = "thread",
    dask_address: DaskAddress = None,
    refit_model: Annotated[bool, typer.Option("--refit-model", help="fit and store a new match model first")] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="show Prefect's logs")] = False,
) -> None:
    """Run the whole journey (extract, match, gate, promote) for every practice, or the ones named."""
    _journey(
        "nightly_wave", landing, warehouse, runner, dask_address, verbose,
        practices=practice or None, select="all", refit_model=refit_model,
    )


@app.command()
def wave(
    landing: Landing = None,
    warehouse: Warehouse = None,
    number: Annotated[int | None, typer.Option("--wave", help="wave number from the registry (default: the lowest planned)")] = None,
    budget: Annotated[int | None, typer.Option("--budget", help="record budget, filled largest practice first")] = None,
    runner: Runner = "thread",
    dask_address: DaskAddress = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v")] = False,
) -> None:
    """Run one planned wave now, as the nightly schedule would: eligible practices only."""
    _journey(
        "nightly_wave", landing, warehouse, runner, dask_address, verbose,
        wave=number, record_budget=budget, select="eligible",
    )


@app.command()
def rerun(
    practice: Annotated[list[str], typer.Option("--practice", "-p", help="practice id (repeatable)")],
    landing: Landing = None,
    warehouse: Warehouse = None,
    runner: Runner = "thread",
    dask_address: DaskAddress = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v")] = False,
) -> None:
    """Rerun the named practices through the same flow."""
    _journey("rerun_practice", landing, warehouse, runner, dask_address, verbose, only=practice, practices=practice)


@app.command()
def generate(
    out: Annotated[Path, typer.Option("--out", "-o", help="folder for landing/ and truth/")],
    practices: Annotated[int, typer.Option("--practices", "-n", min=1)] = 20,
    seed: Annotated[int, typer.Option("--seed", "-s")] = 42,
    bad: Annotated[int, typer.Option("--bad", help="practices given bad input on purpose")] = 0,
) -> None:
    """Write a synthetic landing zone (out/landing) and its ground truth (out/truth)."""
    from synthetic import generate_zone

    with console.status(f"generating {practices} practices"):
        summary = generate_zone(out, practices, seed, bad_practices=bad)
    console.print(f"wrote [bold]{out / 'landing'}[/] and its ground truth in {out / 'truth'}")
    console.print({k: v for k, v in summary.items() if not isinstance(v, (list, dict))})


@app.command()
def demo(
    out: Annotated[Path, typer.Option("--out", "-o")] = Path("demo"),
    practices: Annotated[int, typer.Option("--practices", "-n", min=1)] = 40,
    seed: Annotated[int, typer.Option("--seed", "-s")] = 7,
) -> None:
    """Generate a demo landing zone, run a full wave on it, print the progress."""
    import shutil

    if out.exists():
        shutil.rmtree(out)
    generate(out=out, practices=practices, seed=seed, bad=3)
    run(
        landing=out / "landing", warehouse=out / "scr.duckdb", practice=None, runner="thread",
        dask_address=None, refit_model=False, verbose=False,
    )
    console.print(f"\nquery it: [bold]scr status --warehouse {out / 'scr.duckdb'} --all[/]")


@app.command()
def serve(
    cron: Annotated[str, typer.Option("--cron", help="nightly wave schedule (cron)")] = "0 1 * * *",
    timezone: Annotated[str, typer.Option("--timezone")] = "Australia/Sydney",
) -> None:
    """Run the scheduled deployments locally (nightly wave, rerun, retire-sync) until interrupted."""
    from prefect import serve as prefect_serve
    from prefect.schedules import Cron

    from flows.retire_sync import retire_legacy_sync
    from flows.wave import nightly_wave, rerun_practice

    console.print(f"serving: nightly-wave/nightly on [bold]{cron}[/] ({timezone}), rerun-practice/rerun, retire-legacy-sync/retire-sync")
    prefect_serve(
        nightly_wave.to_deployment(name="nightly", schedule=Cron(cron, timezone=timezone)),
        rerun_practice.to_deployment(name="rerun", parameters={"practices": []}),
        retire_legacy_sync.to_deployment(name="retire-sync"),
        pause_on_shutdown=False,
    )


def _register() -> None:
    """Commands that live beside the migration flows: review, rollback, unmerge, retire-sync, and the analysts' commands."""
    from flows import cli_analyst
    from flows.consolidate_cli import review_app, rollback, unmerge
    from flows.retire_sync import retire_sync_command

    app.add_typer(review_app, name="review")
    app.command("rollback")(rollback)
    app.command("unmerge")(unmerge)
    app.command("retire-sync")(retire_sync_command)
    for name in ("status", "query", "shell", "report", "snapshot"):  # analysts' commands: read the snapshot, no Prefect
        app.command(name)(getattr(cli_analyst, name))


_register()


if __name__ == "__main__":  # pragma: no cover
    app()
