"""Waves too small to fit a model on: a development zone cut into groups of consecutive practices, each matched alone.

    .venv/bin/python -m benchmarks.small_waves --records 150 --records 300 --records 600

A wave fits its match model on its sample (`transforms.matching.match` fits on the call itself); a sample with fewer
than `transforms.matching.MIN_FIT_PAIRS` candidate pairs (a pilot of a practice or two) gets the expert starting
values instead. This cuts each 300-practice development zone (cached as `benchmarks.match_misses` caches them) into
groups of about `--records` source records, practices in id order, matches every group that is that small on its
own, and prints over those groups the automatic merges' precision, recall and F1, the wrong automatic pairs, the hard
look-alike pairs merged automatically, the share of records in review and the largest share in one group.
Development seeds only (held-out seeds are refused). Not a test: nothing is asserted.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
import typer
from rich.console import Console
from rich.table import Table

from benchmarks.fit_sample import _first
from benchmarks.match import _load
from benchmarks.match_misses import cached_zone
from benchmarks.match_sweep import DEVELOPMENT, development_only
from benchmarks.scoring import score_crosswalk

app = typer.Typer(add_completion=False)
console = Console(width=140)


def groups(client: pl.DataFrame, records: int) -> list[list[str]]:
    """Consecutive practices (by id), each group closed once it holds at least `records` source records."""
    out, current, n = [], [], 0
    for pid, k in client.group_by("practice_id").len().sort("practice_id").iter_rows():  # one row per practice
        current.append(pid)
        n += k
        if n >= records:
            out.append(current)
            current, n = [], 0
    return out + ([current] if current else [])


def zone(folder: Path, records: int) -> dict:
    """The small waves of one cached zone at one group size, summed."""
    from transforms.matching import MIN_FIT_PAIRS, _compared, match

    frames, practices = _load(folder)
    truth, hard = pl.read_parquet(folder / "truth.parquet"), pl.read_parquet(folder / "hard.parquet")
    tot = {"waves": 0, "records": 0, "tp": 0, "wrong": 0, "missed": 0, "hard": 0, "review": 0.0, "worst": 0.0}
    for ids in groups(frames.client, records):
        wave = practices.filter(pl.col("practice_id").is_in(ids))
        f = _first(frames, wave)
        if len(_compared(f, wave, None).gamma) >= MIN_FIT_PAIRS:
            continue  # large enough to fit a model on: not a small wave
        s = score_crosswalk(truth.filter(pl.col("practice_id").is_in(ids)), hard.filter(pl.col("practice_id").is_in(ids)),
                            match(f, wave).crosswalk)  # fmt: skip
        auto = s["auto"]
        tot["waves"] += 1
        tot["records"] += f.client.height
        tot["tp"] += auto["true_positive"]
        tot["wrong"] += auto["proposed_pairs"] - auto["true_positive"]
        tot["missed"] += auto["true_pairs"] - auto["true_positive"]
        tot["hard"] += sum(v["auto_merged"] for v in s["hard_cases"].values())
        tot["review"] += s["review_share"] * f.client.height
        tot["worst"] = max(tot["worst"], s["review_share"])
    p = tot["tp"] / max(1, tot["tp"] + tot["wrong"])
    r = tot["tp"] / max(1, tot["tp"] + tot["missed"])
    return {**tot, "precision": p, "recall": r, "f1": 2 * p * r / (p + r) if p + r else 0.0,
            "review_share": tot["review"] / max(1, tot["records"])}  # fmt: skip


@app.command()
def main(
    records: list[int] = typer.Option([150, 300, 600], help="source records per small wave (about)"),
    seed: list[int] = typer.Option(list(DEVELOPMENT)), corruption: list[str] = typer.Option(["default", "geco"]),
    practices: int = typer.Option(300), cache: Path = typer.Option(Path("bench-out/zones")),
) -> None:
    development_only(seed)
    table = Table("zone", "wave of", "waves", "records", "precision", "recall", "F1", "wrong auto", "hard auto", "review", "review, most")
    for model in corruption:
        for s in seed:
            folder = cached_zone(cache, model, s, practices)
            for n in records:
                z = zone(folder, n)
                table.add_row(f"{model} {s}", f"~{n}", str(z["waves"]), f"{z['records']:,}", f"{z['precision']:.5f}", f"{z['recall']:.4f}",
                              f"{z['f1']:.4f}", str(z["wrong"]), str(z["hard"]), f"{z['review_share']:.2%}", f"{z['worst']:.1%}")  # fmt: skip
    console.print(table)


if __name__ == "__main__":
    app()
