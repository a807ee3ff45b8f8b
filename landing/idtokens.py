"""Record ids that hold a tax number: replaced, everywhere they are named, by a keyed token.

A source's ids are its keys (an XPM UUID, an HQ id, a Xero Tax `client_code`) and are stored as written, but a
practice may number its Tax clients by their TFN, and an id is free text from the source (QA, sessions 29 and 30:
a TFN used as a Tax client code or an HQ id was stored in clear in the crosswalk, lineage and exports). An id holding a
check-digit-valid TFN or IRD number, or in a UK practice a UTR (as free text finds one, landing.freetext), becomes `hashed-LAST3-HMAC16` in every
column that names a record (the client's own id, a relationship's other client, a Tax record's XPM UUID, a sync link's
ends), so joins between tables and files hold. A UUID is left as written: its digit groups are no tax number.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

import polars as pl

from landing.freetext import tax_number_runs
from landing.secrets import HashKey

__all__ = ["ID_COLUMNS", "tokenised"]

# the columns that name a record or a part of one: keys and references
ID_COLUMNS = ("source_client_id", "related_client_id", "xpm_client_uuid", "hq_client_id", "contact_id", "group_id",
              "relationship_id", "field_id", "organisation_id", "account_manager_id")  # fmt: skip
_NO_REGIONS: Mapping[str, str | None] = MappingProxyType({})
_UUID = r"^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$"


def tokenised(tables: dict[str, pl.DataFrame], key: HashKey, regions: Mapping[str, str | None] = _NO_REGIONS) -> dict[str, pl.DataFrame]:
    """`tables` with every id that holds a TFN or IRD number, or in a UK practice (`regions`: practice_id -> region) a
    UTR (session 33: one was stored in clear), replaced by its token in every ID_COLUMNS column."""
    present = [(name, col) for name, frame in tables.items() for col in ID_COLUMNS if frame.schema.get(col) == pl.String]
    if not present:
        return tables
    named = pl.concat([tables[name].select(pl.col(col).alias("v"), "practice_id") for name, col in present])
    named = named.filter(pl.col("v").is_not_null() & ~pl.col("v").str.contains(_UUID)).unique()
    values = named.get_column("v").unique()
    runs = tax_number_runs(values)  # distinct runs, checked once each
    uk = [p for p, r in regions.items() if r == "UK"]
    if uk:
        ours = named.filter(pl.col("practice_id").is_in(pl.Series(uk, dtype=pl.String))).get_column("v").unique()
        runs = sorted(set(runs) | set(tax_number_runs(ours, utr=True)))
    if not runs:
        return tables
    # an id is replaced when it holds one of them (longest first: its last three are the run's)
    found = pl.DataFrame({"v": values}).with_columns(run=pl.col("v").str.extract_many(sorted(runs, key=len, reverse=True), leftmost=True).list.first())
    found = found.filter(pl.col("run").is_not_null() & ~pl.col("v").str.contains(_UUID))
    hashes = key.hash_series("ID:" + found.get_column("v"))
    ends = found.get_column("run").str.replace_all(r"\D", "").str.slice(-3)
    tokens = dict(zip(found.get_column("v").to_list(), ("hashed-" + ends + "-" + hashes.str.slice(0, 16)).to_list(), strict=True))
    out = dict(tables)
    for name, col in present:
        out[name] = out[name].with_columns(pl.col(col).replace(tokens))
    return out
