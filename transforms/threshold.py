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

__all__ = [
    "TARGET_PRECISION", "FLOOR", "FALLBACK", "SLIVER", "reaches_target", "EXPERT_THRESHOLD", "MIN_GOLD", "REVIEW_BUDGET", "choose_threshold", "expected_threshold", "budget_threshold",
    "shown_share",
]

TARGET_PRECISION = 0.999
FLOOR = 0.9  # below this a pair is for a person, whatever the gold pairs say
FALLBACK = 0.99
# the automatic threshold of the expert starting values (`transforms.model.expert_model`): a call with too few candidate
# pairs to fit on (a pilot wave of a practice or two, Febrl1's 1,000 records) has no gold pairs to choose one on either.
# Chosen on development zones cut into such waves (`python -m benchmarks.small_waves`, default 1, 2, 4 and geco 1, 2, 9,
# waves of about 150 and 300 records): at 0.99 and at 0.98 no wrong automatic pair and no hard look-alike merged, F1
# 0.6-1.0 point higher and review 0.6-1.0 point lower at 0.98; at 0.97, 7 wrong pairs and 2 hard look-alikes. Held out
# once (seeds 7, 11, 12; criteria written first): benchmarks/HISTORY.md, Session 25.
EXPERT_THRESHOLD = 0.98
# no pair merges automatically below this calibrated probability: a merge whose own chance of being wrong is more
# than five times the target's is for a person, however sure the merges above it are on average. At 0.99 the
# zones' thresholds sat on the floor, and the band 0.99-0.995 (about 1 in 140 wrong) held most hard look-alikes
# that were merged: a parent and child of one name, one record without a birthday, the family's phone and email
# (4 of 18 zones above 0.1%, 1 at 0.995); the cost is recall (F1 up to 1.5 points lower, those pairs in review).
# `python -m benchmarks.match_sweep`, both figures in benchmarks/README.md. Tried at 0.95 (match3): F1 rose to
# 0.994+ on every default zone, but held-out zones merged a parent and child of one name on 8 of 12 (up to 0.67%)
AUTO_FLOOR = 0.995
MIN_GOLD = 200  # gold matches needed to trust the estimate
SLIVER = 0.01  # a target met by fewer than this share of the pairs at or above the floor is out of reach
REVIEW_BUDGET = 0.03  # share of records a practice's reviewers are shown at most
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


def _within(prob: np.ndarray, target: float, floor: float) -> tuple[np.ndarray, int]:
    """The pairs at or above the floor, surest first, and how many of them (a prefix) keep the target on average."""
    p = np.sort(np.asarray(prob, dtype=np.float64))[::-1]
    p = p[p >= floor]
    if len(p) == 0 or 1.0 - p[0] > 1.0 - target:
        return p, 0
    # p falls, so the running share of expected wrong merges only grows: the pairs within target are a prefix
    share_wrong = np.cumsum(1.0 - p) / np.arange(1, len(p) + 1)
    return p, int(np.searchsorted(share_wrong, 1.0 - target, side="right"))


def _whole_ties(p: np.ndarray, within: int) -> int:
    """Of the `within` surest pairs, those a threshold can take without breaking the target: a threshold takes
    every pair of its probability, so a tie the target cannot hold whole is not within it (p falls)."""
    if within == 0 or within == len(p) or p[within] != p[within - 1]:
        return within
    return int(np.searchsorted(-p, -p[within - 1], side="left"))


def reaches_target(prob: np.ndarray, target: float = TARGET_PRECISION, floor: float = FALLBACK) -> bool:
    """Whether more than a sliver (SLIVER) of the pairs at or above the floor keep the target on average."""
    p, within = _within(prob, target, floor)
    return _reached(p, _whole_ties(p, within))


def _reached(p: np.ndarray, within: int) -> bool:
    return within > 0 and within >= SLIVER * len(p)


def expected_threshold(prob: np.ndarray, target: float = TARGET_PRECISION, floor: float = FALLBACK) -> float:
    """Lowest t >= floor whose pairs have expected precision (mean probability) >= target.

    When even the surest pairs fall short (a small gold set caps calibrated probabilities near
    1 - 1/(2 n)), the floor alone stands: precision is then guarded pair by pair. So it does when only a
    sliver of the pairs at or above the floor (under SLIVER of them) would reach the target: a few pairs
    of a kind whose map has more gold pairs would otherwise set the threshold for all, and every pair of
    the main kinds, capped just below it, would wait (geco seed 2 at 40 practices: 1 pair merged of 3,199).
    """
    p, within = _within(prob, target, floor)
    if not _reached(p, _whole_ties(p, within)):
        return float(floor)
    return float(p[within - 1])


def _best_proposals(rid_l: np.ndarray, rid_r: np.ndarray, prob: np.ndarray, auto: np.ndarray, review: np.ndarray, n_records: int) -> np.ndarray:
    """Per record a person would be shown (proposed by a `review` pair, merged by no `auto` pair): its best
    proposal's probability, highest first."""
    merged = np.zeros(max(n_records, 1), dtype=bool)
    merged[rid_l[auto]] = True
    merged[rid_r[auto]] = True
    ends = np.concatenate([rid_l[review], rid_r[review]])
    p = np.concatenate([prob[review], prob[review]])
    keep = ~merged[ends]
    ends, p = ends[keep], p[keep]
    best = np.full(max(n_records, 1), -1.0)
    np.maximum.at(best, ends, p)
    return np.sort(best[best >= 0])[::-1]


def shown_share(
    rid_l: np.ndarray, rid_r: np.ndarray, prob: np.ndarray, auto: np.ndarray, review: np.ndarray, n_records: int, threshold: float
) -> float:
    """Share of the records a person is shown at this review threshold (pairs as for budget_threshold)."""
    best = _best_proposals(rid_l, rid_r, prob, auto, review, n_records)
    return float((best >= threshold).sum() / max(n_records, 1))


def budget_threshold(
    rid_l: np.ndarray, rid_r: np.ndarray, prob: np.ndarray, auto: np.ndarray, review: np.ndarray, n_records: int,
    budget: float = REVIEW_BUDGET, floor: float = 0.5,
) -> float:
    """Lowest review threshold >= floor that shows a person at most `budget` of the records.

    A record awaits review when a pair proposes it (`review`: pairs a person would be shown, scored `prob`)
    and no automatic merge (`auto`) takes it. Reviewers see the likeliest proposals first: the records are
    ranked by their best proposal, and the threshold is the best proposal of the last record within budget.
    Proposals below it are left apart; with fewer proposed records than the budget the floor stands.
    """
    best = _best_proposals(rid_l, rid_r, prob, auto, review, n_records)
    if len(best) == 0:
        return float(floor)
    allowed = int(budget * n_records)
    if len(best) <= allowed:
        return float(floor)
    # ties at the cut go out together: a threshold cannot take half of one probability
    return float(max(floor, np.nextafter(best[allowed], 1.0)))
