"""The commands that run a flow: run, wave, rerun, serve, and generate / demo. Prefect is imported only
once the arguments have been checked, so a mistyped practice costs nothing and writes nothing."""

from __future__ import annotations

import logging
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.markup import escape
from rich.text import Text

from flows.cli_common import (
    check_key,
    Landing,
    Practices,
    Verbose,
    Warehouse,
    check_practices,
    err,
    fail,
    foreign_file,
    landing_path,
    not_taken,
    not_under_a_file,
    on_sigterm,
    signal_came,
    out,
    plural,
    quiet_prefect,
    raise_kept,
    refuse,
    shown,
    registry_of,
    taking_over,
    unwritable,
    waiting,
    warehouse_path,
)
from flows.temporary_api import PrefectUnusable, TemporaryApi

__all__ = ["run", "wave", "rerun", "rekey", "serve", "generate", "demo"]


def _runner(ctx: typer.Context, param: typer.CallbackParam, value: str) -> str:
    """--runner is checked as it is parsed, so every command that takes it (a rekey with nothing to do too) refuses a
    mistyped one before anything else, exit 2, saying where it came from when that is the environment."""
    if value not in ("thread", "dask"):
        source = ctx.get_parameter_source(param.name)
        where = f" (from {param.envvar})" if source is not None and source.name == "ENVIRONMENT" else ""
        fail(f"--runner {value!r}{where}: use thread or dask")
    return value


Runner = Annotated[str, typer.Option("--runner", metavar="thread|dask", callback=_runner, help="task runner: thread (local) or dask")]
DaskAddress = Annotated[str | None, typer.Option("--dask-address", metavar="tcp://HOST:PORT",
                                                 help="a Dask scheduler (default with --runner dask: a local cluster)", show_default=False)]


def _pinned(warehouse: Path) -> set[str]:
    """Practices pinned after a rollback (read without waiting; the flow checks again under its lock)."""
    if not warehouse.exists():
        return set()
    from warehouse.choices import read_pins
    from warehouse.db import WarehouseBusy, connect

    try:
        with connect(warehouse, read_only=True) as con:
            return set(read_pins(con)["practice_id"].to_list())
    except WarehouseBusy:
        pass
    return set()


def _note_unfinished(warehouse: Path) -> None:
    """Say so when an earlier run ended without finishing (killed, out of disk): its committed chunks stand."""
    if not warehouse.exists():
        return
    import duckdb

    from warehouse.db import WarehouseBusy, connect
    from warehouse.run_store import unfinished_runs

    try:
        with connect(warehouse, read_only=True) as con:
            runs = unfinished_runs(con)
    except WarehouseBusy:
        return  # another process took the warehouse meanwhile: this run waits for it, and that one is not over
    except duckdb.Error:
        return  # no run table yet (a first run killed before it made one): nothing to name
    for run_id, kind, started in runs.iter_rows():
        err.print(
            f"[yellow]note:[/] run {run_id} ({kind}, started {started:%Y-%m-%d %H:%M:%S}) ended without finishing; "
            "the chunks it committed stand, and it is recorded as interrupted",
            highlight=False,
        )


def _journey(flow_name: str, landing: Path | None, warehouse: Path | None, runner: str, dask_address: str | None,
             verbose: bool, practices: list[str] | None = None, **kwargs) -> None:  # fmt: skip
    """Check the arguments, then run a migration flow with a progress bar and print what it did."""
    from flows.settings import get_settings

    settings = get_settings()
    wh = warehouse_path(warehouse)
    landing = landing_path(landing, wh)
    if not wh.exists() and flow_name == "rerun_practice":  # a rerun into a warehouse not there is a mistyped --warehouse
        fail(f"no warehouse at {wh}: a rerun runs again practices a run read; `scr run` makes the warehouse (check --warehouse)")
    registry = registry_of(landing)
    check_key(landing, wh)
    check_practices(registry["practice_id"].to_list(), practices, str(landing / "practices.json"))
    from transforms.planning import unplanned_wave

    unplanned = unplanned_wave(registry, kwargs.get("wave"), str(landing / "practices.json"))
    if unplanned:  # the flow refuses it too (a deployment's parameter); here it is bad usage before Prefect starts
        fail(unplanned)
    from warehouse.snapshot import snapshot_taken

    taken = snapshot_taken(wh, read_id=True)  # the flow checks again once it holds the file
    if taken:  # another warehouse's analysts' snapshot would be replaced: before Prefect starts, nothing written
        fail(taken)
    if not wh.exists() and kwargs.get("select") == "eligible":  # a first wave makes one; a mistyped path is said
        err.print(Text(f"note: no warehouse at {wh} yet: this wave makes one (check --warehouse)", style="yellow"), highlight=False)
    pinned = _pinned(wh)
    held = sorted(set(practices or []) & pinned)
    if held:
        refuse(f"{', '.join(held)} {'is' if len(held) == 1 else 'are'} pinned after a rollback: "
               f"`scr practice release {held[0]}` first")  # fmt: skip
    left = sorted(pinned & set(registry["practice_id"].to_list())) if kwargs.get("select") == "all" and not practices else []
    if left:  # `scr run` takes every practice but these: say so, or "10 practices" of a registry of 12 goes unexplained
        one = len(left) == 1
        err.print(Text(f"note: {', '.join(left)} pinned after a rollback: left as {'it is' if one else 'they are'} "
                       f"(`scr practice release {left[0] if one else 'ID'}` first to run {'it' if one else 'one'})", style="yellow"),
                  highlight=False)  # fmt: skip
    if dask_address:
        _check_scheduler(dask_address, runner)
    from warehouse.db import WarehouseBusy, WarehouseUnusable, drop_kept_turn, wait_free

    try:  # wait (bounded) or refuse before Prefect starts if another process holds the warehouse
        # in turn, and keeping this run's turn for its flow's writer: a wave starting while Prefect starts queues behind it
        wait_free(wh, settings.wait_seconds, on_wait=waiting, on_stale=taking_over, keep_turn=True)
    except (WarehouseBusy, WarehouseUnusable) as exc:  # a read-only warehouse file: said as a read-only folder is
        not_taken(exc, wh)
    except Exception as exc:  # the lock file cannot be made, a log left by a killed run cannot be folded in: a read-only folder, a full disk
        unwritable(exc, wh, "nothing was written")
        raise
    try:
        if runner == "thread" and settings.gate_process and kwargs.get("select") != "rekey":
            _gate_early()  # the warehouse is this run's: no refused run starts it
        _note_unfinished(wh)
        quiet_prefect(verbose)
        summary = _run_flow(flow_name, runner, dask_address, landing=str(landing), warehouse=str(wh), practices=practices, **kwargs)
    finally:
        drop_kept_turn(wh)  # the flow's writer used it, or the run ended before its writer
    out.print(
        f"run [bold]{summary['run_id']}[/]: {plural(summary['practices'], 'practice')}, {plural(summary['records'], 'record')}, "
        f"{plural(summary['auto_links'], 'automatic merge link')}, {plural(summary['review_links'], 'link')} for review",
        highlight=False,
    )
    if summary.get("budget_unused"):  # a planned wave was taken whole: the operator's budget said to be unused
        err.print(Text(f"note: --budget {kwargs['record_budget']} not used: {summary['budget_unused']}", style="yellow"),
                  highlight=False)  # fmt: skip
    from flows.cli_analyst import print_status

    print_status(wh, only=practices)
    from flows.collector import spare_exit

    spare_exit()


def _gate_early() -> None:
    """The quality gate's own process, started once the arguments are checked and the warehouse is this run's
    (quality.gate.start_process): it imports Great Expectations, about 2.3 s of one core, while this process imports
    Prefect and starts the flow run on the other, which is otherwise idle then; the flow finds it started.

    Only where the flow gates in this process's threads (not with --runner dask, whose workers gate, nor for a rekey,
    which promotes nothing) and the settings want one (SCR_GATE_PROCESS). The 100k bench zone, paired runs:
    16.1 -> 15.2 s median (benchmarks/HISTORY.md, Session 26)."""
    from quality.gate import start_process

    start_process()


def _check_scheduler(address: str, runner: str) -> None:
    """--dask-address before Prefect starts: it needs --runner dask (with threads it was ignored, unsaid), a TCP address
    needs a host and a port, and a scheduler must answer there (the run otherwise failed after 30 s of Dask's retries
    with a traceback, exit 1). Exit 2 for each: bad usage or environment."""
    import socket
    from urllib.parse import urlsplit

    if runner != "dask":
        fail(f"--dask-address {address!r} needs --runner dask (with thread it would be ignored)")
    parts = urlsplit(address if "://" in address else f"tcp://{address}")
    if parts.scheme not in ("tcp", "tls"):
        return  # another of Dask's protocols (ucx, ws, inproc): Dask says what is wrong with it
    try:
        port = parts.port
    except ValueError:
        port = None
    if not parts.hostname or port is None:
        fail(f"--dask-address {address!r}: write it as tcp://HOST:PORT (e.g. tcp://10.0.0.5:8786)")
    try:
        socket.create_connection((parts.hostname, port), timeout=10).close()
    except OSError as exc:
        fail(f"no Dask scheduler answers at {address} ({exc.strerror or exc}): start one there (`dask scheduler`), "
             "or leave out --dask-address for a local cluster")  # fmt: skip


def _run_flow(flow_name: str, runner: str, dask_address: str | None, **kwargs) -> dict:
    """Run a migration flow with a rich progress bar; turn known run-level failures into clear errors."""
    api = TemporaryApi()
    from flows import progress
    from flows import wave as flows_wave
    from flows.hashkey import KeyMismatch
    from flows.settings import HashKeyMissing
    from landing import BadInput
    from warehouse.db import WarehouseBusy, WarehouseUnusable
    from warehouse.snapshot import SnapshotTaken

    rekey = kwargs.get("select") == "rekey"
    for name in ("prefect.flow_runs", "prefect.task_runs", "prefect.engine", "EventsWorker"):
        logging.getLogger(name).addFilter(_SAID_BY_US)  # once: a filter already there is not added again
    with _says_when_stopped(Path(kwargs["warehouse"]), rekey), Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=out) as bar:
        task = bar.add_task("starting Prefect", total=None)

        def listen(stage: str, done: int, total: int) -> None:
            bar.update(task, description=stage, completed=done, total=total)
            # a Ctrl-C or SIGTERM the interpreter would have lost (it came inside a callback: cli_common.interrupts_kept)
            # stops the run here, between chunks, as it would have where it came
            raise_kept()

        progress.set_listener(listen)
        try:
            flow = flows_wave.with_runner(getattr(flows_wave, flow_name), runner, dask_address)
            api.ready()
            with _no_heartbeats_unless_set(), _storage_said_by_us():
                return flow(**kwargs)
        except KeyboardInterrupt:
            # a Ctrl-C, or a SIGTERM that came while DuckDB ran a statement (its answer, 'Query interrupted', is taken
            # for a Ctrl-C on the way here): said as the signal that came
            how, code = ("SIGTERM", 143) if signal_came(signal.SIGTERM) else ("Ctrl-C (SIGINT)", 130)
            err.print(_stopped(how, Path(kwargs["warehouse"]), code, rekey), highlight=False)
            raise typer.Exit(code) from None  # said: the process ends as interrupted by the signal ends it
        except (WarehouseBusy, WarehouseUnusable, FileNotFoundError) as exc:
            not_taken(exc, Path(kwargs["warehouse"]), "the chunks committed before it stand (`scr status` says what the run left)")
        except (BadInput, HashKeyMissing, KeyMismatch) as exc:
            fail(f"the run cannot start: {exc}")
        except PrefectUnusable as exc:
            fail(f"the run cannot start: {exc}")
        except flows_wave.RunRefused as exc:
            refuse(str(exc))
        except SnapshotTaken as exc:  # the flow's own check (the command's came first, unless the file was held then)
            fail(str(exc))
        except flows_wave.InvariantBroken as exc:
            refuse(str(exc))
        except Exception as exc:
            if signal_came(signal.SIGINT) or signal_came(signal.SIGTERM):
                # the signal's exception replaced on its way by another: a Ctrl-C landing while Prefect creates a task
                # run, whose crash handling then fails "Task run is not set" (ValueError, a traceback, exit 1; seen on
                # the clean-clone CI): the run was stopped by the signal, and is said so
                how, code = ("SIGTERM", 143) if signal_came(signal.SIGTERM) else ("Ctrl-C (SIGINT)", 130)
                err.print(_stopped(how, Path(kwargs["warehouse"]), code, rekey), highlight=False)
                raise typer.Exit(code) from None
            unwritable(exc, Path(kwargs["warehouse"]), "the chunks committed before it stand (`scr status` says what the run left)")
            raise
        finally:
            progress.set_listener(None)


def _no_heartbeats_unless_set():
    """The flow run of `scr run`, `wave` or `rerun` emits no Prefect heartbeat unless the operator asks for them.

    Prefect (3.9) gives every flow run a heartbeat thread by default (PREFECT_FLOWS_HEARTBEAT_FREQUENCY, 180 s), for
    the automations that mark a deployment's run Crashed once its heartbeats stop; at the run's end that thread is
    joined while it sleeps out its current second: 0-1 s, about 0.5 s on average, added to every run (measured in
    the 100k bench zone's `scr run`: 0.06, 0.81, 0.96 s). A run started here is watched from its terminal, and one
    that never finished is said by the next (pipeline_run, `scr status`). Prefect's default becomes "none" for this
    run only: a frequency set in the environment (either of Prefect's names) or in a Prefect profile still holds,
    and a deployment's run (`scr serve`) keeps Prefect's default."""
    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings

    return temporary_settings(set_defaults={PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None})


def _stopped(how: str, warehouse: Path, code: int, rekey: bool = False) -> Text:
    # a rekey's reading of every practice is finished by `scr rekey` again: a wave takes no complete or pinned practice
    again = "`scr rekey` again records it so and finishes the rekey" if rekey else "the next run records it so and completes it"
    if not warehouse.exists():  # stopped before the warehouse was made: there is no status to name it (QA, session 30)
        return Text.assemble(("error:", "bold red"), f" the run was stopped by {how}, exit {code}, before it made the "
                             f"warehouse: nothing was written; run it again (warehouse {shown(warehouse)})")  # fmt: skip
    return Text.assemble(
        ("error:", "bold red"), f" the run was stopped by {how}, exit {code}: the chunks it committed stand, what it had "
        f"not committed left nothing; `scr status` names the run interrupted, and {again} (warehouse {shown(warehouse)})",
    )  # fmt: skip


class _SaidByUs(logging.Filter):
    """Prefect's own line for a flow or task stopped by Ctrl-C or SIGTERM ('Crash detected! Execution was aborted by an
    interrupt signal.', '... by a termination signal.'): the command says it in its one line, what stands and what to
    run next; once a SIGINT or SIGTERM came, any line of theirs. Also its events worker's 'Still processing items: 1 items remaining...', a warning it gives while it
    sends its last events as the process ends on a busy machine (a second line after a stopped run's one: the clean-
    clone CI of session 33)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if signal_came(signal.SIGINT) or signal_came(signal.SIGTERM):
            return False  # the run is stopping: whatever Prefect says of it (a traceback of what replaced the signal's
            # exception, "Task run is not set") the command's one line says
        said = record.getMessage()
        # a chunk task running beside the one the signal stopped is cancelled by the task runner as the run stops
        return not any(x in said for x in ("aborted by an interrupt signal", "aborted by a termination signal",
                                           "Task run cancelled by the task runner", "Still processing items:"))


_SAID_BY_US = _SaidByUs()


class _StorageSaidByUs(logging.Filter):
    """On the terminal's handlers only: Prefect's traceback of a flow (or task) stopped by a write the storage refused
    (a full disk, `ulimit -f`, a read-only folder: warehouse.db.storage_failure). The command says it in one line
    naming the file and what stands (cli_common.unwritable, the same test), after 43 lines of traceback that said
    nothing more (QA, session 31). Prefect's own handler of the run's logs, its API's, still takes the record whole,
    and the flow run is Failed as ever: only what the terminal shows changes."""

    def filter(self, record: logging.LogRecord) -> bool:
        failed = record.exc_info[1] if record.exc_info else None
        if failed is None or not record.name.startswith("prefect."):
            return True
        from warehouse.db import storage_failure

        return storage_failure(failed) is None


@contextmanager
def _storage_said_by_us() -> Iterator[None]:
    """_StorageSaidByUs on the handlers the root logger writes to the terminal with (Prefect's console handler) while
    a flow runs; a run's logs reach its API through the flow_runs and task_runs loggers' own handler, untouched."""
    said = _StorageSaidByUs()
    handlers = list(logging.getLogger().handlers)
    for handler in handlers:
        handler.addFilter(said)
    try:
        yield
    finally:
        for handler in handlers:
            handler.removeFilter(said)


@contextmanager
def _says_when_stopped(warehouse: Path, rekey: bool = False) -> Iterator[None]:
    """On SIGTERM (`kill`, a scheduler stopping the run) say so in one line, as on Ctrl-C, then end as the signal ends
    a process (exit 143). Prefect's flow engine takes SIGTERM over while the flow runs and hands it back to this
    handler once it has recorded the crash; before or after the flow, this handler has it first."""
    import os

    def stopped(signum, frame) -> None:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        err.print(_stopped("SIGTERM", warehouse, 128 + signal.SIGTERM, rekey), highlight=False)
        os.kill(os.getpid(), signal.SIGTERM)

    with on_sigterm(stopped):  # the command's flow over, the caller's handler again
        yield


def run(
    landing: Landing = None,
    warehouse: Warehouse = None,
    practice: Practices = None,
    runner: Runner = "thread",
    dask_address: DaskAddress = None,
    refit_model: Annotated[bool, typer.Option("--refit-model", help="fit and store a new match model first")] = False,
    verbose: Verbose = False,
) -> None:
    """Run the whole journey (extract, match, gate, promote) for every practice, or the ones named."""
    _journey("nightly_wave", landing, warehouse, runner, dask_address, verbose, practices=practice or None, select="all",
             refit_model=refit_model)  # fmt: skip


def wave(
    landing: Landing = None,
    warehouse: Warehouse = None,
    number: Annotated[int | None, typer.Option("--wave", metavar="N", help="wave number from the registry (default: the lowest planned)", show_default=False)] = None,
    budget: Annotated[int | None, typer.Option("--budget", metavar="RECORDS", min=1, help="record budget, filled largest practice first, when no eligible practice has a planned wave (not with --wave)", show_default=False)] = None,
    runner: Runner = "thread",
    dask_address: DaskAddress = None,
    verbose: Verbose = False,
) -> None:
    """Run one planned wave now, as the nightly schedule would: eligible practices only."""
    if number is not None and budget is not None:  # the budget was ignored, unsaid (QA, session 33)
        fail(f"--budget {budget} with --wave {number}: a budget fills only a wave of practices no wave is planned for; "
             "give one or the other")  # fmt: skip
    _journey("nightly_wave", landing, warehouse, runner, dask_address, verbose, wave=number, record_budget=budget, select="eligible")


def rerun(
    practice: Annotated[list[str], typer.Option("--practice", "-p", metavar="ID", help="practice id (repeat for more)", show_default=False)],
    landing: Landing = None,
    warehouse: Warehouse = None,
    runner: Runner = "thread",
    dask_address: DaskAddress = None,
    verbose: Verbose = False,
) -> None:
    """Rerun the named practices through the same flow."""
    _journey("rerun_practice", landing, warehouse, runner, dask_address, verbose, practices=practice)


def generate(
    out_dir: Annotated[Path, typer.Option("--out", "-o", metavar="DIR", help="folder for landing/ and truth/")],
    practices: Annotated[int, typer.Option("--practices", "-n", metavar="N", min=1, help="how many practices")] = 20,
    seed: Annotated[int, typer.Option("--seed", "-s", metavar="SEED", help="the same seed makes the same zone")] = 42,
    bad: Annotated[int, typer.Option("--bad", metavar="K", min=0, help="practices given bad input on purpose")] = 0,
    corruption: Annotated[str, typer.Option("--corruption", metavar="default|geco", help="how sources differ: default, or geco (GeCo/Febrl kinds of error, rates drawn per zone)")] = "default",
) -> None:
    """Write a synthetic landing zone (OUT/landing) and its ground truth (OUT/truth), replacing a zone it wrote before."""
    from landing.secrets import ZONE_KEY_FILE, write_zone_key
    from synthetic import generate_zone
    from synthetic.build import CORRUPTIONS

    if corruption not in CORRUPTIONS:
        fail(f"--corruption {corruption!r}: use {' or '.join(CORRUPTIONS)}")
    if bad > practices:  # it wrote as many bad practices as there were, without a word
        fail(f"--bad {bad} is more than --practices {practices}: at most every practice can be given bad input")
    if out_dir.exists() and not out_dir.is_dir():
        fail(f"--out {out_dir} is a file: give a folder (landing/ and truth/ are written in it)")
    not_under_a_file(out_dir)
    landing = out_dir / "landing"
    if landing.is_dir() and any(landing.iterdir()) and not (landing / ZONE_KEY_FILE).exists():
        # a zone `scr generate` wrote carries its throwaway key; any other is someone's exports: never replaced
        refuse(f"{landing} holds a landing zone `scr generate` did not write: refusing to replace it; choose another --out")
    with out.status(f"generating {plural(practices, 'practice')}"):
        summary = generate_zone(out_dir, practices, seed, bad_practices=bad, corruption=corruption)
    marker = write_zone_key(out_dir / "landing")
    wrote, truth = generated(summary)
    out.print(Text.assemble("wrote ", (shown(out_dir / "landing"), "bold"), f": {wrote}"), highlight=False)
    out.print(Text(f"ground truth in {shown(out_dir / 'truth')}: {truth}"), highlight=False)
    out.print(f"[yellow]note:[/] a random throwaway hash key for this synthetic zone is in {escape(str(marker))}; runs on the zone "
              "use it unless SCR_HASH_KEY or SCR_HASH_KEY_FILE is set", highlight=False)  # fmt: skip


def generated(summary: dict) -> tuple[str, str]:
    """What `scr generate` wrote, in words: the zone (practices, records by source, real clients) and its ground truth
    (what was put wrong on purpose; truth/summary.json keeps every count)."""
    by_source = ", ".join(f"{source} {n:,}" for source, n in summary.get("records_by_source", {}).items())
    zone = (f"{plural(summary['practices'], 'practice')}, {plural(summary['records'], 'client record')} ({by_source}) of "
            f"{plural(summary['entities'], 'real client')}; seed {summary['seed']}, {summary['corruption']} corruption")  # fmt: skip
    truth = [plural(summary["wrong_links"], "wrong legacy link")]
    if summary.get("bad_practices"):
        defects = ", ".join(f"{d} {n}" for d, n in summary.get("defects", {}).items())
        truth.append(f"{plural(summary['bad_practices'], 'practice')} given bad input ({defects})")
    if summary.get("extra_folders"):
        truth.append(f"{plural(summary['extra_folders'], 'folder')} not in practices.json")
    return zone, ", ".join(truth) + "; every count in summary.json"


DEMO_FILES = {"landing", "truth", "scr.duckdb", "scr.duckdb.wal", "scr.duckdb.lock", "scr.snapshot"}


def demo(
    out_dir: Annotated[Path, typer.Option("--out", "-o", metavar="DIR", help="folder for the demo zone and warehouse")] = Path("demo"),
    practices: Annotated[int, typer.Option("--practices", "-n", metavar="N", min=1, help="how many practices")] = 40,
    seed: Annotated[int, typer.Option("--seed", "-s", metavar="SEED", help="the same seed makes the same zone")] = 7,
    verbose: Verbose = False,
) -> None:
    """Generate a demo landing zone, run a full wave on it, print the progress (replacing an earlier demo in OUT)."""
    import shutil

    from landing.secrets import ZONE_KEY_FILE

    if out_dir.exists():
        if not out_dir.is_dir():
            fail(f"--out {out_dir} is a file: give a folder for the demo")
        found = {p.name for p in out_dir.iterdir()}
        # only an earlier demo is deleted: its generated zone (with its throwaway key), truth and warehouse, nothing else
        if found and not (found <= DEMO_FILES and (out_dir / "landing" / ZONE_KEY_FILE).exists()):
            refuse(f"{out_dir} holds files a demo did not write: refusing to delete it; choose another --out (default ./demo)")
        shutil.rmtree(out_dir)
    generate(out_dir=out_dir, practices=practices, seed=seed, bad=3, corruption="default")
    run(landing=out_dir / "landing", warehouse=out_dir / "scr.duckdb", practice=None, runner="thread", dask_address=None,
        refit_model=False, verbose=verbose)  # fmt: skip
    out.print(f"\nnext: [bold]scr status[/] (it finds {escape(str(out_dir / 'scr.duckdb'))}), [bold]scr practice <id>[/], "
              f"[bold]scr query \"select * from migration_progress\"[/]", highlight=False)  # fmt: skip


def serve(
    landing: Landing = None,
    warehouse: Warehouse = None,
    cron: Annotated[str, typer.Option("--cron", metavar="CRON", help="nightly wave schedule (cron)")] = "0 1 * * *",
    timezone: Annotated[str, typer.Option("--timezone", metavar="ZONE", help="time zone of the schedule")] = "Australia/Sydney",
    verbose: Verbose = False,
) -> None:
    """Run the scheduled deployments locally (nightly wave, rerun, retire-sync) until interrupted."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    wh = warehouse_path(warehouse).resolve()
    landing = landing_path(landing, wh).resolve()
    registry_of(landing)
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        fail(f"--timezone {timezone!r}: not a time zone (one like Australia/Sydney or UTC)")
    quiet_prefect(verbose)
    from prefect.schedules import Cron

    from flows.deployments import serve_all

    try:
        Cron(cron, timezone=timezone)
    except ValueError:
        fail(f"--cron {cron!r}: not a cron schedule (five fields, like '0 1 * * *')")
    api = TemporaryApi()  # with no Prefect server set: one that stops with this process, however it ends (QA9 F7)
    out.print(serving(landing, wh, cron, timezone), highlight=False)
    try:
        api.ready()
    except PrefectUnusable as exc:
        fail(str(exc))
    serve_all(landing, wh, cron, timezone)


def serving(landing: Path, warehouse: Path, cron: str, timezone: str) -> Text:
    """What `scr serve` serves, where: the schedule and paths as typed are text, never markup."""
    return Text.assemble(
        "serving nightly-wave/nightly on ", (shown(cron), "bold"), f" ({shown(timezone)}), rerun-practice/rerun and "
        f"retire-legacy-sync/retire-sync; landing {shown(landing)}, warehouse {shown(warehouse)}"
    )


def rekey(
    landing: Landing = None,
    warehouse: Warehouse = None,
    runner: Runner = "thread",
    dask_address: DaskAddress = None,
    verbose: Verbose = False,
) -> None:
    """Change the hash key to the one now set: forget every hash made with the old key, then re-read every practice.

    Hashes cannot be converted from one key to another; every practice is read again from the landing
    zone with the new key, so every promoted practice whose records hold hashes gets a new version. A
    pinned practice is read again too and keeps its version, whose hashes are made anew with the new key.
    The analysts' snapshot is published anew and its earlier files deleted at once, and the warehouse file
    is rewritten, so no copy of an old hash stays in either.
    """
    from flows import faults
    from flows.hashkey import rekey as do_rekey
    from flows.settings import HashKeyMissing, get_settings, hash_key
    from warehouse.db import WarehouseBusy, WarehouseUnusable, rewrite, transaction, writer
    from warehouse.meta import KEY_FINGERPRINT, REREAD_PENDING, forget_meta, read_meta
    from warehouse.schema import create_all
    from warehouse.snapshot import purge

    s = get_settings()
    wh = warehouse_path(warehouse)
    landing = landing_path(landing, wh)
    if not wh.exists():
        fail(f"no warehouse at {wh}: nothing to rekey (`scr run` records the key on its first run)")
    problem = foreign_file(wh)  # another tool's database too: refused before a lock file is made beside it (QA8)
    if problem:
        fail(problem)
    registry_of(landing)
    if dask_address:  # before the old key's hashes are forgotten, not at the reading that follows
        _check_scheduler(dask_address, runner)
    try:
        key = hash_key(landing)
        with writer(wh, s.wait_seconds, on_wait=waiting, on_stale=taking_over) as con:
            with transaction(con):
                create_all(con)
            pending = read_meta(con, REREAD_PENDING)
            cleared = None
            if read_meta(con, KEY_FINGERPRINT) != key.fingerprint:
                cleared = do_rekey(con, key)
            elif pending is None:
                out.print(f"warehouse {wh} already uses this key ({key.origin}): nothing to do", highlight=False, markup=False)
                return
            faults.point("rekey:forgotten")
            # until the mark goes, every rekey does this again: a rekey killed before it finishes leaves no old copy
            purge(con, wh)  # the snapshot's files of the old key, deleted now rather than after their grace period
        faults.point("rekey:purged")
        rewrite(wh, s.wait_seconds, on_wait=waiting)  # and the bytes the old hashes left in the warehouse file
        faults.point("rekey:rewritten")
    except HashKeyMissing as exc:
        fail(str(exc))
    except (WarehouseBusy, WarehouseUnusable) as exc:
        not_taken(exc, wh, "a transaction that did not commit left nothing behind")
    except Exception as exc:
        unwritable(exc, wh)
        raise
    if cleared is None:  # an earlier rekey forgot the old key's hashes and stopped (killed) before reading every practice again
        out.print(f"warehouse {wh} already uses this key ({key.origin}), but the reading of every practice again after its "
                  f"rekey of {pending} did not finish: reading them now", highlight=False, markup=False)  # fmt: skip
    else:
        out.print(f"forgot {plural(sum(cleared.values()), 'hash')} made with the old key; the warehouse now uses the key from "
                  f"{key.origin} (fingerprint {key.fingerprint[:12]})", highlight=False, markup=False)  # fmt: skip
        out.print("re-reading every practice with the new key: every promoted practice whose records hold hashes gets a new version "
                  "(a pinned one keeps its version, its hashes made anew)")
    out.print("the analysts' snapshot was published anew (its earlier files deleted, open sessions must reconnect) and the "
              "warehouse file rewritten: neither keeps a copy of a hash made with the old key", highlight=False, markup=False)
    _journey("nightly_wave", landing, wh, runner, dask_address, verbose, practices=None, select="rekey", refit_model=False)
    faults.point("rekey:reread")
    try:  # every practice was read with the new key (the run completed): the rekey is done
        with writer(wh, s.wait_seconds, on_wait=waiting) as con, transaction(con):
            forget_meta(con, REREAD_PENDING)
    except (WarehouseBusy, WarehouseUnusable) as exc:
        fail(f"every practice was read again, but the rekey could not be recorded done ({exc}): `scr rekey` again finishes it")
    except Exception as exc:
        unwritable(exc, wh)
        raise
