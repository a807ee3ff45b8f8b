"""Check digits over a column (not a test: timings are never asserted).

    .venv/bin/python -m benchmarks.check_digits --values 60000

For each kind with a column expression (`landing.identifiers.VECTORISED`), times `is_valid` on that many
distinct random digit strings of the kind's length (so one in ten to one in a hundred has a right check digit) against
python-stdnum's own check called once per value, as `is_valid` did before; best of `--repeat`. Prints seconds
and whether both gave the same verdicts.
"""

from __future__ import annotations

import random
import time

import polars as pl
import typer
from rich.console import Console
from rich.table import Table

app = typer.Typer(add_completion=False)
LENGTHS = {"ABN": 11, "ACN": 9, "ARBN": 9, "TFN": 9, "IRD": 9, "NZBN": 13}


def _best(fn, repeat: int) -> tuple[float, object]:
    best, out = float("inf"), None
    for _ in range(repeat):
        started = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - started)
    return best, out


@app.command()
def main(values: int = typer.Option(60_000, help="distinct values per kind"), repeat: int = 3, seed: int = 1) -> None:
    from landing.identifiers import CHECKS, VECTORISED, is_valid

    rng = random.Random(seed)
    table = Table(title=f"check digits, {values:,} distinct values per kind (best of {repeat})", title_justify="left")
    for col in ("kind", "column expression s", "stdnum per value s", "same verdicts", "valid"):
        table.add_column(col, justify="left" if col == "kind" else "right")
    for kind in sorted(VECTORISED):
        n, prefix = LENGTHS[kind], "94" if kind == "NZBN" else ""
        drawn = {prefix + "".join(rng.choice("0123456789") for _ in range(n - len(prefix))) for _ in range(values)}
        series = pl.Series(sorted(drawn), dtype=pl.String)
        fast, verdicts = _best(lambda: is_valid(series, kind).to_list(), repeat)
        slow, reference = _best(lambda: [CHECKS[kind](v) for v in series.to_list()], repeat)
        table.add_row(kind, f"{fast:.3f}", f"{slow:.3f}", str(verdicts == reference), f"{sum(v is True for v in reference):,}")
    Console(width=120).print(table)


if __name__ == "__main__":
    app()
