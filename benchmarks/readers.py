"""Reading benchmark: a generated zone read as a wave reads it (flows.journey.extract on chunks of practices,
on one or two threads), records per second and peak memory, best of N runs each in a fresh process.

    .venv/bin/python -m benchmarks.readers --practices 200            # ~25k records
    .venv/bin/python -m benchmarks.readers --practices 1000           # ~125k records
    .venv/bin/python -m benchmarks.readers --practices 200 --code /tmp/main-export   # "before": another tree's code

Not a test: nothing here asserts a time. The machine is shared, so each figure is the best of `--repeat` runs.
"""

from __future__ import annotations

import json
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


def _children_peak_mb() -> float:
    """Peak RSS of this process's waited-for children (worker processes), in MB."""
    import resource

    return round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1)


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
    rss0 = _status_mb("VmRSS")
    wall, cpu = time.perf_counter(), time.process_time()
    with ThreadPoolExecutor(max_workers=threads) as pool:
        results = list(pool.map(lambda part: extract(landing, part, key, quiet=True), parts))
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    records = sum(frames.client.height for frames, _ in results)
    failed = sum(len(f) for _, f in results)
    return {"records": records, "failed": failed, "practices": practices.height, "wall_s": round(wall, 3),
            "cpu_s": round(cpu, 3), "peak_rss_mb": _status_mb("VmHWM"), "rss_before_mb": rss0,
            "children_peak_rss_mb": _children_peak_mb()}  # fmt: skip


def _run(landing: Path, chunk: int, threads: int, code: Path | None) -> dict:
    """One run in a fresh interpreter (its own peak RSS), reading with this tree's packages or those under `code`."""
    here = str(Path(__file__).resolve().parents[1])
    script = (
        f"import sys, json; sys.path.insert(0, {here!r}); import benchmarks.readers as b; "
        + (f"sys.path.insert(0, {str(code)!r}); " if code else "")  # flows and landing are imported after this
        + f"print(json.dumps(b._once(__import__('pathlib').Path({str(landing)!r}), {chunk}, {threads})))"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=False)
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
    threads: list[int] = typer.Option([1, 2], help="reading threads (repeat the option for several)"),
    repeat: int = typer.Option(3, help="runs per figure; the best is reported"),
    keep: Path | None = typer.Option(None, help="zone folder to keep and reuse between invocations"),
    code: Path | None = typer.Option(None, help="read with the packages under this folder (e.g. an export of main)"),
    out: Path | None = typer.Option(None, help="also write the figures as JSON here"),
) -> None:
    """Time reading a generated zone; print records/s, µs per record and peak RSS, best of `repeat`."""
    landing = _zone(practices, seed, keep)
    table = Table(title=f"reading {practices} practices, chunks of {chunk}" + (f", code from {code}" if code else ""))
    for col in ("threads", "records", "best wall s", "µs/record", "records/s", "cpu s", "peak RSS MB", "runs (wall s)"):
        table.add_column(col, justify="right")
    figures = []
    for n in threads:
        runs = [_run(landing, chunk, n, code) for _ in range(repeat)]
        best = min(runs, key=lambda r: r["wall_s"])
        peak = max(max(r["peak_rss_mb"], r["children_peak_rss_mb"]) for r in runs)
        figures.append({"threads": n, "best": best, "runs": runs, "peak_rss_mb": peak})
        table.add_row(str(n), f"{best['records']:,}", f"{best['wall_s']:.2f}", f"{best['wall_s'] / best['records'] * 1e6:.1f}",
                      f"{best['records'] / best['wall_s']:,.0f}", f"{best['cpu_s']:.2f}", f"{peak:,.0f}",
                      " ".join(f"{r['wall_s']:.2f}" for r in runs))  # fmt: skip
    console.print(table)
    if out:
        out.write_text(json.dumps({"practices": practices, "seed": seed, "chunk": chunk, "figures": figures}, indent=1))


if __name__ == "__main__":
    app()
