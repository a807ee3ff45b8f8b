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
