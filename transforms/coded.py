"""Records' features as numbers, for comparing many pairs at once: strings as codes, lists as sets.

A pair's levels are a function of its two records' features. A string column that is scored becomes
codes into one dictionary per family of columns scored against one another (every reading of a
person's name is one family), so a similarity is computed once per distinct pair of strings. A
column only tested for equality, and each item of a list column, becomes its 64-bit hash (0 for
null): two different strings share a hash with odds of about one in 10^19 per comparison, far below
any other error in the data, and a hash costs a tenth of a dictionary lookup.
"""

from __future__ import annotations

import numpy as np
import polars as pl
from rapidfuzz import process

__all__ = ["Strings", "Sets", "block_pairs", "distinct_index", "distinct_rows", "eq", "hashed", "spread"]

_MIX = np.uint64(0x9E3779B97F4A7C15)  # odd: mixes a record number into an item's hash


def eq(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Equal and known (codes -1 or hashes 0 are null): what `a == b` is in a filter, where null is false."""
    return (a == b) & (a > 0) if a.dtype == np.uint64 else (a == b) & (a >= 0)


def hashed(columns: dict[str, pl.Series]) -> dict[str, np.ndarray]:
    """Each string column as 64-bit hashes, 0 where null."""
    frame = pl.DataFrame(columns)
    out = frame.select(pl.when(pl.col(c).is_not_null()).then(pl.col(c).cast(pl.String).hash()).otherwise(0).alias(c) for c in frame.columns)
    return {c: out[c].to_numpy() for c in out.columns}


def distinct_index(values: pl.Series) -> tuple[pl.Series, pl.Series]:
    """(the distinct non-null values, each row's index among them, null where the row is null).

    Through a categorical of the call's own (a dictionary by value, freed with it).
    """
    codes = values.cast(pl.String).cast(pl.Categorical(pl.Categories.random())).to_physical()
    known = codes.is_not_null().to_numpy()
    c = codes.drop_nulls().to_numpy().astype(np.int64)
    if len(c) == 0:
        return values.cast(pl.String).drop_nulls(), pl.repeat(None, len(values), dtype=pl.Int64, eager=True)
    dense = c if (np.bincount(c) > 0).all() else np.unique(c, return_inverse=True)[1].ravel()  # 0..k-1
    position = np.flatnonzero(known)
    first = np.empty(int(dense.max()) + 1, dtype=np.int64)
    first[dense[::-1]] = position[::-1]  # the last write wins: each value's first row
    index = np.zeros(len(values), dtype=np.int64)
    index[known] = dense
    return values.cast(pl.String).gather(first), pl.select(pl.when(pl.Series(known)).then(pl.Series(index))).to_series()


def distinct_rows(frame: pl.DataFrame) -> tuple[pl.DataFrame, np.ndarray]:
    """(the distinct rows of `frame`, each row's index among them), by row hash; by value should two rows share one."""
    if frame.height == 0:
        return frame, np.zeros(0, dtype=np.int64)
    h = frame.hash_rows().to_numpy()
    order = np.argsort(h, kind="stable")
    first = np.r_[True, h[order][1:] != h[order][:-1]]
    distinct = frame[order[first]]
    index = np.empty(len(h), dtype=np.int64)
    index[order] = np.cumsum(first) - 1
    same = pl.concat([distinct[index].rename(lambda c: c + "_d"), frame], how="horizontal").select(
        pl.all_horizontal([pl.col(c + "_d").eq_missing(pl.col(c)) for c in frame.columns])
    ).to_series()
    if not same.all():  # two different rows share a hash
        distinct = frame.unique(maintain_order=True)
        index = frame.join(distinct.with_row_index("_i"), on=frame.columns, how="left", nulls_equal=True, maintain_order="left")["_i"]
        return distinct, index.to_numpy().astype(np.int64)
    return distinct, index


def spread(length: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For items counted per owner: (owner of each item, position of each item within its owner).

    As np.repeat(np.arange(len(length)), length), by a cumulative sum of the steps between owners: np.repeat
    holds the GIL throughout, cumsum and fancy indexing release it (a wave's other chunk thread runs meanwhile).
    """
    start = np.cumsum(length) - length
    present = np.flatnonzero(length > 0)
    step = np.zeros(int(length.sum()), dtype=np.int64)
    step[start[present]] = np.diff(present, prepend=0)  # each owner's first item steps from the previous owner's
    owner = np.cumsum(step)
    return owner, np.arange(len(owner)) - start[owner]


def block_pairs(values: np.ndarray, start: np.ndarray, size: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every pair (i < j) of positions inside each block [start, start + size) of `values`: (values[i], values[j], block)."""
    block, within = spread(size)
    member = start[block] + within
    later = (start + size)[block] - member - 1  # members after this one in its block
    pair, step = spread(later)
    left = member[pair]
    return values[left], values[left + 1 + step], block[pair]


class Strings:
    """The distinct strings of a family of columns, and each column as codes into them (-1 where null)."""

    def __init__(self, columns: dict[str, pl.Series]):
        values, index = distinct_index(pl.concat([s.cast(pl.String).alias("v") for s in columns.values()]))
        self.size = values.len()
        # the strings as Python objects for the scorers, made only for those a pair is scored on (`_text`): most of
        # a call's strings never are, and making them holds the GIL
        self.values = values
        self.text = np.empty(self.size, dtype=object)
        self.made = np.zeros(self.size, dtype=bool)
        codes = index.fill_null(-1).to_numpy()
        ends = np.cumsum([0, *(len(s) for s in columns.values())])
        self.codes = {name: codes[a:b] for name, a, b in zip(columns, ends[:-1], ends[1:], strict=True)}

    def __getitem__(self, column: str) -> np.ndarray:
        return self.codes[column]

    def distinct(self, combos: list[tuple[np.ndarray, np.ndarray]]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Aligned code pairs, stacked: (where both are known, distinct left strings, right strings, index of each known pair)."""
        a = np.concatenate([x for x, _ in combos]) if combos else np.zeros(0, dtype=np.int64)
        b = np.concatenate([y for _, y in combos]) if combos else np.zeros(0, dtype=np.int64)
        known = (a >= 0) & (b >= 0)
        key = a[known] * max(self.size, 1) + b[known]
        distinct, inverse = np.unique(key, return_inverse=True)
        left, right = distinct // max(self.size, 1), distinct % max(self.size, 1)
        return known, self._text(left), self._text(right), inverse.ravel()

    def _text(self, codes: np.ndarray) -> np.ndarray:
        """The strings of these codes, as an object array (each string made once per call)."""
        new = np.flatnonzero((np.bincount(codes, minlength=self.size) > 0) & ~self.made) if len(codes) else codes
        if len(new):
            self.text[new] = self.values.gather(new).to_list()
            self.made[new] = True
        return self.text[codes]

    def scores(self, combos: list[tuple[np.ndarray, np.ndarray]], scorer, null: float = 0.0) -> np.ndarray:
        """(len(combos), pairs) scorer values of aligned code pairs, each distinct pair scored once; `null` where a side is."""
        n = len(combos[0][0]) if combos else 0
        known, left, right, inverse = self.distinct(combos)
        out = np.full(len(known), null, dtype=np.float64)
        if len(inverse):
            s = np.asarray(process.cpdist(left, right, scorer=scorer, workers=1), dtype=np.float64)
            out[known] = s[inverse]
        return out.reshape(len(combos), n)


class Sets:
    """One list column as a set per record (hashes of its items): emptiness and "do two records' lists meet?"."""

    def __init__(self, lists: pl.Series):
        # standardise builds every list from non-null values: a list's length is its number of items
        self.length = lists.list.len().fill_null(0).to_numpy().astype(np.int64)
        self.count = self.length
        self.items = lists.explode().drop_nulls().hash().to_numpy()  # an empty list explodes to one null
        self.offset = np.cumsum(self.count) - self.count
        owner = spread(self.count)[0].astype(np.uint64)
        self.keys = np.sort(self.items ^ (owner * _MIX))

    def empty(self, rid: np.ndarray) -> np.ndarray:
        return self.length[rid] == 0

    def shared(self, rid_l: np.ndarray, rid_r: np.ndarray) -> np.ndarray:
        """Per pair: does any item of the left record's list appear in the right record's?"""
        pair, within = spread(self.count[rid_l])
        probe = self.items[self.offset[rid_l][pair] + within] ^ (rid_r[pair].astype(np.uint64) * _MIX)
        out = np.zeros(len(rid_l), dtype=bool)
        if len(self.keys):
            found = np.minimum(np.searchsorted(self.keys, probe), len(self.keys) - 1)
            out[pair[self.keys[found] == probe]] = True
        return out
