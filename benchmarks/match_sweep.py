"""Our matcher on many generated zones (both corruption models, development and held-out seeds): one row per zone.

    .venv/bin/python -m benchmarks.match_sweep                                   # seeds 1-3 (dev) and 11-15 (held out)
    .venv/bin/python -m benchmarks.match_sweep --seed 1 --seed 2 --practices 100 --corruption geco

Each zone is generated, read by the readers, matched by `transforms.matching.match` fitted on the
zone itself (as `make bench-match` does, in a spawned process) and scored like the main benchmark.
Prints a markdown table (the README's) and writes the figures as JSON. Splink and Febrl are not run.
"""

from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path

import typer
from rich.console import Console

from benchmarks.match import CORRUPTIONS, _commit, bench_dataset, generated, landing_key

app = typer.Typer(add_completion=False)
console = Console(width=160)

DEVELOPMENT, HELD_OUT = (1, 2, 3), (7, 11, 12, 13, 14, 15)


def development_only(seeds: list[int]) -> list[int]:
    """`seeds` if none is held out (any seed outside HELD_OUT is a development zone, e.g. 4-6, 8-10 fresh ones);
    a held-out seed is refused: looking at it would tune on the test set."""
    held_out = [s for s in seeds if s in HELD_OUT]
    if held_out:
        raise typer.BadParameter(f"seeds {held_out} are held out: looking at them would tune on the test set")
    return seeds
TARGETS = {"precision": 0.999, "hard": 0.001, "f1": 0.99, "review": 0.03, "blocking": 0.999}


def zone_row(corruption: str, seed: int, practices: int, info: dict, ours: dict) -> dict:
    """The figures of one zone, flat."""
    hard = {k: v for k, v in ours.get("hard_cases", {}).items()}
    worst = max(hard.items(), key=lambda kv: (kv[1]["auto_rate"], kv[1]["auto_merged"]), default=(None, None))
    return {
        "corruption": corruption, "seed": seed, "set": "held-out" if seed in HELD_OUT else "dev",
        "practices": practices, "records": ours["all"]["records"], "true_pairs": ours["all"]["true_pairs"],
        "precision": ours["auto"]["precision"], "recall": ours["auto"]["recall"], "f1": ours["auto"]["f1"],
        "review": ours["review_share"], "blocking": ours["blocking"]["direct"],
        "blocking_connected": ours["blocking"]["connected"], "candidate_pairs": ours["blocking"]["candidate_pairs"], "threshold": ours.get("auto_threshold"),
        "hard": {k: {"pairs": v["pairs"], "auto": v["auto_merged"], "review": v["review"], "auto_rate": v["auto_rate"]} for k, v in hard.items()},
        "worst_hard": None if worst[0] is None else {"kind": worst[0], "rate": worst[1]["auto_rate"], "pairs": worst[1]["auto_merged"]},
        "seconds": ours["seconds"], "generator_rates": info.get("generator_summary", {}).get("error_rates"),
    }  # fmt: skip


def markdown(rows: list[dict]) -> str:
    """The README table: one line per zone, the targets marked where missed."""
    head = (
        "| model | seed | set | records | auto precision | auto recall | auto F1 | in review | blocking recall | worst hard kind auto (pairs) | seconds |\n"
        "|---|---:|---|---:|---:|---:|---:|---:|---:|---|---:|"
    )
    out = [head]
    for r in rows:
        w = r["worst_hard"]
        worst = "0" if not w or w["pairs"] == 0 else f'{w["rate"]:.2%} ({w["kind"].replace("_", "/")} {w["pairs"]})'
        miss = lambda ok, text: text if ok else f"**{text}**"  # noqa: E731
        precision = miss(r["precision"] >= TARGETS["precision"], format(r["precision"], ".5f"))
        f1 = miss(r["f1"] >= TARGETS["f1"], format(r["f1"], ".4f"))
        review = miss(r["review"] <= TARGETS["review"], format(r["review"], ".2%"))
        blocking = miss(r["blocking"] >= TARGETS["blocking"], format(r["blocking"], ".4f"))
        hard = miss(not w or w["rate"] <= TARGETS["hard"], worst)
        out.append(
            f'| {r["corruption"]} | {r["seed"]} | {r["set"]} | {r["records"]:,} | {precision} | {r["recall"]:.4f} | {f1} | '
            f'{review} | {blocking} | {hard} | {r["seconds"]:.1f} |'
        )
    return "\n".join(out)


@app.command()
def main(
    seed: list[int] = typer.Option(list(DEVELOPMENT + HELD_OUT), help="generator seeds"),
    corruption: list[str] = typer.Option(list(CORRUPTIONS), help="corruption models"),
    practices: int = typer.Option(300, help="practices per zone"),
    out: Path = typer.Option(Path("bench-out/match_sweep.json"), help="JSON figures"),
    keep: Path | None = typer.Option(None, help="keep the zones and outputs in this folder"),
) -> None:
    """Generate, read, match and score every (model, seed) zone; print the table."""
    rows, t0 = [], time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="bench-sweep-") as tmp:
        work = keep or Path(tmp)
        key = landing_key()
        for s in seed:
            for model in corruption:
                ds, info = generated(work / f"zone-{model}-{s}", practices, s, key, model)
                ours = bench_dataset(ds, work / f"{model}-{s}", False, 0.95, s)["ours"]
                rows.append(zone_row(model, s, practices, info, ours))
                console.log(f"{model} seed {s}: F1 {ours['auto']['f1']:.4f}, review {ours['review_share']:.2%}")
    text = markdown(rows)
    console.print(text)
    out.parent.mkdir(parents=True, exist_ok=True)
    meta = {"commit": _commit(), "practices": practices, "wall_seconds": round(time.perf_counter() - t0, 1)}
    out.write_text(json.dumps({"meta": meta, "zones": rows, "table": text}, indent=2, default=str))
    console.log(f"figures written to {out}")


if __name__ == "__main__":
    app()
