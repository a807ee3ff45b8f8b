"""DuckDB staging: tables from the schema, per-practice replace inside a transaction, round trip, no raw tax numbers."""

from __future__ import annotations

import duckdb
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from tests.landing.fixtures import KEY, RAW_TAX_NUMBERS, all_text, practice, zone
from landing import schema
from landing import Frames, read_practice, read_registry
from warehouse.db import transaction
from warehouse.load import RepeatedKey
from warehouse.schema import TABLES, create_all
from warehouse.staging import load_practices, read_practices, read_staging
from warehouse.staging import load_staging as _load_staging


def load_staging(con, frames, ids):
    with transaction(con):
        _load_staging(con, frames, ids)

SORT = {n: list(schema.STAGING[n].names()) for n in schema.STAGING}


@pytest.fixture
def landing(tmp_path):
    return zone(tmp_path)


@pytest.fixture
def frames(landing) -> dict[str, Frames]:
    return {pid: read_practice(landing, practice(landing, pid), KEY) for pid in ("P_AU", "P-NZ")}


@pytest.fixture
def con(tmp_path):
    c = duckdb.connect(str(tmp_path / "wh.duckdb"))
    create_all(c)
    yield c
    c.close()


def sorted_frame(df: pl.DataFrame, name: str) -> pl.DataFrame:
    return df.sort(SORT[name], nulls_last=False)


def test_tables_created_from_schema(con):
    tables = {r[0] for r in con.sql("select table_name from information_schema.tables").fetchall()}
    assert {f"stg_{n}" for n in schema.STAGING} <= tables
    cols = con.sql("select column_name, data_type from information_schema.columns where table_name='stg_client'").fetchall()
    assert [c for c, _ in cols] == list(schema.CLIENT.names())
    assert dict(cols)["updated_at"] == "TIMESTAMP" and dict(cols)["date_of_birth"] == "DATE"


def test_round_trip(con, frames):
    both = Frames.concat(list(frames.values()))
    load_staging(con, both, ["P_AU", "P-NZ"])
    back = read_staging(con)
    for name in Frames.names():
        got, want = getattr(back, name), getattr(both, name)
        assert got.schema == schema.STAGING[name]
        assert_frame_equal(got, sorted_frame(want, name).select(got.columns), check_row_order=False)
        assert_frame_equal(got, got.sort(SORT[name][:3], maintain_order=True))  # sorted by key
    only_nz = read_staging(con, ["P-NZ"])
    assert set(only_nz.client.get_column("practice_id")) == {"P-NZ"}
    assert only_nz.client.height == frames["P-NZ"].client.height


def test_replace_only_named_practices(con, frames):
    load_staging(con, Frames.concat(list(frames.values())), ["P_AU", "P-NZ"])
    smaller = frames["P_AU"].with_(client=frames["P_AU"].client.head(1), sync_link=frames["P_AU"].sync_link.head(0))
    load_staging(con, smaller, ["P_AU"])
    back = read_staging(con)
    counts = dict(back.client.group_by("practice_id").len().rows())
    assert counts == {"P_AU": 1, "P-NZ": frames["P-NZ"].client.height}
    assert back.sync_link.height == 0
    # rows of a practice not named are not inserted
    load_staging(con, Frames.concat(list(frames.values())), ["P-NZ"])
    assert read_staging(con, ["P_AU"]).client.height == 1


def test_failed_load_changes_nothing(con, frames):
    load_staging(con, frames["P_AU"], ["P_AU"])
    before = read_staging(con)
    dup = frames["P_AU"].with_(client=pl.concat([frames["P_AU"].client, frames["P_AU"].client.head(1)]))
    with pytest.raises(RepeatedKey, match="stg_client: 2 rows share their key"):
        load_staging(con, dup, ["P_AU"])
    after = read_staging(con)
    for name in Frames.names():
        assert_frame_equal(getattr(before, name), getattr(after, name))


def test_practices_round_trip(con, landing):
    reg = read_registry(landing)
    load_practices(con, reg)
    load_practices(con, reg)
    assert_frame_equal(read_practices(con), reg.sort("practice_id"))


def test_no_raw_tax_number_in_frames_or_tables(con, frames):
    both = Frames.concat(list(frames.values()))
    texts = [t for n in Frames.names() for t in all_text(getattr(both, n))]
    load_staging(con, both, ["P_AU", "P-NZ"])
    for name in schema.STAGING:
        texts += [str(v) for row in con.sql(f"select * from stg_{name}").fetchall() for v in row if v is not None]
    joined = "\n".join(texts)
    digits_only = "".join(ch for ch in joined if ch.isdigit() or ch == "\n")
    for number in RAW_TAX_NUMBERS:
        assert number not in digits_only, number
    # the hashes are there instead
    assert both.identifier.filter(pl.col("id_type").is_in(["TFN", "IRD"])).get_column("id_hash").null_count() == 0



def test_a_warehouse_whose_staged_clients_had_a_primary_key_keeps_its_rows_without_it(tmp_path, frames):
    """Before the loader kept stg_client's and proposed_crosswalk's keys, DuckDB did, with an index: create_all
    rebuilds those tables without it, rows and columns as they were, and the loader still refuses a repeat."""
    c = duckdb.connect(str(tmp_path / "old.duckdb"))
    create_all(c)
    for table in ("stg_client", "proposed_crosswalk"):  # as an older warehouse made them
        cols = ", ".join(f'"{n}" {t}' for n, t in TABLES[table].columns.items())
        c.execute(f"drop table {table}")
        c.execute(f"create table {table} ({cols}, primary key (practice_id, source, source_client_id))")
    load_staging(c, frames["P_AU"], ["P_AU"])
    before = read_staging(c)
    with transaction(c):
        create_all(c)
    keyed = c.sql("select table_name from duckdb_constraints() where constraint_type = 'PRIMARY KEY' order by 1").fetchall()
    assert ("stg_client",) not in keyed and ("proposed_crosswalk",) not in keyed and ("stg_practice",) in keyed
    after = read_staging(c)
    assert_frame_equal(before.client, after.client)
    assert c.sql("select * from stg_client limit 0").columns == list(TABLES["stg_client"].columns)
    dup = frames["P_AU"].with_(client=pl.concat([frames["P_AU"].client, frames["P_AU"].client.head(1)]))
    with pytest.raises(RepeatedKey):
        load_staging(c, dup, ["P_AU"])
    c.close()
