"""The matcher's facade: standardise -> candidates -> compare -> model -> decide -> cluster, all practices at once."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from landing.frames import Frames
from transforms.candidates import candidate_pairs, hint_pairs
from transforms.compare import FIELDS, ID_FIELDS, compare
from transforms.decide import decide
from transforms.linked import related_pairs
from transforms.model import MATCH, NONMATCH, Model, estimate_u, expert_model, fit, level_matrix, level_weights, random_pairs, score
from transforms.profile import profile_levels
from transforms.resolve import CROSSWALK_SCHEMA, LINK_SCHEMA, assemble, cluster
from transforms.standardise import standardise
from transforms.calibrate import fit_calibration
from transforms.threshold import AUTO_FLOOR, FALLBACK, TARGET_PRECISION, expected_threshold

__all__ = ["MatchResult", "Model", "match", "fit_model", "candidates", "LINK_SCHEMA", "CROSSWALK_SCHEMA"]

REVIEW_THRESHOLD = 0.5
PROFILE_PASSES = 2
MIN_FIT_PAIRS = 1_000  # fewer candidate pairs than this say too little to fit a model on
RANDOM_PAIRS = 200_000  # enough to see every common level among unrelated clients; more only costs time
# name levels that say "these two names differ": a legacy link between them is not used to learn what a match is
_NAME_DIFFERS = ["surname_only", "given_only", "different", "generation_differs", "org_different", "couple_vs_single"]
# fields a veto rests on, left unknown to ask "would the rest of the evidence be certain?"
_VETO_FIELDS = {"identifier": ID_FIELDS, "dob": ["dob"], "org_link": ["orgs"]}


@dataclass
class MatchResult:
    links: pl.DataFrame
    crosswalk: pl.DataFrame
    suspect_links: pl.DataFrame
    auto_threshold: float | None = None  # the match probability automatic merges needed


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


def _evidence(weights: dict[str, np.ndarray]) -> pl.Expr:
    """JSON object per pair: field -> {level, weight}, null levels left out."""
    parts = []
    for f, levels in FIELDS.items():
        lvl = pl.col(f)
        name = lvl.replace_strict(dict(enumerate(levels)), return_dtype=pl.String)
        w = lvl.replace_strict(dict(enumerate(np.round(weights[f], 3).tolist())), return_dtype=pl.Float64)
        frag = pl.concat_str([pl.lit(f'"{f}":{{"level":"'), name, pl.lit('","weight":'), w.cast(pl.String), pl.lit("}")])
        parts.append(pl.when(lvl > 0).then(frag))
    return pl.lit("{") + pl.concat_str(parts, separator=",", ignore_nulls=True) + pl.lit("}")


def _with_related(cmp: pl.DataFrame, related: pl.DataFrame) -> pl.DataFrame:
    """The 'related' veto on pairs a source system records as two related clients (spouse, director, trustee)."""
    flag = cmp.select(pl.struct("rid_l", "rid_r").is_in(related.select(pl.struct("rid_l", "rid_r")).to_series().implode()))
    hit = flag.to_series()
    veto = pl.when(hit).then(pl.concat_str([pl.col("veto"), pl.lit("related")], separator=",", ignore_nulls=True)).otherwise(pl.col("veto"))
    return cmp.with_columns(veto=veto)


@dataclass
class _Compared:
    """One call's records, legacy hints, review decisions, related pairs and compared candidate pairs."""

    std: pl.DataFrame
    hints: pl.DataFrame
    reviewed: pl.DataFrame
    related: pl.DataFrame
    cmp: pl.DataFrame
    gamma: np.ndarray
    labels: np.ndarray  # MATCH for clean legacy links, NONMATCH for vetoed pairs, else FREE (0)


def _compared(frames: Frames, practices: pl.DataFrame, decisions) -> _Compared:
    """Standardise, block and compare; nothing here looks across practices."""
    std = standardise(frames, practices)
    hints = hint_pairs(std, frames.sync_link)
    reviewed = _decision_pairs(std, decisions)
    related = related_pairs(std, frames.relationship)
    pairs = candidate_pairs(std, pl.concat([hints.select("rid_l", "rid_r"), reviewed.select("rid_l", "rid_r")]))
    cmp = _with_related(compare(std, pairs), related)
    legacy = cmp.select(pl.struct("rid_l", "rid_r").is_in(hints.select(pl.struct("rid_l", "rid_r")).to_series().implode())).to_series()
    differs = cmp["name"].is_in([FIELDS["name"].index(x) for x in _NAME_DIFFERS])
    vetoed = cmp["veto"].is_not_null()
    # two identifiers whose check digits pass and agree: the same client, as surely as a legacy link
    by_id = cmp.select(pl.any_horizontal([pl.col(f) == 1 for f in ID_FIELDS])).to_series()
    sure = ((legacy | by_id) & ~differs).to_numpy()
    # a veto is not a label: a birthday keyed wrongly twice would teach the model that a duplicate's name,
    # number and address mean "two clients"; only a source system's own relationship record is one
    stated = cmp["veto"].str.contains("related").fill_null(False)
    labels = np.where(stated.to_numpy(), NONMATCH, np.where(sure & ~vetoed.to_numpy(), MATCH, 0))
    return _Compared(std, hints, reviewed, related, cmp, level_matrix(cmp), labels)


def candidates(frames: Frames, practices: pl.DataFrame) -> pl.DataFrame:
    """Every pair blocking proposes, keyed (practice_id, source_l, source_client_id_l, source_r, source_client_id_r)."""
    std = standardise(frames, practices)
    hints = hint_pairs(std, frames.sync_link)
    pairs = candidate_pairs(std, hints.select("rid_l", "rid_r"))
    keys = std.select("rid", "source", "source_client_id")
    return pairs.join(keys.rename(lambda c: c + "_l"), on="rid_l").join(keys.rename(lambda c: c + "_r"), on="rid_r").select(
        "practice_id", "source_l", "source_client_id_l", "source_r", "source_client_id_r"
    )


def _fit(c: _Compared) -> Model:
    """u from random within-practice pairs; the classes by EM; calibration and threshold for the target precision.

    A call with too few candidate pairs to learn from (a test, a handful of small practices) gets the
    expert starting values and the fallback threshold: fit a model on a real sample and pass it instead.
    """
    if len(c.gamma) < MIN_FIT_PAIRS:
        return expert_model(auto_threshold=FALLBACK)
    per_record = max(1, min(4, RANDOM_PAIRS // max(c.std.height, 1)))
    u = estimate_u(level_matrix(compare(c.std, random_pairs(c.std, per_record))))
    # every candidate pair trains the model, vetoed ones too: a veto is a function of the levels, so the
    # posterior of an unvetoed pattern is the same whether or not its vetoed neighbours are seen
    model = fit(c.gamma, u, c.labels)
    model.auto_threshold = _threshold(c, model)
    return model


def _gold(c: _Compared) -> tuple[np.ndarray, np.ndarray]:
    """Gold pairs (answered by identifiers whose check digits pass) with identifiers and birthday hidden: (levels, answer).

    Birthdays are hidden too, so a gold pair is judged as a pair with neither; they are not used as
    answers: a birthday keyed wrongly would count a true match as a wrong merge.
    """
    g = c.gamma
    col = {f: list(FIELDS).index(f) for f in FIELDS}
    ids = g[:, [col[f] for f in ID_FIELDS]]
    answer = np.where((ids == 1).any(axis=1), 1, np.where((ids == 2).any(axis=1), 0, -1))
    # a pair another rule separates is never merged, whatever its gold answer
    other = c.cmp["veto"].str.replace_all(r"\b(identifier|dob)\b", "").str.replace_all(",", "").str.len_chars().fill_null(0) > 0
    keep = (answer >= 0) & ~other.to_numpy()
    hidden = g[keep].copy()
    hidden[:, [col[f] for f in (*ID_FIELDS, "dob")]] = 0
    return hidden, answer[keep]


def _threshold(c: _Compared, model: Model) -> float:
    """Calibrate the model on the gold pairs, then the automatic threshold for the target precision."""
    hidden, answer = _gold(c)
    model.calibration = fit_calibration(score(hidden, model)[0], answer).to_dict() or None
    free = c.cmp["veto"].is_null().to_numpy()
    return expected_threshold(score(c.gamma[free], model)[1], TARGET_PRECISION, AUTO_FLOOR)


def fit_model(frames: Frames, practices: pl.DataFrame, decisions: pl.DataFrame | None = None) -> Model:
    """The model match() would fit on these practices: fit once, save it, then match every chunk with it."""
    return _fit(_compared(frames, practices, decisions))


def _unvetoed(gamma: np.ndarray, veto: pl.Series, model: Model) -> np.ndarray:
    """Per pair, the match probability with the fields its slip vetoes rest on left unknown (NaN where no veto)."""
    out = np.full(len(gamma), np.nan)
    has = veto.is_not_null().to_numpy()
    if not has.any():
        return out
    g = gamma[has].copy()
    names = veto.filter(veto.is_not_null())
    for rule, fields in _VETO_FIELDS.items():
        rows = names.str.contains(rf"\b{rule}\b").to_numpy()
        for f in fields:
            g[rows, list(FIELDS).index(f)] = 0
    out[has] = score(g, model)[1]
    return out


def match(
    frames: Frames,
    practices: pl.DataFrame,
    decisions: pl.DataFrame | None = None,
    *,
    auto_threshold: float | None = None,
    review_threshold: float = REVIEW_THRESHOLD,
    model: Model | None = None,
) -> MatchResult:
    """Links, crosswalk and suspect legacy links for every practice in `frames`, in one vectorised pass.

    With a `model`, nothing is estimated from this call's data, so a practice's results do not
    depend on which practices share the call; without one, the model is fitted on this call.
    `auto_threshold` None uses the model's own (chosen at fit time for TARGET_PRECISION).
    """
    c = _compared(frames, practices, decisions)
    if model is None:
        model = _fit(c)
    threshold = auto_threshold if auto_threshold is not None else model.auto_threshold
    mw, prob = score(c.gamma, model)
    cmp = c.cmp.with_columns(
        match_weight=pl.Series(mw), match_probability=pl.Series(prob), _p_unvetoed=pl.Series(_unvetoed(c.gamma, c.cmp["veto"], model))
    )
    cmp = decide(cmp, threshold, review_threshold)
    # review decisions override the model
    cmp = cmp.join(c.reviewed, on=["rid_l", "rid_r"], how="left", maintain_order="left").with_columns(
        decision=pl.when(pl.col("review") == "accept").then(pl.lit("auto"))
        .when(pl.col("review") == "reject").then(pl.lit("reject"))
        .otherwise(pl.col("decision")),
        veto=pl.when(pl.col("review") == "reject").then(pl.lit("rejected_in_review")).otherwise(pl.col("veto")),
    )
    cmp = cmp.with_columns(evidence=_evidence(level_weights(model)))
    conflicts = _conflicts(c.std, c.reviewed, c.related, c.cmp)
    labels_auto, labels = cluster(c.std.height, cmp, c.reviewed, conflicts)
    for _ in range(PROFILE_PASSES):
        doubted = _doubted(cmp, labels_auto, model, threshold)
        if len(doubted) == 0:
            break
        # a member its cluster's other records contradict is reviewed, not merged: its automatic links become proposals
        touches = pl.col("rid_l").is_in(doubted) | pl.col("rid_r").is_in(doubted)
        demote = (pl.col("decision") == "auto") & touches & pl.col("review").is_null()
        cmp = cmp.with_columns(
            veto=pl.when(demote).then(pl.lit("cluster_profile")).otherwise(pl.col("veto")),
            decision=pl.when(demote).then(pl.lit("review")).otherwise(pl.col("decision")),
        )
        labels_auto, labels = cluster(c.std.height, cmp, c.reviewed, conflicts)
    links, crosswalk, suspects = assemble(c.std, cmp, c.hints, c.reviewed, labels_auto, labels)
    return MatchResult(links=links, crosswalk=crosswalk, suspect_links=suspects, auto_threshold=threshold)


def _doubted(cmp: pl.DataFrame, labels: np.ndarray, model: Model, threshold: float) -> np.ndarray:
    """Records of automatic clusters whose profile against the rest of their cluster scores below the threshold."""
    rid, gamma = profile_levels(cmp, labels)
    if len(rid) == 0:
        return rid
    return rid[score(gamma, model)[1] < threshold]


def _conflicts(std: pl.DataFrame, reviewed: pl.DataFrame, related: pl.DataFrame, cmp: pl.DataFrame):
    """conflicts(pairs) for clustering: pairs a hard rule separates, related pairs, and pairs a reviewer rejected.

    Candidate pairs were compared already; only pairs a chain of links brought together are compared here.
    """
    rejected = reviewed.filter(pl.col("review") == "reject").select("rid_l", "rid_r")
    apart = pl.concat([rejected, related.select("rid_l", "rid_r")]).unique()
    known = cmp.select("rid_l", "rid_r", "veto")

    def conflicts(pairs: pl.DataFrame) -> pl.DataFrame:
        if pairs.height == 0:
            return pairs
        p = pairs.select(rid_l=pl.min_horizontal("a", "b"), rid_r=pl.max_horizontal("a", "b"))
        seen = p.join(known, on=["rid_l", "rid_r"])
        new = p.join(known, on=["rid_l", "rid_r"], how="anti")
        fresh = compare(std, new).select("rid_l", "rid_r", "veto") if new.height else seen.clear()
        vetoed = pl.concat([seen, fresh]).filter(pl.col("veto").is_not_null()).select(a="rid_l", b="rid_r")
        rej = p.join(apart, on=["rid_l", "rid_r"]).select(a="rid_l", b="rid_r")
        return pl.concat([vetoed, rej]).unique()

    return conflicts
