"""Why true pairs are left apart: the matcher's own pair decisions on one generated zone, grouped by cause.

    .venv/bin/python -m benchmarks.match_misses --seed 2 --corruption geco --practices 300

For development seeds only (never tune on held-out seeds); `--febrl 3` (or 1, 2, 4) looks at Febrl instead. The zone is generated once into
--cache and read back on later calls. Each true pair the automatic clusters leave apart is put in
one group: not a candidate (blocking), reviewed, rejected (by which veto), or left below the review
threshold, with the levels the comparison gave it; a sample of each group is printed.

A client keyed n times has n(n-1)/2 true pairs, so one record split from a large client counts many
times over. `splits` counts each split once: per two automatic clusters holding records of one true
client, the likeliest compared pair between them and why it was not merged (a pair merged
automatically that clustering kept apart is `auto_but_split`, a cluster conflict).
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
import typer
from rich.console import Console

from benchmarks.match import _load, _save, generated, landing_key

app = typer.Typer(add_completion=False)
console = Console(width=200)


def capture(frames, practices):
    """match() with its final pair decisions and records kept (the assemble step's inputs)."""
    from transforms import matching

    seen = {}
    real = matching.assemble

    def spy(std, cmp, hints, reviewed, labels_auto, labels, **options):
        seen.update(std=std, cmp=cmp, labels_auto=labels_auto, labels=labels)
        return real(std, cmp, hints, reviewed, labels_auto, labels, **options)

    matching.assemble = spy
    try:
        result = matching.match(frames, practices)
    finally:
        matching.assemble = real
    return result, seen


def splits(cmp: pl.DataFrame, rec: pl.DataFrame) -> pl.DataFrame:
    """Per two automatic clusters of one true client (rec: rid, entity_id, auto), the likeliest compared pair
    between them with its decision, veto and probability, and `why` (as in main); split clusters with no
    compared pair between them are left out (see the pair groups' not_candidate)."""
    r = rec.filter(pl.col("entity_id").is_not_null()).select("rid", "entity_id", "auto")
    p = cmp.select("rid_l", "rid_r", "decision", "veto", "match_probability")
    p = p.join(r.rename({"rid": "rid_l", "entity_id": "e_l", "auto": "a_l"}), on="rid_l")
    p = p.join(r.rename({"rid": "rid_r", "entity_id": "e_r", "auto": "a_r"}), on="rid_r")
    p = p.filter((pl.col("e_l") == pl.col("e_r")) & (pl.col("a_l") != pl.col("a_r")))
    p = p.with_columns(a=pl.min_horizontal("a_l", "a_r"), b=pl.max_horizontal("a_l", "a_r"))
    best = p.sort(["match_probability", "rid_l", "rid_r"], descending=[True, False, False]).group_by("e_l", "a", "b", maintain_order=True).first()
    return best.with_columns(
        why=pl.when(pl.col("decision") == "auto").then(pl.lit("auto_but_split"))
        .when(pl.col("decision") == "review").then(pl.lit("review:") + pl.col("veto").fill_null("p<auto"))
        .otherwise(pl.lit("reject:") + pl.col("veto").fill_null("p<review"))
    ).rename({"e_l": "entity_id"}).drop("e_r", "a_l", "a_r")


def cached_zone(cache: Path, corruption: str, seed: int, practices: int) -> Path:
    """The folder of a generated zone's frames, truth and hard pairs, generated on first use."""
    folder = cache / f"{corruption}-{seed}-{practices}"
    if not (folder / "truth.parquet").exists():
        ds, _ = generated(cache / f"gen-{corruption}-{seed}", practices, seed, landing_key(), corruption)
        _save(ds, folder)
        ds.truth.write_parquet(folder / "truth.parquet")
        ds.hard_pairs.write_parquet(folder / "hard.parquet")
    return folder


@app.command()
def main(
    seed: int = typer.Option(2), corruption: str = typer.Option("geco"), practices: int = typer.Option(300),
    cache: Path = typer.Option(Path("bench-out/zones")), sample: int = typer.Option(4), out: Path | None = typer.Option(None),
    febrl: int | None = typer.Option(None, help="3 or 4: Febrl3 / Febrl4 instead of a generated zone (seed, corruption ignored)"),
) -> None:
    from transforms.compare import FIELDS

    if febrl is not None:
        from benchmarks import febrl as fb

        ds = fb.DATASETS[febrl]()
        frames, prac, truth = ds.frames, ds.practices, ds.truth
    else:
        folder = cached_zone(cache, corruption, seed, practices)
        frames, prac = _load(folder)
        truth = pl.read_parquet(folder / "truth.parquet")
    result, seen = capture(frames, prac)
    std, cmp = seen["std"], seen["cmp"]
    key = ["practice_id", "source", "source_client_id"]
    ent = std.select("rid", *key).join(truth, on=key, how="left").with_columns(auto=pl.Series(seen["labels_auto"]))
    rec = ent.select("rid", "entity_id", "auto")
    # every true pair, then whether the automatic clusters hold it
    tp = rec.join(rec, on="entity_id", suffix="_r").filter(pl.col("rid") < pl.col("rid_r")).rename({"rid": "rid_l"})
    missed = tp.filter(pl.col("auto") != pl.col("auto_r"))
    cols = ["rid_l", "rid_r", "decision", "veto", "match_probability", "_p_unvetoed", *FIELDS]
    m = missed.join(cmp.select(cols), on=["rid_l", "rid_r"], how="left")
    m = m.with_columns(
        why=pl.when(pl.col("decision").is_null()).then(pl.lit("not_candidate"))
        .when(pl.col("decision") == "auto").then(pl.lit("auto_but_split"))
        .when(pl.col("decision") == "review").then(pl.lit("review:") + pl.col("veto").fill_null("p<auto"))
        .otherwise(pl.lit("reject:") + pl.col("veto").fill_null("p<review"))
    )
    levels = {f: pl.col(f).replace_strict(dict(enumerate(v)), default=None, return_dtype=pl.String) for f, v in FIELDS.items()}
    m = m.with_columns(**levels)
    console.print(f"records {std.height:,}, true pairs {tp.height:,}, missed {missed.height:,}, threshold {result.auto_threshold}")
    console.print(f"review records {(result.crosswalk['merge_status'] == 'review').sum():,}")
    groups = m.group_by("why").len().sort("len", descending=True)
    split = splits(cmp, rec)
    split_clients = rec.filter(pl.col("entity_id").is_not_null()).group_by("entity_id").agg(pl.col("auto").n_unique()).filter(pl.col("auto") > 1)
    with pl.Config(tbl_rows=60, tbl_width_chars=200, fmt_str_lengths=60, tbl_cols=30):
        console.print(groups)
        console.print(f"clients split by the automatic clusters {split_clients.height:,}; splits with a compared pair, by their likeliest pair:")
        console.print(split.group_by("why").len().sort("len", descending=True))
        show = std.select("rid", "source", "full_name", "dob", "email", "address", "postcode", "tax_no", "business_no", "company_no", "phones")
        for why in groups["why"].head(12):
            g = m.filter(pl.col("why") == why)
            console.print(f"== {why}: {g.height}")
            console.print(g.group_by(["name", "dob", "email", "address", "phone", "mobile"]).len().sort("len", descending=True).head(8))
            for row in g.head(sample).iter_rows(named=True):
                console.print({k: row[k] for k in ("match_probability", "_p_unvetoed") if row[k] is not None},
                              {f: row[f] for f in FIELDS if row[f] and row[f] != "null"})
                console.print(show.filter(pl.col("rid").is_in([row["rid_l"], row["rid_r"]])))
    if out:
        m.write_parquet(out)
        lab = cmp.join(rec.select(rid_l="rid", e_l="entity_id"), on="rid_l").join(rec.select(rid_r="rid", e_r="entity_id"), on="rid_r")
        lab.with_columns(same=pl.col("e_l") == pl.col("e_r"), **levels).drop("evidence").write_parquet(out.with_suffix(".pairs.parquet"))
        std.write_parquet(out.with_suffix(".std.parquet"))
        rec.with_columns(proposed=pl.Series(seen["labels"])).write_parquet(out.with_suffix(".rec.parquet"))


if __name__ == "__main__":
    app()
