"""Analysts' commands: `scr query`, `scr shell`, `scr status`, `scr report` read the snapshot; `scr snapshot` publishes it.

They run no flow and never import Prefect: they answer in a second, and while a wave holds the
warehouse, because they read the analysts' snapshot (warehouse.snapshot), never the live file.
Exit codes: 0 done; 1 refused (a query DuckDB rejects); 2 bad usage or environment (no snapshot yet).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from flows.cli_common import (
    Practices, Warehouse, cell, fail, out, output_file, plural, print_table, refuse, warehouse_path, writing,
    unknown_practices, existing_warehouse, its_own_snapshot, no_snapshot, shown, unreadable_warehouse, verb, waiting,
)

__all__ = ["query", "shell", "status", "report", "snapshot", "print_status"]


FORMATS = ("table", "csv", "json")  # --format: checked by the command, worded as --runner's and --corruption's


def _snapshot(warehouse: Path | None, its_own: bool = True):
    """A read-only connection to the snapshot; exit 2 when there is none yet, or (`its_own`) when it was not published
    from the warehouse file now there (`scr status` says that after what it shows)."""
    from warehouse.reader import SnapshotBusy, SnapshotMissing, open_snapshot

    path = existing_warehouse(warehouse)  # no warehouse at all: the words every command says
    try:
        con = open_snapshot(path)
    except SnapshotBusy as exc:  # held read-write by another process, and not copied: one line, as a busy warehouse
        fail(str(exc))
    except SnapshotMissing as exc:
        no_snapshot(path, exc)
    if its_own:
        try:
            its_own_snapshot(path)
        except BaseException:
            con.close()
            raise
    return con


def _flat(frame):
    """Nested columns (lists, structs) as text, for CSV and the terminal."""
    import polars as pl

    nested = [c for c, t in frame.schema.items() if t.is_nested()]
    # {"name":value} as JSON, less its wrapping: the value's own JSON text
    return frame.with_columns(
        pl.struct(c).struct.json_encode().str.slice(len(json.dumps(c)) + 2).str.head(-1).alias(c) for c in nested
    )


def _print_table(frame, max_rows: int) -> None:
    table = Table(show_lines=False)
    for c in frame.columns:
        table.add_column(c, overflow="fold", justify="right" if frame.schema[c].is_numeric() else "left")
    for row in _flat(frame.head(max_rows)).iter_rows():  # terminal output, bounded by max_rows
        table.add_row(*(cell(v) for v in row))  # data, never markup nor terminal controls
    print_table(table)
    more = frame.height - max_rows
    out.print(f"{frame.height} rows" + (f" ({more} not shown: use --max-rows or --format csv)" if more > 0 else ""))


def query(
    sql: Annotated[str, typer.Argument(metavar="SQL", help="SQL over the snapshot: the warehouse's tables and the analysts' views")],
    warehouse: Warehouse = None,
    fmt: Annotated[str, typer.Option("--format", "-f", metavar="table|csv|json", help="how to print the answer")] = "table",
    max_rows: Annotated[int, typer.Option("--max-rows", metavar="N", min=1, help="rows shown in table format")] = 1000,
) -> None:
    """Answer SQL from the analysts' snapshot (works while a wave runs)."""
    if fmt not in FORMATS:  # before the snapshot is opened: a mistyped format costs nothing
        fail(f"--format {fmt!r}: use table, csv or json")
    if not sql.strip():  # as a missing SQL argument is: bad usage, not a query refused
        fail('no SQL given: scr query "select * from migration_progress"')
    import duckdb

    from warehouse.reader import QueryRefused, answer

    con = _snapshot(warehouse)
    try:
        frame = answer(con, sql)
    except duckdb.ParserException as exc:  # not SQL at all: bad usage (2), as a missing argument is (QA, session 29)
        fail(f"query is not valid SQL: {exc}")
    except (duckdb.Error, QueryRefused) as exc:
        refuse(f"query refused: {exc}")
    finally:
        con.close()
    if frame is None:
        out.print("done (no rows returned)")
    elif fmt == "csv":
        from landing.spreadsheet import escape_frame

        text = _flat(escape_frame(frame)).write_csv()
        # on a terminal, a cell's control characters as codes: raw, ESC sequences retitle the window, clear the screen
        # (found by QA, session 29); into a file or a pipe the data as it is
        sys.stdout.write(shown(text) if _terminal() else text)
    elif fmt == "json":  # times as the CSV writes them (ISO 8601, `T`), not Polars' JSON's "2026-12-04 22:54:22"
        import polars as pl

        sys.stdout.write(frame.with_columns(pl.col(pl.Datetime).dt.to_string("%Y-%m-%dT%H:%M:%S%.6f")).write_json() + "\n")
    else:
        _print_table(frame, max_rows)


def _terminal() -> bool:
    return sys.stdout.isatty()


def shell(warehouse: Warehouse = None) -> None:
    """Open the snapshot read-only in the DuckDB CLI, or in a Python REPL (with `con`) where the CLI is not installed."""
    from warehouse.reader import private_copy
    from warehouse.snapshot import snapshot_path

    con = _snapshot(warehouse)  # exits 2 when there is no snapshot
    path = snapshot_path(warehouse_path(warehouse))
    cli = shutil.which("duckdb")
    if private_copy(con):  # the CLI could not open the file: another process holds it read-write (QA9)
        waiting(f"note: {path} is held read-write by another session (opened without read-only), which keeps the DuckDB "
                "CLI out: opening Python on a private copy of it instead")
    elif cli and _reads_the_snapshot(cli):
        con.close()
        os.execv(cli, [cli, "-readonly", str(path)])
    import code

    import polars as pl

    banner = (
        f"analysts' snapshot {path} (read-only)\n"
        "  con.sql('select * from migration_progress').pl()   # a Polars frame\n"
        "  views: migration_progress wave_summary review_queue quality_failures merge_summary practice_timeline "
        "sync_retirement_status\n  reconnect (duckdb.connect(path, read_only=True)) to see later publishes; exit() to leave"
    )
    import duckdb

    code.interact(banner=banner, local={"con": con, "duckdb": duckdb, "pl": pl, "path": str(path)}, exitmsg="")


def _reads_the_snapshot(cli: str) -> bool:
    """Whether this DuckDB CLI can open the snapshot (the release of warehouse.snapshot.STORAGE_VERSION or later); if
    not, or if it does not say its version, the user is told so and gets Python instead."""
    from warehouse.snapshot import STORAGE_VERSION

    def release(text: str) -> re.Match | None:
        return re.search(r"v?(\d+)\.(\d+)\.(\d+)", text)

    try:
        said = subprocess.run([cli, "--version"], capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        said = ""
    version, needed = release(said), release(STORAGE_VERSION)
    if version and tuple(map(int, version.groups())) >= tuple(map(int, needed.groups())):
        return True
    shown_version = f"is version {version.group(0)}" if version else "did not say its version"
    waiting(f"note: the DuckDB CLI at {cli} {shown_version}; the snapshot needs DuckDB {needed.group(1)}.{needed.group(2)} or "
            "later: opening Python instead")
    return False


def print_status(warehouse: Path, only: list[str] | None = None, every: bool = False) -> None:
    """Migration progress from the snapshot: the funnel, the report's headline figures, and practices on request."""
    import polars as pl

    from transforms import report_data as rd
    from warehouse.reader import latest_run, practice_statuses, read_views, snapshot_info

    con = _snapshot(warehouse, its_own=False)  # said after the figures (unreadable_warehouse)
    try:
        info = snapshot_info(con)
        views = read_views(con, ["migration_progress", "merge_summary", "review_queue", "wave_summary", "failure_reasons",
                                 "quality_failures"])  # fmt: skip
        everyone = practice_statuses(con)
        latest = latest_run(con)
    finally:
        con.close()
    known = everyone["practice_id"].to_list()
    unknown = sorted(set(only or []) - set(known))
    if unknown:  # an unknown practice is bad usage (exit 2), as on every other command
        unknown_practices(unknown, f"the analysts' snapshot of {warehouse}", known)
    practices = everyone.filter(pl.col("practice_id").is_in(only)) if only else everyone
    head = rd.headline(views["migration_progress"], views["merge_summary"], views["review_queue"], views["wave_summary"])
    if only:
        counts = practices.group_by("status").len().rename({"len": "practices"})
        views["migration_progress"] = counts.with_columns(source_records=0)
    funnel = rd.funnel(views["migration_progress"])
    table = Table(title=Text(f"migration progress: {warehouse}"), title_justify="left")
    for col, justify in (("status", "left"), ("practices", "right"), ("share", "right")):
        table.add_column(col, justify=justify, overflow="fold")
    for status, n, share in funnel.iter_rows():
        table.add_row(status, str(n), f"{share:.1%}")
    table.add_row("[bold]total", f"[bold]{funnel['practices'].sum()}", "")
    print_table(table)
    out.print(f"snapshot {info.get('generation')} published {info.get('published_at')}", highlight=False)
    if not only:
        _print_headline(head, views, latest, warehouse)
    if every or only:
        detail = Table()
        for col in ("practice_id", "status", "detail"):
            detail.add_column(col, overflow="fold")
        for pid, status, text in practices.iter_rows():
            detail.add_row(cell(pid), cell(status), cell(text))
        print_table(detail)


_UNNAMED_SHOWN = 5  # rows of practices.json naming no practice, said one a line; the rest counted


def _stale_run(warehouse: Path, last: dict | None) -> bool:
    """A last run the snapshot shows as running whose process is gone: no process on this machine holds the warehouse."""
    from warehouse.db import writer_running

    return bool(last and last["status"] == "running" and writer_running(warehouse) is False)


def _ended(warehouse: Path, run_id: str) -> str:
    """How a run the snapshot shows running, whose process is gone, ended: as the warehouse file records it, read
    read-only at once (QA9 F6: killed during its last publish, it had committed its end, and `scr status` said the
    next run would record it interrupted); where the file records it running, interrupted, as the next run records it."""
    from warehouse.reader import recorded_run_status

    recorded = recorded_run_status(warehouse, run_id)
    if recorded == "running":
        return "interrupted, its process ended without finishing it; the next run records it as interrupted"
    if recorded is None:  # the file could not be read at once (a writer starting holds it): what the snapshot shows
        return ("interrupted as far as the analysts' snapshot shows, its process ended; the next run records it as "
                "interrupted unless it had recorded its end")  # fmt: skip
    return (f"{recorded} as the warehouse records it, its process ended before the analysts' snapshot showed that; "
            f"`scr snapshot --warehouse {warehouse}` publishes it")  # fmt: skip


def _print_headline(head: dict, views: dict, latest: dict | None = None, warehouse: Path | None = None) -> None:
    """The headline figures and the last run: wave_summary's (with its practices) unless a later run is on record
    whose practices the snapshot does not hold; a run the snapshot shows running whose process is gone is
    shown interrupted (`warehouse` given: this machine's lock table is asked)."""
    from rich.markup import escape

    from transforms import report_data as rd

    out.print(
        f"complete: [bold]{head['share_complete']:.1%}[/] of {plural(head['practices'], 'practice')}; "
        f"{plural(head['source_records'], 'source record')} read; {plural(head['unified_clients'], 'unified client')}; "
        f"{plural(head['pending_links'], 'link')} {verb(head['pending_links'], 'awaits', 'await')} review in "
        f"{plural(head['practices_with_pending_links'], 'practice')}", highlight=False,
    )  # fmt: skip
    def _stale(run: dict) -> bool:
        return warehouse is not None and _stale_run(warehouse, run)

    last = head["last_run"]
    error = f"; {latest['error']}" if latest and latest["error"] else ""
    failed = head["by_status"].get("failed", 0)
    if latest and (not last or latest["run_id"] != last["run_id"]):  # none of its practices published (yet)
        status, tail = latest["status"] + error, "no practice of it in the snapshot"
        if latest["status"] == "running":
            if _stale(latest):
                status = _ended(warehouse, latest["run_id"])
            else:
                tail += " yet"
        elif latest["status"] == "completed":  # it ended, and took none (QA9: not "no practice of it in the snapshot")
            tail = "0 practices taken" + (f"; {failed} failed, not taken by it" if failed else "")
        out.print(escape(f"last run {latest['run_id']} ({latest['kind']}, {status}): {tail}"), highlight=False)
    elif last:
        # a running run says no more than that: "(wave, running, still running)" said it twice (QA9)
        status = last["status"] + error + (f", in {last['duration_seconds']:.1f} s" if last["duration_seconds"] is not None else "")
        if _stale(last):  # the row says running, but its process ended without finishing (killed, out of disk or memory)
            status = _ended(warehouse, last["run_id"])
        # the line counts the practices the run took; the funnel's other failures (a registry row's problem, a folder
        # not in it, an earlier run's) are said beside it: "0 failed" under a funnel of failures read as a contradiction (QA7)
        others = failed - last["failed"]
        out.print(escape(
            f"last run {last['run_id']} ({last['kind']}, {status}): {plural(last['planned'], 'practice')} taken: "
            f"{last['complete']} complete, {last['in_review']} in review, {last['blocked']} blocked, {last['failed']} failed"
            + (f"; {others} more failed, not taken by it" if others > 0 else "") + "; "
            f"{plural(last['records_in'], 'record')} in, {plural(last['unified_clients_out'], 'unified client')} out"), highlight=False,
        )  # fmt: skip
    unnamed = (latest or {}).get("unnamed_rows") or []  # the registry's problem, no practice's: not in the funnel
    for line in unnamed[:_UNNAMED_SHOWN]:
        row = " (no practice is read from it: fix or remove the row)" if line.startswith("practices.json") else ""  # not a folder's
        out.print(f"registry problem: {line}{row}", highlight=False, markup=False)
    if len(unnamed) > _UNNAMED_SHOWN:
        out.print(f"registry problem: no practice is read from {plural(len(unnamed) - _UNNAMED_SHOWN, 'more row')} of "
                  "practices.json", highlight=False, markup=False)
    for title, frame in (("top failure reasons", rd.top_failures(views["failure_reasons"], 3)),
                         ("quality failures", rd.quality_summary(views["quality_failures"], 3))):  # fmt: skip
        for row in frame.iter_rows():
            out.print(f"{title}: {row[0]} ({plural(row[1], 'practice')})", highlight=False, markup=False)


def status(
    warehouse: Warehouse = None,
    all_: Annotated[bool, typer.Option("--all", "-a", help="list every practice with its detail")] = False,
    practice: Practices = None,
) -> None:
    """Print migration progress from the analysts' snapshot: the funnel and headline figures (works while a wave runs)."""
    path = warehouse_path(warehouse)
    print_status(path, only=practice, every=all_)
    problem = unreadable_warehouse(path, shown_above=True)  # the snapshot outlives the file: never "all is well" alone
    if problem:
        fail(problem)
    if not all_ and not practice:
        out.print("[dim]each practice with its detail: scr status --all, or scr practice ID[/]", highlight=False)


def report(
    warehouse: Warehouse = None,
    out_file: Annotated[Path, typer.Option("--out", "-o", metavar="FILE", help="HTML file to write")] = Path("report.html"),
) -> None:
    """Write the visual progress report: one self-contained HTML page that opens offline."""
    from flows.report import build_report
    from warehouse.reader import read_views, snapshot_info

    con = _snapshot(warehouse)
    try:
        views, info = read_views(con), snapshot_info(con)
    finally:
        con.close()
    output_file(out_file)
    try:
        build_report(views, info, out_file)
    except OSError as exc:
        fail(f"cannot write the report {out_file}: {exc.strerror or exc}")
    out.print(Text.assemble("report written: ", (str(out_file), "bold")), highlight=False)


def snapshot(warehouse: Warehouse = None) -> None:
    """Publish the analysts' snapshot now (a warehouse from before snapshots, or one whose snapshot folder was lost)."""
    from warehouse.snapshot import publish

    with writing(warehouse) as con:
        done = publish(con, warehouse_path(warehouse))
    out.print(f"snapshot {done['generation']} published: {done['snapshot']} ({done['files_written']} files written)", highlight=False,
              markup=False)  # fmt: skip
