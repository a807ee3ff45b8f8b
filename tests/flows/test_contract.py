"""The published interface (`/work/shared/contract/interface.md`), checked against a real run.

Other people's tools rely on these names: every command and option spelled as written, the exit codes, every
table and column with its type, what `practice_status`, `client_crosswalk` and `proposed_crosswalk` promise,
and the analysts' views, present from a warehouse's first run and in its snapshot, none showing a secret.
A generated zone goes through `scr generate` and `scr run` as an operator types them; the rest reads what
they left.
"""

from __future__ import annotations

import json
from pathlib import Path

import click
import duckdb
import pytest
import typer
from typer.testing import CliRunner

from flows.cli import app
from warehouse.snapshot import snapshot_path

pytestmark = pytest.mark.prefect
runner = CliRunner()

# command (as typed after `scr`) -> the options the interface names for it
COMMANDS = {
    "run": ["--landing", "--warehouse", "--practice"],
    "demo": [],
    "generate": ["--out", "--practices", "--seed"],
    "status": ["--warehouse"],
    "retire-sync": ["--warehouse", "--landing", "--as-of", "--dry-run", "--force"],
    "rerun": ["--practice"],
    "review export": ["--practice"],
    "review apply": [],
    "review revoke": [],
    "rollback": ["--practice"],
    "unmerge": ["--unified-id"],
    "practice show": [],  # `scr practice ID`
    "practice strategy": [],
    "practice confirm": ["--by"],
    "practice release": [],
    "query": ["--warehouse"],
    "shell": [],
    "report": ["--warehouse", "--out"],
    "serve": ["--landing", "--warehouse"],
}
STATUSES = {"connect", "confirm", "coming_soon", "in_review", "blocked", "failed", "complete"}
CROSSWALK = {
    "practice_id": "VARCHAR", "source": "VARCHAR", "source_client_id": "VARCHAR", "unified_client_id": "VARCHAR",
    "merge_status": "VARCHAR", "match_probability": "DOUBLE",
}  # fmt: skip
TABLES = {
    "practice_status": {"practice_id": "VARCHAR", "status": "VARCHAR", "detail": "VARCHAR", "updated_at": "TIMESTAMP"},
    "client_crosswalk": CROSSWALK,
    "proposed_crosswalk": CROSSWALK,
    "unified_client": {"practice_id": None, "unified_client_id": None, "name": None, "entity_type": None, "archived": None},
    "sync_retirement": {"practice_id": None, "xpm_client_uuid": None, "hq_client_id": None, "last_synced_at": None, "retired_at": None},
}
VIEWS = ["migration_progress", "wave_summary", "review_queue", "quality_failures", "merge_summary", "practice_timeline",
         "sync_retirement_status"]  # fmt: skip
# what may never be selected by an analysts' view: keyed hashes, and a person's date of birth
SECRET_COLUMNS = {"tfn_hash", "ird_hash", "id_hash", "id_near", "value_hash", "raw_hash", "date_of_birth"}


@pytest.fixture(scope="module")
def zone(tmp_path_factory, prefect_api) -> tuple[Path, Path]:
    out = tmp_path_factory.mktemp("contract")
    made = runner.invoke(app, ["generate", "--out", str(out / "zone"), "--practices", "8", "--seed", "21", "--bad", "1"])
    assert made.exit_code == 0, made.output
    landing, wh = out / "zone" / "landing", out / "w.duckdb"
    ran = runner.invoke(app, ["run", "--landing", str(landing), "--warehouse", str(wh)])
    assert ran.exit_code == 0, ran.output
    return landing, wh


def _commands() -> dict[str, click.Command]:
    found = {}

    def walk(cmd: click.Command, path: tuple[str, ...]) -> None:
        subs = getattr(cmd, "commands", None)
        if subs:
            for name, sub in subs.items():
                walk(sub, (*path, name))
        else:
            found[" ".join(path)] = cmd

    walk(typer.main.get_command(app), ())
    return found


def test_every_command_and_option_of_the_interface_is_spelled_as_written():
    commands = _commands()
    for name, options in COMMANDS.items():
        assert name in commands, name
        spelled = {o for p in commands[name].params for o in p.opts}
        assert set(options) <= spelled, (name, set(options) - spelled)
    strategies = runner.invoke(app, ["practice", "strategy", "--help"])
    assert all(s in strategies.output for s in ("keep_xpm", "keep_hq", "combine"))


def _ids(con: duckdb.DuckDBPyConnection, sql: str, **params) -> list:
    return [r[0] for r in con.sql(sql, params=params or None).fetchall()]


def test_exit_codes_0_done_1_refused_or_not_found_2_bad_usage(zone, tmp_path):
    landing, wh = zone
    assert runner.invoke(app, ["status", "--warehouse", str(wh)]).exit_code == 0
    assert runner.invoke(app, ["query", "--warehouse", str(wh), "select count(*) from practice_status"]).exit_code == 0
    assert runner.invoke(app, ["report", "--warehouse", str(wh), "--out", str(tmp_path / "r.html")]).exit_code == 0
    # refused or not found
    assert runner.invoke(app, ["unmerge", "--unified-id", "uc_nobody", "--by", "t", "-w", str(wh)]).exit_code == 1
    assert runner.invoke(app, ["query", "--warehouse", str(wh), "create table t (x int)"]).exit_code == 1
    assert runner.invoke(app, ["retire-sync", "-w", str(wh), "-l", str(landing), "--as-of", "2000-01-01"]).exit_code == 1
    # bad usage or environment: an unknown practice, a missing warehouse or landing zone
    for args in (["rerun", "--practice", "NOPE", "-l", str(landing), "-w", str(wh)], ["practice", "NOPE", "-w", str(wh)],
                 ["status", "--warehouse", str(tmp_path / "none.duckdb")], ["run", "-l", str(tmp_path / "none"), "-w", str(wh)],
                 ["query", "--warehouse", str(tmp_path / "none.duckdb"), "select 1"]):  # fmt: skip
        result = runner.invoke(app, args)
        assert result.exit_code == 2 and isinstance(result.exception, SystemExit), (args, result.output)


@pytest.mark.parametrize("where", ["warehouse", "snapshot"])
def test_every_table_and_column_with_its_type(zone, where):
    _, wh = zone
    path = wh if where == "warehouse" else snapshot_path(wh)
    with duckdb.connect(str(path), read_only=True) as con:
        for table, columns in TABLES.items():
            have = dict(con.sql(f"select column_name, data_type from information_schema.columns where table_name = '{table}'").fetchall())
            for column, kind in columns.items():
                assert column in have, (table, column)
                assert kind is None or have[column] == kind, (table, column, have[column])


def test_practice_status_holds_every_registry_practice_once_with_a_listed_status(zone):
    landing, wh = zone
    registry = sorted(p["practice_id"] for p in json.loads((landing / "practices.json").read_text()))
    with duckdb.connect(str(wh), read_only=True) as con:
        assert sorted(_ids(con, "select practice_id from practice_status")) == registry
        assert set(_ids(con, "select distinct status from practice_status")) <= STATUSES
        assert _ids(con, "select count(*) from practice_status where detail is null and status in ('failed', 'blocked')") == [0]
        failed = con.sql("select detail from practice_status where status = 'failed'").fetchall()
        assert failed and all(d.split(":")[0].endswith((".xml", ".json", ".csv")) for (d,) in failed)  # names the file


def test_client_crosswalk_holds_every_record_of_every_promoted_practice_once(zone):
    _, wh = zone
    with duckdb.connect(str(wh), read_only=True) as con:
        promoted = _ids(con, "select practice_id from promotion_version where is_current and version is not null")
        assert promoted, "the zone promotes something"
        key = "practice_id, source, source_client_id"
        assert _ids(con, f"select count(*) from (select {key} from client_crosswalk group by all having count(*) > 1)") == [0]
        staged = con.sql(f"select {key} from stg_client where practice_id in (select unnest($p::varchar[])) order by all",
                         params={"p": promoted}).fetchall()  # fmt: skip
        assert con.sql(f"select {key} from client_crosswalk order by all").fetchall() == staged
        assert _ids(con, """select count(*) from client_crosswalk c where not exists (
                              select 1 from unified_client u where u.unified_client_id = c.unified_client_id
                              and u.practice_id = c.practice_id)""") == [0]
        assert set(_ids(con, "select distinct source from client_crosswalk")) <= {"xpm", "hq", "tax"}
        assert set(_ids(con, "select distinct merge_status from client_crosswalk")) <= {"auto", "reviewed", "review", "unique"}
        assert _ids(con, "select count(*) from client_crosswalk where (merge_status = 'unique') <> (match_probability is null)") == [0]
        assert _ids(con, "select count(*) from (select unified_client_id from unified_client group by 1 having count(*) > 1)") == [0]


def test_proposed_crosswalk_holds_every_record_of_every_practice_past_extraction_once(zone):
    """'every source client of every practice that got past extraction, exactly once': those whose step one is not
    done too (they are matched, never promoted)."""
    _, wh = zone
    with duckdb.connect(str(wh), read_only=True) as con:
        key = "practice_id, source, source_client_id"
        assert _ids(con, f"select count(*) from (select {key} from proposed_crosswalk group by all having count(*) > 1)") == [0]
        extracted = _ids(con, "select practice_id from practice_extract where ok order by 1")
        waiting = _ids(con, "select practice_id from practice_status where status in ('connect', 'confirm') order by 1")
        assert set(waiting) & set(extracted), "the zone should hold practices read whose step one is not done"
        staged = con.sql(f"select {key} from stg_client where practice_id in (select unnest($p::varchar[])) order by all",
                         params={"p": extracted}).fetchall()  # fmt: skip
        assert con.sql(f"select {key} from proposed_crosswalk order by all").fetchall() == staged
        assert not _ids(con, "select practice_id from client_crosswalk where practice_id in (select unnest($p::varchar[]))", p=waiting)
        columns = "select column_name, data_type from information_schema.columns where table_name = '{}' order by ordinal_position"
        assert [c for c in con.sql(columns.format("client_crosswalk")).fetchall() if c[0] in CROSSWALK] == \
               con.sql(columns.format("proposed_crosswalk")).fetchall()  # fmt: skip


@pytest.mark.parametrize("where", ["warehouse", "snapshot"])
def test_every_view_is_present_from_the_first_run_and_shows_no_secret(zone, where):
    _, wh = zone
    path = wh if where == "warehouse" else snapshot_path(wh)
    with duckdb.connect(str(path), read_only=True) as con:
        hashes = set(_ids(con, "select id_hash from stg_identifier where id_hash is not null"))
        hashes |= set(_ids(con, "select tfn_hash from stg_client where tfn_hash is not null union select ird_hash from stg_client where ird_hash is not null"))
        assert hashes, "the zone holds secret identifiers"
        for view in VIEWS:
            rel = con.sql(f"select * from {view}")
            assert not SECRET_COLUMNS & set(rel.columns), (view, SECRET_COLUMNS & set(rel.columns))
            for row in rel.fetchall():
                text = " ".join(str(v) for v in row)
                assert not any(h in text for h in hashes if h and len(h) >= 16), view


def test_every_view_answers_on_a_new_warehouse_before_any_run(tmp_path):
    from warehouse.schema import create_all

    with duckdb.connect(str(tmp_path / "new.duckdb")) as con:
        create_all(con)
        for view in VIEWS:
            assert con.sql(f"select count(*) from {view}").fetchall() == [(0,)], view
