"""Zones too small for their gold pairs to vouch for the precision target on average (development zones).

Geco seed 2, 40 practices (6.8k records): its person and organisation maps cap near 0.9983 and 0.9986, below the
0.999 target; one pair of a third kind, scored by the map of all pairs, reached it and set the automatic threshold
for every pair, and the review budget then left the rest apart: 1 true pair of 3,199 merged (F1 0.0006, nobody
shown anything). Geco seed 5, 16 practices (1.8k records): its person map's surest block held about 80 gold pairs,
capped at 0.9937, below the automatic floor, so no person could merge automatically, and 391 true pairs scored
alike, more than the review budget, were all left apart (F1 0.57, nobody shown anything). Geco seed 51, 40 practices
(5.7k records; a development zone first run in session 32): two pairs of a third kind reached the target and carried
20 pairs of the organisations' plateau (capped at 0.99896) within it, more than a sliver; the threshold then took the
whole plateau, whose mean breaks the target, and left the people's (0.99883, 1,044 true pairs) apart: F1 0.52, 0.05%
of the records shown to anyone. Counted whole, the plateau is not within the target."""

from __future__ import annotations

import polars as pl

import pytest

from benchmarks.scoring import score_crosswalk
from tests.transforms.test_match_unchanged import zone_frames
from transforms.matching import match
from transforms.threshold import AUTO_FLOOR, REVIEW_BUDGET, TARGET_PRECISION


@pytest.mark.parametrize("corruption,seed,practices", [("geco", 2, 40), ("geco", 5, 16), ("geco", 51, 40)])
def test_a_zone_whose_gold_pairs_cannot_vouch_for_the_target_merges_its_plain_duplicates_and_no_thin_pair(tmp_path, corruption, seed, practices):
    frames, registry = zone_frames(tmp_path, corruption, seed, practices)
    result = match(frames, registry)
    truth = pl.read_csv(tmp_path / "truth" / "records.csv", infer_schema=False)
    hard = pl.read_csv(tmp_path / "truth" / "hard_pairs.csv", infer_schema=False)
    scores = score_crosswalk(truth, hard, result.crosswalk)
    assert result.auto_threshold == AUTO_FLOOR  # the floor guards pair by pair
    # guarded alone, each pair is judged by the vouched maps: merging the pooled maps' plateau at the floor took in
    # 18 wrong pairs (organisations known by name alone, at the thin bottom of an all-true block), precision 0.994
    assert scores["auto"]["precision"] >= TARGET_PRECISION
    assert scores["auto"]["f1"] > 0.85  # 0.92 and 0.90 when written
    assert 0 < scores["review_share"] <= REVIEW_BUDGET
    assert all(kind["auto_rate"] <= 0.001 for kind in scores["hard_cases"].values())
