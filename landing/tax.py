"""tax_clients.csv (Xero Tax export) to staging frames; record_no is the line the record starts on; typed per batch."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from landing import schema
from landing.batch import Reader, parse_file, read_file
from landing.csvfile import check_records, labelled, tables, warn_ignored
from landing.errors import BadInput, Failures
from landing.frames import Frames
from landing.idents import LONG, Parsed
from landing.secrets import HashKey
from landing.values import LABEL, PRACTICE, RECORD_NO, typed as typed_frame

FILE = "tax_clients.csv"
RANK = 3  # read after xpm_clients.xml

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


_FIELDS = {v: k for k, v in CLIENT_COLUMNS.items()}
# never quoted in the message: the value is what is left of a tax number (found by QA, session 29)
_SCIENTIFIC = r"^\s*[0-9](?:[.,][0-9]+)?[eE]\+?[0-9]+\s*$"


def parse(path: Path, practice_id: str) -> dict[str, dict[str, list]]:
    """tax_clients.csv as raw column lists (header, quoting, UTF-8 and ragged rows checked)."""
    return tables(path, FILE, COLUMNS, REQUIRED)


def typed(raw: dict[str, pl.DataFrame], failures: Failures) -> dict[str, pl.DataFrame]:
    """A batch's tax records checked and typed: client, org_link and raw identifiers ("ids")."""
    warn_ignored(raw, FILE)
    table = labelled(raw["table"], "client_code")
    check_records(table, FILE, ["client_code"], REQUIRED, failures, (RANK,))
    table = table.with_columns(client_code=pl.col("client_code").str.strip_chars())
    client, errors = typed_frame(
        table.select(PRACTICE, "practice_id", *[pl.col(src).alias(dst) for src, dst in CLIENT_COLUMNS.items()],
                     RECORD_NO, "raw_hash", LABEL, source=pl.lit("tax", dtype=pl.String)),
        schema.CLIENT, FILE, _FIELDS,
    )  # fmt: skip
    failures.update((RANK, 3), errors)
    for k, col in enumerate(ID_COLUMNS):  # a spreadsheet's round trip: 50183510000 saved as 5.01835E+10, its digits lost
        hits = table.filter(pl.col(col).str.contains(_SCIENTIFIC).fill_null(False)).group_by(PRACTICE, maintain_order=True).first()
        failures.update((RANK, 4, k), {p: BadInput(FILE, label, f"{col}: a number in scientific notation (as a spreadsheet "
                                                   "rewrites a long number): its digits are lost; export the file again "
                                                   "with the column formatted as text")  # fmt: skip
                                       for p, label in hits.select(PRACTICE, LABEL).iter_rows()})
    ids = pl.concat(
        [table.select(PRACTICE, "practice_id", source=pl.lit("tax"), source_client_id="client_code", id_type=pl.lit(kind),
                      value=src, _k=pl.lit(k), _i=RECORD_NO)
         for k, (src, kind) in enumerate(ID_COLUMNS.items())]  # fmt: skip
    ).sort(PRACTICE, "_i", "_k").drop("_i", "_k")
    org = table.filter(pl.col("organisation_id").str.strip_chars().str.len_chars() > 0).select(
        PRACTICE, "practice_id", source=pl.lit("tax", dtype=pl.String), source_client_id="client_code",
        organisation_id=pl.col("organisation_id").str.strip_chars(), organisation_name=pl.lit(None, dtype=pl.String),
    )  # fmt: skip
    return {"client": client.with_columns(source_file=pl.lit(FILE)), "org_link": org,
            "ids": ids.cast({c: t for c, t in LONG.items()})}  # fmt: skip


READER = Reader(FILE, RANK, parse, typed)


def parse_tax(path: Path, practice_id: str) -> Parsed:
    """tax_clients.csv parsed and typed; BadInput names the line and client_code; identifiers left raw."""
    return parse_file(READER, path, practice_id)


def read_tax(path: Path, practice_id: str, region: str | None, key: HashKey) -> Frames:
    """One practice's tax_clients.csv as staging frames."""
    return read_file(READER, path, practice_id, region, key)
