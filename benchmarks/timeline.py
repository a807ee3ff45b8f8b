"""Where one `scr run`'s wall time goes, moment by moment: the machine's busy cores, the run's process and its
children, and what the run's main thread is doing.

    .venv/bin/python -m benchmarks.timeline LANDING [--every 0.5] [--span 0.15] [CHECKOUT[:VAR=VALUE,...]]

Runs `scr run` once on the zone (a fresh warehouse) against a Prefect server started for it, as
`benchmarks.paired` does (CHECKOUT, default this one, and its settings as there). Every `--every` seconds it reads
/proc: the machine's busy cores, the run's own process, and its children (parsing workers, the gate's process);
the run's main thread is sampled every 50 ms (`benchmarks.sampled_cli`), and each stretch of `--span` seconds or
more in one place is listed with the innermost frame of this project's code and the innermost frame of all, so a
wait shows as the call it waits in (a thread's join, a socket read). py-spy in this container counts waiting
threads as busy; this samples the wall clock. Session 27 found Prefect's heartbeat thread's join this way
(benchmarks/HISTORY.md). Nothing is asserted.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import typer

from benchmarks.proc import TICK, descendants, processes

app = typer.Typer(add_completion=False)


def machine_busy_s() -> float:
    """CPU seconds the whole machine has been busy (all cores), from /proc/stat."""
    with open("/proc/stat") as f:
        cpu = [int(v) for v in f.readline().split()[1:]]
    user, nice, system, _idle, _iowait, irq, softirq, steal = (cpu + [0] * 8)[:8]
    return (user + nice + system + irq + softirq + steal) / TICK


def tree_cpu_s(root: int) -> tuple[float, float]:
    """CPU seconds of a process and of its living descendants, from /proc (an exited child's are not counted)."""
    children, seen = processes()
    return seen.get(root, (0.0, 0))[0], sum(seen.get(pid, (0.0, 0))[0] for pid in descendants(root, children))


def spans(samples: list[list], at_least: float) -> list[tuple[float, float, str, str]]:
    """Consecutive samples in one place joined: (start, end, ours, innermost), those lasting `at_least` seconds or more."""
    out, current = [], None
    for t, ours, inner in samples:
        if current and (current[2], current[3]) == (ours, inner):
            current[1] = t
            continue
        if current and current[1] - current[0] >= at_least:
            out.append(tuple(current))
        current = [t, t, ours, inner]
    if current and current[1] - current[0] >= at_least:
        out.append(tuple(current))
    return out


@app.command()
def main(
    landing: Path = typer.Argument(..., help="the zone's landing folder"),
    side: str = typer.Argument("", help="CHECKOUT[:VAR=VALUE,...] (default: the checkout this benchmark is in)", show_default=False),
    every: float = typer.Option(0.5, min=0.05, help="seconds between two readings of /proc"),
    span: float = typer.Option(0.15, min=0.0, help="list the main thread's stretches in one place of at least this long"),
) -> None:
    from benchmarks.paired import _side, run_env
    from tests.support.prefect_server import prefect_server

    code, extra = _side(side) if side else (Path(__file__).resolve().parent.parent, {})
    root = Path(tempfile.mkdtemp(prefix="scr-timeline-"))
    out = root / "samples.json"
    with prefect_server(root / "server") as server:
        env = run_env(root, server, code, extra)
        cmd = [sys.executable, "-m", "benchmarks.sampled_cli", str(out), "run", "-l", str(landing.resolve()), "-w", str(root / "wh.duckdb")]
        launched = time.time()
        proc = subprocess.Popen(cmd, env=env, cwd=code, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        err: list[str] = []
        reader = threading.Thread(target=lambda: err.extend(proc.stderr), daemon=True)  # type: ignore[arg-type]
        reader.start()
        t0, rows = time.perf_counter(), []
        last = (t0, machine_busy_s(), 0.0, 0.0)
        while proc.poll() is None:
            time.sleep(every)
            now, busy = time.perf_counter(), machine_busy_s()
            own, below = tree_cpu_s(proc.pid)
            dt = now - last[0]
            rows.append((now - t0, (busy - last[1]) / dt, max(own - last[2], 0.0) / dt, max(below - last[3], 0.0) / dt))
            last = (now, busy, own, below)
        wall = time.time() - launched
        reader.join(5)
    typer.echo(f"scr run: exit {proc.returncode}, {wall:.1f} s of wall" + (f"; stderr: {''.join(err)[-500:]}" if proc.returncode else ""))
    typer.echo("   t s  machine  run  children   (cores busy over the interval before t)")
    for t, machine, own, below in rows:
        typer.echo(f"{t:6.1f}  {machine:7.2f}  {own:4.2f}  {below:8.2f}   {'#' * round(machine * 10)}")
    data = json.loads(out.read_text()) if out.exists() else None
    shutil.rmtree(root, ignore_errors=True)  # the server's home, the warehouse, the samples
    if data:
        offset = data["started"] - launched
        typer.echo(f"\nthe run's main thread, stretches of {span} s or more in one place (from `scr run`'s launch; "
                   f"sampled every 50 ms):")  # fmt: skip
        for start, end, ours, inner in spans(data["samples"], span):
            typer.echo(f"{start + offset:6.2f}-{end + offset:6.2f}  {ours}  <{inner}>")
        typer.echo(f"the main thread's last sample {data['samples'][-1][0] + offset:.2f} s, its exit handlers done "
                   f"{data['ended'] - launched:.2f} s, the process gone {wall:.2f} s")  # fmt: skip


if __name__ == "__main__":
    app()
