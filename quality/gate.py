"""The quality gate: Great Expectations over the check frames; a practice with a failing row is blocked."""

from __future__ import annotations

import json
import logging
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import polars as pl

from quality.suites import Suite, suites

if TYPE_CHECKING:
    from transforms.survivorship import Unified
    from landing import Frames

__all__ = ["GateResult", "run_gate", "warm_up", "start_process", "stop_process", "process_pid"]

RESULTS = pl.Schema(
    {"practice_id": pl.String, "suite": pl.String, "expectation": pl.String, "success": pl.Boolean,
     "unexpected_count": pl.Int64, "result_json": pl.String}
)


@dataclass
class GateResult:
    """Practices that passed, blocked practices with the failed expectation names, one row per practice x expectation."""

    passed: list[str]
    blocked: dict[str, str]
    results: pl.DataFrame
    raw: dict[str, dict] = field(default_factory=dict)  # suite -> GX validation result (to_json_dict)


_VALIDATIONS: dict[str, Any] = {}  # suite name -> GX ValidationDefinition, built once per process
# chunk tasks run on threads; one GX context is shared and GX is not documented as thread-safe
_LOCK = threading.Lock()


def warm_up() -> None:
    """Import Great Expectations and make its context now (seconds, once per process), e.g. while a model fits."""
    with _LOCK:
        _context()


# Great Expectations' import is seconds of pure Python holding the GIL (scipy.stats for one expectation's module,
# pydantic models of its checkpoint actions): in a wave's own process it slows every chunk thread while it lasts.
# A process of its own imports it beside the flow's chunk threads, from when the match model is fitted, and
# validates there; it stays for the process's later gates and exits with it. A gate in a process without one
# (a Dask worker, SCR_GATE_PROCESS=0) validates in its own.
_PROCESS: dict[str, Any] = {}  # "worker" -> landing.pool.Worker with GX imported (or being imported)
_PROCESS_LOCK = threading.Lock()  # one call at a time: a Worker serves one request after another
log = logging.getLogger("scr.gate")


def start_process() -> None:
    """Start the gate's own process, if none runs: it imports Great Expectations now, while the caller goes on."""
    from landing.pool import Worker

    with _PROCESS_LOCK:
        if "worker" in _PROCESS:
            return
        worker = _PROCESS["worker"] = Worker()
    threading.Thread(target=_warm_remote, args=(worker,), name="scr-gate-warm-up", daemon=True).start()


def stop_process() -> None:
    """Let the gate's process go (it exits on its own when this process does)."""
    with _PROCESS_LOCK:
        worker = _PROCESS.pop("worker", None)
    if worker is not None:
        worker.close()


def process_pid() -> int | None:
    """The gate's process id, while one runs."""
    worker = _PROCESS.get("worker")
    return None if worker is None else worker.proc.pid


def _warm(_: None) -> None:
    warm_up()


def _warm_remote(worker: Any) -> None:
    try:
        _remote(worker, _warm, None)
    except Exception as exc:  # noqa: BLE001 - the first gate then pays for the import, wherever it validates
        log.warning("could not warm up the quality gate's process (%s)", type(exc).__name__)


def _remote(worker: Any, fn: Any, arg: Any) -> Any:
    """fn(arg) in the gate's process; raises landing.pool.Broken when that process is gone (it is then let go)."""
    from landing.pool import Broken

    with _PROCESS_LOCK:
        if _PROCESS.get("worker") is not worker:
            raise Broken("the gate's process was stopped")
        try:
            return worker.call(fn, arg)
        except Broken:
            _PROCESS.pop("worker", None)
            worker.proc.kill()
            raise


def _context() -> Any:
    import great_expectations as gx  # 3 s import: only when a gate runs
    from great_expectations.data_context.types.base import ProgressBarsConfig

    ctx = _VALIDATIONS.get("_ctx")
    if ctx is None:
        # GX logs its temporary docs folder at INFO on every new context: not news for a wave's log
        logging.getLogger("great_expectations").setLevel(logging.WARNING)
        # GX pins this module's logger to INFO and announces a temporary docs folder on every context
        logging.getLogger("great_expectations.data_context.types.base").setLevel(logging.WARNING)
        ctx = gx.get_context(mode="ephemeral")
        ctx.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
        ctx.data_sources.add_pandas("scr_gate")
        _VALIDATIONS["_ctx"] = ctx
    return ctx


def _validation(suite: Suite) -> Any:
    """The GX validation definition of a suite, on one ephemeral context per process."""
    if suite.name in _VALIDATIONS:
        return _VALIDATIONS[suite.name]
    import great_expectations as gx

    ctx = _context()
    batch = ctx.data_sources.get("scr_gate").add_dataframe_asset(name=suite.name).add_batch_definition_whole_dataframe(suite.name)
    expectations = [getattr(gx.expectations, s.gx_class)(**s.kwargs, meta={"name": s.name}) for s in suite.specs]
    gsuite = ctx.suites.add(gx.ExpectationSuite(name=f"scr_{suite.name}", expectations=expectations))
    vd = ctx.validation_definitions.add(gx.ValidationDefinition(name=f"scr_{suite.name}", data=batch, suite=gsuite))
    _VALIDATIONS[suite.name] = vd
    return vd


def _run(suite: Suite) -> tuple[list[dict], dict]:
    """Validate one suite's frame; per expectation: name, success, failing rows' keys, its JSON result."""
    vd = _validation(suite)
    res = vd.run(
        batch_parameters={"dataframe": suite.frame.to_pandas()},
        result_format={"result_format": "COMPLETE", "unexpected_index_column_names": suite.index},
    )
    out = []
    for r in res.results:
        d = r.to_json_dict()
        keys = (r.result or {}).get("unexpected_index_list") or []
        errored = bool(d.get("exception_info", {}).get("raised_exception"))
        out.append({"name": r.expectation_config.meta["name"], "success": bool(r.success), "keys": keys,
                    "errored": errored or (not r.success and not keys), "json": d})
    return out, res.to_json_dict()


def _validate(suite: Suite) -> tuple[list[dict], dict]:
    """_run in the gate's process when one runs (start_process), else here."""
    from landing.pool import Broken

    worker = _PROCESS.get("worker")
    if worker is not None:
        try:
            return _remote(worker, _run, suite)
        except Broken as exc:
            log.warning("the quality gate's process stopped (%s): validating in this process", exc)
    with _LOCK:
        return _run(suite)


def _rows(suite: Suite, outcome: list[dict], practices: list[str]) -> pl.DataFrame:
    """One row per practice x expectation of a suite, the JSON holding only that practice's failing keys."""
    base = pl.DataFrame({"practice_id": practices}, schema={"practice_id": pl.String})
    parts = []
    for o in outcome:  # one pass per expectation; the failing keys are grouped by Polars
        keys = (pl.DataFrame(o["keys"]).select(suite.index) if o["keys"] else pl.DataFrame(schema=dict.fromkeys(suite.index, pl.String)))
        failing = keys.cast(pl.String).group_by("practice_id").agg(
            n=pl.len().cast(pl.Int64), keys=pl.struct(suite.index).sort_by(suite.index).struct.json_encode().str.join(",")
        )
        detail = {k: v for k, v in o["json"].items() if k != "result"}
        # GX gives each expectation a random id per process: drop it so results are deterministic
        detail["expectation_config"] = {k: v for k, v in detail.get("expectation_config", {}).items() if k != "id"}
        head = json.dumps(detail, default=str, sort_keys=True)[:-1]
        parts.append(
            base.join(failing, on="practice_id", how="left").select(
                "practice_id",
                suite=pl.lit(suite.name),
                expectation=pl.lit(o["name"]),
                # an expectation that errored without row keys cannot be pinned on one practice: it blocks all
                success=pl.col("n").is_null() & pl.lit(not o["errored"]),
                unexpected_count=pl.col("n").fill_null(0),
                result_json=pl.concat_str(pl.lit(head + ', "unexpected_keys": ['), pl.col("keys").fill_null(""), pl.lit("]}")),
            )
        )
    return pl.concat(parts).cast(RESULTS) if parts else pl.DataFrame(schema=RESULTS)


def run_gate(unified: Unified, frames: Frames) -> GateResult:
    """Validate the consolidated practices; a practice with any failing row is blocked, naming the expectations."""
    practices = sorted(set(unified.crosswalk["practice_id"].to_list()) | set(unified.client["practice_id"].to_list()))
    parts, raw = [pl.DataFrame(schema=RESULTS)], {}
    checks = suites(unified, frames)
    warnings_only = [s.name for suite in checks for s in suite.specs if not s.blocking]
    for suite in checks:
        if suite.frame.is_empty():
            parts.append(pl.DataFrame(
                [(p, suite.name, s.name, True, 0, "{}") for p in practices for s in suite.specs], schema=RESULTS, orient="row"
            ))
            continue
        outcome, raw[suite.name] = _validate(suite)
        parts.append(_rows(suite, outcome, practices))
    results = pl.concat(parts).sort("practice_id", "suite", "expectation")
    # a non-blocking expectation's failures are kept in the results, they block nothing
    failed = (
        results.filter(~pl.col("success") & ~pl.col("expectation").is_in(warnings_only))
        .group_by("practice_id")
        .agg(pl.col("expectation").unique().sort())
    )
    blocked = {r["practice_id"]: "failed expectations: " + ", ".join(r["expectation"]) for r in failed.iter_rows(named=True)}
    return GateResult(passed=[p for p in practices if p not in blocked], blocked=blocked, results=results, raw=raw)
