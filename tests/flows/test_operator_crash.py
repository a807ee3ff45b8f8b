"""The operator commands that write the warehouse outside a wave (rollback, review apply, review revoke, unmerge,
rekey), killed (SIGKILL) or stopped by a terminal's Ctrl-C at each of their fault points (flows/faults.py): the
warehouse is as before the command's transaction or as after it, the same command run again finishes the job (or
says it is done) and leaves what an uninterrupted command leaves, the analysts' snapshot included, and nothing
they print holds the hash key or a tax number. Real `scr` processes, as an operator types them."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import duckdb
import polars as pl
import pytest

from flows.faults import SNAPSHOT_POINTS
from tests.support.state import differences, warehouse_state

pytestmark = [pytest.mark.slow]

KEY_A = "operator-crash-key-a-a-throwaway-of-32-chars-or-more"
KEY_B = "operator-crash-key-b-a-throwaway-of-32-chars-or-more"


def _env(root: Path, key: str = KEY_A) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "SCR_"))}
    env.update(PREFECT_HOME=str(root / "prefect"), SCR_HASH_KEY=key, SCR_SNAPSHOT_SECONDS="0", SCR_OPERATOR="ops")
    return env


def scr(root: Path, *args: str, fault: str | None = None, key: str = KEY_A, cwd: Path | None = None) -> subprocess.CompletedProcess:
    env = _env(root, key)
    if fault:
        env["SCR_FAULT"] = fault
    # a session of its own, as a terminal's job: a `:ctrl-c` fault signals this group alone, never pytest
    return subprocess.run([sys.executable, "-m", "flows.cli", *args], env=env, capture_output=True, text=True, timeout=300,
                          cwd=cwd, start_new_session=True)  # fmt: skip


def _copy(base: Path, to: Path) -> Path:
    """A copy of the base warehouse and its analysts' snapshot (the folder moves whole)."""
    shutil.copytree(base, to)
    return to / "scr.duckdb"


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> dict:
    """A small zone run once, then one client unmerged (its practice has a version 2 to roll back) and a review file
    filled in (its practice has links awaiting a person); each test works on a copy."""
    from synthetic import generate_zone

    root = tmp_path_factory.mktemp("operator-crash")
    generate_zone(root / "zone", 6, seed=5)
    landing, wh = root / "zone" / "landing", root / "base" / "scr.duckdb"
    done = scr(root, "run", "-l", str(landing), "-w", str(wh))
    assert done.returncode == 0, done.stderr[-3000:]
    with duckdb.connect(str(wh), read_only=True) as con:
        pid, uid = con.sql("select practice_id, unified_client_id from client_crosswalk group by all having count(*) > 1 "
                           "order by all limit 1").fetchall()[0]  # fmt: skip
        other = con.sql("select min(practice_id) from proposed_crosswalk where practice_id <> $p and practice_id in "
                        "(select practice_id from promotion_version)", params={"p": pid}).fetchall()[0][0]  # fmt: skip
    assert scr(root, "unmerge", "-u", uid, "-w", str(wh)).returncode == 0
    with duckdb.connect(str(wh), read_only=True) as con:  # another merged client, for the unmerge's own tests
        split = con.sql("select unified_client_id from client_crosswalk where practice_id <> $p group by all "
                        "having count(*) > 1 order by all limit 1", params={"p": pid}).fetchall()[0][0]  # fmt: skip
    review = root / "base" / "review.csv"
    pending = [r[0] for r in duckdb.connect(str(wh), read_only=True).sql(
        "select practice_id from practice_status where status = 'in_review' and detail like '%await review%' and "
        "practice_id in (select practice_id from promotion_version) order by 1").fetchall()]  # fmt: skip
    reviewed = pending[0]
    assert scr(root, "review", "export", "-p", reviewed, "-o", str(review), "-w", str(wh)).returncode == 0
    rows = pl.read_csv(review, infer_schema=False)
    assert rows.height >= 2
    rows.with_columns(decision=pl.Series(["accept" if i % 2 else "reject" for i in range(rows.height)])).write_csv(review)
    return {"root": root, "landing": landing, "base": wh.parent, "unmerged": pid, "other": other, "reviewed": reviewed,
            "split": split}


def _commands(b: dict) -> dict[str, tuple[list[str], str, str, int, str]]:
    """command -> (its arguments but -w, its fault point inside its transaction, its point after the commit, and the
    exit code and words of the same command run again after that commit)."""
    return {
        "rollback": (["rollback", "-p", b["unmerged"]], "rollback:before-commit", "rollback:committed", 1, "is already rolled back"),
        "rollback --to none": (["rollback", "-p", b["other"], "--to", "none"], "rollback:before-commit", "rollback:committed",
                               1, "is already on no version"),
        "review apply": (["review", "apply", "review.csv"], "review-apply:before-commit", "review-apply:committed", 0,
                         "already recorded"),
        "review revoke": (["review", "revoke", "-p", b["unmerged"], "--all"], "review-revoke:withdrawn", "review-revoke:committed",
                          1, "has no decision in force at all (already withdrawn: 1 decision by ops at"),
        "unmerge": (["unmerge", "-u", b["split"]], "unmerge:promoted", "unmerge:committed", 1, "is already split"),
    }  # fmt: skip


def _run(b: dict, wh: Path, command: str, fault: str | None = None) -> subprocess.CompletedProcess:
    args = _commands(b)[command][0]
    return scr(b["root"], *args, "-w", str(wh), fault=fault, cwd=wh.parent)


def _snapshot(wh: Path) -> dict:
    """What the analysts see: their snapshot's current versions, statuses and decisions in force."""
    from warehouse.reader import open_snapshot

    con = open_snapshot(wh)
    try:
        return {
            "versions": sorted(con.sql("select practice_id, version from promotion_version where is_current").fetchall()),
            "status": sorted(con.sql("select practice_id, status, detail from practice_status").fetchall()),
            "decisions": sorted(con.sql("select practice_id, source_file, decision from review_decision").fetchall()),
            "pins": sorted(con.sql("select practice_id, version from practice_pin").fetchall()),
        }
    finally:
        con.close()


def _no_secret(b: dict, *results: subprocess.CompletedProcess) -> None:
    """Neither hash key nor any tax number of the zone (as written, or its digits) in what the commands printed."""
    text = "".join(r.stdout + r.stderr for r in results)
    assert KEY_A not in text and KEY_B not in text
    numbers = set()
    for tax in b["landing"].glob("*/tax_clients.csv"):
        rows = pl.read_csv(tax, infer_schema=False)
        for column in ("tfn", "ird_number"):
            for value in rows[column].drop_nulls().to_list():
                numbers |= {value, "".join(c for c in value if c.isdigit())}
    assert numbers and not [n for n in numbers if len(n) >= 8 and n in text]


@pytest.fixture(scope="module")
def clean(base, tmp_path_factory) -> dict[str, tuple[dict, dict]]:
    """Each command run uninterrupted on its own copy: the warehouse it leaves and what its snapshot shows."""
    out = {}
    for command in _commands(base):
        wh = _copy(base["base"], tmp_path_factory.mktemp("clean") / "wh")
        done = _run(base, wh, command)
        assert done.returncode == 0, (command, done.stderr)
        out[command] = (warehouse_state(wh), _snapshot(wh))
    return out


COMMANDS = ["rollback", "rollback --to none", "review apply", "review revoke", "unmerge"]


@pytest.mark.parametrize("command", COMMANDS)
def test_killed_inside_its_transaction_the_warehouse_is_as_before_and_a_rerun_does_it(base, clean, command, tmp_path):
    wh = _copy(base["base"], tmp_path / "wh")
    before = warehouse_state(wh)
    killed = _run(base, wh, command, fault=_commands(base)[command][1] + "@1")
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert differences(warehouse_state(wh), before) == {}
    again = _run(base, wh, command)
    assert again.returncode == 0, again.stderr
    assert differences(warehouse_state(wh), clean[command][0]) == {}
    assert _snapshot(wh) == clean[command][1]
    _no_secret(base, killed, again)


@pytest.mark.parametrize("command", COMMANDS)
def test_killed_after_its_commit_a_rerun_says_it_is_done_and_the_analysts_see_it(base, clean, command, tmp_path):
    """Killed between its commit and the snapshot's publish: the warehouse is as after it; the same command again is
    refused as done (a rollback never goes back twice) or changes nothing, and the analysts' snapshot, which `scr
    status` and `scr practice` read, shows what was committed (a refused rerun left it showing the state before)."""
    wh = _copy(base["base"], tmp_path / "wh")
    killed = _run(base, wh, command, fault=_commands(base)[command][2] + "@1")
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert differences(warehouse_state(wh), clean[command][0]) == {}
    again = _run(base, wh, command)
    code, words = _commands(base)[command][3:]
    said = " ".join((again.stdout + again.stderr).split())
    assert again.returncode == code and words in said and "Traceback" not in said, said
    assert differences(warehouse_state(wh), clean[command][0]) == {}
    assert _snapshot(wh) == clean[command][1]
    _no_secret(base, killed, again)


@pytest.mark.parametrize("command", COMMANDS)
def test_a_terminals_ctrl_c_stops_it_with_one_line_and_exit_130(base, clean, command, tmp_path):
    wh = _copy(base["base"], tmp_path / "wh")
    before = warehouse_state(wh)
    stopped = _run(base, wh, command, fault=_commands(base)[command][1] + "@1:ctrl-c")
    assert stopped.returncode == 130, stopped.stderr
    lines = stopped.stderr.strip().splitlines()
    assert len(lines) == 1 and "Ctrl-C" in lines[0] and "Traceback" not in stopped.stderr, stopped.stderr
    assert differences(warehouse_state(wh), before) == {}
    again = _run(base, wh, command)
    assert again.returncode == 0, again.stderr
    assert differences(warehouse_state(wh), clean[command][0]) == {}
    _no_secret(base, stopped, again)


def test_a_ctrl_c_that_came_while_duckdb_ran_a_statement_is_said_in_one_line_too(tmp_path, monkeypatch):
    """DuckDB turns a SIGINT that comes during a statement into RuntimeError('Query interrupted'): a traceback, exit 1,
    before; now the same one line and exit 130 as a Ctrl-C between statements."""
    from click.testing import CliRunner

    from flows import operations
    from flows.cli import command

    wh = tmp_path / "scr.duckdb"
    duckdb.connect(str(wh)).close()

    def interrupted(*args, **kwargs):
        raise RuntimeError("Query interrupted")

    monkeypatch.setattr(operations, "rollback", interrupted)
    result = CliRunner().invoke(command(), ["rollback", "-p", "P00001", "-w", str(wh), "--by", "ops"], prog_name="scr")
    lines = result.output.strip().splitlines()
    assert result.exit_code == 130 and len(lines) == 1 and "scr rollback was stopped by Ctrl-C" in lines[0], result.output


@pytest.fixture(scope="module")
def rekeyed(base, tmp_path_factory) -> dict:
    """The base warehouse rekeyed (KEY_A -> KEY_B) without interruption: what it leaves."""
    wh = _copy(base["base"], tmp_path_factory.mktemp("rekey-clean") / "wh")
    done = scr(base["root"], "rekey", "-l", str(base["landing"]), "-w", str(wh), key=KEY_B)
    assert done.returncode == 0, done.stderr[-3000:]
    return warehouse_state(wh)


@pytest.mark.parametrize("fault, code", [("rekey:purged@1", -signal.SIGKILL), ("rekey:reread@1", -signal.SIGKILL),
                                         ("rekey:forgotten@1:ctrl-c", 130), ("chunk:staged@1:ctrl-c", 130)])  # fmt: skip
def test_a_rekey_stopped_between_its_steps_is_finished_by_the_next_as_if_never_stopped(base, rekeyed, fault, code, tmp_path):
    """A rekey is several steps (forget the old key's hashes and record the new key, publish the snapshot anew, rewrite
    the warehouse file, read every practice again, record it done): stopped after any of them, it leaves its mark, and
    `scr rekey` again finishes it, leaving what an uninterrupted rekey leaves and no hash of the old key anywhere."""
    from landing import read_registry
    from tests.flows.test_hash_key import _hashes_of, _where_found
    from warehouse.meta import REREAD_PENDING, read_meta

    wh = _copy(base["base"], tmp_path / "wh")
    rekey = ["rekey", "-l", str(base["landing"]), "-w", str(wh)]
    stopped = scr(base["root"], *rekey, fault=fault, key=KEY_B)
    assert stopped.returncode == code, stopped.stderr[-3000:]
    if code == 130:
        lines = stopped.stderr.strip().splitlines()
        # one line, its own or its run's (no word of Prefect's), naming `scr rekey` as what finishes it
        assert len(lines) == 1 and "Ctrl-C" in lines[0] and "rekey" in lines[0], stopped.stderr
    with duckdb.connect(str(wh), read_only=True) as con:
        assert read_meta(con, REREAD_PENDING) is not None
    again = scr(base["root"], *rekey, key=KEY_B)
    assert again.returncode == 0, again.stderr[-3000:]
    assert "did not finish: reading them now" in " ".join(again.stdout.split())
    assert differences(warehouse_state(wh), rekeyed) == {}
    with duckdb.connect(str(wh), read_only=True) as con:
        assert read_meta(con, REREAD_PENDING) is None
    old = set().union(*(_hashes_of(base["landing"], p, KEY_A) for p in read_registry(base["landing"])["practice_id"]))
    assert old and _where_found(wh, old) == {}
    _no_secret(base, stopped, again)
    assert "nothing to do" in scr(base["root"], *rekey, key=KEY_B).stdout


def _no_writer_left(wh: Path) -> None:
    """No name left in the writer lock (a writer that let go clears it; a killed one's stays) and no turn in the queue."""
    lock = wh.with_name(wh.name + ".lock")
    assert not lock.exists() or lock.read_text() == "", lock.read_text()
    assert sorted(p.name for p in wh.parent.glob(f".{wh.name}.turn-*")) == []


@pytest.mark.parametrize("command, at", [(c, "inside") for c in COMMANDS] + [("rollback", "after"), ("review apply", "after")])
def test_sigterm_stops_it_with_one_line_and_exit_143_and_lets_go_of_the_warehouse(base, clean, command, at, tmp_path):
    """`kill PID` (a scheduler stopping a job) inside the command's transaction or after its commit: one line naming the
    command and the signal, exit 143 (128 + SIGTERM), the warehouse as before the command (or as after it), the writer
    lock let go (the next command takes it without a word of a writer killed), and the same command again finishes it.
    Before, the process died as SIGTERM ends it by default: not a word, and its name left in the lock file."""
    wh = _copy(base["base"], tmp_path / "wh")
    before = warehouse_state(wh)
    inside, after = _commands(base)[command][1:3]
    stopped = _run(base, wh, command, fault=(inside if at == "inside" else after) + "@1:sigterm")
    assert stopped.returncode == 143, stopped.stderr
    lines = stopped.stderr.strip().splitlines()
    said = f"scr {command.split(' --')[0]} was stopped by SIGTERM, exit 143: what it had not committed left nothing"
    assert len(lines) == 1 and said in lines[0] and "Traceback" not in stopped.stderr, stopped.stderr
    assert differences(warehouse_state(wh), before if at == "inside" else clean[command][0]) == {}
    _no_writer_left(wh)
    again = _run(base, wh, command)
    assert "without letting go" not in again.stderr, again.stderr
    if at == "inside":
        assert again.returncode == 0, again.stderr
    assert differences(warehouse_state(wh), clean[command][0]) == {}
    assert _snapshot(wh) == clean[command][1]
    _no_secret(base, stopped, again)


@pytest.mark.parametrize("command", ["rollback", "review apply"])
def test_a_sigterm_that_came_while_duckdb_ran_a_statement_is_said_as_a_sigterm(base, clean, command, tmp_path):
    """DuckDB runs the SIGTERM's handler inside the statement and answers 'Query interrupted', losing what the handler
    raised: that was said as a Ctrl-C, exit 130. Now the command says the signal that came."""
    wh = _copy(base["base"], tmp_path / "wh")
    before = warehouse_state(wh)
    stopped = _run(base, wh, command, fault=_commands(base)[command][1] + "@1:sigterm-in-query")
    lines = stopped.stderr.strip().splitlines()
    assert stopped.returncode == 143 and len(lines) == 1 and "was stopped by SIGTERM, exit 143" in lines[0], stopped.stderr
    assert differences(warehouse_state(wh), before) == {}
    _no_writer_left(wh)
    _no_secret(base, stopped)


@pytest.mark.parametrize("fault, said", [("rekey:forgotten@1:sigterm", "scr rekey was stopped by SIGTERM, exit 143"),
                                         ("chunk:staged@1:sigterm", "the run was stopped by SIGTERM, exit 143")])  # fmt: skip
def test_a_rekey_stopped_by_sigterm_says_so_lets_go_and_is_finished_by_the_next(base, rekeyed, fault, said, tmp_path):
    """SIGTERM between a rekey's steps (its own line) or inside its reading of every practice (its run's line, naming
    `scr rekey` as what finishes it): exit 143, the lock let go, and `scr rekey` again leaves what an uninterrupted one does."""
    wh = _copy(base["base"], tmp_path / "wh")
    rekey = ["rekey", "-l", str(base["landing"]), "-w", str(wh)]
    stopped = scr(base["root"], *rekey, fault=fault, key=KEY_B)
    assert stopped.returncode in (143, -signal.SIGTERM), stopped.stderr[-3000:]
    lines = stopped.stderr.strip().splitlines()
    assert len(lines) == 1 and said in lines[0] and "scr rekey" in lines[0] and "Traceback" not in stopped.stderr, stopped.stderr
    _no_writer_left(wh)
    again = scr(base["root"], *rekey, key=KEY_B)
    assert again.returncode == 0 and "without letting go" not in again.stderr, again.stderr[-3000:]
    assert differences(warehouse_state(wh), rekeyed) == {}
    _no_secret(base, stopped, again)


def _readers_answer(b: dict, wh: Path, practice: str) -> dict:
    """`scr status`, `scr query` and `scr practice ID --json` on the analysts' snapshot: each answers (exit 0, no
    traceback); what the query and the practice say of the practice's versions and pin."""
    said = {}
    for name, args in (("status", ["status", "--all"]),
                       ("query", ["query", "select practice_id, version from promotion_version where is_current order by all",
                                  "-f", "json"]),
                       ("practice", ["practice", practice, "--json"])):  # fmt: skip
        done = scr(b["root"], *args, "-w", str(wh), cwd=wh.parent)
        assert done.returncode == 0 and "Traceback" not in done.stderr, (name, done.stderr)
        said[name] = done.stdout
    facts = json.loads(said["practice"])
    current = sorted((r["practice_id"], r["version"]) for r in json.loads(said["query"]))
    return {"versions": current, "pin": facts["pin"] and facts["pin"]["version"],
            "current": [v["version"] for v in facts["versions"] if v["current"]]}


def _published_whole(wh: Path) -> None:
    """Every relation and view of the snapshot holds what the warehouse holds: the last publish caught up."""
    from tests.warehouse.test_snapshot import assert_same

    with duckdb.connect(str(wh), read_only=True) as con:
        assert_same(con, wh)


@pytest.mark.parametrize("point", SNAPSHOT_POINTS)
def test_killed_while_it_publishes_the_snapshot_readers_see_one_whole_state_and_the_next_publish_catches_up(
    base, clean, point, tmp_path
):
    """SIGKILL part-way through the publish that follows a rollback's commit: its new files written and no snapshot
    reading them, or the new snapshot swapped in and the warehouse not yet told. `scr status`, `scr query` and `scr
    practice` answer, showing the state before the rollback (or after it, whole), never half of one; the next command's
    publish (the same rollback, refused as done) makes the snapshot hold what the warehouse holds."""
    wh = _copy(base["base"], tmp_path / "wh")
    pid = base["unmerged"]
    before = _readers_answer(base, wh, pid)
    killed = _run(base, wh, "rollback", fault=f"{point}@1")
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert differences(warehouse_state(wh), clean["rollback"][0]) == {}  # committed before its publish
    seen = _readers_answer(base, wh, pid)
    if point == "snapshot:exported":
        assert seen == before and _snapshot(wh) != clean["rollback"][1]
    else:
        assert seen != before and _snapshot(wh) == clean["rollback"][1]
    assert seen["pin"] is None if point == "snapshot:exported" else seen["pin"] == seen["current"][0]
    again = _run(base, wh, "rollback")
    assert again.returncode == 1 and "is already rolled back" in " ".join(again.stderr.split()), again.stderr
    assert _snapshot(wh) == clean["rollback"][1]
    _published_whole(wh)
    _no_secret(base, killed, again)


@pytest.mark.parametrize("point", SNAPSHOT_POINTS)
def test_a_run_killed_while_it_publishes_after_a_commit_leaves_readers_a_whole_snapshot_and_the_next_run_catches_up(
    base, point, tmp_path
):
    """`scr rerun` killed inside its second publish (the one after its chunk's commit; the first follows the run's
    start): the readers answer, `scr status` names the run interrupted, and the next run's publishes catch up."""
    wh = _copy(base["base"], tmp_path / "wh")
    rerun = ["rerun", "-p", base["other"], "-l", str(base["landing"]), "-w", str(wh)]
    killed = scr(base["root"], *rerun, fault=f"{point}@2")
    assert killed.returncode == -signal.SIGKILL, killed.stderr[-3000:]
    _readers_answer(base, wh, base["other"])
    status = scr(base["root"], "status", "-w", str(wh))
    assert "interrupted" in " ".join(status.stdout.split()), status.stdout
    again = scr(base["root"], *rerun)
    assert again.returncode == 0, again.stderr[-3000:]
    _published_whole(wh)
    _no_secret(base, killed, again)


def test_a_command_waiting_for_the_warehouse_stopped_by_sigterm_says_so_and_leaves_no_turn(base, tmp_path):
    """A scheduler stops a command queued behind a wave: it says so in one line after its 'waiting' line, exit 143, and
    gives its place in the queue up (its turn file gone, not left for the next writer to clear)."""
    from tests.support.holder import held_writer

    wh = _copy(base["base"], tmp_path / "wh")
    before = warehouse_state(wh)
    with held_writer(wh):
        proc = subprocess.Popen([sys.executable, "-m", "flows.cli", *_commands(base)["rollback"][0], "-w", str(wh)],
                                env=_env(base["root"]), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                cwd=wh.parent, start_new_session=True)  # fmt: skip
        try:
            first = proc.stderr.readline()
            assert "is in use by" in first and "waiting up to" in first, first
            proc.send_signal(signal.SIGTERM)
            rest = proc.communicate(timeout=60)[1]
        finally:
            if proc.poll() is None:
                proc.kill()
    # after the rest of the waiting line (the holder's command line, a `python -c` script, holds newlines): its one line
    stopped = [line for line in rest.strip().splitlines() if "stopped by" in line]
    assert proc.returncode == 143 and rest.strip().endswith(stopped[0]) and len(stopped) == 1, rest
    assert "scr rollback was stopped by SIGTERM, exit 143" in stopped[0], rest
    assert "Traceback" not in rest and sorted(p.name for p in wh.parent.glob(f".{wh.name}.turn-*")) == []
    assert differences(warehouse_state(wh), before) == {}


def test_a_ctrl_c_python_could_not_raise_is_said_and_the_command_ends_whole(base, clean, tmp_path):
    """A Ctrl-C whose KeyboardInterrupt came inside a weakref callback (flows/faults.py `ctrl-c-in-callback`): the
    interpreter printed 'Exception ignored in: ...' with a traceback and lost it. Now the command, which cannot be
    stopped there, runs to its end as an uninterrupted one and says in a line that the Ctrl-C came."""
    wh = _copy(base["base"], tmp_path / "wh")
    done = _run(base, wh, "unmerge", fault="unmerge:promoted@1:ctrl-c-in-callback")
    assert done.returncode == 0, done.stderr
    said = " ".join(done.stderr.split())
    assert "a Ctrl-C came where Python could not stop scr unmerge (inside a callback): it ran to its end" in said, said
    assert "Traceback" not in done.stderr and "Exception ignored" not in done.stderr, done.stderr
    assert differences(warehouse_state(wh), clean["unmerge"][0]) == {}
    assert _snapshot(wh) == clean["unmerge"][1]
