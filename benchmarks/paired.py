"""Paired runs: `scr run` of two or more checkouts (or settings) on one zone, alternating, against one Prefect server.

    .venv/bin/python -m benchmarks.paired LANDING CHECKOUT[:VAR=VALUE,...] CHECKOUT[:...] [--rounds 3]

Each CHECKOUT is a folder holding the code (a `git worktree add --detach DIR COMMIT`), run with this environment's
Python and its own folder first on PYTHONPATH; VAR=VALUE pairs are set for its runs only (`SCR_GATE_PROCESS=0`).
Rounds alternate the order, so a machine growing busier or quieter weighs on every side alike. Prints per run the
wall time, the run's own wall (`pipeline_run.summary` timings), the time outside it (the CLI's imports, Prefect's
flow run), the model and read stages, the writer's stages, the unified clients promoted and the load average; then
each side's median.
Nothing is asserted: a change is kept on the medians of a quiet machine (`uptime` under 1), as benchmarks/HISTORY.md
records them.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb
import typer

app = typer.Typer(add_completion=False)


def _side(spec: str) -> tuple[Path, dict[str, str]]:
    path, _, extra = spec.partition(":")
    return Path(path).resolve(), dict(kv.split("=", 1) for kv in extra.split(",") if kv)


def run_env(root: Path, server: dict[str, str], code: Path, extra: dict[str, str]) -> dict[str, str]:
    """The environment of a checkout's `scr run` against the benchmark's Prefect server: its code first on PYTHONPATH,
    Prefect's home under `root`, a throwaway hash key unless one is set, and the side's own settings last."""
    return {**os.environ, "PREFECT_HOME": str(root / "home"), "DO_NOT_TRACK": "1", "PYTHONPATH": str(code),
            "SCR_HASH_KEY": os.environ.get("SCR_HASH_KEY", "bench-only-throwaway-key-0123456789abcdef"),
            **{k: v for k, v in server.items() if k.startswith("PREFECT_")}, **extra}  # fmt: skip


@app.command()
def main(
    landing: Path = typer.Argument(..., help="the zone's landing folder (e.g. a `make bench` zone kept with --keep)"),
    sides: list[str] = typer.Argument(..., help="CHECKOUT[:VAR=VALUE,...], two or more"),
    rounds: int = typer.Option(3, min=1, help="runs per side"),
) -> None:
    from tests.support.prefect_server import prefect_server

    root = Path(tempfile.mkdtemp(prefix="scr-paired-"))
    walls: dict[str, list[float]] = {s: [] for s in sides}
    try:
        with prefect_server(root / "server") as server:
            for r in range(rounds):
                for spec in sides if r % 2 == 0 else sides[::-1]:
                    code, extra = _side(spec)
                    wh = root / "wh.duckdb"
                    env = run_env(root, server, code, extra)
                    started = time.perf_counter()
                    done = subprocess.run([sys.executable, "-m", "flows.cli", "run", "-l", str(landing.resolve()), "-w", str(wh)],
                                          env=env, cwd=code, capture_output=True, text=True)  # fmt: skip
                    wall = time.perf_counter() - started
                    if done.returncode != 0:
                        raise SystemExit(f"{spec}: scr run exited {done.returncode}: {done.stderr[-2000:]}")
                    with duckdb.connect(str(wh), read_only=True) as con:
                        summary = json.loads(con.sql("select summary from pipeline_run order by started_at desc limit 1").fetchall()[0][0])
                        clients = con.sql("select count(*) from unified_client").fetchall()[0][0]
                    t = summary.get("timings", {})
                    walls[spec].append(wall)
                    print(f"{spec}: wall {wall:.1f} s, run {t.get('run_wall', 0):.1f} s, outside {wall - t.get('run_wall', 0):.1f} s, "
                          f"model {t.get('model', 0):.1f} s, read {t.get('read', 0):.1f} s, writer: commit {t.get('commit', 0):.1f} s, "
                          f"staging {t.get('write_staging', 0):.1f} s, promote {t.get('promote', 0):.1f} s, snapshot {t.get('snapshot', 0):.1f} s, "
                          f"invariants {t.get('invariants', 0):.1f} s, waiting {t.get('writer_waiting', 0):.1f} s; {clients:,} unified clients, "
                          f"load {os.getloadavg()[0]:.1f}", flush=True)  # fmt: skip
                    shutil.rmtree(root / "wh.snapshot", ignore_errors=True)
                    for leftover in root.glob("wh.duckdb*"):
                        leftover.unlink()
    finally:
        shutil.rmtree(root, ignore_errors=True)
    for spec, seconds in walls.items():
        print(f"{spec}: median {statistics.median(seconds):.1f} s of {', '.join(f'{s:.1f}' for s in seconds)}")


if __name__ == "__main__":
    app()
