"""What every `scr` command shares: the same options and short forms, the same errors and exit codes.

Exit codes everywhere: 0 done; 1 what was asked for was refused or not found; 2 bad usage or
environment (missing key, busy warehouse, unknown practice, missing landing zone). Nothing here imports
Prefect: commands that run no flow never pay for it.
"""

from __future__ import annotations

import os
import re
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from flows.words import did_you_mean, plural, verb  # the commands import them from here

__all__ = [
    "out", "err", "fail", "refuse", "plural", "verb", "Warehouse", "Landing", "Practices", "By", "Verbose", "warehouse_path",
    "existing_warehouse", "unreadable_warehouse", "readable_warehouse", "check_key", "foreign_file", "no_snapshot", "landing_path", "writing", "reading", "registry_of", "check_practices", "operator", "output_file",
    "not_under_a_file", "quiet_prefect", "shown", "cell", "unwritable", "not_taken", "waiting", "taking_over", "print_table",
    "unknown_practices", "stopped_by_ctrl_c", "stopped_by", "Terminated", "raising_on_sigterm", "signal_came", "on_sigterm", "signals_seen",
    "interrupts_kept", "raise_kept", "kept_interrupt",
]  # fmt: skip

class _Output(Console):
    """stdout: its reader closing the pipe early (`scr status | head`) ends the command with exit 0, what it read being
    whole (Rich ends it with exit 1, which here means refused or not found; found by hand, session 28)."""

    def on_broken_pipe(self) -> None:
        self.quiet = True
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # what is still buffered goes nowhere, not to a traceback at exit
        raise SystemExit(0)


# messages never wrap: a long path stays on one line whatever the terminal's width
out = _Output(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)

# --help says each default as the README does; the metavars are the README's (FILE, DIR, ID, NAME), never a type name
Warehouse = Annotated[Path | None, typer.Option(
    "--warehouse", "-w", metavar="FILE", show_default=False,
    help="DuckDB warehouse file (default: scr.duckdb, or demo/scr.duckdb where only that exists)")]
Landing = Annotated[Path | None, typer.Option("--landing", "-l", metavar="DIR", help="landing zone folder (default: landing, or the one the warehouse's last run read where there is no landing here)", show_default=False)]
Practices = Annotated[list[str] | None, typer.Option("--practice", "-p", metavar="ID", help="practice id (repeat for more)", show_default=False)]
By = Annotated[str | None, typer.Option("--by", metavar="NAME", help="who makes this choice, kept with it (default: your login)", show_default=False)]
Verbose = Annotated[bool, typer.Option("--verbose", "-v", help="show Prefect's and the pipeline's logs")]


def quiet_prefect(verbose: bool) -> None:
    """Before a command runs a flow: Prefect reads its settings at import, so set them before any flow module is imported."""
    os.environ.setdefault("DO_NOT_TRACK", "1")
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    # the temporary API takes ~10 s to start on an idle 2-core machine; give a busy one room
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")
    if not verbose:
        os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")


# C0 and C1 controls but newline and tab, DEL, and bidirectional overrides: from the data, they would reach the
# terminal as commands (clear the screen, retitle the window, reorder what is read)
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def shown(value: object) -> str:
    """A value as text for the terminal: its control characters written as their codes (ESC as \\x1b)."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}" if ord(m.group()) < 0x100 else f"\\u{ord(m.group()):04x}", str(value))


def fail(message: str, code: int = 2) -> NoReturn:
    """Print an error and exit: 2 bad usage or environment (the default), 1 refused or not found.

    The message is text, never markup: it quotes what was typed (an id, DuckDB's echo of a query) and paths."""
    err.print(Text.assemble(("error:", "bold red"), " ", shown(message)), highlight=False)
    raise typer.Exit(code)


def refuse(message: str) -> NoReturn:
    """What was asked for was refused or not found: exit 1."""
    fail(message, 1)


def stopped_by_ctrl_c(command: str) -> NoReturn:
    """A command (not `scr run`'s flow, which says it its own way) stopped by a terminal's Ctrl-C: one line, exit 130.

    Each command writes in one transaction (a rekey in several, and it is run again to finish), so the line holds
    whatever the instant: what it had not committed left nothing, and the same command again finishes it or says
    that it is already done."""
    stopped_by(command, "Ctrl-C (SIGINT)", 130)


def stopped_by(command: str, how: str, code: int) -> NoReturn:
    """A command stopped by a signal (Ctrl-C, SIGTERM): one line naming it and the signal, exit 128 plus the signal."""
    err.print(Text.assemble(("error:", "bold red"), f" {command} was stopped by {how}, exit {code}: what it had not "
                            "committed left nothing, what it had committed stands; run it again to finish it (it says so "
                            "when it is already done)"), highlight=False)  # fmt: skip
    raise typer.Exit(code)


class Terminated(BaseException):
    """SIGTERM, raised where the command was (not an Exception: no `except Exception` takes it for a failure), so its
    transaction rolls back and its writer lets go of the warehouse, as on Ctrl-C."""


@contextmanager
def raising_on_sigterm() -> Iterator[None]:
    """While a command runs, SIGTERM (`kill PID`, a scheduler stopping a job) raises Terminated in it instead of ending
    the process at once, which said nothing and left the command's name in the writer's lock file as a writer killed.
    A second SIGTERM ends the process as the signal does. `scr run`'s flow puts its own handler over this one."""

    def terminated(signum, frame) -> None:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        raise Terminated

    with on_sigterm(terminated):
        yield


_seen: Callable[[], set[int]] = set  # the last signals_seen block's drain; none yet: nothing seen


def signal_came(signum: int) -> bool:
    """Whether `signum` reached this process while the command ran (its signals_seen block). DuckDB runs a signal's
    handler while it executes a statement, loses what the handler raises and answers RuntimeError('Query
    interrupted'), which says nothing of which signal came: a Ctrl-C or a scheduler's SIGTERM."""
    return signum in _seen()


@contextmanager
def signals_seen() -> Iterator[None]:
    """While the block runs, the signals this process receives are noted by the interpreter's own C handler in a
    wakeup pipe (`signal.set_wakeup_fd`), whatever Python handler is installed: the command's own, or inside `scr
    run`'s flow Prefect's, which must stay as it is (a deployment's runner cancels a flow run only while it is
    installed). `signal_came` reads them, also once the block is over; the wakeup fd before the block is put back after
    it. Not in the main thread: nothing is seen."""
    global _seen
    read, write = os.pipe()
    os.set_blocking(read, False)
    os.set_blocking(write, False)
    try:
        before = signal.set_wakeup_fd(write, warn_on_full_buffer=False)
    except ValueError:
        os.close(read), os.close(write)
        _seen = set
        yield
        return
    got: set[int] = set()

    def seen() -> set[int]:
        try:
            while chunk := os.read(read, 512):
                got.update(chunk)
        except BlockingIOError:
            pass
        return got

    _seen = seen
    try:
        yield
    finally:
        signal.set_wakeup_fd(before)
        seen()  # what came stays readable after the block (the command's except clauses), until the next block opens
        _seen = lambda: got  # noqa: E731
        os.close(read), os.close(write)


_kept: list[BaseException] = []  # interrupts the interpreter would have lost (interrupts_kept), oldest first


def _an_interrupt(kind: type[BaseException] | None) -> bool:
    """A signal turned into an exception: Ctrl-C's KeyboardInterrupt, our SIGTERM's Terminated, or the termination signal
    Prefect's flow engine raises for a SIGTERM while a flow runs (prefect.exceptions.ExternalSignal, named, not imported:
    commands that run no flow do not import Prefect)."""
    if kind is None:
        return False
    if issubclass(kind, (KeyboardInterrupt, Terminated)):
        return True
    return any(c.__name__ == "ExternalSignal" and c.__module__ == "prefect.exceptions" for c in kind.__mro__)


@contextmanager
def interrupts_kept() -> Iterator[None]:
    """A Ctrl-C or a SIGTERM whose handler ran while this thread ran a finaliser or a weakref callback (importlib's
    module locks have one) is raised inside it, and the interpreter 'ignores' it: a traceback on stderr ("Exception
    ignored in: ... KeyboardInterrupt") and the command ran on to the end, exit 0 (seen on CI: `scr run` stopped by
    Ctrl-C completed the wave). While the block runs such an interrupt is kept instead, unprinted: `raise_kept` raises
    it where it is safe to stop (`scr run` does at each chunk written), `kept_interrupt` says whether one came and was
    never raised. Anything else unraisable goes to the hook there was."""
    before = sys.unraisablehook

    def keep(unraisable) -> None:
        if _an_interrupt(unraisable.exc_type):
            _kept.append(unraisable.exc_value if unraisable.exc_value is not None else unraisable.exc_type())
            return
        before(unraisable)

    _kept.clear()
    sys.unraisablehook = keep
    try:
        yield
    finally:
        sys.unraisablehook = before


def raise_kept() -> None:
    """Raise the interrupt `interrupts_kept` kept, if one came; only in the main thread, where the signal would have
    been raised (elsewhere it would stop a task, not the command)."""
    if _kept and threading.current_thread() is threading.main_thread():
        kept = _kept[0]
        _kept.clear()
        raise kept


def kept_interrupt() -> type[BaseException] | None:
    """The kind of interrupt `interrupts_kept` kept and nothing raised since (the command ran on to its end), or None."""
    return type(_kept[0]) if _kept else None


@contextmanager
def on_sigterm(handler: Callable[[int, object], None]) -> Iterator[None]:
    """`handler` for SIGTERM while the block runs, the one before it again after. Only the main thread may set a
    handler: called from another (a caller embedding the command), the caller's handler stands."""
    try:
        before = signal.signal(signal.SIGTERM, handler)
    except ValueError:
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, before)


def operator(by: str | None) -> str:
    """Who is acting: --by, else SCR_OPERATOR, else the login name; `--by ""` is bad usage, not the login name."""
    if by is not None and not by.strip():
        fail("--by is empty: say who makes this choice with --by NAME (or set SCR_OPERATOR)")
    from flows.settings import acting

    who = acting(by)
    if not who:
        fail("say who makes this choice with --by NAME (or set SCR_OPERATOR)")
    return who


def warehouse_path(option: Path | None) -> Path:
    """The warehouse named, else the settings' one, else the one `make demo` made (when only that exists); a folder is exit 2."""
    from flows.settings import get_settings

    path = option if option is not None else Path(os.environ["SCR_WAREHOUSE"]) if os.environ.get("SCR_WAREHOUSE") else None
    if path is None:
        path = get_settings().warehouse
        demo = Path("demo") / "scr.duckdb"
        if not path.exists() and demo.exists():
            err.print(f"[dim]using the demo warehouse {demo} (set SCR_WAREHOUSE or --warehouse for another)[/]", highlight=False)
            return demo
    owner = _warehouse_of_snapshot(path)
    if owner is not None:  # `scr snapshot -w` it made a snapshot of the snapshot, and wrote the warehouse's tables into it
        fail(f"{path} is the analysts' snapshot of a warehouse, not a warehouse: give the warehouse (--warehouse {owner}); "
             "every command finds its snapshot")  # fmt: skip
    if path.is_dir():
        fail(f"the warehouse {path} is a folder: give the DuckDB file (e.g. --warehouse {path / 'scr.duckdb'})")
    return path


def landing_path(option: Path | None, warehouse: Path | None = None) -> Path:
    """The landing zone named (--landing, SCR_LANDING, .env), else `landing`; where there is no such folder here, the one
    the warehouse's last run read, when it is still there (said on stderr, as the demo's warehouse is)."""
    from flows.settings import get_settings

    settings = get_settings()
    if option is not None:
        return option
    if "landing" in settings.model_fields_set or settings.landing.exists() or warehouse is None:
        return settings.landing
    last = _last_landing(warehouse)
    if last is None or not last.is_dir():
        return settings.landing
    err.print(Text(f"using the landing zone {shown(last)} the warehouse's last run read (set SCR_LANDING or --landing for another)",
                   style="dim"), highlight=False)  # fmt: skip
    return last


def _last_landing(warehouse: Path) -> Path | None:
    """The landing folder the warehouse's last run recorded, read from its snapshot (a writer may hold the warehouse), else
    from the warehouse read-only; None where neither answers."""
    import duckdb

    from warehouse.db import WarehouseBusy, WarehouseUnusable, connect
    from warehouse.reader import SnapshotMissing, last_landing, open_snapshot

    if not warehouse.is_file():
        return None
    for opening in (lambda: open_snapshot(warehouse), lambda: connect(warehouse, read_only=True)):
        try:
            con = opening()
        except (SnapshotMissing, WarehouseBusy, WarehouseUnusable, duckdb.Error, OSError):
            continue
        try:
            found = last_landing(con)
        except duckdb.Error:  # a warehouse from before pipeline_run had its summary
            found = None
        finally:
            con.close()
        if found is not None:
            return Path(found)
    return None


def _warehouse_of_snapshot(path: Path) -> Path | None:
    """The warehouse whose analysts' snapshot `path` is (its `<stem>.snapshot` folder, or the snapshot.duckdb in it, as the
    README shows them to analysts), else None. The warehouse is the file of that stem beside the folder (scr.duckdb)."""
    folder = path if path.is_dir() else path.parent if path.name == "snapshot.duckdb" else None
    if folder is None or not folder.name.endswith(".snapshot") or not (folder / "snapshot.duckdb").is_file():
        return None
    stem = folder.name.removesuffix(".snapshot")
    beside = sorted(p for p in folder.parent.iterdir() if p.is_file() and p.stem == stem and p.suffix)
    return beside[0] if beside else folder.parent / f"{stem}.duckdb"


def existing_warehouse(option: Path | None) -> Path:
    """The warehouse path, which must exist (exit 2 naming it otherwise)."""
    path = warehouse_path(option)
    if not path.exists():
        fail(f"no warehouse at {path}: run `scr run --landing DIR --warehouse {path}` first (or `make demo`)")
    return path


def unreadable_warehouse(path: Path, shown_above: bool = False, printed: str = "what is shown above is") -> str | None:
    """One line when the live warehouse file cannot be read (cut short, not DuckDB's: warehouse.db.damage), worded as
    DuckDB's own refusal is (warehouse.db.WarehouseUnusable): the path, why, what to do; None when it looks whole.

    `shown_above`: what the command printed came from the analysts' snapshot, which outlives the file it was published
    from (`scr status`, `scr practice`): the line says so, `printed` saying what that is ("what is shown above is"; a
    JSON has nothing above: "the facts given are from"). An empty file is refused by DuckDB itself (it makes a new
    database only where no file is), so every command says it in these words (QA, session 31)."""
    from warehouse.db import ENCRYPTED_FILE, damage

    reason = damage(path)
    above = f"; {printed} the analysts' snapshot as last published, not the warehouse now" if shown_above else ""
    if reason is None and shown_above:  # a whole DuckDB file, but maybe not the one the snapshot shown was published from
        from warehouse.reader import snapshot_against_file

        other, unpublished = snapshot_against_file(path)
        if unpublished:
            err.print(Text.assemble(("note:", "yellow"), " ", shown(unpublished)), highlight=False)
        if other:
            return (f"warehouse {path} is not what the analysts' snapshot was published from: {other}; {printed} "
                    "that snapshot, not this file: check --warehouse (or SCR_WAREHOUSE), or restore the warehouse's "
                    "file; if this file is meant, `scr snapshot` publishes its own")  # fmt: skip
    if reason is None:
        return None
    if reason.startswith("it is not a DuckDB"):
        todo = "check --warehouse (or SCR_WAREHOUSE): it names another kind of file"
    elif reason == ENCRYPTED_FILE:
        todo = "check --warehouse (or SCR_WAREHOUSE): it names another tool's file, or restore the warehouse from a backup"
    elif reason.startswith("it is empty"):
        todo = "restore the file from a backup, or remove it to start a new warehouse (runs and commands that write refuse it until then)"
    else:
        todo = "restore the file from a backup (runs and commands that write refuse it until then)"
    return f"warehouse {path} cannot be opened as a DuckDB database: {reason}{above}: {todo}"


def check_key(landing: Path, warehouse: Path, doing: str = "the run"):
    """The hash key of a command that reads landing files (a run, a sync retirement), refused before Prefect starts
    (exit 2) when missing or not the warehouse's: `doing` names what cannot start."""
    from rich.markup import escape

    from flows.hashkey import KeyMismatch, check_warehouse_key
    from flows.settings import HashKeyMissing, hash_key
    from warehouse.db import WarehouseBusy, WarehouseUnusable, connect
    from warehouse.schema import not_a_warehouse

    try:
        key = hash_key(landing)
        if warehouse.exists():
            problem = unreadable_warehouse(warehouse)
            if problem:  # DuckDB opens a file cut short and fails on the first table past the cut, mid-flow
                fail(f"{doing} cannot start: {problem}")
            try:
                with connect(warehouse, read_only=True) as con:
                    foreign = not_a_warehouse(con, warehouse)  # another tool's database: refused before Prefect starts
                    if foreign:
                        raise WarehouseUnusable(foreign)
                    check_warehouse_key(con, key, warehouse)
            except WarehouseBusy:
                pass  # another run holds it: this one waits for it, and its flow checks the key under the lock
    except (HashKeyMissing, KeyMismatch, WarehouseUnusable) as exc:
        fail(f"{doing} cannot start: {exc}")
    if key.origin.startswith("throwaway"):
        err.print(f"[yellow]note:[/] hashing with the {escape(key.origin)}: for synthetic data only", highlight=False)
    return key


def its_own_snapshot(path: Path) -> None:
    """Exit 2 when the analysts' snapshot beside the warehouse `path` was not published from that file (another warehouse's,
    a file holding no warehouse's tables, an older copy: warehouse.reader.not_its_snapshot): a command whose answer is
    that snapshot's (`scr query`, `shell`, `report`, `review export`) would answer for the other silently (QA, session
    33: a review export said "0 links await review" when 6 did). `scr status` and `scr practice` print the snapshot and
    say so after it (unreadable_warehouse)."""
    from warehouse.reader import not_its_snapshot
    from warehouse.snapshot import snapshot_taken

    other = not_its_snapshot(path)
    taken = snapshot_taken(path, read_id=True) if other else None
    if taken:  # `a.db` beside `a.duckdb`: `scr snapshot` would be refused too
        fail(f"warehouse {path} has no analysts' snapshot of its own: {taken}")
    if other:
        fail(f"warehouse {path} is not what the analysts' snapshot was published from: {other}; what it answers is that "
             "snapshot's, not this file's: check --warehouse (or SCR_WAREHOUSE), or restore the warehouse's file; if "
             "this file is meant, `scr snapshot` publishes its own")  # fmt: skip


def readable_warehouse(option: Path | None) -> Path:
    """The warehouse path, which must exist and be readable (exit 2 naming it otherwise): a command about to write it."""
    path = existing_warehouse(option)
    problem = unreadable_warehouse(path)
    if problem:
        fail(problem)
    return path


def foreign_file(path: Path) -> str | None:
    """One line when the file at `path` is no warehouse: not DuckDB's, cut short, encrypted (unreadable_warehouse), or
    another tool's database (warehouse.schema.not_a_warehouse), as a run and the commands that write say it; None for a
    warehouse, a new DuckDB database (no table: a run or `scr snapshot` makes it one), or a file a writer holds (it is
    never opened beside a run: the run's own check refused it, or it is a warehouse)."""
    problem = unreadable_warehouse(path)
    if problem or not path.is_file():
        return problem
    import duckdb

    from warehouse.db import WarehouseBusy, WarehouseUnusable, connect, writer_running
    from warehouse.schema import not_a_warehouse

    if writer_running(path):
        return None
    try:
        con = connect(path, read_only=True)
    except WarehouseUnusable as exc:
        return str(exc)
    except (WarehouseBusy, duckdb.Error, OSError):
        return None
    try:
        return not_a_warehouse(con, path)
    except duckdb.Error:
        return None
    finally:
        con.close()


def no_snapshot(path: Path, missing: Exception) -> NoReturn:
    """Exit 2 for a warehouse with no analysts' snapshot (warehouse.reader.SnapshotMissing): a file that is no warehouse
    is said as `scr snapshot` and `scr run` say it (foreign_file), not with the snapshot's advice to run `scr snapshot`,
    which refuses it (QA, session 33); a warehouse (or a new DuckDB file) gets that advice."""
    fail(foreign_file(path) or str(missing))


def not_under_a_file(path: Path, option: str = "--out") -> None:
    """Exit 2 when `path` would be made inside a file (`--out notes.txt/report.html`)."""
    above = next((a for a in path.parents if a.exists()), None)
    if above is not None and not above.is_dir():
        fail(f"{option} {path}: {above} is a file, not a folder")


def output_file(path: Path, option: str = "--out") -> Path:
    """A file a command is about to write: its folder made if missing; a folder, or a path through a file, is exit 2."""
    if path.is_dir():
        fail(f"{option} {path} is a folder: give a file name in it")
    not_under_a_file(path, option)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        fail(f"{option} {path}: cannot make its folder {path.parent} ({exc.strerror or exc})")
    return path


@contextmanager
def writing(option: Path | None) -> Iterator:
    """The warehouse's single writer connection for a command, tables ensured; a busy warehouse is exit 2."""
    from flows.settings import get_settings
    from flows.snapshot_hook import publish_snapshot
    from warehouse.db import WarehouseBusy, WarehouseUnusable, transaction, writer
    from warehouse.schema import create_all

    from warehouse.snapshot import snapshot_taken

    path = existing_warehouse(option)
    problem = foreign_file(path)  # before the writer's lock file is made beside another tool's database (QA, session 33)
    if problem:
        fail(problem)
    taken = snapshot_taken(path, read_id=True)  # its publish would be refused: said before anything is written
    if taken:
        fail(taken)
    try:
        with writer(path, get_settings().wait_seconds, on_wait=waiting, on_stale=taking_over) as con:
            with transaction(con):
                create_all(con)
            try:
                yield con
            except typer.Exit:
                # refused (or bad usage): this command committed nothing, but the same command killed after its commit
                # and before this publish is refused when run again (a rollback never goes back twice): the analysts'
                # snapshot, which `scr status` and `scr practice` read, would go on showing the state before it
                publish_snapshot(con, path)
                raise
            publish_snapshot(con, path)  # the command committed: analysts see it
    except (WarehouseBusy, WarehouseUnusable) as exc:
        not_taken(exc, path)
    except Exception as exc:
        unwritable(exc, path)
        raise


@contextmanager
def reading(option: Path | None) -> Iterator:
    """A read-only connection for a command that only reads: the analysts' snapshot, as `scr status` and `scr query`
    read it, so it answers while a writer (a wave) holds the warehouse and never holds up one; the live file, read-only,
    only where no whole snapshot was published yet (a warehouse from before snapshots: then a busy one is exit 2)."""
    from warehouse.db import WarehouseBusy, WarehouseUnusable, connect
    from warehouse.reader import SnapshotBusy, SnapshotMissing, open_snapshot
    from warehouse.schema import holds_a_warehouse, not_a_warehouse

    path = existing_warehouse(option)
    try:
        con = open_snapshot(path)
    except SnapshotBusy as exc:  # held read-write by another process, and not copied: one line, as a busy warehouse
        fail(str(exc))
    except SnapshotMissing as missing:
        problem = unreadable_warehouse(path)  # not DuckDB's, cut short: said as `scr snapshot` says it (QA, session 33)
        if problem:
            fail(problem)
        try:
            con = connect(path, read_only=True)
        except WarehouseBusy as exc:
            # a run publishes one as it starts; `scr snapshot` would only queue behind the writer (found by QA, session 29)
            fail(f"{exc}; it has no analysts' snapshot to read meanwhile: a run publishes one once it has planned its "
                 "practices, so try again in a moment (with no run, `scr snapshot` publishes one)")
        except WarehouseUnusable as exc:
            fail(str(exc))
        # another tool's database, or a new one with no table: the commands read tables it does not hold (a traceback)
        problem = not_a_warehouse(con, path) or (None if holds_a_warehouse(con) else str(missing))
        if problem:
            con.close()
            fail(problem)
    try:
        yield con
    finally:
        con.close()


def waiting(message: str) -> None:
    """A writer's `on_wait`: whom the command waits for (text, never markup: it names paths and commands)."""
    err.print(Text(message, style="yellow"), highlight=False)


def taking_over(message: str) -> None:
    """A writer's `on_stale`: the last holder was killed and this command takes over."""
    waiting(f"note: {message}")


# wider than any row: a console this wide prints a table as wide as its content (a table never pads to the console)
_UNBOUNDED = 1_000_000


def print_table(table: Table) -> None:
    """A table on stdout. On a terminal it fits the terminal's width, a cell too wide folding onto more lines (the
    commands' columns fold: nothing is cut). Piped or redirected (not a terminal) it is as wide as its content, one
    line per row, whatever COLUMNS or the terminal's width say: a file gets every row whole (`--format csv` for data)."""
    if out.is_terminal:
        out.print(table)
        return
    # not `out.print(table, width=...)`: Rich caps that at the console's width (80, or COLUMNS, when not a terminal)
    _Output(file=out.file, width=_UNBOUNDED, soft_wrap=True, color_system=None, highlight=False).print(table)


def cell(value: object) -> Text:
    """A table cell from the data: text, never markup, its control characters shown as codes."""
    return Text("" if value is None else shown(value))


def unwritable(exc: BaseException, path: Path, after: str = "a transaction that did not commit left nothing behind") -> None:
    """Exit 2 with one line naming the file when `exc` is a write that failed at the storage (disk full, a file size
    limit, a read-only folder); returns for any other error, which goes on as it is."""
    from warehouse.db import storage_failure

    reason = storage_failure(exc)
    if reason is not None:
        fail(f"writing the warehouse {path} failed: {reason}; {after} (free space, lift the limit, or make the folder and the file writable, then run the command again)")


def not_taken(exc: BaseException, path: Path, after: str = "nothing was written") -> NoReturn:
    """Exit 2 for a warehouse a command that writes could not take (warehouse.db.WarehouseBusy, WarehouseUnusable). A
    file the storage will not let it open for writing (a read-only file: EPERM, EACCES) is said as every write the
    storage refused is (`unwritable`), not as a file DuckDB cannot read ("cannot be opened as a DuckDB database", QA,
    session 33); anything else in the error's own words."""
    unwritable(exc, path, after)
    fail(str(exc))


def registry_of(landing: Path):
    """practices.json of a landing zone, or exit 2 saying what is wrong with it."""
    from landing import BadInput, read_registry

    if not landing.is_dir():
        fail(f"no landing zone at {landing} (--landing DIR or SCR_LANDING)")
    try:
        return read_registry(landing)
    except BadInput as exc:
        inner = landing / "landing"  # the folder `scr generate -o DIR` wrote, named instead of its DIR/landing
        hint = f" ({inner} is one: --landing {inner})" if not (landing / "practices.json").exists() and (inner / "practices.json").is_file() else ""
        fail(f"the landing zone {landing} cannot be used: {exc}{hint}")


def unknown_practices(unknown: list[str], where: str, known: list[str] | None = None) -> NoReturn:
    """Exit 2 naming practices no one knows, worded as every command words it (and flows.operations.practice_row):
    each id as typed, quoted, so a stray space or control character shows; the known id it was likely meant as."""
    near = did_you_mean(unknown, known or [])
    fail(f"unknown {'practice' if len(unknown) == 1 else 'practices'} {', '.join(map(repr, unknown))}: not in {where}{near}")


def check_practices(known: list[str], asked: list[str] | None, where: str) -> None:
    """Every asked practice is known, or exit 2 naming the unknown ones."""
    unknown = sorted(set(asked or []) - set(known))
    if unknown:
        unknown_practices(unknown, where, known)
