"""Review round trip, unmerge and the consolidation CLI on a real DuckDB warehouse."""

from __future__ import annotations

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from flows.cli import app as scr
from tests.quality.factory import ABN_OK2, practice, strategies
from transforms.carry import own_id
from transforms.survivorship import survive
from flows.commit import unified_tables
from flows.operations import unmerge as _unmerge
from warehouse.db import connect, transaction
from warehouse.promote import PromotionError, promote
from warehouse.review import ReviewError, export_review, read_decisions
from warehouse.review import apply_review as _apply_review
from warehouse.schema import create_all
from warehouse.staging import load_staging


def unmerge(con, uid):
    return _unmerge(con, uid, by="tester")[1]


def apply_review(con, path):
    with transaction(con):
        return _apply_review(con, path)

LINKS = pl.Schema({
    "practice_id": pl.String, "source_l": pl.String, "source_client_id_l": pl.String, "source_r": pl.String,
    "source_client_id_r": pl.String, "match_weight": pl.Float64, "match_probability": pl.Float64,
    "decision": pl.String, "veto": pl.String, "evidence": pl.String,
})


def links(pid: str) -> pl.DataFrame:
    rows = [
        (pid, "hq", "h3", "xpm", "x4", 3.1, 0.8, "review", None, '{"name": {"level": 2}}'),
        (pid, "hq", "h1", "xpm", "x1", 12.0, 0.999, "auto", None, "{}"),
        (pid, "hq", "h2", "hq", "h3", 1.0, 0.6, "review", None, "{}"),
    ]
    return pl.DataFrame(rows, schema=LINKS, orient="row")


@pytest.fixture()
def warehouse(tmp_path):
    f, cw = practice("p1")
    path = tmp_path / "wh.duckdb"
    con = connect(path)
    create_all(con)
    with transaction(con):
        load_staging(con, f, ["p1"])
        con.execute("insert into stg_practice (practice_id, name, strategy) values ('p1', 'P One', 'combine')")
        match = links("p1")  # noqa: F841
        con.execute("insert into client_match by name select * from match")
        promote(con, unified_tables(survive(f, cw, strategies(p1="combine"))), ["p1"], "run-1")
    yield con, path
    con.close()


def test_export_fill_apply_read_round_trip(warehouse, tmp_path):
    con, _ = warehouse
    out = tmp_path / "review.csv"
    assert export_review(con, "p1", out) == 2
    sheet = pl.read_csv(out, infer_schema=False)
    assert sheet.select("source_client_id_l", "source_client_id_r").rows() == [("h3", "x4"), ("h2", "h3")]
    first = sheet.row(0, named=True)
    assert (first["name_l"], first["ids_l"], first["decision"] or "") == ("Acme Pty Ltd", "ABN ***616", "")
    assert ABN_OK2[:-3] not in out.read_text()  # identifiers only as their last three digits
    # the person fills the sheet; one row is written the other way round, in capitals
    filled = sheet.with_columns(decision=pl.Series(["Accept", " reject "]))
    flipped = filled.with_columns(
        source_l=pl.when(pl.col("source_client_id_l") == "h2").then(pl.col("source_r")).otherwise("source_l"),
        source_r=pl.when(pl.col("source_client_id_l") == "h2").then(pl.col("source_l")).otherwise("source_r"),
        source_client_id_l=pl.when(pl.col("source_client_id_l") == "h2").then(pl.col("source_client_id_r")).otherwise("source_client_id_l"),
        source_client_id_r=pl.when(pl.col("source_client_id_l") == "h2").then(pl.col("source_client_id_l")).otherwise("source_client_id_r"),
    )
    flipped.write_csv(out)
    assert apply_review(con, out) == 2
    expected = [("p1", "hq", "h2", "hq", "h3", "reject"), ("p1", "hq", "h3", "xpm", "x4", "accept")]
    assert read_decisions(con).rows() == expected
    stamps = con.sql("select * from review_decision order by all").fetchall()
    assert apply_review(con, out) == 2  # idempotent: same decisions, same rows, same timestamps
    assert con.sql("select * from review_decision order by all").fetchall() == stamps
    assert read_decisions(con, ["p2"]).is_empty()
    # decided links are no longer pending
    assert export_review(con, "p1", tmp_path / "again.csv") == 0


def test_bad_files_are_refused_with_the_line(warehouse, tmp_path):
    con, _ = warehouse
    out = tmp_path / "review.csv"
    export_review(con, "p1", out)
    sheet = pl.read_csv(out, infer_schema=False)
    sheet.with_columns(decision=pl.Series(["maybe", None])).write_csv(out)
    with pytest.raises(ReviewError, match="line 2: decision 'maybe'"):
        apply_review(con, out)
    sheet.with_columns(decision=pl.Series([None, "accept"]), source_client_id_r=pl.lit("nope")).write_csv(out)
    with pytest.raises(ReviewError, match="line 3: no proposed link") as info:
        apply_review(con, out)
    # an old export after a run changed the proposals: what to do next, found by the operator audit
    assert "nothing was recorded" in str(info.value) and "export them again (`scr review export -p p1`)" in str(info.value)
    # a decided row whose key cells were emptied (a spreadsheet's cut): named by line and column, never "practice None"
    sheet.with_columns(decision=pl.Series([None, "accept"]), practice_id=pl.Series(["p1", None])).write_csv(out)
    with pytest.raises(ReviewError, match="line 3: a decision with no practice_id: ") as info:
        apply_review(con, out)
    assert "None" not in str(info.value) and "nothing was recorded" in str(info.value)
    sheet.with_columns(decision=pl.Series(["reject", None]), source_l=pl.lit(None, pl.String)).write_csv(out)
    with pytest.raises(ReviewError, match="line 2: a decision with no source_l: "):
        apply_review(con, out)
    with pytest.raises(ReviewError, match="unknown practice"):
        export_review(con, "p404", out)
    # a decided row of a practice this warehouse does not hold (another warehouse's file): said so, not "no link"
    sheet.with_columns(decision=pl.Series([None, "accept"]), practice_id=pl.Series(["p1", "P404"])).write_csv(out)
    with pytest.raises(ReviewError, match="line 3: unknown practice 'P404': not in this warehouse"):
        apply_review(con, out)
    assert read_decisions(con).is_empty()


def test_a_review_file_as_spreadsheets_save_it_is_read_and_one_in_another_code_page_is_refused_saying_what_to_do(warehouse, tmp_path):
    """Found by hand (session 28): Excel for Mac's "CSV (Macintosh)" (CR line ends) was refused as "missing columns
    decision", a European Excel's semicolons with Polars' own words, Windows-1252 with no line and no way out."""
    import csv

    con, _ = warehouse
    export_review(con, "p1", tmp_path / "review.csv")
    rows = list(csv.reader((tmp_path / "review.csv").read_text(encoding="utf-8").splitlines()))
    col = rows[0].index("decision")
    rows[1][col], rows[2][col] = "Accept", "reject"
    rows[1][rows[0].index("name_l")] += " Café"

    def saved(name: str, encoding: str, **dialect) -> object:
        path = tmp_path / name
        with path.open("w", newline="", encoding=encoding) as f:
            csv.writer(f, **dialect).writerows(rows)
        return path

    expected = [("p1", "hq", "h2", "hq", "h3", "reject"), ("p1", "hq", "h3", "xpm", "x4", "accept")]
    for path in (saved("mac.csv", "utf-8", lineterminator="\r"),  # Excel for Mac, "CSV (Macintosh)"
                 saved("semicolons.csv", "utf-8-sig", delimiter=";", lineterminator="\r\n"),  # a European locale's Excel
                 saved("unicode.txt", "utf-16", delimiter="\t", lineterminator="\r\n")):  # Excel's "Unicode Text"
        with transaction(con):
            con.execute("delete from review_decision")
        assert apply_review(con, path) == 2, path
        assert read_decisions(con).rows() == expected, path
    with transaction(con):
        con.execute("delete from review_decision")
    for name, ends in (("windows.csv", "\r\n"), ("mac-roman.csv", "\r")):
        path = saved(name, "cp1252" if name == "windows.csv" else "mac_roman", lineterminator=ends)
        with pytest.raises(ReviewError, match=f"{name}: not a review CSV .*: line 2 is not UTF-8 text; save it as CSV UTF-8"):
            apply_review(con, path)
    # a row longer than the header: its line, not the reader's words
    ragged = tmp_path / "ragged.csv"
    ragged.write_text((tmp_path / "review.csv").read_text() + ",".join(["cell"] * 20) + "\n")
    with pytest.raises(ReviewError, match="ragged.csv: not a review CSV .*: line 4 has 20 cells, the header 1[0-9]"):
        apply_review(con, ragged)
    assert read_decisions(con).is_empty()


def test_a_file_that_is_no_review_csv_is_refused_naming_it(warehouse, tmp_path):
    con, path = warehouse
    export_review(con, "p1", tmp_path / "review.csv")
    exported = (tmp_path / "review.csv").read_bytes()
    files = {
        "empty.csv": b"",
        "latin1.csv": exported.replace(b"Acme", b"Acm\xe9"),  # saved as Latin-1, not UTF-8
        "ragged.csv": exported + b",".join([b"cell"] * 20) + b"\n",  # a row longer than the header (JSON, a note)
        "picture.csv": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe",
    }
    for name, content in files.items():
        (tmp_path / name).write_bytes(content)
        with pytest.raises(ReviewError, match=f"{name}: not a review CSV"):
            apply_review(con, tmp_path / name)
    with pytest.raises(ReviewError, match="a folder, not a review CSV"):
        apply_review(con, tmp_path)
    assert read_decisions(con).is_empty()
    con.close()  # the CLI opens the file itself: one line, exit 1, no traceback
    for name in files:
        res = CliRunner().invoke(scr, ["review", "apply", str(tmp_path / name), "--by", "me", "-w", str(path)])
        assert res.exit_code == 1 and isinstance(res.exception, SystemExit), (name, res.output)
        assert " ".join(res.output.split()).startswith(f"error: {tmp_path / name}"), res.output
    # a folder is bad usage, as a folder given for the warehouse is: exit 2, before the warehouse is taken
    res = CliRunner().invoke(scr, ["review", "apply", str(tmp_path), "--by", "me", "-w", str(path)])
    assert res.exit_code == 2 and " ".join(res.output.split()).startswith(f"error: the review file {tmp_path} is a folder"), res.output


def test_unmerge_splits_into_one_client_per_record_and_rejects_its_pairs(warehouse):
    con, _ = warehouse
    ids = unmerge(con, "p1-u1")
    assert ids == sorted(own_id("p1", s, c) for s, c in [("xpm", "x1"), ("hq", "h1"), ("tax", "t1")])
    assert con.sql("select version from promotion_version where is_current").fetchall() == [(2,)]
    current = dict(con.sql("select unified_client_id, name from unified_client").fetchall())
    assert "p1-u1" not in current and current["p1-u2"] == "Jane Doe"
    assert current[own_id("p1", "hq", "h1")] == "Smith Family Trust (HQ)"
    cw = con.sql("select unified_client_id, merge_status from client_crosswalk where source_client_id in ('x1', 'h1', 't1')").fetchall()
    assert sorted(cw) == sorted((i, "unique") for i in ids)
    assert read_decisions(con).rows() == [
        ("p1", "hq", "h1", "tax", "t1", "reject"), ("p1", "hq", "h1", "xpm", "x1", "reject"), ("p1", "tax", "t1", "xpm", "x1", "reject")]
    with pytest.raises(PromotionError, match="unknown unified client"):
        unmerge(con, "p1-u1")
    with pytest.raises(PromotionError, match="single source record"):
        unmerge(con, ids[0])


def test_cli_review_rollback_and_unmerge(warehouse, tmp_path):
    con, path = warehouse
    con.close()  # the CLI opens the file itself
    runner = CliRunner()

    def scr_(*args: str):
        return runner.invoke(scr, [*args, "--warehouse", str(path)])

    def said(res) -> str:  # the words, whatever the terminal's width
        return " ".join(res.output.split())

    out = tmp_path / "r.csv"
    res = scr_("review", "export", "--practice", "p1", "--out", str(out))
    assert res.exit_code == 0 and "2 links" in said(res) and out.exists()
    res = scr_("review", "export", "-p", "nope")
    assert res.exit_code == 2 and "unknown practice" in said(res)  # bad usage: no such practice
    pl.read_csv(out, infer_schema=False).with_columns(decision=pl.lit("reject")).write_csv(out)
    res = scr_("review", "apply", str(out), "--by", "reviewer@p1")
    assert res.exit_code == 0 and "2 decisions recorded" in said(res) and "by reviewer@p1" in said(res)

    res = scr_("rollback", "--practice", "p1", "--by", "ops")
    assert res.exit_code == 1 and "no version before" in said(res)  # refused
    res = scr_("unmerge", "--unified-id", "p1-u2", "--by", "ops")
    assert res.exit_code == 0 and "split into 2" in said(res)
    assert said(res).count("split into") == 1, said(res)  # the split is said once, its new ids under it
    res = scr_("rollback", "-p", "p1", "--by", "ops")
    assert res.exit_code == 0 and "version 2 -> 1" in said(res) and "pinned" in said(res)
    res = runner.invoke(scr, ["rollback", "-p", "p1", "--warehouse", str(tmp_path / "missing.duckdb")])
    assert res.exit_code == 2 and "no warehouse at" in said(res)


def test_cli_review_export_writes_nothing_when_a_practice_is_unknown_or_out_is_no_file(warehouse, tmp_path):
    con, path = warehouse
    con.close()  # the CLI opens the file itself (read-only: another configuration than this connection's)
    (tmp_path / "notes.txt").write_text("a file\n")
    runner = CliRunner()
    cases = ((["-p", "p1", "-p", "nope", "-o", str(tmp_path / "new" / "r.csv")], "unknown practice 'nope'"),
             (["-p", "p1", "-o", str(tmp_path)], f"--out {tmp_path} is a folder"),
             (["-p", "p1", "-o", str(tmp_path / "notes.txt" / "r.csv")], f"{tmp_path / 'notes.txt'} is a file, not a folder"))  # fmt: skip
    for args, message in cases:
        res = runner.invoke(scr, ["review", "export", *args, "-w", str(path)])
        assert res.exit_code == 2 and isinstance(res.exception, SystemExit), res.output
        assert message in " ".join(res.output.split())
    assert sorted(p.name for p in tmp_path.iterdir() if p.name != "wh.duckdb" and not p.name.startswith("wh.")) == ["notes.txt"]


TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "'")


def _cells(path) -> list[str]:
    import csv

    with open(path, newline="", encoding="utf-8") as f:
        return [cell for row in csv.reader(f) for cell in row]


def test_exported_cells_are_inert_and_apply_reads_back_exactly_what_was_exported(warehouse, tmp_path):
    con, _ = warehouse
    hostile_id = '=HYPERLINK("http://x","x4")'
    con.execute("update stg_client set name = '=HYPERLINK(\"http://evil\",\"Acme\")' where source_client_id = 'h3'")
    con.execute("update stg_client set name = '@SUM(1+1)', source_client_id = $i where source_client_id = 'x4'", {"i": hostile_id})
    con.execute("update client_match set source_client_id_r = $i where source_client_id_r = 'x4'", {"i": hostile_id})
    out = tmp_path / "review.csv"
    assert export_review(con, "p1", out) == 2
    cells = _cells(out)
    assert "'=HYPERLINK(\"http://evil\",\"Acme\")" in cells and "'@SUM(1+1)" in cells and "'" + hostile_id in cells
    assert not [c for c in cells if c[:1] in TRIGGERS[:-1]]  # nothing a spreadsheet would evaluate
    sheet = pl.read_csv(out, infer_schema=False).with_columns(decision=pl.lit("accept"))
    sheet.write_csv(out)  # the reviewer's tool writes the escaped cells back as they are
    assert apply_review(con, out) == 2
    assert ("p1", "hq", "h3", "xpm", hostile_id, "accept") in read_decisions(con).rows()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(st.characters(blacklist_categories=["Cs"], blacklist_characters="\x00"), min_size=1, max_size=12))
def test_any_source_id_survives_export_and_apply(warehouse, tmp_path, ident):
    con, _ = warehouse
    con.execute("delete from review_decision")  # each example starts undecided
    con.execute("update client_match set source_client_id_r = $i where source_l = 'hq' and source_client_id_l = 'h3'",
                {"i": ident})
    out = tmp_path / "prop.csv"
    assert export_review(con, "p1", out) == 2
    pl.read_csv(out, infer_schema=False).with_columns(decision=pl.lit("reject")).write_csv(out)
    assert apply_review(con, out) == 2
    assert ("p1", "hq", "h3", "xpm", ident) in [r[:5] for r in read_decisions(con).rows()]


def test_cli_review_apply_says_when_the_same_file_changes_nothing(warehouse, tmp_path):
    con, path = warehouse
    con.close()
    out = tmp_path / "r.csv"
    runner = CliRunner()
    assert runner.invoke(scr, ["review", "export", "-p", "p1", "-o", str(out), "-w", str(path)]).exit_code == 0
    sheet = pl.read_csv(out, infer_schema=False)
    sheet.with_columns(decision=pl.Series(["accept", None])).write_csv(out)

    def apply_() -> str:
        res = runner.invoke(scr, ["review", "apply", str(out), "--by", "me", "-w", str(path)])
        assert res.exit_code == 0, res.output
        return " ".join(res.output.split())

    assert "1 decision recorded" in apply_()
    said = apply_()  # the same file twice: nothing new, and the operator is told so
    assert "nothing changed" in said and "already recorded" in said and "recorded from" not in said
    sheet.with_columns(decision=pl.Series(["accept", "reject"])).write_csv(out)
    said = apply_()  # one new decision beside one already recorded
    assert "1 decision recorded" in said and "1 already recorded" in said
    sheet.write_csv(out)  # the decision column left blank throughout
    assert "no decision in" in apply_()
    with connect(path, read_only=True) as con:
        assert con.sql("select count(*) from review_decision_log").fetchall() == [(2,)]


def test_a_pair_accepted_on_one_line_and_rejected_on_another_is_refused_naming_both(warehouse, tmp_path):
    con, _ = warehouse
    out = tmp_path / "review.csv"
    export_review(con, "p1", out)
    sheet = pl.read_csv(out, infer_schema=False)
    first = sheet.head(1).with_columns(decision=pl.lit(" Accept"))
    # its twin written the other way round, as a person copying the row might
    twin = first.with_columns(decision=pl.lit("REJECT"), source_l=pl.col("source_r"), source_r=pl.col("source_l"),
                              source_client_id_l=pl.col("source_client_id_r"), source_client_id_r=pl.col("source_client_id_l"))
    pl.concat([first, sheet.tail(1), twin]).write_csv(out)
    with pytest.raises(ReviewError, match="lines 2 and 4 decide the same link hq:h3 - xpm:x4 differently"):
        apply_review(con, out)
    assert read_decisions(con).is_empty()  # nothing of the file applied
    pl.concat([first, first, sheet.tail(1)]).write_csv(out)  # a duplicated row deciding alike is fine
    assert apply_review(con, out) == 1
    assert read_decisions(con)["decision"].to_list() == ["accept"]


def test_a_rollback_leaves_the_practice_in_review_while_links_await_a_person(warehouse, tmp_path):
    con, path = warehouse
    unmerge(con, "p1-u2")  # version 2; the two review links are still undecided
    con.close()
    res = CliRunner().invoke(scr, ["rollback", "-p", "p1", "--by", "ops", "-w", str(path)])
    words = " ".join(res.output.split())
    assert res.exit_code == 0 and "version 2 -> 1" in words, res.output
    assert "is now in_review: rolled back to version 1 by ops; 2 links await review; pinned" in words
    with connect(path, read_only=True) as con:
        assert con.sql("select status from practice_status where practice_id = 'p1'").fetchall() == [("in_review",)]
    pending = tmp_path / "left.csv"
    res = CliRunner().invoke(scr, ["review", "export", "-p", "p1", "-o", str(pending), "-w", str(path)])
    assert res.exit_code == 0 and "2 links of practice p1 await review" in " ".join(res.output.split())


def test_revoke_takes_the_review_file_as_the_operator_names_it(warehouse, tmp_path):
    con, path = warehouse
    con.close()  # the CLI opens the file itself
    out = tmp_path / "sheets" / "r.csv"
    runner = CliRunner()

    def scr_(*args: str):
        res = runner.invoke(scr, [*args, *(["--by", "ops"] if args[1] != "export" else []), "-w", str(path)])
        return res.exit_code, " ".join(res.output.split())

    assert scr_("review", "export", "-p", "p1", "-o", str(out))[0] == 0
    pl.read_csv(out, infer_schema=False).with_columns(decision=pl.lit("reject")).write_csv(out)
    assert scr_("review", "apply", str(out))[0] == 0
    code, words = scr_("review", "revoke", "-p", "p1", "--file", str(out))  # the path it was applied from
    assert code == 0 and "withdrew 2 decisions (r.csv)" in words, words
    code, words = scr_("review", "revoke", "-p", "p1", "--file", "r.csv")  # twice: nothing left to withdraw
    assert code == 1 and "practice p1 has no decision in force from r.csv" in words
    code, words = scr_("review", "revoke", "-p", "p1", "--all")
    assert code == 1 and "no decision in force at all" in words


@pytest.mark.parametrize("name", ["review [final].csv", "review*.csv", "r?.csv"])
def test_a_review_file_is_read_by_its_name_never_as_a_pattern(warehouse, tmp_path, name):
    """A file name with brackets, a star or a question mark is that file, not a glob (the CSV reader's default)."""
    con, _ = warehouse
    out = tmp_path / name
    assert export_review(con, "p1", out) == 2
    pl.read_csv(out, infer_schema=False, glob=False).with_columns(decision=pl.Series(["accept", "reject"])).write_csv(out)
    assert apply_review(con, out) == 2
    assert read_decisions(con).get_column("decision").to_list() == ["reject", "accept"]


def test_review_export_reads_the_snapshot_so_it_works_while_a_writer_holds_the_warehouse(warehouse, tmp_path, monkeypatch):
    from flows.settings import get_settings
    from warehouse.db import writer
    from warehouse.snapshot import publish

    con, path = warehouse
    con.execute("update stg_client set name = '=HYPERLINK(\"http://evil\",\"Acme\")' where source_client_id = 'h3'")
    con.close()
    runner = CliRunner()

    def export(out) -> str:
        res = runner.invoke(scr, ["review", "export", "-p", "p1", "-o", str(out), "-w", str(path)])
        assert res.exit_code == 0, res.output
        return " ".join(res.output.split())

    live = tmp_path / "live.csv"
    assert "2 links of practice p1 await review" in export(live)  # no snapshot published yet: the live file, read-only
    with writer(path) as w:
        publish(w, path)
    monkeypatch.setenv("SCR_WAIT_SECONDS", "1")  # a command that waited for the writer would give up in a second
    get_settings.cache_clear()
    try:
        during = tmp_path / "during.csv"
        with writer(path):  # a wave holds the warehouse
            assert "2 links of practice p1 await review" in export(during)
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()
    assert during.read_bytes() == live.read_bytes()  # the same CSV, byte for byte
    cells = _cells(during)
    assert "'=HYPERLINK(\"http://evil\",\"Acme\")" in cells and not [c for c in cells if c[:1] in TRIGGERS[:-1]]


def test_a_rollback_without_to_run_again_after_it_committed_never_goes_back_twice(warehouse, tmp_path):
    con, path = warehouse
    unmerge(con, "p1-u2")  # version 2
    unmerge(con, "p1-u1")  # version 3
    con.close()
    runner = CliRunner()

    def scr_(*args: str) -> tuple[int, str]:
        res = runner.invoke(scr, ["rollback", "-p", "p1", *args, "--by", "ops", "-w", str(path)])
        return res.exit_code, " ".join(res.output.split())

    def current() -> int:
        with connect(path, read_only=True) as c:
            return c.sql("select version from promotion_version where practice_id = 'p1' and is_current").fetchall()[0][0]

    code, words = scr_()
    assert code == 0 and "version 3 -> 2" in words and current() == 2, words
    # the operator saw nothing (killed after its commit, a lost terminal) and runs the same command again
    code, words = scr_()
    assert code == 1 and current() == 2, words
    assert "already rolled back: it is on version 2 since a rollback from version 3 by ops" in words
    assert "`scr rollback -p p1 --to N`" in words
    code, words = scr_("--to", "2")  # the named form, retried, is refused alike
    assert code == 1 and "already on version 2" in words and current() == 2
    code, words = scr_("--to", "1")  # further back only when named
    assert code == 0 and "version 2 -> 1" in words and current() == 1
    with connect(path, read_only=True) as c:  # every rollback that happened is on record, once
        assert c.sql("select value, previous from practice_choice where choice = 'pin' order by chosen_at").fetchall() == [
            ("2", "3"), ("1", "2")]
    # an unmerge of the pinned version moves the pin: undoing that unmerge is a plain rollback again
    with connect(path) as c:
        unmerge(c, "p1-u1")
    code, words = scr_()
    assert code == 0 and "version 4 -> " in words, words


def test_an_accept_of_a_pair_with_two_different_valid_numbers_is_refused_naming_the_line_and_the_veto(warehouse, tmp_path):
    """QA11 D3: such an accept was recorded silently, and the next run blocked the whole practice at the quality gate
    (one_valid_identifier_per_kind) with a next step that did not lead to the decision. It is refused up front; a reject
    of the same pair, or the pair left blank, is recorded as before."""
    con, _ = warehouse
    con.execute("update client_match set veto = 'identifier,dob' where source_client_id_l = 'h3'")
    out = tmp_path / "review.csv"
    assert export_review(con, "p1", out) == 2
    sheet = pl.read_csv(out, infer_schema=False)
    assert sheet["veto"].to_list() == ["identifier,dob", None]
    sheet.with_columns(decision=pl.Series(["accept", "accept"])).write_csv(out)
    with pytest.raises(ReviewError) as info:
        apply_review(con, out)
    said = str(info.value)
    assert said.startswith(f"{out}: line 2: accept of hq:h3 - xpm:x4 in practice p1: its veto is identifier") and "\n" not in said
    assert "nothing was recorded: reject the line or leave it blank" in said and "quality gate" in said
    assert read_decisions(con).is_empty()
    con.close()
    result = CliRunner().invoke(scr, ["review", "apply", str(out), "-w", str(warehouse[1]), "--by", "t"])
    assert result.exit_code == 1 and result.output.startswith("error: ") and result.output.count("\n") == 1, result.output
    sheet.with_columns(decision=pl.Series(["reject", "accept"])).write_csv(out)
    result = CliRunner().invoke(scr, ["review", "apply", str(out), "-w", str(warehouse[1]), "--by", "t"])
    assert result.exit_code == 0 and "2 decisions recorded" in " ".join(result.output.split()), result.output


def test_ids_a_spreadsheet_read_as_numbers_are_said_so_never_sent_to_export_again(warehouse, tmp_path):
    """QA10 F6: numeric ids with leading zeros (`007`) come back from a spreadsheet as `7`; the refusal blamed a run
    since the export and sent the operator to export again, which writes the same ids: a loop. It says what happened."""
    con, _ = warehouse
    con.execute("update client_match set source_client_id_l = '007', source_client_id_r = '0042' where source_client_id_l = 'h3'")
    out = tmp_path / "review.csv"
    assert export_review(con, "p1", out) == 2
    sheet = pl.read_csv(out, infer_schema=False)
    assert sheet["source_client_id_l"].to_list()[0] == "007"  # the export writes them as the source holds them
    spreadsheet = sheet.with_columns(decision=pl.Series(["accept", None]), source_client_id_l=pl.Series(["7", "h2"]),
                                     source_client_id_r=pl.Series(["42", "h3"]))  # fmt: skip
    spreadsheet.write_csv(out)
    with pytest.raises(ReviewError) as info:
        apply_review(con, out)
    said = str(info.value)
    assert "line 2: no proposed link hq:7 - xpm:42 in practice p1" in said and "(007 -> 7, 0042 -> 42)" in said
    assert "export them again" not in said and "nothing was recorded" in said and read_decisions(con).is_empty()
    # an id that is no other's without its zeros is what it was: a link the proposals no longer hold
    spreadsheet.with_columns(source_client_id_r=pl.Series(["43", "h3"])).write_csv(out)
    with pytest.raises(ReviewError, match="export them again"):
        apply_review(con, out)


def test_a_practice_blocked_by_an_accept_of_two_different_valid_numbers_names_the_revoke_that_undoes_it(warehouse):
    """QA11 D3: an accept recorded before review apply refused them blocks the practice at the gate; its next step was
    "fix what the failed expectations name", which names a unified client, never the decision. It names the revoke."""
    from transforms.status_rules import next_step
    from warehouse.inspect import practice_facts

    con, _ = warehouse
    con.execute("update client_match set veto = 'identifier' where source_client_id_l = 'h3'")
    con.execute("insert into review_decision (practice_id, source_l, source_client_id_l, source_r, source_client_id_r, decision) "
                "values ('p1', 'hq', 'h3', 'xpm', 'x4', 'accept'), ('p1', 'hq', 'h2', 'hq', 'h3', 'accept')")  # fmt: skip
    accepts = practice_facts(con, "p1")["identifier_accepts"]
    assert accepts == ["hq:h3,xpm:x4"]
    step = next_step("p1", "blocked", "failed expectations: one_valid_identifier_per_kind", {}, 0, False, 0, accepts)
    assert step == ("withdraw the accept that joined two different valid numbers of one kind (veto identifier): "
                    "`scr review revoke -p p1 --pair hq:h3,xpm:x4`, then `scr rerun -p p1`")
    assert next_step("p1", "blocked", "x", {}, 0, False, 0, []).startswith("fix what the failed expectations name")


def test_ids_a_spreadsheet_shortened_are_said_with_their_long_digit_runs_masked():
    """A zero-padded id of ten digits may be a TFN once its zeros are gone (0123456782 -> 123456782): the refusal
    names it as every message names a long number, masked; short ids (0007 -> 7) as written."""
    from warehouse.review import _zeros_dropped

    proposed = pl.DataFrame({"practice_id": ["P1"], "source_l": ["tax"], "source_client_id_l": ["0123456782"],
                             "source_r": ["xpm"], "source_client_id_r": ["0007"]})  # fmt: skip
    line = {"practice_id": "P1", "source_l": "tax", "source_client_id_l": "123456782", "source_r": "xpm", "source_client_id_r": "7"}
    assert _zeros_dropped(proposed, line) == "***782 -> ***782, 0007 -> 7"
