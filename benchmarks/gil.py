"""How much of the matcher's time holds the GIL: one chunk alone, two one after the other, two in two threads at once.

    .venv/bin/python -m benchmarks.gil /tmp/benchK/z100000/zone/landing
    .venv/bin/python -m benchmarks.gil LANDING --records 40000 --repeat 3 --survive

Not a test: nothing is asserted. The model is fitted once, untimed, on the wave's sample
(`flows.journey.model_sample_of`); then two disjoint sets of practices (the first by id), each about
`--records` source records (a chunk's size, SCR_CHUNK_RECORDS), are read (`flows.journey.extract`, the
operator's key, else a throwaway one) and matched with that model (`transforms.matching.match`):

- alone: set A, then set B, each timed on its own (wall and process CPU);
- serial: A then B, one after the other (the sum of the two);
- threads: A and B at once, in two threads, as a wave's two chunk threads run them.

"threads / serial" is 1.0 when the two take turns on the GIL throughout and 0.5 when they overlap perfectly
(on two idle cores). With `--survive`, each set's `transforms.survivorship.survive` (keep_xpm) runs after its
match, in the same thread. `uptime`'s load average is printed before each round: others may use the cores.
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import polars as pl
import typer
from rich.console import Console

from benchmarks.match_speed import emit

app = typer.Typer(add_completion=False)
console = Console(width=120)


def _sets(landing: Path, registry: pl.DataFrame, records: int, key) -> list[tuple[pl.DataFrame, object]]:
    """Two disjoint sets of practices (the first by id), each about `records` source records, read."""
    from flows.journey import extract
    from landing.sizes import practice_sizes

    rest = registry.sort("practice_id")
    sizes = practice_sizes(landing, rest["practice_id"].to_list()).select("practice_id", "records")
    # small and mid-sized practices, as a chunk holds them (a giant one is a chunk of its own)
    rest = rest.join(sizes, on="practice_id", how="left").filter(pl.col("records").fill_null(0) <= records // 4)
    out, start = [], 0
    ids = rest["practice_id"].to_list()
    estimated = rest["records"].fill_null(0).to_list()
    for _ in range(2):
        total, end = 0, start
        while end < len(ids) and total < records:
            total += estimated[end]
            end += 1
        part = rest.slice(start, end - start).drop("records")
        frames, failed = extract(landing, part, key, quiet=True)
        part = part.filter(~pl.col("practice_id").is_in(list(failed)))
        out.append((part, frames))
        start = end
    return out


def zone_model(landing: Path):
    """The zone's registry (practices with registry problems left out), its hash key, and the match model a fresh
    wave fits on it (its sample, as `flows.journey.model_sample_of` picks it), with what it was fitted on."""
    os.environ.setdefault("SCR_HASH_KEY", "bench-only-throwaway-key-0123456789abcdef")
    from flows.journey import extract, model_sample_of
    from flows.settings import hash_key
    from landing import read_registry, registry_problems
    from transforms.matching import fit_model

    key = hash_key(landing)
    registry = read_registry(landing)
    registry = registry.filter(~pl.col("practice_id").is_in(list(registry_problems(landing, registry))))
    sample = model_sample_of(landing, registry, {})
    frames, failed = extract(landing, sample, key, quiet=True)
    model = fit_model(frames, sample.filter(~pl.col("practice_id").is_in(list(failed))))
    return registry, key, model, f"{sample.height} practices ({frames.client.height:,} records)"


@app.command()
def main(
    landing: Path = typer.Argument(..., help="a zone's landing folder"),
    records: int = typer.Option(40_000, help="source records per set (about a chunk)"),
    repeat: int = typer.Option(1, help="rounds of alone / serial / threads"),
    survive_too: bool = typer.Option(False, "--survive", help="also survivorship (keep_xpm) after each match"),
    out: Path | None = typer.Option(None, help="write the figures here as JSON"),
) -> None:
    """Time match() on one chunk-sized set alone, two one after the other, and two in two threads at once."""
    from flows.settings import get_settings
    from transforms.matching import match
    from transforms.survivorship import survive

    t0 = time.perf_counter()
    registry, key, model, fitted_on = zone_model(landing)  # sets a throwaway key first if none is set
    s = get_settings()
    console.log(f"model fitted on {fitted_on} in {time.perf_counter() - t0:.1f} s")
    sets = _sets(landing, registry, records, key)
    for name, (part, f) in zip("AB", sets, strict=True):
        console.log(f"set {name}: {part.height} practices, {f.client.height:,} source records")

    def work(part: pl.DataFrame, f) -> None:
        r = match(f, part, model=model, auto_threshold=s.auto_threshold, review_threshold=s.review_threshold)
        if survive_too:
            strategies = part.select("practice_id", pl.lit("keep_xpm").alias("strategy"))
            survive(f, r.crosswalk, strategies)

    def timed(fn) -> tuple[float, float]:
        w, c = time.perf_counter(), time.process_time()
        fn()
        return time.perf_counter() - w, time.process_time() - c

    def both_threads() -> None:
        threads = [threading.Thread(target=work, args=st) for st in sets]
        for t in threads:
            t.start()
        for t in threads:
            t.join()

    work(*sets[0])  # warm: first calls compile regexes, load tables
    rounds = []
    for i in range(repeat):
        load = os.getloadavg()
        a = timed(lambda: work(*sets[0]))
        b = timed(lambda: work(*sets[1]))
        serial = timed(lambda: (work(*sets[0]), work(*sets[1])))
        threads = timed(both_threads)
        row = {
            "round": i + 1, "load_1m_5m": [round(load[0], 2), round(load[1], 2)],
            "alone_a": [round(a[0], 2), round(a[1], 2)], "alone_b": [round(b[0], 2), round(b[1], 2)],
            "serial": [round(serial[0], 2), round(serial[1], 2)], "threads": [round(threads[0], 2), round(threads[1], 2)],
            "threads_over_serial": round(threads[0] / serial[0], 3),
        }  # fmt: skip
        rounds.append(row)
        console.log(
            f"round {i + 1} (load {load[0]:.2f}): wall/cpu s  A {a[0]:.2f}/{a[1]:.2f}  B {b[0]:.2f}/{b[1]:.2f}  "
            f"serial {serial[0]:.2f}/{serial[1]:.2f}  threads {threads[0]:.2f}/{threads[1]:.2f}  "
            f"threads/serial {row['threads_over_serial']:.3f}"
        )
    figures = {
        "landing": str(landing), "survive": survive_too,
        "records": [f.client.height for _, f in sets], "practices": [p.height for p, _ in sets], "rounds": rounds,
    }  # fmt: skip
    emit(figures, out)


if __name__ == "__main__":
    app()
