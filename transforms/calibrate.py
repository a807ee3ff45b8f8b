"""Calibration of match probabilities on the zone's own gold pairs (isotonic regression, pool-adjacent-violators).

The latent-class model ranks pairs well, but its independence assumptions make it unsure of plain
duplicates (name, email and address all agree) and too sure of a parent and child of one name who
share a home. Gold pairs, answered by identifiers whose check digits pass and judged with those
identifiers and the birthday hidden, show how often pairs of each probability really are one client;
the monotone map from model probability to that share is applied to every pair.

People and organisations are calibrated apart: the model's errors are not the same for both (a
household shares a name and a home; two trusts of one family share a name and a trustee), so one map
for both would be too sure of one and not sure enough of the other. A kind with too few gold pairs
uses the map of all pairs, and so does a kind whose surest gold pairs are too few to vouch for any automatic
merge (its map capped below the automatic floor).

Where the gold pairs of a run of bins are all matches, isotonic regression pools them into one block of
one share. That share is an average: it lends the sure pairs at the block's top to the thin ones at its
bottom (an organisation's name alone, written once in each system, scored like a hundred plain
duplicates above it) and caps the top near 1 - 1/(2n). An average is what the automatic threshold needs
when it holds the merges' expected precision. When the zone's gold pairs are too few for that (the
threshold falls back to its floor and each pair is guarded alone), each pair's own probability must stand
on its own: the `vouched` map lets a bin of such a block claim only the share of the block's gold pairs at
or below it, or the model's own probability where that is higher, never above the block's share.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from transforms.compare import FIELDS
from transforms.threshold import AUTO_FLOOR

__all__ = ["Calibration", "fit_calibration", "fit_calibrations", "calibrated", "pair_kinds", "MIN_GOLD"]

MIN_GOLD = 200  # gold matches (and as many non-matches) needed before the map replaces the model's word
_BINS = 200  # the model's probabilities are pooled into this many quantile bins before PAV
_PSEUDO = 1.0  # half an imagined wrong merge and half a right one per pooled block: no block is ever certain


@dataclass
class Calibration:
    """Piecewise-linear monotone map on the model's log-odds; identity when `x` is empty."""

    x: np.ndarray  # model log2-odds at the bin centres, increasing
    y: np.ndarray  # calibrated probability there, non-decreasing

    def __call__(self, match_weight: np.ndarray) -> np.ndarray:
        p = 1.0 / (1.0 + np.exp2(-np.asarray(match_weight, dtype=np.float64)))
        if len(self.x) == 0:
            return p
        return np.interp(match_weight, self.x, self.y, left=float(self.y[0]), right=float(self.y[-1]))

    def to_dict(self) -> dict:
        return {"x": [float(v) for v in self.x], "y": [float(v) for v in self.y]}

    @staticmethod
    def from_dict(d: dict | None) -> "Calibration":
        if not d:
            return Calibration(np.zeros(0), np.zeros(0))
        return Calibration(np.asarray(d["x"], dtype=np.float64), np.asarray(d["y"], dtype=np.float64))


def _pool(k: list[float], n: list[float], strict: bool) -> tuple[list[float], list[float], list[int]]:
    """Pool adjacent blocks whose share k/n falls (and, unless strict, stays level): pool-adjacent-violators."""
    ks, ns, sizes = [], [], []
    for ki, ni in zip(k, n, strict=True):
        ks.append(ki)
        ns.append(ni)
        sizes.append(1)
        while len(ks) > 1 and (ks[-2] * ns[-1] > ks[-1] * ns[-2] or (not strict and ks[-2] * ns[-1] == ks[-1] * ns[-2])):
            ks[-2:], ns[-2:], sizes[-2:] = [ks[-2] + ks[-1]], [ns[-2] + ns[-1]], [sizes[-2] + sizes[-1]]
    return ks, ns, sizes


def _pav(k: np.ndarray, n: np.ndarray) -> np.ndarray:
    """Isotonic (non-decreasing) share per bin. Runs of equal share are pooled, then each block's share
    gets a half-count either way (a block of 2,000 right merges says 0.99975, not 1), then blocks that
    this made fall are pooled again. Loops over bins, not pairs."""
    ks, ns, sizes = _pool(k.tolist(), n.tolist(), strict=False)
    adj_k = [kb + _PSEUDO * 0.5 for kb in ks]
    adj_n = [nb + _PSEUDO for nb in ns]
    ks2, ns2, sizes2 = _pool(adj_k, adj_n, strict=True)
    rate = np.repeat([kb / nb for kb, nb in zip(ks2, ns2, strict=True)], sizes2)
    return np.repeat(rate, sizes)


def _vouched(k: np.ndarray, n: np.ndarray, centre: np.ndarray, rate: np.ndarray) -> np.ndarray:
    """Per bin, `rate` (the isotonic share) lowered inside each pooled block whose gold pairs are all matches
    to the share of the block's gold pairs at or below the bin, or the model's own probability at the bin's
    centre where that is higher; then made non-decreasing again. Loops over blocks, not pairs."""
    out = rate.copy()
    model = 1.0 / (1.0 + np.exp2(-centre))
    ks, ns, sizes = _pool(k.tolist(), n.tolist(), strict=False)
    lo = 0
    for kb, nb, size in zip(ks, ns, sizes, strict=True):
        hi = lo + size
        if size > 1 and kb == nb:
            own = (np.cumsum(k[lo:hi]) + _PSEUDO * 0.5) / (np.cumsum(n[lo:hi]) + _PSEUDO)
            out[lo:hi] = np.minimum(rate[lo:hi], np.maximum(own, model[lo:hi]))
        lo = hi
    return np.maximum.accumulate(out)


def fit_calibration(match_weight: np.ndarray, gold: np.ndarray, vouched: bool = False) -> Calibration:
    """The monotone map from the model's log-odds (gold fields hidden) to the share of gold matches; `vouched`:
    each bin of an all-match block only as sure as the block's gold pairs at or below it (module docstring)."""
    mw, gold = np.asarray(match_weight, dtype=np.float64), np.asarray(gold).astype(bool)
    if gold.sum() < MIN_GOLD or (~gold).sum() < MIN_GOLD:
        return Calibration(np.zeros(0), np.zeros(0))
    order = np.argsort(mw, kind="stable")
    mw, gold = mw[order], gold[order]
    edges = np.unique(np.quantile(mw, np.linspace(0, 1, _BINS + 1)))
    if len(edges) < 2:  # every pair scored alike: one bin
        edges = np.array([mw[0], mw[0] + 1.0])
    idx = np.clip(np.searchsorted(edges, mw, side="right") - 1, 0, len(edges) - 2)
    n = np.bincount(idx, minlength=len(edges) - 1).astype(np.float64)
    k = np.bincount(idx, weights=gold, minlength=len(edges) - 1)
    centre = np.bincount(idx, weights=mw, minlength=len(edges) - 1)
    used = n > 0
    n, k, centre = n[used], k[used], centre[used] / n[used]
    rate = _pav(k, n)
    return Calibration(centre, _vouched(k, n, centre, rate) if vouched else rate)


_ORG_LEVELS = [i for i, name in enumerate(FIELDS["name"]) if name.startswith("org_") or name == "partnership_partial"]
_NAME = list(FIELDS).index("name")


def pair_kinds(gamma: np.ndarray) -> np.ndarray:
    """Per pair (levels in FIELDS order): "org" for an organisation's name level, "person" for a person's, else "other"."""
    name = gamma[:, _NAME]
    return np.where(np.isin(name, _ORG_LEVELS), "org", np.where(name > 0, "person", "other"))


def fit_calibrations(match_weight: np.ndarray, gold: np.ndarray, kinds: np.ndarray, vouched: bool = False) -> dict:
    """{"all": map, "person": map, "org": map} (as dicts), each fitted on its own gold pairs; empty where too few."""
    everyone = fit_calibration(match_weight, gold, vouched)
    out = {"all": everyone.to_dict()}
    for kind in ("person", "org"):
        rows = kinds == kind
        own = fit_calibration(match_weight[rows], np.asarray(gold)[rows], vouched)
        # a kind whose surest block is too small to vouch for any automatic merge (its share capped below the floor,
        # about 100 gold pairs) is a kind with too few gold pairs: the map of all pairs stands for it, if that one can
        out[kind] = {} if len(own.y) and own.y[-1] < AUTO_FLOOR <= (everyone.y[-1] if len(everyone.y) else 0.0) else own.to_dict()
    return out


def calibrated(calibration: dict, match_weight: np.ndarray, kinds: np.ndarray) -> np.ndarray:
    """Calibrated probability per pair: its kind's map, else the map of all pairs, else the model's own."""
    p = Calibration.from_dict(calibration.get("all"))(match_weight)
    for kind in ("person", "org"):
        if calibration.get(kind):
            rows = kinds == kind
            p[rows] = Calibration.from_dict(calibration[kind])(match_weight[rows])
    return p
