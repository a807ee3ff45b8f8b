"""Crash and resume: SIGKILL the wave at points of extraction, between chunks and inside promotion, then rerun.

After the rerun the warehouse equals, table by table, one made by a run that never crashed: no partial
practice promoted, no record duplicated, no version lost. Runs are real `scr run` processes against a
real Prefect API; the kill points are flows.faults points (SCR_FAULT).
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from tests.support.prefect_server import prefect_server
from tests.support.state import differences, torn_practices, warehouse_state
from tests.warehouse.test_snapshot import assert_same
from warehouse.run_store import unfinished_runs

pytestmark = [pytest.mark.prefect, pytest.mark.slow]

# point -> arrivals available in the zone below (14 practices, chunks of 4: 4 chunks)
POINTS = {"extract:practice": 14, "chunk:staged": 4, "chunk:promoting": 3, "chunk:before-commit": 4,
          "chunk:committed": 4, "run:checkpoint": 1, "run:before-finish": 1, "run:started": 1,
          # the analysts' snapshot's publish after the run's start, each chunk's commit and the run's end (the first two come before the run is recorded done)
          "snapshot:exported": 2, "snapshot:swapped": 2}  # fmt: skip


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    home = tmp_path_factory.mktemp("prefect-home")
    with prefect_server(home) as env:
        yield {**env, "SCR_CHUNK_PRACTICES": "4", "SCR_HASH_KEY": "crash-test-key-a-throwaway-of-32-chars-or-more", "SCR_WAIT_SECONDS": "60"}


@pytest.fixture(scope="module")
def zone(tmp_path_factory) -> Path:
    from synthetic import generate_zone

    out = tmp_path_factory.mktemp("crash-zone")
    generate_zone(out, 14, seed=21, bad_practices=2)
    return out / "landing"


def scr_run(env: dict, landing: Path, warehouse: Path, fault: str | None = None, timeout: float = 300) -> subprocess.CompletedProcess:
    run_env = {**env, **({"SCR_FAULT": fault} if fault else {})}
    run_env.pop("SCR_FAULT", None) if not fault else None
    return subprocess.run(
        [sys.executable, "-m", "flows.cli", "run", "--landing", str(landing), "--warehouse", str(warehouse)],
        env=run_env, capture_output=True, text=True, timeout=timeout,
    )


@pytest.fixture(scope="module")
def reference_wh(env, zone, tmp_path_factory) -> Path:
    wh = tmp_path_factory.mktemp("reference") / "scr.duckdb"
    done = scr_run(env, zone, wh)
    assert done.returncode == 0, done.stderr
    return wh


@pytest.fixture(scope="module")
def reference(reference_wh) -> dict:
    state = warehouse_state(reference_wh)
    assert len(state["client_crosswalk"]) > 100 and state["promotion_version"], "the zone should promote practices"
    return state


def _cases() -> list[str]:
    # a few arrivals of each point, chosen at random but the same on every machine
    rng = random.Random(9)
    return [f"{p}@{rng.randint(1, n)}" for p, n in POINTS.items()]


@pytest.mark.parametrize("fault", _cases())
def test_a_wave_killed_at_any_point_then_rerun_equals_a_run_that_never_crashed(fault, env, zone, reference, reference_wh, tmp_path):
    wh = tmp_path / "scr.duckdb"
    killed = scr_run(env, zone, wh, fault=fault)
    assert killed.returncode == -signal.SIGKILL, f"{fault} should have killed the run: {killed.stderr[-2000:]}"
    unfinished = []
    if wh.exists():  # as before each chunk or after it: never half a chunk
        assert torn_practices(wh, reference_wh) == {}
        with duckdb.connect(str(wh), read_only=True) as con:
            unfinished = unfinished_runs(con)["run_id"].to_list()
        # the analysts' snapshot may still hold the run as running: status never says it still runs
        status = subprocess.run([sys.executable, "-m", "flows.cli", "status", "--warehouse", str(wh)], env=env,
                                capture_output=True, text=True, timeout=120)  # fmt: skip
        assert status.returncode in (0, 2), status.stderr  # 2: killed before its first snapshot
        said = " ".join(status.stdout.split())
        assert "still running" not in said
        if any(f"last run {r} " in said for r in unfinished):
            assert "interrupted, its process ended without finishing it" in said
    resumed = scr_run(env, zone, wh)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert differences(warehouse_state(wh), reference) == {}
    with duckdb.connect(str(wh), read_only=True) as con:  # the rerun's publishes caught the snapshot up, whole
        assert_same(con, wh)
    for run_id in unfinished:  # the operator is told, before the run starts
        assert f"note: run {run_id} (wave, started " in " ".join(resumed.stderr.split())
    with duckdb.connect(str(wh), read_only=True) as con:
        runs = dict(con.sql("select status, count(*) from pipeline_run group by 1").fetchall())
    # the killed run is on record as interrupted (unless it died before recording itself), the rerun completed
    assert runs.get("completed") == 1 and set(runs) <= {"completed", "interrupted"}


def test_a_wave_killed_at_a_random_instant_then_rerun_equals_a_run_that_never_crashed(env, zone, reference, reference_wh, tmp_path):
    wh = tmp_path / "scr.duckdb"
    rng = random.Random(17)
    for attempt in range(3):  # three kills at random instants of the same wave's life, then a clean run
        proc = subprocess.Popen(
            [sys.executable, "-m", "flows.cli", "run", "--landing", str(zone), "--warehouse", str(wh)],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        time.sleep(rng.uniform(1.0, 6.0))
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
        if attempt == 0 and wh.exists():
            assert torn_practices(wh, reference_wh) == {}
    resumed = scr_run(env, zone, wh)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert differences(warehouse_state(wh), reference) == {}


def _flow_run_states(env: dict, warehouse: Path) -> list[str]:
    """The state of each flow run the Prefect API holds for this warehouse."""
    import json
    import urllib.request

    asked = urllib.request.Request(f"{env['PREFECT_API_URL']}/flow_runs/filter", data=b"{}", method="POST",
                                   headers={"Content-Type": "application/json"})  # fmt: skip
    with urllib.request.urlopen(asked, timeout=30) as answer:
        runs = json.load(answer)
    return [run["state"]["type"] for run in runs if (run.get("parameters") or {}).get("warehouse") == str(warehouse)]


def test_a_wave_stopped_by_a_full_disk_says_which_file_exits_2_and_a_rerun_equals_a_run_that_never_failed(
    env, zone, reference, reference_wh, tmp_path
):
    import resource

    wh = tmp_path / "scr.duckdb"
    limit = reference_wh.stat().st_size // 4  # no file may grow past a quarter of what the run writes (`ulimit -f`)
    stopped = subprocess.run(
        [sys.executable, "-m", "flows.cli", "run", "--landing", str(zone), "--warehouse", str(wh)], env=env,
        capture_output=True, text=True, timeout=300,
        preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_FSIZE, (limit, resource.RLIM_INFINITY)),
    )  # fmt: skip
    said = " ".join(stopped.stderr.split())
    assert stopped.returncode == 2, stopped.stderr[-3000:]
    assert f"error: writing the warehouse {wh} failed: cannot write {wh}" in said and "File too large" in said
    assert "the chunks committed before it stand" in said
    # Prefect's traceback of the flow's failure (43 lines, QA session 31) is its API's, not the terminal's: the run's
    # one line says it; the flow run is Failed all the same
    assert "Traceback" not in stopped.stderr and "Encountered exception" not in stopped.stderr, stopped.stderr[-3000:]
    assert _flow_run_states(env, wh) == ["FAILED"]
    assert torn_practices(wh, reference_wh) == {}
    resumed = scr_run(env, zone, wh)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert differences(warehouse_state(wh), reference) == {}


def test_a_run_started_beside_one_that_is_killed_names_it_as_a_rerun_would(env, zone, tmp_path):
    # two `scr run`s started together: the second passed its wait for the warehouse while the first was starting
    # Prefect (the lock still free), so it never said the first ended without finishing, as a rerun after it does;
    # now the first keeps its turn for its flow's writer and the second waits for the first's whole run
    wh = tmp_path / "scr.duckdb"
    cmd = [sys.executable, "-m", "flows.cli", "run", "--landing", str(zone), "--warehouse", str(wh)]
    # the first starts Prefect's temporary API (no PREFECT_API_URL): about 10 s between its wait and its flow's writer
    alone = {k: v for k, v in env.items() if k != "PREFECT_API_URL"}
    first = subprocess.Popen(cmd, env={**alone, "SCR_FAULT": "run:started@1"}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while not list(tmp_path.glob(".scr.duckdb.turn-*")) and first.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)  # the first is in line for the warehouse: the second starts now
        second = scr_run(env, zone, wh)
        assert first.wait(timeout=60) == -signal.SIGKILL
    finally:
        first.kill()
    assert second.returncode == 0, second.stderr[-2000:]
    with duckdb.connect(str(wh), read_only=True) as con:
        killed = con.sql("select run_id from pipeline_run where status = 'interrupted'").fetchall()
    assert len(killed) == 1
    said = " ".join(second.stderr.split())
    assert f"note: run {killed[0][0]} (wave, started " in said and "ended without finishing" in said
