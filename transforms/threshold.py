"""The automatic-merge threshold, chosen on the zone's own gold pairs to hold a target precision.

Some candidate pairs carry their own answer: two tax, business or company numbers whose check digits
pass are equal (same client) or differ (two clients), and two birthdays are equal or far apart. Hide
those fields from the model and it must judge such a pair as it judges one without them; the share of
true answers among the gold pairs it would merge at threshold t estimates the precision of merges at t,
on households, namesakes and sister companies as they occur in this zone, not as we imagined them.

The threshold is the lowest t (never below FLOOR) at which the gold estimate holds TARGET_PRECISION,
counting one wrong merge more than was seen (a small gold set does not vouch for a low threshold).
With too few gold pairs it falls back to the model's own expected precision, never below FALLBACK.
"""

from __future__ import annotations

import numpy as np

__all__ = ["TARGET_PRECISION", "FLOOR", "FALLBACK", "MIN_GOLD", "choose_threshold", "expected_threshold"]

TARGET_PRECISION = 0.999
FLOOR = 0.9  # below this a pair is for a person, whatever the gold pairs say
FALLBACK = 0.99
AUTO_FLOOR = 0.99  # no pair merges automatically below this calibrated probability
MIN_GOLD = 200  # gold matches needed to trust the estimate
_GRID = np.array([0.9, 0.92, 0.94, 0.95, 0.96, 0.97, 0.98, 0.985, 0.99, 0.995, 0.998, 0.999])


def choose_threshold(p_gold: np.ndarray, gold: np.ndarray, target: float = TARGET_PRECISION, floor: float = FLOOR) -> float | None:
    """Lowest grid threshold >= floor whose gold pairs (p >= t) have (wrong + 1) / (merged + 1) <= 1 - target.

    `p_gold` is the model's probability with the gold fields hidden, `gold` the answer (1 same client, 0 not).
    None when there are too few gold matches to say.
    """
    p_gold, gold = np.asarray(p_gold, dtype=np.float64), np.asarray(gold).astype(bool)
    if gold.sum() < MIN_GOLD:
        return None
    for t in _GRID[_GRID >= floor]:
        merged = p_gold >= t
        wrong = int((merged & ~gold).sum())
        if (wrong + 1) / (int(merged.sum()) + 1) <= 1.0 - target:
            return float(t)
    return float(_GRID[-1])


def expected_threshold(prob: np.ndarray, target: float = TARGET_PRECISION, floor: float = FALLBACK) -> float:
    """Lowest t >= floor whose pairs have expected precision (mean probability) >= target.

    When even the surest pairs fall short (a small gold set caps calibrated probabilities near
    1 - 1/(2 n)), the floor alone stands: precision is then guarded pair by pair.
    """
    p = np.sort(np.asarray(prob, dtype=np.float64))[::-1]
    p = p[p >= floor]
    if len(p) == 0 or 1.0 - p[0] > 1.0 - target:
        return float(floor)
    # p falls, so the running share of expected wrong merges only grows: the pairs within target are a prefix
    share_wrong = np.cumsum(1.0 - p) / np.arange(1, len(p) + 1)
    within = int(np.searchsorted(share_wrong, 1.0 - target, side="right"))
    return float(p[within - 1]) if within else float(floor)
