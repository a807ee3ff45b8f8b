"""The journey benchmark times a first wave: nothing of an earlier bench's warehouse is left in a --keep folder."""

from pathlib import Path

import duckdb

from benchmarks.journey import _fresh, _markdown, median_run
from warehouse.snapshot import snapshot_dir


def test_a_kept_folders_old_warehouse_is_removed_before_a_run(tmp_path: Path):
    wh = tmp_path / "z100000" / "scr.duckdb"
    wh.parent.mkdir()
    with duckdb.connect(str(wh)) as con:
        con.execute("create table match_model as select 1 as stored")
    wh.with_name("scr.duckdb.lock").write_text("")
    (snapshot_dir(wh) / "gen-1").mkdir(parents=True)
    other = wh.with_name("scr-cold.duckdb")
    other.write_text("another warehouse")
    _fresh(wh)
    assert not wh.exists() and not wh.with_name("scr.duckdb.lock").exists() and not snapshot_dir(wh).exists()
    assert other.exists()  # only the warehouse being run is removed
    _fresh(wh)  # and nothing to remove is fine


def _run(wall: float, records: int = 1000) -> dict:
    return {"wall_s": wall, "records": records, "peak_mb": 100.0, "timings": {"read": wall / 2}}


def test_the_median_run_stands_for_a_size_and_every_run_is_listed():
    assert median_run([_run(9.0), _run(7.0), _run(8.0)])["wall_s"] == 8.0
    assert median_run([_run(9.0), _run(7.0), _run(8.0), _run(10.0)])["wall_s"] == 8.0  # the faster of the middle two
    assert median_run([_run(5.0)])["wall_s"] == 5.0
    ours, splink = [_run(15.0), _run(13.0), _run(16.0)], [_run(7.0), _run(6.5), _run(7.5)]
    row = {"target": 1000, "practices": 3, "ours": median_run(ours), "ours_walls": [r["wall_s"] for r in ours],
           "splink": median_run(splink), "splink_walls": [r["wall_s"] for r in splink]}  # fmt: skip
    text = _markdown([row], "abc1234", "python -m benchmarks.journey --sizes 1000 --runner thread --repeat 3")
    assert "| 1,000 | 3 | 15.0 | 67 | 100 | 7.0 | 143 | 100 | 2.14 |" in text  # medians, and the ratio of the medians
    assert "- 1,000 records: 15.0, 13.0, 16.0 s / 7.0, 6.5, 7.5 s" in text
    assert "ran several times" not in _markdown([{**row, "ours_walls": [15.0], "splink_walls": [7.0]}], "abc1234", "make bench")


def test_a_paired_side_is_a_checkout_with_its_own_settings(tmp_path: Path):
    from benchmarks.paired import _side

    assert _side(str(tmp_path)) == (tmp_path.resolve(), {})
    assert _side(f"{tmp_path}:SCR_GATE_PROCESS=0,SCR_CHUNK_RECORDS=20000") == (
        tmp_path.resolve(), {"SCR_GATE_PROCESS": "0", "SCR_CHUNK_RECORDS": "20000"}
    )


def test_a_timeline_joins_the_main_threads_samples_in_one_place_into_stretches():
    from benchmarks.timeline import spans

    samples = [[0.05, "a.py:f", "x:wait"], [0.10, "a.py:f", "x:wait"], [0.30, "a.py:f", "x:wait"], [0.35, "b.py:g", "y:read"],
               [0.40, "a.py:f", "x:wait"], [0.45, "a.py:f", "x:wait"], [0.70, "a.py:f", "x:wait"]]  # fmt: skip
    assert spans(samples, 0.2) == [(0.05, 0.30, "a.py:f", "x:wait"), (0.40, 0.70, "a.py:f", "x:wait")]
    assert spans(samples, 0.0)[1] == (0.35, 0.35, "b.py:g", "y:read")
    assert spans([], 0.1) == []


def test_the_process_tree_from_proc_holds_a_child_with_its_memory():
    import os
    import subprocess
    import sys

    from benchmarks.journey import _tree_rss_kb
    from benchmarks.proc import descendants, processes

    child = subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.read()"], stdin=subprocess.PIPE)
    try:
        children, seen = processes(rss=True)
        assert child.pid in descendants(os.getpid(), children) and os.getpid() not in descendants(os.getpid(), children)
        assert seen[os.getpid()][0] > 0 and seen[child.pid][1] > 0  # this process has run; the child is resident
        assert _tree_rss_kb(os.getpid()) > seen[child.pid][1]  # this process and the child
    finally:
        child.communicate(b"")
