"""`scr report`: the progress report as one self-contained HTML page that opens offline.

Charts are Vega-Lite specs (Altair) rendered to SVG by vl-convert at build time and inlined: the page
loads no script, font or style from anywhere. Every text that comes from the data is HTML-escaped
here, and vl-convert escapes what it writes into the SVG. Each chart has its numbers in a table.
"""

from __future__ import annotations

import html
from datetime import datetime
from typing import Any

import altair as alt
import polars as pl
import vl_convert

from transforms import report_data as rd
from transforms.status_rules import STATUSES

__all__ = ["build_report", "render"]

STATUS_COLOURS = ["#9aa5b1", "#c3b6d9", "#5b9bd5", "#f0a33a", "#d9534f", "#8b1e1e", "#3c9d5d"]
_CSS = """
body { font-family: -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; margin: 2rem; color: #1f2933; }
h1 { margin-bottom: 0.2rem; } .sub { color: #616e7c; margin-top: 0; }
.cards { display: flex; flex-wrap: wrap; gap: 0.8rem; margin: 1.2rem 0 2rem; }
.card { border: 1px solid #d9e2ec; border-radius: 6px; padding: 0.6rem 1rem; min-width: 9rem; }
.card b { display: block; font-size: 1.5rem; } .card span { color: #616e7c; font-size: 0.85rem; }
section { margin-bottom: 2.2rem; } .row { display: flex; flex-wrap: wrap; gap: 2rem; align-items: flex-start; }
figure.chart { margin: 0; } table { border-collapse: collapse; font-size: 0.85rem; }
th, td { border-bottom: 1px solid #e4e7eb; padding: 0.25rem 0.6rem; text-align: left; } td.n { text-align: right; }
.empty { color: #616e7c; font-style: italic; }
"""


def _svg(chart: alt.Chart) -> str:
    return vl_convert.vegalite_to_svg(chart.to_dict())


def _bars(frame: pl.DataFrame, label: str, value: str, title: str, colour: Any = None, sort: list[str] | None = None) -> alt.Chart:
    """Horizontal bars with their value written at the end of each bar."""
    y = alt.Y(f"{label}:N", sort=sort or "-x", title=None, axis=alt.Axis(labelLimit=360))
    top = int(frame[value].max() or 0)
    # whole numbers: no more ticks than there are units, or Vega writes 0.5 as "1"
    axis = alt.Axis(tickCount=max(1, min(top, 8)), format="d")
    base = alt.Chart(frame).encode(y=y, x=alt.X(f"{value}:Q", title=title, axis=axis))
    bars = base.mark_bar().encode(color=colour) if colour is not None else base.mark_bar(color="#5b9bd5")
    text = base.mark_text(align="left", dx=3).encode(text=f"{value}:Q")
    return (bars + text).properties(width=420, height=alt.Step(22))


def _status_colour(legend: bool = False) -> alt.Color:
    scale = alt.Scale(domain=list(STATUSES), range=STATUS_COLOURS)
    return alt.Color("status:N", scale=scale, sort=list(STATUSES), legend=alt.Legend(title="status") if legend else None)


def _table(frame: pl.DataFrame) -> str:
    """The frame as an HTML table, every cell escaped; numbers right-aligned."""
    head = "".join(f"<th>{html.escape(c)}</th>" for c in frame.columns)
    numeric = [frame.schema[c].is_numeric() for c in frame.columns]
    rows = []
    for row in frame.iter_rows():  # a report table: tens of rows, not a hot path
        cells = "".join(
            f'<td class="n">{_fmt(v)}</td>' if num else f"<td>{html.escape(_fmt(v))}</td>" for v, num in zip(row, numeric)
        )
        rows.append(f"<tr>{cells}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def _fmt(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, float):
        return f"{v:,.4g}" if abs(v) < 1 else f"{v:,.1f}"
    if isinstance(v, int):
        return f"{v:,}"
    if isinstance(v, datetime):
        return v.strftime("%Y-%m-%d %H:%M:%S")
    return str(v)


def _section(key: str, title: str, chart: alt.Chart | None, numbers: pl.DataFrame, empty: str) -> str:
    if chart is None or numbers.is_empty():
        body = f'<p class="empty">{html.escape(empty)}</p>'
    else:
        body = f'<div class="row"><figure class="chart" data-chart="{key}">{_svg(chart)}</figure>{_table(numbers)}</div>'
    return f'<section id="{key}"><h2>{html.escape(title)}</h2>{body}</section>'


def render(views: dict[str, pl.DataFrame], info: dict[str, str]) -> str:
    """The report page from the analysts' views (warehouse.reader.read_views) and the snapshot's info."""
    funnel = rd.funnel(views["migration_progress"])
    funnel_table = funnel.with_columns((pl.col("share") * 100).round(1).alias("share_%")).drop("share")
    head = rd.headline(views["migration_progress"], views["merge_summary"], views["review_queue"], views["wave_summary"])
    runs = rd.progress_over_runs(views["progress_by_run"])
    merges = rd.merge_outcomes(views["merge_summary"])
    load = rd.review_load(views["review_queue"])
    failures = rd.top_failures(views["failure_reasons"])
    quality = rd.quality_summary(views["quality_failures"])

    run_chart = (
        alt.Chart(runs).mark_bar()
        .encode(x=alt.X("run_no:O", title="run", axis=alt.Axis(labelAngle=0)), y=alt.Y("practices:Q", title="practices"),
                color=_status_colour(legend=True),
                order=alt.Order("order:Q"))  # fmt: skip
        .transform_calculate(order=f"indexof({list(STATUSES)}, datum.status)")
        .properties(width=max(240, 40 * runs["run_no"].n_unique()) if runs.height else 240, height=260)
    )
    run_table = runs
    if runs.height:
        wide = runs.pivot(on="status", index=["run_no", "run_id", "started_at"], values="practices").fill_null(0)
        run_table = wide.select("run_no", "run_id", "started_at", *[s for s in STATUSES if s in wide.columns])
    sections = [
        _section("funnel", "Status funnel", _bars(funnel, "status", "practices", "practices", _status_colour(), list(STATUSES)),
                 funnel_table, "no practices yet"),
        _section("runs", "Progress over runs", run_chart if runs.height else None, run_table, "no run has finished yet"),
        _section("merges", "Merge outcomes (promoted source records)",
                 _bars(merges, "merge_status", "records", "source records", sort=list(rd.MERGE_STATUSES)) if merges["records"].sum() else None,
                 merges, "nothing promoted yet"),
        _section("review", "Review load by practice (links awaiting a person)",
                 _bars(load, "practice_id", "pending_links", "links awaiting review") if load.height else None,
                 load, "no link awaits review"),
        _section("failures", "Top failure reasons",
                 _bars(failures, "reason", "practices", "failed practices") if failures.height else None, failures, "no practice failed"),
        _section("quality", "Quality failures (expectations blocked practices failed)",
                 _bars(quality, "expectation", "practices", "blocked practices") if quality.height else None,
                 quality, "no practice is blocked"),
    ]  # fmt: skip
    cards = [
        ("practices", f"{head['practices']:,}"), ("complete", f"{head['share_complete']:.1%}"),
        ("source records read", f"{head['source_records']:,}"), ("unified clients", f"{head['unified_clients']:,}"),
        ("links awaiting review", f"{head['pending_links']:,}"), ("blocked", f"{head['by_status'].get('blocked', 0):,}"),
        ("failed", f"{head['by_status'].get('failed', 0):,}"),
    ]  # fmt: skip
    card_html = "".join(f"<div class='card'><b>{html.escape(v)}</b><span>{html.escape(k)}</span></div>" for k, v in cards)
    sub = f"snapshot {info.get('generation', '?')}, published {info.get('published_at', '?')}, from {info.get('warehouse', '?')}"
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        "<meta http-equiv='Content-Security-Policy' content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\">"
        f"<title>Migration progress</title><style>{_CSS}</style></head><body>"
        f"<h1>Migration progress</h1><p class='sub'>{html.escape(sub)}</p><div class='cards'>{card_html}</div>"
        + "".join(sections)
        + "</body></html>"
    )


def build_report(views: dict[str, pl.DataFrame], info: dict[str, str], out) -> None:
    """Write the report page to `out` (a path)."""
    from pathlib import Path

    Path(out).write_text(render(views, info), encoding="utf-8")
