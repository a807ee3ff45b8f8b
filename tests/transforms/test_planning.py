import polars as pl
from hypothesis import given
from hypothesis import strategies as st

from transforms.planning import chunks, eligible, plan_wave
from landing.schema import PRACTICE


def registry(n: int, waves: list[int | None] | None = None) -> pl.DataFrame:
    rows = [
        {
            **{k: None for k in PRACTICE},
            "practice_id": f"p{i:03d}",
            "uses_xpm": True,
            "connection": "confirmed",
            "connected_by": "admin@x",
            "master_admin": "admin@x",
            "wave": (waves or [None] * n)[i],
        }
        for i in range(n)
    ]
    return pl.DataFrame(rows, schema=PRACTICE)


NO_STATUS = pl.DataFrame(schema={"practice_id": pl.String, "status": pl.String})


def test_eligible_excludes_unconfirmed_and_complete():
    reg = registry(3).with_columns(
        pl.when(pl.col("practice_id") == "p000").then(pl.lit("unconfirmed")).otherwise(pl.col("connection")).alias("connection")
    )
    status = pl.DataFrame({"practice_id": ["p001"], "status": ["complete"]})
    assert eligible(reg, status)["practice_id"].to_list() == ["p002"]


def test_wave_number_takes_the_lowest_planned_wave():
    reg = registry(4, waves=[2, 1, 1, None])
    sizes = pl.DataFrame({"practice_id": reg["practice_id"], "records": [1, 1, 1, 1]})
    assert plan_wave(reg, NO_STATUS, sizes)["practice_id"].to_list() == ["p001", "p002"]
    assert plan_wave(reg, NO_STATUS, sizes, wave=2)["practice_id"].to_list() == ["p000"]


def test_budget_fills_largest_first():
    reg = registry(4)
    sizes = pl.DataFrame({"practice_id": reg["practice_id"], "records": [50, 400, 100, 300]})
    assert plan_wave(reg, NO_STATUS, sizes, record_budget=750)["practice_id"].to_list() == ["p001", "p003"]
    # the largest goes even when alone it exceeds the budget
    assert plan_wave(reg, NO_STATUS, sizes, record_budget=10)["practice_id"].to_list() == ["p001"]


@given(n=st.integers(0, 60), size=st.integers(1, 17))
def test_chunks_cover_every_practice_once(n, size):
    reg = registry(n)
    parts = chunks(reg, size)
    ids = [p for part in parts for p in part["practice_id"].to_list()]
    assert sorted(ids) == sorted(reg["practice_id"].to_list())
    assert all(0 < part.height <= size for part in parts)


@given(records=st.lists(st.integers(0, 50_000), max_size=60), size=st.integers(1, 17), budget=st.integers(1, 60_000))
def test_chunks_by_records_cover_every_practice_once_within_both_bounds(records, size, budget):
    reg = registry(len(records))
    sizes = pl.DataFrame({"practice_id": reg["practice_id"], "records": records}, schema={"practice_id": pl.String, "records": pl.Int64})
    parts = chunks(reg, size, sizes, budget)
    ids = [p for part in parts for p in part["practice_id"].to_list()]
    assert ids == sorted(reg["practice_id"].to_list())  # in order, each once
    by_id = dict(zip(reg["practice_id"], records))
    for part in parts:
        assert 0 < part.height <= size
        # over the record bound only when a single practice is larger than it
        assert sum(by_id[p] for p in part["practice_id"]) <= budget or part.height == 1


def test_the_model_sample_leaves_out_giant_practices_while_there_are_enough_others():
    from transforms.planning import model_sample

    ids = [f"P{i:05d}" for i in range(1, 9)]
    practices = pl.DataFrame({"practice_id": ids})
    sizes = pl.DataFrame({"practice_id": ids, "records": [40_000, 120, 30_000, 80, 5_000, 60, 7_000, 90]})
    sample = model_sample(practices, sizes, 4, 5_000)
    assert sample["practice_id"].to_list() == ["P00002", "P00004", "P00005", "P00006"]  # first four not above 5,000
    # fewer typical practices than asked: the smallest ids of the large ones fill the sample
    assert model_sample(practices, sizes, 7, 5_000)["practice_id"].to_list() == ["P00001", *ids[1:6], "P00008"]
    # a practice without a size estimate counts as small; the caller's columns come back unchanged
    unsized = model_sample(practices.with_columns(region=pl.lit("AU")), sizes.head(0), 2, 5_000)
    assert unsized.columns == ["practice_id", "region"] and unsized["practice_id"].to_list() == ids[:2]


def test_a_budget_not_used_because_a_planned_wave_is_taken_is_said():
    """Found by QA (session 33): `scr wave --budget 100` ran a planned wave of 707 records, unsaid."""
    from transforms.planning import budget_unused

    reg = registry(4, waves=[2, 1, 1, None])
    sizes = pl.DataFrame({"practice_id": reg["practice_id"], "records": [500, 400, 300, 100]})
    taken = plan_wave(reg, NO_STATUS, sizes, record_budget=100)
    assert taken["practice_id"].to_list() == ["p001", "p002"]
    assert budget_unused(taken, None, 100) == "wave 1 is planned for 2 eligible practices"
    assert budget_unused(taken, None, None) is None  # no budget given: nothing to say
    unplanned = registry(3)
    filled = plan_wave(unplanned, NO_STATUS, sizes.head(3), record_budget=600)
    assert filled["practice_id"].to_list() == ["p000"] and budget_unused(filled, None, 600) is None
