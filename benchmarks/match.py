"""`make bench-match`: our matcher against Splink 5 on a generated zone, Febrl3 and Febrl4, one table, one JSON."""

from __future__ import annotations

import json
import multiprocessing
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import polars as pl
import typer
from rich.console import Console
from rich.table import Table

from benchmarks.febrl import Dataset, febrl3, febrl4
from benchmarks.scoring import score_crosswalk
from landing.schema import ORG_LINK, SYNC_LINK, empty

app = typer.Typer(add_completion=False)
console = Console(width=140)

SYSTEMS = ("ours", "splink")


def _need(module: str, owner: str):
    """Import a piece built by another engineer, or say plainly which piece is missing."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as e:
        raise ImportError(f"benchmark needs {module} ({owner}), not importable yet: {e}") from e


def landing_key():
    """An ephemeral hash key for a benchmark that stores nothing."""
    from landing.secrets import HashKey

    return HashKey.ephemeral()


def generated(out: Path, practices: int, seed: int, hash_key, bad: int = 0) -> tuple[Dataset, dict]:
    """Generate a zone, read every good practice with the readers, and load its truth."""
    synthetic = _need("synthetic", "engineer B's generator")
    landing_mod = _need("landing", "engineer A's readers")
    t0 = time.perf_counter()
    summary = synthetic.generate_zone(out, practices, seed, bad_practices=bad)
    t1 = time.perf_counter()
    landing = out / "landing"
    registry = landing_mod.read_registry(landing)
    problems = landing_mod.registry_problems(landing, registry)
    parts, failed = [], dict(problems)
    # one call per practice is the readers' API; each call is vectorised inside
    for practice in registry.filter(~pl.col("practice_id").is_in(list(problems))).to_dicts():
        try:
            parts.append(landing_mod.read_practice(landing, practice, hash_key))
        except landing_mod.BadInput as e:
            failed[practice["practice_id"]] = str(e)
    frames = landing_mod.Frames.concat(parts)
    t2 = time.perf_counter()
    truth_dir = out / "truth"
    truth = pl.read_csv(truth_dir / "records.csv", infer_schema=False).select(
        "practice_id", "source", "source_client_id", "entity_id"
    )
    hard = pl.read_csv(truth_dir / "hard_pairs.csv", infer_schema=False)
    read_ok = registry.filter(~pl.col("practice_id").is_in(list(failed)))
    info = {
        "practices": practices,
        "practices_read": read_ok.height,
        "practices_skipped": len(failed),
        "skipped": dict(sorted(failed.items())),
        "records": frames.client.height,
        "generate_seconds": round(t1 - t0, 2),
        "read_seconds": round(t2 - t1, 2),
        "generator_summary": summary,
    }
    ds = Dataset("generated", frames.client, read_ok, truth, hard, frames.org_link, frames.sync_link)
    return ds, info


def _save(ds: Dataset, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    ds.clients.write_parquet(folder / "clients.parquet")
    ds.practices.write_parquet(folder / "practices.parquet")
    (ds.org_links if ds.org_links is not None else empty(ORG_LINK)).write_parquet(folder / "org_links.parquet")
    (ds.sync_links if ds.sync_links is not None else empty(SYNC_LINK)).write_parquet(folder / "sync_links.parquet")
    return folder


def _status_mb(field: str) -> float:
    """A memory figure of this process from /proc/self/status, in MB.

    VmHWM (peak RSS) belongs to the address space and restarts at exec, unlike getrusage's
    ru_maxrss, which a spawned child inherits from the fork of its (large) parent.
    """
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return round(int(line.split()[1]) / 1024, 1)
    raise RuntimeError(f"{field} not in /proc/self/status")


def _child(system: str, folder: str, splink_threshold: float, seed: int) -> dict:
    """Runs in a fresh process: one system on one saved dataset; writes <system>.parquet, returns time and peak RSS."""
    folder_p = Path(folder)
    clients = pl.read_parquet(folder_p / "clients.parquet")
    if system == "ours":
        matching = _need("transforms.matching", "engineer C's matcher")
        args = [pl.read_parquet(folder_p / f"{n}.parquet") for n in ("org_links", "sync_links", "practices")]
        rss0 = _status_mb("VmRSS")
        t0 = time.perf_counter()
        crosswalk = matching.match(clients, *args).crosswalk
    else:
        from benchmarks.splink_baseline import run_splink

        rss0 = _status_mb("VmRSS")
        t0 = time.perf_counter()
        crosswalk = run_splink(clients, threshold=splink_threshold, seed=seed)
    seconds = time.perf_counter() - t0
    # the process's own peak, interpreter and imports included; rss_before_mb is that baseline
    cost = {"seconds": round(seconds, 2), "peak_rss_mb": _status_mb("VmHWM"), "rss_before_mb": rss0}
    crosswalk.write_parquet(folder_p / f"{system}.parquet")
    return cost


def run_system(system: str, folder: Path, splink_threshold: float, seed: int) -> dict:
    """One system in its own spawned process, so peak memory and time are that system's alone."""
    with ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn")) as pool:
        return pool.submit(_child, system, str(folder), splink_threshold, seed).result()


def bench_dataset(ds: Dataset, folder: Path, systems: list[str], splink_threshold: float, seed: int) -> dict:
    """Run and score each system on one dataset."""
    _save(ds, folder)
    out = {}
    for system in systems:
        console.log(f"{ds.name}: {system} on {ds.clients.height:,} records")
        try:
            cost = run_system(system, folder, splink_threshold, seed)
        except Exception as e:  # one broken system must not hide the others' figures
            console.log(f"[red]{ds.name}: {system} failed: {type(e).__name__}: {e}")
            out[system] = {"error": f"{type(e).__name__}: {e}"}
            continue
        crosswalk = pl.read_parquet(folder / f"{system}.parquet")
        out[system] = {**cost, **score_crosswalk(ds.truth, ds.hard_pairs, crosswalk)}
    return out


def _fmt(v, spec: str) -> str:
    return "-" if v is None else format(v, spec)


def _rows(results: dict) -> list[tuple[str, str, Callable]]:
    kinds = sorted({k for ds in results.values() for s in ds.values() for k in s.get("hard_cases", {})})
    ratio = ".4f"
    rows = [
        ("records scored", ",", lambda s: s["all"]["records"]),
        ("records lost / not in truth", "", lambda s: f'{s["missing_from_crosswalk"]} / {s["not_in_truth"]}'),
        ("precision (all)", ratio, lambda s: s["all"]["precision"]),
        ("recall (all)", ratio, lambda s: s["all"]["recall"]),
        ("F1 (all)", ratio, lambda s: s["all"]["f1"]),
        ("precision (auto)", ratio, lambda s: s["auto"]["precision"]),
        ("recall (auto)", ratio, lambda s: s["auto"]["recall"]),
        ("share in review", ratio, lambda s: s["review_share"]),
    ]
    for k in kinds:
        rows.append((f"{k}: auto", ratio, lambda s, k=k: s["hard_cases"].get(k, {}).get("auto_rate")))
        rows.append((f"{k}: review", ratio, lambda s, k=k: s["hard_cases"].get(k, {}).get("review_rate")))
    rows += [
        ("wall seconds", ",.1f", lambda s: s["seconds"]),
        ("peak RSS MB", ",.0f", lambda s: s["peak_rss_mb"]),
    ]
    return rows


def render(results: dict) -> Table:
    """One table: a row per metric, a column per dataset and system."""
    table = Table(title="Matching benchmark: ours vs Splink 5")
    table.add_column("metric (hard cases by kind)", no_wrap=True)
    cols = [(d, s) for d, per in results.items() for s in per]
    for d, s in cols:
        table.add_column(f"{d}\n{s}", justify="right")
    for label, spec, get in _rows(results):
        cells = []
        for d, s in cols:
            r = results[d][s]
            try:
                cells.append("error" if "error" in r else _fmt(get(r), spec))
            except (KeyError, TypeError):
                cells.append("-")
        table.add_row(label, *cells)
    return table


@app.command()
def main(
    practices: int = typer.Option(1000, help="practices in the generated zone"),
    seed: int = typer.Option(7, help="generator and Splink sampling seed"),
    out: Path = typer.Option(Path("bench-out/match.json"), help="JSON figures"),
    skip_splink: bool = typer.Option(False, help="do not run Splink"),
    skip_febrl: bool = typer.Option(False, help="do not run Febrl3/Febrl4"),
    skip_generated: bool = typer.Option(False, help="do not run the generated zone"),
    splink_threshold: float = typer.Option(0.95, help="Splink clustering threshold (match probability)"),
    keep: Path | None = typer.Option(None, help="keep the zone, inputs and crosswalks in this folder"),
    bad_practices: int = typer.Option(0, help="practices the generator gives bad input (the readers skip them)"),
) -> None:
    """Generate, read, match and score; print one table; write the same figures as JSON."""
    systems = [s for s in SYSTEMS if not (skip_splink and s == "splink")]
    results: dict[str, dict] = {}
    meta: dict = {"practices": practices, "seed": seed, "splink_threshold": splink_threshold}
    with tempfile.TemporaryDirectory(prefix="bench-match-") as tmp:
        work = keep or Path(tmp)
        if not skip_generated:
            # the benchmark stores nothing: a key that lives only in this process will do
            key = landing_key()
            try:
                ds, meta["generated"] = generated(work / "zone", practices, seed, key, bad_practices)
                results["generated"] = bench_dataset(ds, work / "generated", systems, splink_threshold, seed)
            except ImportError as e:
                console.log(f"[red]generated zone skipped: {e}")
                meta["generated"] = {"error": str(e)}
        if not skip_febrl:
            for load in (febrl3, febrl4):
                ds = load()
                results[ds.name] = bench_dataset(ds, work / ds.name, systems, splink_threshold, seed)
    console.print(render(results))
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"meta": meta, "results": results}, indent=2, default=str))
    console.log(f"figures written to {out}")


if __name__ == "__main__":
    app()
