"""Property: any text a system can write (commas, quotes, newlines, markup, any script) reads back stripped."""

from __future__ import annotations

import csv
import io
import json
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from landing.hq import read_hq
from landing.tax import COLUMNS, read_tax
from landing.secrets import HashKey
from landing.xpm import read_xpm

KEY = HashKey.ephemeral()
# XML 1.0 cannot hold control characters, and a parser turns \r into \n: both are outside what systems write
text = st.text(
    st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")) | st.sampled_from([",", '"', "\n", " ", "&", "<", ">"]),
    max_size=25,
)
names = st.lists(text.filter(lambda s: s.strip()), min_size=1, max_size=6)
SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def expected(values: list[str]) -> list[str]:
    return [v.strip() for v in values]


@SETTINGS
@given(names)
def test_tax_csv_round_trip(values):
    buf = io.StringIO(newline="")
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for i, v in enumerate(values):
        writer.writerow([f"T{i}", v] + [""] * (len(COLUMNS) - 2))
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "tax_clients.csv"
        path.write_bytes(buf.getvalue().encode("utf-8"))
        client = read_tax(path, "P1", "AU", KEY).client
    assert client.get_column("name").to_list() == expected(values)
    # a record starts on the line after the previous one ends
    ends = [1] + [1 + sum(1 + (v.count("\n")) for v in values[: i + 1]) for i in range(len(values))]
    assert client.get_column("record_no").to_list() == [e + 1 for e in ends[:-1]]


@SETTINGS
@given(names)
def test_xpm_xml_round_trip(values):
    root = etree.Element("Response")
    clients = etree.SubElement(root, "Clients")
    for i, v in enumerate(values):
        c = etree.SubElement(clients, "Client")
        etree.SubElement(c, "UUID").text = f"u{i}"
        etree.SubElement(c, "Name").text = v
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "xpm_clients.xml"
        path.write_bytes(etree.tostring(root, xml_declaration=True, encoding="utf-8"))
        client = read_xpm(path, "P1", "AU", KEY).client
    assert client.get_column("name").to_list() == expected(values)


@SETTINGS
@given(names)
def test_hq_json_round_trip(values):
    doc = {"practiceId": "P1", "clients": [{"id": f"h{i}", "displayName": v} for i, v in enumerate(values)]}
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "hq_clients.json"
        path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
        client = read_hq(path, "P1", "AU", KEY).client
    assert client.get_column("name").to_list() == expected(values)
