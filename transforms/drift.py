"""Which legacy-sync-linked pairs drifted apart after their last sync, field by field."""

from __future__ import annotations

import polars as pl

from landing.schema import S, TS

__all__ = ["DRIFT", "SYNCED_FIELDS", "drift", "link_sides", "normalise"]

# Output shape of one drifted field of one linked pair (table sync_drift).
DRIFT = pl.Schema(
    {
        "practice_id": S,
        "xpm_client_uuid": S,
        "hq_client_id": S,
        "field": S,
        "xpm_value": S,
        "hq_value": S,
        "edited_side": S,  # hq (HQ updated after the last sync), xpm (HQ not updated since), unknown
        "hq_updated_at": TS,
        "last_synced_at": TS,
        "state": S,  # the link's state in sync_links.csv: active / paused
    }
)

# field -> kind of normalisation. These are the fields the legacy sync kept in step.
SYNCED_FIELDS: dict[str, str] = {
    "name": "name",
    "first_name": "text",
    "last_name": "text",
    "date_of_birth": "text",
    "business_structure": "text",
    "email": "email",
    "phone": "phone",
    "address": "address",  # street lines 1 and 2 together: XPM has one Address element
    "city": "text",
    "region": "region",
    "postcode": "postcode",
    "country": "country",
    "abn": "digits",
    "tfn": "secret",  # compared by keyed hash only, shown as its last three digits
    "ird": "secret",
}

_COUNTRY = {
    "australia": "au", "aus": "au", "new zealand": "nz", "nzl": "nz", "aotearoa": "nz",
    "united kingdom": "gb", "uk": "gb", "great britain": "gb", "england": "gb",
    "united states": "us", "united states of america": "us", "usa": "us",
}  # fmt: skip
_REGION = {
    "new south wales": "nsw", "victoria": "vic", "queensland": "qld", "western australia": "wa",
    "south australia": "sa", "tasmania": "tas", "australian capital territory": "act",
    "northern territory": "nt",
}  # fmt: skip

# the same company suffix or street type written two ways is not an edit
_NAME_WORDS = {
    r"\bproprietary\b": "pty", r"\bprop\b": "pty", r"\blimited\b": "ltd", r"\bp/l\b": "pty ltd",
    r"\bincorporated\b": "inc", r"\bcompany\b": "co", r"\bcorporation\b": "corp", r"&": " and ",
}
_STREET_WORDS = {
    r"\bstreet\b": "st", r"\broad\b": "rd", r"\bavenue\b": "ave", r"\bav\b": "ave", r"\bdrive\b": "dr",
    r"\bcourt\b": "ct", r"\bplace\b": "pl", r"\blane\b": "ln", r"\bparade\b": "pde", r"\bcrescent\b": "cres",
    r"\bhighway\b": "hwy", r"\bterrace\b": "tce", r"\bboulevard\b": "blvd", r"\bclose\b": "cl",
    r"\bcircuit\b": "cct", r"\bsquare\b": "sq",
}  # fmt: skip


def _words(e: pl.Expr, table: dict[str, str]) -> pl.Expr:
    for pattern, short in table.items():  # a dozen patterns, each vectorised over the column
        e = e.str.replace_all(pattern, short)
    return _text(e)


def _text(e: pl.Expr) -> pl.Expr:
    out = e.cast(pl.String).str.to_lowercase().str.replace_all(r"\s+", " ").str.strip_chars()
    return pl.when(out.str.len_chars() > 0).then(out).otherwise(None)


def normalise(e: pl.Expr, kind: str) -> pl.Expr:
    """Comparable form of a synced field: case, whitespace and formatting differences vanish."""
    if kind == "phone":
        # "+61 2 ..." and "02 ..." are the same number; other prefixes compare as digits
        raw = e.cast(pl.String).str.strip_chars().str.replace(r"^\+(61|64|44)\s*\(?0?\)?", "0")
        out = raw.str.replace_all(r"\D", "")
        return pl.when(out.str.len_chars() > 0).then(out).otherwise(None)
    if kind in ("digits",):
        out = e.cast(pl.String).str.replace_all(r"\D", "")
        return pl.when(out.str.len_chars() > 0).then(out).otherwise(None)
    if kind == "address":
        return _words(_text(e.cast(pl.String).str.replace_all(r"[,.]", " ")), _STREET_WORDS)
    if kind == "name":
        return _words(_text(e.cast(pl.String).str.replace_all(r"[,.()]", " ")), _NAME_WORDS)
    if kind == "postcode":
        return _text(e).str.replace_all(" ", "")
    if kind == "country":
        return _text(e).replace(_COUNTRY)
    if kind == "region":
        return _text(e).replace(_REGION)
    return _text(e)


def _side(clients: pl.DataFrame, source: str) -> pl.DataFrame:
    """One side's synced fields, keyed by practice and its own id."""
    c = clients.filter(pl.col("source") == source)
    street = pl.concat_str(
        [pl.col("address_line1"), pl.col("address_line2")], separator=", ", ignore_nulls=True
    )
    return c.select(
        "practice_id",
        pl.col("source_client_id").alias("id"),
        "name", "first_name", "last_name",
        pl.col("date_of_birth").cast(pl.String),
        "business_structure", "email", "phone",
        pl.when(street.str.len_chars() > 0).then(street).alias("address"),
        "city", "region", "postcode", "country", "abn",
        "tfn_hash", "tfn_last3", "ird_hash", "ird_last3",
        "updated_at", "archived", pl.lit(True).alias("found"),
    ).unique(["practice_id", "id"], keep="first", maintain_order=True)  # fmt: skip


def _paired(clients: pl.DataFrame, links: pl.DataFrame) -> pl.DataFrame:
    """Each link with both of its sides' fields (suffix _x for XPM, _h for HQ); missing sides stay null."""
    xpm = _side(clients, "xpm")
    hq = _side(clients, "hq")
    keys = ["practice_id", "xpm_client_uuid", "hq_client_id", "last_synced_at", "state"]
    # a link listed twice is one link (its first line), or its drift would count twice
    link_key = ["practice_id", "xpm_client_uuid", "hq_client_id"]
    links = links.sort([*link_key, "record_no"], nulls_last=True).unique(link_key, keep="first", maintain_order=True)
    return (
        links.select(keys)
        .join(xpm, left_on=["practice_id", "xpm_client_uuid"], right_on=["practice_id", "id"], how="left",
              maintain_order="left")
        .rename({c: f"{c}_x" for c in xpm.columns if c not in ("practice_id", "id")})
        .join(hq, left_on=["practice_id", "hq_client_id"], right_on=["practice_id", "id"], how="left",
              maintain_order="left")
        .rename({c: f"{c}_h" for c in hq.columns if c not in ("practice_id", "id")})
    )  # fmt: skip


def link_sides(clients: pl.DataFrame, links: pl.DataFrame) -> pl.DataFrame:
    """Per link: whether each side exists in the landing files and whether it is archived."""
    p = _paired(clients, links)
    return p.select(
        "practice_id",
        "xpm_client_uuid",
        "hq_client_id",
        pl.col("found_x").fill_null(False).alias("xpm_found"),
        pl.col("found_h").fill_null(False).alias("hq_found"),
        pl.col("archived_x").fill_null(False).alias("xpm_archived"),
        pl.col("archived_h").fill_null(False).alias("hq_archived"),
    )


def drift(clients: pl.DataFrame, links: pl.DataFrame) -> pl.DataFrame:
    """Drifted fields of linked pairs (CLIENT and SYNC_LINK shapes in, DRIFT out, sorted).

    Only pairs with both sides present are compared; practice_id is part of every join.
    """
    p = _paired(clients, links).filter(pl.col("found_x").is_not_null() & pl.col("found_h").is_not_null())
    edited = (
        pl.when(pl.col("updated_at_h").is_null() | pl.col("last_synced_at").is_null())
        .then(pl.lit("unknown"))
        .when(pl.col("updated_at_h") > pl.col("last_synced_at"))
        .then(pl.lit("hq"))
        .otherwise(pl.lit("xpm"))
    )
    keys = [
        pl.col("practice_id"),
        pl.col("xpm_client_uuid"),
        pl.col("hq_client_id"),
    ]
    parts = []
    for field, kind in SYNCED_FIELDS.items():  # a loop over ~15 fields, each vectorised over all pairs
        if kind == "secret":
            nx, nh = pl.col(f"{field}_hash_x"), pl.col(f"{field}_hash_h")
            shown_x = pl.when(nx.is_not_null()).then(pl.concat_str([pl.lit("***"), pl.col(f"{field}_last3_x")]))
            shown_h = pl.when(nh.is_not_null()).then(pl.concat_str([pl.lit("***"), pl.col(f"{field}_last3_h")]))
        else:
            nx, nh = normalise(pl.col(f"{field}_x"), kind), normalise(pl.col(f"{field}_h"), kind)
            shown_x, shown_h = pl.col(f"{field}_x").cast(pl.String), pl.col(f"{field}_h").cast(pl.String)
        parts.append(
            p.filter(nx.ne_missing(nh)).select(
                *keys,
                pl.lit(field).alias("field"),
                shown_x.alias("xpm_value"),
                shown_h.alias("hq_value"),
                edited.alias("edited_side"),
                pl.col("updated_at_h").alias("hq_updated_at"),
                pl.col("last_synced_at"),
                pl.col("state"),
            )
        )
    out = pl.concat(parts, how="vertical") if parts else pl.DataFrame(schema=DRIFT)
    out = out.cast(DRIFT)  # type: ignore[arg-type]
    return out.select(DRIFT.names()).sort(["practice_id", "xpm_client_uuid", "hq_client_id", "field"])
