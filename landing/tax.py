"""tax_clients.csv (Xero Tax export) to staging frames; record_no is the line the record starts on."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from landing import schema
from landing.csvfile import check_records, labelled_frame
from landing.frames import Frames
from landing.idents import LONG, Parsed, finish
from landing.secrets import HashKey
from landing.values import LABEL, frame_of

FILE = "tax_clients.csv"

COLUMNS = [
    "client_code", "client_name", "entity_type", "first_name", "last_name", "date_of_birth",
    "tfn", "ird_number", "abn", "email", "phone", "postal_line1", "postal_suburb", "postal_state",
    "postal_postcode", "xpm_client_uuid", "organisation_id", "archived",
]  # fmt: skip
REQUIRED = ["client_code", "client_name"]
# CSV column -> CLIENT column (the tax numbers go through identifiers, never into a client column raw)
CLIENT_COLUMNS = {
    "client_code": "source_client_id", "client_name": "name", "entity_type": "business_structure",
    "first_name": "first_name", "last_name": "last_name", "date_of_birth": "date_of_birth",
    "email": "email", "phone": "phone", "postal_line1": "postal_line1", "postal_suburb": "postal_city",
    "postal_state": "postal_region", "postal_postcode": "postal_postcode",
    "xpm_client_uuid": "xpm_client_uuid", "archived": "archived",
}  # fmt: skip
ID_COLUMNS = {"tfn": "tfn", "ird_number": "ird_number", "abn": "abn"}  # column -> label (kinds: landing.identifiers)


def parse_tax(path: Path, practice_id: str) -> Parsed:
    """tax_clients.csv parsed and typed; BadInput names the line and client_code; identifiers left raw."""
    raw = labelled_frame(path, FILE, COLUMNS, REQUIRED, "client_code")
    code = pl.col("client_code").str.strip_chars()
    check_records(raw, FILE, ["client_code"], REQUIRED)
    raw = raw.with_columns(client_code=code)
    client_cols = {dst: raw.get_column(src).to_list() for src, dst in CLIENT_COLUMNS.items()}
    client_cols |= {c: raw.get_column(c).to_list() for c in ("record_no", "raw_hash", LABEL)}
    client = frame_of(client_cols, practice_id, "tax", schema.CLIENT, FILE, {v: k for k, v in CLIENT_COLUMNS.items()})
    long = pl.concat(
        [raw.select(source=pl.lit("tax"), source_client_id="client_code", id_type=pl.lit(kind), value=src,
                    _k=pl.lit(k), _i="record_no")
         for k, (src, kind) in enumerate(ID_COLUMNS.items())]  # fmt: skip
    ).sort("_i", "_k").drop("_i", "_k")
    org = raw.select(source_client_id="client_code", organisation_id="organisation_id").with_columns(
        practice_id=pl.lit(practice_id), source=pl.lit("tax"), organisation_name=pl.lit(None, dtype=pl.String)
    )
    org = org.filter(pl.col("organisation_id").str.strip_chars().str.len_chars() > 0)
    org = org.with_columns(pl.col("organisation_id").str.strip_chars()).select(schema.ORG_LINK.names())
    frames = Frames.empty().with_(client=client.with_columns(source_file=pl.lit(FILE)), org_link=org.cast(schema.ORG_LINK))
    return Parsed(frames, long.cast(LONG))


def read_tax(path: Path, practice_id: str, region: str | None, key: HashKey) -> Frames:
    """One practice's tax_clients.csv as staging frames."""
    return finish([parse_tax(path, practice_id)], practice_id, region, key)
