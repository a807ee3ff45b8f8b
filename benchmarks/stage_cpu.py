"""CPU seconds per stage of the journey, one stage after another in one process (not a test: nothing is asserted).

    .venv/bin/python -m benchmarks.stage_cpu LANDING WAREHOUSE

Runs what a wave runs, without Prefect and without overlap: the Great Expectations import, the model
fit on the wave's sample (`flows.journey.model_sample_of`: the first 300 practices by id, giant ones left
out), then chunk by chunk (as the wave plans them) read, match, survive and
gate, the chunk's one transaction and a snapshot publish. Prints process CPU and wall seconds per
stage, so a profile says where a 2-core wave's CPU goes. WAREHOUSE must not exist yet.
"""

from __future__ import annotations

import collections
import os
import time
from contextlib import contextmanager
from pathlib import Path

import polars as pl
import typer

app = typer.Typer(add_completion=False)


@app.command()
def main(landing: Path, warehouse: Path) -> None:
    os.environ.setdefault("SCR_HASH_KEY", "bench-only-throwaway-key-0123456789abcdef")
    from flows.commit import write_chunk
    from flows.journey import fit, model_sample_of, run_chunk
    from flows.settings import get_settings, hash_key
    from flows.snapshot_hook import publish_snapshot
    from flows.timing import Stopwatch
    from landing import read_registry, registry_problems
    from landing.sizes import practice_sizes
    from transforms.planning import chunks
    from warehouse import db
    from warehouse.run_store import start_run
    from warehouse.schema import create_all
    from warehouse.staging import load_practices

    if warehouse.exists():
        raise typer.BadParameter(f"{warehouse} exists: give a new file")
    cpu, wall = collections.Counter(), collections.Counter()

    @contextmanager
    def stage(name: str):
        c, w = time.process_time(), time.perf_counter()
        yield
        cpu[name] += time.process_time() - c
        wall[name] += time.perf_counter() - w

    s, key = get_settings(), hash_key(landing)
    registry = read_registry(landing)
    good = registry.filter(~pl.col("practice_id").is_in(list(registry_problems(landing, registry))))
    with stage("gx_import"):
        from quality.gate import warm_up

        warm_up()
    sample = model_sample_of(landing, good, {})
    with stage("model_fit"):
        model = fit(str(landing), sample, key, None)
    params = {"auto_threshold": s.auto_threshold, "review_threshold": s.review_threshold,
              "small_practice_max": s.small_practice_max, "model": model}  # fmt: skip
    parts = chunks(good, s.chunk_practices, practice_sizes(landing, good["practice_id"].to_list()), s.chunk_records)
    with db.writer(warehouse, 10) as con:
        with db.transaction(con):
            create_all(con)
            load_practices(con, registry)
        start_run(con, "stage-cpu", "wave", {})
        for part in parts:
            with stage("chunk_compute"):
                result = run_chunk(str(landing), part, key, None, params)
            for name, seconds in result.timings.items():
                wall[f"  {name}"] += seconds
            clock = Stopwatch()
            with stage("chunk_write"):
                write_chunk(con, result, "stage-cpu", clock=clock)
            for name, seconds in clock.seconds.items():
                wall[f"  {name}"] += seconds
            result = None
            with stage("snapshot"):
                publish_snapshot(con, warehouse)
    print(f"{len(parts)} chunks; CPU and wall seconds per stage (indented: wall inside the stage above)")
    for name in ["gx_import", "model_fit", "chunk_compute", "chunk_write", "snapshot"]:
        print(f"{name:18s} cpu {cpu[name]:7.1f}  wall {wall[name]:7.1f}")
    for name in sorted(k for k in wall if k.startswith("  ")):
        print(f"{name:18s}              wall {wall[name]:7.1f}")


if __name__ == "__main__":
    app()
