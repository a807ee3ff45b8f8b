"""The migration flows: `nightly_wave` (scheduled and `scr run`) and `rerun_practice`.

Chunk tasks compute (extract, match, survive, gate) and return frames; this flow process is
the warehouse's only writer.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import polars as pl
from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE
from prefect.futures import as_completed
from prefect.task_runners import ThreadPoolTaskRunner

from flows import collector, faults, progress
from flows.commit import forget_frames, why, write_chunk
from flows.journey import ChunkResult, Kept, fit, model_sample_of, read_ahead, run_chunk
from flows.markdown import md_text
from flows.hashkey import adopt_key, check_task_key
from flows.settings import get_settings, hash_key
from flows.snapshot_hook import publish_snapshot
from flows.timing import Stopwatch
from flows.words import plural
from landing import pool, read_registry, registry_problems, unnamed_rows
from landing.fingerprint import fingerprints
from landing.practice import lost_exports
from landing.registry import ID_PATTERN
from landing.sizes import practice_sizes
from transforms.planning import budget_unused, chunks, plan_wave, unplanned_wave
from transforms.status_rules import baseline, with_choices
from warehouse import db
from warehouse.choices import latest_choices, read_pins
from warehouse.invariants import check as check_invariants
from warehouse.review import read_decisions
from warehouse.run_store import fail_run, finish_run, start_run, write_run_practices
from warehouse.meta import read_meta
from warehouse.schema import WAREHOUSE_ID, create_all
from warehouse.snapshot import SnapshotTaken, snapshot_taken
from warehouse.staging import client_counts, load_practices
from warehouse.status import drop_non_practices, mark_changed, read_extracts, read_status, write_status

UNNAMED_LOGGED = 5  # rows of practices.json naming no practice that a run logs one by one; the rest are counted


class InvariantBroken(RuntimeError):
    """A run finished with the warehouse in a state that must never be: the run is failed loudly."""


class RunRefused(ValueError):
    """The run was asked for something it must not do (a pinned practice, a landing zone that is not one)."""


def _check_where(landing: Path, warehouse: Path) -> None:
    """The deployment's (or command's) landing zone and warehouse, checked before any work."""
    if not (landing / "practices.json").is_file():
        raise RunRefused(
            f"landing zone {landing} has no practices.json: give the flow its `landing` parameter "
            "(scr serve --landing DIR, or SCR_LANDING for the work-pool route)"
        )
    if warehouse.exists() and warehouse.is_dir():
        raise RunRefused(f"warehouse {warehouse} is a folder: give the flow a DuckDB file as `warehouse`")


def _task_key(landing: str, key_fingerprint: str):
    """The hash key where the task runs (settings, i.e. this process's environment), checked against the flow's.

    Tasks never receive the key as an argument: Prefect records task and flow parameters.
    """
    key = hash_key(landing)
    check_task_key(key, key_fingerprint)
    return key


@task(name="journey-chunk", cache_policy=NO_CACHE, retries=2, retry_delay_seconds=[2, 10])
def journey_chunk(landing: str, practices: pl.DataFrame, key_fingerprint: str, decisions: pl.DataFrame | None, params: dict) -> ChunkResult:
    """Extract, match, survive and gate one chunk of practices (retried on transient errors)."""
    ids = practices["practice_id"].to_list()
    get_run_logger().info("chunk of %s: %s%s", plural(len(ids), "practice"), ", ".join(ids[:5]), ", ..." if len(ids) > 5 else "")
    return run_chunk(landing, practices, _task_key(landing, key_fingerprint), decisions, params)


@task(name="fit-match-model", cache_policy=NO_CACHE, retries=1, retry_delay_seconds=5)
def fit_model_task(
    landing: str, practices: pl.DataFrame, key_fingerprint: str, decisions: pl.DataFrame | None, keep: str | None = None
) -> dict:
    """Fit the match model on a fixed sample of practices (with `keep`, their frames stay for their chunks)."""
    get_run_logger().info("fitting the match model on %s", plural(practices.height, "practice"))
    return fit(landing, practices, _task_key(landing, key_fingerprint), decisions, keep)


def _model(con, landing: Path, registry: pl.DataFrame, problems: dict[str, str], decisions, run_id: str, refit: bool,
           key_fingerprint: str, keep: str | None = None, fitting: Callable[[pl.DataFrame], None] | None = None) -> dict:
    """The stored match model, or one fitted now on a sample of the practices whose step one is done (the first by
    id, giant practices left out while there are enough others: transforms.planning.model_sample), then stored.
    A stored model that was never fitted (its sample too small: the expert starting values) is fitted again.

    The sample depends only on the registry and the sizes of the practices' files, so a fresh warehouse fits the
    same model on every machine. With `keep`, the sample's frames stay in this process for their chunks;
    `fitting(sample)` is called before a fit.
    """
    from transforms.model import Model, ModelMismatch
    from warehouse.model_store import load_model, save_model

    if not refit:
        stored = load_model(con)
        if stored is not None:
            try:
                fitted = Model.from_dict(stored).fitted
            except ModelMismatch as exc:
                get_run_logger().warning("stored match model no longer fits this code (%s): refitting", exc)
            else:
                if fitted:
                    return stored
                # a first wave too small to learn from (a pilot of a practice or two) got the expert starting
                # values: fit again, on the sample the landing zone gives now, until a model is learned
                get_run_logger().info("the stored match model holds the expert starting values (its sample had too "
                                      "few candidate pairs to learn from): fitting on this run's sample")
    sample = model_sample_of(landing, registry, problems)
    if fitting is not None:
        fitting(sample)
    progress.report("fitting the match model", 0, 1)
    model = fit_model_task(str(landing), sample, key_fingerprint, decisions, keep)
    with db.transaction(con):
        save_model(con, model, run_id, sample.height, 0)
    return model


def _params() -> dict:
    s = get_settings()
    return {
        # the model's own threshold (chosen for 0.999 precision on the zone's gold pairs) unless an operator set one
        "auto_threshold": s.auto_threshold,
        "review_threshold": s.review_threshold,
        "small_practice_max": s.small_practice_max,
    }


def run_journey(
    landing: Path,
    warehouse: Path,
    practice_ids: list[str] | None,
    wave: int | None,
    record_budget: int | None,
    select: str,
    refit: bool = False,
    kind: str = "wave",
) -> dict:
    """Plan, run chunk tasks, commit each chunk whole as it completes, check the invariants, publish the summary."""
    logger = get_run_logger()
    settings = get_settings()
    run_id = uuid.uuid4().hex[:12]
    clock, started = Stopwatch(), time.perf_counter()
    _check_where(landing, warehouse)
    key = hash_key(landing)  # HashKeyMissing: no run without a key
    if key.origin.startswith("throwaway"):
        logger.warning("hashing with the %s: synthetic data only", key.origin)
    files = read_registry(landing)
    problems = registry_problems(landing, files)
    unnamed = unnamed_rows(landing)  # rows of practices.json no practice is read from: the registry's problem, said apart
    for line in unnamed[:UNNAMED_LOGGED]:  # a registry of junk rows logged one line each took minutes (QA7): the first few
        logger.warning("%s%s", line, " (no practice is read from it: fix or remove the row)" if line.startswith("practices.json") else "")
    if len(unnamed) > UNNAMED_LOGGED:
        logger.warning("no practice is read from %d more rows of practices.json (`scr status` lists the first)", len(unnamed) - UNNAMED_LOGGED)
    if practice_ids:
        unknown = sorted(set(practice_ids) - set(files["practice_id"].to_list()))
        if unknown:
            raise RunRefused(f"not in {landing / 'practices.json'}: {', '.join(unknown)}")
    elif select == "named":
        raise RunRefused("a rerun needs the practices to run (parameter `practices`)")
    if wave is not None and record_budget is not None:  # the budget would be ignored: a wave is taken whole
        raise RunRefused(f"a record budget ({record_budget}) with a wave ({wave}): a budget fills only a wave of practices "
                         "no wave is planned for; give one or the other")  # fmt: skip
    unplanned = unplanned_wave(files, wave, str(landing / "practices.json"))
    if unplanned:  # a deployment's `wave` parameter no practice is planned in: an empty wave reported as a success
        raise RunRefused(unplanned)
    with (
        collector.tuned(),
        pool.sized(settings.parse_processes),
        Kept.held(run_id),
        db.writer(warehouse, settings.wait_seconds, on_wait=logger.warning, on_stale=logger.warning) as con,
        _failure_recorded(con, run_id, warehouse),
    ):
        with db.transaction(con):
            create_all(con)
            adopt_key(con, key, warehouse)  # KeyMismatch: never hashes of two keys in one warehouse
        # `a.db` beside `a.duckdb`: its snapshot folder is the other's, whose analysts' snapshot a publish would replace
        taken = snapshot_taken(warehouse, read_meta(con, WAREHOUSE_ID))
        if taken:  # before any work: a run's publishes would each be refused, its analysts' snapshot never its own
            raise SnapshotTaken(taken)
        # practices.json as the operators' recorded choices amend it (strategy, step one confirmed)
        registry = with_choices(files, latest_choices(con))
        # an export that stopped coming while the registry still names its system fails its practice, not reads as none
        staged_counts = client_counts(con, registry["practice_id"].to_list())
        lost = lost_exports(landing, registry, staged_counts)
        problems = dict(sorted({**lost, **problems}.items()))
        pinned = set(read_pins(con)["practice_id"].to_list())
        held = sorted(set(practice_ids or []) & pinned)
        if held:
            raise RunRefused(f"{', '.join(held)} pinned after a rollback: `scr practice release {held[0]}` first")
        start_run(con, run_id, kind, {"practices": practice_ids, "wave": wave, "record_budget": record_budget, "select": select,
                                      "landing": str(Path(landing).resolve())}, unnamed_rows=unnamed)
        faults.point("run:started")
        prints = fingerprints(landing, registry["practice_id"].to_list())
        with clock.stage("plan"), db.transaction(con):
            # an earlier release kept a row naming no practice as a failed practice (`practices.json row 3`, a TFN typed
            # as its id): gone, said by the run instead
            mark_changed(con, drop_non_practices(con, ID_PATTERN.pattern))
            load_practices(con, registry)
            base = baseline(registry, read_status(con), read_extracts(con), prints, problems)
            mark_changed(con, write_status(con, base, run_id))
        with clock.stage("snapshot"):
            publish_snapshot(con, warehouse)
        published_at = time.perf_counter()
        current = read_status(con)
        # a practice pinned after a rollback is left alone until released; but a rekey reads it again (no hash of
        # the old key may stay), keeping its version: the chunk's writer re-keys that version's hashes, promotes nothing
        left_alone = set() if select == "rekey" else pinned
        candidates = registry.filter(~pl.col("practice_id").is_in(list(problems)) & ~pl.col("practice_id").is_in(list(left_alone)))
        unused = None
        if practice_ids:
            todo = candidates.filter(pl.col("practice_id").is_in(practice_ids))
        elif select in ("all", "rekey"):
            todo = candidates
        else:
            todo = plan_wave(candidates, current, practice_sizes(landing, candidates["practice_id"].to_list()),
                             wave=wave, record_budget=record_budget)  # fmt: skip
            unused = budget_unused(todo, wave, record_budget)
            if unused:
                # info: `scr wave` says it in its own one line on stderr (a warning was a second one); the run's log keeps it
                logger.info("record budget %d not used: %s", record_budget, unused)
        # a practice the run was asked for (by id, all, or in a wave it plans) that fails before any chunk takes it (no
        # folder, a lost export): a row of the run's too, so wave_summary plans and counts it (QA, session 35)
        waves = set(todo["wave"].drop_nulls().to_list()) | ({wave} if wave is not None else set())
        asked = (pl.col("practice_id").is_in(practice_ids) if practice_ids else pl.lit(True) if select in ("all", "rekey")
                 else pl.col("wave").is_in(sorted(waves)))  # fmt: skip
        failing = registry.filter(asked.fill_null(False) & pl.col("practice_id").is_in(list(problems)))
        if not failing.is_empty():
            with db.transaction(con):
                write_run_practices(con, failing.select(
                    "practice_id", records=pl.lit(0, pl.Int64), status=pl.lit("failed"),
                    detail=pl.col("practice_id").replace_strict(problems, default=None, return_dtype=pl.String)), run_id)  # fmt: skip
        decisions = read_decisions(con)
        params = _params()
        # what each practice's last reading held: an export present now but empty fails its practice as an absent one
        params["held"] = staged_counts.filter(pl.col("practice_id").is_in(todo["practice_id"].implode()))
        parts = chunks(todo, settings.chunk_practices, practice_sizes(landing, todo["practice_id"].to_list()), settings.chunk_records)
        if not todo.is_empty():
            # chunks in this process's threads take the frames the model's fit read rather than read them again,
            # and the first chunks' other practices are read while the model is fitted
            keep = run_id if _local_threads() else None
            stop_reading = threading.Event()

            def fitting(sample: pl.DataFrame) -> None:
                if keep is None:
                    return
                ahead = [p.join(sample, on="practice_id", how="anti") for p in parts[: settings.chunks_ahead]]
                threading.Thread(target=read_ahead, args=(landing, ahead, key, keep, stop_reading), name="scr-read-ahead",
                                 daemon=True).start()  # fmt: skip

            try:
                with clock.stage("model"):
                    params["model"] = _model(con, landing, registry, problems, decisions, run_id, refit, key.fingerprint, keep, fitting)
            finally:
                stop_reading.set()  # the chunks start now: they read what was not read ahead yet
            params["kept"] = keep
            # the gate's first call imports Great Expectations (seconds of pure Python, holding the GIL): in a process
            # of its own, where it holds no GIL of this one's chunk threads. `scr run`, `wave` and `rerun` start that
            # process before Prefect starts (flows.cli_run._gate_early: a core is idle then); a deployment's run
            # (`scr serve`) starts it here, once the model is fitted, rather than beside the fit, which it slowed
            _gate_process(settings.gate_process and keep is not None)
            if not (settings.gate_process and keep):
                threading.Thread(target=_warm_gate, name="gate-warm-up", daemon=True).start()
        logger.info("run %s: %s in %s", run_id, plural(todo.height, "practice"), plural(len(parts), "chunk"))
        progress.report("practices", 0, todo.height)
        # a window of chunks in flight: the workers compute ahead of the writer, but never more than
        # chunks_ahead results wait in memory, so memory stays flat however large the wave
        queue, pending = list(parts), {}

        def top_up() -> None:
            while queue and len(pending) < settings.chunks_ahead:
                part = queue.pop(0)
                pending[journey_chunk.submit(str(landing), part, key.fingerprint, decisions, params)] = part

        top_up()
        stats, done, promoted = [], 0, []
        unpublished = False  # commits the analysts' snapshot does not hold yet
        while pending:
            waited, publishing = time.perf_counter(), 0.0
            if unpublished and _wait_for_a_chunk(list(pending), published_at + settings.snapshot_seconds):
                # no chunk came before the interval was up: publish while waiting, so a slow chunk does
                # not hold back what was committed before it
                started_publish = time.perf_counter()
                with clock.stage("snapshot"):
                    publish_snapshot(con, warehouse)
                published_at, unpublished = time.perf_counter(), False
                publishing = published_at - started_publish
            future = next(as_completed(list(pending)))
            clock.add("writer_waiting", time.perf_counter() - waited - publishing)  # a publish is not waiting
            ids = pending.pop(future)["practice_id"].to_list()
            top_up()  # the next chunk starts while this one is written
            try:
                result: ChunkResult = future.result()
            except Exception as exc:  # noqa: BLE001 - a chunk that still fails after its retries fails its practices only
                logger.error("chunk of %s failed after retries: %s", ", ".join(ids[:5]), why(exc))
                with db.transaction(con):
                    failed = pl.DataFrame({"practice_id": ids, "status": "failed", "detail": f"chunk failed: {why(exc)}"})
                    mark_changed(con, write_status(con, failed, run_id))
                forget_frames(exc)  # its traceback holds the chunk's frames, and the runner's future holds it
            else:
                clock.merge(result.timings)
                if write_chunk(con, result, run_id, pinned, clock=clock):
                    stats.append(result.stats)
                    if result.gate is not None:
                        promoted += [p for p in result.gate.passed if p not in pinned]
                result.release()  # the runner's future outlives this loop in a reference cycle: free the frames now
            future = result = None  # a written chunk's frames are not kept
            faults.point("chunk:committed")
            # each publish exports what changed since the last one, and each has a fixed cost over every table:
            # publish at most every snapshot_seconds, after a commit or while waiting for the next chunk (above);
            # after the last chunk the run's own publish follows
            unpublished = True
            if time.perf_counter() - published_at >= settings.snapshot_seconds:
                with clock.stage("snapshot"):
                    publish_snapshot(con, warehouse)
                published_at, unpublished = time.perf_counter(), False
            done += len(ids)
            progress.report("practices", done, todo.height)
            logger.info("chunk written: %s (%d/%d)", plural(len(ids), "practice"), done, todo.height)
        touched = sorted(set(todo["practice_id"].to_list()) | set(problems))
        # the invariants read the warehouse on their own cursor while the run's data is published: both are
        # DuckDB's work and the chunks are done (1M bench zone: 7.0 -> 5.6 s from the last commit to the summary);
        # so does the checkpoint the writer's close would otherwise do alone after them (100k: about 1 s)
        with (
            db.cursor(con) as reader,
            db.cursor(con) as saver,
            ThreadPoolExecutor(2, thread_name_prefix="scr-run-end") as beside,
        ):
            checking = beside.submit(_invariants, reader, sorted(promoted), touched, clock)
            saving = beside.submit(_checkpoint, saver, clock)
            with clock.stage("snapshot"):
                publish_snapshot(con, warehouse)  # the run's data; after finish_run only its record is left to publish
            faults.point("run:before-finish")
            invariants = checking.result()
            saving.result()
        summary = _summarise(con, run_id, todo.height, set(touched), stats)
        # seconds per stage: chunk stages are summed over chunks (two run at once), writer stages are the flow's own
        summary["timings"] = {**clock.rounded(), "run_wall": round(time.perf_counter() - started, 3)}
        broken = [k for k, v in invariants.items() if not v["ok"]]
        finish_run(con, run_id, "broken" if broken else "completed", summary, invariants)
        publish_snapshot(con, warehouse)
    _publish(summary)
    if unused:  # for the command to say (`scr wave --budget N`); not stored with the run
        summary["budget_unused"] = unused
    if broken:
        raise InvariantBroken(f"run {run_id} broke invariants: {', '.join(broken)} (details in pipeline_run.invariants)")
    return summary


@contextmanager
def _failure_recorded(con, run_id: str, warehouse: Path) -> Iterator[None]:
    """A run that stops on an error is recorded as failed, with the error, and published, before the error goes
    on (a killed process cannot do this: the next run, and `scr status`, call its run interrupted)."""
    try:
        yield
    except Exception as exc:
        if db.interrupted(exc):  # a Ctrl-C that came during a query: stopped as by the signal, the run interrupted
            raise KeyboardInterrupt from exc
        try:
            with db.transaction(con):
                recorded = fail_run(con, run_id, why(exc))
            if recorded:
                publish_snapshot(con, warehouse)
        except Exception as also:  # noqa: BLE001 - the run's own error is the one to raise
            get_run_logger().warning("could not record run %s as failed: %s", run_id, why(also))
        raise


def _local_threads() -> bool:
    """Whether this flow's tasks run in its own process's threads (not on a Dask cluster)."""
    from prefect.context import FlowRunContext

    ctx = FlowRunContext.get()
    return isinstance(getattr(ctx, "task_runner", None), ThreadPoolTaskRunner)


def _ready(future) -> bool:
    """A chunk's result can be taken now without waiting (asked of the runner's own future: no API call)."""
    inner = getattr(future, "wrapped_future", None)
    return bool(inner is not None and inner.done())


def _wait_for_a_chunk(futures: list, deadline: float) -> bool:
    """Wait until a chunk is ready or the deadline (perf_counter) passes; True when the deadline came first.

    Asks the runners' own futures (threads or Dask) every tenth of a second; where a future cannot be asked,
    returns False at once (the caller waits for the chunk as before)."""
    if not all(getattr(f, "wrapped_future", None) is not None for f in futures):
        return False
    while not any(map(_ready, futures)):
        left = deadline - time.perf_counter()
        if left <= 0:
            return True
        time.sleep(min(left, 0.1))
    return False


def _gate_process(wanted: bool) -> None:
    """The quality gate's own process (quality.gate.start_process), or none when the settings say so. It stays for
    the process's next runs (`scr serve`'s, a test session's) with Great Expectations imported, as that import stays
    in a process that gates in its own threads; it exits with this process, however that ends (its input closes)."""
    from quality.gate import start_process, stop_process

    if wanted:
        start_process()
    else:
        stop_process()


def _warm_gate() -> None:
    from quality.gate import warm_up

    try:
        warm_up()
    except Exception:  # noqa: BLE001 - a failed warm-up only means the first gate pays for it, and says why
        logging.getLogger("scr.gate").warning("could not warm up the quality gate", exc_info=True)


def _checkpoint(con, clock: Stopwatch) -> None:
    """The run's log into the warehouse file; if that fails, the commits stand in the log and the close tries again."""
    try:
        with clock.stage("checkpoint"):
            faults.point("run:checkpoint")
            db.checkpoint(con)
    except Exception as exc:  # noqa: BLE001 - nothing committed depends on it
        logging.getLogger("scr.run").warning(
            "checkpoint beside the final publish failed (the warehouse's close will checkpoint): %s", why(exc)
        )


def _invariants(con, promoted: list[str], touched: list[str], clock: Stopwatch) -> dict:
    from landing.identifiers import PUBLIC_KINDS

    with clock.stage("invariants"):
        return check_invariants(con, promoted, touched, sorted(PUBLIC_KINDS))


def _summarise(con, run_id: str, practices: int, touched: set[str], stats: list[pl.DataFrame]) -> dict:
    """Counts of the run, statuses of every practice, and the failed or blocked practices this run touched."""
    status = read_status(con)
    by_status = {r["status"]: r["n"] for r in status.group_by("status").agg(pl.len().alias("n")).iter_rows(named=True)}
    bad = status.filter(pl.col("status").is_in(["failed", "blocked"]) & pl.col("practice_id").is_in(list(touched)))
    frame = pl.concat(stats, how="vertical_relaxed") if stats else pl.DataFrame()
    total = lambda c: int(frame[c].sum()) if c in frame.columns else 0  # noqa: E731
    return {
        "run_id": run_id,
        "practices": practices,
        "records": total("records"),
        "auto_links": total("auto_links"),
        "review_links": total("review_links"),
        "by_status": dict(sorted(by_status.items())),
        "failures": dict(bad.select("practice_id", "detail").iter_rows()),
    }


def summary_markdown(summary: dict) -> str:
    """The run's summary for the Prefect UI; a failure's detail (it can quote a landing file's value) as literal text."""
    return (
        f"# Run {summary['run_id']}\n\n"
        f"- practices run: {summary['practices']}\n- records: {summary['records']}\n"
        f"- automatic merges (links): {summary['auto_links']}\n- links awaiting review: {summary['review_links']}\n"
        + "".join(f"- {k}: {v}\n" for k, v in summary["by_status"].items())
        + ("\n## Failed or blocked\n\n| practice | why |\n|---|---|\n" if summary["failures"] else "")
        + "".join(f"| {md_text(p)} | {md_text(why)} |\n" for p, why in summary["failures"].items())
    )


def _publish(summary: dict) -> None:
    """A table artifact (practices by status) and a markdown summary for the Prefect UI."""
    try:
        create_table_artifact(
            key="wave-status",
            table=[{"status": k, "practices": v} for k, v in summary["by_status"].items()],
            description=f"practices by status after run {summary['run_id']}",
        )
        create_markdown_artifact(key="wave-summary", markdown=summary_markdown(summary))
    except Exception as exc:  # noqa: BLE001 - artifacts are a courtesy; the warehouse has the record
        get_run_logger().warning("could not publish artifacts: %s", exc)


@flow(name="nightly-wave", task_runner=ThreadPoolTaskRunner(max_workers=2), log_prints=True)
def nightly_wave(
    landing: str | None = None,
    warehouse: str | None = None,
    practices: list[str] | None = None,
    wave: int | None = None,
    record_budget: int | None = None,
    select: str = "eligible",
    refit_model: bool = False,
) -> dict:
    """A migration wave: eligible practices (or the named ones, or `select="all"`), chunked, journeyed, promoted.

    `select="rekey"` (`scr rekey`): every practice, pinned ones too, which are read again but keep their version."""
    s = get_settings()
    return run_journey(
        Path(landing or s.landing), Path(warehouse or s.warehouse), practices, wave, record_budget, select, refit_model
    )


@flow(name="rerun-practice", task_runner=ThreadPoolTaskRunner(max_workers=2), log_prints=True)
def rerun_practice(practices: list[str], landing: str | None = None, warehouse: str | None = None) -> dict:
    """The same journey for the named practices, on demand."""
    s = get_settings()
    return run_journey(Path(landing or s.landing), Path(warehouse or s.warehouse), practices, None, None, "named", kind="rerun")


def with_runner(fn, runner: str = "thread", dask_address: str | None = None):
    """The flow with its task runner chosen at call time: local threads, or Dask (a local cluster without an address)."""
    if runner == "thread":
        return fn
    if runner != "dask":
        raise ValueError(f"unknown runner {runner!r}: use thread or dask")
    from prefect_dask import DaskTaskRunner

    if dask_address:
        return fn.with_options(task_runner=DaskTaskRunner(address=dask_address))
    return fn.with_options(
        task_runner=DaskTaskRunner(cluster_kwargs={"n_workers": 2, "processes": True, "threads_per_worker": 1})
    )
