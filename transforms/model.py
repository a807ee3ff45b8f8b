"""Fellegi-Sunter model: u from random within-practice pairs, m by EM from the data's own hints, prior learned."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from transforms.compare import FIELDS

__all__ = ["Model", "ModelMismatch", "FORMAT_VERSION", "level_matrix", "random_pairs", "estimate_u", "fit", "score", "level_weights", "prior_weight"]

_PSEUDO = 0.5  # pseudo-count: a level never seen still gets a finite weight
# Expert starting values (level 0 unused). They act as a prior worth K_* pairs, so a tiny zone
# (or a test) leans on them and a real zone's own counts dominate them.
K_U, K_M = 1000.0, 50.0
DEFAULT_M: dict[str, list[float]] = {
    "name": [0, .45, .03, .07, .01, .005, .01, .01, .005, .0005, .30, .07, .01, .005, .02, .005, .01, .002],
    "category": [0, .95, .03, .02],
    "dob": [0, .95, .01, .03, .01],
    "abn": [0, .98, .02],
    "acn": [0, .98, .02],
    "nzbn": [0, .98, .02],
    "tfn": [0, .97, .01, .02],
    "ird": [0, .97, .01, .02],
    "email": [0, .85, .05, .10],
    "phone": [0, .85, .15],
    "address": [0, .6, .15, .1, .05, .1],
    "orgs": [0, .9, .1],
}
DEFAULT_U: dict[str, list[float]] = {
    "name": [0, .0005, .0002, .001, .001, .0005, .02, .02, .55, .001, .0005, .001, .01, .39, .002, .0005, .0005, .001],
    "category": [0, .4, .1, .5],
    "dob": [0, .0003, .00001, .01, .99],
    "abn": [0, .001, .999],
    "acn": [0, .001, .999],
    "nzbn": [0, .001, .999],
    "tfn": [0, .0005, .9, .0995],
    "ird": [0, .0005, .9, .0995],
    "email": [0, .005, .002, .993],
    "phone": [0, .005, .995],
    "address": [0, .003, .003, .02, .03, .944],
    "orgs": [0, .001, .999],
}
_MAX_W = 20.0
_ID_FIELDS = ("abn", "acn", "nzbn", "tfn", "ird")
# levels that say "these differ": never evidence FOR a match, whatever EM makes of households
DISAGREE: dict[str, tuple[str, ...]] = {
    "name": ("surname_only", "given_only", "different", "generation_differs", "org_different", "generation_one_side"),
    "category": ("same_kind_other_detail", "different"),
    "dob": ("one_part_differs", "different"),
    "abn": ("different",), "acn": ("different",), "nzbn": ("different",),
    "tfn": ("different", "different_unchecked"), "ird": ("different", "different_unchecked"),
    "email": ("different", "same_local_part"),
    "phone": ("different",),
    "address": ("different",),
    "orgs": ("disjoint",),
}  # cap |log2 Bayes factor| per level: one field never decides on its own beyond this


FORMAT_VERSION = 1


class ModelMismatch(ValueError):
    """A stored model this code cannot score with (other format, other comparison levels): refit it."""


@dataclass
class Model:
    """Per field: m and u probabilities per level (index 0 = null, unused); prior = P(match) among candidates."""

    m: dict[str, np.ndarray]
    u: dict[str, np.ndarray]
    prior: float
    iterations: int = 0

    def to_dict(self) -> dict:
        """JSON-serialisable form; floats round-trip exactly, so scores from the copy are identical."""
        return {
            "format_version": FORMAT_VERSION,
            # the level names pin what each array index means: a model from other levels is refused
            "fields": {f: list(levels) for f, levels in FIELDS.items()},
            "m": {f: [float(x) for x in self.m[f]] for f in FIELDS},
            "u": {f: [float(x) for x in self.u[f]] for f in FIELDS},
            "prior": float(self.prior),
            "iterations": int(self.iterations),
        }

    @staticmethod
    def from_dict(d: dict) -> "Model":
        """The model to_dict wrote; ModelMismatch if it was made for another format or other levels."""
        if d.get("format_version") != FORMAT_VERSION:
            raise ModelMismatch(f"model format {d.get('format_version')!r}, this code reads {FORMAT_VERSION}")
        if d.get("fields") != {f: list(levels) for f, levels in FIELDS.items()}:
            raise ModelMismatch("model was fitted on other comparison fields or levels")
        m = {f: np.asarray(d["m"][f], dtype=np.float64) for f in FIELDS}
        u = {f: np.asarray(d["u"][f], dtype=np.float64) for f in FIELDS}
        return Model(m=m, u=u, prior=float(d["prior"]), iterations=int(d.get("iterations", 0)))


def level_matrix(cmp: pl.DataFrame) -> np.ndarray:
    """(pairs x fields) int8 levels in FIELDS order."""
    if cmp.height == 0:
        return np.zeros((0, len(FIELDS)), dtype=np.int8)
    return cmp.select(list(FIELDS)).to_numpy().astype(np.int8)


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
    gamma: np.ndarray, default: dict[str, list[float]], strength: float, weights: np.ndarray | None = None
) -> dict[str, np.ndarray]:
    """Per field, share of each non-null level (weighted), smoothed toward `default` worth `strength` pairs."""
    w = np.ones(len(gamma)) if weights is None else weights
    out = {}
    for j, (field, levels) in enumerate(FIELDS.items()):
        counts = np.bincount(gamma[:, j], weights=w, minlength=len(levels)).astype(np.float64)[: len(levels)]
        prior = np.asarray(default[field], dtype=np.float64)
        counts += strength * prior / prior[1:].sum()
        counts[0] = 0.0
        counts[1:] += _PSEUDO
        out[field] = counts / counts[1:].sum()
    return out


def estimate_u(gamma_random: np.ndarray) -> dict[str, np.ndarray]:
    """u probabilities from random pairs (almost all non-matches)."""
    return _distribution(gamma_random, DEFAULT_U, K_U)


def level_weights(model: Model) -> dict[str, np.ndarray]:
    """log2(m/u) per field and level; 0 for the null level."""
    out = {}
    for f in FIELDS:
        w = np.zeros_like(model.m[f])
        w[1:] = np.clip(np.log2(model.m[f][1:] / model.u[f][1:]), -_MAX_W, _MAX_W)
        for level in DISAGREE.get(f, ()):
            i = FIELDS[f].index(level)
            w[i] = min(w[i], 0.0)
        out[f] = w
    return out


def _pair_weights(gamma: np.ndarray, weights: dict[str, np.ndarray]) -> np.ndarray:
    total = np.zeros(len(gamma))
    for j, f in enumerate(FIELDS):
        total += weights[f][gamma[:, j]]
    return total


def prior_weight(model: Model) -> float:
    """log2 prior odds of a match among candidate pairs."""
    return float(np.log2(model.prior / (1.0 - model.prior)))


def score(gamma: np.ndarray, model: Model) -> tuple[np.ndarray, np.ndarray]:
    """(match_weight in log2 units including the prior, match_probability) per pair."""
    mw = prior_weight(model) + _pair_weights(gamma, level_weights(model))
    return mw, 1.0 / (1.0 + np.exp2(-mw))


def fit(
    gamma: np.ndarray,
    u: dict[str, np.ndarray],
    hints: np.ndarray,
    id_hints: np.ndarray | None = None,
    iterations: int = 10,
    tol: float = 1e-5,
) -> Model:
    """EM over the candidates' level matrix, anchored to the hinted pairs; u held fixed, prior learned.

    Free EM drifts to "same household" (spouses share address, phone, surname); a Dirichlet
    anchor on the m seen among hinted pairs, worth a few times their count, keeps it on "same
    client". Pairs hinted only by a shared identifier do not inform that identifier's own m.
    """
    hinted = hints.astype(bool)
    by_id = np.zeros(len(hinted), dtype=bool) if id_hints is None else id_hints.astype(bool)
    anchor = _distribution(gamma[hinted], DEFAULT_M, K_M)
    legacy = hinted & ~by_id
    legacy_m = _distribution(gamma[legacy], DEFAULT_M, K_M)
    for j, f in enumerate(FIELDS):
        if f in _ID_FIELDS:
            anchor[f] = legacy_m[f]
    strength = max(3.0 * float(hinted.sum()), 200.0)
    prior = float(np.clip(hinted.mean() if len(hinted) else 0.1, 1e-3, 0.5))
    model = Model(m=anchor, u=u, prior=prior)
    if len(gamma) == 0:
        return model
    for it in range(iterations):
        _, post = score(gamma, model)
        new_m = _distribution(gamma, {f: anchor[f].tolist() for f in FIELDS}, strength, post)
        new_prior = float(np.clip(post.mean(), 1e-3, 0.5))
        delta = max(float(np.abs(new_m[f] - model.m[f]).max()) for f in FIELDS)
        model = Model(m=new_m, u=u, prior=new_prior, iterations=it + 1)
        if delta < tol:
            break
    return model
