"""`scr query`, `scr shell`, `scr status`, `scr report`, `scr snapshot` on a hand-made warehouse's snapshot."""

import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import polars as pl
import pytest
from click.testing import CliRunner as ClickRunner
from typer.testing import CliRunner

from flows.cli import app, command
from tests.support.older_duckdb import OLDER_CLI
from tests.warehouse.handmade import published
from warehouse.snapshot import snapshot_dir, snapshot_path

runner = CliRunner()
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def wh(tmp_path_factory) -> Path:
    path = published(tmp_path_factory.mktemp("cli") / "w.duckdb", hostile=True)
    # a name a spreadsheet would run as a formula
    with duckdb.connect(str(path)) as con:
        con.execute("update stg_practice set name = '=1+2' where practice_id = 'C1'")
        from warehouse.snapshot import publish

        publish(con, path)
    return path


def scr(*args: str):
    return runner.invoke(app, list(args))


def status_said(path: Path) -> str:
    """`scr status`'s output on the warehouse at `path` (exit 0), its lines joined."""
    done = scr("status", "-w", str(path))
    assert done.exit_code == 0, done.output
    return " ".join(done.stdout.split())


def test_query_as_csv_is_the_views_rows(wh):
    result = scr("query", "--warehouse", str(wh), "select region, wave, status, practices from migration_progress", "--format", "csv")
    assert result.exit_code == 0, result.output
    frame = pl.read_csv(io.StringIO(result.stdout))
    assert frame.rows() == [("AU", 1, "in_review", 1), ("AU", 1, "complete", 1), ("NZ", 2, "blocked", 1), ("NZ", 2, "failed", 1),
                            ("UK", None, "connect", 1), ("UK", None, "confirm", 1), ("UK", None, "coming_soon", 1)]  # fmt: skip


def test_csv_cells_are_inert_in_a_spreadsheet(wh):
    result = scr("query", "-w", str(wh), "select practice_id, name, -1 as n from stg_practice order by 1", "-f", "csv")
    assert result.exit_code == 0, result.output
    rows = {r["practice_id"]: r for r in pl.read_csv(io.StringIO(result.stdout), infer_schema=False).to_dicts()}
    assert rows["C1"]["name"] == "'=1+2"
    assert rows["B1"]["name"].startswith("<script>")  # not a formula: left as it is
    assert rows["A1"]["n"] == "-1"  # numbers are numbers


def test_csv_headers_are_inert_and_on_a_terminal_control_characters_are_codes(wh, monkeypatch):
    """Found by QA (session 29): a pivot on client names put `=Claark, Ruby` in the header row as written, and CSV
    printed to a terminal replayed a name's ESC sequences (retitled the window, cleared the screen)."""
    sql = "select 1 as \"=Claark, Ruby\", 'a' || chr(27) || ']0;PWNED' || chr(7) || 'b' as name"
    result = scr("query", "-w", str(wh), sql, "-f", "csv")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0] == '"\'=Claark, Ruby",name'
    assert "\x1b]0;PWNED\x07" in result.stdout  # into a file or a pipe: the data as it is
    from flows import cli_analyst

    monkeypatch.setattr(cli_analyst, "_terminal", lambda: True)
    result = scr("query", "-w", str(wh), sql, "-f", "csv")
    assert result.exit_code == 0 and "\x1b" not in result.stdout and "\x07" not in result.stdout, result.stdout
    assert result.stdout.splitlines()[1] == "1,a\\x1b]0;PWNED\\x07b"


def test_query_times_are_written_alike_in_csv_and_json(wh):
    """Found by hand (session 28): `-f csv` wrote 2026-12-04T22:54:22.653891, `-f json` 2026-12-04 22:54:22.653891."""
    sql = "select timestamp '2024-05-01 10:00' as a, timestamp '2026-12-04 22:54:22.653891' as b, date '2024-05-01' as d"
    as_csv = scr("query", "-w", str(wh), sql, "-f", "csv")
    as_json = scr("query", "-w", str(wh), sql, "-f", "json")
    assert as_csv.exit_code == 0 and as_json.exit_code == 0, as_csv.output + as_json.output
    row = pl.read_csv(io.StringIO(as_csv.stdout), infer_schema=False).row(0, named=True)
    assert json.loads(as_json.stdout) == [row] == [{"a": "2024-05-01T10:00:00.000000", "b": "2026-12-04T22:54:22.653891", "d": "2024-05-01"}]


def test_query_as_json_and_nested_values(wh):
    result = scr("query", "-w", str(wh), "select * from failure_reasons", "-f", "json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == [{"reason": "hq_clients.json: <img src=x onerror=alert> & more", "practices": 1, "practice_ids": ["B2"]}]
    as_csv = scr("query", "-w", str(wh), "select * from failure_reasons", "-f", "csv")
    assert pl.read_csv(io.StringIO(as_csv.stdout))["practice_ids"].to_list() == ['["B2"]']


def test_a_map_whose_keys_are_not_text_is_answered_with_its_keys_as_text_in_every_format(wh, monkeypatch):
    """QA8 (session 33): `select histogram(wave) from stg_practice` (a MAP(INTEGER, UBIGINT)) ended in Polars' traceback
    ("JSON Map keys must be String"), exit 1, in every format. Such a map, also inside a list or a struct, is answered
    with its keys as text: a JSON object in --format json, its JSON text in a CSV cell and in the table."""
    from flows import cli_common

    monkeypatch.setattr(cli_common.out, "width", 300)
    sql = ("select histogram(wave) h, [histogram(wave)] l, {'s': histogram(date '2024-05-01' + wave::integer)} s, "
           "map(['=1+2'], [1]) t from stg_practice")
    expected = {"h": {"1": 2, "2": 2}, "l": [{"1": 2, "2": 2}], "s": {"s": {"2024-05-02": 2, "2024-05-03": 2}}, "t": {"=1+2": 1}}
    as_json = scr("query", "-w", str(wh), sql, "-f", "json")
    assert as_json.exit_code == 0, as_json.output
    assert json.loads(as_json.stdout) == [expected]
    as_csv = scr("query", "-w", str(wh), sql, "-f", "csv")
    assert as_csv.exit_code == 0, as_csv.output
    row = pl.read_csv(io.StringIO(as_csv.stdout), infer_schema=False).row(0, named=True)
    assert {k: json.loads(v) for k, v in row.items()} == expected  # each cell starts with { or [: inert in a spreadsheet
    as_table = scr("query", "-w", str(wh), sql)
    assert as_table.exit_code == 0 and '{"1":2,"2":2}' in as_table.stdout and "1 rows" in as_table.stdout, as_table.output


def test_query_as_a_table(wh):
    result = scr("query", "-w", str(wh), "select practice_id, records_in from merge_summary where records_in > 0", "--max-rows", "2")
    assert result.exit_code == 0, result.output
    assert "A1" in result.stdout and "A2" in result.stdout and "B1" not in result.stdout
    assert "3 rows (1 not shown" in result.stdout


def test_values_are_printed_as_they_are_never_as_markup(wh):
    result = scr("query", "-w", str(wh), "select '[red]x[/red]' as v")
    assert result.exit_code == 0 and "[red]x[/red]" in result.stdout


def test_a_query_duckdb_rejects_is_refused_with_exit_1(wh):
    bad = scr("query", "-w", str(wh), "select * from no_such_view")
    assert bad.exit_code == 1 and "no_such_view" in bad.output
    write = scr("query", "-w", str(wh), "create table t as select 1")
    assert write.exit_code == 1  # the snapshot is read-only


def test_a_format_it_does_not_know_is_one_line_exit_2_worded_as_every_choice(wh, monkeypatch):
    # as --runner and --corruption say theirs: the option, the value as typed, the values it takes (never pydantic's
    # "Value error, ..."), and from the environment too, which the command names first
    typed = scr("query", "-w", str(wh), "select 1", "--format", "xml")
    assert typed.exit_code == 2 and isinstance(typed.exception, SystemExit), typed.output
    assert " ".join(typed.output.split()) == "error: --format 'xml': use table, csv or json"
    monkeypatch.setenv("SCR_FORMAT", "CSV")
    ambient = ClickRunner().invoke(command(), ["query", "-w", str(wh), "select 1"], prog_name="scr")  # reads the environment
    assert ambient.exit_code == 2 and "--format CSV (from SCR_FORMAT)" in ambient.output, ambient.output
    assert "error: --format 'CSV': use table, csv or json" in " ".join(ambient.output.split())


@pytest.mark.parametrize("sql", ["", "   ", "\n"])
def test_an_empty_query_is_bad_usage_as_a_missing_one_is(wh, sql):
    # `scr query` with no SQL is exit 2 (click's missing argument); `scr query ""` was "query refused", exit 1
    res = scr("query", "-w", str(wh), sql)
    assert res.exit_code == 2 and isinstance(res.exception, SystemExit), res.output
    assert " ".join(res.output.split()) == 'error: no SQL given: scr query "select * from migration_progress"'


@pytest.mark.parametrize("command", [["status"], ["query", "select 1"], ["snapshot"], ["practice", "A1"],
                                     ["practice", "release", "A1", "--by", "me"], ["run", "-l", "nowhere"]])
def test_the_snapshot_named_as_the_warehouse_is_bad_usage_naming_the_warehouse(tmp_path, command):
    # the README shows analysts demo/scr.snapshot/snapshot.duckdb: given as -w it said "no analysts' snapshot ... yet:
    # `scr snapshot --warehouse .../snapshot.duckdb` publishes one", which made a snapshot of the snapshot inside it
    wh = published(tmp_path / "w.duckdb")
    folder = snapshot_dir(wh)
    before = sorted(p.relative_to(folder) for p in folder.rglob("*"))
    for given in (snapshot_path(wh), folder):
        res = scr(*command, "-w", str(given))
        assert res.exit_code == 2 and isinstance(res.exception, SystemExit), res.output
        assert " ".join(res.output.split()) == (f"error: {given} is the analysts' snapshot of a warehouse, not a warehouse: "
                                                f"give the warehouse (--warehouse {wh}); every command finds its snapshot")  # fmt: skip
    assert sorted(p.relative_to(folder) for p in folder.rglob("*")) == before


def test_a_query_reaches_only_the_snapshots_own_files(wh, tmp_path):
    """No attaching the live warehouse (or any database), no reading other files, no COPY past the inert export."""
    outside = tmp_path / "out.csv"
    other = tmp_path / "other.csv"
    other.write_text("a\n=1+2\n", encoding="utf-8")
    live = str(wh).replace("'", "''")
    for sql in (
        f"attach '{live}' as live",
        f"attach '{tmp_path / 'new.duckdb'}' as new",
        f"copy (select * from stg_practice) to '{outside}'",
        f"copy (select 1) to '{snapshot_dir(wh) / 'data' / 'x.csv'}'",
        f"select * from read_csv('{other}')",
        "set enable_external_access = true",
    ):
        result = scr("query", "-w", str(wh), sql)
        assert result.exit_code == 1, (sql, result.output)
        assert "query refused" in result.output
    assert not outside.exists() and not (tmp_path / "new.duckdb").exists()
    assert not (snapshot_dir(wh) / "data" / "x.csv").exists()
    with duckdb.connect(str(wh), read_only=True) as con:  # the live warehouse untouched
        assert con.sql("select name from stg_practice where practice_id = 'C1'").fetchall() == [("=1+2",)]
    assert scr("query", "-w", str(wh), "select count(*) from migration_progress").exit_code == 0  # the snapshot still reads


def test_no_snapshot_or_no_warehouse_is_exit_2(tmp_path):
    missing = scr("query", "-w", str(tmp_path / "none.duckdb"), "select 1")
    assert missing.exit_code == 2 and "no warehouse" in missing.output
    duckdb.connect(str(tmp_path / "old.duckdb")).close()
    unpublished = scr("status", "-w", str(tmp_path / "old.duckdb"))
    assert unpublished.exit_code == 2 and "scr snapshot" in unpublished.output
    bad_format = scr("query", "-w", str(tmp_path / "old.duckdb"), "select 1", "-f", "xml")
    assert bad_format.exit_code == 2


def test_status_shows_the_funnel_and_the_headline_figures(wh):
    result = scr("status", "-w", str(wh))
    assert result.exit_code == 0, result.output
    out = " ".join(result.stdout.split())
    assert "migration progress" in out
    for status in ("connect", "confirm", "coming_soon", "in_review", "blocked", "failed", "complete"):
        assert f"{status} │ 1 │ 14.3%" in out
    assert "complete: 14.3% of 7 practices; 10 source records read; 4 unified clients; 2 links await review in 2 practices" in out
    # the run's line counts the practices it took; a failed practice it did not take is said beside, not "0 failed" alone (QA7)
    assert ("last run R1 (rerun, completed, in 120.0 s): 2 practices taken: 0 complete, 1 in review, 1 blocked, 0 failed; "
            "1 more failed, not taken by it; 5 records in, 2 unified clients out") in out
    assert "quality failures: unified_client_id_unique (1 practice)" in out  # one practice, not "1 practices"
    listed = scr("status", "-w", str(wh), "--practice", "B2")
    assert listed.exit_code == 0 and "B2" in listed.stdout and "A1" not in listed.stdout


def test_status_of_an_unknown_practice_is_bad_usage_like_every_command(wh):
    result = scr("status", "-w", str(wh), "-p", "B2", "-p", "NOPE")
    assert result.exit_code == 2 and isinstance(result.exception, SystemExit), result.output
    assert " ".join(result.output.split()) == f"error: unknown practice 'NOPE': not in the analysts' snapshot of {wh}"


@pytest.mark.parametrize(("args", "code", "quoted"), [
    (("status", "-p", "A1[/x]"), 2, "unknown practice 'A1[/x]'"),  # an id as typed, closing a tag never opened
    (("query", "select * from nosuch_[red]table"), 2, "near \"[\""),  # DuckDB's message quotes the query: not SQL (2)
    (("query", "select x from [/bold] where"), 2, "from [/bold] where"),  # not SQL: bad usage (session 29)
])  # fmt: skip
def test_an_error_quoting_what_was_typed_says_it_as_typed(wh, args, code, quoted):
    result = scr(args[0], "-w", str(wh), *args[1:])
    assert result.exit_code == code and isinstance(result.exception, SystemExit), result.output
    said = " ".join(result.output.split())
    assert said.startswith("error: ") and quoted in said, said


def test_report_writes_one_page(wh, tmp_path):
    out = tmp_path / "sub" / "report.html"
    result = scr("report", "-w", str(wh), "--out", str(out))
    assert result.exit_code == 0, result.output
    assert out.read_text().startswith("<!DOCTYPE html>") and out.read_text().count("<svg") >= 6


def test_snapshot_publishes_a_warehouse_whose_snapshot_was_lost(wh, tmp_path):
    copy = tmp_path / "copy.duckdb"
    shutil.copy(wh, copy)
    result = scr("snapshot", "-w", str(copy))
    assert result.exit_code == 0, result.output
    assert scr("query", "-w", str(copy), "select count(*) from merge_summary", "-f", "csv").stdout.splitlines()[1] == "7"
    assert scr("snapshot", "-w", str(tmp_path / "none.duckdb")).exit_code == 2


def _shell(wh: Path, path_env: str, stdin: str = "") -> subprocess.CompletedProcess:
    env = {**os.environ, "PATH": path_env}
    return subprocess.run([sys.executable, "-m", "flows.cli", "shell", "-w", str(wh)], input=stdin, capture_output=True,
                          text=True, env=env, cwd=ROOT, timeout=120)  # fmt: skip


def test_shell_opens_the_duckdb_cli_read_only_where_it_is_installed(wh, tmp_path):
    fake = tmp_path / "bin" / "duckdb"
    fake.parent.mkdir()
    fake.write_text('#!/bin/sh\n[ "$1" = --version ] && echo "v1.4.4 (Andium) 6ddac802ff" && exit 0\necho "duckdb cli: $*"\n')
    fake.chmod(0o755)
    done = _shell(wh, f"{fake.parent}:{os.environ['PATH']}")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"duckdb cli: -readonly {snapshot_path(wh)}"


def test_shell_answers_in_the_real_duckdb_cli_older_than_the_warehouse(wh, tmp_path):
    assert OLDER_CLI.is_file(), f"{OLDER_CLI} missing: `make setup` installs it"
    only = tmp_path / "bin"
    only.mkdir()
    (only / "duckdb").symlink_to(OLDER_CLI)
    done = _shell(wh, f"{only}:{os.environ['PATH']}", ".mode csv\nselect count(*) as n from merge_summary;\n")
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["n", "7"], done.stdout + done.stderr


def test_shell_opens_python_where_the_duckdb_cli_is_too_old_for_the_snapshot(wh, tmp_path):
    fake = tmp_path / "bin" / "duckdb"
    fake.parent.mkdir()
    fake.write_text('#!/bin/sh\n[ "$1" = --version ] && echo "v0.10.3 20b1486d11" && exit 0\necho "duckdb cli: $*"\n')
    fake.chmod(0o755)
    done = _shell(wh, f"{fake.parent}:{os.environ['PATH']}", "print(con.sql('select count(*) from merge_summary').fetchall())\n")
    assert done.returncode == 0, done.stderr
    assert "duckdb cli" not in done.stdout and "[(7,)]" in done.stdout + done.stderr
    said = " ".join(done.stderr.split())
    assert f"note: the DuckDB CLI at {fake} is version v0.10.3; the snapshot needs DuckDB 1.0 or later: opening Python instead" in said


def test_shell_falls_back_to_python_with_a_read_only_connection(wh, tmp_path):
    no_cli = tmp_path / "empty"
    no_cli.mkdir()
    done = _shell(wh, str(no_cli), "print(con.sql('select count(*) from merge_summary').fetchall())\n")
    assert done.returncode == 0, done.stderr
    assert "[(7,)]" in done.stdout + done.stderr
    assert snapshot_dir(wh).exists()


def test_status_says_a_run_whose_process_ended_unfinished_was_interrupted(tmp_path):
    from warehouse.db import writer
    from warehouse.run_store import start_run, write_run_practices
    from warehouse.snapshot import publish
    from warehouse.status import mark_changed

    path = published(tmp_path / "w.duckdb")
    with writer(path) as con:  # a run starts and writes its first chunk; the snapshot shows it running
        start_run(con, "R9", "wave", {})
        write_run_practices(con, pl.DataFrame({"practice_id": ["A1"], "records": [3], "clusters": [2], "auto_links": [1],
                                               "review_links": [0], "status": ["complete"], "detail": [None]}), "R9")  # fmt: skip
        mark_changed(con, ["A1"])
        publish(con, path)
        running = scr("status", "-w", str(path))
    assert running.exit_code == 0, running.output
    # said once (QA9 F9: "(wave, running, still running)")
    assert "last run R9 (wave, running): 1 practice taken" in " ".join(running.stdout.split())
    assert "still running" not in running.stdout
    # the run's process is gone (killed, out of disk) without finishing: its row still says running
    gone = scr("status", "-w", str(path))
    assert gone.exit_code == 0, gone.output
    assert "last run R9 (wave, interrupted, its process ended without finishing it; the next run records it as interrupted)" in (
        " ".join(gone.stdout.split())
    )


def test_status_names_a_run_that_stopped_before_its_first_chunk_and_a_failed_runs_error(tmp_path):
    """wave_summary only has runs whose practices the snapshot holds: a run that failed (or was killed) before
    its first chunk, or before a publish, is still the last run `scr status` names, with its error; a failed
    run's error follows its status."""
    from warehouse.db import writer
    from warehouse.run_store import fail_run, start_run, write_run_practices
    from warehouse.snapshot import publish
    from warehouse.status import mark_changed

    def said() -> str:
        return status_said(path)

    path = published(tmp_path / "w.duckdb")
    with writer(path) as con:
        start_run(con, "R10", "wave", {})
        publish(con, path)
        assert "last run R10 (wave, running): no practice of it in the snapshot yet" in said()
    assert ("last run R10 (wave, interrupted, its process ended without finishing it; the next run records it as "
            "interrupted): no practice of it in the snapshot") in said()
    with writer(path) as con:
        start_run(con, "R11", "wave", {})
        fail_run(con, "R11", "OSError: [Errno 28] the sample's disk went away")
        publish(con, path)
    assert "last run R11 (wave, failed; OSError: [Errno 28] the sample's disk went away): no practice of it in the snapshot" in said()
    with writer(path) as con:  # a run that wrote a chunk, then failed
        start_run(con, "R12", "wave", {})
        write_run_practices(con, pl.DataFrame({"practice_id": ["A1"], "records": [3], "clusters": [2], "auto_links": [1],
                                               "review_links": [0], "status": ["complete"], "detail": [None]}), "R12")  # fmt: skip
        mark_changed(con, ["A1"])
        fail_run(con, "R12", "InvariantBroken: no")
        publish(con, path)
    assert "last run R12 (wave, failed; InvariantBroken: no, in " in said()


def test_report_out_a_folder_or_under_a_file_is_one_line_exit_2_and_writes_nothing(wh, tmp_path):
    (tmp_path / "notes.txt").write_text("a file\n")
    for target, said in ((tmp_path, f"--out {tmp_path} is a folder"),
                         (tmp_path / "notes.txt" / "r.html", f"{tmp_path / 'notes.txt'} is a file, not a folder")):  # fmt: skip
        result = scr("report", "-w", str(wh), "-o", str(target))
        assert result.exit_code == 2 and isinstance(result.exception, SystemExit), result.output
        assert said in " ".join(result.output.split())
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]
    made = tmp_path / "new" / "folder" / "r.html"  # a missing folder is made
    assert scr("report", "-w", str(wh), "-o", str(made)).exit_code == 0 and made.exists()


def test_csv_of_an_enum_column_is_inert_too(wh):
    result = scr("query", "-w", str(wh), "select '=1+2'::enum('=1+2', 'b') as e, 'b'::enum('=1+2', 'b') as f", "-f", "csv")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == ["e,f", "'=1+2,b"]


def test_control_characters_from_the_data_are_shown_never_sent_to_the_terminal(wh, monkeypatch):
    """A name holding an escape sequence (it clears the screen, retitles the window) or a bidi override is shown as its
    code; the table keeps its lines."""
    from flows import cli_common

    monkeypatch.setattr(cli_common.out, "width", 300)  # whatever the terminal's width (COLUMNS), no cell wraps
    sql = "select 'Acme' || chr(27) || '[2J' || chr(7) || ' Ltd' as name, 'a' || chr(8238) || 'b' as bidi, 'x' || chr(10) || 'y' as two"
    result = scr("query", "-w", str(wh), sql)
    assert result.exit_code == 0, result.output
    assert "\x1b" not in result.stdout and "\x07" not in result.stdout and "\u202e" not in result.stdout
    assert "Acme\\x1b[2J\\x07 Ltd" in result.stdout and "a\\u202eb" in result.stdout
    from warehouse.snapshot import publish
    from warehouse.status import mark_changed

    with duckdb.connect(str(wh)) as con:
        [(before,)] = con.sql("select detail from practice_status where practice_id = 'B2'").fetchall()
        con.execute("update practice_status set detail = 'bad ' || chr(27) || ']0;pwned' || chr(7) where practice_id = 'B2'")
        mark_changed(con, ["B2"])
        publish(con, wh)
    try:
        shown = scr("status", "-w", str(wh), "-p", "B2")
        assert shown.exit_code == 0, shown.output
        assert "\x1b" not in shown.stdout and "bad \\x1b]0;pwned\\x07" in shown.stdout
    finally:
        with duckdb.connect(str(wh)) as con:
            con.execute("update practice_status set detail = ? where practice_id = 'B2'", [before])
            mark_changed(con, ["B2"])
            publish(con, wh)


def test_a_pivot_is_answered_though_duckdb_expands_it_into_several_statements(wh):
    """PIVOT without an IN list takes its columns from the data: DuckDB makes it a temporary type plus the query (a
    MULTI statement). One such question is answered, as a statement, a subquery, a CTE or explained."""
    whole = scr("query", "-w", str(wh), "PIVOT practice_status ON status USING count(*)", "-f", "csv")
    assert whole.exit_code == 0, whole.output
    frame = pl.read_csv(io.StringIO(whole.stdout))
    statuses = ["blocked", "coming_soon", "complete", "confirm", "connect", "failed", "in_review"]
    assert set(statuses) <= set(frame.columns) and frame.select(statuses).sum_horizontal().sum() == 7
    by_region = "pivot migration_progress on status using sum(practices) group by region order by region"
    for sql in (by_region, f"select * from ({by_region})", f"with p as ({by_region}) select * from p order by region",
                f"/* a comment */ ({by_region})"):  # fmt: skip
        result = scr("query", "-w", str(wh), sql, "-f", "csv")
        assert result.exit_code == 0, (sql, result.output)
        rows = pl.read_csv(io.StringIO(result.stdout)).fill_null(0).select("region", "complete", "in_review", "connect").rows()
        assert rows == [("AU", 1, 1, 0), ("NZ", 0, 0, 0), ("UK", 0, 0, 1)], sql
    explained = scr("query", "-w", str(wh), f"explain {by_region}")
    assert explained.exit_code == 0, explained.output
    unpivot = scr("query", "-w", str(wh), "unpivot (select 'A1' as p, 1 as a, 2 as b) on a, b into name k value v", "-f", "csv")
    assert unpivot.exit_code == 0 and unpivot.stdout.splitlines() == ["p,k,v", "A1,a,1", "A1,b,2"], unpivot.output


def test_two_questions_at_once_are_refused_rather_than_one_answered_unseen(wh):
    """Found by the README audit: `scr query "select 1; select 2"` printed the second answer only, unsaid."""
    result = scr("query", "-w", str(wh), "select 1 as a; select 2 as b")
    assert result.exit_code == 1 and "one question at a time (2 statements given)" in " ".join(result.output.split()), result.output
    assert "│ 2 │" not in result.output


def test_a_pivot_that_writes_or_rides_with_a_statement_that_does_is_refused_before_anything_runs(wh, tmp_path):
    data = snapshot_dir(wh) / "data"
    pivot = "pivot practice_status on status using count(*)"
    for sql in (
        f"create temp table t as {pivot}",
        f"copy ({pivot}) to '{data / 'p.csv'}'",
        f"copy ({pivot}) to '{tmp_path / 'p.csv'}'",
        f"insert into practice_status {pivot}",
        f"with p as ({pivot}) insert into practice_status select * from p",
        f"{pivot}; copy (select 1) to '{data / 'q.csv'}'",
        f"copy (select 1) to '{data / 'q.csv'}'; {pivot}",
        f"explain analyze copy ({pivot}) to '{data / 'r.csv'}'",
    ):
        result = scr("query", "-w", str(wh), sql)
        assert result.exit_code == 1, (sql, result.output)
        assert "query refused" in result.output and "statements are not run here" in result.output, (sql, result.output)
    assert not [p.name for p in data.iterdir() if p.is_file()] and not (tmp_path / "p.csv").exists()


def test_explain_analyze_runs_only_a_question(wh):
    """EXPLAIN ANALYZE runs the statement it explains: of a COPY it would write a file (into the snapshot's own data
    folder, the one folder the session may reach), so what it explains is checked as the statement itself."""
    data = snapshot_dir(wh) / "data"
    for sql in (f"explain analyze copy (select 1) to '{data / 'x.csv'}'", "explain analyze create temp table t as select 1",
                f"explain (analyze) copy (select 1) to '{data / 'y.csv'}'"):  # fmt: skip
        result = scr("query", "-w", str(wh), sql)
        assert result.exit_code == 1 and "query refused" in result.output, (sql, result.output)
    assert not (data / "x.csv").exists() and not (data / "y.csv").exists()
    for sql in ("explain select 1", "explain analyze select count(*) from client_crosswalk"):
        assert scr("query", "-w", str(wh), sql).exit_code == 0, sql


LONG = "a detail of " + "many words " * 14 + "end"  # 168 characters: wider than any terminal COLUMNS may say


def test_a_table_piped_or_redirected_keeps_whole_rows_whatever_columns_says(wh):
    """Piped to a file (not a terminal), `scr query` and `scr status --all` print each row whole on one line, as wide as
    its content: a real process with COLUMNS=40 (as CI runs) and no terminal on any of its streams."""
    env = {**os.environ, "COLUMNS": "40", "PYTHONPATH": str(ROOT)}

    def piped(*args: str) -> str:
        done = subprocess.run([sys.executable, "-m", "flows.cli", *args, "-w", str(wh)], stdin=subprocess.DEVNULL,
                              capture_output=True, text=True, env=env, cwd=ROOT, timeout=120)  # fmt: skip
        assert done.returncode == 0, done.stderr
        return done.stdout

    shown = piped("query", f"select 'P00001' as practice_id, '{LONG}' as detail, 12345678901 as n")
    assert any("P00001" in line and LONG in line and "12345678901" in line for line in shown.splitlines()), shown
    with duckdb.connect(str(snapshot_path(wh)), read_only=True) as con:
        details = con.sql("select practice_id, detail from practice_status order by 1").fetchall()
    shown = piped("status", "--all")
    for pid, detail in details:  # each practice's detail whole, on its practice's line
        assert any(pid in line and detail in line for line in shown.splitlines()), (pid, detail, shown)
    assert any("coming_soon" in line for line in shown.splitlines())


def test_a_table_on_a_narrow_terminal_folds_its_cells_and_cuts_nothing(wh, monkeypatch):
    """On a terminal the table fits its width: a cell too wide folds onto more lines, never ends in an ellipsis."""
    from flows import cli_common

    monkeypatch.setattr(cli_common.out, "width", 40)
    monkeypatch.setattr(type(cli_common.out), "is_terminal", property(lambda self: True))
    monkeypatch.setenv("NO_COLOR", "1")
    for args in (("query", f"select 'P00001' as practice_id, '{LONG}' as detail"), ("status", "--all")):
        result = scr(*args, "-w", str(wh))
        assert result.exit_code == 0, result.output
        table = [line for line in result.stdout.splitlines() if line[:1] in "┏┃┡│└"]  # messages never wrap: tables only
        assert "…" not in result.stdout and table and max(len(line) for line in table) <= 40, result.stdout
    joined = "".join(line.strip("│ ") for line in scr("query", f"select '{LONG}' as detail", "-w", str(wh)).stdout.splitlines())
    assert LONG.replace(" ", "") in joined.replace(" ", "")


@pytest.mark.parametrize("args", [["status"], ["query", "select * from migration_progress"], ["query", "select 1 as n", "-f", "csv"]])
def test_output_its_reader_stops_reading_ends_with_exit_0_and_no_traceback(wh, args):
    """Found by hand (session 28): `scr status | head` ended with exit 1 (refused or not found), Rich's answer to a
    closed pipe; a script with `set -o pipefail` took the status as refused."""
    proc = subprocess.Popen([sys.executable, "-m", "flows.cli", *args, "-w", str(wh)], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env={**os.environ, "COLUMNS": "80"})  # fmt: skip
    proc.stdout.close()  # the reader is gone before the first line: every write meets a closed pipe
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=120) == 0, err
    assert "Traceback" not in err and "Error" not in err, err


def test_a_query_that_is_not_sql_is_bad_usage_and_an_unknown_table_not_found(wh):
    """Found by QA (session 29): `scr query "selec 1"` was exit 1 (refused); not SQL at all is bad usage, exit 2."""
    bad = scr("query", "-w", str(wh), "selec 1")
    assert bad.exit_code == 2 and "error: query is not valid SQL: Parser Error" in " ".join(bad.output.split()), bad.output
    missing = scr("query", "-w", str(wh), "select * from nosuch")
    assert missing.exit_code == 1 and "query refused" in missing.output


def json_said(said: str) -> str:
    """The line as `scr practice ID --json` says it, in its JSON (`damaged`) and on stderr: a script reading the JSON
    sees nothing "above" (QA8, session 33)."""
    return said.replace("what is shown above is the analysts' snapshot", "the facts given are from the analysts' snapshot").replace(
        "what is shown above is that snapshot", "the facts given are from that snapshot")


def test_status_and_practice_on_a_warehouse_cut_short_say_so_after_the_snapshots_figures_exit_2(tmp_path):
    """QA, session 31: with the warehouse file cut short (`truncate`), `scr status` and `scr practice` read the analysts'
    snapshot and said all was well, exit 0, until the next run failed on it."""
    from warehouse.db import damage

    path = published(tmp_path / "w.duckdb")
    assert damage(path) is None
    size = path.stat().st_size
    os.truncate(path, size // 2)
    cut = damage(path)
    assert cut.startswith(f"it is cut short: {size // 2} bytes of the ")
    said = (f"error: warehouse {path} cannot be opened as a DuckDB database: {cut}; what is shown above is the analysts' "
            "snapshot as last published, not the warehouse now: restore the file from a backup (runs and commands that "
            "write refuse it until then)")  # fmt: skip
    for args, shown in ((["status"], "migration progress"), (["status", "--all"], "B2"), (["practice", "A1"], "next step"),
                        (["practice", "A1", "--json"], '"next_step"')):  # fmt: skip
        result = scr(*args, "-w", str(path))
        assert result.exit_code == 2 and isinstance(result.exception, SystemExit), (args, result.output)
        assert shown in result.stdout, (args, result.stdout)  # the last figures known, said for what they are
        line = json_said(said) if "--json" in args else said
        assert result.stderr.splitlines() == [line], (args, result.stderr)
        if "--json" in args:  # a script reading the JSON is told too, not only by the exit code (QA7)
            assert json.loads(result.stdout)["damaged"] == line.removeprefix("error: "), result.stdout
    # writing it is refused before anything is written; a run, before Prefect starts
    refused = scr("snapshot", "-w", str(path))
    assert refused.exit_code == 2 and refused.stderr.startswith(f"error: warehouse {path} cannot be opened"), refused.output
    assert path.stat().st_size == size // 2


def test_status_on_a_warehouse_emptied_or_replaced_by_another_file_says_so_exit_2(tmp_path):
    path = published(tmp_path / "w.duckdb")
    path.write_bytes(b"")
    empty = scr("status", "-w", str(path))
    assert empty.exit_code == 2 and "migration progress" in empty.stdout, empty.output
    assert f"error: warehouse {path} cannot be opened as a DuckDB database: it is empty (0 bytes)" in empty.stderr
    path.write_text("id,name\n")
    other = scr("status", "-w", str(path))
    assert other.exit_code == 2 and other.stderr.splitlines() == [
        f"error: warehouse {path} cannot be opened as a DuckDB database: it is not a DuckDB database file (its 8 bytes do "
        "not start as one); what is shown above is the analysts' snapshot as last published, not the warehouse now: "
        "check --warehouse (or SCR_WAREHOUSE): it names another kind of file"], other.output


def test_status_and_practice_on_an_encrypted_duckdb_database_or_one_cut_to_its_headers_say_so_exit_2(tmp_path):
    """QA7: an encrypted DuckDB database (another tool's) in the warehouse's place, whole or cut in half, was called
    healthy by `scr status` and `scr practice`, exit 0; cut to its headers only, the figure of bytes its blocks in use
    take was no such figure (it counted up to the block listing its free blocks)."""
    from tests.support.encrypted import encrypted

    path = published(tmp_path / "w.duckdb")
    healthy = json.loads(scr("practice", "A1", "-w", str(path), "--json").stdout)
    assert healthy["damaged"] is None
    path.unlink()
    encrypted(path, 300_000)
    said = (f"error: warehouse {path} cannot be opened as a DuckDB database: it is an encrypted DuckDB database (another "
            "tool's file, not a warehouse scr writes); what is shown above is the analysts' snapshot as last published, "
            "not the warehouse now: check --warehouse (or SCR_WAREHOUSE): it names another tool's file, or restore the "
            "warehouse from a backup")  # fmt: skip
    for cut in (False, True):
        if cut:
            os.truncate(path, path.stat().st_size // 2)
        for args in (["status"], ["practice", "A1"], ["practice", "A1", "--json"]):
            result = scr(*args, "-w", str(path))
            line = json_said(said) if "--json" in args else said
            assert result.exit_code == 2 and result.stderr.splitlines() == [line], (args, result.output)
    path.unlink()
    whole = published(path)
    os.truncate(whole, 3 * 4096)
    result = scr("status", "-w", str(path))
    assert result.exit_code == 2, result.output
    assert f"it is cut short: {3 * 4096} bytes, DuckDB's headers alone: its blocks in use are past its end;" in result.stderr, result.stderr


def test_status_and_practice_on_another_warehouse_or_a_new_duckdb_file_in_the_warehouses_place_say_so_exit_2(tmp_path):
    """QA7: another warehouse's file (another zone's), or a new DuckDB database, put in the warehouse's place: `scr
    status` and `scr practice` showed the snapshot published from the file it replaced, exit 0. The snapshot names
    the warehouse id it was published from (warehouse_meta's, random, made with the warehouse); a file without one
    (an older release's) is not said to be another, nor is one a writer holds (it is never opened beside one)."""
    from tests.support.holder import held_writer

    (tmp_path / "o").mkdir()
    path, other = published(tmp_path / "w.duckdb"), published(tmp_path / "o" / "w.duckdb")
    whole = path.read_bytes()
    assert scr("status", "-w", str(path)).exit_code == 0
    path.write_bytes(other.read_bytes())
    said = (f"error: warehouse {path} is not what the analysts' snapshot was published from: it is another warehouse (its "
            "id is not the one the snapshot names); what is shown above is that snapshot, not this file: check "
            "--warehouse (or SCR_WAREHOUSE), or restore the warehouse's file; if this file is meant, `scr snapshot` "
            "publishes its own")  # fmt: skip
    for args, shown in ((["status"], "migration progress"), (["practice", "A1"], "next step"), (["practice", "A1", "--json"], '"next_step"')):
        result = scr(*args, "-w", str(path))
        assert result.exit_code == 2 and shown in result.stdout, (args, result.output)
        assert result.stderr.splitlines() == [json_said(said) if "--json" in args else said], (args, result.stderr)
    damaged = json.loads(scr("practice", "A1", "-w", str(path), "--json").stdout)["damaged"]
    assert damaged == json_said(said).removeprefix("error: ") and "shown above" not in damaged
    with held_writer(path):  # a run holds it: not opened, nothing claimed
        assert scr("status", "-w", str(path)).exit_code == 0
    with duckdb.connect(str(path)) as con:  # a warehouse of an older release: no id, no claim
        con.execute("delete from warehouse_meta where key = 'warehouse.id'")
    assert scr("status", "-w", str(path)).exit_code == 0
    path.unlink()
    duckdb.connect(str(path)).close()  # a new DuckDB database, no table
    result = scr("status", "-w", str(path))
    assert result.exit_code == 2 and "it holds no warehouse's tables (a new or another tool's DuckDB database)" in result.stderr
    path.write_bytes(whole)  # its own file back
    assert scr("status", "-w", str(path)).exit_code == 0


def test_query_report_shell_and_review_export_on_another_warehouse_in_the_warehouses_place_refuse_exit_2(tmp_path):
    """Found by QA (session 33): with another warehouse's file in the warehouse's place (or the snapshot folder another
    warehouse's), `scr query`, `report` and `review export` answered from the snapshot, which is not this file's, exit
    0 ("0 links of practice P00004 await review" when 6 did). Their answer is the snapshot's alone: they refuse, exit 2,
    one line, nothing written; `scr status` and `scr practice` show the snapshot and say so after it (above)."""
    (tmp_path / "o").mkdir()
    path, other = published(tmp_path / "w.duckdb"), published(tmp_path / "o" / "w.duckdb")
    out = tmp_path / "out"
    asked = (["query", "select count(*) from practice_status"], ["report", "-o", str(out / "r.html")], ["shell"],
             ["review", "export", "-p", "A1", "-o", str(out / "rv.csv")], ["review", "export"])  # fmt: skip
    for args in asked[:2] + asked[3:4]:
        assert scr(*args, "-w", str(path)).exit_code == 0, args
    shutil.rmtree(out)
    path.write_bytes(other.read_bytes())
    said = (f"error: warehouse {path} is not what the analysts' snapshot was published from: it is another warehouse (its "
            "id is not the one the snapshot names); what it answers is that snapshot's, not this file's: check "
            "--warehouse (or SCR_WAREHOUSE), or restore the warehouse's file; if this file is meant, `scr snapshot` "
            "publishes its own")  # fmt: skip
    for args in asked:
        result = scr(*args, "-w", str(path))
        assert result.exit_code == 2 and result.stderr.splitlines() == [said] and not result.stdout, (args, result.output)
    assert not out.exists()
    assert scr("snapshot", "-w", str(path)).exit_code == 0  # this file meant: its own snapshot, and it answers
    assert scr("query", "select 1", "-w", str(path)).exit_code == 0


def test_a_warehouse_beside_another_of_the_same_stem_is_refused_its_snapshot_folder_exit_2(tmp_path):
    """Found by QA (session 33): `a.duckdb` and `a.db` in one folder share `a.snapshot`: the second's run silently
    replaced the first's analysts' snapshot. A run and every writing command on the second refuse before writing (one
    line naming both files, exit 2); what reads the snapshot for it refuses too; the first reads its own."""
    (tmp_path / "o").mkdir()
    path, other = published(tmp_path / "w.duckdb"), published(tmp_path / "o" / "w.duckdb")
    second = tmp_path / "w.db"
    shutil.copy2(other, second)
    before = {p.name: p.stat().st_mtime_ns for p in snapshot_dir(path).rglob("*")}
    taken = (f"the analysts' snapshot folder {snapshot_dir(path)} is the warehouse {path}'s (another warehouse, whose "
             f"name differs only in its extension): {second} would replace it; rename or move one of the two warehouses "
             "(each warehouse's snapshot folder is named after its file without the extension)")  # fmt: skip
    result = scr("snapshot", "-w", str(second))
    assert result.exit_code == 2 and result.stderr.splitlines() == [f"error: {taken}"], result.output
    zone = tmp_path / "zone"
    assert scr("generate", "-o", str(zone), "-n", "2", "-s", "5").exit_code == 0
    new = tmp_path / "w.data"  # a new warehouse of the same stem: it would make its file, then replace the snapshot
    for args in (["run"], ["wave"], ["retire-sync", "--force"]):  # before Prefect starts, nothing made
        result = scr(*args, "-l", str(zone / "landing"), "-w", str(new))
        assert result.exit_code == 2 and result.stderr.splitlines() == [f"error: {taken.replace(str(second), str(new))}"], (
            args, result.output)  # fmt: skip
        assert not new.exists()
    result = scr("query", "select 1", "-w", str(second))
    assert result.exit_code == 2, result.output
    assert result.stderr.splitlines() == [f"error: warehouse {second} has no analysts' snapshot of its own: {taken}"]
    assert {p.name: p.stat().st_mtime_ns for p in snapshot_dir(path).rglob("*")} == before
    assert scr("query", "select 1", "-w", str(path)).exit_code == 0 and scr("status", "-w", str(path)).exit_code == 0
    (tmp_path / "first.duckdb").write_bytes(path.read_bytes())
    path.unlink()  # the first gone (renamed): the folder is the second's
    assert scr("snapshot", "-w", str(second)).exit_code == 0 and scr("query", "select 1", "-w", str(second)).exit_code == 0


def test_status_on_an_older_copy_of_the_same_warehouse_says_so_exit_2_and_scr_snapshot_publishes_its_own(tmp_path):
    """QA7 left this: a backup of the warehouse restored in its place has the warehouse's own id, so `scr status`
    showed the snapshot published after the backup as the file's (exit 0). The snapshot names the generation of its
    newest changes; a file that never marked that generation is an older copy."""
    path = published(tmp_path / "w.duckdb")
    backup = path.read_bytes()
    with duckdb.connect(str(path)) as con:  # a later commit: one practice changed, then published
        con.execute("update practice_change set generation = (select max(generation) + 1 from practice_change) "
                    "where practice_id = 'A1'")  # fmt: skip
    assert scr("snapshot", "-w", str(path)).exit_code == 0
    assert scr("status", "-w", str(path)).exit_code == 0
    path.write_bytes(backup)
    with duckdb.connect(str(path), read_only=True) as con:
        known = con.sql("select max(generation) from practice_change").fetchall()[0][0]
    result = scr("status", "-w", str(path))
    assert result.exit_code == 2 and "migration progress" in result.stdout, result.output
    assert result.stderr.splitlines() == [
        f"error: warehouse {path} is not what the analysts' snapshot was published from: it is an older copy of this "
        f"warehouse (a backup restored?): the snapshot shows its changes up to generation {known + 1}, this file knows "
        f"them up to {known}; what is shown above is that snapshot, not this file: check --warehouse (or SCR_WAREHOUSE), "
        "or restore the warehouse's file; if this file is meant, `scr snapshot` publishes its own"
    ], result.stderr
    assert scr("snapshot", "-w", str(path)).exit_code == 0  # the restored file meant: its own snapshot, nothing said
    assert scr("status", "-w", str(path)).exit_code == 0


def test_status_says_when_the_warehouse_holds_changes_the_snapshot_does_not_show_yet(tmp_path):
    """QA8: a run stopped by Ctrl-C had committed chunks the analysts' snapshot did not show (the run publishes at most
    every SCR_SNAPSHOT_SECONDS and at its end), and `scr status` showed the older figures with nothing said. A note on
    stderr says so and what publishes them; the exit stays 0 (what it shows is the snapshot, whole)."""
    path = published(tmp_path / "w.duckdb")
    assert scr("status", "-w", str(path)).stderr == ""
    with duckdb.connect(str(path)) as con:  # a commit no publish followed: as a stopped run leaves its chunks
        con.execute("update practice_change set generation = (select max(generation) + 1 from practice_change) "
                    "where practice_id = 'A1'")  # fmt: skip
        known = con.sql("select max(generation) from practice_change").fetchall()[0][0]
    for args in (["status"], ["practice", "A1"]):
        result = scr(*args, "-w", str(path))
        assert result.exit_code == 0, result.output
        assert result.stderr.splitlines() == [
            f"note: the warehouse holds changes its analysts' snapshot does not show yet (its changes up to generation "
            f"{known}, the snapshot's up to {known - 1}: a run stopped before it published them?): `scr snapshot "
            f"--warehouse {path}` publishes them"
        ], result.stderr
    assert scr("snapshot", "-w", str(path)).exit_code == 0
    assert scr("status", "-w", str(path)).stderr == ""


@pytest.mark.parametrize("kind", ["another-tools-database", "a-text-file"])
def test_a_file_that_is_no_warehouse_is_said_alike_by_every_command_and_gets_no_lock_file(tmp_path, kind):
    """QA8 (session 33): with no snapshot, `scr status`, `query` and `report` said of another tool's database (or a text
    file) "no analysts' snapshot ... yet: `scr snapshot` publishes one", and `scr snapshot` then refused it; `scr
    practice ID` and `review export` ended in DuckDB's traceback (CatalogException, exit 1) or said it in DuckDB's
    words; `scr snapshot` and the other writing commands left a `.lock` file beside the other database. Every command
    now says what `scr snapshot` says, one line, exit 2, and leaves nothing beside the file."""
    (tmp_path / "w").mkdir()
    path = tmp_path / "w" / "other.duckdb"
    if kind == "a-text-file":
        path.write_text("hi\n")
    else:
        with duckdb.connect(str(path)) as con:
            con.execute("create table customers (id integer)")
    zone = tmp_path / "zone"
    assert scr("generate", "-o", str(zone), "-n", "2", "-s", "3").exit_code == 0
    landing = str(zone / "landing")
    refused = scr("snapshot", "-w", str(path))
    assert refused.exit_code == 2 and refused.stderr.count("\n") == 1, refused.output
    line = refused.stderr
    assert line.startswith(f"error: warehouse {path} ") and "check --warehouse (or SCR_WAREHOUSE): it names another" in line, line
    for args in (["status"], ["query", "select 1"], ["query", "select 1", "-f", "json"], ["report", "-o", str(tmp_path / "r.html")],
                 ["practice", "P1"], ["practice", "P1", "--json"], ["review", "export", "-p", "P1", "-o", str(tmp_path / "x.csv")],
                 ["practice", "confirm", "P1", "--by", "ann"], ["rollback", "-p", "P1", "--by", "ann"], ["unmerge", "-u", "u1"],
                 ["rekey", "-l", landing], ["retire-sync", "-l", landing, "--force", "--by", "ann"],
                 ["retire-sync", "-l", landing, "--force", "--dry-run"], ["run", "-l", landing]):
        result = scr(*args, "-w", str(path))
        said = line.replace("error: ", "error: the run cannot start: ", 1) if args[0] == "run" else line
        assert result.exit_code == 2 and result.stderr == said and result.stdout == "", (args, result.output)
    assert [p.name for p in (tmp_path / "w").iterdir()] == ["other.duckdb"]  # no lock file, no snapshot


def test_practice_and_review_export_on_a_new_duckdb_file_say_what_status_says_exit_2(tmp_path):
    """QA8 (session 33): `scr practice ID` (and --json, and `review export`) on a DuckDB file holding no table at all
    ended in DuckDB's traceback (CatalogException: stg_practice does not exist, exit 1). Such a file is a new
    warehouse (`scr snapshot` or a run makes it one), as `scr status` says."""
    path = tmp_path / "new.duckdb"
    duckdb.connect(str(path)).close()
    status = scr("status", "-w", str(path))
    assert status.exit_code == 2 and "`scr snapshot --warehouse" in status.stderr and status.stderr.count("\n") == 1, status.output
    for args in (["practice", "P1"], ["practice", "P1", "--json"], ["review", "export", "-p", "P1", "-o", str(tmp_path / "x.csv")]):
        result = scr(*args, "-w", str(path))
        assert result.exit_code == 2 and result.stderr == status.stderr and result.stdout == "", (args, result.output)


def test_the_reading_commands_answer_while_an_analyst_holds_the_snapshot_read_write(tmp_path):
    """QA9 F1: `duckdb FILE` or `duckdb.connect(path)` on snapshot.duckdb (read-write, DuckDB's default) made status,
    practice, query, shell, report and review export end in a traceback, exit 1, until the next publish."""
    from tests.support.holder import held_read_write

    path = published(tmp_path / "w.duckdb")
    before = {args[0]: scr(*args, "-w", str(path)) for args in (["status", "--all"], ["query", "select * from review_queue"])}
    with held_read_write(snapshot_path(path)):
        for args, code in ((["status", "--all"], 0), (["query", "select * from review_queue"], 0), (["practice", "A1"], 0),
                           (["practice", "A1", "--json"], 0), (["review", "export", "-p", "A1", "-o", str(tmp_path / "a.csv")], 0),
                           (["report", "-o", str(tmp_path / "r.html")], 0)):  # fmt: skip
            done = scr(*args, "-w", str(path))
            assert done.exit_code == code and done.exception is None or isinstance(done.exception, SystemExit), (args, done.output)
            assert "Traceback" not in done.output, args
            if args[0] in before:
                assert done.stdout == before[args[0]].stdout, args
        assert (tmp_path / "r.html").is_file()
        shelled = _shell(path, str(tmp_path), "print(con.sql('select count(*) from merge_summary').fetchall())\n")
        assert shelled.returncode == 0, shelled.stderr
        assert "[(7,)]" in shelled.stdout + shelled.stderr
        assert "a private copy" in " ".join(shelled.stderr.split())


def test_status_of_a_run_whose_process_ended_after_recording_its_end_says_what_the_warehouse_records(tmp_path):
    """QA9 F6: killed during its last publish, a run had committed its end (completed), the snapshot still showing it
    running; `scr status` said the next run would record it interrupted, and the next run found it completed."""
    from warehouse.db import writer
    from warehouse.run_store import finish_run, start_run, write_run_practices
    from warehouse.snapshot import publish
    from warehouse.status import mark_changed

    def said() -> str:
        return status_said(path)

    path = published(tmp_path / "w.duckdb")
    with writer(path) as con:
        start_run(con, "R9", "wave", {})
        write_run_practices(con, pl.DataFrame({"practice_id": ["A1"], "records": [3], "clusters": [2], "auto_links": [1],
                                               "review_links": [0], "status": ["complete"], "detail": [None]}), "R9")  # fmt: skip
        mark_changed(con, ["A1"])
        publish(con, path)
        finish_run(con, "R9", "completed", {}, {})  # committed; the publish after it killed
    assert (f"last run R9 (wave, completed as the warehouse records it, its process ended before the analysts' snapshot "
            f"showed that; `scr snapshot --warehouse {path}` publishes it): 1 practice taken") in said()  # fmt: skip
    assert "records it as interrupted" not in said()
    with writer(path) as con:  # one that took no practice, alike
        start_run(con, "R10", "wave", {})
        publish(con, path)
        finish_run(con, "R10", "completed", {}, {})
    assert "last run R10 (wave, completed as the warehouse records it, its process ended before" in said()
    from tests.support.holder import held_writer

    with held_writer(path):  # a writer holds the file (a run started): the run shown running, the file not waited for
        assert "last run R10 (wave, running): no practice of it in the snapshot yet" in said()


def test_status_of_a_completed_run_that_took_no_practice_says_so(tmp_path):
    """QA9 F11: a completed run that took no practice (every folder stray, every eligible practice complete) was
    "no practice of it in the snapshot", the words for a run still starting."""
    from warehouse.db import writer
    from warehouse.run_store import finish_run, start_run
    from warehouse.snapshot import publish

    path = published(tmp_path / "w.duckdb")
    with writer(path) as con:
        start_run(con, "R13", "wave", {})
        finish_run(con, "R13", "completed", {}, {})
        publish(con, path)
    done = scr("status", "-w", str(path))
    assert done.exit_code == 0, done.output
    assert "last run R13 (wave, completed): 0 practices taken; 1 failed, not taken by it" in " ".join(done.stdout.split())
    assert "no practice of it" not in done.stdout
