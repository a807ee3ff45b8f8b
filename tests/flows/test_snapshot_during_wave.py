"""Done-when of the analysts' issue: readers query the snapshot throughout a real wave, and the wave neither waits nor changes.

A real `scr run` subprocess on a generated zone in chunks of two practices; this test process is the
analyst: it holds one snapshot connection open for the whole wave and opens, queries and closes
others many times, and calls `scr query` as a person would. The wave's results must equal those of
the same run with no reader.
"""

import os
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import polars as pl
import pytest

from warehouse.reader import open_snapshot
from warehouse.snapshot import relations, snapshot_path
from warehouse.views import VIEWS

pytestmark = [pytest.mark.prefect, pytest.mark.slow]
ROOT = Path(__file__).resolve().parents[2]
# what a run decides, without its run id and clock
RESULTS = {
    "practice_status": "practice_id, status, detail",
    "proposed_crosswalk": "*",
    "client_crosswalk": "*",
    "unified_client": "*",
    "field_lineage": "*",
    "client_match": "*",
    "promotion_version": "practice_id, version, content_hash, is_current",
    "run_practice": "* exclude (run_id, written_at)",
    "quality_result": "* exclude (run_id, checked_at, result)",
}


def _env() -> dict:
    # a publish after every commit (a wave's default waits SCR_SNAPSHOT_SECONDS between them): the most churn
    return {**os.environ, "SCR_CHUNK_PRACTICES": "2", "SCR_WAIT_SECONDS": "5", "SCR_SNAPSHOT_SECONDS": "0"}


def _run(landing: Path, warehouse: Path) -> subprocess.Popen:
    cmd = [sys.executable, "-m", "flows.cli", "run", "--landing", str(landing), "--warehouse", str(warehouse)]
    return subprocess.Popen(cmd, cwd=ROOT, env=_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def _results(warehouse: Path) -> dict[str, list[tuple]]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return {t: con.sql(f"select {cols} from {t} order by all").fetchall() for t, cols in RESULTS.items()}


def _scr(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "flows.cli", *args], cwd=ROOT, env=_env(), capture_output=True, text=True, timeout=120)


def _start(*args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "flows.cli", *args], cwd=ROOT, env=_env(), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)  # fmt: skip


def _scr_query(warehouse: Path, sql: str) -> subprocess.CompletedProcess:
    return _scr("query", "--warehouse", str(warehouse), sql, "--format", "csv")


@pytest.fixture(scope="module")
def zone(tmp_path_factory) -> Path:
    from synthetic import generate_zone

    out = tmp_path_factory.mktemp("zone")
    generate_zone(out, 14, seed=11, bad_practices=2)
    return out / "landing"


@pytest.fixture(scope="module")
def reference(zone, tmp_path_factory) -> dict:
    """The same run with nobody reading."""
    warehouse = tmp_path_factory.mktemp("quiet") / "scr.duckdb"
    proc = _run(zone, warehouse)
    out, _ = proc.communicate(timeout=600)
    assert proc.returncode == 0, out
    return _results(warehouse)


def test_readers_query_the_snapshot_throughout_a_wave(zone, reference, tmp_path):
    warehouse = tmp_path / "scr.duckdb"
    wave = _run(zone, warehouse)
    deadline = time.monotonic() + 300
    while not snapshot_path(warehouse).exists():  # the first publish follows the run's first commit
        assert wave.poll() is None, wave.stdout.read()
        assert time.monotonic() < deadline
        time.sleep(0.05)
    held = open_snapshot(warehouse)
    held_generation = held.sql("select value from snapshot_info where key = 'generation'").fetchall()
    held_rows = held.sql("select * from migration_progress").fetchall()
    answers, errors, generations = 0, [], set()
    query = ("query", "--warehouse", str(warehouse), "select * from migration_progress", "--format", "csv")
    # a person's commands while the wave runs, started without stopping the polling above
    planned = {1: [query, ("status", "--warehouse", str(warehouse))], 15: [query], 30: [query]}
    launched: list[tuple[str, subprocess.Popen]] = []
    while wave.poll() is None:
        try:
            with open_snapshot(warehouse) as con:
                generations.add(con.sql("select value from snapshot_info where key = 'generation'").fetchall()[0][0])
                con.sql("select * from migration_progress").fetchall()
                con.sql("select count(*) from review_queue").fetchall()
                con.sql("select practice_id, count(*) from client_crosswalk group by 1").fetchall()
            assert held.sql("select * from migration_progress").fetchall() == held_rows
            answers += 1
        except Exception as exc:  # noqa: BLE001 - every failure to answer is the finding
            errors.append(repr(exc))
        for args in planned.pop(answers, []):
            launched.append((args[0], _start(*args)))
        time.sleep(0.05)
    out = wave.stdout.read()
    done = [(kind, *p.communicate(timeout=120), p.returncode) for kind, p in launched]
    print(f"answers {answers}, generations {sorted(generations)}, commands {len(done)}")  # shown with -s
    assert wave.returncode == 0, out
    assert errors == []
    assert answers >= 20 and len(generations) >= 3  # the snapshot moved on while the wave ran
    assert [(kind, code) for kind, _, _, code in done] == [("query", 0), ("status", 0), ("query", 0), ("query", 0)], done
    assert done[0][1].startswith("region,wave,status,practices,source_records") and "migration progress" in done[1][1]
    # the connection held all along still answers, from the version it opened
    assert held.sql("select value from snapshot_info where key = 'generation'").fetchall() == held_generation
    assert held.sql("select * from migration_progress").fetchall() == held_rows
    held.close()

    assert _results(warehouse) == reference

    after = _scr_query(warehouse, "select * from migration_progress")
    assert after.returncode == 0, after.stderr
    with duckdb.connect(str(warehouse), read_only=True) as live:
        expected = live.sql("select * from migration_progress").pl()
        with open_snapshot(warehouse) as snap:
            for name in [*relations(), *VIEWS]:  # the last publish holds the warehouse as the run left it
                a, b = live.sql(f"select * from {name}").pl(), snap.sql(f"select * from {name}").pl()
                assert a.schema == b.schema and a.height == b.height, name
                assert snap.sql(f"select count(*) from {name}").fetchall()[0][0] == a.height
    import io

    assert pl.read_csv(io.StringIO(after.stdout)).height == expected.height
