"""A run that finds the warehouse in a state that must never be fails loudly and says which invariant broke."""

from __future__ import annotations

import json

import duckdb
import pytest

pytestmark = pytest.mark.prefect


def test_a_tampered_promoted_version_fails_the_next_run_loudly(tmp_path, prefect_api):
    from flows.wave import InvariantBroken, nightly_wave, rerun_practice
    from synthetic import generate_zone

    generate_zone(tmp_path / "zone", 8, seed=4)
    landing, wh = str(tmp_path / "zone" / "landing"), tmp_path / "scr.duckdb"
    nightly_wave(landing=landing, warehouse=str(wh), select="all")
    with duckdb.connect(str(wh)) as con:
        assert con.sql("select bool_and((invariants->>'$.versions_immutable.ok')::boolean) from pipeline_run").fetchall() == [(True,)]
        pid = con.sql("select min(practice_id) from unified_client").fetchall()[0][0]
        con.execute("update unified_client_version set name = 'Not Their Name' where practice_id = ?", [pid])
    with pytest.raises(InvariantBroken, match="versions_immutable"):
        rerun_practice(practices=[pid], landing=landing, warehouse=str(wh))
    with duckdb.connect(str(wh), read_only=True) as con:
        status, invariants = con.sql("select status, invariants from pipeline_run order by started_at desc limit 1").fetchall()[0]
    assert status == "broken"
    assert json.loads(invariants)["versions_immutable"]["examples"] == [f"{pid} v1"]
