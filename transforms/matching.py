"""The matcher's facade: standardise -> candidates -> compare -> model -> cluster -> audit, all practices at once."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from transforms import audit
from transforms.candidates import candidate_pairs, hint_pairs
from transforms.cluster import constrained_components, unified_ids
from transforms.compare import FIELDS, compare
from transforms.decide import IDS, decide
from transforms.model import Model, estimate_u, fit, level_matrix, level_weights, prior_weight, random_pairs, score
from transforms.standardise import standardise

__all__ = ["MatchResult", "Model", "match", "fit_model", "LINK_SCHEMA", "CROSSWALK_SCHEMA"]

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


@dataclass
class MatchResult:
    links: pl.DataFrame
    crosswalk: pl.DataFrame
    suspect_links: pl.DataFrame


def _decision_pairs(std: pl.DataFrame, decisions: pl.DataFrame | None) -> pl.DataFrame:
    """Review decisions as (rid_l, rid_r, review) with rid_l < rid_r."""
    if decisions is None or decisions.height == 0:
        return pl.DataFrame(schema={"rid_l": pl.Int64, "rid_r": pl.Int64, "review": pl.String})
    ids = std.select("practice_id", "source", "source_client_id", "rid")
    d = decisions.join(
        ids.rename({"source": "source_l", "source_client_id": "source_client_id_l", "rid": "a"}),
        on=["practice_id", "source_l", "source_client_id_l"],
    ).join(
        ids.rename({"source": "source_r", "source_client_id": "source_client_id_r", "rid": "b"}),
        on=["practice_id", "source_r", "source_client_id_r"],
    )
    d = d.select(rid_l=pl.min_horizontal("a", "b"), rid_r=pl.max_horizontal("a", "b"), review=pl.col("decision").str.to_lowercase())
    d = d.filter(pl.col("review").is_in(["accept", "reject"]))
    # a pair both accepted and rejected stays apart: a wrong merge is the costlier mistake
    d = d.group_by("rid_l", "rid_r").agg(
        review=pl.when((pl.col("review") == "reject").any()).then(pl.lit("reject")).otherwise(pl.lit("accept"))
    )
    return d.sort(["rid_l", "rid_r"])


def _evidence(cmp: pl.DataFrame, weights: dict[str, np.ndarray]) -> pl.Expr:
    """JSON object per pair: field -> {level, weight}, null levels left out."""
    parts = []
    for f, levels in FIELDS.items():
        lvl = pl.col(f)
        name = lvl.replace_strict(dict(enumerate(levels)), return_dtype=pl.String)
        w = lvl.replace_strict(dict(enumerate(np.round(weights[f], 3).tolist())), return_dtype=pl.Float64)
        frag = pl.concat_str([pl.lit(f'"{f}":{{"level":"'), name, pl.lit('","weight":'), w.cast(pl.String), pl.lit("}")])
        parts.append(pl.when(lvl > 0).then(frag))
    return pl.lit("{") + pl.concat_str(parts, separator=",", ignore_nulls=True) + pl.lit("}")


def _record_conflicts(std: pl.DataFrame, rejected: pl.DataFrame):
    """conflicts(pairs) for clustering: pairs a hard rule separates, plus pairs a reviewer rejected."""

    def conflicts(pairs: pl.DataFrame) -> pl.DataFrame:
        if pairs.height == 0:
            return pairs
        p = pairs.select(rid_l=pl.min_horizontal("a", "b"), rid_r=pl.max_horizontal("a", "b"))
        vetoed = compare(std, p).filter(pl.col("veto").is_not_null()).select(a="rid_l", b="rid_r")
        rej = p.join(rejected, on=["rid_l", "rid_r"]).select(a="rid_l", b="rid_r")
        return pl.concat([vetoed, rej]).unique()

    return conflicts


@dataclass
class _Compared:
    """One call's records, legacy hints, review decisions and compared candidate pairs."""

    std: pl.DataFrame
    hints: pl.DataFrame
    reviewed: pl.DataFrame
    cmp: pl.DataFrame
    gamma: np.ndarray
    legacy: np.ndarray  # pair is a sync link or a Tax row naming the XPM client
    by_id: np.ndarray  # pair shares a business or tax identifier


def _compared(clients, org_links, sync_links, practices, decisions) -> _Compared:
    """Standardise, block and compare; nothing here looks across practices."""
    std = standardise(clients, org_links, practices)
    hints = hint_pairs(std, sync_links)
    reviewed = _decision_pairs(std, decisions)
    pairs = candidate_pairs(std, pl.concat([hints.select("rid_l", "rid_r"), reviewed.select("rid_l", "rid_r")]))
    cmp = compare(std, pairs)
    legacy = cmp.select(
        pl.struct("rid_l", "rid_r").is_in(hints.select(pl.struct("rid_l", "rid_r")).to_series().implode())
    ).to_series().to_numpy()
    by_id = cmp.select(pl.any_horizontal([pl.col(f) == 1 for f in IDS])).to_series().to_numpy()
    return _Compared(std, hints, reviewed, cmp, level_matrix(cmp), legacy, by_id)


def _fit(c: _Compared) -> Model:
    """u from random within-practice pairs, m and prior by EM anchored on the hinted pairs."""
    u = estimate_u(level_matrix(compare(c.std, random_pairs(c.std))))
    return fit(c.gamma, u, c.legacy | c.by_id, c.by_id & ~c.legacy)


def fit_model(
    clients: pl.DataFrame,
    org_links: pl.DataFrame,
    sync_links: pl.DataFrame,
    practices: pl.DataFrame,
    decisions: pl.DataFrame | None = None,
) -> Model:
    """The model match() would fit on these practices: fit once, save it, then match every chunk with it."""
    return _fit(_compared(clients, org_links, sync_links, practices, decisions))


def match(
    clients: pl.DataFrame,
    org_links: pl.DataFrame,
    sync_links: pl.DataFrame,
    practices: pl.DataFrame,
    decisions: pl.DataFrame | None = None,
    *,
    auto_threshold: float = 0.995,
    review_threshold: float = 0.5,
    model: Model | None = None,
) -> MatchResult:
    """Links, crosswalk and suspect legacy links for every practice in `clients`, in one vectorised pass.

    With a `model`, nothing is estimated from this call's data, so a practice's results do not
    depend on which practices share the call; without one, the model is fitted on this call.
    """
    c = _compared(clients, org_links, sync_links, practices, decisions)
    if model is None:
        model = _fit(c)
    cmp, reviewed = c.cmp, c.reviewed
    mw, prob = score(c.gamma, model)
    cmp = cmp.with_columns(
        match_weight=pl.Series(mw), match_probability=pl.Series(prob), _evidence_w=pl.Series(mw - prior_weight(model))
    )
    cmp = decide(cmp.with_columns(_legacy=pl.Series(c.legacy)), auto_threshold, review_threshold)
    # review decisions override the model
    cmp = cmp.join(reviewed, on=["rid_l", "rid_r"], how="left", maintain_order="left").with_columns(
        decision=pl.when(pl.col("review") == "accept").then(pl.lit("auto"))
        .when(pl.col("review") == "reject").then(pl.lit("reject"))
        .otherwise(pl.col("decision")),
        veto=pl.when(pl.col("review") == "reject").then(pl.lit("rejected_in_review")).otherwise(pl.col("veto")),
    )
    cmp = cmp.with_columns(evidence=_evidence(cmp, level_weights(model)))
    labels_auto, labels = _cluster(c.std, cmp, reviewed)
    return _assemble(c.std, cmp, c.hints, reviewed, labels_auto, labels)


def _cluster(std: pl.DataFrame, cmp: pl.DataFrame, reviewed: pl.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Auto clusters, then proposed clusters (auto + review links, at most one auto cluster each)."""
    n = std.height
    rejected = reviewed.filter(pl.col("review") == "reject").select("rid_l", "rid_r")
    conflicts = _record_conflicts(std, rejected)
    edge = lambda f: cmp.filter(f).select(  # noqa: E731
        a="rid_l", b="rid_r", weight="match_weight", forced=(pl.col("review") == "accept").fill_null(False)
    )
    auto = constrained_components(n, edge(pl.col("decision") == "auto"), conflicts)
    size = np.bincount(auto, minlength=n)[auto]

    # stage two works on auto clusters as nodes: two merged clusters never join through review
    def cluster_conflicts(pairs: pl.DataFrame) -> pl.DataFrame:
        both_merged = pairs.filter(pl.Series(size[pairs["a"].to_numpy()] > 1) & pl.Series(size[pairs["b"].to_numpy()] > 1))
        ra, rb = auto[rejected["rid_l"].to_numpy()], auto[rejected["rid_r"].to_numpy()]
        rej_nodes = pl.DataFrame({"a": np.minimum(ra, rb), "b": np.maximum(ra, rb)})
        rej = pairs.join(rej_nodes, on=["a", "b"])
        return pl.concat([both_merged, rej.select("a", "b")]).unique()

    review = edge(pl.col("decision") == "review").with_columns(
        a=pl.Series(auto[cmp.filter(pl.col("decision") == "review")["rid_l"].to_numpy()]),
        b=pl.Series(auto[cmp.filter(pl.col("decision") == "review")["rid_r"].to_numpy()]),
    ).filter(pl.col("a") != pl.col("b"))
    review = review.select(a=pl.min_horizontal("a", "b"), b=pl.max_horizontal("a", "b"), weight="weight", forced="forced")
    proposed = constrained_components(n, review, cluster_conflicts)[auto]
    return auto, proposed


def _assemble(std, cmp, hints, reviewed, labels_auto, labels) -> MatchResult:
    """client_match links, crosswalk and suspect links from the clustered comparison."""
    n = std.height
    size_auto = np.bincount(labels_auto, minlength=n)[labels_auto]
    size_prop = np.bincount(labels, minlength=n)[labels]
    rec = std.select("rid", "practice_id", "source", "source_client_id", "key").with_columns(
        _auto=pl.Series(labels_auto), _prop=pl.Series(labels),
        merge_status=pl.Series(np.where(size_auto > 1, "auto", np.where(size_prop > 1, "review", "unique"))),
    )
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
    out_links = links.filter((pl.col("decision") != "reject") | asserted).select(list(LINK_SCHEMA)).sort(
        ["practice_id", "source_l", "source_client_id_l", "source_r", "source_client_id_r"]
    )
    return MatchResult(links=out_links, crosswalk=crosswalk.cast(CROSSWALK_SCHEMA), suspect_links=suspects.cast(audit.SUSPECT_SCHEMA))
