"""How big the match model's sample must be: fitted on the first K practices of a zone, every practice matched.

    .venv/bin/python -m benchmarks.fit_sample --fit 300 --fit 200 --fit 150 --fit 100

A wave fits its model on the first `SCR_MODEL_SAMPLE_PRACTICES` (300) eligible practices by id
(`transforms.planning.model_sample`) and matches every practice with it; reading, comparing and fitting
that sample is most of the fixed cost of a small wave. This fits on the first K practices (by id) of each
300-practice development zone (cached as `benchmarks.match_misses` caches them), matches all 300 with
that model, and prints the automatic merges' precision, recall and F1, the review share and the highest
rate at which a hard look-alike kind is merged automatically. K = 300 is what `make bench-match` scores.
Development seeds only (1-3; held-out seeds are refused). Not a test: nothing is asserted.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
import typer
from rich.console import Console
from rich.table import Table

from benchmarks.match import _load
from benchmarks.match_misses import cached_zone
from benchmarks.match_sweep import DEVELOPMENT, development_only
from benchmarks.scoring import score_crosswalk

app = typer.Typer(add_completion=False)
console = Console(width=120)


def _first(frames, practices: pl.DataFrame):
    """The frames of `practices` only."""
    ids = practices["practice_id"].implode()
    return frames.with_(**{
        n: getattr(frames, n).filter(pl.col("practice_id").is_in(ids))
        for n in frames.names() if "practice_id" in getattr(frames, n).columns
    })  # fmt: skip


def zone(folder: Path, fits: list[int]) -> list[dict]:
    from transforms.matching import fit_model, match

    frames, practices = _load(folder)
    truth, hard = pl.read_parquet(folder / "truth.parquet"), pl.read_parquet(folder / "hard.parquet")
    practices = practices.sort("practice_id")
    rows = []
    for k in fits:
        sample = practices.head(k)
        model = fit_model(_first(frames, sample), sample)
        s = score_crosswalk(truth, hard, match(frames, practices, model=model).crosswalk)
        auto = s["auto"]
        rows.append({
            "fit": sample.height, "records": frames.client.join(sample, on="practice_id", how="semi").height,
            "precision": auto["precision"], "recall": auto["recall"], "f1": auto["f1"], "review": s["review_share"],
            "hard": max((v["auto_rate"] for v in s["hard_cases"].values()), default=0.0),
        })  # fmt: skip
    return rows


@app.command()
def main(
    fit: list[int] = typer.Option([300, 200, 150, 100], help="practices the model is fitted on (the first by id)"),
    seed: list[int] = typer.Option(list(DEVELOPMENT)), corruption: list[str] = typer.Option(["default", "geco"]),
    practices: int = typer.Option(300), cache: Path = typer.Option(Path("bench-out/zones")),
) -> None:
    development_only(seed)
    table = Table("zone", "fitted on", "records", "precision", "recall", "F1", "review", "hard, most")
    mean: dict[int, list[float]] = {}
    for model in corruption:
        for s in seed:
            for r in zone(cached_zone(cache, model, s, practices), fit):
                mean.setdefault(r["fit"], []).append(r["f1"])
                table.add_row(f"{model} {s}", str(r["fit"]), f"{r['records']:,}", f"{r['precision']:.5f}", f"{r['recall']:.4f}",
                              f"{r['f1']:.4f}", f"{r['review']:.2%}", f"{r['hard']:.2%}")
    console.print(table)
    for k, f1s in mean.items():
        console.print(f"fitted on {k}: mean F1 {sum(f1s) / len(f1s):.5f} over {len(f1s)} zones")


if __name__ == "__main__":
    app()
