"""How much recall the evidence allows: true pairs left apart whose comparison levels a hard look-alike pair also has.

    .venv/bin/python -m benchmarks.match_ambiguity --seed 2 --corruption geco --practices 300

Development seeds only (1-3; held-out seeds are refused). A true pair the automatic clusters leave apart,
compared with exactly the levels (every field) of a pair of two different clients that the zone holds as a
hard look-alike (parent and child of one name, spouses, namesakes, trust and trustee), cannot be merged
automatically without merging that look-alike too: no rule on these levels tells them apart. The rest
could be, by some rule. Printed per zone: true pairs, those left apart, how many of the compared ones
share their levels with a hard pair, and the automatic-merge recall and F1 if every other one were merged
(pairwise, chains ignored: a ceiling, since those others may still look like two unrelated clients), and
the hard pairs of each kind that merging the shared patterns would bring along.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
import typer
from rich.console import Console

from benchmarks.match import _load
from benchmarks.match_misses import cached_zone, capture
from benchmarks.match_sweep import DEVELOPMENT, development_only
from benchmarks.scoring import pairwise

app = typer.Typer(add_completion=False)
console = Console(width=160)


def zone(folder: Path) -> dict:
    """The figures of one cached zone (frames, practices, truth and hard pairs as match_misses caches them)."""
    from transforms.compare import FIELDS

    frames, prac = _load(folder)
    truth, hard = pl.read_parquet(folder / "truth.parquet"), pl.read_parquet(folder / "hard.parquet")
    result, seen = capture(frames, prac)
    std, cmp = seen["std"], seen["cmp"]
    key = ["practice_id", "source", "source_client_id"]
    rec = std.select("rid", *key).join(truth, on=key, how="left").with_columns(auto=pl.Series(seen["labels_auto"]))
    score = pairwise(truth, rec.select(*key, cluster_id=pl.col("auto").cast(pl.String)))
    ent = rec.select("rid", "entity_id", "auto")
    kinds = hard.select("practice_id", e_l="entity_a", e_r="entity_b", kind="kind")
    kinds = pl.concat([kinds, kinds.select("practice_id", e_l="e_r", e_r="e_l", kind="kind")]).unique(["practice_id", "e_l", "e_r"])
    pairs = (
        cmp.select("practice_id", "rid_l", "rid_r", *FIELDS)
        .join(ent.rename({"rid": "rid_l", "entity_id": "e_l", "auto": "a_l"}), on="rid_l")
        .join(ent.rename({"rid": "rid_r", "entity_id": "e_r", "auto": "a_r"}), on="rid_r")
        .join(kinds, on=["practice_id", "e_l", "e_r"], how="left")
    )
    shared = pairs.filter(pl.col("kind").is_not_null()).select(*FIELDS).unique().with_columns(shared=pl.lit(True))
    pairs = pairs.join(shared, on=list(FIELDS), how="left").with_columns(pl.col("shared").fill_null(False))
    missed = pairs.filter((pl.col("e_l") == pl.col("e_r")) & (pl.col("a_l") != pl.col("a_r")))
    free = missed.filter(~pl.col("shared")).height
    recall = (score.true_positive + free) / score.true_pairs
    f1 = 2 * score.precision * recall / (score.precision + recall)
    # the hard pairs (not merged now) that merging the missed pairs' shared patterns would merge as well, by kind
    wanted = missed.filter("shared").select(*FIELDS).unique()
    along = pairs.filter(pl.col("kind").is_not_null() & (pl.col("a_l") != pl.col("a_r"))).join(wanted, on=list(FIELDS), how="semi")
    return {
        "true_pairs": score.true_pairs, "left_apart": score.true_pairs - score.true_positive, "compared_left_apart": missed.height,
        "shares_levels_with_a_hard_pair": missed.height - free, "recall": score.recall, "f1": score.f1,
        "recall_ceiling": recall, "f1_ceiling": f1,
        "hard_pairs_brought_along": dict(along.group_by("kind").len().sort("kind").iter_rows()),
    }  # fmt: skip


@app.command()
def main(
    seed: list[int] = typer.Option(list(DEVELOPMENT)), corruption: list[str] = typer.Option(["default", "geco"]),
    practices: int = typer.Option(300), cache: Path = typer.Option(Path("bench-out/zones")),
) -> None:
    """One line per (model, seed) development zone."""
    development_only(seed)
    for s in seed:
        for model in corruption:
            console.print(f"{model} seed {s}:", zone(cached_zone(cache, model, s, practices)))


if __name__ == "__main__":
    app()
