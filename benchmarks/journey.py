"""`make bench`: the whole journey (`scr run`, landing files to promoted records) at about 100k, 300k and 1M
source records, with Splink 5 on the same records (read, predict, cluster) beside it.

Per size: wall time, records per second, peak memory of the whole process tree (the CLI, Prefect's
temporary API, any workers), the time of each stage (from the run's own summary) and the ratio to
Splink. Figures go to bench-out/journey.json and benchmarks/RESULTS.md, with the commit and command.

With `--repeat N` each size runs N times, ours and Splink alternating, and each side's median run (by wall
time) stands for it; every run's wall time is listed beside the table. One run of a size on the shared
2-core machine can be 20% off the next.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import duckdb
import typer
from rich.console import Console
from rich.table import Table

from benchmarks.proc import descendants, processes
from tests.support.prefect_server import prefect_server

app = typer.Typer(add_completion=False)
console = Console(width=160)

# target records -> practices whose size is set (index -> clients): a handful to tens of thousands of clients
LARGE = {100_000: {0: 10_000}, 300_000: {0: 20_000, 1: 10_000}, 1_000_000: {0: 30_000, 1: 20_000, 2: 10_000}}
RECORDS_PER_PRACTICE = 125  # measured on the generator's size distribution (scr generate)
MATCH_STEPS = [f"match.{step}" for step in ("standardise", "candidates", "compare", "score", "cluster")]  # inside match
STAGES = ["read", "match", *MATCH_STEPS, "survive", "gate", "content", "write_staging", "write_matches", "write_gate", "promote",
          "write_status", "commit", "snapshot", "model", "plan", "invariants", "checkpoint", "writer_waiting"]  # fmt: skip


def _tree_rss_kb(root: int) -> int:
    """Resident memory of a process and all its descendants, from /proc."""
    children, seen = processes(rss=True)
    return sum(seen.get(pid, (0.0, 0))[1] for pid in [root, *descendants(root, children)])


def run_measured(cmd: list[str], env: dict) -> dict:
    """Run a command; its wall time and the peak resident memory of its process tree (sampled every 0.2 s)."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak = [0]

    def sample() -> None:
        while proc.poll() is None:
            peak[0] = max(peak[0], _tree_rss_kb(proc.pid))
            time.sleep(0.2)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, err = proc.communicate()
    sampler.join()
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd[:4])} exited {proc.returncode}: {err.decode()[-2000:]}")
    return {"wall_s": time.perf_counter() - start, "peak_mb": peak[0] / 1024}


def _zone(root: Path, target: int, seed: int) -> tuple[Path, int, int]:
    from synthetic import generate_zone

    sizes = LARGE.get(target, {})
    practices = max(len(sizes) + 1, round((target - sum(sizes.values()) * 1.1) / RECORDS_PER_PRACTICE)) + len(sizes)
    summary = generate_zone(root / "zone", practices, seed, sizes=sizes)
    return root / "zone" / "landing", practices, summary["records"]


def _splink_child(landing: str) -> dict:
    """Splink on the same records, read by the same readers: read, predict, cluster (timed in this child)."""
    import polars as pl

    from benchmarks.splink_baseline import crosswalk, run_splink
    from landing import read_registry, registry_problems
    from landing.secrets import HashKey

    from flows.journey import extract

    t0 = time.perf_counter()
    registry = read_registry(Path(landing))
    problems = registry_problems(Path(landing), registry)
    practices = registry.filter(~pl.col("practice_id").is_in(list(problems)))
    frames, _ = extract(Path(landing), practices, HashKey.ephemeral())  # the same readers a wave uses
    t1 = time.perf_counter()
    records, pairs = run_splink(frames, practices)
    crosswalk(records, pairs, 0.95)
    t2 = time.perf_counter()
    with open("/proc/self/status") as f:
        hwm = next(int(line.split()[1]) for line in f if line.startswith("VmHWM:"))
    return {"read_s": t1 - t0, "predict_cluster_s": t2 - t1, "wall_s": t2 - t0, "peak_mb": hwm / 1024, "records": frames.client.height}


def _splink(landing: Path) -> dict:
    with ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn")) as pool:
        return pool.submit(_splink_child, str(landing)).result()


def _ours(landing: Path, wh: Path, home: Path, runner: str, server: dict | None = None) -> dict:
    """`scr run` against a running Prefect server (as a deployment's wave runs) or, without one, Prefect's temporary API."""
    env = {**os.environ, "PREFECT_HOME": str(home), "DO_NOT_TRACK": "1", "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
           "SCR_HASH_KEY": os.environ.get("SCR_HASH_KEY", "bench-only-throwaway-key-0123456789abcdef")}  # fmt: skip
    env.pop("PREFECT_API_URL", None)  # without a server: the journey as a bare `scr run` does it, temporary API included
    if server:
        env |= {k: v for k, v in server.items() if k.startswith("PREFECT_")}
    _fresh(wh)
    measured = run_measured([sys.executable, "-m", "flows.cli", "run", "-l", str(landing), "-w", str(wh), "--runner", runner], env)
    with duckdb.connect(str(wh), read_only=True) as con:
        summary = json.loads(con.sql("select summary from pipeline_run order by started_at desc limit 1").fetchall()[0][0])
        measured["promoted_clients"] = con.sql("select count(*) from unified_client").fetchall()[0][0]
    measured["timings"] = summary.get("timings", {})
    measured["records"] = summary["records"]
    # what the run itself did not account for: the CLI's imports, Prefect's API start and stop, flow and task runs
    measured["prefect_and_startup_s"] = measured["wall_s"] - measured["timings"].get("run_wall", 0.0)
    return measured


def _fresh(wh: Path) -> None:
    """No warehouse left from an earlier bench in a --keep folder: a run on one reuses its stored match model and
    writes new versions over promoted ones, which is not the first wave this benchmark times."""
    from warehouse.snapshot import snapshot_dir

    for path in (wh, wh.with_name(wh.name + ".wal"), wh.with_name(wh.name + ".lock")):
        path.unlink(missing_ok=True)
    shutil.rmtree(snapshot_dir(wh), ignore_errors=True)


def _commit() -> str:
    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], capture_output=True, text=True).stdout
        return out + ("+dirty" if dirty.strip() else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def _table(results: list[dict]) -> Table:
    t = Table(title="the whole journey (scr run) and Splink 5 on the same records")
    for col in ("records", "practices", "wall s", "records/s", "peak MB", "Splink s", "Splink rec/s", "Splink MB", "ours/Splink time"):
        t.add_column(col, justify="right")
    for r in results:
        o, s = r["ours"], r.get("splink")
        t.add_row(f"{o['records']:,}", f"{r['practices']:,}", f"{o['wall_s']:.1f}", f"{o['records'] / o['wall_s']:,.0f}",
                  f"{o['peak_mb']:,.0f}", f"{s['wall_s']:.1f}" if s else "-", f"{s['records'] / s['wall_s']:,.0f}" if s else "-",
                  f"{s['peak_mb']:,.0f}" if s else "-", f"{o['wall_s'] / s['wall_s']:.2f}" if s else "-")  # fmt: skip
    return t


def _stages(results: list[dict]) -> Table:
    t = Table(title="seconds per stage (chunk stages summed over chunks, two at a time; writer stages on the flow)")
    t.add_column("stage")
    for r in results:
        t.add_column(f"{r['ours']['records']:,}", justify="right")
    for stage in [*STAGES, "run_wall", "prefect_and_startup_s"]:
        cells = [r["ours"]["timings"].get(stage, r["ours"].get(stage)) for r in results]
        t.add_row(stage, *[f"{c:.1f}" if isinstance(c, (int, float)) else "-" for c in cells])
    return t


def _markdown(results: list[dict], commit: str, command: str) -> str:
    lines = [f"# Whole-journey benchmark\n\nCommit `{commit}`, command `{command}`, "
             f"{time.strftime('%Y-%m-%d')}, this project's 2-core machine. `scr run` talks to a Prefect server already "
             "running (as a deployment's wave does; the server's own memory is not counted); the same run with "
             "Prefect's temporary API (a bare `scr run`, nothing set up) is timed once, on the smallest zone.\n",
             "| records | practices | scr run wall s | records/s | peak MB (process tree) | Splink read+predict+cluster s | Splink records/s | Splink peak MB | ours / Splink |",
             "|---|---|---|---|---|---|---|---|---|"]  # fmt: skip
    for r in results:
        o, s = r["ours"], r.get("splink") or {}
        lines.append(f"| {o['records']:,} | {r['practices']:,} | {o['wall_s']:.1f} | {o['records'] / o['wall_s']:,.0f} | "
                     f"{o['peak_mb']:,.0f} | {s.get('wall_s', float('nan')):.1f} | "
                     f"{(s['records'] / s['wall_s']) if s else float('nan'):,.0f} | {s.get('peak_mb', float('nan')):,.0f} | "
                     f"{(o['wall_s'] / s['wall_s']) if s else float('nan'):.2f} |")  # fmt: skip
    if any(len(r.get("ours_walls", [])) > 1 for r in results):
        lines += ["", "Each size ran several times, ours and Splink alternating; the table shows each side's median run. "
                      "Every run's wall time, in order (ours / Splink):", ""]  # fmt: skip
        for r in results:
            walls = lambda key: ", ".join(f"{w:.1f}" for w in r.get(key, [])) or "-"  # noqa: E731
            lines.append(f"- {r['ours']['records']:,} records: {walls('ours_walls')} s / {walls('splink_walls')} s")
    cold = next((r["temporary_api"] for r in results if "temporary_api" in r), None)
    if cold:
        lines += ["", f"With Prefect's temporary API instead of a running server, the smallest zone took {cold['wall_s']:.1f} s "
                      f"({cold['extra_s']:+.1f} s: the API's start and stop), peak {cold['peak_mb']:,.0f} MB."]  # fmt: skip
    lines += ["", "Seconds per stage (chunk stages are summed over chunks, which run two at a time):", "",
              "| stage | " + " | ".join(f"{r['ours']['records']:,}" for r in results) + " |",
              "|---|" + "---|" * len(results)]  # fmt: skip
    for stage in [*STAGES, "run_wall", "prefect_and_startup_s"]:
        cells = [r["ours"]["timings"].get(stage, r["ours"].get(stage)) for r in results]
        lines.append(f"| {stage} | " + " | ".join(f"{c:.1f}" if isinstance(c, (int, float)) else "-" for c in cells) + " |")
    return "\n".join(lines) + "\n"


@app.command()
def main(
    sizes: str = typer.Option("100000,300000,1000000", help="target source records per zone, comma-separated"),
    seed: int = typer.Option(3, help="zone seed"),
    runner: str = typer.Option("thread", help="task runner of the journey: thread or dask (a local cluster)"),
    skip_splink: bool = typer.Option(False, "--skip-splink", help="time ours only"),
    repeat: int = typer.Option(1, min=1, help="runs per size, ours and Splink alternating; each side's median run stands"),
    out: Path = typer.Option(Path("bench-out/journey.json"), help="JSON of every figure"),
    results_md: Path = typer.Option(Path("benchmarks/RESULTS.md"), help="the figures as markdown (the README links it)"),
    keep: Path | None = typer.Option(None, help="keep zones and warehouses here"),
) -> None:
    """Generate each zone, run the whole journey on it, time Splink on the same records, print and save the figures."""
    root = Path(keep or tempfile.mkdtemp(prefix="scr-bench-"))
    root.mkdir(parents=True, exist_ok=True)  # a --keep folder that does not exist yet (the server's home goes in it)
    with prefect_server(root / "prefect-server") as server:
        results = _sizes(root, [int(s) for s in sizes.split(",")], seed, runner, skip_splink, server, repeat)
    console.print(_table(results))
    console.print(_stages(results))
    commit = _commit()
    command = "make bench" if sizes == "100000,300000,1000000" and runner == "thread" and repeat == 1 else \
        f"python -m benchmarks.journey --sizes {sizes} --runner {runner}" + (f" --repeat {repeat}" if repeat > 1 else "")  # fmt: skip
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"commit": commit, "command": command, "results": results}, indent=2, default=str))
    results_md.write_text(_markdown(results, commit, command))
    console.print(f"wrote {out} and {results_md} (commit {commit})")


def median_run(runs: list[dict]) -> dict:
    """The run with the median wall time (of an even number, the faster of the middle two): a run that happened."""
    return sorted(runs, key=lambda r: r["wall_s"])[(len(runs) - 1) // 2]


def _sizes(root: Path, targets: list[int], seed: int, runner: str, skip_splink: bool, server: dict, repeat: int = 1) -> list[dict]:
    results = []
    for n, target in enumerate(targets):
        work = root / f"z{target}"
        work.mkdir(parents=True, exist_ok=True)
        console.print(f"[bold]{target:,} records[/]: generating")
        landing, practices, generated = _zone(work, target, seed)
        console.print(f"  {generated:,} records in {practices:,} practices; running scr run ({runner}, Prefect server running)")
        ours_runs, splink_runs = [], []
        for _ in range(repeat):
            ours_runs.append(_ours(landing, work / "scr.duckdb", work / "prefect", runner, server))
            ours = ours_runs[-1]
            console.print(f"  ours: {ours['wall_s']:.1f} s, {ours['records'] / ours['wall_s']:,.0f} records/s, peak {ours['peak_mb']:,.0f} MB")
            if not skip_splink:
                splink_runs.append(_splink(landing))
                splink = splink_runs[-1]
                console.print(f"  Splink: {splink['wall_s']:.1f} s (read {splink['read_s']:.1f} s), peak {splink['peak_mb']:,.0f} MB")
        row = {"target": target, "practices": practices, "ours": median_run(ours_runs), "ours_walls": [r["wall_s"] for r in ours_runs]}
        if splink_runs:
            row["splink"], row["splink_walls"] = median_run(splink_runs), [r["wall_s"] for r in splink_runs]
        if n == 0:  # once: the same run with no server, as a bare `scr run` on a fresh machine does it
            cold = _ours(landing, work / "scr-cold.duckdb", work / "prefect-cold", runner)
            row["temporary_api"] = {"wall_s": cold["wall_s"], "peak_mb": cold["peak_mb"], "extra_s": cold["wall_s"] - row["ours"]["wall_s"]}
            console.print(f"  ours with Prefect's temporary API: {cold['wall_s']:.1f} s (+{row['temporary_api']['extra_s']:.1f} s)")
        results.append(row)
    return results


if __name__ == "__main__":
    app()
