"""Reading the snapshot's views as frames: the same frames, values and types, as DuckDB's own Arrow path."""

import duckdb

from tests.warehouse.handmade import published
from warehouse.reader import _frame, open_snapshot, practice_statuses, read_views
from warehouse.views import VIEWS


def test_every_view_reads_as_duckdbs_own_frame(tmp_path):
    path = published(tmp_path / "w.duckdb", hostile=True)
    with open_snapshot(path) as con:
        views = read_views(con)
        assert set(views) == set(VIEWS)
        for name, frame in views.items():
            arrow = con.sql(f"select * from {name}").pl()
            assert frame.schema == arrow.schema and frame.equals(arrow), name
        assert sum(f.height for f in views.values()) > 0
        assert practice_statuses(con).equals(con.sql("select practice_id, status, detail from practice_status order by 1").pl())


def test_a_type_the_views_do_not_use_takes_the_general_path():
    con = duckdb.connect()
    frame = _frame(con.sql("select 1.5::decimal(4, 2) as d, [1, 2] as l, null::varchar as s"))
    assert frame.equals(con.sql("select 1.5::decimal(4, 2) as d, [1, 2] as l, null::varchar as s").pl())


def test_an_interval_is_answered_as_duckdb_writes_it(tmp_path):
    """`finished_at - started_at` is an INTERVAL, which Polars cannot take: answered as text, lists and structs too,
    every other column (a repeated name included) as it is."""
    from warehouse.reader import answer

    path = published(tmp_path / "w.duckdb")
    with open_snapshot(path) as con:
        frame = answer(con, "select run_id, finished_at - started_at as took, [interval 1 hour] as l, "
                            "{'a': interval 2 minute} as s, 2 as x, 3 as x from pipeline_run where finished_at is not null "
                            "order by run_id limit 1")  # fmt: skip
    assert frame.columns == ["run_id", "took", "l", "s", "x", "x_1"]
    row = frame.row(0, named=True)
    assert row["took"].count(":") == 2 and row["l"] == "['01:00:00']" and row["s"] == "{'a': '00:02:00'}"
    assert (row["x"], row["x_1"]) == (2, 3)
    with open_snapshot(path) as con:
        other = answer(con, "select 'ab'::blob as b, '101'::bit as bits, union_value(k := 1) as u, 2 as n")
    assert other.rows() == [("ab", "101", "1", 2)]


def test_what_a_statement_does_is_read_past_its_common_table_expressions(tmp_path):
    """A PIVOT that takes its columns from the data is a MULTI statement whatever surrounds it: what it does is the
    word after a WITH's definitions, whatever they are named and however they are written."""
    import pytest

    from warehouse.reader import QueryRefused, answer

    path = published(tmp_path / "w.duckdb")
    pivot = "pivot practice_status on status using count(*) group by status"
    with open_snapshot(path) as con:
        for sql in (f"with recursive r(n) using key (n) as (select 1 union all select n + 1 from r where n < 2), "
                    f"p as not materialized ({pivot}), \"as\" as materialized (select 1) select count(*) from p, r",
                    f"with insert as ({pivot}), key as (select 1) (select count(*) from insert, key)"):  # fmt: skip
            assert answer(con, sql).height == 1, sql
        for sql in (f"with materialized as ({pivot}) insert into practice_status select * from materialized",
                    f"with \"p(\" as ({pivot}), q as (select ')') delete from practice_status",
                    f"with p as (select $$)$$ from ({pivot})) insert into practice_status select * from p"):  # fmt: skip
            with pytest.raises(QueryRefused, match="^(insert|delete) statements are not run here"):
                answer(con, sql)


def test_a_snapshot_another_process_holds_read_write_is_read_from_a_private_copy(tmp_path, monkeypatch):
    """QA9 F1: an analyst's `duckdb FILE` (read-write, DuckDB's default) on snapshot.duckdb kept every other process
    out: every reading command ended in a traceback until the next publish. The small file is copied and the copy read
    (its views find the Parquet files beside the original), the copy gone once closed; the writer's publish goes on."""
    import pytest

    from tests.support.holder import held_read_write
    from warehouse.reader import SnapshotBusy, private_copy
    from warehouse.snapshot import publish, snapshot_path
    from warehouse.status import mark_changed

    path = published(tmp_path / "w.duckdb")
    with open_snapshot(path) as con:
        expected = {name: con.sql(f"select * from {name}").pl() for name in VIEWS}
        assert not private_copy(con)
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setattr("tempfile.tempdir", str(scratch))
    with held_read_write(snapshot_path(path)) as holder:
        with pytest.raises(duckdb.IOException, match="lock"):  # what DuckDB does: no read-only session beside it
            duckdb.connect(":memory:").execute(f"attach '{snapshot_path(path)}' as s (read_only)")
        with open_snapshot(path) as con:
            assert private_copy(con)
            assert list(scratch.iterdir()) == []  # unlinked once attached
            for name, frame in expected.items():
                assert con.sql(f"select * from {name}").pl().equals(frame), name
        # the writer publishes beside the session: a new file swapped in, which the next reader opens itself
        with duckdb.connect(str(path)) as w:
            w.execute("update practice_status set detail = 'published beside the session' where practice_id = 'A1'")
            mark_changed(w, ["A1"])
            publish(w, path)
        with open_snapshot(path) as con:
            assert not private_copy(con)
            assert con.sql("select detail from practice_status where practice_id = 'A1'").fetchall() == [("published beside the session",)]
        # held again, and no copy can be made (no temporary folder): one line naming the file and the holder
        holder.kill()
    with held_read_write(snapshot_path(path)) as holder:
        monkeypatch.setattr("tempfile.tempdir", str(tmp_path / "gone"))
        with pytest.raises(SnapshotBusy) as said:
            open_snapshot(path)
        assert f"the analysts' snapshot {snapshot_path(path)} is held read-write by pid {holder.pid} (" in str(said.value)
        assert "\n" not in str(said.value)
