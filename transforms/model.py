"""A latent-class match model: same client, same household (or namesake), or unrelated; fitted by EM per zone.

Fellegi-Sunter with two classes assumes that, between two different clients, agreement on each field
is independent. Inside a household it is not: spouses, a parent and a child of one name, the trust and
its trustee share surname, address, phone and often the mailbox. A third class, "household", gives
those pairs their own per-field distributions, so agreement that households share carries little
weight, and only what tells two people apart (birthday, identifiers, given name, own mailbox) can
make a pair certain. The probability of a match is the posterior of the "match" class.

EM runs over distinct level patterns (pairs with the same levels are one row with a count), anchored:
legacy links (sync, Tax's XPM reference) are matches, pairs a hard rule or a relationship record
separates are non-matches; each class is pulled toward its expert starting values, worth K_* pairs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from transforms.calibrate import calibrated as apply_calibration, pair_kinds
from transforms.compare import FIELDS
from transforms.priors import DEFAULT_H, DEFAULT_M, DEFAULT_U

__all__ = [
    "Model", "ModelMismatch", "FORMAT_VERSION", "DEFAULT_M", "DEFAULT_H", "DEFAULT_U", "MATCH", "NONMATCH", "level_matrix", "random_pairs",
    "estimate_u", "fit", "score", "level_weights", "prior_weight", "patterns", "expert_model", "monotone", "NAME_BELOW",
]

_PSEUDO = 0.5  # pseudo-count: a level never seen still gets a finite probability
K_M, K_H, K_U = 200.0, 200.0, 500.0

FORMAT_VERSION = 4  # 3: calibration per kind of pair (people, organisations); 4: no name level weighs more than exact (monotone): a model stored before is fitted again
MATCH, NONMATCH, FREE = 1, 2, 0  # fixed labels of training pairs


class ModelMismatch(ValueError):
    """A stored model this code cannot score with (other format, other comparison levels): refit it."""


@dataclass
class Model:
    """Per field, P(level | class): m for a match, u for unrelated clients, h for each related-but-different class.

    Level 0 (null) is unused. prior = P(match) and prior_h[k] = P(class h[k]) among candidate pairs;
    without `h` it is the two-class Fellegi-Sunter model.
    """

    m: dict[str, np.ndarray]
    u: dict[str, np.ndarray]
    prior: float
    iterations: int = 0
    h: list[dict[str, np.ndarray]] | None = None
    prior_h: list[float] | None = None
    auto_threshold: float | None = None  # chosen at fit time for the target precision (transforms.threshold)
    calibration: dict | None = None  # kind -> transforms.calibrate.Calibration as a dict, fitted on the zone's gold pairs
    common_dobs: list[str] | None = None  # birthdays too many records carry to tell clients apart (compare.common_dobs)
    review_threshold: float | None = None  # raised at fit time to keep the review load within budget (transforms.threshold)

    @property
    def fitted(self) -> bool:
        """Learned from data (EM ran); False for the expert starting values a call too small to fit on gets."""
        return self.iterations > 0

    def classes(self) -> tuple[list[dict[str, np.ndarray]], np.ndarray]:
        """Every class's distributions (match first, unrelated last) and their priors."""
        h, ph = self.h or [], list(self.prior_h or [])
        pri = np.array([self.prior, *ph, 0.0])
        pri[-1] = max(1.0 - pri[:-1].sum(), 1e-12)
        return [self.m, *h, self.u], pri

    def to_dict(self) -> dict:
        """JSON-serialisable form; floats round-trip exactly, so scores from the copy are identical."""
        table = lambda d: {f: [float(x) for x in d[f]] for f in FIELDS}  # noqa: E731
        out = {
            "format_version": FORMAT_VERSION,
            # the level names pin what each array index means: a model from other levels is refused
            "fields": {f: list(levels) for f, levels in FIELDS.items()},
            "m": table(self.m),
            "u": table(self.u),
            "prior": float(self.prior),
            "iterations": int(self.iterations),
        }
        if self.h:
            out["h"] = [table(h) for h in self.h]
            out["prior_h"] = [float(x) for x in self.prior_h]
        if self.auto_threshold is not None:
            out["auto_threshold"] = float(self.auto_threshold)
        if self.calibration:
            out["calibration"] = self.calibration
        if self.common_dobs is not None:
            out["common_dobs"] = list(self.common_dobs)
        if self.review_threshold is not None:
            out["review_threshold"] = float(self.review_threshold)
        return out

    @staticmethod
    def from_dict(d: dict) -> "Model":
        """The model to_dict wrote; ModelMismatch if it was made for another format or other levels."""
        if d.get("format_version") != FORMAT_VERSION:
            raise ModelMismatch(f"model format {d.get('format_version')!r}, this code reads {FORMAT_VERSION}")
        if d.get("fields") != {f: list(levels) for f, levels in FIELDS.items()}:
            raise ModelMismatch("model was fitted on other comparison fields or levels")
        arr = lambda t: {f: np.asarray(t[f], dtype=np.float64) for f in FIELDS}  # noqa: E731
        threshold = d.get("auto_threshold")
        return Model(
            m=arr(d["m"]), u=arr(d["u"]), prior=float(d["prior"]), iterations=int(d.get("iterations", 0)),
            h=[arr(h) for h in d["h"]] if "h" in d else None,
            prior_h=[float(x) for x in d["prior_h"]] if "prior_h" in d else None,
            auto_threshold=None if threshold is None else float(threshold), calibration=d.get("calibration"),
            common_dobs=d.get("common_dobs"), review_threshold=d.get("review_threshold"),
        )  # fmt: skip


def expert_model(auto_threshold: float | None = None) -> Model:
    """The expert starting values as a model (no data): for calls too small to fit on."""
    norm = lambda d: {f: np.asarray(v, dtype=np.float64) / sum(v[1:]) for f, v in d.items()}  # noqa: E731
    return monotone(Model(m=norm(DEFAULT_M), u=norm(DEFAULT_U), prior=0.3, h=[norm(h) for h in DEFAULT_H],
                          prior_h=[0.1] * len(DEFAULT_H), auto_threshold=auto_threshold))  # fmt: skip


# name levels that say less than an exact name (person) or an exact organisation name: none may weigh more
_PERSON_WEAKER = [
    "nickname", "fuzzy", "initial", "swapped", "surname_only", "given_only", "different", "generation_differs", "given_missing",
    "generation_one_side", "couple_vs_single",
]  # fmt: skip
_ORG_WEAKER = [
    "org_fuzzy", "org_partial", "org_different", "partnership_partial", "org_exact_other_type", "org_fuzzy_other_type",
    "org_partial_other_type",
]  # fmt: skip
NAME_BELOW = {"exact": _PERSON_WEAKER, "org_exact": _ORG_WEAKER}


def monotone(model: Model) -> Model:
    """The model with no name level weighing more than the exact name it is weaker than (level_weights, the evidence).

    The classes explain agreement differently: namesakes (a parent and a child of one name) share an exact name far
    more often than a nickname pair, so a model left alone can find "Emma" ~ "Emily" stronger evidence of one person
    than "Emily" ~ "Emily" (QA11 D2, the expert values: +3.05 against +2.65). Here P(level | match) of each weaker
    level is capped so that its weight, log2 P(level | match) / P(level | not a match) with the other classes mixed by
    their priors, is at most the exact level's; m is then renormalised (which shifts every weight alike).

    Per class it is not held: a weaker level may tell a match from one related class better than an exact name does
    (a given name alone, the surname changed, is no parent and child of one name). Capped per class, the sweep's geco
    zones lost recall (benchmarks/HISTORY.md, Session 35)."""
    levels = FIELDS["name"]
    dists, pri = model.classes()
    rest = pri[1:] / pri[1:].sum()
    non = sum(w * d["name"] for w, d in zip(rest, dists[1:], strict=True))
    m = model.m["name"].copy()
    for strong, weaker in NAME_BELOW.items():
        e = levels.index(strong)
        for name in weaker:
            w = levels.index(name)
            m[w] = min(m[w], non[w] * m[e] / non[e])
    m[0] = 0.0
    model.m = {**model.m, "name": m / m[1:].sum()}
    return model


def level_matrix(cmp: pl.DataFrame) -> np.ndarray:
    """(pairs x fields) int8 levels in FIELDS order."""
    if cmp.height == 0:
        return np.zeros((0, len(FIELDS)), dtype=np.int8)
    return cmp.select(list(FIELDS)).to_numpy().astype(np.int8)


def patterns(gamma: np.ndarray, labels: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Distinct (levels, label) rows: (pattern levels, pattern labels, counts, pattern index per pair)."""
    radix = np.array([len(v) for v in FIELDS.values()] + [3], dtype=np.int64)
    lab = np.zeros(len(gamma), dtype=np.int64) if labels is None else labels.astype(np.int64)
    full = np.concatenate([gamma.astype(np.int64), lab[:, None]], axis=1)
    weights = np.concatenate([np.cumprod(radix[::-1])[::-1][1:], [1]])
    code = full @ weights
    uniq, first, inverse, counts = np.unique(code, return_index=True, return_inverse=True, return_counts=True)
    return full[first, :-1].astype(np.int8), full[first, -1], counts.astype(np.float64), inverse


def random_pairs(std: pl.DataFrame, per_record: int = 4, seed: int = 0) -> pl.DataFrame:
    """(rid_l, rid_r): random distinct pairs inside each practice, about per_record per record."""
    bounds = std.group_by("practice_id").agg(start=pl.col("rid").min(), size=pl.len())
    r = std.select("rid", "practice_id").join(bounds, on="practice_id").sort("rid")
    rng = np.random.default_rng(seed)
    rid = np.repeat(r["rid"].to_numpy(), per_record)
    start = np.repeat(r["start"].to_numpy(), per_record)
    size = np.repeat(r["size"].to_numpy(), per_record)
    other = start + np.floor(rng.random(len(rid)) * size).astype(np.int64)
    keep = other != rid
    a, b = rid[keep], other[keep]
    return pl.DataFrame({"rid_l": np.minimum(a, b), "rid_r": np.maximum(a, b)}).unique().sort(["rid_l", "rid_r"])


def _distribution(
    gamma: np.ndarray, default: dict[str, list[float]] | dict[str, np.ndarray], strength: float, weights: np.ndarray | None = None
) -> dict[str, np.ndarray]:
    """Per field, share of each non-null level (weighted), smoothed toward `default` worth `strength` pairs."""
    w = np.ones(len(gamma)) if weights is None else weights
    out = {}
    for j, (f, levels) in enumerate(FIELDS.items()):
        counts = np.bincount(gamma[:, j], weights=w, minlength=len(levels)).astype(np.float64)[: len(levels)]
        prior = np.asarray(default[f], dtype=np.float64)
        counts += strength * prior / prior[1:].sum()
        counts[0] = 0.0
        counts[1:] += _PSEUDO
        out[f] = counts / counts[1:].sum()
    return out


def estimate_u(gamma_random: np.ndarray) -> dict[str, np.ndarray]:
    """u probabilities from random pairs (almost all between unrelated clients)."""
    return _distribution(gamma_random, DEFAULT_U, K_U)


def _log_lik(gamma: np.ndarray, probs: dict[str, np.ndarray]) -> np.ndarray:
    total = np.zeros(len(gamma))
    for j, f in enumerate(FIELDS):
        lp = np.zeros_like(probs[f])
        lp[1:] = np.log(probs[f][1:])
        total += lp[gamma[:, j]]
    return total


def _class_log_lik(gamma: np.ndarray, model: Model) -> np.ndarray:
    """(pairs x classes) log P(levels, class), match first, unrelated last."""
    dists, pri = model.classes()
    return np.stack([_log_lik(gamma, d) + np.log(max(p, 1e-300)) for d, p in zip(dists, pri, strict=True)], axis=1)


def _posteriors(gamma: np.ndarray, model: Model) -> np.ndarray:
    """(pairs x classes) class posteriors, match first, unrelated last."""
    ll = _class_log_lik(gamma, model)
    ll -= ll.max(axis=1, keepdims=True)
    p = np.exp(ll)
    return p / p.sum(axis=1, keepdims=True)


def score(gamma: np.ndarray, model: Model, calibrated: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """(match_weight = log2 odds of a match, match_probability) per pair, through the model's calibration if it has one."""
    ll = _class_log_lik(gamma, model)
    lo = np.logaddexp.reduce(ll[:, 1:], axis=1)
    mw = (ll[:, 0] - lo) / np.log(2.0)
    if not (calibrated and model.calibration):
        return mw, 1.0 / (1.0 + np.exp2(-mw))
    p = apply_calibration(model.calibration, mw, pair_kinds(gamma))
    return np.log2(np.clip(p, 1e-12, 1 - 1e-12) / np.clip(1 - p, 1e-12, 1.0)), p


def prior_weight(model: Model) -> float:
    """log2 prior odds of a match among candidate pairs."""
    return float(np.log2(model.prior / (1.0 - model.prior)))


def level_weights(model: Model) -> dict[str, np.ndarray]:
    """log2(P(level | match) / P(level | not a match)) per field and level, non-match classes mixed by their priors."""
    dists, pri = model.classes()
    rest = pri[1:] / pri[1:].sum()
    out = {}
    for f in FIELDS:
        non = sum(w * d[f] for w, d in zip(rest, dists[1:], strict=True))
        w = np.zeros_like(model.m[f])
        w[1:] = np.log2(model.m[f][1:] / non[1:])
        out[f] = w
    return out


_SIZES = [len(v) for v in FIELDS.values()]
_OFFSETS = np.concatenate([[0], np.cumsum(_SIZES)[:-1]])


def _flat(gamma: np.ndarray) -> np.ndarray:
    """(rows x fields) index of each level among all levels of all fields."""
    return gamma.astype(np.int64) + _OFFSETS[None, :]


def _stack(dists: list[dict[str, np.ndarray]]) -> np.ndarray:
    """(all levels x classes) log-probabilities, 0 on null levels."""
    out = np.zeros((int(sum(_SIZES)), len(dists)))
    for k, d in enumerate(dists):
        for f, off in zip(FIELDS, _OFFSETS, strict=True):
            out[off + 1 : off + _SIZES[list(FIELDS).index(f)], k] = np.log(d[f][1:])
    return out


def _smooth(counts: np.ndarray, anchor: dict[str, np.ndarray], strength: float) -> dict[str, np.ndarray]:
    """Per field, level counts smoothed toward `anchor` worth `strength` pairs, plus a pseudo-count; null unused."""
    out = {}
    for f, off, size in zip(FIELDS, _OFFSETS, _SIZES, strict=True):
        c = counts[off : off + size].astype(np.float64).copy()
        prior = np.asarray(anchor[f], dtype=np.float64)
        c += strength * prior / prior[1:].sum()
        c[0] = 0.0
        c[1:] += _PSEUDO
        out[f] = c / c[1:].sum()
    return out


def fit(
    gamma: np.ndarray,
    u: dict[str, np.ndarray],
    labels: np.ndarray,
    iterations: int = 40,
    tol: float = 1e-5,
) -> Model:
    """EM over the candidates' level patterns; `labels` fix some pairs as MATCH or NONMATCH.

    Each class's distributions are re-estimated every step, pulled toward their anchors: m toward the
    labelled matches (then DEFAULT_M), each related class toward its DEFAULT_H table, u toward the
    random pairs' `u`. A step is two matrix products over the distinct patterns.
    """
    norm = lambda d: {f: np.asarray(v, dtype=np.float64) / sum(v[1:]) for f, v in d.items()}  # noqa: E731
    pat, plab, counts, _ = patterns(gamma, labels)
    lab_m = plab == MATCH
    anchors = [_distribution(pat[lab_m], DEFAULT_M, K_M, counts[lab_m]) if lab_m.any() else norm(DEFAULT_M)]
    anchors += [norm(h) for h in DEFAULT_H] + [u]
    strength = [K_M] + [K_H] * len(DEFAULT_H) + [K_U]
    k = len(anchors)
    model = Model(m=anchors[0], u=u, prior=0.3, h=anchors[1:-1], prior_h=[0.1] * len(DEFAULT_H))
    n = counts.sum()
    if n == 0:
        return monotone(model)
    # gathers and bincounts, not matrix products: BLAS threads fight for two busy cores
    idx = _flat(pat)
    flat_idx = idx.ravel()
    total = int(sum(_SIZES))
    fixed_n = plab == NONMATCH
    dists, pri = model.classes()
    for it in range(iterations):
        logp = _stack(dists)
        ll = np.stack([logp[:, j][idx].sum(axis=1) for j in range(k)], axis=1) + np.log(np.maximum(pri, 1e-300))
        ll -= ll.max(axis=1, keepdims=True)
        post = np.exp(ll)
        post /= post.sum(axis=1, keepdims=True)
        post[lab_m] = np.eye(k)[0]
        rest = post[fixed_n, 1:].sum(axis=1, keepdims=True)
        post[fixed_n, 0] = 0.0
        post[fixed_n, 1:] /= np.maximum(rest, 1e-300)
        w = post * counts[:, None]
        level_counts = [np.bincount(flat_idx, weights=np.repeat(w[:, j], idx.shape[1]), minlength=total) for j in range(k)]
        new = [_smooth(level_counts[j], a, s) for j, (a, s) in enumerate(zip(anchors, strength, strict=True))]
        new_pri = np.clip(w.sum(axis=0) / n, 1e-4, 0.95)
        delta = max(float(np.abs(a[f] - b[f]).max()) for a, b in zip(new, dists, strict=True) for f in FIELDS)
        delta = max(delta, float(np.abs(new_pri - pri).max()))
        dists, pri = new, new_pri
        if delta < tol:
            break
    return monotone(Model(m=dists[0], u=dists[-1], h=dists[1:-1], prior=float(pri[0]), prior_h=[float(v) for v in pri[1:-1]],
                          iterations=it + 1))  # fmt: skip
