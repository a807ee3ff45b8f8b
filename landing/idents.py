"""Identifier rows of one practice: canonical kind and value, a keyed hash for every kind, clear values only
for public-register kinds (landing.identifiers.PUBLIC_KINDS); the client frame's wide identifier columns."""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from landing import schema
from landing.freetext import protect_free_text
from landing.frames import Frames
from landing.identifiers import PUBLIC_KINDS, canonical, is_valid, kinds
from landing.secrets import HashKey
from landing.values import clean

# identifier kind -> wide client column family; a company number of any region goes to `acn`
WIDE = {"ABN": "abn", "ACN": "acn", "NZCN": "acn", "UKCRN": "acn", "CRN": "acn", "NZBN": "nzbn", "TFN": "tfn", "IRD": "ird"}
KEY = ["source", "source_client_id"]  # within one practice
WIDE_COLUMNS = ["abn", "acn", "nzbn", "tfn_hash", "tfn_last3", "tfn_valid", "ird_hash", "ird_last3", "ird_valid"]
# a source's identifier as read: id_type is the source's own label (XPM tag, HQ type, Tax column)
LONG = pl.Schema({"source": pl.String, "source_client_id": pl.String, "id_type": pl.String, "value": pl.String})


@dataclass
class Parsed:
    """One file read but not finished: identifiers raw in `ids` (LONG), raw_hash still an unkeyed digest."""

    frames: Frames
    ids: pl.DataFrame


def long_ids(columns: dict[str, list], source: str) -> pl.DataFrame:
    """Raw identifier column lists (source_client_id, id_type, value) of one file as a LONG frame."""
    df = pl.DataFrame(columns, schema={c: pl.String for c in ("source_client_id", "id_type", "value")})
    return df.select(pl.lit(source, dtype=pl.String).alias("source"), pl.all())


def finish(parts: list[Parsed], practice_id: str, region: str | None, key: HashKey) -> Frames:
    """The files of one practice, secrets hashed: identifiers, lineage digests, secret-bearing free text."""
    frames = Frames.concat([p.frames for p in parts])
    long = pl.concat([p.ids.cast(LONG) for p in parts]) if parts else pl.DataFrame(schema=LONG)
    ident = identifiers(long, practice_id, region, key)
    client = with_identifiers(frames.client, ident)
    # the readers' digest of a raw record covers its tax numbers: only its HMAC is kept
    digests = client.select(pl.concat_str(pl.lit("record:"), "raw_hash")).to_series()
    client = client.with_columns(raw_hash=key.hash_series(digests))
    return protect_free_text(frames.with_(client=client, identifier=ident), key)


def _verdicts(df: pl.DataFrame) -> pl.DataFrame:
    """Check-digit verdict per distinct (id_type, canonical value); stdnum runs once per distinct value."""
    pairs = df.select("id_type", "_canon").unique().drop_nulls().sort("id_type", "_canon")
    parts = [
        part.with_columns(is_valid=is_valid(part.get_column("_canon"), str(kind[0])))
        for kind, part in pairs.group_by("id_type", maintain_order=True)
    ]
    if not parts:
        return pairs.with_columns(is_valid=pl.lit(None, dtype=pl.Boolean))
    return pl.concat(parts)


def identifiers(long: pl.DataFrame, practice_id: str, region: str | None, key: HashKey) -> pl.DataFrame:
    """`long` (LONG, file order) -> IDENTIFIER frame in the same order; values in clear only for public kinds."""
    df = long.select(
        pl.col("source"),
        pl.col("source_client_id"),
        clean(pl.col("id_type")).alias("_label"),
        clean(pl.col("value")).alias("value"),
    ).filter(pl.col("_label").is_not_null() & pl.col("value").is_not_null())
    df = df.with_columns(id_type=kinds(df.get_column("_label"), region))
    # an id with nothing left after canonicalisation (e.g. a TFN "n/a") carries nothing to match on
    df = df.with_columns(_canon=canonical(pl.col("id_type"), pl.col("value"))).filter(pl.col("_canon").is_not_null())
    df = df.join(_verdicts(df), on=["id_type", "_canon"], how="left", maintain_order="left", nulls_equal=False)
    message = df.select(pl.concat_str("id_type", pl.lit(":"), "_canon")).to_series()
    df = df.with_columns(
        id_value=pl.when(pl.col("id_type").is_in(sorted(PUBLIC_KINDS))).then(pl.col("_canon")),
        id_hash=key.hash_series(message),
        id_last3=pl.col("_canon").str.slice(-3),
    )
    return df.select(
        pl.lit(practice_id, dtype=pl.String).alias("practice_id"),
        *[pl.col(c) for c in list(schema.IDENTIFIER.names())[1:]],
    ).cast(schema.IDENTIFIER)


def wide(ident: pl.DataFrame) -> pl.DataFrame:
    """First identifier of each kind per client, as the client frame's identifier columns."""
    first = (
        ident.with_columns(kind=pl.col("id_type").replace_strict(WIDE, default=None))
        .filter(pl.col("kind").is_not_null())
        .unique(subset=[*KEY, "kind"], keep="first", maintain_order=True)
    )
    out = first.select(KEY).unique(maintain_order=True)

    def pick(kind: str, **cols: str) -> pl.DataFrame:
        part = first.filter(pl.col("kind") == kind)
        return part.select(*KEY, *[pl.col(src).alias(dst) for dst, src in cols.items()])

    for part in (
        pick("abn", abn="id_value"),
        pick("acn", acn="id_value"),
        pick("nzbn", nzbn="id_value"),
        pick("tfn", tfn_hash="id_hash", tfn_last3="id_last3", tfn_valid="is_valid"),
        pick("ird", ird_hash="id_hash", ird_last3="id_last3", ird_valid="is_valid"),
    ):
        out = out.join(part, on=KEY, how="left", maintain_order="left")
    return out.select(*KEY, *WIDE_COLUMNS).cast({c: schema.CLIENT[c] for c in WIDE_COLUMNS})


def with_identifiers(client: pl.DataFrame, ident: pl.DataFrame) -> pl.DataFrame:
    """The client frame with its identifier columns filled from `ident`, in CLIENT shape and order."""
    joined = client.drop(WIDE_COLUMNS).join(wide(ident), on=KEY, how="left", maintain_order="left")
    return joined.select(schema.CLIENT.names())
