"""Per-record features from the staged tables beside the client: identifiers, contacts, groups, Xero organisations.

Each function takes one staged frame and returns one row per (practice_id, source, source_client_id)
that has any; standardise() joins them onto the clients. Relationships become record pairs (related_pairs).
"""

from __future__ import annotations

import polars as pl

__all__ = ["ID_GROUPS", "identifier_features", "contact_features", "group_features", "org_features", "related_pairs"]

KEY = ["practice_id", "source", "source_client_id"]
# identifier kinds (identifier contract) compared as one field each; an unknown kind is "other_no"
ID_GROUPS: dict[str, tuple[str, ...]] = {
    "tax_no": ("TFN", "IRD", "UTR", "TAX"),
    "business_no": ("ABN", "NZBN", "BUSINESS", "EIN"),
    "company_no": ("ACN", "NZCN", "UKCRN", "CRN", "COMPANY", "ARBN"),
}


def _group_of(kind: pl.Expr) -> pl.Expr:
    out = pl.lit("other_no")
    for group, kinds in ID_GROUPS.items():
        out = pl.when(kind.is_in(list(kinds))).then(pl.lit(group)).otherwise(out)
    return out


def identifier_features(identifier: pl.DataFrame) -> pl.DataFrame:
    """Per record and identifier field: its keyed hash (or value), whether its check digits pass, its last three
    characters and its kind, and the ACN an ABN embeds.

    A record with two numbers of one field keeps the one whose check digits pass (then the first);
    the number is compared by its keyed hash when there is one (every kind, per the identifier contract).
    """
    ids = identifier.select(
        *KEY,
        group=_group_of(pl.col("id_type")),
        # by hash or value alone: kinds that name one register (HQ's CRN, XPM's CompanyNumber) must meet
        # even before the readers map them to one kind; the kind is kept beside it for the veto
        key=pl.coalesce("id_hash", "id_value"),
        kind=pl.col("id_type"),
        checked=pl.col("is_valid").fill_null(False),
        ending=pl.col("id_last3"),
        rank=pl.when(pl.col("is_valid")).then(0).when(pl.col("is_valid").is_null()).then(1).otherwise(2),
        abn9=pl.when(pl.col("id_type") == "ABN").then(pl.col("id_value").str.slice(2)),
        acn=pl.when(pl.col("id_type") == "ACN").then(pl.col("id_value")),
    ).drop_nulls("key").with_row_index("_order")
    best = ids.sort("rank", "_order").unique([*KEY, "group"], keep="first")
    wide = best.pivot(on="group", index=KEY, values=["key", "checked", "ending", "kind"], aggregate_function="first")
    wide = wide.rename({c: _pivot_name(c) for c in wide.columns if c not in KEY})
    for g in (*ID_GROUPS, "other_no"):
        for col, dtype in ((g, pl.String), (f"{g}_checked", pl.Boolean), (f"{g}_ending", pl.String), (f"{g}_kind", pl.String)):
            if col not in wide.columns:
                wide = wide.with_columns(pl.lit(None, dtype).alias(col))
    # a company's ABN is 2 check digits + its ACN: the two agree across systems that hold one each
    extra = ids.group_by(KEY).agg(abn9=pl.col("abn9").drop_nulls().first(), acn=pl.col("acn").drop_nulls().first())
    return wide.join(extra, on=KEY, how="left").select(
        *KEY, *[c for g in (*ID_GROUPS, "other_no") for c in (g, f"{g}_checked", f"{g}_ending", f"{g}_kind")], "abn9", "acn"
    )


def _pivot_name(col: str) -> str:
    # pivot names columns "key_tax_no" / "checked_tax_no" / "ending_tax_no" / "kind_tax_no" (several value columns)
    kind, _, group = col.partition("_")
    return group if kind == "key" else f"{group}_{kind}"


def contact_features(contact: pl.DataFrame, email, phone) -> pl.DataFrame:
    """Per record: its contacts' emails, phones (E.164) and names; `email`/`phone` are the normalisers to use."""
    c = contact.select(*KEY, "name", "email", "phone", "mobile")
    phones = pl.concat([c.select(*KEY, raw="phone"), c.select(*KEY, raw="mobile")]).drop_nulls("raw")
    phones = phones.with_columns(e164=phone(phones))
    names = c.select(*KEY, n=pl.col("name").str.to_lowercase().str.replace_all(r"[^\p{L}\s]", "").str.replace_all(r"\s+", " ").str.strip_chars())
    out = c.select(*KEY, e=email(pl.col("email"))).group_by(KEY).agg(contact_emails=pl.col("e").drop_nulls().unique().sort())
    out = out.join(phones.group_by(KEY).agg(contact_phones=pl.col("e164").drop_nulls().unique().sort()), on=KEY, how="full", coalesce=True)
    out = out.join(
        names.filter(pl.col("n").str.len_chars() > 0).group_by(KEY).agg(contact_names=pl.col("n").unique().sort()),
        on=KEY, how="full", coalesce=True,
    )  # fmt: skip
    return out


def group_features(group_member: pl.DataFrame) -> pl.DataFrame:
    """Per record: the names of its client groups (ids differ between systems, names do not)."""
    g = group_member.select(*KEY, n=pl.col("group_name").str.to_lowercase().str.replace_all(r"\s+", " ").str.strip_chars())
    return g.drop_nulls("n").group_by(KEY).agg(groups=pl.col("n").unique().sort())


def org_features(org_link: pl.DataFrame) -> pl.DataFrame:
    """Per record: the Xero organisations it is connected to."""
    o = org_link.select(*KEY, "organisation_id").drop_nulls("organisation_id")
    return o.group_by(KEY).agg(orgs=pl.col("organisation_id").unique().sort())


def related_pairs(std: pl.DataFrame, relationship: pl.DataFrame) -> pl.DataFrame:
    """(rid_l, rid_r) of records a source system itself says are two related clients (spouse, director, trustee...)."""
    ids = std.select("practice_id", "source", "source_client_id", "rid")
    rel = relationship.select("practice_id", "source", "source_client_id", "related_client_id").drop_nulls()
    pairs = rel.join(ids, on=KEY).join(
        ids.rename({"source_client_id": "related_client_id", "rid": "rid_o"}), on=["practice_id", "source", "related_client_id"]
    )
    pairs = pairs.filter(pl.col("rid") != pl.col("rid_o"))
    return pairs.select(rid_l=pl.min_horizontal("rid", "rid_o"), rid_r=pl.max_horizontal("rid", "rid_o")).unique().sort("rid_l", "rid_r")
