"""Identifier rows of one file: tax numbers hashed (never kept raw), business numbers as digits, first of each kind."""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from landing.identifiers import PUBLIC_KINDS, digits, is_valid
from landing import schema
from landing.frames import Frames
from landing.values import clean
from landing.secrets import keyed_hash, last3

HASHED = ["TFN", "IRD", "TAX"]  # TAX: an XPM TaxNumber outside AU/NZ, hashed the same way
DIGITS_ONLY = ["ABN", "ACN", "NZBN", "COMPANY"]
# identifier kind -> wide client column family; ACN and NZ company numbers share `acn`
WIDE = {"ABN": "abn", "ACN": "acn", "COMPANY": "acn", "NZBN": "nzbn", "TFN": "tfn", "IRD": "ird"}
KEY = ["source", "source_client_id"]  # within one practice
WIDE_COLUMNS = ["abn", "acn", "nzbn", "tfn_hash", "tfn_last3", "tfn_valid", "ird_hash", "ird_last3", "ird_valid"]


def _verdicts(df: pl.DataFrame) -> pl.DataFrame:
    """Check-digit verdict per distinct (id_type, checked value); stdnum runs once per distinct value."""
    pairs = df.select("id_type", "_check").unique().drop_nulls().sort("id_type", "_check")
    parts = [
        part.with_columns(is_valid=is_valid(part.get_column("_check"), str(kind[0])))
        for kind, part in pairs.group_by("id_type", maintain_order=True)
    ]
    if not parts:
        return pairs.with_columns(is_valid=pl.lit(None, dtype=pl.Boolean))
    return pl.concat(parts)


LONG = pl.Schema({"source": pl.String, "source_client_id": pl.String, "id_type": pl.String, "value": pl.String})


@dataclass
class Parsed:
    """One file read but not finished: identifier columns still empty, its identifiers raw in `ids` (LONG shape)."""

    frames: Frames
    ids: pl.DataFrame


def long_ids(columns: dict[str, list], source: str) -> pl.DataFrame:
    """Raw identifier column lists (source_client_id, id_type, value) of one file as a LONG frame."""
    df = pl.DataFrame(columns, schema={c: pl.String for c in ("source_client_id", "id_type", "value")})
    return df.select(pl.lit(source, dtype=pl.String).alias("source"), pl.all())


def finish(parts: list[Parsed], practice_id: str, hash_key: str) -> Frames:
    """The files of one practice with identifiers hashed in one go (keyed_hash costs a DuckDB connection per call)."""
    frames = Frames.concat([p.frames for p in parts])
    long = pl.concat([p.ids.cast(LONG) for p in parts]) if parts else pl.DataFrame(schema=LONG)
    ident = identifiers(long, practice_id, hash_key)
    return frames.with_(client=with_identifiers(frames.client, ident), identifier=ident)


def identifiers(long: pl.DataFrame, practice_id: str, hash_key: str) -> pl.DataFrame:
    """`long` (LONG: raw strings in file order) -> IDENTIFIER frame, same order; tax numbers only as hashes."""
    df = long.select(
        pl.col("source"),
        pl.col("source_client_id"),
        clean(pl.col("id_type")).str.to_uppercase().alias("id_type"),
        clean(pl.col("value")).alias("value"),
    ).filter(pl.col("id_type").is_not_null() & pl.col("value").is_not_null())
    # allow-list: a kind not from a public register is only ever kept as a keyed hash
    hashed = ~pl.col("id_type").is_in(list(PUBLIC_KINDS))
    df = df.with_columns(_digits=digits(pl.col("value"))).with_columns(
        id_value=pl.when(hashed)
        .then(None)
        .when(pl.col("id_type").is_in(DIGITS_ONLY))
        .then(pl.col("_digits"))
        .otherwise(pl.col("value")),
        _secret=pl.when(hashed).then(pl.col("_digits")),
    )
    df = df.with_columns(_check=pl.coalesce("_secret", "id_value"))
    df = df.join(_verdicts(df), on=["id_type", "_check"], how="left", maintain_order="left", nulls_equal=False)
    secret = df.get_column("_secret")
    # keyed_hash opens a DuckDB connection per call: skip it when there are no tax numbers
    hashes = keyed_hash(secret, hash_key) if secret.null_count() < len(secret) else secret
    df = df.with_columns(id_hash=hashes, id_last3=last3(secret))
    # an id with no digits at all (e.g. a TFN "n/a") carries nothing to match on
    df = df.filter(pl.col("id_value").is_not_null() | pl.col("id_hash").is_not_null())
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
