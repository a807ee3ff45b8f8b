"""The attack of issue 8 on a generated warehouse: rebuild a record's lineage hash for every check-digit-valid
TFN ending in the stored last three digits. It recovers the TFN from an unkeyed digest in about a second;
against what the warehouse stores it finds nothing (and with the key, which the attacker lacks, it would)."""

from __future__ import annotations

import csv
import hashlib
import hmac
import json
from collections.abc import Callable
from pathlib import Path

import duckdb
import numpy as np
import polars as pl
import pytest
from lxml import etree

from landing import HashKey, read_practice, read_registry
from warehouse.schema import create_all
from warehouse.staging import load_staging

SECRET = "brute-force-test-key-the-attacker-lacks"
PLACEHOLDER = "TFN-PLACEHOLDER-X"  # ASCII: lxml writes other characters as references


def tfn_candidates(last3: str) -> list[str]:
    """Every nine-digit TFN with a valid check digit that ends in `last3`: about 91,000 of them."""
    prefixes = np.arange(10**6)
    lead = (prefixes[:, None] // 10 ** np.arange(5, -1, -1)) % 10
    weights = np.array([1, 4, 3, 7, 5, 8, 6, 9, 10])
    total = lead @ weights[:6] + np.array([int(c) for c in last3]) @ weights[6:]
    return [f"{p:06d}{last3}" for p in prefixes[total % 11 == 0]]


def spellings(tfn: str) -> list[str]:
    """How a TFN is written in the landing files."""
    return [tfn, f"{tfn[:3]} {tfn[3:6]} {tfn[6:]}"]


def attack(template: bytes, last3: str, target: str, digest: Callable[[bytes], str]) -> list[str]:
    """Candidates whose record (template with the placeholder replaced) digests to `target`."""
    marker = PLACEHOLDER.encode()
    return [t for t in tfn_candidates(last3) for s in spellings(t) if digest(template.replace(marker, s.encode())) == target]


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture(scope="module")
def staged(tmp_path_factory):
    """A generated zone, one AU practice with XPM, HQ and Tax read and loaded into a DuckDB warehouse."""
    from synthetic import generate_zone

    out = tmp_path_factory.mktemp("zone")
    generate_zone(out, 8, seed=11)
    landing = out / "landing"
    registry = read_registry(landing)
    rows = registry.filter((pl.col("region") == "AU") & pl.col("uses_xpm") & pl.col("uses_tax")).to_dicts()
    assert rows, "the generated zone needs an AU practice with XPM and Xero Tax"
    key = HashKey(SECRET, "test")
    frames = read_practice(landing, rows[0], key)
    con = duckdb.connect(str(out / "scr.duckdb"))
    create_all(con)
    load_staging(con, frames, [rows[0]["practice_id"]])
    client = con.sql("select * from stg_client where tfn_last3 is not null order by all").pl()
    con.close()
    return landing / rows[0]["practice_id"], client


def _first(client: pl.DataFrame, source: str) -> dict:
    rows = client.filter(pl.col("source") == source)
    assert rows.height, f"no {source} record with a TFN"
    return rows.row(0, named=True)


def _tax_record(folder: Path, code: str) -> tuple[bytes, str]:
    """The record as the reader digests it (fields joined by 0x1f), TFN replaced by the placeholder; and the TFN."""
    with open(folder / "tax_clients.csv", newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    header, row = rows[0], next(r for r in rows[1:] if r and r[0].strip() == code)
    i = header.index("tfn")
    tfn, row[i] = row[i], PLACEHOLDER
    return "\x1f".join(row).encode(), tfn


def _hq_record(folder: Path, cid: str) -> tuple[bytes, str]:
    doc = json.loads((folder / "hq_clients.json").read_text(encoding="utf-8"))
    obj = next(c for c in doc["clients"] if c["id"] == cid)
    ident = next(i for i in obj["identifiers"] if i["type"] == "TFN")
    tfn, ident["value"] = ident["value"], PLACEHOLDER
    return json.dumps(obj, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode(), tfn


def _xpm_record(folder: Path, uuid: str) -> tuple[bytes, str]:
    tree = etree.parse(str(folder / "xpm_clients.xml"))
    el = next(c for c in tree.iter("Client") if c.findtext("UUID").strip() == uuid)
    number = el.find("TaxNumber")
    tfn, number.text = number.text, PLACEHOLDER
    return etree.tostring(el, with_tail=False), tfn


@pytest.mark.parametrize("source,record", [("tax", _tax_record), ("hq", _hq_record), ("xpm", _xpm_record)])
def test_the_lineage_hash_does_not_give_the_tfn_away(staged, source, record):
    folder, client = staged
    row = _first(client, source)
    # the attacker knows the whole record but its TFN: more than the warehouse tells
    template, tfn = record(folder, row["source_client_id"])
    digits = tfn.replace(" ", "")
    assert row["tfn_last3"] == digits[-3:] and len(digits) == 9
    # the control: against the unkeyed digest the readers used to store, the attack recovers the TFN
    unkeyed = sha256(template.replace(PLACEHOLDER.encode(), tfn.encode()))
    assert attack(template, row["tfn_last3"], unkeyed, sha256) == [digits]
    # against what the warehouse stores, nothing: not as a plain digest, not as a digest of that digest
    stored = row["raw_hash"]
    assert stored != unkeyed
    assert attack(template, row["tfn_last3"], stored, sha256) == []
    assert attack(template, row["tfn_last3"], stored, lambda b: sha256(f"record:{sha256(b)}".encode())) == []
    if source == "tax":
        # the key is all that stands between: with it, the same search succeeds
        keyed = lambda b: hmac.new(SECRET.encode(), f"record:{sha256(b)}".encode(), "sha256").hexdigest()  # noqa: E731
        assert attack(template, row["tfn_last3"], stored, keyed) == [digits]


def test_the_identifier_hash_does_not_give_the_tfn_away(staged):
    _, client = staged
    row = _first(client, "tax")
    stored = row["tfn_hash"]
    plain = {h for t in tfn_candidates(row["tfn_last3"]) for h in (sha256(t.encode()), sha256(f"TFN:{t}".encode()))}
    assert stored not in plain
    keyed = {hmac.new(SECRET.encode(), f"TFN:{t}".encode(), "sha256").hexdigest() for t in tfn_candidates(row["tfn_last3"])}
    assert stored in keyed  # only the key turns the search space into an answer
