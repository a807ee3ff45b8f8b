"""Across machines: chunk tasks sent to a Dask scheduler at an address, on workers started apart from the flow.

The scheduler and its worker are their own processes, started by the `dask` command with their own
environment, as on other machines (README, "Across machines"): the worker sees the landing zone at the
same path and holds SCR_HASH_KEY itself. A worker holding another key fails its chunk's practices,
saying which setting to fix, and leaves no hash of the other key in the warehouse.
"""

import os
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import polars as pl
import pytest

pytestmark = [pytest.mark.prefect, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
DASK = str(Path(sys.executable).with_name("dask"))


def _start(args: list[str], env: dict, log: Path) -> subprocess.Popen:
    return subprocess.Popen([DASK, *args], env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT, cwd=log.parent)


def _wait_for_worker(scheduler_file: Path, procs: list[subprocess.Popen]) -> str:
    from distributed import Client

    deadline = time.monotonic() + 120
    while not scheduler_file.exists():
        assert all(p.poll() is None for p in procs), "the dask scheduler or worker exited early"
        assert time.monotonic() < deadline, "the dask scheduler did not start"
        time.sleep(0.2)
    with Client(scheduler_file=str(scheduler_file), timeout=60) as client:
        client.wait_for_workers(1, timeout=120)
        return client.scheduler.address


@pytest.fixture
def cluster(tmp_path):
    """start(key) -> the address of a scheduler with one worker process holding `key` in its environment."""
    procs: list[subprocess.Popen] = []

    def start(key: str) -> str:
        for p in procs:
            p.terminate()
        for p in procs:
            p.wait(timeout=30)
        procs.clear()
        folder = Path(tmp_path / f"dask-{len(os.listdir(tmp_path))}")
        folder.mkdir()
        env = {k: v for k, v in os.environ.items() if not k.startswith(("SCR_", "PREFECT_"))}
        env["PYTHONPATH"] = str(ROOT)  # the same commit as the flow (another machine: the same checkout)
        scheduler_file = folder / "scheduler.json"
        procs.append(_start(["scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
                             "--scheduler-file", str(scheduler_file)], env, folder / "scheduler.log"))  # fmt: skip
        procs.append(_start(["worker", "--scheduler-file", str(scheduler_file), "--nworkers", "1", "--nthreads", "1",
                             "--no-dashboard"], env | {"SCR_HASH_KEY": key}, folder / "worker.log"))  # fmt: skip
        return _wait_for_worker(scheduler_file, procs)

    yield start
    for p in procs:
        p.terminate()
    for p in procs:
        try:
            p.wait(timeout=30)
        except subprocess.TimeoutExpired:
            p.kill()


def _read(path: Path, sql: str) -> pl.DataFrame:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.sql(sql).pl()


def test_a_remote_scheduler_runs_the_wave_and_a_worker_with_another_key_fails_its_practices(
    tmp_path, prefect_api, monkeypatch, cluster
):
    from flows.settings import get_settings
    from flows.wave import nightly_wave, with_runner
    from synthetic import generate_zone

    monkeypatch.setenv("SCR_CHUNK_PRACTICES", "3")  # several chunks
    get_settings.cache_clear()
    generate_zone(tmp_path / "zone", 6, seed=23)
    landing = str(tmp_path / "zone" / "landing")
    key = os.environ["SCR_HASH_KEY"]
    local = nightly_wave(landing=landing, warehouse=str(tmp_path / "local.duckdb"), select="all")

    address = cluster(key)
    remote = with_runner(nightly_wave, "dask", address)(landing=landing, warehouse=str(tmp_path / "remote.duckdb"), select="all")
    assert remote["records"] == local["records"] > 0
    order = "select * from client_crosswalk order by practice_id, source, source_client_id"
    assert _read(tmp_path / "local.duckdb", order).equals(_read(tmp_path / "remote.duckdb", order))

    address = cluster("another-key-on-that-worker-not-the-runs-0123456789")
    other = with_runner(nightly_wave, "dask", address)(landing=landing, warehouse=str(tmp_path / "other.duckdb"), select="all")
    get_settings.cache_clear()
    status = _read(tmp_path / "other.duckdb", "select practice_id, status, detail from practice_status")
    assert other["records"] == 0
    assert status.height == 6 and set(status["status"]) == {"failed"}
    assert status["detail"].str.contains("hash key").all() and status["detail"].str.contains("SCR_HASH_KEY").all()
    assert _read(tmp_path / "other.duckdb", "select count(*) as n from stg_client")["n"][0] == 0
