"""The frames one practice's landing files yield: one per staging table, in landing.schema shapes."""

from __future__ import annotations

from dataclasses import dataclass, fields
from functools import lru_cache

import polars as pl

from landing import schema


@dataclass
class Frames:
    """One field per staging table (stg_<field>), each a frame in warehouse/schema.py's shape."""

    client: pl.DataFrame
    identifier: pl.DataFrame
    contact: pl.DataFrame
    group_member: pl.DataFrame
    relationship: pl.DataFrame
    custom_field: pl.DataFrame
    org_link: pl.DataFrame
    sync_link: pl.DataFrame

    @staticmethod
    def names() -> list[str]:
        """Field names, which are also the staging table keys of landing.schema.STAGING."""
        return [f.name for f in fields(Frames)]

    @staticmethod
    def empty() -> "Frames":
        """All frames empty."""
        return Frames(**_empty_frames())

    @staticmethod
    def concat(parts: list["Frames"]) -> "Frames":
        """Stack the frames of several parts (practices or files) table by table."""
        if not parts:
            return Frames.empty()
        return Frames(
            **{
                n: pl.concat([getattr(p, n) for p in parts], how="vertical").cast(schema.STAGING[n])
                for n in Frames.names()
            }
        )

    def with_(self, **frames: pl.DataFrame) -> "Frames":
        """A copy with some frames replaced (missing tables of a reader stay empty)."""
        current = {n: getattr(self, n) for n in Frames.names()}
        current.update(frames)
        return Frames(**current)

    def of_practices(self, practice_ids: list[str], keep: bool = True) -> "Frames":
        """Every table's rows of these practices (with `keep` False: of every other practice)."""
        ids = pl.Series(practice_ids, dtype=pl.String).implode()
        mine = pl.col("practice_id").is_in(ids)
        return Frames(**{n: getattr(self, n).filter(mine if keep else ~mine) for n in Frames.names()})

    def counts(self) -> dict[str, int]:
        """Rows per table."""
        return {n: getattr(self, n).height for n in Frames.names()}


@lru_cache(maxsize=1)
def _empty_frames() -> dict[str, pl.DataFrame]:
    # frames are immutable values: one empty frame per table serves every caller
    return {n: schema.empty(schema.STAGING[n]) for n in Frames.names()}

