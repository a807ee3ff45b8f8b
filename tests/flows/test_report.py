"""`scr report`: one self-contained page, each chart with its numbers, every text from the data escaped."""

import re

import pytest

from flows.report import render
from tests.warehouse.handmade import HOSTILE_NAME, published
from warehouse.reader import open_snapshot, read_views, snapshot_info

SECTIONS = ("funnel", "runs", "merges", "review", "failures", "quality")


@pytest.fixture(scope="module")
def page(tmp_path_factory) -> str:
    path = published(tmp_path_factory.mktemp("report") / "w.duckdb", hostile=True)
    with open_snapshot(path) as con:
        return render(read_views(con), snapshot_info(con))


def test_every_section_has_a_chart_and_its_numbers(page):
    for key in SECTIONS:
        section = re.search(f'<section id="{key}">(.*?)</section>', page, re.S)
        assert section, key
        assert f'data-chart="{key}"' in section.group(1) and "<svg" in section.group(1), key
        assert "<table>" in section.group(1), key


def test_the_numbers_are_the_views_numbers(page):
    funnel = re.search('<section id="funnel">(.*?)</section>', page, re.S).group(1)
    cells = re.findall(r"<tr><td>(\w+)</td><td class=\"n\">(\d+)</td>", funnel)
    assert dict(cells) == {"connect": "1", "confirm": "1", "coming_soon": "1", "in_review": "1", "blocked": "1", "failed": "1",
                           "complete": "1"}  # fmt: skip
    merges = re.search('<section id="merges">(.*?)</section>', page, re.S).group(1)
    assert dict(re.findall(r"<tr><td>(\w+)</td><td class=\"n\">(\d+)</td>", merges)) == {"auto": "3", "reviewed": "2", "review": "2", "unique": "1"}
    assert "<b>2</b><span>links awaiting review</span>" in page.replace("'", "")


def test_the_page_loads_nothing_from_anywhere(page):
    assert "<script" not in page.lower() and "<link" not in page.lower() and "@import" not in page
    assert not re.search(r"(src|href)\s*=\s*[\"']?(https?:)?//", page, re.I)
    assert "default-src 'none'" in page


def test_text_from_the_data_is_escaped(page):
    assert "<script>alert" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(&quot;name&quot;)&lt;/script&gt;" in page or "&lt;script&gt;alert(" in page
    assert HOSTILE_NAME not in page
