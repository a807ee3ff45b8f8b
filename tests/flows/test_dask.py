"""Scale-out: the chunk tasks on a local Dask cluster of two worker processes give the local runner's results."""

from pathlib import Path

import duckdb
import polars as pl
import pytest

pytestmark = [pytest.mark.prefect, pytest.mark.slow]


def crosswalk(path: Path) -> pl.DataFrame:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.sql("select * from client_crosswalk order by practice_id, source, source_client_id").pl()


def test_dask_run_matches_the_local_run(tmp_path, prefect_api, monkeypatch):
    from flows.settings import get_settings
    from flows.wave import nightly_wave, with_runner
    from synthetic import generate_zone

    monkeypatch.setenv("SCR_CHUNK_PRACTICES", "3")  # several chunks, so both workers get work
    get_settings.cache_clear()
    generate_zone(tmp_path / "zone", 8, seed=21)
    landing = str(tmp_path / "zone" / "landing")
    local = nightly_wave(landing=landing, warehouse=str(tmp_path / "local.duckdb"), select="all")
    dask = with_runner(nightly_wave, "dask")(landing=landing, warehouse=str(tmp_path / "dask.duckdb"), select="all")
    get_settings.cache_clear()
    assert local["records"] == dask["records"] > 0
    a, b = crosswalk(tmp_path / "local.duckdb"), crosswalk(tmp_path / "dask.duckdb")
    assert a.height > 0
    assert a.equals(b)
