"""End to end through the real Prefect flow on a small generated zone."""

import json
import re
import subprocess
import sys
from pathlib import Path

import duckdb
import polars as pl
import pytest

from transforms.status_rules import STATUSES


pytestmark = pytest.mark.prefect


@pytest.fixture(scope="module")
def zone(tmp_path_factory) -> Path:
    from synthetic import generate_zone

    out = tmp_path_factory.mktemp("zone")
    generate_zone(out, 12, seed=3, bad_practices=3)
    return out


@pytest.fixture(scope="module")
def warehouse(zone, prefect_api, tmp_path_factory) -> Path:
    from flows.wave import nightly_wave

    path = tmp_path_factory.mktemp("wh") / "scr.duckdb"
    summary = nightly_wave(landing=str(zone / "landing"), warehouse=str(path), select="all")
    assert summary["practices"] > 0
    return path


def q(path: Path, sql: str) -> pl.DataFrame:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.sql(sql).pl()


def test_every_registry_practice_has_one_status(zone, warehouse):
    registry = json.loads((zone / "landing" / "practices.json").read_text())
    status = q(warehouse, "select * from practice_status")
    assert set(r["practice_id"] for r in registry) <= set(status["practice_id"].to_list())
    assert status["practice_id"].is_unique().all()
    assert set(status["status"].unique().to_list()) <= set(STATUSES)


def test_bad_practices_fail_with_the_file_named(zone, warehouse):
    bad = pl.read_csv(zone / "truth" / "bad_practices.csv")
    status = q(warehouse, "select practice_id, status, detail from practice_status")
    failed = status.join(bad, on="practice_id")
    assert failed.height == bad.height
    assert (failed["status"] == "failed").all()
    for detail, file in failed.select("detail", "file").iter_rows():
        assert file in detail


def test_staging_counts_match_ground_truth(zone, warehouse):
    truth = pl.read_csv(zone / "truth" / "records.csv")
    bad = pl.read_csv(zone / "truth" / "bad_practices.csv")["practice_id"]
    expected = truth.filter(~pl.col("practice_id").is_in(bad.implode())).group_by("practice_id", "source").len().sort("practice_id", "source")
    staged = q(warehouse, "select practice_id, source, count(*)::uint32 as len from stg_client group by all order by all")
    assert staged.filter(~pl.col("practice_id").is_in(bad.implode())).equals(expected.cast({"len": pl.UInt32}))


def test_crosswalk_accounts_for_every_matched_record_once(warehouse):
    cw = q(warehouse, "select practice_id, source, source_client_id from client_crosswalk")
    assert cw.is_duplicated().sum() == 0
    staged = q(
        warehouse,
        "select s.practice_id, s.source, s.source_client_id from stg_client s "
        "where s.practice_id in (select distinct practice_id from client_crosswalk)",
    )
    assert staged.join(cw, on=["practice_id", "source", "source_client_id"], how="anti").is_empty()


def test_the_runs_unified_clients_out_are_the_unified_clients_it_promoted(warehouse):
    """`scr status` gives both figures: the headline's unified clients and the run's "unified clients out"."""
    out = q(warehouse, "select sum(unified_clients_out)::bigint as n from wave_summary")["n"][0]
    assert out == q(warehouse, "select count(*) as n from unified_client")["n"][0]
    # the zone has links awaiting review: proposed clusters (review links taken as merged) are fewer
    waiting = q(warehouse, "select count(*) as n from client_crosswalk where merge_status = 'review'")["n"][0]
    assert waiting > 0
    assert q(warehouse, "select sum(clusters)::bigint as n from run_practice where unified_clients is not null")["n"][0] < out


def test_no_raw_tax_numbers_in_the_warehouse(zone, warehouse):
    raw = set()
    for folder in (zone / "landing").iterdir():
        tax = folder / "tax_clients.csv"
        if tax.exists():
            try:
                frame = pl.read_csv(tax, infer_schema=False)
            except Exception:
                continue
            for col in ("tfn", "ird_number"):
                if col in frame.columns:
                    raw |= {v.replace(" ", "") for v in frame[col].drop_nulls().to_list() if len(v.replace(" ", "")) >= 8}
        xpm = folder / "xpm_clients.xml"
        if xpm.exists():
            text = xpm.read_bytes().decode("utf-8", "replace")
            raw |= {re.sub(r"\D", "", v) for v in re.findall(r"<TaxNumber>([^<]+)</TaxNumber>", text)} - {""}
        hq = folder / "hq_clients.json"
        try:
            clients = json.loads(hq.read_text())["clients"]
        except Exception:
            continue
        raw |= {
            "".join(ch for ch in (i.get("value") or "") if ch.isdigit())
            for c in clients for i in (c.get("identifiers") or []) if i.get("type") in ("TFN", "IRD")
        } - {""}
    assert raw, "the zone should carry tax numbers"
    with duckdb.connect(str(warehouse), read_only=True) as con:
        cols = con.sql(
            "select table_name, column_name from information_schema.columns where data_type = 'VARCHAR'"
        ).fetchall()
        hits = []
        for table, column in cols:
            values = {r[0] for r in con.sql(f'select distinct "{column}" from "{table}"').fetchall() if r[0]}
            hits += [(table, column) for v in values if any(n in v for n in raw)]
    assert hits == []


def test_a_second_writer_waits_for_the_first_or_is_refused_clearly(warehouse, zone, tmp_path):
    import os

    # a notebook that opened the live file read-write, until the test lets it go
    holder = subprocess.Popen(
        [sys.executable, "-c", f"import duckdb,sys; c=duckdb.connect({str(warehouse)!r}); print('ok', flush=True); sys.stdin.readline()"],
        stdout=subprocess.PIPE, stdin=subprocess.PIPE, text=True,
    )
    run = [sys.executable, "-m", "flows.cli", "run", "--landing", str(zone / "landing"), "--warehouse", str(warehouse)]
    try:
        assert holder.stdout.readline().strip() == "ok"
        refused = subprocess.run(run, capture_output=True, text=True, timeout=120, env={**os.environ, "SCR_WAIT_SECONDS": "1"})
        assert refused.returncode == 2
        said = " ".join(refused.stderr.split())
        assert f"pid {holder.pid}" in said and "waited 1 s" in said
        waiting = subprocess.Popen(run, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True,
                                   env={**os.environ, "SCR_WAIT_SECONDS": "120"})
        first = waiting.stderr.readline()
        assert "waiting up to 120 s" in first and f"pid {holder.pid}" in first
        holder.stdin.write("go\n")
        holder.stdin.flush()
        holder.wait(timeout=30)
        assert waiting.wait(timeout=180) == 0, waiting.stderr.read()
    finally:
        holder.kill()


def test_rerun_of_a_practice_reproduces_the_wave(zone, warehouse):
    from flows.wave import rerun_practice

    promoted = q(warehouse, "select distinct practice_id from unified_client order by 1")["practice_id"].to_list()
    assert promoted, "the wave should promote some practices"
    pid = promoted[0]
    table = lambda name: q(warehouse, f"select * from {name} where practice_id = '{pid}' order by all")  # noqa: E731
    before = {name: table(name) for name in ("unified_client", "client_crosswalk")}
    status_before = q(warehouse, f"select status, detail from practice_status where practice_id = '{pid}'")
    summary = rerun_practice(practices=[pid], landing=str(zone / "landing"), warehouse=str(warehouse))
    assert summary["practices"] == 1
    for name, frame in before.items():
        assert table(name).equals(frame), name
    assert q(warehouse, f"select status, detail from practice_status where practice_id = '{pid}'").equals(status_before)


def test_rerun_of_an_unknown_practice_is_refused(zone, warehouse):
    from flows.wave import rerun_practice

    with pytest.raises(ValueError, match="not in"):
        rerun_practice(practices=["NOPE"], landing=str(zone / "landing"), warehouse=str(warehouse))


def test_the_wave_publishes_its_summary_artifacts(warehouse):
    import asyncio

    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey

    async def published(key: str):
        async with get_client() as client:
            return await client.read_artifacts(artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=[key])))

    first_run = q(warehouse, "select run_id from pipeline_run order by finished_at limit 1")["run_id"][0]
    mine = [a for a in asyncio.run(published("wave-summary")) if f"# Run {first_run}" in a.data]
    assert len(mine) == 1
    assert "Failed or blocked" in mine[0].data  # the zone has bad practices
    assert asyncio.run(published("wave-status"))


def test_a_planned_wave_takes_only_eligible_practices(zone, warehouse):
    from flows.wave import nightly_wave
    from transforms.planning import eligible
    from landing import read_registry, registry_problems

    registry = read_registry(zone / "landing")
    registry = registry.filter(~pl.col("practice_id").is_in(list(registry_problems(zone / "landing", registry))))
    status = q(warehouse, "select practice_id, status from practice_status")
    expected = eligible(registry, status)
    summary = nightly_wave(landing=str(zone / "landing"), warehouse=str(warehouse), select="eligible")
    if expected["wave"].is_not_null().any():
        expected = expected.filter(pl.col("wave") == expected["wave"].min())
    assert summary["practices"] == expected.height
    completed = status.filter(pl.col("status") == "complete")["practice_id"]
    assert not set(completed.to_list()) & set(expected["practice_id"].to_list())


def test_chunks_in_flight_are_bounded_and_the_window_does_not_change_results(zone, tmp_path, monkeypatch):
    import threading

    from flows import wave
    from flows.settings import get_settings
    from tests.support.state import differences, warehouse_state

    wave.nightly_wave(landing=str(zone / "landing"), warehouse=str(tmp_path / "default.duckdb"), select="all")
    real, lock, running, most = wave.run_chunk, threading.Lock(), [0], [0]

    def counted(*args):  # counts our own chunk function's concurrent calls; the engine is the real one
        with lock:
            running[0] += 1
            most[0] = max(most[0], running[0])
        try:
            return real(*args)
        finally:
            with lock:
                running[0] -= 1

    monkeypatch.setattr(wave, "run_chunk", counted)
    monkeypatch.setenv("SCR_CHUNK_PRACTICES", "2")
    monkeypatch.setenv("SCR_CHUNKS_AHEAD", "1")
    get_settings.cache_clear()
    try:
        wave.nightly_wave(landing=str(zone / "landing"), warehouse=str(tmp_path / "w.duckdb"), select="all")
    finally:
        get_settings.cache_clear()
    assert most[0] == 1  # two workers, but one chunk at a time: the next starts when the writer takes this one
    assert differences(warehouse_state(tmp_path / "default.duckdb"), warehouse_state(tmp_path / "w.duckdb")) == {}


def test_a_wave_reads_the_models_sample_once_and_lands_what_reading_it_twice_lands(zone, tmp_path, monkeypatch):
    from flows import journey, wave
    from tests.support.state import differences, warehouse_state

    read: list[str] = []
    real = journey.read_practices

    def counted(landing, batch, key):  # counts our own reader's calls; files are read for real
        read.extend(batch["practice_id"].to_list())
        return real(landing, batch, key)

    monkeypatch.setattr(journey, "read_practices", counted)
    wave.nightly_wave(landing=str(zone / "landing"), warehouse=str(tmp_path / "kept.duckdb"), select="all")
    kept, read[:] = list(read), []
    monkeypatch.setattr(wave, "_local_threads", lambda: False)  # as on a Dask cluster: every chunk reads its files
    wave.nightly_wave(landing=str(zone / "landing"), warehouse=str(tmp_path / "again.duckdb"), select="all")

    failed = set(q(tmp_path / "kept.duckdb", "select practice_id from practice_status where status = 'failed'")["practice_id"])
    assert len(read) > len(set(read))  # the model's sample is read by the fit and again by its chunks
    assert {p for p in kept if kept.count(p) > 1} <= failed  # only a sample practice that failed is read again
    assert set(kept) == set(read)
    assert not journey.Kept._runs  # nothing is left behind in the process
    assert differences(warehouse_state(tmp_path / "kept.duckdb"), warehouse_state(tmp_path / "again.duckdb")) == {}


def test_a_run_that_stops_on_an_error_is_recorded_failed_with_its_error(zone, tmp_path, monkeypatch):
    """Here the model's fit fails (retries off): the run is on record as failed with its error, in the warehouse
    and in the snapshot analysts read, not left `running` until the next run calls it interrupted."""
    from flows import wave
    from warehouse.snapshot import snapshot_path

    def fit(*args, **kwargs):
        raise OSError("the sample's disk went away")

    monkeypatch.setattr(wave, "fit", fit)
    monkeypatch.setattr(wave, "fit_model_task", wave.fit_model_task.with_options(retries=0))
    with pytest.raises(OSError, match="the sample's disk went away"):
        wave.nightly_wave(landing=str(zone / "landing"), warehouse=str(tmp_path / "w.duckdb"), select="all")
    for path in (tmp_path / "w.duckdb", snapshot_path(tmp_path / "w.duckdb")):
        runs = q(path, "select status, finished_at, summary from pipeline_run")
        assert runs["status"].to_list() == ["failed"] and runs["finished_at"].null_count() == 0, path
        assert json.loads(runs["summary"][0])["error"] == "OSError: the sample's disk went away"


def test_a_checkpoint_that_fails_beside_the_final_publish_leaves_the_run_completed_and_whole(
    zone, warehouse, tmp_path, monkeypatch, caplog
):
    """The run's end checkpoints on its own cursor; if that fails, the commits are in DuckDB's log and the
    warehouse's close checkpoints them: the run completes and holds what a run without the failure holds."""
    from flows import faults, wave

    monkeypatch.setenv("SCR_FAULT", "run:checkpoint@1:raise")
    monkeypatch.setattr(faults, "_hits", {})
    path = tmp_path / "w.duckdb"
    with caplog.at_level("WARNING", logger="scr.run"):
        wave.nightly_wave(landing=str(zone / "landing"), warehouse=str(path), select="all")
    assert faults._hits == {"run:checkpoint": 1}  # the point was reached, and the fault raised there
    assert "checkpoint beside the final publish failed" in caplog.text
    assert not Path(str(path) + ".wal").exists() or Path(str(path) + ".wal").stat().st_size == 0
    assert q(path, "select status from pipeline_run")["status"].to_list() == ["completed"]
    for table in ("stg_client", "client_crosswalk", "unified_client", "practice_status"):
        count = f"select count(*) as n from {table}"
        assert q(path, count).equals(q(warehouse, count)), table


def _frames_left(zone: Path, warehouse: Path, monkeypatch, fail: bool) -> tuple[int, int]:
    """Run a wave with the cycle collector off (what a chunk leaves in a reference cycle stays, as it does
    between a big wave's collections); every chunk is our own chunk function, run for real, whose frames are
    watched, failing after its work with `fail`. Returns (frames watched, frames still alive)."""
    import gc
    import logging
    import weakref

    from _pytest.logging import LogCaptureHandler

    from flows import wave
    from flows.settings import get_settings

    frames: list[weakref.ref] = []
    real = wave.run_chunk

    def watched(*args):
        result = real(*args)
        frames.extend(weakref.ref(f) for f in (result.frames.client, result.unified and result.unified.lineage) if f is not None)
        if fail:
            raise OSError("the disk went away")  # its traceback holds `result`
        return result

    monkeypatch.setattr(wave, "run_chunk", watched)
    monkeypatch.setattr(wave, "journey_chunk", wave.journey_chunk.with_options(retries=0))
    monkeypatch.setenv("SCR_CHUNK_PRACTICES", "2")
    get_settings.cache_clear()
    gc.disable()
    try:
        wave.nightly_wave(landing=str(zone / "landing"), warehouse=str(warehouse), select="all")
        # pytest's log capture keeps every record, and Prefect logs a failed task with its traceback; a run's
        # own handlers format a record and let it go
        for handler in logging.getLogger().handlers:
            if isinstance(handler, LogCaptureHandler):
                handler.records.clear()
        return len(frames), sum(ref() is not None for ref in frames)
    finally:
        gc.enable()
        get_settings.cache_clear()


def test_a_written_chunks_frames_are_freed_without_waiting_for_the_cycle_collector(zone, tmp_path, monkeypatch):
    watched, alive = _frames_left(zone, tmp_path / "w.duckdb", monkeypatch, fail=False)
    assert watched >= 6  # three chunks or more, each with records
    assert alive == 0


def test_a_failed_chunks_frames_are_freed_without_waiting_for_the_cycle_collector(zone, tmp_path, monkeypatch):
    watched, alive = _frames_left(zone, tmp_path / "w.duckdb", monkeypatch, fail=True)
    assert watched >= 6
    assert alive == 0
    detail = q(tmp_path / "w.duckdb", "select distinct detail from practice_status where detail like 'chunk failed%'")["detail"]
    assert detail.to_list() == ["chunk failed: OSError: the disk went away"]  # the practices still say why


def test_a_run_tunes_the_cycle_collector_and_leaves_it_as_it_was():
    import gc

    from flows import collector

    before = gc.get_threshold()
    assert gc.get_freeze_count() == 0
    with collector.tuned(young=12_345):
        assert gc.get_threshold()[0] == 12_345
        assert gc.get_freeze_count() > 0  # what existed when the run began is left out of its collections
    assert (gc.get_threshold(), gc.get_freeze_count()) == (before, 0)
    with pytest.raises(RuntimeError):
        with collector.tuned():
            raise RuntimeError("a run that fails")
    assert (gc.get_threshold(), gc.get_freeze_count()) == (before, 0)
    gc.freeze()  # someone else's freeze (a process preparing to fork) is theirs to undo
    try:
        with collector.tuned():
            pass
        assert gc.get_freeze_count() > 0  # not unfrozen (objects freed meanwhile leave the count)
    finally:
        gc.unfreeze()


# one publish when the run starts, one for its data and one for its record; one more after each commit when the
# interval is 0; whether the writer waits for its chunks or not (a busy writer publishing on every wait paid a
# publish's fixed cost, over every table, many times a minute)
@pytest.mark.parametrize(
    "every, slow, publishes", [("3600", False, lambda n: 3), ("3600", True, lambda n: 3), ("0", False, lambda n: 3 + n)]
)
def test_the_snapshot_is_published_at_most_every_snapshot_seconds_and_at_the_end(
    zone, tmp_path, monkeypatch, every, slow, publishes
):
    import time

    from flows import wave
    from flows.settings import get_settings
    from warehouse.reader import open_snapshot

    real, calls, chunk = wave.publish_snapshot, [], wave.run_chunk

    def counted(con, warehouse):  # the real publish, counted
        calls.append(warehouse)
        return real(con, warehouse)

    def slowed(*args):  # our own chunk function, run for real and a second slower: the writer waits for chunks
        result = chunk(*args)
        time.sleep(1.0)
        return result

    monkeypatch.setattr(wave, "publish_snapshot", counted)
    if slow:
        monkeypatch.setattr(wave, "run_chunk", slowed)
    monkeypatch.setenv("SCR_CHUNK_PRACTICES", "2")
    monkeypatch.setenv("SCR_SNAPSHOT_SECONDS", every)
    get_settings.cache_clear()
    path = tmp_path / "w.duckdb"
    try:
        summary = wave.nightly_wave(landing=str(zone / "landing"), warehouse=str(path), select="all")
    finally:
        get_settings.cache_clear()
    chunks = -(-summary["practices"] // 2)
    assert chunks >= 3
    assert len(calls) == publishes(chunks)
    with duckdb.connect(str(path), read_only=True) as con:
        want = {t: con.sql(f"select count(*) from {t}").fetchall()[0][0] for t in ("unified_client", "client_crosswalk", "pipeline_run")}
    with open_snapshot(path) as snap:
        got = {t: snap.sql(f"select count(*) from {t}").fetchall()[0][0] for t in want}
    assert got == want and want["unified_client"] > 0


def test_what_was_committed_is_published_within_snapshot_seconds_while_the_writer_waits_for_a_slow_chunk(
    zone, tmp_path, monkeypatch
):
    import threading
    import time

    from flows import wave
    from flows.settings import get_settings
    from warehouse.reader import open_snapshot

    path, real, first_two, seen = tmp_path / "w.duckdb", wave.run_chunk, [], []
    lock = threading.Lock()

    def published(ids: list[str]) -> bool:
        try:
            with open_snapshot(path) as snap:
                rows = snap.sql("select count(distinct practice_id) from run_practice where practice_id in "
                                "(select unnest($ids::varchar[]))", params={"ids": ids}).fetchall()  # fmt: skip
        except Exception:  # noqa: BLE001 - no snapshot yet, or one being swapped in
            return False
        return rows[0][0] == len(ids)

    def slow_after_two(landing, practices, *rest):  # our own chunk function, run for real
        result = real(landing, practices, *rest)
        with lock:
            ids = practices["practice_id"].to_list()
            if len(first_two) < 2:
                first_two.append(ids)
                return result
        # the later chunks wait until the snapshot holds the second chunk: the writer, waiting for them,
        # must publish it once the interval is up
        deadline = time.monotonic() + 30
        while not published(first_two[1]) and time.monotonic() < deadline:
            time.sleep(0.2)
        seen.append(published(first_two[1]))
        return result

    monkeypatch.setattr(wave, "run_chunk", slow_after_two)
    monkeypatch.setenv("SCR_CHUNK_PRACTICES", "2")
    monkeypatch.setenv("SCR_SNAPSHOT_SECONDS", "5")
    get_settings.cache_clear()
    try:
        wave.nightly_wave(landing=str(zone / "landing"), warehouse=str(path), select="all")
    finally:
        get_settings.cache_clear()
    assert len(seen) >= 2 and all(seen)


def test_a_wave_parses_in_its_pool_by_default_scr_parse_processes_0_parses_in_its_threads_and_both_store_the_same(
    zone, prefect_api, tmp_path, monkeypatch
):
    # this zone is below the size a batch needs to go to the pool: here every batch goes, bad practices included
    from flows.settings import get_settings
    from flows.wave import nightly_wave
    from landing import pool

    monkeypatch.setattr(pool, "MIN_BYTES", 0)
    threads, pooled = tmp_path / "threads.duckdb", tmp_path / "pooled.duckdb"
    started = []

    def ensure(size):  # a pool would start here: noted, and refused (a test must not wait on parsers never started)
        started.append(size)
        raise RuntimeError("the wave asked for parsing processes")

    with monkeypatch.context() as off:
        off.setenv("SCR_PARSE_PROCESSES", "0")
        off.setattr(pool, "_ensure", ensure)
        get_settings.cache_clear()
        try:
            nightly_wave(landing=str(zone / "landing"), warehouse=str(threads), select="all")
        finally:
            get_settings.cache_clear()
    assert started == []

    used, real = [], pool.run

    def counted(fn, parts):
        out = real(fn, parts)
        used.append(out is not None)
        return out

    monkeypatch.setattr(pool, "run", counted)
    nightly_wave(landing=str(zone / "landing"), warehouse=str(pooled), select="all")
    assert used and all(used)
    assert pool.worker_pids() == []  # the wave stopped its parsers when it ended
    for sql in (
        "select practice_id, status, detail from practice_status order by all",
        "select practice_id, source, source_client_id, merge_status from client_crosswalk order by all",
        "select practice_id, count(*) as clients from unified_client group by all order by all",
        "select * from stg_client order by practice_id, source, source_client_id",
    ):
        assert q(pooled, sql).equals(q(threads, sql)), sql


def test_a_wave_gates_in_the_gates_own_process_by_default_and_scr_gate_process_0_gates_in_its_threads_alike(
    zone, prefect_api, tmp_path, monkeypatch
):
    from flows.settings import get_settings
    from flows.wave import nightly_wave
    from quality import gate

    here, there = tmp_path / "here.duckdb", tmp_path / "there.duckdb"
    gate.stop_process()
    validated_here = []
    real = gate._run
    monkeypatch.setattr(gate, "_run", lambda suite: validated_here.append(suite.name) or real(suite))
    with monkeypatch.context() as off:
        off.setenv("SCR_GATE_PROCESS", "0")
        get_settings.cache_clear()
        try:
            nightly_wave(landing=str(zone / "landing"), warehouse=str(here), select="all")
        finally:
            get_settings.cache_clear()
    assert validated_here and gate.process_pid() is None
    monkeypatch.setattr(gate, "_run", real)  # the gate's process is sent the module's own function
    validated_here.clear()
    sent, remote = [], gate._remote
    monkeypatch.setattr(gate, "_remote", lambda worker, fn, arg: sent.append(fn.__name__) or remote(worker, fn, arg))
    monkeypatch.setattr(gate, "_LOCK", None)  # validating here would need it: the wave must not
    nightly_wave(landing=str(zone / "landing"), warehouse=str(there), select="all")
    assert "_run" in sent and gate.process_pid() is not None  # started by the wave, kept for this process's next runs
    for sql in (
        "select practice_id, suite, expectation, success, unexpected_count, result from quality_result order by all",
        "select practice_id, status, detail from practice_status order by all",
        "select practice_id, count(*) as clients from unified_client group by all order by all",
    ):
        assert q(there, sql).equals(q(here, sql)), sql
    gate.stop_process()


def test_a_model_a_first_wave_was_too_small_to_fit_is_fitted_once_the_landing_zone_holds_enough(prefect_api, tmp_path):
    # a pilot of two practices gives too few candidate pairs to learn from: the wave matches with the expert
    # starting values and stores them; when the firm's other practices land, the next wave fits a model on
    # them instead of keeping the pilot's starting values for every wave after (as a fitted model is kept)
    from synthetic import generate_zone

    from flows.wave import nightly_wave

    zone, path = tmp_path / "zone", tmp_path / "scr.duckdb"

    def current() -> dict:
        return json.loads(q(path, "select model from match_model where is_current")["model"].item())

    generate_zone(zone, 2, seed=5)
    nightly_wave(landing=str(zone / "landing"), warehouse=str(path), select="all")
    pilot = current()
    assert pilot["iterations"] == 0  # not fitted
    nightly_wave(landing=str(zone / "landing"), warehouse=str(path), select="all")
    assert current() == pilot  # the same sample: fitted again, the same starting values
    generate_zone(zone, 40, seed=5)  # the rest of the firm lands
    nightly_wave(landing=str(zone / "landing"), warehouse=str(path), select="all")
    fitted = current()
    assert fitted["iterations"] > 0
    assert q(path, "select count(*) n from match_model")["n"].item() == 2


def test_an_export_that_stops_coming_fails_its_practice_and_keeps_its_version_until_the_registry_says_so(tmp_path, prefect_api):
    """Found by QA (session 29): a complete practice whose xpm_clients.xml went missing was rerun as "no XPM data" and
    a version without its XPM clients promoted, unsaid. Now it fails naming the file, its version stays; practices.json
    saying the practice no longer uses XPM is what drops them."""
    from flows.wave import rerun_practice
    from synthetic import generate_zone

    generate_zone(tmp_path / "z", 4, seed=5, bad_practices=0)
    landing, wh = tmp_path / "z" / "landing", tmp_path / "w.duckdb"
    registry = json.loads((landing / "practices.json").read_text())
    for row in registry:  # every practice consolidates: step one done, a strategy chosen
        row.update(connection="confirmed", connected_by=row["master_admin"], strategy="combine")
    (landing / "practices.json").write_text(json.dumps(registry))
    pid = next(r["practice_id"] for r in registry if r["uses_xpm"])
    rerun_practice(practices=[pid], landing=str(landing), warehouse=str(wh))
    count = f"select count(*) as n from client_crosswalk where practice_id = '{pid}' and source = 'xpm'"
    before = q(wh, count)["n"][0]
    versions = f"select count(*) as n from promotion_version where practice_id = '{pid}'"
    assert before > 0 and q(wh, versions)["n"][0] == 1
    (landing / pid / "xpm_clients.xml").rename(tmp_path / "kept.xml")
    rerun_practice(practices=[pid], landing=str(landing), warehouse=str(wh))
    status = q(wh, f"select status, detail from practice_status where practice_id = '{pid}'").row(0)
    staged = q(wh, f"select count(*) as n from stg_client where practice_id = '{pid}' and source = 'xpm'")["n"][0]
    assert status == ("failed", f"xpm_clients.xml: absent, but the last reading held {staged} XPM clients and practices.json says "
                                "the practice uses XPM: restore the export (the promoted version stays as it is), or set "
                                "uses_xpm false to consolidate without them")  # fmt: skip
    assert q(wh, count)["n"][0] == before and q(wh, versions)["n"][0] == 1
    # a folder of the file's name is no absent export either
    (landing / pid / "xpm_clients.xml").mkdir()
    rerun_practice(practices=[pid], landing=str(landing), warehouse=str(wh))
    assert q(wh, f"select detail from practice_status where practice_id = '{pid}'")["detail"][0] == (
        "xpm_clients.xml: a folder, not a file: the export must be the file itself")
    (landing / pid / "xpm_clients.xml").rmdir()
    assert q(wh, count)["n"][0] == before and q(wh, versions)["n"][0] == 1
    # QA (session 35): an export present but holding no client (Status OK, an empty list) is as absent: it promoted a
    # version without the XPM clients, unsaid
    (landing / pid / "xpm_clients.xml").write_text('<?xml version="1.0" encoding="UTF-8"?>\n<Response><Status>OK</Status><Clients/></Response>\n')
    rerun_practice(practices=[pid], landing=str(landing), warehouse=str(wh))
    status = q(wh, f"select status, detail from practice_status where practice_id = '{pid}'").row(0)
    assert status == ("failed", f"xpm_clients.xml: holds no clients, but the last reading held {staged} XPM clients and practices.json "
                                "says the practice uses XPM: restore the export (the promoted version stays as it is), or set "
                                "uses_xpm false to consolidate without them")  # fmt: skip
    assert q(wh, count)["n"][0] == before and q(wh, versions)["n"][0] == 1
    assert q(wh, f"select count(*) as n from stg_client where practice_id = '{pid}' and source = 'xpm'")["n"][0] == staged
    (landing / pid / "xpm_clients.xml").unlink()
    # the registry says the practice no longer uses XPM: a new version without its XPM clients
    for row in registry:
        if row["practice_id"] == pid:
            row["uses_xpm"] = False
    (landing / "practices.json").write_text(json.dumps(registry))
    rerun_practice(practices=[pid], landing=str(landing), warehouse=str(wh))
    assert q(wh, count)["n"][0] == 0 and q(wh, versions)["n"][0] == 2


def test_a_practice_of_the_wave_that_fails_before_any_chunk_is_planned_and_counted_in_wave_summary(tmp_path, prefect_api):
    """QA (session 35): a registered practice of wave 1 with no folder failed ("no folder") but wave_summary left it out
    of the wave's plan (13 planned against practices.json's 14, migration_progress counting it failed)."""
    from flows.wave import nightly_wave
    from synthetic import generate_zone

    generate_zone(tmp_path / "z", 3, seed=5, bad_practices=0)
    landing, wh = tmp_path / "z" / "landing", tmp_path / "w.duckdb"
    registry = json.loads((landing / "practices.json").read_text())
    for row in registry:
        row["wave"] = 1
    registry.append(dict(registry[0], practice_id="NOFOLDER", name="No Folder"))
    registry.append(dict(registry[0], practice_id="LATER", name="Later", wave=2))  # another wave's: not this run's
    (landing / "practices.json").write_text(json.dumps(registry))
    nightly_wave(landing=str(landing), warehouse=str(wh), select="eligible")
    taken = q(wh, "select practice_id, status from run_practice order by 1")
    assert ("NOFOLDER", "failed") in taken.rows() and "LATER" not in taken["practice_id"].to_list()
    failed = taken.filter(pl.col("status") == "failed").height
    assert q(wh, "select planned, failed from wave_summary where wave = 1").rows() == [(taken.height, failed)]
    assert q(wh, "select count(*) n from wave_summary where wave = 2")["n"][0] == 0
