"""From decided links to clusters and outputs: constrained clustering, crosswalk, client_match rows, suspect links."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import polars as pl

from transforms import audit
from transforms.cluster import constrained_components, unified_ids

__all__ = ["LINK_SCHEMA", "CROSSWALK_SCHEMA", "HELD_BACK", "cluster", "assemble", "merge_status", "merge_statuses"]

LINK_SCHEMA = pl.Schema(
    {
        "practice_id": pl.String,
        "source_l": pl.String,
        "source_client_id_l": pl.String,
        "source_r": pl.String,
        "source_client_id_r": pl.String,
        "match_weight": pl.Float64,
        "match_probability": pl.Float64,
        "decision": pl.String,
        "veto": pl.String,
        "evidence": pl.String,
    }
)
CROSSWALK_SCHEMA = pl.Schema(
    {
        "practice_id": pl.String,
        "source": pl.String,
        "source_client_id": pl.String,
        "unified_client_id": pl.String,
        "merge_status": pl.String,
        "match_probability": pl.Float64,
    }
)


def cluster(n: int, cmp: pl.DataFrame, reviewed: pl.DataFrame, conflicts: Callable[[pl.DataFrame], pl.DataFrame]) -> tuple[np.ndarray, np.ndarray]:
    """Auto clusters, then proposed clusters (auto + review links, at most one auto cluster each)."""
    rejected = reviewed.filter(pl.col("review") == "reject").select("rid_l", "rid_r")
    links = cmp.select(
        a="rid_l", b="rid_r", weight="match_weight", forced=(pl.col("review") == "accept").fill_null(False), decision="decision"
    )  # fmt: skip
    edge = lambda kind: links.filter(pl.col("decision") == kind).drop("decision")  # noqa: E731
    auto = constrained_components(n, edge("auto"), conflicts)
    size = np.bincount(auto, minlength=n)[auto]

    # stage two works on auto clusters as nodes: two merged clusters never join through review
    def cluster_conflicts(pairs: pl.DataFrame) -> pl.DataFrame:
        both_merged = pairs.filter(pl.Series(size[pairs["a"].to_numpy()] > 1) & pl.Series(size[pairs["b"].to_numpy()] > 1))
        ra, rb = auto[rejected["rid_l"].to_numpy()], auto[rejected["rid_r"].to_numpy()]
        rej_nodes = pl.DataFrame({"a": np.minimum(ra, rb), "b": np.maximum(ra, rb)})
        rej = pairs.join(rej_nodes, on=["a", "b"])
        return pl.concat([both_merged, rej.select("a", "b")]).unique()

    review = edge("review")
    review = review.with_columns(a=pl.Series(auto[review["a"].to_numpy()]), b=pl.Series(auto[review["b"].to_numpy()]))
    review = review.filter(pl.col("a") != pl.col("b"))
    review = review.select(a=pl.min_horizontal("a", "b"), b=pl.max_horizontal("a", "b"), weight="weight", forced="forced")
    proposed = constrained_components(n, review, cluster_conflicts)[auto]
    return auto, proposed


def merge_status(auto: str, proposed: str) -> pl.Expr:
    """Per record, from the columns of its automatic and its proposed cluster's labels: 'auto' in an automatic
    cluster of two or more, else 'review' in a proposed one, else 'unique'. An expression: a numpy array of strings
    made into a Series holds the GIL per record."""
    return (
        pl.when(pl.len().over(auto) > 1).then(pl.lit("auto"))
        .when(pl.len().over(proposed) > 1).then(pl.lit("review")).otherwise(pl.lit("unique"))
    )  # fmt: skip


def merge_statuses(labels_auto: np.ndarray, labels: np.ndarray) -> pl.Series:
    """merge_status of each record, given its clusters' labels."""
    return pl.DataFrame({"_auto": labels_auto, "_prop": labels}).select(merge_status("_auto", "_prop")).to_series()


HELD_BACK = "review_budget"  # client_match.veto of a pair the review budget left apart


def assemble(std, cmp, hints, reviewed, labels_auto, labels, held_from: float | None = None) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """client_match links, crosswalk and suspect links from the clustered comparison.

    With `held_from` (the review threshold's floor), a pair rejected with no veto at that probability or more was left
    apart only by the review budget's raised threshold: it is kept as a rejected link with veto HELD_BACK, so what no
    person was shown can be counted and exported (`scr review export --held-back`)."""
    rec = std.select("rid", "practice_id", "source", "source_client_id", "key").with_columns(
        _auto=pl.Series(labels_auto), _prop=pl.Series(labels)
    )
    rec = rec.with_columns(merge_status=merge_status("_auto", "_prop"))
    # the id comes from the auto-merged core when there is one, so resolving a review keeps it stable
    rec = rec.with_columns(
        _core=pl.when(pl.col("merge_status") == "auto").then(pl.col("key")).min().over("_prop"),
        _all=pl.col("key").min().over("_prop"),
    )
    rec = rec.with_columns(_idkey=pl.coalesce("_core", "_all"))
    rec = rec.with_columns(unified_client_id=unified_ids(rec["practice_id"], rec["_idkey"]))
    same = labels[cmp["rid_l"].to_numpy()] == labels[cmp["rid_r"].to_numpy()]
    same_auto = labels_auto[cmp["rid_l"].to_numpy()] == labels_auto[cmp["rid_r"].to_numpy()]
    # an auto link the constraints refused is only a proposal
    cmp = cmp.with_columns(
        veto=pl.when((pl.col("decision") == "auto") & ~pl.Series(same_auto)).then(
            pl.coalesce(pl.col("veto"), pl.lit("cluster_conflict"))
        ).otherwise(pl.col("veto")),
        decision=pl.when((pl.col("decision") == "auto") & ~pl.Series(same_auto)).then(pl.lit("review")).otherwise(
            pl.col("decision")
        ),
    )
    keys = std.select("rid", "source", "source_client_id")
    links = cmp.join(keys.rename(lambda c: c + "_l"), on="rid_l", how="left", maintain_order="left").join(
        keys.rename(lambda c: c + "_r"), on="rid_r", how="left", maintain_order="left"
    )
    strongest = pl.concat(
        [
            links.filter(pl.Series(same), pl.col("decision") != "reject").select(rid="rid_l", p="match_probability"),
            links.filter(pl.Series(same), pl.col("decision") != "reject").select(rid="rid_r", p="match_probability"),
        ]
    ).group_by("rid").agg(pl.col("p").max())
    # a merge a person accepted is theirs, not the machine's: its cluster is `reviewed`, its link `accepted`
    accepted = links.filter((pl.col("review") == "accept") & pl.Series(same_auto))
    by_person = np.unique(labels_auto[accepted["rid_l"].to_numpy()])
    crosswalk = (
        rec.join(strongest, on="rid", how="left")
        .with_columns(
            match_probability=pl.when(pl.col("merge_status") != "unique").then(pl.col("p")),
            merge_status=pl.when((pl.col("merge_status") == "auto") & pl.col("_auto").is_in(by_person.tolist()))
            .then(pl.lit("reviewed")).otherwise(pl.col("merge_status")),
        )
        .sort("rid")
        .select(list(CROSSWALK_SCHEMA))
    )
    suspects = audit.suspect_links(hints, links, pl.Series(same))
    links = links.with_columns(
        decision=pl.when((pl.col("review") == "accept") & (pl.col("decision") == "auto")).then(pl.lit("accepted")).otherwise("decision")
    )
    # client_match keeps proposals, plus rejected pairs someone asserted (legacy links, reviewers)
    asserted = pl.struct("rid_l", "rid_r").is_in(
        pl.concat([hints.select("rid_l", "rid_r"), reviewed.select("rid_l", "rid_r")]).select(pl.struct("rid_l", "rid_r")).to_series().implode()
    )
    # by (practice, source, id) of each end: rid numbers records in that order, so by (rid_l, rid_r)
    if held_from is not None:
        held = (pl.col("decision") == "reject") & pl.col("veto").is_null() & (pl.col("match_probability") >= held_from)
        links = links.with_columns(veto=pl.when(held).then(pl.lit(HELD_BACK)).otherwise(pl.col("veto")))
    kept = (pl.col("decision") != "reject") | asserted | (pl.col("veto") == HELD_BACK).fill_null(False)
    out_links = links.filter(kept).sort(["rid_l", "rid_r"]).select(list(LINK_SCHEMA))
    return out_links, crosswalk.cast(CROSSWALK_SCHEMA), suspects.cast(audit.SUSPECT_SCHEMA)
