"""`make soak`: repeated waves and reruns over one zone with random kills and injected write errors.

Every run is a real `scr run` / `scr rerun` process against a real Prefect API. After each run the
warehouse must hold, for every practice, either nothing or exactly what a clean run gives it (never half
a chunk); every completed run's stored invariants must hold; a final clean run must equal the clean
reference table by table. Prints runs, faults injected, records checked and violations (must be zero).
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import duckdb
import typer
from rich.console import Console

from flows.faults import POINTS
from tests.support.prefect_server import prefect_server
from tests.support.state import differences, torn_practices, warehouse_state

app = typer.Typer(add_completion=False)
console = Console(width=120)


def _scr(env: dict, *args: str, fault: str | None = None, kill_after: float | None = None) -> int:
    run_env = {k: v for k, v in env.items() if k != "SCR_FAULT"} | ({"SCR_FAULT": fault} if fault else {})
    proc = subprocess.Popen([sys.executable, "-m", "flows.cli", *args], env=run_env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    if kill_after is not None:
        try:
            proc.wait(timeout=kill_after)
        except subprocess.TimeoutExpired:
            os.kill(proc.pid, signal.SIGKILL)
    _, err = proc.communicate(timeout=3600)
    if proc.returncode not in (0, -signal.SIGKILL):
        console.print(f"[red]run exited {proc.returncode}[/]: {err.decode()[-1500:]}")
    return proc.returncode


def _injected_failures(wh: Path) -> int:
    """Status changes recorded for a chunk whose write an injected fault rolled back."""
    if not wh.exists():
        return 0
    with duckdb.connect(str(wh), read_only=True) as con:
        return con.sql("select count(*) from practice_status_history where detail like '%InjectedFault%'").fetchall()[0][0]


def _stored_invariants(wh: Path) -> list[str]:
    with duckdb.connect(str(wh), read_only=True) as con:
        rows = con.sql("select run_id, invariants from pipeline_run where status in ('completed', 'broken')").fetchall()
    return [f"{run}: {name}" for run, inv in rows for name, v in json.loads(inv or "{}").items() if not v["ok"]]


@app.command()
def main(
    practices: int = typer.Option(1000, help="practices in the zone"),
    runs: int = typer.Option(24, help="runs with a fault asked for (waves and reruns)"),
    seed: int = typer.Option(5, help="seed of the zone and of the faults"),
    chunk: int = typer.Option(50, help="practices per chunk"),
) -> None:
    """Soak the pipeline; exit 1 if any violation was found."""
    from synthetic import generate_zone

    rng = random.Random(seed)
    work = Path(tempfile.mkdtemp(prefix="scr-soak-"))
    started = time.monotonic()
    generate_zone(work / "zone", practices, seed, bad_practices=max(1, practices // 100))
    landing = work / "zone" / "landing"
    ids = sorted(p["practice_id"] for p in json.loads((landing / "practices.json").read_text()))
    with prefect_server(work / "prefect") as env:
        env = {**env, "SCR_CHUNK_PRACTICES": str(chunk), "SCR_HASH_KEY": "soak-key-a-throwaway-of-32-chars-or-more", "SCR_WAIT_SECONDS": "120"}
        ref, wh = work / "reference.duckdb", work / "soak.duckdb"
        t0 = time.monotonic()
        assert _scr(env, "run", "--landing", str(landing), "--warehouse", str(ref)) == 0, "the clean reference run failed"
        clean_seconds = time.monotonic() - t0
        console.print(f"reference: {practices} practices in {clean_seconds:.0f} s")
        faults: Counter[str] = Counter()
        violations: list[str] = []
        checked = 0
        for i in range(runs):
            if i == 0 or rng.random() < 0.35:
                args, taken = ["run", "--landing", str(landing), "--warehouse", str(wh)], len(ids)
            else:
                picked = rng.sample(ids, rng.randint(1, 20))
                args, taken = ["rerun", "--landing", str(landing), "--warehouse", str(wh)], len(picked)
                for pid in picked:
                    args += ["--practice", pid]
            # how often each point is reached in this run, so every fault asked for is a fault injected
            arrivals = {"extract:practice": taken, "run:started": 1, "run:before-finish": 1}
            chunks = max(1, -(-taken // chunk))
            kind = rng.choice(["kill_at_point", "kill_at_point", "write_error", "kill_at_random_instant"])
            fault = kill_after = None
            if kind == "kill_at_point":
                point = rng.choice(POINTS)
                fault = f"{point}@{rng.randint(1, min(3, arrivals.get(point, chunks)))}"
            elif kind == "write_error":
                fault = f"{rng.choice(['chunk:promoting', 'chunk:before-commit', 'chunk:staged'])}@{rng.randint(1, min(3, chunks))}:raise"
            elif kind == "kill_at_random_instant":
                kill_after = rng.uniform(2, clean_seconds if args[0] == "run" else 12)
            failed_before = _injected_failures(wh)
            code = _scr(env, *args, fault=fault, kill_after=kill_after)
            # count what happened, not what was asked: a point the run never reached injects nothing
            if code == -signal.SIGKILL:
                faults["killed"] += 1
            elif _injected_failures(wh) > failed_before:
                faults["write error (chunk rolled back, practices failed)"] += 1
            elif code == 0:
                faults["clean run (fault point not reached)" if kind != "none" else "clean run"] += 1
            else:
                faults[f"exit {code}"] += 1
            if wh.exists():
                torn = torn_practices(wh, ref)
                violations += [f"run {i}: {p}: {why}" for p, why in sorted(torn.items())]
                with duckdb.connect(str(wh), read_only=True) as con:
                    checked += con.sql("select count(*) from stg_client").fetchall()[0][0]
            console.print(f"run {i + 1:>2}/{runs}: {args[0]:<5} {kind:<22} {fault or '':<28} exit {code}")
        assert _scr(env, "run", "--landing", str(landing), "--warehouse", str(wh)) == 0, "the final clean run failed"
        violations += [f"stored invariant broken: {v}" for v in _stored_invariants(wh)]
        # the history of statuses keeps the injected failures on record: every other table must equal the clean run's
        final = differences(warehouse_state(wh), warehouse_state(ref), ignore=frozenset({"practice_status_history"}))
        violations += [f"final state differs: {t}: {d}" for t, d in final.items()]
    console.print(f"\nruns: {runs} faulted + 1 final clean (and 1 clean reference), {practices} practices, "
                  f"{time.monotonic() - started:.0f} s")  # fmt: skip
    injected = faults["killed"] + faults["write error (chunk rolled back, practices failed)"]
    console.print(f"faulted runs: {injected} of {runs} (" + ", ".join(f"{k} {v}" for k, v in sorted(faults.items())) + ")")
    console.print(f"records checked: {checked:,}")
    console.print(f"invariant violations: {len(violations)}")
    for v in violations[:20]:
        console.print(f"  [red]{v}[/]")
    raise typer.Exit(1 if violations else 0)


if __name__ == "__main__":
    app()
