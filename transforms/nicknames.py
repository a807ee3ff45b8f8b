"""Given names that can be one person's (Mike / Michael, Jon / Jonathan), from the maintained `nicknames` list.

A name's roots are the name itself and every formal name it is a nickname of. Two names are related
when their roots meet: Jon (john, jonathan, ...) and Jonathan (jonathan) share "jonathan"; Christopher
and Christine share nothing, though "Chris" is related to both.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import polars as pl

__all__ = ["roots", "root_keys", "related"]

MAX_ROOTS = 8  # a nickname of more formal names than this ("chris") blocks on its own spelling only


@lru_cache(maxsize=1)
def roots() -> pl.DataFrame:
    """(name, root): every name of the list with itself and the formal names it shortens, lower case."""
    from nicknames import name_triplets

    pairs = [(t.name2, t.name1) for t in name_triplets() if t.relationship == "has_nickname"]
    frame = pl.DataFrame(pairs, schema={"name": pl.String, "root": pl.String}, orient="row")
    names = pl.concat([frame["name"], frame["root"]]).unique()
    return pl.concat([frame, pl.DataFrame({"name": names, "root": names})]).unique().sort("name", "root")


@lru_cache(maxsize=1)
def _key_roots() -> pl.DataFrame:
    r = roots()
    return r.filter((pl.len().over("name") <= MAX_ROOTS + 1) | (pl.col("name") == pl.col("root")))


def root_keys(names: pl.Series) -> pl.Series:
    """Per name (lower case), the list of its roots for blocking; a name the list does not know is its own root."""
    frame = pl.DataFrame({"name": names.cast(pl.String)}).with_row_index("i")
    known = frame.drop_nulls("name").join(_key_roots(), on="name", how="left")
    out = known.with_columns(pl.coalesce("root", "name")).group_by("i").agg(pl.col("root").unique().sort())
    return frame.join(out, on="i", how="left", maintain_order="left")["root"].alias(names.name)


def related(a: pl.Series, b: pl.Series) -> np.ndarray:
    """Per aligned pair: do the two given names (lower case) share a root? False where either is null or equal."""
    pairs = pl.DataFrame({"a": a.cast(pl.String), "b": b.cast(pl.String)}).with_row_index("i")
    distinct = pairs.drop_nulls().filter(pl.col("a") != pl.col("b")).select("a", "b").unique()
    r = roots()
    hits = (
        distinct.join(r.rename({"name": "a"}), on="a")
        .join(r.rename({"name": "b"}), on=["b", "root"], how="semi")
        .select("a", "b")
        .unique()
        .with_columns(hit=pl.lit(True))
    )
    out = pairs.join(hits, on=["a", "b"], how="left", maintain_order="left")["hit"].fill_null(False)
    return out.to_numpy()
