"""Coded features: every shortcut (codes, hashes, sets, block pairs) gives what the plain computation gives."""

from __future__ import annotations

import numpy as np
import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st
from rapidfuzz.distance import JaroWinkler

from transforms.coded import Sets, Strings, block_pairs, distinct_index, distinct_rows, eq, hashed

words = st.lists(st.one_of(st.none(), st.sampled_from(["ann", "anne", "bob", "", "zoë", "smith", "smyth"])), min_size=0, max_size=30)


@settings(max_examples=60, deadline=None)
@given(words)
def test_distinct_index_maps_every_row_to_its_own_value(values):
    s = pl.Series(values, dtype=pl.String)
    distinct, index = distinct_index(s)
    assert distinct.n_unique() == distinct.len() == s.drop_nulls().n_unique()
    assert distinct.gather(index).to_list() == s.to_list()  # null rows have a null index


@settings(max_examples=60, deadline=None)
@given(words, words)
def test_distinct_rows_maps_every_row_to_an_equal_row(a, b):
    n = min(len(a), len(b))
    frame = pl.DataFrame({"a": a[:n], "b": b[:n]}, schema={"a": pl.String, "b": pl.String})
    distinct, index = distinct_rows(frame)
    assert distinct.height == frame.unique().height
    assert distinct[index].rows() == frame.rows()


@settings(max_examples=60, deadline=None)
@given(words, words)
def test_string_scores_equal_scoring_each_pair(a, b):
    n = min(len(a), len(b))
    left, right = pl.Series(a[:n], dtype=pl.String), pl.Series(b[:n], dtype=pl.String)
    strings = Strings({"l": left, "r": right})
    got = strings.scores([(strings["l"], strings["r"])], JaroWinkler.normalized_similarity)[0]
    want = [0.0 if x is None or y is None else JaroWinkler.normalized_similarity(x, y) for x, y in zip(left, right, strict=True)]
    assert np.allclose(got, want)
    assert (eq(strings["l"], strings["r"]) == np.array([x is not None and x == y for x, y in zip(left, right, strict=True)])).all()


def test_hashes_are_equal_for_equal_strings_and_zero_for_null():
    h = hashed({"a": pl.Series(["x", None, "y", "x"])})["a"]
    assert h[0] == h[3] and h[0] != h[2] and h[1] == 0
    assert eq(h, np.array([h[0], 0, h[0], h[0]], dtype=np.uint64)).tolist() == [True, False, False, True]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(st.sampled_from(["a", "b", "c", "d"]), unique=True, max_size=3), min_size=1, max_size=8), st.data())
def test_sets_meet_exactly_when_the_lists_share_an_item(lists, data):
    sets = Sets(pl.Series(lists, dtype=pl.List(pl.String)))
    n = len(lists)
    pairs = data.draw(st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), max_size=20))
    l, r = np.array([p[0] for p in pairs], dtype=np.int64), np.array([p[1] for p in pairs], dtype=np.int64)
    assert sets.shared(l, r).tolist() == [bool(set(lists[a]) & set(lists[b])) for a, b in pairs]
    assert sets.empty(l).tolist() == [not lists[a] for a in l]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(1, 5), max_size=6))
def test_block_pairs_are_every_pair_inside_each_block_once(sizes):
    size = np.array(sizes, dtype=np.int64)
    start = np.cumsum(size) - size
    values = np.arange(int(size.sum()), dtype=np.int64) * 10
    a, b, block = block_pairs(values, start, size)
    want = [(values[s + i], values[s + j], k) for k, (s, n) in enumerate(zip(start, size, strict=True)) for i in range(n) for j in range(i + 1, n)]
    assert sorted(zip(a.tolist(), b.tolist(), block.tolist(), strict=True)) == sorted((int(x), int(y), k) for x, y, k in want)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.integers(0, 5), max_size=40))
def test_spread_gives_each_items_owner_and_place_as_repeating_would(counts):
    from transforms.coded import spread

    length = np.array(counts, dtype=np.int64)
    owner, within = spread(length)
    assert owner.tolist() == np.repeat(np.arange(len(length)), length).tolist()  # owners with no item included
    assert within.tolist() == [i for n in counts for i in range(n)]
