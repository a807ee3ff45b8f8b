"""How fast the matcher runs as a wave runs it: a stored model, chunks of practices, two chunks at a time.

    .venv/bin/python -m benchmarks.match_speed                      # ~1,000 practices (about 120k records)
    .venv/bin/python -m benchmarks.match_speed --big 4              # also fold practices into 4 large ones
    .venv/bin/python -m benchmarks.match_speed --profile 3          # cProfile of three chunks, by function

The model is fitted once on the first practices (as a wave fits on its sample, untimed); then every
chunk of `--chunk` practices is matched with it, `--workers` chunks at a time in threads (the wave's
ThreadPoolTaskRunner). Reported: wall seconds of the matching, seconds per 1M records, records per
second, the slowest chunk, CPU seconds of all threads (per 1M records: the cost whatever else the
machine runs; on two idle cores the wall time approaches half of it), the load average before the
run, and the peak RSS of this process.
"""

from __future__ import annotations

import cProfile
import io
import json
import os
import pstats
import resource
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import polars as pl
import typer
from rich.console import Console

from landing.frames import Frames

app = typer.Typer(add_completion=False)
console = Console(width=120)


def read_zone(zone: Path, practices: int, seed: int, corruption: str) -> tuple[Frames, pl.DataFrame]:
    """The zone's frames (generated first if `zone` holds none), cached beside it as parquet."""
    import landing
    import synthetic

    cache = zone / "frames"
    if not (cache / "practices.parquet").exists():
        if not (zone / "landing" / "practices.json").exists():
            synthetic.generate_zone(zone, practices, seed, corruption=corruption)
        registry = landing.read_registry(zone / "landing")
        key = landing.HashKey.ephemeral()
        parts = [landing.read_practice(zone / "landing", p, key) for p in registry.to_dicts()]
        frames = Frames.concat(parts)
        cache.mkdir(parents=True, exist_ok=True)
        for name in Frames.names():
            getattr(frames, name).write_parquet(cache / f"{name}.parquet")
        registry.write_parquet(cache / "practices.parquet")
    frames = Frames(**{n: pl.read_parquet(cache / f"{n}.parquet") for n in Frames.names()})
    return frames, pl.read_parquet(cache / "practices.parquet")


def fold(frames: Frames, practices: pl.DataFrame, big: int, per_big: int) -> tuple[Frames, pl.DataFrame]:
    """Fold the `big * per_big` largest practices into `big` practices (tens of thousands of records each).

    Their clients stay distinct people (source ids are prefixed with their old practice), so the big
    practices have realistic content at a size the generator does not draw.
    """
    if big <= 0:
        return frames, practices
    sizes = frames.client.group_by("practice_id").len().sort(["len", "practice_id"], descending=[True, False])
    chosen = sizes.head(big * per_big)["practice_id"].to_list()
    target = {p: chosen[i % big] for i, p in enumerate(chosen)}
    pid = pl.col("practice_id")

    refs = ("source_client_id", "xpm_client_uuid", "hq_client_id", "related_client_id")

    def move(df: pl.DataFrame) -> pl.DataFrame:
        hit = pid.is_in(chosen)
        prefixed = {c: pl.when(hit).then(pid + ":" + pl.col(c)).otherwise(pl.col(c)) for c in refs if c in df.columns}
        return df.with_columns(**prefixed).with_columns(practice_id=pid.replace(target))

    folded = Frames(**{n: move(getattr(frames, n)) for n in Frames.names()})
    return folded, practices.filter(~pid.is_in([p for p in chosen if target[p] != p]))


def chunks(practices: pl.DataFrame, size: int) -> list[pl.DataFrame]:
    ordered = practices.sort("practice_id")
    return [ordered.slice(i, size) for i in range(0, ordered.height, size)]


def _subset(frames: Frames, ids: list[str]) -> Frames:
    keep = pl.Series(ids).implode()
    return Frames(**{n: getattr(frames, n).filter(pl.col("practice_id").is_in(keep)) for n in Frames.names()})


@app.command()
def main(
    zone: Path = typer.Option(Path("bench-out/speed-zone"), help="zone folder (generated there when empty)"),
    practices: int = typer.Option(1000, help="practices to generate when the zone is empty"),
    seed: int = typer.Option(21, help="generator seed"),
    corruption: str = typer.Option("default", help="corruption model when generating"),
    chunk: int = typer.Option(50, help="practices per chunk (the wave's SCR_CHUNK_PRACTICES)"),
    workers: int = typer.Option(2, help="chunks matched at once, in threads (the wave's task runner)"),
    fit_practices: int = typer.Option(300, help="practices the model is fitted on (untimed)"),
    big: int = typer.Option(0, help="fold the largest practices into this many big ones"),
    per_big: int = typer.Option(8, help="practices folded into each big one"),
    profile: int = typer.Option(0, help="instead of timing, cProfile this many chunks (one thread) and print the top"),
    out: Path | None = typer.Option(None, help="write the figures here as JSON"),
) -> None:
    """Time match() with a stored model over every chunk of the zone."""
    from transforms.matching import fit_model, match

    frames, regs = read_zone(zone, practices, seed, corruption)
    frames, regs = fold(frames, regs, big, per_big)
    sample = regs.sort("practice_id").head(fit_practices)
    t0 = time.perf_counter()
    model = fit_model(_subset(frames, sample["practice_id"].to_list()), sample)
    fit_s = time.perf_counter() - t0
    parts = [(p, _subset(frames, p["practice_id"].to_list())) for p in chunks(regs, chunk)]
    sizes = frames.client.group_by("practice_id").len()
    console.log(
        f"{frames.client.height:,} records in {regs.height} practices (largest {sizes['len'].max():,}), "
        f"{len(parts)} chunks; model fitted in {fit_s:.1f} s"
    )
    if profile:
        prof = cProfile.Profile()
        for p, f in parts[:profile]:
            prof.runcall(match, f, p, model=model)
        text = io.StringIO()
        pstats.Stats(prof, stream=text).sort_stats("cumulative").print_stats(45)
        console.print(text.getvalue())
        return

    def one(part):
        p, f = part
        t = time.perf_counter()
        r = match(f, p, model=model)
        return f.client.height, time.perf_counter() - t, r.links.height

    load = os.getloadavg()[0]
    t0, c0 = time.perf_counter(), time.process_time()
    with ThreadPoolExecutor(max_workers=workers) as pool:
        done = list(pool.map(one, parts))
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    records = sum(d[0] for d in done)
    slowest = max(done, key=lambda d: d[1])
    figures = {
        "records": records, "practices": regs.height, "chunks": len(parts), "workers": workers, "chunk_practices": chunk,
        "wall_seconds": round(wall, 2), "seconds_per_1m_records": round(wall / records * 1e6, 1),
        "records_per_second": round(records / wall), "slowest_chunk": {"records": slowest[0], "seconds": round(slowest[1], 2)},
        # CPU seconds of all threads: what the matching costs whatever else the machine runs
        "cpu_seconds": round(cpu, 2), "cpu_seconds_per_1m_records": round(cpu / records * 1e6, 1),
        "load_average_before": round(load, 2),
        "links": sum(d[2] for d in done), "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "fit_seconds": round(fit_s, 1),
    }  # fmt: skip
    emit(figures, out)


def emit(figures: dict, out: Path | None) -> None:
    """The figures on the terminal, and as JSON in `out` when given."""
    console.print_json(json.dumps(figures))
    if out:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(figures, indent=2))


if __name__ == "__main__":
    app()
