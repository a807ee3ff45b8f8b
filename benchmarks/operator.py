"""`make bench` (operators): `scr status` and a one-practice `scr rerun` on a 40-practice warehouse.

Each command is a fresh process, as an operator types it; the wall time of each repetition is printed
and the median kept. The rerun is timed twice: against a running Prefect server (the set-up the README
describes for operators: PREFECT_API_URL set) and with Prefect's temporary API (nothing set up).
Targets from the operators' issue: status under 1 s, a one-practice rerun under 15 s.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import typer
from rich.console import Console

from tests.support.prefect_server import prefect_server

app = typer.Typer(add_completion=False)
console = Console(width=120)


def _timed(args: list[str], env: dict) -> float:
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "flows.cli", *args], env=env, capture_output=True)
    took = time.perf_counter() - start
    if proc.returncode != 0:
        raise RuntimeError(f"scr {' '.join(args[:2])} exited {proc.returncode}: {proc.stderr.decode()[-1500:]}")
    return took


@app.command()
def main(
    practices: int = typer.Option(40, help="practices in the warehouse"),
    seed: int = typer.Option(3, help="zone seed"),
    repeat: int = typer.Option(5, help="repetitions of each command"),
    out: Path = typer.Option(Path("bench-out/operator.json"), help="JSON of every figure"),
) -> None:
    from synthetic import generate_zone

    with tempfile.TemporaryDirectory(prefix="scr-op-") as d:
        root = Path(d)
        generate_zone(root / "zone", practices, seed)
        landing, wh = root / "zone" / "landing", root / "op.duckdb"
        base = {**os.environ, "DO_NOT_TRACK": "1", "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
                "SCR_HASH_KEY": os.environ.get("SCR_HASH_KEY", "bench-only-throwaway-key-0123456789abcdef")}  # fmt: skip
        figures: dict[str, list[float]] = {}
        with prefect_server(root / "prefect") as env:
            env = {**base, **{k: v for k, v in env.items() if k.startswith("PREFECT_")}}
            _timed(["run", "-l", str(landing), "-w", str(wh)], env)
            pid = sorted(p.name for p in landing.iterdir() if p.is_dir())[0]
            figures["status"] = [_timed(["status", "-w", str(wh)], env) for _ in range(repeat)]
            figures["status_one"] = [_timed(["status", "-p", pid, "-w", str(wh)], env) for _ in range(repeat)]
            figures["rerun_server"] = [_timed(["rerun", "-p", pid, "-l", str(landing), "-w", str(wh)], env) for _ in range(repeat)]
        temporary = {**base, "PREFECT_HOME": str(root / "prefect-temp")}
        temporary.pop("PREFECT_API_URL", None)
        figures["rerun_temporary_api"] = [_timed(["rerun", "-p", pid, "-l", str(landing), "-w", str(wh)], temporary) for _ in range(repeat)]
    targets = {"status": 1.0, "status_one": 1.0, "rerun_server": 15.0, "rerun_temporary_api": 15.0}
    labels = {"status": "scr status", "status_one": "scr status -p ID", "rerun_server": "scr rerun -p ID (Prefect server running)",
              "rerun_temporary_api": "scr rerun -p ID (Prefect's temporary API)"}  # fmt: skip
    result = {"practices": practices, "seed": seed, "repeat": repeat, "seconds": figures,
              "median_s": {k: statistics.median(v) for k, v in figures.items()}, "target_s": targets}  # fmt: skip
    console.print(f"operators' commands on a {practices}-practice warehouse (median of {repeat} fresh processes):")
    for k, v in figures.items():
        med = statistics.median(v)
        console.print(f"  {labels[k]:<45} {med:6.2f} s  (target {targets[k]:g} s: {'met' if med < targets[k] else 'missed'})"
                      f"  runs: {', '.join(f'{x:.2f}' for x in v)}")  # fmt: skip
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    app()
