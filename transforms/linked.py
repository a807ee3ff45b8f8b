"""Per-record features from the staged tables beside the client: identifiers, contacts, phones, emails, groups, Xero organisations.

standardise() numbers its records (`_row`); rows_of() finds each staged row's record once, and the
features are gathered per `_row`. Lists are sorted and hold each value once. Relationships become
record pairs (related_pairs).
"""

from __future__ import annotations

import polars as pl

from landing.schema import NEAR_CHARS

__all__ = ["ID_GROUPS", "ID_FIELDS", "NEAR_COLUMNS", "ROW", "rows_of", "identifier_features", "list_features", "related_pairs"]

KEY = ["practice_id", "source", "source_client_id"]
ROW = "_row"
# identifier kinds (identifier contract) compared as one field each; an unknown kind is "other_no"
ID_GROUPS: dict[str, tuple[str, ...]] = {
    "tax_no": ("TFN", "IRD", "UTR", "TAX"),
    "business_no": ("ABN", "NZBN", "BUSINESS", "EIN"),
    "company_no": ("ACN", "NZCN", "UKCRN", "CRN", "COMPANY", "ARBN"),
}
ID_FIELDS = [*ID_GROUPS, "other_no"]  # one compared field each
_PER_GROUP = (("key", ""), ("checked", "_checked"), ("ending", "_ending"), ("kind", "_kind"), ("near", "_near"))
ID_COLUMNS = [g + suffix for g in ID_FIELDS for _, suffix in _PER_GROUP] + ["abn9", "acn"]
NEAR_COLUMNS = [f"{g}_near" for g in ID_FIELDS]  # per field, the set a number meets a slip of itself by


def rows_of(table: pl.DataFrame, records: pl.DataFrame) -> pl.DataFrame:
    """`table` with the `_row` of its record (records: KEY + _row); rows of unknown records dropped, order kept."""
    return table.join(records.select(*KEY, ROW), on=KEY, how="inner", maintain_order="left")


def _group_of(kind: pl.Expr) -> pl.Expr:
    out = pl.lit("other_no")
    for group, kinds in ID_GROUPS.items():
        out = pl.when(kind.is_in(list(kinds))).then(pl.lit(group)).otherwise(out)
    return out


def identifier_features(identifier: pl.DataFrame) -> pl.DataFrame:
    """Per `_row` and identifier field: its keyed hash (or value), whether its check digits pass, its last three
    characters, its kind, the set it meets a slip of itself by (`_near`: its own hash and the reader's id_near,
    landing.identifiers.slip_messages), and the ACN an ABN embeds.

    A record with two numbers of one field keeps the one whose check digits pass (then the first);
    the number is compared by its keyed hash when there is one (every kind, per the identifier contract).
    """
    ids = identifier.select(
        ROW,
        group=_group_of(pl.col("id_type")),
        # by hash or value alone: kinds that name one register (HQ's CRN, XPM's CompanyNumber) must meet
        # even before the readers map them to one kind; the kind is kept beside it for the veto
        key=pl.coalesce("id_hash", "id_value"),
        kind=pl.col("id_type"),
        checked=pl.col("is_valid").fill_null(False),
        ending=pl.col("id_last3"),
        near=pl.concat_list(
            pl.col("id_hash").str.slice(0, NEAR_CHARS), pl.col("id_near").str.split(" ").fill_null(pl.lit([], dtype=pl.List(pl.String)))
        ).list.drop_nulls(),
        rank=pl.when(pl.col("is_valid")).then(0).when(pl.col("is_valid").is_null()).then(1).otherwise(2),
        abn9=pl.when(pl.col("id_type") == "ABN").then(pl.col("id_value").str.slice(2)),
        acn=pl.when(pl.col("id_type") == "ACN").then(pl.col("id_value")),
    ).drop_nulls("key").with_row_index("_order")
    # per record, its numbers best first: the first of a field is the one kept
    best = ids.sort([ROW, "rank", "_order"])
    fields = [
        pl.col(value).filter(pl.col("group") == g).first().alias(g + suffix) for g in ID_FIELDS for value, suffix in _PER_GROUP
    ]
    wide = best.group_by(ROW).agg(fields)
    # a company's ABN is 2 check digits + its ACN: the two agree across systems that hold one each (first as read)
    extra = ids.group_by(ROW).agg(abn9=pl.col("abn9").drop_nulls().first(), acn=pl.col("acn").drop_nulls().first())
    return wide.join(extra, on=ROW, how="left").select(ROW, *ID_COLUMNS)


def list_features(values: pl.DataFrame, lists: dict[str, pl.Expr]) -> pl.DataFrame:
    """Per `_row`, one sorted list of distinct `value`s per entry of `lists` (name -> which rows of `values` it takes)."""
    ordered = values.drop_nulls("value").sort(ROW, "value")
    v = pl.col("value")
    return ordered.group_by(ROW, maintain_order=True).agg(**{name: v.filter(rows).unique(maintain_order=True) for name, rows in lists.items()})


def related_pairs(std: pl.DataFrame, relationship: pl.DataFrame) -> pl.DataFrame:
    """(rid_l, rid_r) of records a source system itself says are two related clients (spouse, director, trustee...)."""
    ids = std.select("practice_id", "source", "source_client_id", "rid")
    rel = relationship.select("practice_id", "source", "source_client_id", "related_client_id").drop_nulls()
    pairs = rel.join(ids, on=KEY).join(
        ids.rename({"source_client_id": "related_client_id", "rid": "rid_o"}), on=["practice_id", "source", "related_client_id"]
    )
    pairs = pairs.filter(pl.col("rid") != pl.col("rid_o"))
    return pairs.select(rid_l=pl.min_horizontal("rid", "rid_o"), rid_r=pl.max_horizontal("rid", "rid_o")).unique().sort("rid_l", "rid_r")
