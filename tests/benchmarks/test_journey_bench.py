"""The journey benchmark times a first wave: nothing of an earlier bench's warehouse is left in a --keep folder."""

from pathlib import Path

import duckdb

from benchmarks.journey import _fresh
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
