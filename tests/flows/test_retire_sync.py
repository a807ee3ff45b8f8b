"""`retire_legacy_sync` and `scr retire-sync` through the real Prefect flow on a hand-made landing zone."""

from __future__ import annotations

import hashlib
import json
from datetime import date
from pathlib import Path

import duckdb
import pytest
from prefect.artifacts import Artifact
from typer.testing import CliRunner

from flows.cli import app as scr
from flows.retire_sync import ARTIFACT_KEY, SyncRetirementRefused, retire_legacy_sync
from tests.support.holder import held_writer

pytestmark = pytest.mark.prefect

CUTOVER = date(2023, 11, 1)
TFN = "123456782"  # a raw tax number that must never reach DuckDB


def _xpm(clients: list[dict]) -> str:
    body = "".join(
        "<Client>" + "".join(f"<{k}>{v}</{k}>" for k, v in c.items()) + "</Client>" for c in clients
    )
    return f'<Response api-method="List"><Status>OK</Status><Clients>{body}</Clients></Response>'


def _hq(practice: str, clients: list[dict]) -> str:
    return json.dumps({"practiceId": practice, "exportedAt": "2023-10-31T23:00:00Z", "clients": clients})


def _practice(pid: str, connection: str) -> dict:
    return {
        "practice_id": pid, "name": f"{pid} Accountants", "region": "AU", "uses_xpm": True, "uses_tax": False,
        "connection": connection, "master_admin": f"admin@{pid}.example",
        # step one is done only when the Master Admin confirmed the connection (the same rule as the status)
        "connected_by": f"admin@{pid}.example" if connection == "confirmed" else None,
        "strategy": None, "wave": 1,
    }  # fmt: skip


def _write_zone(landing: Path) -> None:
    landing.mkdir(parents=True)
    practices = [_practice("p1", "confirmed"), _practice("p2", "unconfirmed"), _practice("p3", "confirmed")]
    (landing / "practices.json").write_text(json.dumps(practices))
    p1, p2, p3 = (landing / p for p in ("p1", "p2", "p3"))
    for p in (p1, p2, p3):
        p.mkdir()
    # p1: x1<->h1 drifted on HQ's side (email edited after the last sync), x2<->h2 in step, x3<->h3 paused
    (p1 / "xpm_clients.xml").write_text(_xpm([
        {"UUID": "x1", "Name": "Jo Smith", "Email": "jo@old.example", "City": "Sydney", "TaxNumber": TFN},
        {"UUID": "x2", "Name": "Smith Family Trust", "Email": "trust@example.com", "Phone": "+61 2 9999 0000"},
        {"UUID": "x3", "Name": "Ann Lee", "City": "Perth"},
    ]))  # fmt: skip
    (p1 / "hq_clients.json").write_text(_hq("p1", [
        {"id": "h1", "displayName": "JO SMITH", "type": "PERSON", "email": "jo@new.example",
         "address": {"city": "sydney"}, "identifiers": [{"type": "TFN", "value": TFN}],
         "updatedAt": "2023-10-15T10:00:00Z"},
        {"id": "h2", "displayName": "Smith Family Trust", "email": "Trust@Example.com", "phone": "02 9999 0000",
         "updatedAt": "2023-01-01T00:00:00Z"},
        {"id": "h3", "displayName": "Ann Lee", "address": {"city": "Fremantle"}, "updatedAt": "2023-10-20T00:00:00Z"},
    ]))  # fmt: skip
    (p1 / "sync_links.csv").write_text(
        "xpm_client_uuid,hq_client_id,linked_at,last_synced_at,state\n"
        "x1,h1,2021-06-01T00:00:00,2023-09-30T12:00:00,active\n"
        "x2,h2,2021-06-01T00:00:00,2023-09-30T12:00:00,active\n"
        "x3,h3,2021-06-01T00:00:00,2023-05-01T12:00:00,paused\n"
    )
    # p2: not connected yet; one link whose XPM side changed (HQ untouched since the sync)
    (p2 / "xpm_clients.xml").write_text(_xpm([{"UUID": "y1", "Name": "Kiwi Ltd", "City": "Auckland"}]))
    (p2 / "hq_clients.json").write_text(_hq("p2", [
        {"id": "k1", "displayName": "Kiwi Ltd", "address": {"city": "Wellington"}, "updatedAt": "2022-01-01T00:00:00Z"},
    ]))  # fmt: skip
    (p2 / "sync_links.csv").write_text(
        "xpm_client_uuid,hq_client_id,linked_at,last_synced_at,state\ny1,k1,2020-01-01T00:00:00,2023-02-01T00:00:00,active\n"
    )
    # p3: bad input, skipped with its reason
    (p3 / "hq_clients.json").write_text("{not json")


@pytest.fixture
def landing(tmp_path) -> Path:
    _write_zone(tmp_path / "landing")
    return tmp_path / "landing"


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _tables(path: Path) -> dict[str, list]:
    with duckdb.connect(str(path), read_only=True) as con:
        return {t: con.sql(f"select * from {t} order by all").fetchall() for t in ("sync_retirement", "sync_drift", "sync_unconnected")}


def _run(landing: Path, wh: Path, **kw) -> dict:
    kw.setdefault("as_of", date(2023, 11, 1))
    return retire_legacy_sync(landing=landing, warehouse=wh, cutover=CUTOVER, **kw)


def _by_practice(result: dict) -> dict[str, dict]:
    return {p["practice_id"]: p for p in result["practices"]}


def test_refuses_before_the_cutover(prefect_api, landing, tmp_path):
    wh = tmp_path / "wh.duckdb"
    with pytest.raises(SyncRetirementRefused, match="--force"):
        _run(landing, wh, as_of=date(2023, 10, 31))
    assert not wh.exists()


def test_force_before_the_cutover_retires(prefect_api, landing, tmp_path):
    wh = tmp_path / "wh.duckdb"
    result = _run(landing, wh, as_of=date(2023, 10, 31), force=True)
    assert result["forced"] is True
    assert result["written"]["retired"] == 3
    assert _by_practice(result)["p1"]["retired"] == 2


def test_retires_active_links_reports_drift_skips_paused_and_bad_practices(prefect_api, landing, tmp_path):
    wh = tmp_path / "wh.duckdb"
    result = _run(landing, wh)
    p = _by_practice(result)
    assert (p["p1"]["retired"], p["p1"]["paused_skipped"], p["p1"]["drift_pairs"]) == (2, 1, 2)
    assert (p["p2"]["retired"], p["p2"]["drift_pairs"]) == (1, 1)
    assert [s["practice_id"] for s in result["skipped"]] == ["p3"]
    assert "hq_clients.json" in result["skipped"][0]["reason"]
    assert [u["practice_id"] for u in result["unconnected"]] == ["p2"]
    with duckdb.connect(str(wh), read_only=True) as con:
        drift = con.sql(
            "select practice_id, xpm_client_uuid, field, edited_side from sync_drift order by all"
        ).fetchall()
        retired = con.sql("select practice_id, xpm_client_uuid, hq_client_id, state_before from sync_retirement order by all").fetchall()
    # x1's TFN is the same number on both sides (equal keyed hashes): no drift; x3 is paused but still reported
    assert drift == [
        ("p1", "x1", "email", "hq"),
        ("p1", "x3", "city", "hq"),
        ("p2", "y1", "city", "xpm"),
    ]
    assert retired == [("p1", "x1", "h1", "active"), ("p1", "x2", "h2", "active"), ("p2", "y1", "k1", "active")]
    artifact = Artifact.get(ARTIFACT_KEY)
    assert artifact is not None and result["run_id"] in artifact.data and "| p3 |" in artifact.data


def test_tax_numbers_never_reach_the_warehouse(prefect_api, landing, tmp_path):
    wh = tmp_path / "wh.duckdb"
    _run(landing, wh)
    dump = json.dumps(_tables(wh), default=str)
    assert TFN not in dump
    assert "jo@new.example" in dump  # the dump is real: drift values are there


def test_second_run_changes_nothing(prefect_api, landing, tmp_path):
    wh = tmp_path / "wh.duckdb"
    first = _run(landing, wh)
    before = _tables(wh)
    second = _run(landing, wh, as_of=date(2023, 11, 5))
    assert second["written"] == {"retired": 0, "drift_rows": 0}
    assert second["totals"]["retired"] == 0
    assert second["totals"]["already_retired"] == first["totals"]["retired"] == 3
    assert _tables(wh) == before


def test_dry_run_writes_nothing(prefect_api, landing, tmp_path):
    wh = tmp_path / "wh.duckdb"
    dry = _run(landing, wh, dry_run=True)
    assert not wh.exists()  # not even table creation
    assert dry["totals"]["retired"] == 3 and dry["written"] is None
    _run(landing, wh)
    digest = _digest(wh)
    again = _run(landing, wh, dry_run=True)
    assert again["totals"]["already_retired"] == 3
    assert _digest(wh) == digest


def test_cli_refuses_before_cutover_and_prints_the_table(prefect_api, landing, tmp_path):
    app = scr
    wh = tmp_path / "wh.duckdb"
    runner = CliRunner()
    refused = runner.invoke(app, ["retire-sync", "--warehouse", str(wh), "--landing", str(landing), "--as-of", "2023-10-01"])
    assert refused.exit_code == 1  # refused
    assert "cutover" in refused.output and not wh.exists()
    assert "--dry-run" not in refused.output  # the preview's hint is for a dry run
    # a dry run before the cutover is refused alike (the contract), saying how to preview the cutover's own day
    preview = runner.invoke(app, ["retire-sync", "--warehouse", str(wh), "--landing", str(landing), "--as-of", "2023-10-01", "--dry-run"])
    assert preview.exit_code == 1 and not wh.exists()
    hint = " ".join(preview.output.split())  # the message never wraps; any terminal width
    assert "to see what it would retire on the day: --as-of 2023-11-01 --dry-run" in hint, preview.output
    ok = runner.invoke(app, ["retire-sync", "--warehouse", str(wh), "--landing", str(landing), "--as-of", "2023-11-02"])
    assert ok.exit_code == 0, ok.output
    assert "p1" in ok.output and "p3" in ok.output and "new clients appear" in ok.output and "total" in ok.output
    assert len(_tables(wh)["sync_retirement"]) == 3
    # what step one waits for, beside the connection as the registry has it
    waiting = {r[0]: r[-1] for r in _tables(wh)["sync_unconnected"]}
    assert waiting and all(w.startswith(("HQ is not connected", "an old connection awaits")) for w in waiting.values()), waiting
    assert "waiting for" in ok.output


def test_cli_refuses_a_retirement_dated_the_cutover_months_ahead_and_its_dry_run_previews_it(prefect_api, landing, tmp_path, monkeypatch):
    """Found by hand (session 28): the dry run's hint `--as-of <cutover> --dry-run`, typed without --dry-run, retired
    the sync months before the cutover, unforced, recorded as not forced; so did an ambient SCR_AS_OF."""
    from datetime import timedelta

    from flows.cutover import latest_day
    from flows.settings import get_settings

    cutover = latest_day() + timedelta(days=180)
    monkeypatch.setenv("SCR_CUTOVER_DATE", cutover.isoformat())
    get_settings.cache_clear()
    try:
        wh, runner = tmp_path / "wh.duckdb", CliRunner()
        base = ["retire-sync", "--warehouse", str(wh), "--landing", str(landing)]
        for args in (["--as-of", cutover.isoformat()], ["--as-of", cutover.isoformat(), "--force"]):
            early = runner.invoke(scr, base + args)
            said = " ".join(early.output.split())
            assert early.exit_code == 1 and "has not begun anywhere yet" in said and not wh.exists(), early.output
        monkeypatch.setenv("SCR_AS_OF", cutover.isoformat())
        ambient = runner.invoke(scr, base)
        assert ambient.exit_code == 1 and not wh.exists(), ambient.output
        monkeypatch.delenv("SCR_AS_OF")
        preview = runner.invoke(scr, [*base, "--as-of", cutover.isoformat(), "--dry-run"])
        assert preview.exit_code == 0 and "p1" in preview.output, preview.output
        assert not wh.exists() or not _tables(wh).get("sync_retirement")
        # forced, the retirement is dated today and recorded as forced
        forced = runner.invoke(scr, [*base, "--force"])
        assert forced.exit_code == 0, forced.output
        assert f"forced before the cutover {cutover.isoformat()}" in " ".join(forced.output.split())  # said (QA, session 29)
        with duckdb.connect(str(wh), read_only=True) as con:
            rows = con.sql("select distinct as_of from sync_retirement").fetchall()
        assert len(rows) == 1 and rows[0][0] < cutover
    finally:
        get_settings.cache_clear()


@pytest.mark.parametrize(("args", "level"), [([], "WARNING"), (["-v"], None), (["--verbose"], None)])
def test_the_cli_keeps_prefects_logs_quiet_unless_verbose(tmp_path, monkeypatch, args, level):
    """Prefect reads its logging level at import: `scr retire-sync` sets it before the flow's module is loaded."""
    import os

    import flows.retire_sync
    from landing import BadInput

    landing = tmp_path / "landing"
    landing.mkdir()
    (landing / "practices.json").write_text("[]")
    monkeypatch.delenv("PREFECT_LOGGING_LEVEL", raising=False)
    seen = []

    def flow(**kwargs):
        seen.append(os.environ.get("PREFECT_LOGGING_LEVEL"))
        raise BadInput("practices.json", None, "stop here")

    monkeypatch.setattr(flows.retire_sync, "retire_legacy_sync", flow)
    res = CliRunner().invoke(scr, ["retire-sync", "-l", str(landing), "-w", str(tmp_path / "w.duckdb"), "--as-of", "2023-11-02", *args])
    assert res.exit_code == 2 and "stop here" in res.output, res.output
    assert seen == [level]


def test_cli_prints_what_the_registry_holds_as_text_never_markup(prefect_api, landing, tmp_path, monkeypatch):
    """A Master Admin's address (or a reason) with brackets is printed as written: Rich markup in it crashed the
    table or vanished from it."""
    from flows import cli_common

    monkeypatch.setattr(cli_common.out, "width", 300)  # whatever the terminal's width (COLUMNS), no cell wraps
    registry = json.loads((landing / "practices.json").read_text())
    for row in registry:
        if row["practice_id"] == "p2":
            row["master_admin"] = "[bold]boss[/x]@p2.example"
    (landing / "practices.json").write_text(json.dumps(registry))
    res = CliRunner().invoke(scr, ["retire-sync", "-w", str(tmp_path / "wh.duckdb"), "-l", str(landing), "--as-of", "2023-11-02",
                                   "--dry-run"])  # fmt: skip
    assert res.exit_code == 0, res.output
    assert "[bold]boss[/x]@p2.example" in res.output


def test_a_retirement_started_while_another_process_writes_waits_for_it(landing, tmp_path):
    import subprocess
    import sys

    from tests.support.prefect_server import prefect_server
    from warehouse.schema import create_all

    wh = tmp_path / "scr.duckdb"
    with duckdb.connect(str(wh)) as con:
        create_all(con)
    # a wave at work: the warehouse's writer, held until the test lets it go
    with held_writer(wh) as holder:
        with prefect_server(tmp_path / "prefect-home") as env:
            retire = subprocess.Popen(
                [sys.executable, "-m", "flows.cli", "retire-sync", "--landing", str(landing), "--warehouse", str(wh),
                 "--as-of", "2023-11-01"],
                env={**env, "SCR_WAIT_SECONDS": "300", "SCR_CUTOVER_DATE": "2023-11-01"}, text=True,
                stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            )  # fmt: skip
            waiting = ""
            while "waiting up to 300 s" not in waiting:  # it says whom it waits for, and does not give up
                line = retire.stderr.readline()
                assert line, f"retire-sync ended without waiting: {retire.wait()} {waiting}"
                waiting += line
            assert f"pid {holder.pid}" in waiting
            holder.stdin.write("go\n")
            holder.stdin.flush()
            assert holder.wait(timeout=30) == 0
            stdout, stderr = retire.communicate(timeout=300)
            assert retire.returncode == 0, stderr[-3000:]
    assert _tables(wh)["sync_retirement"], "the links are retired once the writer has finished"


def test_the_retirement_records_who_retired_each_link_and_when(prefect_api, landing, tmp_path, monkeypatch):
    wh = tmp_path / "wh.duckdb"
    done = CliRunner().invoke(scr, ["retire-sync", "-w", str(wh), "-l", str(landing), "--as-of", "2023-11-02", "--by", "ops@firm"])
    assert done.exit_code == 0, done.output
    assert "retired 3 links" in " ".join(done.output.split()) and "recorded as retired by ops@firm" in " ".join(done.output.split())
    with duckdb.connect(str(wh), read_only=True) as con:
        assert con.sql("select retired_by, count(*), count(retired_at) from sync_retirement group by 1").fetchall() == [("ops@firm", 3, 3)]
    # a deployment's run names no one: the operator set for it, else the login it runs as
    monkeypatch.setenv("SCR_OPERATOR", "nightly-ops")
    other = tmp_path / "other.duckdb"
    result = _run(landing, other)
    assert result["by"] == "nightly-ops"
    with duckdb.connect(str(other), read_only=True) as con:
        assert con.sql("select distinct retired_by from sync_retirement").fetchall() == [("nightly-ops",)]


def test_a_second_retirement_says_it_retired_nothing_and_records_no_one(prefect_api, landing, tmp_path):
    """Found by the operator audit: run again on the cutover day, it said 'retired 0 links; ...; recorded as retired by
    ops' (nothing was recorded), and a --by with brackets ended the first run with Rich's markup error."""
    wh = tmp_path / "wh.duckdb"
    args = ["retire-sync", "-w", str(wh), "-l", str(landing), "--as-of", "2023-11-02"]
    first = CliRunner().invoke(scr, [*args, "--by", "ops[/]@firm"])
    assert first.exit_code == 0 and first.exception is None, first.output
    assert "retired 3 links;" in " ".join(first.output.split()) and "recorded as retired by ops[/]@firm" in " ".join(first.output.split())
    again = CliRunner().invoke(scr, [*args, "--by", "other@firm"])
    words = " ".join(again.output.split())
    assert again.exit_code == 0, again.output
    assert "retired 0 links (3 retired before);" in words and "recorded as retired" not in words, words
    with duckdb.connect(str(wh), read_only=True) as con:
        assert con.sql("select distinct retired_by from sync_retirement").fetchall() == [("ops[/]@firm",)]


def test_a_busy_warehouse_is_refused_before_prefect_starts_without_a_traceback(landing, tmp_path):
    """Found by the operator audit: with the warehouse held past SCR_WAIT_SECONDS, the flow's task waited and failed,
    and Prefect logged WarehouseBusy's traceback twice at ERROR before the one-line error (exit 2). `scr run` waits
    before Prefect starts; retire-sync now does the same."""
    import os
    import subprocess
    import sys

    from warehouse.schema import create_all

    wh = tmp_path / "scr.duckdb"
    with duckdb.connect(str(wh)) as con:
        create_all(con)
    with held_writer(wh) as holder:
        env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
        res = subprocess.run(
            [sys.executable, "-m", "flows.cli", "retire-sync", "-l", str(landing), "-w", str(wh), "--as-of", "2023-11-02"],
            env={**env, "SCR_WAIT_SECONDS": "1"}, capture_output=True, text=True, timeout=300,
        )  # fmt: skip
    assert res.returncode == 2, res.stderr
    assert "Traceback" not in res.stderr and "Task run" not in res.stderr, res.stderr[-3000:]
    assert "waiting up to 1 s" in res.stderr and f"error: warehouse {wh} is in use by pid {holder.pid}" in res.stderr


def test_a_retirement_into_a_warehouse_that_is_not_there_says_so(prefect_api, landing, tmp_path):
    """Found by the operator audit: a mistyped --warehouse made a new warehouse and retired the sync into it without
    a word, reading none of the step-one confirmations the real one records."""
    wh = tmp_path / "scr.dukcdb"
    res = CliRunner().invoke(scr, ["retire-sync", "-w", str(wh), "-l", str(landing), "--as-of", "2023-11-02", "--dry-run"])
    assert res.exit_code == 0, res.output
    assert f"note: no warehouse at {wh} yet: no step one confirmed with `scr practice confirm` is known to it" in " ".join(res.output.split())
    assert not wh.exists()
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(wh.name)) == []  # no lock file left (QA, session 29)
    res = CliRunner().invoke(scr, ["retire-sync", "-w", str(wh), "-l", str(landing), "--as-of", "2023-11-02"])
    assert res.exit_code == 0 and f"note: no warehouse at {wh} yet: this retirement makes one" in " ".join(res.output.split())
    again = CliRunner().invoke(scr, ["retire-sync", "-w", str(wh), "-l", str(landing), "--as-of", "2023-11-02"])
    assert again.exit_code == 0 and "no warehouse at" not in again.output


def test_the_deployments_flow_keeps_its_turn_from_its_reading_to_its_writing(prefect_api, landing, tmp_path, monkeypatch):
    """The flow as a deployment runs it (no `scr retire-sync` waited first and kept its place in the queue): a wave that
    starts while the flow reads every practice's files, after its reader let go and before its writer, queues behind
    it. Before, the lock was free then and no turn stood before the wave's: the wave took the warehouse and the
    retirement's writer waited behind it, for up to SCR_WAIT_SECONDS."""
    from flows import retire_sync
    from tests.warehouse.test_db import _in_turn
    from warehouse.db import transaction, writer
    from warehouse.schema import create_all

    wh, log = tmp_path / "wh.duckdb", tmp_path / "order"
    with writer(wh) as con, transaction(con):
        create_all(con)
    read, wave = retire_sync.read_practices, []

    def reading(*args, **kwargs):  # between the flow's reader and its writer: a wave starts
        wave.append(_in_turn("wave", wh, log))
        wave.append(wave[0].stdout.readline())
        return read(*args, **kwargs)

    monkeypatch.setattr(retire_sync, "read_practices", reading)
    try:
        result = _run(landing, wh)
        # the lock was free, yet the wave waits: the flow's turn came first, and goes to its writer (a waiter takes the
        # lock only when no turn before its own is left)
        assert wave[1].startswith("waiting warehouse"), wave[1]
        wave[0].communicate(timeout=60)
    finally:
        for child in wave[:1]:
            child.kill()
    assert result["written"]["retired"] == 3 and log.read_text().split() == ["wave"]
    assert not [p for p in tmp_path.iterdir() if ".turn-" in p.name]


def test_a_record_id_holding_a_tax_number_is_retired_once_under_the_token_runs_give_it(prefect_api, landing, tmp_path):
    """QA8: the retirement read the landing files with a key of its own task, so a link whose HQ id is a TFN was recorded
    under a new token on each retirement: retired again by the second, counted twice by sync_retirement_status, joined
    to no record. It now reads with the warehouse's key: the token is the one a run stores, and the second retirement
    finds the link retired."""
    import polars as pl

    from flows.settings import hash_key
    from landing.idtokens import tokenised

    tfn_id = "599936196"  # a valid TFN (synthetic), used by a practice as an HQ client id
    for name in ("hq_clients.json", "sync_links.csv"):
        path = landing / "p1" / name
        path.write_text(path.read_text().replace("h2", tfn_id))
    wh = tmp_path / "wh.duckdb"
    first, second = _run(landing, wh), _run(landing, wh)
    assert (_by_practice(first)["p1"]["retired"], _by_practice(second)["p1"]["retired"]) == (2, 0)
    assert _by_practice(second)["p1"]["already_retired"] == 2
    frame = pl.DataFrame({"practice_id": ["p1"], "hq_client_id": [tfn_id]})
    token = tokenised({"sync_link": frame}, hash_key(landing), {"p1": "AU"})["sync_link"]["hq_client_id"][0]
    assert token.startswith("hashed-196-"), token
    with duckdb.connect(str(wh), read_only=True) as con:
        ids = con.sql("select hq_client_id from sync_retirement where practice_id = 'p1' order by all").fetchall()
    assert ids == sorted([("h1",), (token,)]), ids


def test_a_rekey_gives_retired_and_drifting_links_their_new_tokens_and_keeps_no_old_one(prefect_api, landing, tmp_path, monkeypatch):
    """QA10 F5: a rekey left sync_retirement and sync_drift naming records by the old key's tokens: the links counted
    as active and not retired, a second retirement retired them again (four rows for two links), and hashes of the
    old key stayed. The rekey forgets them with the rest of the old key's hashes and its run gives them the new key's."""
    import polars as pl

    from flows.settings import get_settings, hash_key
    from landing.idtokens import tokenised

    ids = {"h1": "599936196", "x3": "876543210"}  # valid TFNs used as record ids: h1's link drifted, x3's is paused
    for name in ("hq_clients.json", "xpm_clients.xml", "sync_links.csv"):
        path = landing / "p1" / name
        text = path.read_text()
        for old, new in ids.items():
            text = text.replace(old, new)
        path.write_text(text)
    wh = tmp_path / "wh.duckdb"
    status = "select practice_id, sync_links, links_retired, active_not_retired, links_drifting from sync_retirement_status order by all"

    def tokens() -> set[str]:
        frame = pl.DataFrame({"practice_id": ["p1", "p1"], "hq_client_id": list(ids.values())})
        return set(tokenised({"sync_link": frame}, hash_key(landing), {"p1": "AU"})["sync_link"]["hq_client_id"])

    def stored(wanted: set[str]) -> dict[str, int]:
        found = {}
        with duckdb.connect(str(wh), read_only=True) as con:
            for table, column in con.sql("select table_name, column_name from information_schema.columns where "
                                         "table_schema = 'main' and data_type = 'VARCHAR' order by all").fetchall():  # fmt: skip
                n = sum(any(t in v for t in wanted) for (v,) in con.sql(f'select "{column}" from "{table}"').fetchall() if v)
                if n:
                    found[f"{table}.{column}"] = n
        return found

    assert CliRunner().invoke(scr, ["run", "--landing", str(landing), "--warehouse", str(wh)]).exit_code == 0
    assert _by_practice(_run(landing, wh))["p1"]["retired"] == 2
    with duckdb.connect(str(wh), read_only=True) as con:
        before = con.sql(status).fetchall()
        rows = con.sql("select count(*) from sync_retirement").fetchall()
    old = tokens()
    assert {"sync_retirement.hq_client_id", "sync_drift.hq_client_id", "sync_drift.xpm_client_uuid"} <= set(stored(old))
    monkeypatch.setenv("SCR_HASH_KEY", "tests-only-second-hash-key-not-a-secret-either")
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(scr, ["rekey", "--landing", str(landing), "--warehouse", str(wh)])
        assert result.exit_code == 0, result.output
        new = tokens()
        # not yet: an earlier promoted version (client_crosswalk_version, field_lineage_version of version 1) still
        # names its records by the old key's tokens; every current table and the sync tables hold none
        assert not new & old and {k for k in stored(old) if not k.split(".")[0].endswith("_version")} == set()
        assert {"sync_retirement.hq_client_id", "sync_drift.hq_client_id", "sync_drift.xpm_client_uuid"} <= set(stored(new))
        with duckdb.connect(str(wh), read_only=True) as con:
            assert con.sql(status).fetchall() == before
            assert not con.sql("select * from sync_retirement where hq_client_id like '%forgotten%'").fetchall()
        again = _run(landing, wh)
        assert (_by_practice(again)["p1"]["retired"], _by_practice(again)["p1"]["already_retired"]) == (0, 2)
        with duckdb.connect(str(wh), read_only=True) as con:
            assert con.sql("select count(*) from sync_retirement").fetchall() == rows
            assert con.sql(status).fetchall() == before
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()


def test_a_link_a_rekey_cannot_find_again_keeps_its_token_forgotten(tmp_path):
    """The forgotten id of a link no longer in the landing files (or met by two) stays forgotten: its last three digits
    and a number, never the old key's hash."""
    from warehouse.schema import create_all
    from warehouse.sync_retirement import forget_sync_tokens, rekey_sync_tokens

    old = ["hashed-196-0123456789abcdef", "hashed-196-fedcba9876543210"]
    with duckdb.connect(str(tmp_path / "w.duckdb")) as con:
        create_all(con)
        for hq in old:
            con.execute("insert into sync_retirement (practice_id, xpm_client_uuid, hq_client_id, linked_at, last_synced_at) "
                        "values ('p1', 'x1', $h, '2021-06-01', '2023-09-30')", {"h": hq})  # fmt: skip
        con.execute("insert into sync_drift (practice_id, xpm_client_uuid, hq_client_id, field, last_synced_at) "
                    "values ('p1', 'x1', $h, 'email', '2023-09-30')", {"h": old[0]})  # fmt: skip
        assert forget_sync_tokens(con) == 3
        # one link in the landing files now, whose token's last three are both forgotten ids': it meets two, neither is given
        con.execute("insert into stg_sync_link (practice_id, xpm_client_uuid, hq_client_id, linked_at, last_synced_at, state, "
                    "record_no) values ('p1', 'x1', 'hashed-196-aaaaaaaaaaaaaaaa', '2021-06-01', '2023-09-30', 'active', 1)")  # fmt: skip
        assert rekey_sync_tokens(con, ["p1"]) == 0
        retired = sorted(r[0] for r in con.sql("select hq_client_id from sync_retirement").fetchall())
        drift = con.sql("select hq_client_id from sync_drift").fetchall()
    assert retired == ["hashed-196-forgotten-1", "hashed-196-forgotten-2"] and drift == [("hashed-196-forgotten-1",)]
