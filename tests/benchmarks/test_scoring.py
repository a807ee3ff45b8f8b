"""The benchmark's scoring maths: pair counts by combinatorics equal pair counts by enumeration."""

from __future__ import annotations

import itertools

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from benchmarks.scoring import auto_clusters, hard_case_rates, pair_recall, pairwise, review_share, score_crosswalk


def _frames(rows: list[tuple[str, str, str]]) -> tuple[pl.DataFrame, pl.DataFrame]:
    """rows of (practice_id, entity_id, cluster_id) -> truth and proposed frames keyed per record."""
    keys = {
        "practice_id": [r[0] for r in rows],
        "source": ["xpm"] * len(rows),
        "source_client_id": [f"c{i}" for i in range(len(rows))],
    }
    truth = pl.DataFrame({**keys, "entity_id": [r[1] for r in rows]})
    proposed = pl.DataFrame({**keys, "cluster_id": [r[2] for r in rows]})
    return truth, proposed


def _brute(rows: list[tuple[str, str, str]]) -> tuple[int, int, int]:
    t = p = tp = 0
    for a, b in itertools.combinations(rows, 2):
        same_practice = a[0] == b[0]
        same_entity = same_practice and a[1] == b[1]
        same_cluster = same_practice and a[2] == b[2]
        t += same_entity
        p += same_cluster
        tp += same_entity and same_cluster
    return t, p, tp


rows_strategy = st.lists(
    st.tuples(st.sampled_from(["p1", "p2"]), st.sampled_from("abcde"), st.sampled_from("uvwxyz")),
    max_size=40,
)


@settings(max_examples=200, deadline=None)
@given(rows_strategy)
def test_pair_counts_equal_enumeration(rows):
    truth, proposed = _frames(rows)
    s = pairwise(truth, proposed)
    assert (s.true_pairs, s.proposed_pairs, s.true_positive) == _brute(rows)
    assert 0.0 <= s.precision <= 1.0 and 0.0 <= s.recall <= 1.0


@settings(max_examples=100, deadline=None)
@given(rows_strategy)
def test_truth_against_itself_is_perfect(rows):
    truth, _ = _frames(rows)
    s = pairwise(truth, truth.rename({"entity_id": "cluster_id"}))
    assert s.precision == s.recall == s.f1 == 1.0


def test_clusters_never_span_practices():
    # same cluster id in two practices must not make a pair
    truth, proposed = _frames([("p1", "a", "k"), ("p2", "b", "k")])
    assert pairwise(truth, proposed).proposed_pairs == 0


def test_one_false_merge():
    # truth {0,1} {2}; proposed {0,1,2}: 3 proposed pairs, 1 true
    truth, proposed = _frames([("p1", "a", "k"), ("p1", "a", "k"), ("p1", "b", "k")])
    s = pairwise(truth, proposed)
    assert s.precision == pytest.approx(1 / 3) and s.recall == 1.0
    assert s.f1 == pytest.approx(0.5)


def test_records_missing_from_one_side_are_not_scored():
    truth, proposed = _frames([("p1", "a", "k"), ("p1", "a", "k"), ("p1", "a", "k")])
    s = pairwise(truth, proposed.head(2))
    assert s.records == 2 and s.true_pairs == 1


def _crosswalk(statuses: list[str], clusters: list[str]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "practice_id": ["p1"] * len(statuses),
            "source": ["xpm"] * len(statuses),
            "source_client_id": [f"c{i}" for i in range(len(statuses))],
            "unified_client_id": clusters,
            "merge_status": statuses,
        }
    )


def test_review_records_stand_alone_in_auto_clustering():
    cw = _crosswalk(["auto", "auto", "review", "unique"], ["u1", "u1", "u1", "u2"])
    auto = auto_clusters(cw)
    assert auto["cluster_id"].n_unique() == 3
    assert auto["cluster_id"][0] == auto["cluster_id"][1] != auto["cluster_id"][2]
    assert review_share(cw) == 0.25


def test_hard_cases_split_auto_from_review():
    # entities A,B auto-merged (a hard pair: wrong); C proposed with D for review; E alone
    cw = _crosswalk(["auto", "auto", "auto", "review", "unique"], ["u1", "u1", "u2", "u2", "u3"])
    truth = cw.select("practice_id", "source", "source_client_id").with_columns(
        entity_id=pl.Series(["A", "B", "C", "D", "E"])
    )
    hard = pl.DataFrame(
        {
            "practice_id": ["p1"] * 4,
            "entity_a": ["A", "C", "A", "A"],
            "entity_b": ["B", "D", "E", "Z"],  # Z has no records: not scored
            "kind": ["spouses", "spouses", "common_name", "common_name"],
        }
    )
    full = cw.select("practice_id", "source", "source_client_id", pl.col("unified_client_id").alias("cluster_id"))
    rates = {r["kind"]: r for r in hard_case_rates(truth, hard, full, auto_clusters(cw)).to_dicts()}
    assert rates["spouses"]["pairs"] == 2
    assert rates["spouses"]["auto_merged"] == 1 and rates["spouses"]["review"] == 1
    assert rates["common_name"]["pairs"] == 1
    assert rates["common_name"]["auto_merged"] == 0 and rates["common_name"]["review"] == 0
    scored = score_crosswalk(truth, hard, cw)
    assert scored["auto"]["proposed_pairs"] == 1 and scored["all"]["proposed_pairs"] == 2
    assert scored["hard_cases"]["spouses"]["auto_rate"] == 0.5


def test_lost_and_invented_records_are_counted():
    cw = _crosswalk(["unique", "unique", "unique"], ["u1", "u2", "u3"])
    truth = cw.select("practice_id", "source", "source_client_id").with_columns(entity_id=pl.lit("A"))
    truth = pl.concat([truth.head(2), truth.head(1).with_columns(source_client_id=pl.lit("lost"))])
    scored = score_crosswalk(truth, None, cw)
    assert scored["missing_from_crosswalk"] == 1 and scored["not_in_truth"] == 1


def test_blocking_recall_counts_direct_and_chained_pairs():
    truth = pl.DataFrame({
        "practice_id": ["p1"] * 4, "source": ["xpm"] * 4, "source_client_id": ["a", "b", "c", "d"],
        "entity_id": ["E", "E", "E", "F"],
    })  # fmt: skip
    pairs = pl.DataFrame({
        "practice_id": ["p1", "p1"], "source_l": ["xpm", "xpm"], "source_client_id_l": ["a", "b"],
        "source_r": ["xpm", "xpm"], "source_client_id_r": ["b", "c"],
    })  # fmt: skip
    r = pair_recall(truth, pairs)
    # E has 3 true pairs: a-b and b-c compared directly, a-c only through the chain
    assert r["true_pairs"] == 3 and r["direct"] == pytest.approx(2 / 3) and r["connected"] == 1.0


def test_an_auto_cluster_id_keeps_two_automatic_clusters_apart_in_the_automatic_view():
    cw = _crosswalk(["auto", "auto", "auto", "auto", "review"], ["u1", "u1", "u1", "u1", "u1"]).with_columns(
        auto_cluster_id=pl.Series(["a", "a", "b", "b", "x"])
    )
    auto = auto_clusters(cw)
    assert auto["cluster_id"][0] == auto["cluster_id"][1] != auto["cluster_id"][2]


def test_splink_crosswalk_at_a_review_budget():
    from benchmarks.splink_baseline import at_review_budget, crosswalk

    records = pl.DataFrame({"unique_id": list("abcd"), "practice_id": ["p"] * 4, "source": ["xpm"] * 4,
                            "source_client_id": list("abcd")})  # fmt: skip
    pairs = pl.DataFrame({"unique_id_l": ["a", "c"], "unique_id_r": ["b", "d"], "match_probability": [0.9999, 0.96]})
    own = crosswalk(records, pairs, 0.95)
    assert own["merge_status"].to_list() == ["auto"] * 4
    strict = crosswalk(records, pairs, 0.99, review=0.5)
    assert strict["merge_status"].to_list() == ["auto", "auto", "review", "review"]
    hi, cw = at_review_budget(records, pairs, budget=0.0, own=0.95)
    assert hi == 0.95 and (cw["merge_status"] == "review").sum() == 0  # no budget: its own threshold
    hi, cw = at_review_budget(records, pairs, budget=0.5, own=0.95)
    # the 0.96 link is its least sure merge: reviewed; the 0.9999 one stays automatic
    assert 0.96 < hi <= 0.9999 and cw["merge_status"].to_list() == ["auto", "auto", "review", "review"]


def test_held_back_pairs_are_counted_with_the_true_ones_among_them_and_shown():
    """Issue 12: the benchmark reports what the review budget keeps from a person (pairs, records, true pairs)."""
    from benchmarks.match import held_back
    from benchmarks.report import render

    truth = pl.DataFrame({"practice_id": "p", "source": ["hq", "xpm", "hq", "xpm"], "source_client_id": ["1", "2", "3", "4"],
                          "entity_id": ["a", "a", "b", "c"]})  # fmt: skip
    held = pl.DataFrame({"practice_id": "p", "source_l": ["hq", "hq"], "source_client_id_l": ["1", "3"],
                         "source_r": ["xpm", "xpm"], "source_client_id_r": ["2", "4"]})  # fmt: skip
    figures = held_back(truth, held, records=8)
    assert figures == {"pairs": 2, "records_share": 0.5, "true_pairs": 1}
    scores = {"all": {}, "auto": {}, "review_share": 0.01, "held_back": figures}
    table = render({"zone": {"ours": scores}})
    shown = dict(zip(table.columns[0]._cells, table.columns[1]._cells, strict=True))
    assert shown["held back: pairs / true"] == "2 / 1" and shown["held back: share of records"] == "0.5000"
