"""What the analysts' snapshot costs the writer (not a test: timings are never asserted).

`python -m benchmarks.snapshot_publish chunks W1.duckdb W2.duckdb ...`: on finished warehouses of
different sizes, mark chunk-sized sets of practices changed (50 consecutive ids, as a wave's chunk)
and publish, interleaving the warehouses so both see the same machine load; prints median seconds
per publish, by step, and rows written. The cost should follow the rows that changed, not the size
of the warehouse.

`python -m benchmarks.snapshot_publish wave LANDING`: the same `nightly_wave` twice on fresh
warehouses, publishing after every commit and not publishing at all; prints both wall times.
"""

from __future__ import annotations

import json
import random
import statistics
import tempfile
import time
from pathlib import Path

import duckdb
import typer

app = typer.Typer(add_completion=False)


@app.command()
def chunks(warehouses: list[Path], repeats: int = 8, chunk: int = 50, seed: int = 5) -> None:
    """Median publish time of a chunk-sized change, per warehouse and step."""
    import warehouse.snapshot as snap
    from warehouse.status import mark_changed

    steps: dict[str, float] = {}

    def timed(name, fn):
        def wrapper(*args, **kwargs):
            t = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                steps[name] = steps.get(name, 0.0) + time.perf_counter() - t

        return wrapper

    for name in ("_export", "_build", "_record", "_collect", "_apply"):
        setattr(snap, name, timed(name, getattr(snap, name)))
    cons = {w: duckdb.connect(str(w)) for w in warehouses}
    ids = {w: [r[0] for r in c.sql("select practice_id from practice_status order by 1").fetchall()] for w, c in cons.items()}
    rng, runs = random.Random(seed), {w: [] for w in warehouses}
    snap.publish(cons[warehouses[0]], warehouses[0])  # imports and first compaction out of the figures
    for w in warehouses[1:]:
        snap.publish(cons[w], w)
    for _ in range(repeats):
        for w, con in cons.items():
            start = rng.randrange(0, max(1, len(ids[w]) - chunk))
            mark_changed(con, ids[w][start : start + chunk])
            steps.clear()
            done = snap.publish(con, w)
            runs[w].append({"seconds": done["seconds"], "rows_written": done["rows_written"], **steps})
    for w, rows in runs.items():
        medians = {k: round(statistics.median(r.get(k, 0.0) for r in rows), 3) for k in rows[0]}
        print(json.dumps({"warehouse": str(w), "practices": len(ids[w]), **medians}))


@app.command()
def wave(landing: Path, repeats: int = 2) -> None:
    """Wall time of one wave over the landing zone, publishing after every commit and not at all, alternately."""
    from prefect import flow as prefect_flow

    import flows.wave as flow

    prefect_flow(lambda: None, name="warm-up")()  # Prefect's temporary API starts here, outside the timings
    publish = flow.publish_snapshot
    variants = (("publishing", publish), ("not publishing", lambda con, warehouse: None))
    for label, hook in variants * repeats:
        flow.publish_snapshot = hook
        with tempfile.TemporaryDirectory() as tmp:
            t = time.perf_counter()
            summary = flow.nightly_wave(landing=str(landing), warehouse=str(Path(tmp) / "scr.duckdb"), select="all")
            print(json.dumps({"run": label, "practices": summary["practices"], "seconds": round(time.perf_counter() - t, 1)}))
    flow.publish_snapshot = publish


if __name__ == "__main__":
    app()
