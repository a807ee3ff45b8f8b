"""Pairwise scoring of a proposed clustering against ground truth, by combinatorics, never by listing pairs."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import polars as pl

__all__ = [
    "KEY",
    "PairScore",
    "pairwise",
    "auto_clusters",
    "review_share",
    "hard_case_rates",
    "score_crosswalk",
    "pair_recall",
]

# a source record; practice_id first so no count ever spans two practices
KEY = ["practice_id", "source", "source_client_id"]


@dataclass(frozen=True)
class PairScore:
    """Pair counts and the ratios derived from them."""

    records: int
    true_pairs: int
    proposed_pairs: int
    true_positive: int
    precision: float
    recall: float
    f1: float

    def as_dict(self) -> dict:
        return asdict(self)


def _pairs(frame: pl.DataFrame, by: list[str]) -> int:
    # n*(n-1)/2 per group: a 10,000-record cluster costs one row, not 50 million pairs
    if frame.is_empty():
        return 0
    n = frame.group_by(by).len()["len"].cast(pl.Int64)
    return int((n * (n - 1) // 2).sum())


def pairwise(truth: pl.DataFrame, proposed: pl.DataFrame, key: list[str] = KEY) -> PairScore:
    """Pairwise precision, recall and F1 of `proposed` (key + cluster_id) against `truth` (key + entity_id).

    Only records present in both frames count; clusters and entities are scoped by practice_id.
    Precision is 1 when nothing is proposed and recall is 1 when nothing is to be found.
    """
    joined = truth.select(*key, "entity_id").join(
        proposed.select(*key, "cluster_id"), on=key, how="inner"
    )
    scope = ["practice_id"] if "practice_id" in key else []
    t = _pairs(joined, [*scope, "entity_id"])
    p = _pairs(joined, [*scope, "cluster_id"])
    tp = _pairs(joined, [*scope, "entity_id", "cluster_id"])
    precision = tp / p if p else 1.0
    recall = tp / t if t else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return PairScore(joined.height, t, p, tp, precision, recall, f1)


def auto_clusters(crosswalk: pl.DataFrame) -> pl.DataFrame:
    """The clustering formed by automatic merges only: a record awaiting review stands alone.

    A crosswalk may carry `auto_cluster_id` when its automatic clusters are finer than its proposals.
    """
    alone = pl.concat_str([pl.lit("single"), *[pl.col(c) for c in KEY]], separator="\x1f")
    auto_id = pl.col("auto_cluster_id") if "auto_cluster_id" in crosswalk.columns else pl.col("unified_client_id")
    return crosswalk.select(
        *KEY,
        pl.when(pl.col("merge_status") == "review").then(alone).otherwise(auto_id).alias("cluster_id"),
    )


def review_share(crosswalk: pl.DataFrame) -> float:
    """Share of records whose merge awaits a person."""
    if crosswalk.is_empty():
        return 0.0
    return float((crosswalk["merge_status"] == "review").mean())


def _coclustered(truth: pl.DataFrame, proposed: pl.DataFrame, pairs: pl.DataFrame) -> pl.Series:
    """Per hard pair (row order of `pairs`): do any records of its two entities share a cluster?"""
    ec = (
        truth.join(proposed.select(*KEY, "cluster_id"), on=KEY, how="inner")
        .select("practice_id", "entity_id", "cluster_id")
        .unique()
    )
    hits = (
        pairs.join(ec.rename({"entity_id": "entity_a"}), on=["practice_id", "entity_a"])
        .join(
            ec.rename({"entity_id": "entity_b"}),
            on=["practice_id", "entity_b", "cluster_id"],
            how="semi",
        )
        .select("pair")
        .unique()
    )
    return pairs["pair"].is_in(hits["pair"].implode())


def hard_case_rates(
    truth: pl.DataFrame, hard_pairs: pl.DataFrame, full: pl.DataFrame, auto: pl.DataFrame
) -> pl.DataFrame:
    """Per hard-case kind: pairs scored, share merged automatically, share proposed for review.

    `full` and `auto` are key + cluster_id clusterings (all proposals / automatic merges only).
    A pair counts only when both of its entities have scored records.
    """
    present = truth.join(full.select(KEY), on=KEY, how="semi").select("practice_id", "entity_id").unique()
    pairs = (
        hard_pairs.select("practice_id", "entity_a", "entity_b", "kind")
        .join(present.rename({"entity_id": "entity_a"}), on=["practice_id", "entity_a"], how="semi")
        .join(present.rename({"entity_id": "entity_b"}), on=["practice_id", "entity_b"], how="semi")
        .sort("practice_id", "entity_a", "entity_b", "kind")
        .with_row_index("pair")
    )
    merged = _coclustered(truth, auto, pairs)
    proposed = _coclustered(truth, full, pairs)
    return (
        pairs.with_columns(auto=merged, review=proposed & ~merged)
        .group_by("kind")
        .agg(
            pairs=pl.len(),
            auto_merged=pl.col("auto").sum(),
            review=pl.col("review").sum(),
        )
        .with_columns(
            auto_rate=pl.col("auto_merged") / pl.col("pairs"),
            review_rate=pl.col("review") / pl.col("pairs"),
        )
        .sort("kind")
    )


def score_crosswalk(truth: pl.DataFrame, hard_pairs: pl.DataFrame | None, crosswalk: pl.DataFrame) -> dict:
    """Every benchmark figure for one system's crosswalk (key, unified_client_id, merge_status)."""
    full = crosswalk.select(*KEY, pl.col("unified_client_id").alias("cluster_id"))
    auto = auto_clusters(crosswalk)
    seen = truth.join(crosswalk.select("practice_id").unique(), on="practice_id", how="semi")
    out = {
        # records the system lost or invented: the pair scores cannot see them
        "missing_from_crosswalk": seen.join(crosswalk, on=KEY, how="anti").height,
        "not_in_truth": crosswalk.join(truth, on=KEY, how="anti").height,
        "all": pairwise(truth, full).as_dict(),
        "auto": pairwise(truth, auto).as_dict(),
        "review_share": review_share(crosswalk),
        "hard_cases": {},
    }
    if hard_pairs is not None and not hard_pairs.is_empty():
        rates = hard_case_rates(truth, hard_pairs, full, auto)
        out["hard_cases"] = {r.pop("kind"): r for r in rates.to_dicts()}
    return out


def pair_recall(truth: pl.DataFrame, pairs: pl.DataFrame) -> dict:
    """Blocking recall: share of true pairs that are candidate pairs, directly and through chains of candidates.

    `pairs` holds practice_id, source_l, source_client_id_l, source_r, source_client_id_r (each pair once).
    "Direct" counts a true pair only when it was itself compared; "connected" when its two records are joined
    by a chain of compared pairs (what a clustering could still merge).
    """
    ent = truth.select(*KEY, "entity_id")
    left = ent.rename({"source": "source_l", "source_client_id": "source_client_id_l", "entity_id": "e_l"})
    right = ent.rename({"source": "source_r", "source_client_id": "source_client_id_r", "entity_id": "e_r"})
    joined = pairs.join(left, on=["practice_id", "source_l", "source_client_id_l"]).join(
        right, on=["practice_id", "source_r", "source_client_id_r"]
    )
    true_pairs = _pairs(ent, ["practice_id", "entity_id"])
    hit = joined.filter(pl.col("e_l") == pl.col("e_r")).height
    # connected components of the candidate graph, by label propagation over record indices
    idx = ent.select(*KEY).with_row_index("i")
    ends = joined.join(idx.rename({"source": "source_l", "source_client_id": "source_client_id_l", "i": "a"}),
                       on=["practice_id", "source_l", "source_client_id_l"]).join(
        idx.rename({"source": "source_r", "source_client_id": "source_client_id_r", "i": "b"}),
        on=["practice_id", "source_r", "source_client_id_r"])
    labels = _components(idx.height, ends["a"].to_numpy(), ends["b"].to_numpy())
    comp = ent.with_columns(cluster_id=pl.Series(labels))
    connected = pairwise(truth, comp)
    return {
        "true_pairs": true_pairs,
        "candidate_pairs": pairs.height,
        "direct": hit / true_pairs if true_pairs else 1.0,
        "connected": connected.recall,
    }


def _components(n: int, a, b):
    import numpy as np

    labels = np.arange(n, dtype=np.int64)
    while len(a):
        low = np.minimum(labels[a], labels[b])
        new = labels.copy()
        np.minimum.at(new, a, low)
        np.minimum.at(new, b, low)
        new = new[new]
        if np.array_equal(new, labels):
            break
        labels = new
    return labels
