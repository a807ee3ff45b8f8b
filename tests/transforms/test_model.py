"""Fellegi-Sunter model: u from random pairs, anchored EM, weights that respect disagreement."""

from __future__ import annotations

import numpy as np
import polars as pl

from transforms.compare import FIELDS
from transforms.model import DISAGREE, estimate_u, fit, level_weights, random_pairs, score

F = list(FIELDS)


def lvl(field: str, name: str) -> int:
    return FIELDS[field].index(name)


def synthetic(n_match: int, n_non: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Level matrix where matches mostly agree and non-matches mostly differ; returns (gamma, is_match)."""
    rng = np.random.default_rng(seed)
    g = np.zeros((n_match + n_non, len(F)), dtype=np.int8)
    agree = {"name": "exact", "dob": "exact", "email": "exact", "phone": "shared", "address": "exact"}
    differ = {"name": "different", "dob": "different", "email": "different", "phone": "different", "address": "different"}
    for f in agree:
        j = F.index(f)
        g[:n_match, j] = np.where(rng.random(n_match) < 0.9, lvl(f, agree[f]), lvl(f, differ[f]))
        g[n_match:, j] = np.where(rng.random(n_non) < 0.03, lvl(f, agree[f]), lvl(f, differ[f]))
    return g, np.r_[np.ones(n_match, bool), np.zeros(n_non, bool)]


def test_em_separates_matches_from_non_matches():
    gamma, truth = synthetic(500, 5000)
    u = estimate_u(gamma[truth.size - 3000:])
    hints = truth & (np.arange(truth.size) % 5 == 0)  # a fifth of the matches are hinted
    model = fit(gamma, u, hints)
    _, p = score(gamma, model)
    assert (p[truth] > 0.5).mean() > 0.95
    assert (p[~truth] < 0.5).mean() > 0.99
    assert 0.03 < model.prior < 0.2


def test_disagreement_is_never_evidence_for_a_match():
    gamma, truth = synthetic(500, 500)
    model = fit(gamma, estimate_u(gamma[truth]), truth)  # u from matches: a deliberately bad model
    w = level_weights(model)
    for field, levels in DISAGREE.items():
        for name in levels:
            assert w[field][FIELDS[field].index(name)] <= 0.0
    assert all(w[f][0] == 0.0 for f in F)


def test_more_agreement_scores_higher():
    gamma, truth = synthetic(300, 3000)
    model = fit(gamma, estimate_u(gamma[~truth]), truth)
    base = np.zeros((2, len(F)), dtype=np.int8)
    base[:, F.index("name")] = lvl("name", "exact")
    base[1, F.index("dob")] = lvl("dob", "exact")
    mw, p = score(base, model)
    assert mw[1] > mw[0] and p[1] > p[0]


def test_random_pairs_stay_inside_a_practice():
    std = pl.DataFrame({"rid": list(range(10)), "practice_id": ["a"] * 4 + ["b"] * 6})
    pairs = random_pairs(std, per_record=5, seed=1)
    prac = std["practice_id"]
    assert pairs.height > 0
    assert all(prac[a] == prac[b] and a < b for a, b in pairs.iter_rows())
    assert random_pairs(std, per_record=5, seed=1).equals(pairs)
