"""`make bench-match`: our matcher against a fair Splink 5 on zones of both corruption models, Febrl3 and Febrl4."""

from __future__ import annotations

import json
import multiprocessing
import subprocess
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import polars as pl
import typer
from rich.console import Console

from benchmarks.febrl import DATASETS as FEBRL
from benchmarks.febrl import Dataset
from benchmarks.report import render
from benchmarks.scoring import pair_recall, score_crosswalk
from landing.frames import Frames

app = typer.Typer(add_completion=False)
console = Console(width=160)

CORRUPTIONS = ("default", "geco")


def landing_key():
    """An ephemeral hash key for a benchmark that stores nothing."""
    from landing.secrets import HashKey

    return HashKey.ephemeral()


def generated(out: Path, practices: int, seed: int, hash_key, corruption: str, bad: int = 0) -> tuple[Dataset, dict]:
    """Generate a zone, read every good practice with the readers, and load its truth."""
    import landing as landing_mod
    import synthetic

    t0 = time.perf_counter()
    summary = synthetic.generate_zone(out, practices, seed, bad_practices=bad, corruption=corruption)
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
    truth = pl.read_csv(out / "truth" / "records.csv", infer_schema=False).select(
        "practice_id", "source", "source_client_id", "entity_id"
    )
    hard = pl.read_csv(out / "truth" / "hard_pairs.csv", infer_schema=False)
    read_ok = registry.filter(~pl.col("practice_id").is_in(list(failed)))
    info = {
        "practices_read": read_ok.height, "practices_skipped": len(failed), "records": frames.client.height,
        "generate_seconds": round(t1 - t0, 2), "read_seconds": round(t2 - t1, 2), "generator_summary": summary,
    }  # fmt: skip
    return Dataset(corruption, frames, read_ok, truth, hard), info


def _save(ds: Dataset, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name in Frames.names():
        getattr(ds.frames, name).write_parquet(folder / f"{name}.parquet")
    ds.practices.write_parquet(folder / "practices.parquet")
    return folder


def _load(folder: Path) -> tuple[Frames, pl.DataFrame]:
    frames = Frames(**{n: pl.read_parquet(folder / f"{n}.parquet") for n in Frames.names()})
    return frames, pl.read_parquet(folder / "practices.parquet")


def _status_mb(field: str) -> float:
    """A memory figure of this process from /proc/self/status, in MB.

    VmHWM (peak RSS) belongs to the address space and restarts at exec, unlike getrusage's
    ru_maxrss, which a spawned child inherits from the fork of its (large) parent.
    """
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return round(int(line.split()[1]) / 1024, 1)
    raise RuntimeError(f"{field} not in /proc/self/status")


def _child(system: str, folder: str, febrl: bool, link_only: bool, seed: int) -> dict:
    """Runs in a fresh process: one system on one saved dataset; writes its outputs, returns time and peak RSS."""
    folder_p = Path(folder)
    frames, practices = _load(folder_p)
    if system == "ours":
        from transforms import matching

        rss0 = _status_mb("VmRSS")
        t0 = time.perf_counter()
        result = matching.match(frames, practices)
        seconds = time.perf_counter() - t0
        peak = _status_mb("VmHWM")
        result.crosswalk.write_parquet(folder_p / "ours.parquet")
        # the pairs the review budget held back (kept rejected, veto review_budget): what no person is shown
        from transforms.resolve import HELD_BACK

        result.links.filter(pl.col("veto") == HELD_BACK).write_parquet(folder_p / "ours_held.parquet")
        matching.candidates(frames, practices).write_parquet(folder_p / "ours_pairs.parquet")  # untimed
        extra = {"auto_threshold": result.auto_threshold} if hasattr(result, "auto_threshold") else {}
    else:
        from benchmarks.splink_baseline import run_splink

        rss0 = _status_mb("VmRSS")
        t0 = time.perf_counter()
        records, pairs = run_splink(frames, practices, febrl=febrl, link_only=link_only, seed=seed)
        seconds = time.perf_counter() - t0
        peak = _status_mb("VmHWM")
        records.write_parquet(folder_p / "splink_records.parquet")
        pairs.write_parquet(folder_p / "splink_pairs.parquet")
        extra = {}
    # the process's own peak, interpreter and imports included; rss_before_mb is that baseline
    return {"seconds": round(seconds, 2), "peak_rss_mb": peak, "rss_before_mb": rss0, **extra}


def run_system(system: str, folder: Path, febrl: bool, link_only: bool, seed: int) -> dict:
    """One system in its own spawned process, so peak memory and time are that system's alone."""
    with ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn")) as pool:
        return pool.submit(_child, system, str(folder), febrl, link_only, seed).result()


def bench_dataset(ds: Dataset, folder: Path, splink: bool, splink_threshold: float, seed: int) -> dict:
    """Run and score ours, then Splink at its own threshold and at our review budget."""
    from benchmarks.splink_baseline import at_review_budget, crosswalk

    _save(ds, folder)
    febrl = ds.name.startswith("febrl")
    out: dict[str, dict] = {}
    console.log(f"{ds.name}: ours on {ds.clients.height:,} records")
    cost = run_system("ours", folder, febrl, ds.link_only, seed)
    ours = score_crosswalk(ds.truth, ds.hard_pairs, pl.read_parquet(folder / "ours.parquet"))
    ours["blocking"] = pair_recall(ds.truth, pl.read_parquet(folder / "ours_pairs.parquet"))
    ours["held_back"] = held_back(ds.truth, pl.read_parquet(folder / "ours_held.parquet"), ds.clients.height)
    out["ours"] = {**cost, **ours}
    if not splink:
        return out
    console.log(f"{ds.name}: splink on {ds.clients.height:,} records")
    try:
        cost = run_system("splink", folder, febrl, ds.link_only, seed)
    except Exception as e:  # one broken system must not hide the others' figures
        console.log(f"[red]{ds.name}: splink failed: {type(e).__name__}: {e}")
        out["splink"] = {"error": f"{type(e).__name__}: {e}"}
        return out
    records, pairs = pl.read_parquet(folder / "splink_records.parquet"), pl.read_parquet(folder / "splink_pairs.parquet")
    own = crosswalk(records, pairs, splink_threshold)
    out["splink"] = {**cost, "threshold": splink_threshold, **score_crosswalk(ds.truth, ds.hard_pairs, own)}
    budget = out["ours"]["review_share"]
    hi, cw = at_review_budget(records, pairs, budget, splink_threshold)
    out["splink@budget"] = {**cost, "threshold": hi, "review_threshold": splink_threshold, **score_crosswalk(ds.truth, ds.hard_pairs, cw)}
    return out


def held_back(truth: pl.DataFrame, held: pl.DataFrame, records: int) -> dict:
    """The pairs the review budget left apart: how many, the share of records in one, and how many are true pairs
    (what the budget costs in recall that a person would have found)."""
    keys = ["practice_id", "source", "source_client_id"]
    ends = pl.concat([held.select("practice_id", source="source_l", source_client_id="source_client_id_l"),
                      held.select("practice_id", source="source_r", source_client_id="source_client_id_r")])  # fmt: skip
    entity = truth.select(*keys, "entity_id")
    sides = held.join(entity.rename({"source": "source_l", "source_client_id": "source_client_id_l", "entity_id": "e_l"}),
                      on=["practice_id", "source_l", "source_client_id_l"], how="left").join(
        entity.rename({"source": "source_r", "source_client_id": "source_client_id_r", "entity_id": "e_r"}),
        on=["practice_id", "source_r", "source_client_id_r"], how="left")  # fmt: skip
    true = sides.filter(pl.col("e_l") == pl.col("e_r")).height
    share = ends.unique().height / records if records else 0.0
    return {"pairs": held.height, "records_share": share, "true_pairs": true}


def _commit() -> str:
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


@app.command()
def main(
    practices: int = typer.Option(300, help="practices in each generated zone"),
    seed: int = typer.Option(7, help="generator and Splink sampling seed"),
    corruption: list[str] = typer.Option(list(CORRUPTIONS), help="corruption models of the generated zones"),
    out: Path = typer.Option(Path("bench-out/match.json"), help="JSON figures"),
    skip_splink: bool = typer.Option(False, help="do not run Splink"),
    skip_febrl: bool = typer.Option(False, help="do not run the Febrl sets"),
    febrl: list[int] = typer.Option(list(FEBRL), help="the Febrl sets to run (1-4; 4 is two lists linked)"),
    skip_generated: bool = typer.Option(False, help="do not run the generated zones"),
    splink_threshold: float = typer.Option(0.95, help="Splink's own clustering threshold (match probability)"),
    keep: Path | None = typer.Option(None, help="keep the zones, inputs and outputs in this folder"),
    bad_practices: int = typer.Option(0, help="practices the generator gives bad input (the readers skip them)"),
) -> None:
    """Generate, read, match and score; print one table; write the same figures as JSON."""
    unknown = [n for n in febrl if n not in FEBRL]
    if unknown:  # before any zone is generated
        raise typer.BadParameter(f"{unknown[0]}: Febrl sets are {', '.join(map(str, FEBRL))}", param_hint="--febrl")
    results: dict[str, dict] = {}
    meta: dict = {"commit": _commit(), "practices": practices, "seed": seed, "splink_threshold": splink_threshold}
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="bench-match-") as tmp:
        work = keep or Path(tmp)
        if not skip_generated:
            # the benchmark stores nothing: a key that lives only in this process will do
            key = landing_key()
            for model in corruption:
                ds, meta[model] = generated(work / f"zone-{model}", practices, seed, key, model, bad_practices)
                results[model] = bench_dataset(ds, work / model, not skip_splink, splink_threshold, seed)
        if not skip_febrl:
            for n in febrl:
                ds = FEBRL[n]()
                results[ds.name] = bench_dataset(ds, work / ds.name, not skip_splink, splink_threshold, seed)
    meta["wall_seconds"] = round(time.perf_counter() - t0, 1)
    table = render(results)
    # every column readable, whatever the terminal: a wide table is wrapped by the reader's viewer, not truncated here
    Console(width=max(160, 32 + 12 * (len(table.columns) - 1))).print(table)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"meta": meta, "results": results}, indent=2, default=str))
    console.log(f"figures written to {out}")


if __name__ == "__main__":
    app()
