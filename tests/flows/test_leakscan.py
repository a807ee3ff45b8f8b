"""The leak scanner finds a planted secret wherever it hides, in any formatting: so a clean scan means something."""

from __future__ import annotations

import duckdb
import polars as pl

from tests.flows.leakscan import Secrets, scan_folder, scan_text, scan_warehouse


def secrets() -> Secrets:
    s = Secrets()
    for v in ("123 456 782", "49-091-850", "PA1234567", "12345", None):
        s.add(v)
    return s


def test_digits_are_found_in_any_formatting_and_words_whatever_the_case():
    s = secrets()
    assert s.digits == {"123456782", "49091850"} and s.words == {"PA1234567"}
    assert scan_text("TFN123-456-782 and IRD 049.091.850", s) == {"123456782", "49091850"}
    assert scan_text("tel 02 123 456 782 9", s) == {"123456782"}
    assert scan_text("passport pa-1234567 ok", s) == {"PA1234567"}
    assert scan_text("***782, 1234567820, 12345, PA123456", s) == set()
    # as people paste and type them (session 28): no-break spaces, two spaces, en dashes, full-width digits
    for typed in ("123\u00a0456\u00a0782", "123  456  782", "123\u2013456\u2013782", "\uff11\uff12\uff13\uff14\uff15\uff16\uff17\uff18\uff12"):
        assert scan_text(f"TFN {typed} ok", s) == {"123456782"}, typed
    for typed in ("123,456,782", "123_456_782"):  # a spreadsheet's thousands commas, underscores (session 29)
        assert scan_text(f"TFN {typed} ok", s) == {"123456782"}, typed
    for typed in ("123\u200b456\u200b782", "123\u00ad456\u00ad782", "1\ufeff2\u200d3456782"):  # hidden characters (session 30)
        assert scan_text(f"TFN {typed} ok", s) == {"123456782"}, typed
    # a line break or a wide gap is a separator too (QA: a multi-line address or CSV cell)
    for typed in ("123\n456\n782", "123\r\n456\r\n782", "123-\n456782", "123    456    782"):
        assert scan_text(f"TFN {typed} ok", s) == {"123456782"}, typed
    assert scan_text("\n".join(map(str, range(100_000))), s) == set()  # a file of numbers one a line is one run


def test_every_table_view_type_and_file_is_scanned(tmp_path):
    s = secrets()
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    con.execute("create table t (id integer, doc json, tags varchar[], n bigint)")
    con.execute("""insert into t values (1, '{"x": {"tfn": "123 456 782"}}', ['a'], 1), (2, null, ['b', 'PA1234567'], 49091850)""")
    con.execute("create view v as select 'IRD ' || '49-091-850' as s")
    found = scan_warehouse(con, s)
    con.close()
    assert found == {"t.doc": {"123456782"}, "t.tags": {"PA1234567"}, "t.n": {"49091850"}, "v.s": {"49091850"}}
    folder = tmp_path / "out"
    (folder / "reports").mkdir(parents=True)
    pl.DataFrame({"a": ["x", "123456782"]}).write_parquet(folder / "snap.parquet")
    (folder / "reports" / "r.html").write_text("<td>0-49-091-850</td>")
    (folder / "clean.csv").write_text("a,b\n1,2\n")
    assert scan_folder(folder, s) == {str(folder / "snap.parquet"): {"123456782"},
                                      str(folder / "reports" / "r.html"): {"49091850"}}
