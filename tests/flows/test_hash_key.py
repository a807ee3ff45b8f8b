"""The hash key: from settings only, refused when missing or not the warehouse's, changed only by `scr rekey`."""

from __future__ import annotations

import re

import duckdb
import pytest
from typer.testing import CliRunner

from flows.cli import app
from flows.hashkey import KeyMismatch, adopt_key, check_task_key, check_warehouse_key, rekey
from flows.settings import HashKeyMissing, get_settings, hash_key
from landing import HashKey, read_practice, read_registry
from landing.secrets import ZONE_KEY_FILE
from tests.landing.fixtures import practice, zone
from warehouse.meta import KEY_FINGERPRINT, REREAD_PENDING, read_meta, write_meta
from warehouse.schema import create_all
from warehouse.staging import load_staging

runner = CliRunner()
KEY_A = "operator-key-a-0123456789-abcdefghijklmnop"
KEY_B = "operator-key-b-9876543210-zyxwvutsrqponmlk"


@pytest.fixture
def env(monkeypatch):
    """Set or unset SCR_HASH_KEY / SCR_HASH_KEY_FILE; settings are re-read each time and after the test."""

    def use(key: str | None = None, key_file=None) -> None:
        for name, value in (("SCR_HASH_KEY", key), ("SCR_HASH_KEY_FILE", key_file)):
            if value is None:
                monkeypatch.delenv(name, raising=False)
            else:
                monkeypatch.setenv(name, str(value))
        get_settings.cache_clear()

    yield use
    monkeypatch.undo()
    get_settings.cache_clear()


def generated(tmp_path, n: int = 3, seed: int = 3):
    from synthetic import generate_zone

    generate_zone(tmp_path / "zone", n, seed)
    return tmp_path / "zone" / "landing"


def test_run_without_a_key_refuses_before_prefect_starts(tmp_path, env):
    env(None)
    landing, wh = generated(tmp_path), tmp_path / "w.duckdb"
    result = runner.invoke(app, ["run", "--landing", str(landing), "--warehouse", str(wh)])
    assert result.exit_code == 2, result.output
    text = " ".join(result.output.split())
    assert "no hash key" in text and "SCR_HASH_KEY " in text and "SCR_HASH_KEY_FILE" in text
    assert "starting Prefect" not in result.output and not wh.exists()


def test_the_key_comes_from_the_environment_or_a_file_never_echoed(tmp_path, env):
    key_file = tmp_path / "scr-hash.key"
    key_file.write_text(KEY_A + "\n")
    env(None, key_file)
    key = hash_key(tmp_path)
    assert key == HashKey(KEY_A, "x") and "SCR_HASH_KEY_FILE" in key.origin
    key_file.write_text("\ufeff" + KEY_A + "\r\n", encoding="utf-8")  # saved by Notepad: a byte-order mark (QA7)
    assert hash_key(tmp_path) == HashKey(KEY_A, "x")
    key_file.write_text(KEY_A + "\n")
    env(KEY_A, key_file)
    with pytest.raises(HashKeyMissing, match="set only one"):
        hash_key(tmp_path)
    env("short-but-secret")
    with pytest.raises(HashKeyMissing, match="too short") as info:
        hash_key(tmp_path)
    assert "short-but-secret" not in str(info.value)
    env(None, tmp_path / "missing.key")
    with pytest.raises(HashKeyMissing, match="cannot read"):
        hash_key(tmp_path)


def test_only_a_generated_zone_brings_its_own_throwaway_key(tmp_path, env):
    out = tmp_path / "zone"
    result = runner.invoke(app, ["generate", "--out", str(out), "--practices", "2", "--seed", "5"])
    assert result.exit_code == 0 and "throwaway hash key" in " ".join(result.output.split())
    assert (out / "landing" / ZONE_KEY_FILE).is_file()
    env(None)
    key = hash_key(out / "landing")
    assert key.origin.startswith("throwaway") and hash_key(out / "landing") == key
    # the registry check looks at folders only: the marker is no practice
    from landing import registry_problems

    assert registry_problems(out / "landing", read_registry(out / "landing")) == {}
    env(KEY_A)
    assert hash_key(out / "landing") == HashKey(KEY_A, "env")  # an operator's key always wins
    env(None)
    with pytest.raises(HashKeyMissing):
        hash_key(generated(tmp_path / "plain"))  # made without the CLI: no marker, no key


def _warehouse_with(tmp_path, key: HashKey, fingerprint: bool = True):
    path = tmp_path / "wh.duckdb"
    landing = zone(tmp_path)
    con = duckdb.connect(str(path))
    create_all(con)
    if fingerprint:  # as a run does: the key is adopted before anything hashed is written
        adopt_key(con, key, path)
    load_staging(con, read_practice(landing, practice(landing, "P_AU"), key), ["P_AU"])
    return con, path, landing


def test_a_run_with_another_key_than_the_warehouses_is_refused(tmp_path, env):
    con, path, landing = _warehouse_with(tmp_path, HashKey(KEY_A, "a"))
    con.close()
    env(KEY_B)
    result = runner.invoke(app, ["run", "--landing", str(landing), "--warehouse", str(path)])
    assert result.exit_code == 2
    text = " ".join(result.output.split())
    assert "built with another hash key" in text and "scr rekey" in text and "starting Prefect" not in result.output
    assert KEY_A not in text and KEY_B not in text


def test_a_warehouse_with_hashes_of_an_unrecorded_key_is_refused(tmp_path):
    con, path, _ = _warehouse_with(tmp_path, HashKey(KEY_A, "a"), fingerprint=False)
    with pytest.raises(KeyMismatch, match="no record of their key"):
        check_warehouse_key(con, HashKey(KEY_A, "a"), path)
    con.close()


def test_rekey_forgets_every_hash_of_the_old_key_and_records_the_new_one(tmp_path):
    a, b = HashKey(KEY_A, "a"), HashKey(KEY_B, "b")
    con, path, _ = _warehouse_with(tmp_path, a)
    assert read_meta(con, KEY_FINGERPRINT) == a.fingerprint
    cleared = rekey(con, b)
    assert cleared["stg_identifier.id_hash"] > 0 and cleared["stg_client.raw_hash"] > 0
    assert cleared["stg_identifier.id_near"] > 0  # the hashes of what a mistyped number may be a slip of
    for table, column in [("stg_identifier", "id_hash"), ("stg_identifier", "id_near"), ("stg_client", "tfn_hash"), ("stg_client", "raw_hash")]:
        assert con.sql(f"select count(*) from {table} where {column} is not null").fetchall() == [(0,)]
    assert con.sql("select count(*) from stg_client where tfn_last3 is not null").fetchall()[0][0] > 0
    check_warehouse_key(con, b, path)
    with pytest.raises(KeyMismatch):
        check_warehouse_key(con, a, path)
    con.close()


def test_a_worker_with_another_key_fails_its_task():
    with pytest.raises(KeyMismatch, match="worker"):
        check_task_key(HashKey(KEY_B, "worker env"), HashKey(KEY_A, "flow").fingerprint)


def test_meta_is_a_small_key_value_table(tmp_path):
    con = duckdb.connect(str(tmp_path / "m.duckdb"))
    assert read_meta(con, "anything") is None  # an old warehouse without the table
    from warehouse.schema import create_all

    create_all(con)
    assert read_meta(con, "anything") is None
    write_meta(con, "a", "1")
    write_meta(con, "a", "2")
    assert read_meta(con, "a") == "2"
    con.close()


@pytest.mark.prefect
def test_demo_works_with_no_set_up(tmp_path, env, prefect_api):
    env(None)
    result = runner.invoke(app, ["demo", "--out", str(tmp_path / "demo"), "--practices", "4", "--seed", "7"])
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    assert "throwaway hash key" in text and "migration progress" in text


@pytest.mark.prefect
def test_rekey_rereads_every_practice_and_gives_each_promoted_practice_a_new_version(tmp_path, env, prefect_api):
    landing, wh = generated(tmp_path, 4, 9), tmp_path / "wh" / "scr.duckdb"
    env(KEY_A)
    assert runner.invoke(app, ["run", "--landing", str(landing), "--warehouse", str(wh)]).exit_code == 0
    with duckdb.connect(str(wh), read_only=True) as con:
        before = dict(con.sql("select practice_id, version from promotion_version where is_current").fetchall())
        hashed = {r[0] for r in con.sql("select distinct practice_id from unified_client where tfn_hash is not null "
                                        "or ird_hash is not null").fetchall()}
    assert hashed, "the zone should promote some practice with tax numbers"
    env(KEY_B)
    assert runner.invoke(app, ["run", "--landing", str(landing), "--warehouse", str(wh)]).exit_code == 2
    result = runner.invoke(app, ["rekey", "--landing", str(landing), "--warehouse", str(wh)])
    assert result.exit_code == 0, result.output
    assert re.search(r"forgot \d+ hashes", " ".join(result.output.split()))
    with duckdb.connect(str(wh), read_only=True) as con:
        after = dict(con.sql("select practice_id, version from promotion_version where is_current").fetchall())
        staged = set(con.sql("select id_hash from stg_identifier").pl()["id_hash"].to_list())
        promoted = {h for row in con.sql("select tfn_hash, ird_hash from unified_client").fetchall() for h in row if h}
        assert read_meta(con, KEY_FINGERPRINT) == HashKey(KEY_B, "b").fingerprint
    # a promoted practice whose records hold hashes gets a new version; one without keeps its own
    assert {p: after[p] - before[p] for p in before} == {p: int(p in hashed) for p in before}
    registry = read_registry(landing)
    new = set().union(*(set(read_practice(landing, r, HashKey(KEY_B, "b")).identifier["id_hash"].to_list())
                        for r in registry.iter_rows(named=True) if r["practice_id"] in after))
    old = set().union(*(set(read_practice(landing, r, HashKey(KEY_A, "a")).identifier["id_hash"].to_list())
                        for r in registry.iter_rows(named=True) if r["practice_id"] in after))
    assert promoted and promoted <= new and not (staged | promoted) & old
    again = runner.invoke(app, ["rekey", "--landing", str(landing), "--warehouse", str(wh)])
    assert again.exit_code == 0 and "nothing to do" in again.output


@pytest.mark.prefect
def test_a_rekey_stopped_before_every_practice_was_read_again_is_finished_by_the_next_rekey(tmp_path, env, prefect_api, monkeypatch):
    import shutil

    from tests.support.state import differences, warehouse_state
    from warehouse.meta import REREAD_PENDING

    landing, wh = generated(tmp_path, 4, 9), tmp_path / "wh" / "scr.duckdb"
    env(KEY_A)
    assert runner.invoke(app, ["run", "--landing", str(landing), "--warehouse", str(wh)]).exit_code == 0
    clean = tmp_path / "clean" / "scr.duckdb"
    clean.parent.mkdir()
    shutil.copy2(wh, clean)
    env(KEY_B)
    assert runner.invoke(app, ["rekey", "--landing", str(landing), "--warehouse", str(clean)]).exit_code == 0
    # the old key's hashes forgotten, then the run that reads every practice again stops at its start (killed, or out of disk)
    monkeypatch.setenv("SCR_FAULT", "run:started@1:raise")
    stopped = runner.invoke(app, ["rekey", "--landing", str(landing), "--warehouse", str(wh)])
    monkeypatch.delenv("SCR_FAULT")
    assert stopped.exit_code != 0 and "forgot" in stopped.output
    with duckdb.connect(str(wh), read_only=True) as con:
        assert read_meta(con, REREAD_PENDING) is not None
        assert con.sql("select count(*) from stg_identifier where id_hash is not null").fetchall() == [(0,)]
    again = runner.invoke(app, ["rekey", "--landing", str(landing), "--warehouse", str(wh)])
    assert again.exit_code == 0, again.output
    assert "did not finish: reading them now" in " ".join(again.output.split()) and "nothing to do" not in again.output
    assert differences(warehouse_state(wh), warehouse_state(clean)) == {}
    with duckdb.connect(str(wh), read_only=True) as con:
        assert read_meta(con, REREAD_PENDING) is None
    assert "nothing to do" in runner.invoke(app, ["rekey", "--landing", str(landing), "--warehouse", str(wh)]).output


def _hashes_of(landing, practice_id: str, secret: str) -> set[str]:
    """Every keyed hash reading the practice's files with this key gives (tax numbers, other identifiers and what a
    mistyped one may be a slip of, raw records, secret custom fields), as the 16 hex characters they all begin with."""
    row = read_registry(landing).filter(practice_id=practice_id).row(0, named=True)
    frames = read_practice(landing, row, HashKey(secret, "test"))
    found = set()
    for frame in (frames.client, frames.identifier, frames.custom_field):
        for column in frame.columns:
            if column.endswith("_hash") or column == "id_near":
                found |= {h for value in frame[column].drop_nulls().to_list() for h in value.split()}
    return {h[:16] for h in found}


def _where_found(wh, prefixes: set[str]) -> dict[str, int]:
    """Where any of these hashes is stored: every column of every table and view of the warehouse (cast to text),
    every column of every Parquet file of its snapshot, and the bytes of every file beside it (the DuckDB file
    itself: what an update replaced stays in its free blocks)."""
    hexes = re.compile(r"[0-9a-f]{16,}")

    def hits(values) -> int:
        return sum(any(run[i:i + 16] in prefixes for i in range(len(run) - 15)) for v in values if v for run in hexes.findall(v))

    out = {}
    with duckdb.connect(str(wh), read_only=True) as con:
        for table, column in con.sql("select table_name, column_name from information_schema.columns "
                                     "where table_schema = 'main' order by all").fetchall():  # fmt: skip
            n = hits(r[0] for r in con.sql(f'select "{column}"::varchar from "{table}"').fetchall())
            if n:
                out[f"{table}.{column}"] = n
    for path in sorted(p for p in wh.parent.rglob("*") if p.is_file()):
        if path.suffix == ".parquet":
            with duckdb.connect() as con:
                source = f"read_parquet('{path}')"
                for column in con.sql(f"select * from {source} limit 0").columns:
                    n = hits(r[0] for r in con.sql(f'select "{column}"::varchar from {source}').fetchall())
                    if n:
                        out[f"{path.relative_to(wh.parent)}:{column}"] = n
        data = path.read_bytes()
        n = sum(p.encode() in data for p in prefixes)
        if n:
            out[f"{path.relative_to(wh.parent)} (bytes)"] = n
    return out


def _pinned_practice(landing, wh) -> str:
    """A practice of the warehouse whose promoted clients hold tax numbers, pinned by a rollback over an unmerge."""
    with duckdb.connect(str(wh), read_only=True) as con:
        pid, uid = con.sql(
            "select practice_id, unified_client_id from client_crosswalk where practice_id in "
            "(select practice_id from unified_client where tfn_hash is not null) group by all having count(*) > 1 order by all limit 1"
        ).fetchall()[0]  # fmt: skip
    assert runner.invoke(app, ["unmerge", "-u", uid, "-w", str(wh), "--by", "ops"]).exit_code == 0
    rolled = runner.invoke(app, ["rollback", "-p", pid, "-w", str(wh), "--by", "ops"])
    assert rolled.exit_code == 0 and "version 2 -> 1" in rolled.output, rolled.output
    return pid


_HASHES = {"unified_client": ("tfn_hash", "ird_hash"), "unified_custom_field": ("value_hash",)}


def _version_rows(wh, practice_id: str) -> dict[str, set[tuple]]:
    """The practice's current promoted rows, table by table, without their keyed hashes; and its current version."""
    with duckdb.connect(str(wh), read_only=True) as con:
        out = {"version": set(con.sql("select version from promotion_version where practice_id = $p and is_current",
                                      params={"p": practice_id}).fetchall())}  # fmt: skip
        for table in ("unified_client", "unified_custom_field", "client_crosswalk", "field_lineage"):
            cols = ", ".join(f'"{c}"::varchar' for c in (r[0] for r in con.sql(f"describe {table}").fetchall())
                             if c not in _HASHES.get(table, ()))  # fmt: skip
            out[table] = set(con.sql(f"select {cols} from {table} where practice_id = $p", params={"p": practice_id}).fetchall())
    return out


def _check_rekeyed(landing, wh, pid: str, before: dict) -> None:
    old, new = _hashes_of(landing, pid, KEY_A), _hashes_of(landing, pid, KEY_B)
    assert old and not old & new
    assert _where_found(wh, old) == {}
    with duckdb.connect(str(wh), read_only=True) as con:
        assert read_meta(con, REREAD_PENDING) is None
        assert con.sql("select version from practice_pin where practice_id = $p", params={"p": pid}).fetchall() == [(1,)]
        kept = {h[:16] for (h,) in con.sql("select tfn_hash from unified_client where practice_id = $p and tfn_hash is not null",
                                           params={"p": pid}).fetchall()}  # fmt: skip
        staged = con.sql("select count(*) from stg_client where practice_id = $p and tfn_hash is not null", params={"p": pid}).fetchall()
        status = con.sql("select status, detail from practice_status where practice_id = $p", params={"p": pid}).fetchall()[0]
    # the pinned practice keeps its version, row for row; only its hashes are made again, with the new key
    assert _version_rows(wh, pid) == before
    assert kept and kept <= new and staged[0][0] > 0
    assert "pinned until" in status[1]


def _run_and_pin(tmp_path, env) -> tuple:
    """A run under the old key and a practice pinned after it: the landing zone, warehouse, practice and its version."""
    landing, wh = generated(tmp_path, 10, 5), tmp_path / "wh" / "scr.duckdb"
    env(KEY_A)
    assert runner.invoke(app, ["run", "--landing", str(landing), "--warehouse", str(wh)]).exit_code == 0
    pid = _pinned_practice(landing, wh)
    return landing, wh, pid, _version_rows(wh, pid)


@pytest.mark.prefect
def test_rekey_leaves_no_hash_of_the_old_key_anywhere_and_rekeys_a_pinned_practice_in_place(tmp_path, env, prefect_api):
    landing, wh, pid, before = _run_and_pin(tmp_path, env)
    assert _where_found(wh, _hashes_of(landing, pid, KEY_A)), "the scan should find the old key's hashes before the rekey"
    env(KEY_B)
    result = runner.invoke(app, ["rekey", "--landing", str(landing), "--warehouse", str(wh)])
    assert result.exit_code == 0, result.output
    _check_rekeyed(landing, wh, pid, before)


@pytest.mark.prefect
def test_a_rekey_killed_after_forgetting_the_old_key_leaves_no_old_hash_once_run_again(tmp_path, env, prefect_api):
    import os
    import signal
    import subprocess
    import sys

    landing, wh, pid, before = _run_and_pin(tmp_path, env)
    # killed (SIGKILL) right after the transaction that forgot the old key's hashes, before anything else
    child = {**os.environ, "SCR_HASH_KEY": KEY_B, "SCR_FAULT": "rekey:forgotten@1"}
    killed = subprocess.run([sys.executable, "-m", "flows.cli", "rekey", "-l", str(landing), "-w", str(wh)],
                            env=child, capture_output=True, text=True, timeout=300)  # fmt: skip
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    with duckdb.connect(str(wh), read_only=True) as con:
        assert read_meta(con, REREAD_PENDING) is not None
    env(KEY_B)
    result = runner.invoke(app, ["rekey", "--landing", str(landing), "--warehouse", str(wh)])
    assert result.exit_code == 0, result.output
    assert "did not finish: reading them now" in " ".join(result.output.split())
    _check_rekeyed(landing, wh, pid, before)


@pytest.mark.prefect
def test_after_a_rekey_an_earlier_version_restored_by_rollback_has_its_tax_number_hashes_under_the_new_key(tmp_path, env, prefect_api):
    """A rekey forgets every old hash and gives a promoted practice a new version; its earlier versions kept blank
    tax-number hashes, so `scr rollback --to` one restored clients without them. The rekey's run makes them anew from
    the records each version's lineage names, with the new key: the restored version has them, and no old one."""
    landing, wh = generated(tmp_path, 4, 9), tmp_path / "wh" / "scr.duckdb"
    env(KEY_A)
    assert runner.invoke(app, ["run", "--landing", str(landing), "--warehouse", str(wh)]).exit_code == 0
    taxed = "select practice_id, unified_client_id, tfn_hash, ird_hash from unified_client where tfn_last3 is not null or ird_last3 is not null"
    with duckdb.connect(str(wh), read_only=True) as con:
        pid, first = con.sql(f"select practice_id, version from promotion_version where is_current and practice_id = "
                             f"(select min(practice_id) from ({taxed}))").fetchall()[0]  # fmt: skip
        old = {(u, t, i) for p, u, t, i in con.sql(taxed).fetchall() if p == pid}
    assert old and all(t or i for _, t, i in old), "the zone should promote a practice whose clients hold tax numbers"
    env(KEY_B)
    result = runner.invoke(app, ["rekey", "--landing", str(landing), "--warehouse", str(wh)])
    assert result.exit_code == 0, result.output
    with duckdb.connect(str(wh), read_only=True) as con:
        rekeyed = {(u, t, i) for p, u, t, i in con.sql(taxed).fetchall() if p == pid}
        assert con.sql("select version from promotion_version where is_current and practice_id = $p", params={"p": pid}).fetchall() == [(first + 1,)]
        # the rekey's run made them, in every version: nothing is left for the rollback to make
        assert con.sql("select count(*) from unified_client_version where (tfn_last3 is not null and tfn_hash is null) "
                       "or (ird_last3 is not null and ird_hash is null)").fetchall() == [(0,)]
    result = runner.invoke(app, ["rollback", "-p", pid, "--to", str(first), "--by", "ops", "--warehouse", str(wh)])
    assert result.exit_code == 0, result.output
    with duckdb.connect(str(wh), read_only=True) as con:
        restored = {(u, t, i) for p, u, t, i in con.sql(taxed).fetchall() if p == pid}
    # the same clients as the version the rekey made (same records, same numbers), each with its hashes under the new key
    assert restored == rekeyed and all(t or i for _, t, i in restored)
    assert not {h for _, t, i in restored for h in (t, i) if h} & {h for _, t, i in old for h in (t, i) if h}


def test_a_rollback_to_a_version_a_rekey_left_without_its_hashes_gets_them_from_its_records_or_is_refused(tmp_path):
    """A version a rekey did not make anew (one rekeyed before rekeys re-hashed earlier versions, or whose practice
    failed on its files then) holds tax numbers without their hashes. `scr rollback --to` it takes them from the source
    records its lineage names (staging holds the warehouse's key) where those still show the same last three; where they
    do not, it is refused (exit 1), changing nothing, rather than restore a version that lost them."""
    import polars as pl

    from landing.schema import PRACTICE
    from warehouse.db import connect, transaction
    from warehouse.staging import load_practices

    wh = tmp_path / "wh.duckdb"
    hashed = "ab" * 32
    with connect(wh) as con:
        create_all(con)
        with transaction(con):
            load_practices(con, pl.DataFrame([("p1", "P One", "AU", True, False, "confirmed", "a@p1", "a@p1", None, 1)],
                                             schema=PRACTICE, orient="row"))  # fmt: skip
        con.execute("insert into promotion_version (practice_id, version, run_id, content_hash, promoted_at, is_current, previous_version) "
                    "values ('p1', 1, 'R1', 'h1', timestamp '2024-05-01', false, null), ('p1', 2, 'R2', 'h2', timestamp '2024-05-02', true, 1)")
        con.execute("insert into unified_client_version (practice_id, version, unified_client_id, name, tfn_hash, tfn_last3) values "
                    f"('p1', 1, 'U1', 'Ann Lee', null, '789'), ('p1', 2, 'U1', 'Ann Lee', '{hashed}', '789')")
        con.execute("insert into field_lineage_version values ('p1', 1, 'U1', 'hq', 'h1', 'combine', ['name', 'tfn_hash']), "
                    "('p1', 2, 'U1', 'hq', 'h1', 'combine', ['name', 'tfn_hash'])")
        con.execute(f"insert into stg_client (practice_id, source, source_client_id, name, tfn_hash, tfn_last3) values ('p1', 'hq', 'h1', 'Ann Lee', '{hashed}', '000')")

    def tfn_hashes() -> list[tuple]:
        with duckdb.connect(str(wh), read_only=True) as con:
            return con.sql("select version, tfn_hash from unified_client_version order by 1").fetchall()

    rollback = ["rollback", "-p", "p1", "--to", "1", "--by", "ops", "--warehouse", str(wh)]
    refused = runner.invoke(app, rollback)  # the record's number changed since: its hash is not this one's
    assert refused.exit_code == 1, refused.output
    assert ("version 1 of practice p1 holds 1 value (tax numbers, secret fields) whose hash a rekey forgot and its source "
            "records no longer give") in " ".join(refused.output.split())
    assert tfn_hashes() == [(1, None), (2, hashed)]
    with duckdb.connect(str(wh)) as con:
        con.execute("update stg_client set tfn_last3 = '789'")
    done = runner.invoke(app, rollback)
    assert done.exit_code == 0 and "version 2 -> 1" in done.output, done.output
    assert tfn_hashes() == [(1, hashed), (2, hashed)]
    with duckdb.connect(str(wh), read_only=True) as con:
        assert con.sql("select tfn_hash from unified_client").fetchall() == [(hashed,)]


def test_a_key_file_that_is_not_utf8_is_refused_in_one_line_never_echoed(tmp_path, env):
    """QA: SCR_HASH_KEY_FILE naming a UTF-16 or Latin-1 file ended `scr run` with a UnicodeDecodeError's traceback
    (exit 1), its bytes quoted; a key problem is exit 2 with one line, the key never shown."""
    landing, wh = generated(tmp_path), tmp_path / "w.duckdb"
    key_file = tmp_path / "k"
    key_file.write_bytes(b"\xff\xfeSECRETKEY0123456789012345678901")
    env(None, key_file)
    result = runner.invoke(app, ["run", "--landing", str(landing), "--warehouse", str(wh)])
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    text = " ".join(result.output.split())
    assert "SCR_HASH_KEY_FILE" in text and "UTF-8" in text and "Traceback" not in result.output
    assert "SECRETKEY" not in result.output and "\\xff" not in result.output and not wh.exists()
