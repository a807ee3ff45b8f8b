"""The matcher's facade: standardise -> candidates -> compare -> model -> decide -> cluster, all practices at once."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass

import numpy as np
import polars as pl

from landing.frames import Frames
from transforms.candidates import candidate_pairs, hint_pairs
from transforms.compare import FIELDS, ID_FIELDS, Features, common_dobs, compare
from transforms.decide import decide
from transforms.linked import related_pairs
from transforms.model import (
    MATCH, NONMATCH, Model, estimate_u, expert_model, fit, level_matrix, level_weights, patterns, random_pairs, score,
)  # fmt: skip
from transforms.profile import likeliest, profile_levels
from transforms.resolve import CROSSWALK_SCHEMA, LINK_SCHEMA, assemble, cluster, merge_statuses
from transforms.standardise import standardise
from transforms.calibrate import fit_calibrations, pair_kinds
from transforms.threshold import AUTO_FLOOR, EXPERT_THRESHOLD, REVIEW_BUDGET, TARGET_PRECISION, budget_threshold, expected_threshold, reaches_target, shown_share

__all__ = [
    "MatchResult", "Model", "Compared", "match", "match_compared", "fit_model", "fit_compared", "candidates", "LINK_SCHEMA",
    "CROSSWALK_SCHEMA",
]

REVIEW_THRESHOLD = 0.5
PROFILE_PASSES = 2
MIN_FIT_PAIRS = 1_000  # fewer candidate pairs than this say too little to fit a model on
RANDOM_PAIRS = 200_000  # enough to see every common level among unrelated clients; more only costs time
# name levels that say "these two names differ": a legacy link between them is not used to learn what a match is
_NAME_DIFFERS = ["surname_only", "given_only", "different", "generation_differs", "org_different", "couple_vs_single"]
# a record whose second-best link into another client is within this much match weight of its best automatic link
# is torn between the two (QA11 D7): its links go to review, veto AMBIGUOUS
AMBIGUOUS_MARGIN = 1.0
AMBIGUOUS = "ambiguous"
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
    """JSON object per pair: field -> {level, weight}, null levels left out (one fragment per field and level)."""
    parts = []
    for f, levels in FIELDS.items():
        w = pl.Series(np.round(weights[f][1:], 3)).cast(pl.String).to_list()
        fragments = [None] + [f'"{f}":{{"level":"{name}","weight":{v}}}' for name, v in zip(levels[1:], w, strict=True)]
        parts.append(pl.col(f).replace_strict(dict(enumerate(fragments)), return_dtype=pl.String))
    return pl.lit("{") + pl.concat_str(parts, separator=",", ignore_nulls=True) + pl.lit("}")


def _with_related(cmp: pl.DataFrame, related: pl.DataFrame) -> pl.DataFrame:
    """The 'related' veto on pairs a source system records as two related clients (spouse, director, trustee)."""
    flag = cmp.select(pl.struct("rid_l", "rid_r").is_in(related.select(pl.struct("rid_l", "rid_r")).to_series().implode()))
    hit = flag.to_series()
    veto = pl.when(hit).then(pl.concat_str([pl.col("veto"), pl.lit("related")], separator=",", ignore_nulls=True)).otherwise(pl.col("veto"))
    return cmp.with_columns(veto=veto)


@dataclass
class Compared:
    """One call's records, legacy hints, review decisions, related pairs and compared candidate pairs.

    Opaque to callers: fit_compared makes one, match_compared finishes it (score, decide, cluster).
    """

    std: pl.DataFrame
    hints: pl.DataFrame
    reviewed: pl.DataFrame
    related: pl.DataFrame
    cmp: pl.DataFrame
    gamma: np.ndarray
    labels: np.ndarray  # MATCH for clean legacy links, NONMATCH for vetoed pairs, else FREE (0)
    features: Features  # std's features as compare reads them, built once per call
    common_dobs: list[str]  # placeholder birthdays (the model's, or this call's when it is fitted here)


Stage = Callable[[str], AbstractContextManager]


def _untimed(name: str) -> AbstractContextManager:
    return nullcontext()


def _compared(frames: Frames, practices: pl.DataFrame, decisions, model: Model | None = None, stage: Stage = _untimed) -> Compared:
    """Standardise, block and compare; nothing here looks across practices.

    Placeholder birthdays are the stored model's; without one, they are counted on this call (it is the
    sample the model will be fitted on).
    """
    with stage("match.standardise"):
        std = standardise(frames, practices)
        common = common_dobs(std) if model is None or model.common_dobs is None else model.common_dobs
    with stage("match.candidates"):
        hints = hint_pairs(std, frames.sync_link)
        reviewed = _decision_pairs(std, decisions)
        related = related_pairs(std, frames.relationship)
        pairs = candidate_pairs(std, pl.concat([hints.select("rid_l", "rid_r"), reviewed.select("rid_l", "rid_r")]))
    with stage("match.compare"):
        features = Features(std, common)
        cmp = _with_related(compare(std, pairs, features), related)
        return _labelled(std, hints, reviewed, related, cmp, features, common)


def _labelled(std, hints, reviewed, related, cmp: pl.DataFrame, features: Features, common: list[str]) -> Compared:
    """The compared pairs with their training labels: legacy links and agreeing identifiers are matches."""
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
    return Compared(std, hints, reviewed, related, cmp, level_matrix(cmp), labels, features, common)


def candidates(frames: Frames, practices: pl.DataFrame) -> pl.DataFrame:
    """Every pair blocking proposes, keyed (practice_id, source_l, source_client_id_l, source_r, source_client_id_r)."""
    std = standardise(frames, practices)
    hints = hint_pairs(std, frames.sync_link)
    pairs = candidate_pairs(std, hints.select("rid_l", "rid_r"))
    keys = std.select("rid", "source", "source_client_id")
    return pairs.join(keys.rename(lambda c: c + "_l"), on="rid_l").join(keys.rename(lambda c: c + "_r"), on="rid_r").select(
        "practice_id", "source_l", "source_client_id_l", "source_r", "source_client_id_r"
    )


def _fit(c: Compared) -> Model:
    """u from random within-practice pairs; the classes by EM; calibration and threshold for the target precision.

    A call with too few candidate pairs to learn from (a test, a handful of small practices) gets the
    expert starting values and EXPERT_THRESHOLD: fit a model on a real sample and pass it instead.
    """
    if len(c.gamma) < MIN_FIT_PAIRS:
        model = expert_model(auto_threshold=EXPERT_THRESHOLD)
        model.common_dobs = c.common_dobs
        return model
    per_record = max(1, min(4, RANDOM_PAIRS // max(c.std.height, 1)))
    u = estimate_u(level_matrix(compare(c.std, random_pairs(c.std, per_record), c.features)))
    # every candidate pair trains the model, vetoed ones too: a veto is a function of the levels, so the
    # posterior of an unvetoed pattern is the same whether or not its vetoed neighbours are seen
    model = fit(c.gamma, u, c.labels)
    model.common_dobs = c.common_dobs
    model.auto_threshold = _threshold(c, model)
    model.review_threshold = _review_threshold(c, model)
    return model


def _gold(c: Compared) -> tuple[np.ndarray, np.ndarray]:
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


def _threshold(c: Compared, model: Model) -> float:
    """Calibrate the model on the gold pairs, then the automatic threshold for the target precision.

    Where the gold pairs cannot vouch for the target on average (a small zone: the threshold falls to its
    floor and each pair is guarded alone), the model keeps the vouched maps instead (transforms.calibrate):
    a pair at the thin bottom of a sure block then goes to a person, not in with the block's plain duplicates.
    """
    hidden, answer = _gold(c)
    mw, kinds = score(hidden, model)[0], pair_kinds(hidden)
    model.calibration = fit_calibrations(mw, answer, kinds)
    free = c.cmp["veto"].is_null().to_numpy()
    if not reaches_target(score(c.gamma[free], model)[1], TARGET_PRECISION, AUTO_FLOOR):
        model.calibration = fit_calibrations(mw, answer, kinds, vouched=True)
    return expected_threshold(score(c.gamma[free], model)[1], TARGET_PRECISION, AUTO_FLOOR)


def _review_threshold(c: Compared, model: Model) -> float:
    """The review threshold that keeps the fitting sample's review load within REVIEW_BUDGET (transforms.threshold)."""
    cmp, _, _ = _scored(c, model)
    prob = cmp["match_probability"].to_numpy()
    d = decide(cmp, model.auto_threshold, REVIEW_THRESHOLD)["decision"]
    l, r = c.cmp["rid_l"].to_numpy(), c.cmp["rid_r"].to_numpy()
    auto, review = (d == "auto").to_numpy(), (d == "review").to_numpy()
    # clustering constraints and the profile check turn some automatic links into proposals after this
    # estimate: a tenth of the budget is kept for them, and where the whole decision on the sample still
    # shows reviewers more than the budget, the excess comes off the proposals' share
    budget = REVIEW_BUDGET * 0.9
    threshold = budget_threshold(l, r, prob, auto, review, c.std.height, budget, REVIEW_THRESHOLD)
    excess = _review_share(c, cmp, model, threshold) - REVIEW_BUDGET
    if excess > 0:
        shown = shown_share(l, r, prob, auto, review, c.std.height, threshold)
        threshold = budget_threshold(l, r, prob, auto, review, c.std.height, max(shown - excess, 0.0), REVIEW_THRESHOLD)
    return threshold


def _review_share(c: Compared, cmp: pl.DataFrame, model: Model, review_threshold: float) -> float:
    """Share of the records that match() would leave awaiting review at these thresholds, clusters included."""
    decided = _reviewed(decide(cmp, model.auto_threshold, review_threshold), c.reviewed)
    _, labels_auto, labels = _clusters(c, decided, model, model.auto_threshold)
    return float((merge_statuses(labels_auto, labels) == "review").mean()) if len(labels) else 0.0


def fit_model(frames: Frames, practices: pl.DataFrame, decisions: pl.DataFrame | None = None) -> Model:
    """The model match() would fit on these practices: fit once, save it, then match every chunk with it."""
    return fit_compared(frames, practices, decisions)[0]


def fit_compared(frames: Frames, practices: pl.DataFrame, decisions: pl.DataFrame | None = None) -> tuple[Model, Compared]:
    """fit_model, with the comparison it was fitted on: match_compared(compared, model) then matches these
    practices as match(frames, practices, decisions, model=model) would, without comparing them again."""
    c = _compared(frames, practices, decisions)
    return _fit(c), c


def _scored(c: Compared, model: Model) -> tuple[pl.DataFrame, np.ndarray, np.ndarray]:
    """The compared pairs with match_weight, match_probability and _p_unvetoed; pairs with the same levels score
    alike, so each distinct pattern is scored once. Also the patterns and each pair's pattern (for the evidence)."""
    pattern, _, _, which = patterns(c.gamma)
    mw, prob = score(pattern, model)
    cmp = c.cmp.with_columns(
        match_weight=pl.Series(mw[which]), match_probability=pl.Series(prob[which]),
        _p_unvetoed=pl.Series(_unvetoed(c.gamma, c.cmp["veto"], model)),
    )
    return cmp, pattern, which


def _unvetoed(gamma: np.ndarray, veto: pl.Series, model: Model) -> np.ndarray:
    """Per pair, the match probability with the fields its slip vetoes rest on left unknown (NaN where no veto)."""
    out = np.full(len(gamma), np.nan)
    has = veto.is_not_null().to_numpy()
    if not has.any():
        return out
    g = gamma[has].copy()
    names = veto.filter(veto.is_not_null())
    kinds = names.unique()  # a few combinations of rules
    for rule, fields in _VETO_FIELDS.items():
        rows = names.is_in(kinds.filter(kinds.str.contains(rf"\b{rule}\b")).implode()).to_numpy()
        for f in fields:
            g[rows, list(FIELDS).index(f)] = 0
    pattern, _, _, which = patterns(g)
    out[has] = score(pattern, model)[1][which]
    return out


def match(
    frames: Frames,
    practices: pl.DataFrame,
    decisions: pl.DataFrame | None = None,
    *,
    auto_threshold: float | None = None,
    review_threshold: float = REVIEW_THRESHOLD,
    model: Model | None = None,
    stage: Stage = _untimed,
) -> MatchResult:
    """Links, crosswalk and suspect legacy links for every practice in `frames`, in one vectorised pass.

    With a `model`, nothing is estimated from this call's data, so a practice's results do not
    depend on which practices share the call; without one, the model is fitted on this call.
    `auto_threshold` None uses the model's own (chosen at fit time for TARGET_PRECISION); `review_threshold`
    is the lowest probability a person is shown, raised to the model's own when the fitting sample's
    proposals would show reviewers more than REVIEW_BUDGET of the records.
    `stage(name)` is entered around each step (match.standardise, .candidates, .compare, .score, .cluster): a
    caller's stopwatch, for the run's timings.
    """
    c = _compared(frames, practices, decisions, model, stage)
    if model is None:
        model = _fit(c)
    return match_compared(c, model, auto_threshold=auto_threshold, review_threshold=review_threshold, stage=stage)


def match_compared(
    c: Compared, model: Model, *, auto_threshold: float | None = None, review_threshold: float = REVIEW_THRESHOLD,
    stage: Stage = _untimed,
) -> MatchResult:
    """match() after its comparison: score with `model`, decide, cluster (arguments as for match).

    `model` must be the one fitted on `c` (fit_compared), or one whose placeholder birthdays `c` was compared with.
    """
    threshold = auto_threshold if auto_threshold is not None else model.auto_threshold
    review_threshold = max(review_threshold, model.review_threshold or 0.0)
    with stage("match.score"):
        cmp, pattern, which = _scored(c, model)
        # each distinct pattern's evidence is written once
        evidence = pl.DataFrame(pattern, schema=list(FIELDS), orient="row").select(_evidence(level_weights(model))).to_series()
        cmp = _reviewed(decide(cmp.with_columns(evidence=evidence.gather(which)), threshold, review_threshold), c.reviewed)
    with stage("match.cluster"):
        return _clustered(c, cmp, model, threshold)


def _reviewed(cmp: pl.DataFrame, reviewed: pl.DataFrame) -> pl.DataFrame:
    """The decided pairs with the review decisions people made, which override the model."""
    return cmp.join(reviewed, on=["rid_l", "rid_r"], how="left", maintain_order="left").with_columns(
        decision=pl.when(pl.col("review") == "accept").then(pl.lit("auto"))
        .when(pl.col("review") == "reject").then(pl.lit("reject"))
        .otherwise(pl.col("decision")),
        veto=pl.when(pl.col("review") == "reject").then(pl.lit("rejected_in_review")).otherwise(pl.col("veto")),
    )


def _clustered(c: Compared, cmp: pl.DataFrame, model: Model, threshold: float) -> MatchResult:
    """Clusters of the decided pairs, their members doubted by their own cluster demoted to review, as a MatchResult."""
    cmp, labels_auto, labels = _clusters(c, cmp, model, threshold)
    links, crosswalk, suspects = assemble(c.std, cmp, c.hints, c.reviewed, labels_auto, labels, held_from=REVIEW_THRESHOLD)
    return MatchResult(links=links, crosswalk=crosswalk, suspect_links=suspects, auto_threshold=threshold)


def _clusters(c: Compared, cmp: pl.DataFrame, model: Model, threshold: float) -> tuple[pl.DataFrame, np.ndarray, np.ndarray]:
    """The decided pairs after the profile check (doubted members' automatic links demoted to review), with the
    automatic and the proposed cluster label per record."""
    conflicts = _conflicts(c.std, c.reviewed, c.related, c.cmp, c.features, _exact_partners(cmp, c.std.height))
    labels_auto, labels = cluster(c.std.height, cmp, c.reviewed, conflicts)
    torn = _ambiguous(cmp, labels_auto)
    if len(torn):
        # a record between two clients it scores nearly alike with is not certain: its automatic links become proposals
        cmp = _demoted(cmp, torn, AMBIGUOUS)
        labels_auto, labels = cluster(c.std.height, cmp, c.reviewed, conflicts)
    for _ in range(PROFILE_PASSES):
        doubted = _doubted(cmp, labels_auto, model, threshold, c.std)
        if len(doubted) == 0:
            break
        # a member its cluster's other records contradict is reviewed, not merged: its automatic links become proposals
        cmp = _demoted(cmp, doubted, "cluster_profile")
        labels_auto, labels = cluster(c.std.height, cmp, c.reviewed, conflicts)
    return cmp, labels_auto, labels


def _demoted(cmp: pl.DataFrame, rids: np.ndarray, reason: str) -> pl.DataFrame:
    """The decided pairs with the automatic links of `rids` (not ones a person accepted) made proposals, veto `reason`."""
    touches = pl.col("rid_l").is_in(rids) | pl.col("rid_r").is_in(rids)
    demote = (pl.col("decision") == "auto") & touches & pl.col("review").is_null()
    return cmp.with_columns(
        veto=pl.when(demote).then(pl.lit(reason)).otherwise(pl.col("veto")),
        decision=pl.when(demote).then(pl.lit("review")).otherwise(pl.col("decision")),
    )


def _ambiguous(cmp: pl.DataFrame, labels: np.ndarray) -> np.ndarray:
    """Records torn between two clients (QA11 D7: HQ "Sam Lee", no birthday, one mailbox with spouses Samuel and Samantha
    Lee in XPM): the record's strongest automatic link into its own automatic cluster is matched, within AMBIGUOUS_MARGIN
    of match weight, by a link a person would be shown (or an automatic link the constraints refused) to a record of
    another automatic cluster. Nothing tells which of the two the record is; a reviewer decides (a record with a link a
    person accepted is theirs: left as it is)."""
    live = cmp.filter(pl.col("decision").is_in(["auto", "review"])).select(
        "rid_l", "rid_r", "match_weight", "decision", accepted=(pl.col("review") == "accept").fill_null(False)
    )
    if live.height == 0:
        return np.zeros(0, dtype=np.int64)
    both = pl.concat([
        live.select(rid="rid_l", other="rid_r", w="match_weight", decision="decision", accepted="accepted"),
        live.select(rid="rid_r", other="rid_l", w="match_weight", decision="decision", accepted="accepted"),
    ])  # fmt: skip
    both = both.with_columns(
        inside=pl.Series(labels[both["rid"].to_numpy()] == labels[both["other"].to_numpy()]),
    )
    per = both.group_by("rid").agg(
        best_in=pl.col("w").filter(pl.col("inside") & (pl.col("decision") == "auto")).max(),
        best_out=pl.col("w").filter(~pl.col("inside")).max(),
        decided=pl.col("accepted").any(),
    )
    # a record a person already joined to a client is not asked about again
    near = pl.col("best_out") >= pl.col("best_in") - AMBIGUOUS_MARGIN
    torn = per.filter(pl.col("best_in").is_not_null() & near & ~pl.col("decided"))
    return torn["rid"].sort().to_numpy()


def _doubted(cmp: pl.DataFrame, labels: np.ndarray, model: Model, threshold: float, std: pl.DataFrame) -> np.ndarray:
    """Records of automatic clusters whose profile against the rest of their cluster scores below the threshold."""
    rid, gamma, reach = profile_levels(cmp, labels, std.select("practice_id", "source", "full_name", "name_in_source"), reached=True)
    if len(rid) == 0:
        return rid
    # where a record reaches several levels of a field, the profile reads the one the zone's model finds likeliest a match
    gamma, p = likeliest(gamma, reach, lambda g: score(g, model)[1])
    # a cluster that holds every record of its name in a system explains the repeat: it counts neither for nor
    # against the record, so the profile takes whichever reading the zone's model finds likelier a match (where
    # one system holds duplicates keyed twice, as in one-list data, the repeat is the reassuring reading)
    j, once = list(FIELDS).index("name_count"), FIELDS["name_count"].index("once_per_system")
    explained = gamma[:, j] == once
    if explained.any():
        repeat = gamma[explained].copy()
        repeat[:, j] = FIELDS["name_count"].index("repeated_in_a_system")
        p[explained] = np.maximum(p[explained], score(repeat, model)[1])
    return rid[p < threshold]


def _exact_partners(decided: pl.DataFrame, n: int) -> np.ndarray:
    """Per record: does an automatic link join it to a record of exactly its name (person names)?"""
    exact = decided.filter((pl.col("decision") == "auto") & (pl.col("name") == FIELDS["name"].index("exact")))
    out = np.zeros(n, dtype=bool)
    out[exact["rid_l"].to_numpy()] = True
    out[exact["rid_r"].to_numpy()] = True
    return out


def _own_in_common(cmp: pl.DataFrame) -> np.ndarray:
    """Per compared pair: do the two share what is one person's own (a tax number, or one slip of it; a mailbox; a
    mobile)? Then two records of one system are one client keyed twice ("Charlie" and "Charlotte Tipene", one TFN and
    one mailbox, in XPM and in Tax alike), not twins."""
    lvl = lambda f, *names: pl.col(f).is_in([FIELDS[f].index(x) for x in names])  # noqa: E731
    own = lvl("tax_no", "exact", "one_slip") | lvl("email", "exact") | lvl("mobile", "shared")
    return cmp.select(own.fill_null(False)).to_series().to_numpy()


def _twins(features: Features, partnered: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Per pair: two people of one system whose given names differ in every reading, each joined automatically to a
    record of exactly its own name (QA11 D2: twins Emma and Emily Wilson, in XPM and in HQ each). Two records that
    live side by side in one system and each meet their own namesake elsewhere are two clients, as far as a machine
    can tell, however alike their names ("Jack" / "John" are one nickname family): a cluster never holds both
    automatically, and the cross links that would join them go to a person (veto cluster_conflict). Unless the two
    share a tax number, a mailbox or a mobile (_own_in_common: a client keyed twice), checked by the caller."""
    f = features
    person = (f.num["kind"][lo] != 2) & (f.num["kind"][hi] != 2)
    same_system = f.plain["source"][lo] == f.plain["source"][hi]
    codes = f.names.codes
    known = (codes["given"][lo] >= 0) & (codes["given"][hi] >= 0)
    alike = np.logical_or.reduce([
        (codes[a][lo] >= 0) & (codes[a][lo] == codes[b][hi]) for a in ("given", "given_alt", "given_legal")
        for b in ("given", "given_alt", "given_legal")
    ])  # fmt: skip
    return person & same_system & known & ~alike & partnered[lo] & partnered[hi]


def _conflicts(std: pl.DataFrame, reviewed: pl.DataFrame, related: pl.DataFrame, cmp: pl.DataFrame, features: Features,
               partnered: np.ndarray | None = None):  # fmt: skip
    """conflicts(pairs) for clustering: pairs a hard rule separates, related pairs, pairs a reviewer rejected, and
    two people of one system each joined to an exact namesake of their own (_twins, with `partnered` from
    _exact_partners).

    Candidate pairs were compared already; only pairs a chain of links brought together are compared here.
    """
    n = max(std.height, 1)
    code = lambda lo, hi: lo.astype(np.int64) * n + hi.astype(np.int64)  # noqa: E731
    rejected = reviewed.filter(pl.col("review") == "reject").select("rid_l", "rid_r")
    apart = pl.concat([rejected, related.select("rid_l", "rid_r")])
    apart = np.unique(code(apart["rid_l"].to_numpy(), apart["rid_r"].to_numpy()))
    order = np.argsort(known := code(cmp["rid_l"].to_numpy(), cmp["rid_r"].to_numpy()))
    known, known_veto = known[order], cmp["veto"].is_not_null().to_numpy()[order]
    known_own = _own_in_common(cmp)[order]

    def conflicts(pairs: pl.DataFrame) -> pl.DataFrame:
        if pairs.height == 0:
            return pairs
        a, b = pairs["a"].to_numpy(), pairs["b"].to_numpy()
        lo, hi = np.minimum(a, b), np.maximum(a, b)
        c = code(lo, hi)
        pos = np.minimum(np.searchsorted(known, c), max(len(known) - 1, 0))
        seen = known[pos] == c if len(known) else np.zeros(len(c), dtype=bool)
        vetoed = seen & (known_veto[pos] if len(known) else seen)
        own = seen & (known_own[pos] if len(known) else seen)
        if (~seen).any():
            fresh = compare(std, pl.DataFrame({"rid_l": lo[~seen], "rid_r": hi[~seen]}), features)
            vetoed[~seen] = fresh["veto"].is_not_null().to_numpy()
            own[~seen] = _own_in_common(fresh)
        bad = vetoed | np.isin(c, apart)
        if partnered is not None:
            bad |= _twins(features, partnered, lo, hi) & ~own
        return pl.DataFrame({"a": lo[bad], "b": hi[bad]}).unique()

    return conflicts
