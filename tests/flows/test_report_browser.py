"""The report in a real browser: headless Chromium draws every chart, asks the network for nothing, logs no error.

Skipped where no Chromium is installed (CI installs Debian's package where it can).
"""

import json

import pytest

from flows.cli_analyst import report
from tests.flows.browser import Page, chromium
from tests.warehouse.handmade import published

BROWSER = chromium()
pytestmark = pytest.mark.skipif(BROWSER is None, reason="no Chromium installed (apt-get install chromium)")

MEASURE = """JSON.stringify([...document.querySelectorAll('figure.chart')].map(f => {
  const svg = f.querySelector('svg'), box = svg ? svg.getBoundingClientRect() : {width: 0, height: 0};
  const marks = [...f.querySelectorAll('g.role-mark path, g.role-mark rect')]
      .filter(m => { const b = m.getBoundingClientRect(); return b.width > 0 && b.height > 0; });
  const labels = [...f.querySelectorAll('g.role-mark text')].filter(t => t.getBoundingClientRect().width > 0);
  return {chart: f.dataset.chart, width: box.width, height: box.height, marks: marks.length, labels: labels.length};
}))"""


def test_every_chart_is_drawn_with_no_error_and_no_request(tmp_path):
    warehouse = published(tmp_path / "w.duckdb", hostile=True)
    out = tmp_path / "report.html"
    report(warehouse=warehouse, out_file=out)
    with Page(BROWSER) as page:
        page.open(out.as_uri())
        charts = json.loads(page.evaluate(MEASURE))
        page.screenshot(tmp_path / "report.png")
        errors, requests = page.errors(), page.requests()
    assert [c["chart"] for c in charts] == ["funnel", "runs", "merges", "review", "failures", "quality"]
    for c in charts:
        assert c["width"] > 100 and c["height"] > 50, c
        assert c["marks"] > 0, c
    # bars with their value written beside them: the funnel has one bar and one number per status
    funnel = charts[0]
    assert funnel["marks"] >= 7 and funnel["labels"] == 7
    assert errors == []
    assert [u for u in requests if not u.startswith(("file:", "data:"))] == []
    png = (tmp_path / "report.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 20_000
