"""Dump what the matcher gives for some practices of a zone, or compare with an earlier dump: a before/after check
for a change meant to keep the matcher's outputs identical (not a test: run it at both commits).

    PYTHONPATH=BEFORE .venv/bin/python -m benchmarks.match_dump LANDING /tmp/before
    PYTHONPATH=AFTER  .venv/bin/python -m benchmarks.match_dump LANDING /tmp/after --compare /tmp/before

The model is fitted on the wave's sample (`flows.journey.model_sample_of`) and dumped as JSON; then `--count`
practices after the first `--skip` by id are matched with it (`transforms.matching.match`) and its links,
crosswalk and suspect links written as parquet. With `--compare`, each is compared with that folder's
(frames equal, rows in order, dtypes included; the model's dict equal) and the command exits 1 on a difference.
"""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import typer
from polars.testing import assert_frame_equal

app = typer.Typer(add_completion=False)
TABLES = ("links", "crosswalk", "suspect_links")


@app.command()
def main(
    landing: Path,
    out: Path,
    skip: int = typer.Option(300, help="practices by id skipped (the first 300 are the 100k zone's sample)"),
    count: int = typer.Option(200, help="practices matched"),
    compare: Path | None = typer.Option(None, help="an earlier dump to compare with"),
) -> None:
    from benchmarks.gil import zone_model
    from flows.journey import extract
    from flows.settings import get_settings
    from transforms.matching import match

    registry, key, model, _ = zone_model(landing)  # sets a throwaway key first if none is set
    s = get_settings()
    part = registry.sort("practice_id").slice(skip, count)
    frames, failed = extract(landing, part, key, quiet=True)
    part = part.filter(~pl.col("practice_id").is_in(list(failed)))
    r = match(frames, part, model=model, auto_threshold=s.auto_threshold, review_threshold=s.review_threshold)
    out.mkdir(parents=True, exist_ok=True)
    (out / "model.json").write_text(json.dumps(model.to_dict(), sort_keys=True, default=str))
    for t in TABLES:
        getattr(r, t).write_parquet(out / f"{t}.parquet")
    print(f"{part.height} practices, {frames.client.height:,} records: " + ", ".join(f"{getattr(r, t).height:,} {t}" for t in TABLES))
    if compare is None:
        return
    same = (compare / "model.json").read_text() == (out / "model.json").read_text()
    print(f"model: {'equal' if same else 'DIFFERS'}")
    for t in TABLES:
        try:
            assert_frame_equal(pl.read_parquet(compare / f"{t}.parquet"), getattr(r, t))
            print(f"{t}: equal")
        except AssertionError as exc:
            same = False
            print(f"{t}: DIFFERS {exc}")
    raise typer.Exit(0 if same else 1)


if __name__ == "__main__":
    app()
