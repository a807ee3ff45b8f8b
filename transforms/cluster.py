"""Constrained connected components: strongest links first, never joining records a hard rule separates."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable

import numpy as np
import polars as pl

from transforms.coded import block_pairs

__all__ = ["unified_id", "unified_ids", "components", "constrained_components", "intra_pairs"]


def unified_id(practice_id: str, member_keys: Iterable[str]) -> str:
    """'uc_' + sha256(practice_id | smallest 'source:source_client_id')[:20]: same members, same id."""
    smallest = min(member_keys)
    return "uc_" + hashlib.sha256(f"{practice_id}|{smallest}".encode()).hexdigest()[:20]


def unified_ids(practice_ids: pl.Series, smallest_keys: pl.Series) -> pl.Series:
    """unified_id per (practice_id, smallest member key) row; hashed once per distinct cluster."""
    frame = pl.DataFrame({"p": practice_ids.cast(pl.String), "k": smallest_keys.cast(pl.String)})
    distinct = frame.unique().sort(["p", "k"])
    # hashlib per distinct cluster (no sha256 expression in Polars; SQL stays in warehouse/), as unified_id does
    sha = hashlib.sha256
    ids = ["uc_" + sha(f"{p}|{k}".encode()).hexdigest()[:20] for p, k in zip(distinct["p"].to_list(), distinct["k"].to_list(), strict=True)]
    table = distinct.with_columns(uid=pl.Series(ids, dtype=pl.String))
    out = frame.join(table, on=["p", "k"], how="left", maintain_order="left")["uid"]
    return out.alias("unified_client_id")


def components(n: int, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Connected-component label (smallest node index) per node, by vectorised min-label propagation."""
    labels = np.arange(n, dtype=np.int64)
    if len(a) == 0:
        return labels
    while True:
        low = np.minimum(labels[a], labels[b])
        new = labels.copy()
        np.minimum.at(new, a, low)
        np.minimum.at(new, b, low)
        new = new[new]  # pointer jumping shortens long chains
        if np.array_equal(new, labels):
            return labels
        labels = new


def intra_pairs(labels: np.ndarray, nodes: np.ndarray | None = None) -> pl.DataFrame:
    """(a, b), a < b: every pair of nodes sharing a label, for labels held by more than one node."""
    idx = np.arange(len(labels)) if nodes is None else np.asarray(nodes)
    order = np.lexsort((idx, labels[idx]))
    idx, lab = idx[order], labels[idx][order]
    start = np.flatnonzero(np.r_[True, lab[1:] != lab[:-1]]) if len(lab) else np.zeros(0, dtype=np.int64)
    size = np.diff(np.append(start, len(lab)))
    a, b, _ = block_pairs(idx.astype(np.int64), start[size > 1], size[size > 1])
    return pl.DataFrame({"a": a, "b": b}, schema={"a": pl.Int64, "b": pl.Int64})


def constrained_components(
    n: int,
    edges: pl.DataFrame,
    conflicts: Callable[[pl.DataFrame], pl.DataFrame],
) -> np.ndarray:
    """Cluster label per node from edges (a, b, weight, forced), refusing merges across conflicting nodes.

    Fast path: plain components; only components holding a conflicting pair (conflicts(pairs) returns
    the conflicting subset of (a, b) pairs) are rebuilt by union-find, strongest edge first. Forced
    edges (accepted review decisions) merge regardless.
    """
    a, b = edges["a"].to_numpy(), edges["b"].to_numpy()
    labels = components(n, a, b)
    bad = conflicts(intra_pairs(labels))
    if bad.height == 0:
        return labels
    bad_labels = np.unique(labels[bad["a"].to_numpy()])
    in_bad = np.isin(labels, bad_labels)
    conflict_of: dict[int, set[int]] = {}
    for x, y in bad.iter_rows():  # only the few pairs a hard rule separates
        conflict_of.setdefault(x, set()).add(y)
        conflict_of.setdefault(y, set()).add(x)
    out = labels.copy()
    nodes = np.flatnonzero(in_bad)
    out[nodes] = nodes
    members = {int(v): {int(v)} for v in nodes}
    against = {int(v): set(conflict_of.get(int(v), ())) for v in nodes}
    root = {int(v): int(v) for v in nodes}
    sub = edges.filter(pl.Series(in_bad[a])).sort(["forced", "weight", "a", "b"], descending=[True, True, False, False])
    for x, y, forced in sub.select("a", "b", "forced").iter_rows():  # union-find inside conflicting components only
        rx, ry = root[x], root[y]
        if rx == ry or (not forced and (members[ry] & against[rx])):
            continue
        if len(members[rx]) < len(members[ry]):
            rx, ry = ry, rx
        for v in members[ry]:
            root[v] = rx
        members[rx] |= members.pop(ry)
        against[rx] |= against.pop(ry)
    for v, r in root.items():
        out[v] = min(members[r])
    return out
