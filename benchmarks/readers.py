"""Reading benchmark: a generated zone read as a wave reads it (flows.journey.extract on chunks of practices,
on one or two threads), records per second and peak memory, best of N runs each in a fresh process.

"cpu s" is the reading process's own CPU time: the parse pool's workers (landing/pool.py, off unless
SCR_PARSE_PROCESSES is set; `--pool` compares sizes) are not in it; their memory is in "peak RSS" (the
process's peak plus each worker's).

    .venv/bin/python -m benchmarks.readers --practices 200            # ~25k records
    .venv/bin/python -m benchmarks.readers --practices 1000           # ~125k records
    .venv/bin/python -m benchmarks.readers --practices 200 --code /tmp/main-export   # "before": another tree's code

Not a test: nothing here asserts a time. The machine is shared, so each figure is the best of `--repeat` runs.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

app = typer.Typer(add_completion=False)
console = Console(width=120)
BENCH_KEY = "readers-benchmark-throwaway-key-0123456789"


def _status_mb(field: str) -> float:
    """A memory figure of this process from /proc/self/status, in MB (VmHWM: peak RSS since exec)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return round(int(line.split()[1]) / 1024, 1)
    raise RuntimeError(f"{field} not in /proc/self/status")


def _workers_peak_mb() -> float:
    """Peak RSS of the parse pool's workers added up, in MB (0 with code that has no pool)."""
    try:
        from landing import pool
    except ImportError:
        return 0.0
    total = 0.0
    for pid in pool.worker_pids():
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                total += int(line.split()[1]) / 1024
    return round(total, 1)


def _start_pool() -> float:
    """Start the parse pool's workers before the clock starts (a wave starts them once, at its first large
    chunk); returns how long that took."""
    try:
        from landing import pool
    except ImportError:
        return 0.0
    t0 = time.perf_counter()
    pool.run(abs, list(range(pool.processes())))
    return round(time.perf_counter() - t0, 2)


def _once(landing: Path, chunk: int, threads: int) -> dict:
    """One timed read of the whole zone, in this (fresh) process."""
    import logging
    from concurrent.futures import ThreadPoolExecutor

    import polars as pl

    from flows.journey import extract
    from landing import HashKey, read_registry, registry_problems

    logging.disable(logging.WARNING)
    registry = read_registry(landing)
    problems = registry_problems(landing, registry)
    practices = registry.filter(~pl.col("practice_id").is_in(list(problems)))
    parts = [practices.slice(i, chunk) for i in range(0, practices.height, chunk)]
    key = HashKey(BENCH_KEY, "benchmark")
    started = _start_pool()
    rss0 = _status_mb("VmRSS")
    wall, cpu = time.perf_counter(), time.process_time()
    with ThreadPoolExecutor(max_workers=threads) as pool:
        results = list(pool.map(lambda part: extract(landing, part, key, quiet=True), parts))
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    records = sum(frames.client.height for frames, _ in results)
    failed = sum(len(f) for _, f in results)
    workers = _workers_peak_mb()
    # peak of this process plus its parse workers' peaks: at most what the tree held at once
    return {"records": records, "failed": failed, "practices": practices.height, "wall_s": round(wall, 3),
            "cpu_s": round(cpu, 3), "peak_rss_mb": round(_status_mb("VmHWM") + workers, 1), "rss_before_mb": rss0,
            "workers_peak_rss_mb": workers, "pool_start_s": started}  # fmt: skip


def _worker(landing: str, chunks: list[tuple[int, int]], barrier, results) -> None:
    """A spawned reader process: imports first, then waits for the others, then reads its chunks."""
    import logging

    import polars as pl

    from flows.journey import extract
    from landing import HashKey, read_registry

    logging.disable(logging.WARNING)
    registry = read_registry(Path(landing))
    key = HashKey(BENCH_KEY, "benchmark")
    barrier.wait()
    wall, cpu, records = time.perf_counter(), time.process_time(), 0
    for offset, length in chunks:
        frames, _ = extract(Path(landing), registry.slice(offset, length).filter(pl.col("practice_id").is_not_null()), key, quiet=True)
        records += frames.client.height
    results.put({"records": records, "wall_s": time.perf_counter() - wall, "cpu_s": time.process_time() - cpu,
                 "peak_rss_mb": _status_mb("VmHWM")})  # fmt: skip


def _processes(landing: Path, chunk: int, n: int) -> dict:
    """The zone's chunks dealt round-robin to `n` spawned processes reading at once (as a process task runner
    would run chunk tasks); wall time from the moment all have imported their modules."""
    import multiprocessing

    from landing import read_registry

    ctx = multiprocessing.get_context("spawn")
    height = read_registry(landing).height
    chunks = [(i, chunk) for i in range(0, height, chunk)]
    barrier, results = ctx.Barrier(n + 1), ctx.Queue()
    # daemonic, as Dask's worker processes are: each parses in its own thread, without a parse pool
    procs = [ctx.Process(target=_worker, args=(str(landing), chunks[k::n], barrier, results), daemon=True) for k in range(n)]
    for proc in procs:
        proc.start()
    barrier.wait()
    wall = time.perf_counter()
    runs = [results.get() for _ in procs]
    wall = time.perf_counter() - wall
    for proc in procs:
        proc.join()
    return {"records": sum(r["records"] for r in runs), "failed": 0, "practices": height, "wall_s": round(wall, 3),
            "cpu_s": round(sum(r["cpu_s"] for r in runs), 3), "rss_before_mb": _status_mb("VmHWM"),
            # the processes' peaks added up (and this parent's): at most what the tree held at once
            "peak_rss_mb": round(sum(r["peak_rss_mb"] for r in runs) + _status_mb("VmHWM"), 1)}  # fmt: skip


def _run(landing: Path, chunk: int, threads: int, code: Path | None, processes: int, env: dict[str, str]) -> dict:
    """One run in a fresh interpreter (its own peak RSS), reading with this tree's packages or those under `code`."""
    here = str(Path(__file__).resolve().parents[1])
    script = (
        f"import sys, json; sys.path.insert(0, {here!r}); import benchmarks.readers as b; "
        + (f"sys.path.insert(0, {str(code)!r}); " if code else "")  # flows and landing are imported after this
        + (f"print(json.dumps(b._processes(__import__('pathlib').Path({str(landing)!r}), {chunk}, {processes})))"
           if processes else
           f"print(json.dumps(b._once(__import__('pathlib').Path({str(landing)!r}), {chunk}, {threads})))")
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=False,
                          env={**os.environ, **env})
    if done.returncode:
        raise RuntimeError(done.stderr[-2000:])
    return json.loads(done.stdout.strip().splitlines()[-1])


def _zone(practices: int, seed: int, keep: Path | None) -> Path:
    from synthetic import generate_zone

    out = keep or Path(tempfile.mkdtemp(prefix="bench-readers-"))
    marker = out / "bench-readers.json"
    want = {"practices": practices, "seed": seed}
    if not (marker.is_file() and json.loads(marker.read_text()) == want):
        summary = generate_zone(out, practices, seed)
        marker.write_text(json.dumps(want))
        console.print(f"generated {summary['records']:,} records in {practices} practices under {out}")
    return out / "landing"


@app.command()
def main(
    practices: int = typer.Option(200, help="practices in the generated zone (200 ~ 25k records)"),
    seed: int = typer.Option(11, help="generator seed"),
    chunk: int = typer.Option(50, help="practices per extract call, as SCR_CHUNK_PRACTICES"),
    threads: list[int] = typer.Option([1, 2], help="reading threads (repeatable)"),
    pool: list[int] = typer.Option([2, 0], help="parse pool sizes to compare, SCR_PARSE_PROCESSES (repeatable)"),
    processes: list[int] = typer.Option([], help="also read in this many processes at once, no pool (repeatable)"),
    repeat: int = typer.Option(3, help="runs per figure; the best is reported"),
    keep: Path | None = typer.Option(None, help="zone folder to keep and reuse between invocations"),
    code: Path | None = typer.Option(None, help="read with the packages under this folder (e.g. an export of main)"),
    out: Path | None = typer.Option(None, help="also write the figures as JSON here"),
) -> None:
    """Time reading a generated zone; print records/s, µs per record and peak RSS, best of `repeat`.

    The variants run interleaved (each repeat runs every variant once), so a busy moment hits them alike."""
    landing = _zone(practices, seed, keep)
    variants = [(f"{t} thread{'s' if t > 1 else ''}, pool {p}", t, 0, {"SCR_PARSE_PROCESSES": str(p)})
                for t in threads for p in (pool if not code else [0])]  # fmt: skip
    variants += [(f"{n} processes", 1, n, {"SCR_PARSE_PROCESSES": "0"}) for n in processes if n]
    runs: dict[str, list[dict]] = {label: [] for label, *_ in variants}
    for _ in range(repeat):
        for label, t, n, env in variants:
            runs[label].append(_run(landing, chunk, t, code, n, env))
    table = Table(title=f"reading {practices} practices, chunks of {chunk}" + (f", code from {code}" if code else ""))
    for col in ("readers", "records", "best wall s", "µs/record", "records/s", "cpu s", "peak RSS MB", "runs (wall s)"):
        table.add_column(col, justify="right")
    figures = []
    for label, *_ in variants:
        best = min(runs[label], key=lambda r: r["wall_s"])
        peak = max(r["peak_rss_mb"] for r in runs[label])
        figures.append({"readers": label, "best": best, "runs": runs[label], "peak_rss_mb": peak})
        table.add_row(label, f"{best['records']:,}", f"{best['wall_s']:.2f}", f"{best['wall_s'] / best['records'] * 1e6:.1f}",
                      f"{best['records'] / best['wall_s']:,.0f}", f"{best['cpu_s']:.2f}", f"{peak:,.0f}",
                      " ".join(f"{r['wall_s']:.2f}" for r in runs[label]))  # fmt: skip
    console.print(table)
    starts = [r.get("pool_start_s", 0.0) for f in figures for r in f["runs"]]
    if any(starts):
        console.print(f"parse pool start-up, before the clock (once per process): {min(s for s in starts if s):.1f}"
                      f"-{max(starts):.1f} s")  # fmt: skip
    if out:
        out.write_text(json.dumps({"practices": practices, "seed": seed, "chunk": chunk, "figures": figures}, indent=1))


if __name__ == "__main__":
    app()
