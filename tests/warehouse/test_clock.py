"""Every time the warehouse records is UTC, whatever the time zone of the machine (or operator) writing it.

A nightly wave on a server and an operator's rerun from a laptop in another zone write the same tables:
their times must be comparable, or the timeline, the review queue's waiting time and the snapshot's
grace period order them wrongly.
"""

import os
import time
from datetime import UTC, datetime, timedelta

import duckdb
import polars as pl
import pytest

from warehouse.choices import pin, record_choice
from warehouse.run_store import finish_run, start_run, write_gate_results, write_run_practices
from warehouse.schema import create_all
from warehouse.status import write_extracts, write_status


@pytest.fixture()
def far_zone(monkeypatch):
    """This process in UTC+13:45 (Chatham Islands, summer), as DuckDB sees it from a new connection."""
    monkeypatch.setenv("TZ", "Pacific/Chatham")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def test_every_time_written_is_utc_in_any_time_zone(far_zone):
    con = duckdb.connect()
    assert con.sql("select current_setting('TimeZone')").fetchall() == [("Pacific/Chatham",)]
    create_all(con)
    before = datetime.now(UTC).replace(tzinfo=None) - timedelta(seconds=5)
    start_run(con, "r1", "wave", {})
    write_status(con, pl.DataFrame({"practice_id": ["P1"], "status": ["complete"], "detail": ["promoted (combine)"]}), "r1")
    write_extracts(con, pl.DataFrame({"practice_id": ["P1"], "fingerprint": ["f"], "ok": [True], "detail": [None]},
                                     schema_overrides={"detail": pl.String}), "r1")  # fmt: skip
    write_run_practices(con, pl.DataFrame({"practice_id": ["P1"], "records": [3], "status": ["complete"]}), "r1")
    write_gate_results(con, pl.DataFrame({"practice_id": ["P1"], "suite": ["s"], "expectation": ["e"], "success": [True],
                                          "unexpected_count": [0], "result_json": ["{}"]}), "r1")  # fmt: skip
    record_choice(con, "P1", "strategy", "combine", None, "me@firm")
    pin(con, "P1", 1, "me@firm", "rolled back")
    finish_run(con, "r1", "completed", {}, {})
    after = datetime.now(UTC).replace(tzinfo=None) + timedelta(seconds=5)

    stamps = con.sql(
        "select table_name, column_name from information_schema.columns where data_type = 'TIMESTAMP' order by all"
    ).fetchall()
    seen = {}
    for table, column in stamps:
        for (value,) in con.sql(f'select "{column}" from "{table}" where "{column}" is not null').fetchall():
            seen[f"{table}.{column}"] = value
    expected = {
        "pipeline_run.started_at", "pipeline_run.finished_at", "practice_status.updated_at", "practice_status_history.changed_at",
        "practice_extract.extracted_at", "run_practice.written_at", "quality_result.checked_at", "practice_choice.chosen_at",
        "practice_pin.pinned_at",
    }  # fmt: skip
    assert expected <= set(seen), sorted(seen)
    wrong = {k: v for k, v in seen.items() if not before <= v <= after}
    assert wrong == {}, f"not UTC (now {datetime.now(UTC):%H:%M} UTC): {wrong}"
    assert os.environ["TZ"] == "Pacific/Chatham"
