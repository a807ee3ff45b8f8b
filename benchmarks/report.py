"""The benchmark's one table: a row per figure, a column per dataset and system."""

from __future__ import annotations

from collections.abc import Callable

from rich.table import Table

__all__ = ["render", "rows"]


def _fmt(v, spec: str) -> str:
    return "-" if v is None else format(v, spec)


def rows(results: dict) -> list[tuple[str, str, Callable]]:
    """(label, format, getter) for every row of the table."""
    kinds = sorted({k for ds in results.values() for s in ds.values() for k in s.get("hard_cases", {})})
    r = ".4f"
    out = [
        ("records scored", ",", lambda s: s["all"]["records"]),
        ("true pairs", ",", lambda s: s["all"]["true_pairs"]),
        ("records lost / not in truth", "", lambda s: f'{s["missing_from_crosswalk"]} / {s["not_in_truth"]}'),
        ("threshold (auto)", ".6g", lambda s: s.get("threshold", s.get("auto_threshold"))),
        ("precision (auto)", r, lambda s: s["auto"]["precision"]),
        ("recall (auto)", r, lambda s: s["auto"]["recall"]),
        ("F1 (auto)", r, lambda s: s["auto"]["f1"]),
        ("share in review", r, lambda s: s["review_share"]),
        ("held back: pairs / true", "", lambda s: f'{s["held_back"]["pairs"]:,} / {s["held_back"]["true_pairs"]:,}'),
        ("held back: share of records", r, lambda s: s["held_back"]["records_share"]),
        ("precision (auto+review)", r, lambda s: s["all"]["precision"]),
        ("recall (auto+review)", r, lambda s: s["all"]["recall"]),
        ("F1 (auto+review)", r, lambda s: s["all"]["f1"]),
        ("blocking recall (direct)", r, lambda s: s["blocking"]["direct"]),
        ("blocking recall (connected)", r, lambda s: s["blocking"]["connected"]),
        ("candidate pairs", ",", lambda s: s["blocking"]["candidate_pairs"]),
    ]
    for k in kinds:
        out.append((f"{k}: auto", r, lambda s, k=k: s["hard_cases"].get(k, {}).get("auto_rate")))
        out.append((f"{k}: review", r, lambda s, k=k: s["hard_cases"].get(k, {}).get("review_rate")))
    out += [
        ("wall seconds", ",.1f", lambda s: s["seconds"]),
        ("peak RSS MB", ",.0f", lambda s: s["peak_rss_mb"]),
    ]
    return out


def render(results: dict) -> Table:
    """One table: a row per figure, a column per dataset and system."""
    table = Table(title="Matching benchmark: ours vs Splink 5 (own threshold, and at our review budget)")
    table.add_column("figure (hard cases by kind)", no_wrap=True)
    cols = [(d, s) for d, per in results.items() for s in per]
    for d, s in cols:
        table.add_column(f"{d}\n{s}", justify="right")
    for label, spec, get in rows(results):
        cells = []
        for d, s in cols:
            res = results[d][s]
            try:
                cells.append("error" if "error" in res else _fmt(get(res), spec))
            except (KeyError, TypeError):
                cells.append("-")
        table.add_row(label, *cells)
    return table
