"""Record ids that hold a tax number: replaced, everywhere they are named, by a keyed token.

A source's ids are its keys (an XPM UUID, an HQ id, a Xero Tax `client_code`) and are stored as written, but a
practice may number its Tax clients by their TFN, and an id is free text from the source (QA, sessions 29 and 30:
a TFN used as a Tax client code or an HQ id was stored in clear in the crosswalk, lineage and exports). An id holding a
check-digit-valid TFN or IRD number (as free text finds one, landing.freetext) becomes `hashed-LAST3-HMAC16` in every
column that names a record (the client's own id, a relationship's other client, a Tax record's XPM UUID, a sync link's
ends), so joins between tables and files hold. A UUID is left as written: its digit groups are no tax number.
"""

from __future__ import annotations

import re

import polars as pl

from landing.freetext import tax_number_runs
from landing.secrets import HashKey

__all__ = ["ID_COLUMNS", "tokenised"]

# the columns that name a record or a part of one: keys and references
ID_COLUMNS = ("source_client_id", "related_client_id", "xpm_client_uuid", "hq_client_id", "contact_id", "group_id",
              "relationship_id", "field_id", "organisation_id", "account_manager_id")  # fmt: skip
_UUID = r"^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$"
_EIGHT_DIGITS = r"(?:\d\D{0,3}){7}\d"  # a cheap pre-filter: eight digits, at most three other characters apart


def tokenised(tables: dict[str, pl.DataFrame], key: HashKey) -> dict[str, pl.DataFrame]:
    """`tables` with every id that holds a TFN or IRD number replaced by its token in every ID_COLUMNS column."""
    present = [(name, col) for name, frame in tables.items() for col in ID_COLUMNS if frame.schema.get(col) == pl.String]
    if not present:
        return tables
    values = pl.concat([tables[name].get_column(col).rename("v") for name, col in present]).drop_nulls().unique()
    suspects = values.filter(values.str.contains(_EIGHT_DIGITS) & ~values.str.contains(_UUID))
    if suspects.is_empty():
        return tables
    holding = [v for v in suspects.to_list() if tax_number_runs(pl.Series([v]))]  # few: ids rarely hold eight digits
    if not holding:
        return tables
    hashes = key.hash_series(pl.Series([f"ID:{v}" for v in holding]))
    last3 = [re.sub(r"\D", "", tax_number_runs(pl.Series([v]))[0])[-3:] for v in holding]
    tokens = {v: f"hashed-{end}-{h[:16]}" for v, end, h in zip(holding, last3, hashes.to_list(), strict=True)}
    out = dict(tables)
    for name, col in present:
        out[name] = out[name].with_columns(pl.col(col).replace(tokens))
    return out
