"""Staged frames for matcher tests, built from CLIENT-shaped rows as the readers would stage them.

Identifiers follow the identifier contract: each number in the client's wide columns is also an
identifier row, compared by its keyed hash (here a stand-in: stand_in_hash), public kinds in clear, check
digits from python-stdnum.
"""

from __future__ import annotations

import hashlib

import polars as pl
from stdnum import ean
from stdnum.au import abn, acn

from landing.frames import Frames
from landing.schema import CLIENT, CONTACT, IDENTIFIER, ORG_LINK, PRACTICE, RELATIONSHIP, SYNC_LINK

_CHECKS = {"ABN": abn.is_valid, "ACN": acn.is_valid, "NZBN": lambda v: len(v) == 13 and v.startswith("94") and ean.is_valid(v)}


def stand_in_hash(kind: str, value: str) -> str:
    """What a keyed hash stands in for in these tests: distinct numbers differ in the first characters too, as
    HMACs do (the matcher compares a hash's first landing.schema.NEAR_CHARS characters with id_near)."""
    return hashlib.sha256(f"{kind}:{value}".encode()).hexdigest()


def clients(rows: list[dict], practice: str = "p1") -> pl.DataFrame:
    """CLIENT frame; unset columns null, practice_id defaulted."""
    return pl.DataFrame([{**{k: None for k in CLIENT}, "practice_id": practice, **r} for r in rows], schema=CLIENT)


def practices(ids=("p1",), region: str = "AU") -> pl.DataFrame:
    return pl.DataFrame([{**{k: None for k in PRACTICE}, "practice_id": i, "region": region} for i in ids], schema=PRACTICE)


def identifiers(client: pl.DataFrame) -> pl.DataFrame:
    """IDENTIFIER rows for the client frame's wide identifier columns."""
    rows = []
    for r in client.iter_rows(named=True):
        key = {k: r[k] for k in ("practice_id", "source", "source_client_id")}
        for kind, col in (("ABN", "abn"), ("ACN", "acn"), ("NZBN", "nzbn")):
            if r[col]:
                v = "".join(ch for ch in r[col] if ch.isdigit())
                rows.append({**key, "id_type": kind, "id_value": v, "id_hash": stand_in_hash(kind, v), "id_last3": v[-3:],
                             "is_valid": _CHECKS[kind](v)})  # fmt: skip
        for kind, col in (("TFN", "tfn"), ("IRD", "ird")):
            if r[f"{col}_hash"]:
                rows.append({**key, "id_type": kind, "id_value": None, "id_hash": r[f"{col}_hash"], "id_last3": r[f"{col}_last3"],
                             "is_valid": r[f"{col}_valid"]})  # fmt: skip
    return pl.DataFrame(rows, schema=IDENTIFIER) if rows else pl.DataFrame(schema=IDENTIFIER)


def frames_of(
    client: pl.DataFrame,
    org_link: pl.DataFrame | None = None,
    sync_link: pl.DataFrame | None = None,
    relationship: list[dict] | None = None,
    contact: list[dict] | None = None,
) -> Frames:
    """Frames for `client` with its identifier rows; other tables as given (rows default practice p1)."""
    def table(rows, schema):
        return pl.DataFrame([{**{k: None for k in schema}, "practice_id": "p1", **r} for r in rows], schema=schema)

    return Frames.empty().with_(
        client=client,
        identifier=identifiers(client),
        org_link=org_link if org_link is not None else pl.DataFrame(schema=ORG_LINK),
        sync_link=sync_link if sync_link is not None else pl.DataFrame(schema=SYNC_LINK),
        relationship=table(relationship or [], RELATIONSHIP),
        contact=table(contact or [], CONTACT),
    )
