"""The `scr` command line: options parsed, clear errors, exit codes."""

import json
import re

import duckdb
import pytest

from click.testing import CliRunner as ClickRunner
from typer.testing import CliRunner

from flows.cli import app
from flows.cli import command as scr_command
from tests.support.encrypted import encrypted

runner = CliRunner()


def test_generate_writes_landing_and_truth_beside_it(tmp_path, monkeypatch):
    from flows import cli_common

    monkeypatch.setattr(cli_common.out, "width", 300)
    out = tmp_path / "zone"
    result = runner.invoke(app, ["generate", "--out", str(out), "--practices", "3", "--seed", "5", "--bad", "2"])
    assert result.exit_code == 0, result.output
    # a summary in words, not the raw dict it printed ({'seed': 5, 'corruption': 'default', ...})
    summary = json.loads((out / "truth" / "summary.json").read_text())
    assert "{" not in result.output and "'seed'" not in result.output, result.output
    assert f"wrote {out / 'landing'}: 3 practices, {summary['records']:,} client records (" in result.output
    assert f"of {summary['entities']:,} real clients; seed 5, default corruption" in result.output
    bad = f"{summary['bad_practices']} practice{'s' * (summary['bad_practices'] != 1)} given bad input ("
    assert f"ground truth in {out / 'truth'}: " in result.output and bad in result.output, result.output
    registry = json.loads((out / "landing" / "practices.json").read_text())
    assert len(registry) == 3
    assert (out / "truth" / "records.csv").exists()
    assert not (out / "landing" / "truth").exists()


def test_status_without_a_warehouse_is_a_clear_error(tmp_path):
    result = runner.invoke(app, ["status", "--warehouse", str(tmp_path / "none.duckdb")])
    assert result.exit_code == 2
    assert "no warehouse" in result.output


def test_run_on_a_missing_registry_fails_before_any_work(tmp_path, prefect_api):
    result = runner.invoke(app, ["run", "--landing", str(tmp_path / "nowhere"), "--warehouse", str(tmp_path / "w.duckdb")])
    assert result.exit_code == 2
    assert "no landing zone" in result.output and not (tmp_path / "w.duckdb").exists()


def test_every_interface_command_is_registered():
    result = runner.invoke(app, ["--help"])
    for command in ("run", "rerun", "generate", "demo", "status", "retire-sync", "review", "rollback", "unmerge", "serve"):
        assert command in result.output


def test_run_wave_rerun_and_status_on_a_small_zone(tmp_path, prefect_api):
    out, wh = tmp_path / "zone", str(tmp_path / "w.duckdb")
    assert runner.invoke(app, ["generate", "--out", str(out), "--practices", "5", "--seed", "9", "--bad", "1"]).exit_code == 0
    landing = str(out / "landing")
    first = runner.invoke(app, ["run", "--landing", landing, "--warehouse", wh])
    assert first.exit_code == 0, first.output
    assert "migration progress" in first.output and "failed" in first.output
    registry = json.loads((out / "landing" / "practices.json").read_text())
    pid = registry[0]["practice_id"]
    again = runner.invoke(app, ["rerun", "--practice", pid, "--landing", landing, "--warehouse", wh])
    assert again.exit_code == 0, again.output
    assert pid in again.output
    planned = runner.invoke(app, ["wave", "--landing", landing, "--warehouse", wh])
    assert planned.exit_code == 0, planned.output
    status = runner.invoke(app, ["status", "--warehouse", wh, "--all"])
    assert status.exit_code == 0 and pid in status.output


def test_a_run_names_an_earlier_run_that_ended_without_finishing(tmp_path, capsys):
    import duckdb

    from flows.cli_run import _note_unfinished
    from tests.warehouse.handmade import published
    from warehouse.db import writer
    from warehouse.run_store import start_run

    empty = tmp_path / "empty.duckdb"
    duckdb.connect(str(empty)).close()
    _note_unfinished(empty)  # no run table yet (a first run killed before it made one): nothing to name, no error
    path = published(tmp_path / "w.duckdb")  # its runs all finished
    _note_unfinished(path)
    with writer(path) as con:  # a run starts, and its process ends there
        start_run(con, "R9", "wave", {})
    _note_unfinished(path)
    said = " ".join(capsys.readouterr().err.split())
    assert said.count("note:") == 1
    assert "note: run R9 (wave, started " in said
    assert "ended without finishing; the chunks it committed stand, and it is recorded as interrupted" in said


def test_a_warehouse_that_is_a_folder_or_another_file_is_one_clear_line_exit_2(tmp_path):
    out = tmp_path / "zone"
    assert runner.invoke(app, ["generate", "--out", str(out), "--practices", "2", "--seed", "5"]).exit_code == 0
    landing = str(out / "landing")
    folder, other = tmp_path / "folder", tmp_path / "notes.duckdb"
    folder.mkdir()
    other.write_text("not a database\n")
    commands = (["status"], ["query", "select 1"], ["report", "-o", str(tmp_path / "r.html")], ["practice", "P00001"],
                ["review", "export", "-p", "P00001", "-o", str(tmp_path / "r.csv")], ["rollback", "-p", "P00001", "--by", "me"],
                ["snapshot"], ["run", "-l", landing], ["rekey", "-l", landing])  # fmt: skip
    for command in commands:
        result = runner.invoke(app, [*command, "-w", str(folder)])
        assert result.exit_code == 2, (command, result.output)
        assert f"the warehouse {folder} is a folder" in " ".join(result.output.split())
        assert isinstance(result.exception, SystemExit), (command, result.exception)  # no traceback
    for command in commands[3:]:
        result = runner.invoke(app, [*command, "-w", str(other)])
        assert result.exit_code == 2, (command, result.output)
        assert f"warehouse {other} cannot be opened as a DuckDB database" in " ".join(result.output.split())
        assert isinstance(result.exception, SystemExit), (command, result.exception)
    assert list(folder.iterdir()) == [] and other.read_text() == "not a database\n"
    assert not (tmp_path / "r.csv").exists() and not (tmp_path / "r.html").exists()


def test_generate_and_demo_never_replace_what_they_did_not_write(tmp_path):
    exports = tmp_path / "site" / "landing"  # someone's real landing zone, beside their warehouse
    (exports / "P1").mkdir(parents=True)
    (exports / "practices.json").write_text("[]\n")
    (tmp_path / "site" / "scr.duckdb").write_text("theirs\n")
    before = sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*"))
    for command in (["generate", "-o", str(tmp_path / "site"), "-n", "2"], ["demo", "-o", str(tmp_path / "site")]):
        result = runner.invoke(app, command)
        assert result.exit_code == 1 and isinstance(result.exception, SystemExit), result.output
        assert "refusing to" in result.output
    assert sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*")) == before
    # a zone generate wrote is replaced by the next generate
    zone = tmp_path / "zone"
    assert runner.invoke(app, ["generate", "-o", str(zone), "-n", "3", "-s", "1"]).exit_code == 0
    assert runner.invoke(app, ["generate", "-o", str(zone), "-n", "2", "-s", "2"]).exit_code == 0
    assert len(json.loads((zone / "landing" / "practices.json").read_text())) == 2


def test_generate_mistakes_are_one_line_exit_2_and_write_nothing(tmp_path):
    (tmp_path / "notes.txt").write_text("a file\n")
    cases = ((["-o", str(tmp_path / "z"), "--corruption", "nope"], "--corruption 'nope': use default or geco"),
             (["-o", str(tmp_path / "notes.txt")], "is a file: give a folder"),
             (["-o", str(tmp_path / "notes.txt" / "z")], "is a file, not a folder"),
             (["-o", str(tmp_path / "z"), "--bad", "-1"], "--bad"))  # fmt: skip
    for args, said in cases:
        result = runner.invoke(app, ["generate", "-n", "2", *args])
        assert result.exit_code == 2 and isinstance(result.exception, SystemExit), result.output
        assert said in " ".join(result.output.split())
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]


@pytest.mark.parametrize("asked", [["run"], ["wave"], ["rerun", "-p", "P00001"], ["rekey"]])
def test_a_runner_it_does_not_know_is_bad_usage_before_anything_else(tmp_path, monkeypatch, asked):
    # checked as it is parsed: before the landing zone, the warehouse or the key are looked at, so a rekey with
    # nothing to do (or a missing landing zone) never hides it, and worded as --corruption's and --format's
    args = [*asked, "-l", str(tmp_path / "nowhere"), "-w", str(tmp_path / "w.duckdb")]
    typed = runner.invoke(app, [*args, "--runner", "dasq"])
    assert typed.exit_code == 2 and isinstance(typed.exception, SystemExit), typed.output
    assert " ".join(typed.output.split()) == "error: --runner 'dasq': use thread or dask"
    monkeypatch.setenv("SCR_RUNNER", "dasq")
    ambient = ClickRunner().invoke(scr_command(), args, prog_name="scr")  # the `scr` command: options read the environment
    assert ambient.exit_code == 2 and "error: --runner 'dasq' (from SCR_RUNNER): use thread or dask" in ambient.output
    assert not (tmp_path / "w.duckdb").exists()


@pytest.mark.parametrize("args", [["wave", "--budget", "-5", "-l", "{d}"], ["wave", "--budget", "0", "-l", "{d}"],
                                  ["generate", "-n", "0", "-o", "{d}"], ["query", "select 1", "--max-rows", "0", "-w", "{d}"]])
def test_a_count_below_its_least_is_bad_usage(tmp_path, args):
    """Found by hand (session 28): `scr wave --budget -5` ran wave 1 (exit 0) while `scr generate -n -3` was refused."""
    res = runner.invoke(app, [a.format(d=tmp_path / "nowhere") for a in args])
    assert res.exit_code == 2 and isinstance(res.exception, SystemExit), res.output
    assert "Input should be greater than or equal to" in " ".join(res.output.split()), res.output
    assert not (tmp_path / "nowhere").exists()


def test_more_bad_practices_than_practices_is_bad_usage(tmp_path):
    """Found by hand (session 28): `scr generate -n 2 --bad 5` wrote two bad practices without a word."""
    res = runner.invoke(app, ["generate", "-o", str(tmp_path / "z"), "-n", "2", "--bad", "5"])
    assert res.exit_code == 2 and " ".join(res.output.split()) == (
        "error: --bad 5 is more than --practices 2: at most every practice can be given bad input"), res.output
    assert not (tmp_path / "z").exists()
    assert runner.invoke(app, ["generate", "-o", str(tmp_path / "z"), "-n", "2", "--bad", "2"]).exit_code == 0


def test_a_wave_the_registry_does_not_plan_is_bad_usage_before_prefect_starts(tmp_path):
    # as a mistyped practice: named with the waves there are, exit 2, nothing written (it ran an empty wave)
    zone = tmp_path / "zone"
    assert runner.invoke(app, ["generate", "-o", str(zone), "-n", "6", "-s", "3"]).exit_code == 0
    landing = zone / "landing"
    waves = sorted({p["wave"] for p in json.loads((landing / "practices.json").read_text()) if p["wave"] is not None})
    res = runner.invoke(app, ["wave", "--wave", "99", "-l", str(landing), "-w", str(tmp_path / "w.duckdb")])
    assert res.exit_code == 2 and isinstance(res.exception, SystemExit), res.output
    assert " ".join(res.output.split()) == (f"error: unknown wave 99: not in {landing / 'practices.json'} "
                                            f"(its waves: {', '.join(map(str, waves))})")  # fmt: skip
    assert not (tmp_path / "w.duckdb").exists()


def test_a_budget_with_a_wave_is_bad_usage_before_prefect_starts(tmp_path):
    """Found by QA (session 33): `scr wave --wave 1 --budget 100` ran the whole wave, the budget ignored unsaid."""
    zone = tmp_path / "zone"
    assert runner.invoke(app, ["generate", "-o", str(zone), "-n", "6", "-s", "3"]).exit_code == 0
    res = runner.invoke(app, ["wave", "--wave", "1", "--budget", "100", "-l", str(zone / "landing"), "-w", str(tmp_path / "w.duckdb")])
    assert res.exit_code == 2 and isinstance(res.exception, SystemExit), res.output
    assert " ".join(res.output.split()) == ("error: --budget 100 with --wave 1: a budget fills only a wave of practices "
                                            "no wave is planned for; give one or the other")  # fmt: skip
    assert not (tmp_path / "w.duckdb").exists()


def test_a_budget_a_planned_wave_leaves_unused_is_said(tmp_path, prefect_api):
    """Found by QA (session 33): `scr wave --budget 100` took a planned wave of 707 records, the budget unused unsaid."""
    zone = tmp_path / "zone"
    assert runner.invoke(app, ["generate", "-o", str(zone), "-n", "6", "-s", "3"]).exit_code == 0
    registry = json.loads((zone / "landing" / "practices.json").read_text())
    first = min(p["wave"] for p in registry if p["wave"] is not None)
    res = runner.invoke(app, ["wave", "--budget", "1", "-l", str(zone / "landing"), "-w", str(tmp_path / "w.duckdb")])
    assert res.exit_code == 0, res.output
    said = [line for line in res.output.splitlines() if "--budget" in line]
    assert len(said) == 1 and re.fullmatch(rf"note: --budget 1 not used: wave {first} is planned for \d+ eligible "
                                           r"practices?", said[0]), res.output  # fmt: skip


def test_a_rerun_into_a_warehouse_not_there_is_bad_usage_and_a_first_wave_says_it_makes_one(tmp_path, prefect_api):
    """Found by hand (session 28): `scr rerun -p ID -w <typo>` ran the practice into a new warehouse and said it had
    (exit 0), and `scr wave -w <typo>` a whole wave, while the operator's warehouse stayed as it was."""
    import prefect.main  # noqa: F401 - Prefect binds its log handlers on this import: to the test's stderr, not the runner's

    zone = tmp_path / "zone"
    assert runner.invoke(app, ["generate", "-o", str(zone), "-n", "3", "-s", "3"]).exit_code == 0
    typo = tmp_path / "typo" / "w.duckdb"
    res = runner.invoke(app, ["rerun", "-p", "P00001", "-l", str(zone / "landing"), "-w", str(typo)])
    assert res.exit_code == 2 and isinstance(res.exception, SystemExit), res.output
    assert " ".join(res.output.split()) == (f"error: no warehouse at {typo}: a rerun runs again practices a run read; "
                                            "`scr run` makes the warehouse (check --warehouse)")  # fmt: skip
    assert not typo.exists() and not typo.parent.exists()
    first = runner.invoke(app, ["wave", "-l", str(zone / "landing"), "-w", str(typo)])
    assert first.exit_code == 0, first.output
    assert f"note: no warehouse at {typo} yet: this wave makes one (check --warehouse)" in " ".join(first.output.split())
    again = runner.invoke(app, ["wave", "-l", str(zone / "landing"), "-w", str(typo)])
    assert again.exit_code == 0 and "no warehouse at" not in again.output, again.output


def test_without_landing_a_command_reads_the_zone_the_warehouse_last_run_read_and_says_so(tmp_path, prefect_api, monkeypatch):
    """Found by hand (session 28): after `make demo`, `scr rerun -p ID` found the demo's warehouse but not its landing zone
    (exit 2, 'no landing zone at landing'): the warehouse now records the folder each run read."""
    import prefect.main  # noqa: F401 - Prefect binds its log handlers on this import: to the test's stderr, not the runner's

    zone, wh = tmp_path / "zone", tmp_path / "w.duckdb"
    assert runner.invoke(app, ["generate", "-o", str(zone), "-n", "3", "-s", "3"]).exit_code == 0
    assert runner.invoke(app, ["run", "-l", str(zone / "landing"), "-w", str(wh)]).exit_code == 0
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    monkeypatch.delenv("SCR_LANDING", raising=False)
    res = runner.invoke(app, ["rerun", "-p", "P00002", "-w", str(wh)])
    assert res.exit_code == 0, res.output
    said = " ".join(res.output.split())
    assert f"using the landing zone {zone / 'landing'} the warehouse's last run read (set SCR_LANDING or --landing for another)" in said
    with duckdb.connect(str(wh), read_only=True) as con:
        assert con.execute("select count(*) from run_practice where practice_id = 'P00002'").fetchone()[0] == 2
    # a landing zone asked for is never replaced by the recorded one: missing, it is the error it always was
    from flows.settings import get_settings

    monkeypatch.setenv("SCR_LANDING", "gone")
    get_settings.cache_clear()  # the settings are read once per process
    try:
        res = runner.invoke(app, ["rerun", "-p", "P00002", "-w", str(wh)])
    finally:
        monkeypatch.delenv("SCR_LANDING")
        get_settings.cache_clear()
    assert res.exit_code == 2 and "error: no landing zone at gone (--landing DIR or SCR_LANDING)" in " ".join(res.output.split())
    # a `landing` folder here is the default, as before
    (elsewhere / "landing").mkdir()
    res = runner.invoke(app, ["rerun", "-p", "P00002", "-w", str(wh)])
    assert res.exit_code == 2 and "using the landing zone" not in res.output, res.output
    assert "the landing zone landing cannot be used: practices.json: not found in landing" in " ".join(res.output.split())
    # the recorded folder gone: the default's error, not a guess
    (elsewhere / "landing").rmdir()
    (zone / "landing").rename(tmp_path / "moved")
    res = runner.invoke(app, ["rerun", "-p", "P00002", "-w", str(wh)])
    assert res.exit_code == 2 and "error: no landing zone at landing (--landing DIR or SCR_LANDING)" in " ".join(res.output.split())


def test_an_option_taking_one_value_given_twice_is_bad_usage_and_changes_nothing(tmp_path):
    # click kept the last value unsaid: `scr rollback -p P1 -p P2` rolled back P2 alone, and said only that
    from tests.warehouse.handmade import published

    wh = str(published(tmp_path / "w.duckdb"))
    with duckdb.connect(wh, read_only=True) as con:
        before = con.execute("select * from practice_choice order by all").fetchall()
    for args, option, path in ((["rollback", "-p", "A1", "-p", "A2", "--by", "me"], "--practice", "scr rollback"),
                               (["rollback", "-p", "A1", "--to", "1", "--to=none", "--by", "me"], "--to", "scr rollback"),
                               (["review", "revoke", "-p", "A1", "--file", "a.csv", "--file", "b.csv"], "--file", "scr review revoke"),
                               (["unmerge", "-u", "uc_a", "--unified-id", "uc_b"], "--unified-id", "scr unmerge")):  # fmt: skip
        res = ClickRunner().invoke(scr_command(), [*args, "-w", wh], prog_name="scr")
        assert res.exit_code == 2 and isinstance(res.exception, SystemExit), res.output
        assert " ".join(res.output.split()) == f"error: {option} is given more than once: `{path}` takes one (run it once for each)"
    with duckdb.connect(wh, read_only=True) as con:
        assert con.execute("select * from practice_choice order by all").fetchall() == before
    # an option that takes several, or a flag said twice, is as it was
    assert ClickRunner().invoke(scr_command(), ["status", "-w", wh, "-p", "A1", "-p", "A2", "--all", "--all"]).exit_code == 0


def test_run_says_which_pinned_practices_it_leaves_as_they_are(tmp_path):
    # `scr run` takes every practice but those pinned after a rollback: it said "2 practices" of a registry of 3, unexplained
    from warehouse.choices import pin
    from warehouse.schema import create_all

    zone, wh = tmp_path / "zone", tmp_path / "w.duckdb"
    assert runner.invoke(app, ["generate", "-o", str(zone), "-n", "3", "-s", "4"]).exit_code == 0
    with duckdb.connect(str(wh)) as con:
        create_all(con)
        pin(con, "P00002", None, "ops", "rollback to none")
    res = ClickRunner().invoke(scr_command(), ["run", "-l", str(zone / "landing"), "-w", str(wh)], prog_name="scr")
    assert res.exit_code == 0, res.output
    said = " ".join(res.output.split())
    assert "note: P00002 pinned after a rollback: left as it is (`scr practice release P00002` first to run it)" in said
    assert ": 2 practices," in said
    with duckdb.connect(str(wh), read_only=True) as con:
        assert con.execute("select distinct practice_id from run_practice order by 1").fetchall() == [("P00001",), ("P00003",)]


@pytest.mark.parametrize("asked", [["run"], ["retire-sync", "--dry-run"]])
def test_a_landing_zone_named_by_the_folder_generate_wrote_says_where_it_is(tmp_path, asked):
    # `scr generate -o zone` writes zone/landing: `-l zone` said only "practices.json: not found in zone"
    zone = tmp_path / "zone"
    assert runner.invoke(app, ["generate", "-o", str(zone), "-n", "2"]).exit_code == 0
    res = runner.invoke(app, [*asked, "-l", str(zone), "-w", str(tmp_path / "w.duckdb")])
    assert res.exit_code == 2 and isinstance(res.exception, SystemExit), res.output
    inner = zone / "landing"
    assert " ".join(res.output.split()) == (f"error: the landing zone {zone} cannot be used: practices.json: not found in {zone} "
                                            f"({inner} is one: --landing {inner})")  # fmt: skip
    assert not (tmp_path / "w.duckdb").exists()


def test_a_dask_address_is_checked_before_prefect_starts(tmp_path):
    # without --runner dask it was ignored (the run went on threads, unsaid); with it, a scheduler not there failed the
    # run after 30 s of Dask's retries with a 180-line traceback, exit 1: bad usage or environment, one line, exit 2
    import socket

    zone, wh = tmp_path / "zone", tmp_path / "w.duckdb"
    assert runner.invoke(app, ["generate", "-o", str(zone), "-n", "2"]).exit_code == 0
    with socket.socket() as s:  # a port no scheduler listens on
        s.bind(("127.0.0.1", 0))
        free = f"tcp://127.0.0.1:{s.getsockname()[1]}"
    cases = ((["--dask-address", free], f"error: --dask-address '{free}' needs --runner dask (with thread it would be ignored)"),
             (["--runner", "dask", "--dask-address", "tcp://host"],
              "error: --dask-address 'tcp://host': write it as tcp://HOST:PORT (e.g. tcp://10.0.0.5:8786)"),
             (["--runner", "dask", "--dask-address", free],
              f"error: no Dask scheduler answers at {free} (Connection refused): start one there (`dask scheduler`), "
              "or leave out --dask-address for a local cluster"))  # fmt: skip
    for args, said in cases:
        res = runner.invoke(app, ["run", "-p", "P00001", "-l", str(zone / "landing"), "-w", str(wh), *args])
        assert res.exit_code == 2 and isinstance(res.exception, SystemExit), res.output
        assert " ".join(res.output.split()) == said
    assert not wh.exists()
    # a rekey checks it before it forgets the old key's hashes, not at the reading of every practice that follows
    from warehouse.schema import create_all

    with duckdb.connect(str(wh)) as con:
        create_all(con)
        before = con.execute("select * from warehouse_meta order by all").fetchall()
    res = runner.invoke(app, ["rekey", "-l", str(zone / "landing"), "-w", str(wh), "--runner", "dask", "--dask-address", free])
    assert res.exit_code == 2 and "error: no Dask scheduler answers at" in res.output, res.output
    with duckdb.connect(str(wh), read_only=True) as con:
        assert con.execute("select * from warehouse_meta order by all").fetchall() == before


def test_practice_takes_its_options_before_the_id_too(tmp_path):
    from tests.warehouse.handmade import published

    wh = str(published(tmp_path / "w.duckdb"))
    after = runner.invoke(app, ["practice", "A1", "-w", wh, "--json"])
    assert after.exit_code == 0, after.output
    for args in (["-w", wh, "A1", "--json"], ["--warehouse", wh, "--json", "A1"]):
        before = runner.invoke(app, ["practice", *args])
        assert before.exit_code == 0, before.output
        assert json.loads(before.output) == json.loads(after.output)
    unknown = runner.invoke(app, ["practice", "-w", wh, "NOPE"])
    assert unknown.exit_code == 2 and "unknown practice 'NOPE'" in unknown.output


@pytest.mark.parametrize("day", ["2023-13-01", "20231101", "1/11/2023", "tomorrow"])
def test_retire_sync_as_of_that_is_no_day_says_how_to_write_one(tmp_path, day):
    res = runner.invoke(app, ["retire-sync", "-l", str(tmp_path), "-w", str(tmp_path / "wh.duckdb"), "--as-of", day])
    words = " ".join(res.output.split())
    assert res.exit_code == 2 and f"'{day}' is not a day: write it as YYYY-MM-DD" in words, res.output
    assert "Value error" not in words and not (tmp_path / "wh.duckdb").exists()


def test_an_operator_command_on_a_full_disk_names_the_file_exits_2_and_changes_nothing(tmp_path):
    import resource
    import subprocess
    import sys

    import duckdb

    from tests.support.state import warehouse_state
    from tests.warehouse.handmade import build

    wh = tmp_path / "scr.duckdb"
    with duckdb.connect(str(wh)) as con:
        build(con)
    before = warehouse_state(wh)
    size = wh.stat().st_size  # the file may not grow, nor a log beside it take more than 1 KB (`ulimit -f`)
    done = subprocess.run(
        [sys.executable, "-m", "flows.cli", "practice", "strategy", "A1", "keep_xpm", "--by", "ann", "-w", str(wh)],
        capture_output=True, text=True, timeout=120,
        preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_FSIZE, (1024, resource.RLIM_INFINITY)),
    )  # fmt: skip
    said = " ".join(done.stderr.split())
    assert done.returncode == 2, done.stderr[-3000:]
    assert said.startswith(f"error: writing the warehouse {wh} failed: cannot write {wh}") and "File too large" in said
    assert "Traceback" not in done.stderr
    assert wh.stat().st_size == size and warehouse_state(wh) == before
    again = runner.invoke(app, ["practice", "strategy", "A1", "keep_xpm", "--by", "ann", "-w", str(wh)])
    assert again.exit_code == 0, again.output


# every command that writes the warehouse, with what it needs (the hand-made warehouse's practices, a landing zone, a
# review file): each refuses a warehouse it cannot write in the same one line
WRITING = [
    ["run", "-l", "LANDING"],
    ["wave", "-l", "LANDING"],
    ["rerun", "-p", "P00001", "-l", "LANDING"],
    ["rekey", "-l", "LANDING"],
    ["retire-sync", "-l", "LANDING", "--force", "--by", "ann"],
    ["practice", "confirm", "C3", "--by", "ann"],
    ["practice", "strategy", "A1", "keep_xpm", "--by", "ann"],
    ["practice", "release", "A1", "--by", "ann"],
    ["rollback", "-p", "A1", "--by", "ann"],
    ["unmerge", "-u", "x", "--by", "ann"],
    ["review", "apply", "DECISIONS", "--by", "ann"],
    ["review", "revoke", "-p", "A2", "--all", "--by", "ann"],
    ["snapshot"],
]


def _writing_commands(tmp_path, wh):
    """WRITING as typed against `wh` (the hand-made warehouse, given the key of a landing zone made here)."""
    from flows.settings import hash_key
    from warehouse.meta import KEY_FINGERPRINT, write_meta

    zone = tmp_path / "zone"
    assert runner.invoke(app, ["generate", "--out", str(zone), "--practices", "2", "--seed", "3"]).exit_code == 0
    with duckdb.connect(str(wh)) as con:  # the key the runs hash with: they get as far as the writer lock
        write_meta(con, KEY_FINGERPRINT, hash_key(zone / "landing").fingerprint)
    decisions = tmp_path / "decisions.csv"
    decisions.write_text("practice_id,source_l,source_client_id_l,source_r,source_client_id_r,decision\nA2,hq,k1,xpm,y1,accept\n")
    given = {"LANDING": str(zone / "landing"), "DECISIONS": str(decisions)}
    return [[given.get(a, a) for a in args] + ["-w", str(wh)] for args in WRITING]


@pytest.mark.parametrize("lock_there", [True, False], ids=["its-lock-file-there", "no-lock-file"])
def test_a_command_that_writes_into_a_read_only_folder_names_the_file_exits_2_and_changes_nothing(tmp_path, lock_there):
    """QA, session 33: with the warehouse's folder read-only (`chattr +i`: EPERM, not the EROFS of a read-only mount),
    every writing command ended in DuckDB's traceback (Failed to commit: Cannot open file ".../scr.duckdb.wal":
    Operation not permitted), exit 1; the README says one line naming the file and the reason, exit 2."""
    from tests.support.state import warehouse_state
    from tests.support.unwritable import unwritable
    from tests.warehouse.handmade import published

    folder = tmp_path / "wh"
    folder.mkdir()
    wh = published(folder / "scr.duckdb")
    commands = _writing_commands(tmp_path, wh)
    if lock_there:  # as after any run: the lock file is there, and stays writable
        (folder / "scr.duckdb.lock").touch()
    before = warehouse_state(wh)
    with unwritable(folder):
        for said in _each_refused(commands, f"error: writing the warehouse {wh} failed: cannot write {folder}/"):
            assert "make the folder and the file writable" in said, said
    assert warehouse_state(wh) == before


def _each_refused(commands: list[list[str]], start: str) -> list[str]:
    """Each command's output on one line, having checked it is one error line beginning `start`, exit 2."""
    outputs = []
    for args in commands:
        res = runner.invoke(app, args)
        said = " ".join(res.output.split())
        assert res.exit_code == 2, (args, res.output, res.exception)
        assert said.startswith(start) and said.count("error:") == 1, (args, said)
        outputs.append(said)
    return outputs


def test_a_command_that_writes_a_read_only_warehouse_file_names_it_in_one_line_exit_2(tmp_path):
    """QA, session 33: with the warehouse file itself read-only, `scr run`, `wave` and `rerun` ended in a traceback
    from the wait for the writer lock (WarehouseUnusable, exit 1); the other commands said it in other words, as a
    file DuckDB cannot open ("cannot be opened as a DuckDB database"): every one says it as the storage's refusal."""
    from tests.support.state import warehouse_state
    from tests.support.unwritable import unwritable
    from tests.warehouse.handmade import published

    wh = published(tmp_path / "scr.duckdb")
    (tmp_path / "scr.duckdb.lock").touch()
    commands = _writing_commands(tmp_path, wh)
    before = warehouse_state(wh)
    with unwritable(wh):
        _each_refused(commands, f"error: writing the warehouse {wh} failed: cannot write {wh}: ")
    assert warehouse_state(wh) == before


def test_serve_says_its_schedule_and_paths_as_text_and_refuses_a_bad_one_before_prefect(tmp_path, monkeypatch):
    """`scr serve` put --cron, --timezone and the paths through Rich markup (a landing folder named `z[bold]x[/]` lost
    its brackets); a cron Prefect cannot read ended in its traceback, an unknown time zone was taken as is."""
    from pathlib import Path

    from flows import cli_common
    from flows.cli_run import serving
    from synthetic import generate_zone

    said = serving(Path("/zone[bold]x[/]/landing"), Path("/w[red].duckdb"), "0 1 * * *", "Australia/Sydney").plain
    assert said == ("serving nightly-wave/nightly on 0 1 * * * (Australia/Sydney), rerun-practice/rerun and "
                    "retire-legacy-sync/retire-sync; landing /zone[bold]x[/]/landing, warehouse /w[red].duckdb")  # fmt: skip
    monkeypatch.setattr(cli_common.err, "width", 300)
    generate_zone(tmp_path / "zone", 2, seed=3)
    where = ["-l", str(tmp_path / "zone" / "landing"), "-w", str(tmp_path / "w.duckdb")]
    res = runner.invoke(app, ["serve", "-v", *where, "--cron", "[red]0 1 * *"])
    assert res.exit_code == 2 and "error: --cron '[red]0 1 * *': not a cron schedule" in res.output, res.output
    res = runner.invoke(app, ["serve", *where, "--timezone", "Sydney[/]"])
    assert res.exit_code == 2 and "error: --timezone 'Sydney[/]': not a time zone" in res.output, res.output


def test_scr_run_starts_the_gates_own_process_before_its_flow_starts(tmp_path, prefect_api, monkeypatch):
    """Great Expectations' import (seconds of one core) runs beside Prefect's start, not after the model's fit: a run
    stopped at its flow's very start already has the gate's process; with SCR_GATE_PROCESS=0 there is none."""
    from flows import faults
    from flows.settings import get_settings
    from quality import gate

    out, wh = tmp_path / "zone", str(tmp_path / "w.duckdb")
    assert runner.invoke(app, ["generate", "--out", str(out), "--practices", "2", "--seed", "4"]).exit_code == 0
    monkeypatch.setenv("SCR_FAULT", "run:started@1:raise")
    try:
        for wanted in ("0", "1"):
            monkeypatch.setattr(faults, "_hits", {})  # each run's first arrival
            gate.stop_process()
            monkeypatch.setenv("SCR_GATE_PROCESS", wanted)
            get_settings.cache_clear()
            stopped = runner.invoke(app, ["run", "--landing", str(out / "landing"), "--warehouse", wh])
            assert stopped.exit_code != 0 and "run:started" in stopped.output + repr(stopped.exception), stopped.output
            assert (gate.process_pid() is not None) == (wanted == "1"), wanted
    finally:
        gate.stop_process()
        get_settings.cache_clear()


def test_scr_run_emits_no_prefect_heartbeat_unless_the_operator_sets_one(tmp_path, prefect_api):
    """Prefect's heartbeat thread is joined at a run's end while it sleeps out its second (0-1 s on every run): a run
    started by `scr run` starts none by Prefect's default; a frequency the operator set (here as a Prefect setting)
    still holds. Prefect's engine says at debug level when it starts one."""
    import logging

    import prefect.main  # noqa: F401 - Prefect configures its loggers once, on this import: listen after it
    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings

    out = tmp_path / "zone"
    assert runner.invoke(app, ["generate", "--out", str(out), "--practices", "2", "--seed", "4"]).exit_code == 0
    said: list[str] = []

    class Heard(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            said.append(record.getMessage())

    engine, heard = logging.getLogger("prefect.flow_runs"), Heard(logging.DEBUG)
    level = engine.level
    # Prefect's console handlers were given the stream of whichever test first configured its logging (a CliRunner's,
    # closed since): at debug level they write into it and fail the run. Only this test's own handler listens here.
    consoles = [(lg, h) for lg in (engine, logging.getLogger("prefect"), logging.getLogger())
                for h in list(lg.handlers) if isinstance(h, logging.StreamHandler)]  # fmt: skip
    for lg, h in consoles:
        lg.removeHandler(h)
    engine.addHandler(heard)
    engine.setLevel(logging.DEBUG)
    try:
        seen = {}
        for case, updates in (("default", {}), ("set", {PREFECT_FLOWS_HEARTBEAT_FREQUENCY: 45})):
            said.clear()
            with temporary_settings(updates=updates):
                done = runner.invoke(app, ["run", "--landing", str(out / "landing"), "--warehouse", str(tmp_path / f"{case}.duckdb")])
            assert done.exit_code == 0, done.output
            assert any("Executing flow" in m for m in said), said  # the engine's debug lines are heard
            seen[case] = any("heartbeat context" in m for m in said)
        assert seen == {"default": False, "set": True}, seen
    finally:
        engine.removeHandler(heard)
        engine.setLevel(level)
        for lg, h in consoles:
            lg.addHandler(h)


def test_a_run_on_a_warehouse_cut_short_is_one_line_exit_2_before_prefect_starts(tmp_path):
    """QA, session 31: DuckDB opens a file cut short and fails on the first table past the cut: `scr run` ended in a
    traceback, exit 1, from its flow."""
    import os

    from tests.warehouse.handmade import published

    zone, wh = tmp_path / "zone", published(tmp_path / "w.duckdb")
    assert runner.invoke(app, ["generate", "-o", str(zone), "-n", "2", "-s", "5"]).exit_code == 0
    from warehouse.db import damage

    size = wh.stat().st_size
    os.truncate(wh, size // 2)
    said = (f"warehouse {wh} cannot be opened as a DuckDB database: {damage(wh)}: restore the file from a backup (runs "
            "and commands that write refuse it until then)")  # fmt: skip
    assert "cut short" in said
    for command in (["run"], ["rerun", "-p", "P00001"], ["wave"], ["rekey"], ["retire-sync", "--force"]):
        res = runner.invoke(app, [*command, "-l", str(zone / "landing"), "-w", str(wh)])
        assert res.exit_code == 2 and isinstance(res.exception, SystemExit), (command, res.output)
        assert res.stderr.splitlines()[-1] in (f"error: the run cannot start: {said}", f"error: {said}",
                                               f"error: the sync retirement cannot start: {said}"), res.output  # fmt: skip
    assert wh.stat().st_size == size // 2


def test_rows_of_practices_json_that_name_no_practice_are_said_by_position_never_counted_as_practices(tmp_path, prefect_api):
    """QA, session 31: a number or null among practices.json's rows was a failed practice, `practices.json row 3`, in
    the run's funnel and status; a warehouse that an earlier release gave such rows loses them on its next run."""
    zone, wh = tmp_path / "zone", tmp_path / "w.duckdb"
    assert runner.invoke(app, ["generate", "-o", str(zone), "-n", "2", "-s", "3"]).exit_code == 0
    registry = zone / "landing" / "practices.json"
    first = runner.invoke(app, ["run", "-l", str(zone / "landing"), "-w", str(wh)])
    assert first.exit_code == 0, first.output
    with duckdb.connect(str(wh)) as con:  # as an earlier release recorded a row that is no object
        con.execute("insert into practice_status values ('practices.json row 3', 'failed', "
                    "'practices.json: row 3: not an object', now(), null)")  # fmt: skip
        # and a tax number typed as a row's practice_id, kept as a failed practice's key (QA7), in its history too
        con.execute("insert into practice_status values ('TFN 123 456 782', 'failed', 'practices.json: row 5', now(), null)")
        con.execute("insert into practice_status_history values ('TFN 123 456 782', 'failed', 'row 5', null, now())")
    rows = json.loads(registry.read_text())
    # and a row repeating another word for word: it failed the practice the first row names (QA7)
    registry.write_text(json.dumps([rows[0], 3, rows[1], None, rows[1]]))
    run = runner.invoke(app, ["run", "-l", str(zone / "landing"), "-w", str(wh)])
    assert run.exit_code == 0, run.output
    status = runner.invoke(app, ["status", "-w", str(wh), "--all"])
    assert status.exit_code == 0, status.output
    for said in (run.stdout, status.stdout):
        lines = [" ".join(line.split()) for line in said.splitlines()]
        assert "total │ 2 │" in " ".join(lines) and "practices.json row" not in said, said
        assert [line for line in lines if line.startswith("registry problem:")] == [
            *(f"registry problem: practices.json: row {no}: not an object but {kind}: each row is one practice's object, "
              '{"practice_id": ...} (no practice is read from it: fix or remove the row)' for no, kind in ((2, "a number"), (4, "null"))),
            "registry problem: practices.json: row 5: repeats row 3 word for word (no practice is read from it: fix or remove the row)",
        ], said  # fmt: skip
        assert "failed │ 0 │" in " ".join(lines), said
    with duckdb.connect(str(wh), read_only=True) as con:
        assert sorted(r[0] for r in con.sql("select practice_id from practice_status").fetchall()) == ["P00001", "P00002"]
        assert con.execute("select count(*) from practice_status where status = 'failed'").fetchone() == (0,)
        assert con.execute("select count(*) from practice_status_history where practice_id like 'TFN%'").fetchone() == (0,)


@pytest.mark.parametrize("kind", ["empty", "encrypted"])
def test_an_empty_or_encrypted_file_in_the_warehouses_place_is_one_line_exit_2_for_every_command_that_opens_it(tmp_path, kind):
    """QA, session 31: `retire-sync` on an empty file, and every run and writing command on an encrypted DuckDB file
    (another tool's), ended in tracebacks, exit 1; an empty file was said in DuckDB's raw words by runs, in the damage
    check's by status."""
    zone, wh = tmp_path / "zone", tmp_path / "w.duckdb"
    assert runner.invoke(app, ["generate", "-o", str(zone), "-n", "2", "-s", "5"]).exit_code == 0
    if kind == "empty":
        wh.write_bytes(b"")
    else:
        encrypted(wh)
    size = wh.stat().st_size
    for command in (["run"], ["rerun", "-p", "P00001"], ["wave"], ["rekey"], ["retire-sync", "--force"], ["retire-sync", "--dry-run"]):
        res = runner.invoke(app, [*command, "-l", str(zone / "landing"), "-w", str(wh)])
        assert res.exit_code == 2 and isinstance(res.exception, SystemExit), (command, res.output)
        last = res.stderr.splitlines()[-1]
        assert f"warehouse {wh} cannot be opened as a DuckDB database: " in last and "Traceback" not in res.output, (command, res.output)
        assert ("it is empty (0 bytes)" in last and "remove it to start a new warehouse" in last) if kind == "empty" else "encrypted" in last
    assert wh.stat().st_size == size


def test_a_registry_of_many_junk_rows_logs_the_first_few_and_counts_the_rest(tmp_path, prefect_api):
    """QA7: 100,000 rows of practices.json naming no practice logged a warning each: a 35 s run took minutes."""
    zone, wh = tmp_path / "zone", tmp_path / "w.duckdb"
    assert runner.invoke(app, ["generate", "-o", str(zone), "-n", "2", "-s", "3"]).exit_code == 0
    registry = zone / "landing" / "practices.json"
    registry.write_text(json.dumps([*json.loads(registry.read_text()), *[12345678] * 40]))
    run = runner.invoke(app, ["run", "-v", "-l", str(zone / "landing"), "-w", str(wh)])
    assert run.exit_code == 0, run.output
    said = [line for line in run.output.splitlines() if "no practice is read from it" in line]
    assert 0 < len(said) <= 10, run.output  # five from the run's log, five from its summary; 80 before
    assert "no practice is read from 35 more rows of practices.json" in run.output, run.output


def test_a_run_or_a_writing_command_on_a_duckdb_database_that_is_no_warehouse_is_refused_in_one_line_exit_2(tmp_path):
    """QA7: `scr run -w other.duckdb`, another tool's DuckDB database (a table `sales`), silently added the warehouse's
    fifty tables beside its own, exit 0. A database holding tables none of which is the warehouse's is refused, a
    few of its tables named, before Prefect starts and before anything is written; an empty one is a new warehouse."""
    zone, other = tmp_path / "zone", tmp_path / "other.duckdb"
    assert runner.invoke(app, ["generate", "-o", str(zone), "-n", "2", "-s", "5"]).exit_code == 0
    with duckdb.connect(str(other)) as con:
        for name in ("sales", "stock", "orders", "people"):
            con.execute(f"create table {name} (a int)")
    said = (f"warehouse {other} holds tables that are not a warehouse's: orders, people, sales and 1 more: check "
            "--warehouse (or SCR_WAREHOUSE): it names another database")  # fmt: skip
    for command in (["run", "-l", str(zone / "landing")], ["wave", "-l", str(zone / "landing")],
                    ["practice", "strategy", "P00001", "combine", "--by", "ops"], ["snapshot"]):  # fmt: skip
        res = runner.invoke(app, [*command, "-w", str(other)])
        assert res.exit_code == 2 and isinstance(res.exception, SystemExit), (command, res.output)
        assert res.stderr.splitlines()[-1].endswith(said) and "Traceback" not in res.output, (command, res.output)
    with duckdb.connect(str(other), read_only=True) as con:
        assert sorted(r[0] for r in con.sql("select table_name from duckdb_tables()").fetchall()) == ["orders", "people", "sales", "stock"]
