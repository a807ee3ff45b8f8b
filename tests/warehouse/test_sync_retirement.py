"""The sync retirement record in a real DuckDB: plan, write once, idempotent rewrites."""

from __future__ import annotations

from datetime import date, datetime

import duckdb
import polars as pl
import pytest

from transforms.drift import drift, link_sides
from landing.schema import CLIENT, SYNC_LINK
from transforms.retirement import UNCONNECTED_NOTE, plan_retirement, unconnected
from warehouse.db import transaction
from warehouse.schema import create_all
from warehouse.sync_retirement import read_retired
from warehouse.sync_retirement import write_retirement as _write_retirement


def write_retirement(con, *args, **kw):
    with transaction(con):
        return _write_retirement(con, *args, **kw)


def fresh():
    con = duckdb.connect()
    create_all(con)
    return con


def _client(source: str, cid: str, practice: str, **kw) -> dict:
    row = {k: None for k in CLIENT.names()}
    row.update(practice_id=practice, source=source, source_client_id=cid, name="Jo Smith")
    row.update(kw)
    return row


@pytest.fixture
def zone() -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    clients = pl.DataFrame(
        [
            _client("xpm", "x1", "p1", email="old@example.com"),
            _client("hq", "h1", "p1", email="new@example.com", updated_at=datetime(2023, 10, 2)),
            _client("xpm", "x2", "p1"),
            _client("hq", "h2", "p1", updated_at=datetime(2023, 1, 1)),
            _client("xpm", "x1", "p2", city="Auckland"),
            _client("hq", "h1", "p2", city="Wellington", updated_at=datetime(2023, 1, 1)),
        ],
        schema=CLIENT,
    )
    t = datetime(2023, 9, 1)
    links = pl.DataFrame(
        [
            ("p1", "x1", "h1", datetime(2021, 1, 1), t, "active", 1),
            ("p1", "x2", "h2", datetime(2021, 1, 1), t, "paused", 2),
            ("p1", "x1", "h1", datetime(2021, 1, 1), t, "active", 3),  # listed twice: one link
            ("p2", "x1", "h1", datetime(2022, 1, 1), t, "active", 1),
            ("p2", "gone", "h1", datetime(2022, 1, 1), t, "active", 2),
        ],
        schema=SYNC_LINK,
        orient="row",
    )
    # p4 uses HQ only: nothing to connect; p5 was "confirmed" by someone who is not its Master Admin
    registry = pl.DataFrame(
        {
            "practice_id": ["p1", "p2", "p3", "p4", "p5"],
            "connection": ["confirmed", "unconfirmed", None, "none", "confirmed"],
            "connected_by": ["boss@p1", None, None, None, "staff@p5"],
            "master_admin": ["boss@p1", "boss@p2", "boss@p3", "boss@p4", "boss@p5"],
            "uses_xpm": [True, True, True, False, True],
            "uses_tax": [False, False, False, False, False],
        }
    )
    return clients, links, registry


def _run(con, zone, run_id: str) -> tuple[pl.DataFrame, dict]:
    clients, links, registry = zone
    d = drift(clients, links)
    plan = plan_retirement(links, link_sides(clients, links), d, read_retired(con))
    written = write_retirement(
        con, plan, d, unconnected(registry), run_id=run_id, retired_at=datetime(2023, 11, 1, 9), as_of=date(2023, 11, 1)
    )
    return plan, written


def test_plan_retires_active_links_once_and_skips_paused(zone):
    clients, links, _ = zone
    plan = plan_retirement(links, link_sides(clients, links), drift(clients, links), read_retired(None))
    assert plan.select("practice_id", "xpm_client_uuid", "action", "drift_fields", "xpm_found").rows() == [
        ("p1", "x1", "retire", 1, True),
        ("p1", "x2", "skipped_paused", 0, True),
        ("p2", "gone", "retire", 0, False),
        ("p2", "x1", "retire", 1, True),
    ]


def test_write_then_rewrite_changes_nothing(zone):
    con = fresh()
    plan, written = _run(con, zone, "run-1")
    assert written == {"retired": 3, "drift_rows": 2}
    first = {t: con.sql(f"select * from {t} order by all").fetchall() for t in ("sync_retirement", "sync_drift", "sync_unconnected")}
    plan2, written2 = _run(con, zone, "run-2")
    assert written2 == {"retired": 0, "drift_rows": 0}
    assert plan2.filter(pl.col("state_before") == "active")["action"].unique().to_list() == ["already_retired"]
    again = {t: con.sql(f"select * from {t} order by all").fetchall() for t in first}
    assert again == first  # the first retired_at and run_id are kept
    assert con.sql("select distinct run_id from sync_retirement").fetchall() == [("run-1",)]


def test_drift_rows_and_unconnected_list(zone):
    con = fresh()
    _run(con, zone, "run-1")
    assert con.sql(
        "select practice_id, field, xpm_value, hq_value, edited_side from sync_drift order by all"
    ).fetchall() == [
        ("p1", "email", "old@example.com", "new@example.com", "hq"),
        ("p2", "city", "Auckland", "Wellington", "xpm"),
    ]
    assert con.sql("select * from sync_unconnected order by practice_id").fetchall() == [
        ("p2", "unconfirmed", UNCONNECTED_NOTE, "an old connection awaits confirmation by the Master Admin boss@p2"),
        ("p3", "none", UNCONNECTED_NOTE, "HQ is not connected to an XPM or Xero Tax account"),
        ("p5", "confirmed", UNCONNECTED_NOTE, "connection confirmed by staff@p5, not by the Master Admin boss@p5"),
    ]


def test_read_retired_without_table_is_empty_and_write_rolls_back_on_error(zone):
    assert read_retired(duckdb.connect()).height == 0
    con = fresh()
    assert read_retired(con).height == 0
    clients, links, registry = zone
    d = drift(clients, links)
    plan = plan_retirement(links, link_sides(clients, links), d, read_retired(con))
    bad_unconnected = unconnected(registry).with_columns(pl.lit(None, pl.String).alias("practice_id"))
    with pytest.raises(duckdb.Error):  # NULL primary key: the whole write must roll back
        write_retirement(con, plan, d, bad_unconnected, run_id="r", retired_at=datetime(2023, 11, 1), as_of=date(2023, 11, 1))
    assert con.sql("select count(*) from sync_retirement").fetchall() == [(0,)]
    assert con.sql("select count(*) from sync_drift").fetchall() == [(0,)]
