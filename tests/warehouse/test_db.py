"""warehouse.db: who holds the warehouse, asked of the kernel's lock table without taking the lock."""

import json
import os
import re
import signal
import socket
import struct
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from tests.support.older_duckdb import older_cli

from warehouse.db import (
    MAX_DELAY,
    ROW_GROUP_SIZE,
    TURN_STALE_SECONDS,
    WarehouseBusy,
    WarehouseUnusable,
    checkpoint,
    connect,
    cursor,
    damage,
    drop_kept_turn,
    lock_path,
    wait_free,
    writer,
    writer_running,
)

LINUX = pytest.mark.skipif(not Path("/proc/locks").exists(), reason="the kernel's lock table is Linux's /proc/locks")


def test_no_writer_ever_cannot_be_told(tmp_path):
    assert writer_running(tmp_path / "w.duckdb") is None


@LINUX
def test_a_writer_in_this_process_holds_it_until_it_closes(tmp_path):
    path = tmp_path / "w.duckdb"
    with writer(path):
        assert writer_running(path) is True
    assert writer_running(path) is False


@LINUX
def test_a_writer_killed_outright_holds_it_no_longer(tmp_path):
    path = tmp_path / "w.duckdb"
    code = f"from warehouse.db import writer\nwith writer({str(path)!r}):\n    print('held', flush=True)\n    input()\n"
    child = subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                             cwd=Path(__file__).resolve().parents[2])  # fmt: skip
    try:
        assert child.stdout.readline().strip() == "held"
        assert writer_running(path) is True
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=30)
    finally:
        child.kill()
    deadline = time.monotonic() + 10
    while writer_running(path) and time.monotonic() < deadline:  # the kernel lets go as the process is reaped
        time.sleep(0.1)
    assert writer_running(path) is False
    assert json.loads(lock_path(path).read_text())["pid"] == child.pid  # the file still names the dead holder


def test_a_holder_on_another_host_is_that_hosts_to_tell(tmp_path):
    path = tmp_path / "w.duckdb"
    lock_path(path).write_text(json.dumps({"pid": 1, "host": socket.gethostname() + "-elsewhere"}))
    assert writer_running(path, locks=tmp_path / "locks") is None


def test_only_a_held_write_lock_on_this_very_file_counts(tmp_path):
    path = tmp_path / "w.duckdb"
    lock_path(path).write_text("{}")
    st = lock_path(path).stat()
    me = f"{os.major(st.st_dev):02x}:{os.minor(st.st_dev):02x}:{st.st_ino}"
    other = f"{os.major(st.st_dev):02x}:{os.minor(st.st_dev):02x}:{st.st_ino + 1}"
    table = tmp_path / "locks"
    table.write_text(f"1: POSIX  ADVISORY  WRITE 77 {me} 0 EOF\n2: FLOCK  ADVISORY  WRITE 78 {other} 0 EOF\n"
                     f"2: -> FLOCK  ADVISORY  WRITE 79 {me} 0 EOF\n")  # fmt: skip
    assert writer_running(path, locks=table) is False  # DuckDB's own lock, another file's, a waiter
    table.write_text(table.read_text() + f"3: FLOCK  ADVISORY  WRITE 80 {me} 0 EOF\n")
    assert writer_running(path, locks=table) is True
    table.unlink()
    assert writer_running(path, locks=table) is None


def test_a_checkpoint_on_its_own_cursor_folds_the_log_into_the_file_while_another_cursor_reads(tmp_path):
    path = tmp_path / "w.duckdb"
    log = Path(str(path) + ".wal")
    with writer(path) as con:
        con.execute("create table t as select range as i from range(200000)")
        assert log.exists() and log.stat().st_size > 0  # under the writer's threshold: still in the log
        with cursor(con) as reading, cursor(con) as saving:
            reading.execute("begin transaction")  # a reader in the middle of its transaction
            assert reading.sql("select count(*) from t").fetchall() == [(200000,)]
            checkpoint(saving)
            assert reading.sql("select count(*), sum(i) from t").fetchall() == [(200000, 199999 * 200000 // 2)]
            reading.execute("commit")
        assert not log.exists() or log.stat().st_size == 0
        assert con.sql("select count(*) from t").fetchall() == [(200000,)]


def test_a_path_that_is_no_duckdb_file_is_unusable_not_a_duckdb_error(tmp_path):
    folder, text = tmp_path / "folder", tmp_path / "notes.duckdb"
    folder.mkdir()
    text.write_text("not a database\n")
    for path in (folder, text):
        with pytest.raises(WarehouseUnusable, match=re.escape(str(path))):
            connect(path, read_only=True)
        for _ in range(2):  # the first let go of its lock: the second is told at once, not made to wait
            with pytest.raises(WarehouseUnusable, match=re.escape(str(path))), writer(path, wait_seconds=0):
                pass
    assert not lock_path(folder).exists()  # nothing left beside a folder
    assert text.read_text() == "not a database\n"


def test_damage_tells_a_file_cut_short_or_not_duckdbs_from_a_whole_one_held_or_not(tmp_path):
    """A warehouse file cut short (a copy or restore that stopped, `truncate`) opens in DuckDB, which fails only on the
    first table past the cut: `scr status` read the snapshot and said all was well (QA, session 31)."""
    path = tmp_path / "w.duckdb"
    with writer(path) as con:
        con.execute("create table t as select range as i, repeat('x', 200) as s from range(100000)")
        con.execute("checkpoint")
        assert damage(path) is None  # a writer holds it: read without a lock, it is whole
    whole = path.read_bytes()
    assert damage(path) is None
    path.write_bytes(whole[: len(whole) // 2])
    # the list of its free blocks is in its second half: which blocks are in use is not known, so no figure is said
    # (cut to its headers, it said those figures as what its blocks in use take, QA7)
    assert damage(path) == f"it is cut short: {len(whole) // 2} bytes: the list of its free blocks and blocks in use are past its end"
    path.write_bytes(whole[: 3 * 4096])
    assert damage(path) == f"it is cut short: {3 * 4096} bytes, DuckDB's headers alone: its blocks in use are past its end"
    path.write_bytes(whole[:100])
    assert damage(path) == "it is cut short: 100 bytes, less than DuckDB's headers alone"
    path.write_bytes(b"")
    assert damage(path) == "it is empty (0 bytes)"
    path.write_text("practice_id,name\n")
    assert damage(path) == "it is not a DuckDB database file (its 17 bytes do not start as one)"
    assert damage(tmp_path) == "it is a folder"


def test_a_file_duckdb_cut_its_free_blocks_off_is_whole_though_its_header_counts_them(tmp_path):
    """DuckDB cuts free blocks off the file's end after writing the header that still counts them: the header's block
    count said a warehouse was cut short after every run that freed its last blocks (found by hand, session 31)."""
    path = tmp_path / "w.duckdb"
    with writer(path) as con:
        con.execute("create table a as select range as i, repeat('x', 100) as s from range(200000)")
        con.execute("checkpoint")
        con.execute("create table b as select range as i, repeat('y', 100) as s from range(200000)")
        con.execute("checkpoint")
        con.execute("drop table b")
        con.execute("checkpoint")
    head = path.read_bytes()[: 3 * 4096]
    blocks, size = max(struct.unpack_from("<5Q", head, at + 8) for at in (4096, 8192))[3:]
    assert path.stat().st_size < 3 * 4096 + blocks * size  # the header counts blocks the file no longer has
    assert damage(path) is None
    with connect(path, read_only=True) as con:  # and DuckDB reads every row
        assert con.sql("select count(*), count(distinct s) from a").fetchall() == [(200000, 1)]
    whole = path.read_bytes()
    path.write_bytes(whole[: len(whole) - 4096])  # one page of its last block in use gone
    assert damage(path) == f"it is cut short: {len(whole) - 4096} bytes of the {len(whole)} its blocks in use take"


@LINUX
def test_the_next_writer_after_one_killed_outright_takes_over_and_says_so_one_that_let_go_says_nothing(tmp_path):
    path = tmp_path / "w.duckdb"
    told: list[str] = []
    with writer(path, on_stale=told.append):
        pass
    with writer(path, on_stale=told.append):  # the last one let go
        pass
    assert told == [] and lock_path(path).read_text() == ""
    code = f"from warehouse.db import writer\nwith writer({str(path)!r}):\n    print('held', flush=True)\n    input()\n"
    child = subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                             cwd=Path(__file__).resolve().parents[2])  # fmt: skip
    try:
        assert child.stdout.readline().strip() == "held"
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=30)
    finally:
        child.kill()
    with writer(path, wait_seconds=30, on_stale=told.append) as con:  # taken over once the kernel has let go
        assert con.sql("select 1").fetchall() == [(1,)]
    assert len(told) == 1 and f"pid {child.pid} (scr, since " in told[0] and "ended without letting go of it (killed?)" in told[0]
    with writer(path, on_stale=told.append):
        pass
    wait_free(path, on_stale=told.append)
    assert len(told) == 1


def test_a_name_left_by_a_holder_that_never_cleared_it_is_no_sign_of_a_kill(tmp_path):
    path = tmp_path / "w.duckdb"
    # what an earlier version left as it let go: its name, which it never cleared
    lock_path(path).write_text(json.dumps({"pid": 2**22 + 1, "host": socket.gethostname(), "command": "scr run", "since": "then"}))
    told: list[str] = []
    with writer(path, on_stale=told.append):
        pass
    assert told == []


def test_a_rewrite_keeps_every_table_view_and_key_and_leaves_no_byte_of_what_was_replaced(tmp_path):
    from warehouse.db import rewrite

    path = tmp_path / "it's.duckdb"  # a quote in the name: the copy's path is SQL text
    secrets = [f"{i:04d}feedfacecafe{i:04d}beef" for i in range(2000)]
    with writer(path) as con:
        con.execute("create table t (k integer primary key, secret varchar, kept varchar)")
        con.execute("insert into t select i, $s[i + 1], 'kept ' || i from range(2000) r(i)", {"s": secrets})
        con.execute("create view v as select k, kept from t")
        checkpoint(con)
        con.execute("update t set secret = null")
        checkpoint(con)
    data = path.read_bytes()
    assert any(s.encode() in data for s in secrets), "DuckDB keeps what an update replaced in the file"
    os.chmod(path, 0o600)
    rewrite(path)
    data = path.read_bytes()
    assert not any(s.encode() in data for s in secrets)
    assert oct(path.stat().st_mode & 0o777) == oct(0o600)
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name, lock_path(path).name]  # no copy left beside it
    with writer(path) as con:  # let go of: the next writer takes it at once
        assert con.sql("select count(*), count(secret), min(kept) from t").fetchall() == [(2000, 0, "kept 0")]
        assert con.sql("select count(*) from v").fetchall() == [(2000,)]
        with pytest.raises(Exception, match="(?i)constraint"):
            con.execute("insert into t values (1, null, 'twice')")


_IN_TURN = """
import sys, time
from warehouse.db import writer
name, path, log = sys.argv[1:4]
with writer(path, wait_seconds=60, on_wait=lambda message: print('waiting', message, flush=True)):
    with open(log, 'a') as f:
        f.write(name + '\\n')
    print('held', flush=True)
    if name == 'wave-1':
        input()  # holds the warehouse until told
    else:
        time.sleep(0.3)
"""


def _in_turn(name: str, path: Path, log: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", _IN_TURN, name, str(path), str(log)], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True, cwd=Path(__file__).resolve().parents[2])  # fmt: skip


def test_a_command_waiting_for_the_warehouse_goes_before_a_wave_that_came_later(tmp_path):
    # the waiter polls, backing off to 10 s: without turns the wave that started after it took the lock the
    # moment the last one let go, every time, and an operator's command could wait out SCR_WAIT_SECONDS
    path, log = tmp_path / "w.duckdb", tmp_path / "order"
    children = [_in_turn("wave-1", path, log)]
    try:
        assert children[0].stdout.readline().strip() == "held"
        children.append(_in_turn("operator", path, log))
        assert children[1].stdout.readline().startswith("waiting warehouse")
        time.sleep(3.2)  # the operator's command now sleeps about 3 s between looks at the lock
        children.append(_in_turn("wave-2", path, log))
        queued = children[2].stdout.readline()
        assert queued.startswith("waiting warehouse") and f"waiting before this one: pid {children[1].pid} (scr" in queued
        children[0].communicate("\n", timeout=30)  # wave 1 lets go: wave 2 looks at once, the operator only later
        for child in children[1:]:
            child.communicate(timeout=60)
    finally:
        for child in children:
            child.kill()
    assert log.read_text().split() == ["wave-1", "operator", "wave-2"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["order", path.name, lock_path(path).name]  # no turn left


def _waiter_signalled(path: Path, log: Path, name: str, sig: int) -> subprocess.Popen:
    """A child waiting for the warehouse while this process writes, sent `sig` before this process lets go."""
    with writer(path):
        child = _in_turn(name, path, log)
        try:
            assert child.stdout.readline().startswith("waiting warehouse")
            os.kill(child.pid, sig)
        except BaseException:
            child.kill()
            raise
    return child


def test_the_turn_of_a_waiter_killed_while_waiting_holds_no_one_back(tmp_path):
    path, log = tmp_path / "w.duckdb", tmp_path / "order"
    child = _waiter_signalled(path, log, "killed", signal.SIGKILL)
    child.wait(timeout=30)
    assert len([p for p in tmp_path.iterdir() if ".turn-" in p.name]) == 1  # left behind, unlocked
    with writer(path) as con:  # no wait allowed: the dead waiter's turn is no one's
        assert con.sql("select 1").fetchall() == [(1,)]
    wait_free(path)
    assert not log.exists() and not [p for p in tmp_path.iterdir() if ".turn-" in p.name]


def test_the_turn_scr_run_keeps_while_prefect_starts_goes_to_its_flows_writer(tmp_path):
    # scr run waits for the warehouse before Prefect starts (about 10 s), then its flow takes the writer: a wave
    # starting in between queues behind the run rather than taking the free lock
    path, log = tmp_path / "w.duckdb", tmp_path / "order"
    wait_free(path, keep_turn=True)
    child = _in_turn("wave", path, log)
    try:
        assert child.stdout.readline().startswith("waiting warehouse")  # the lock is free; the run's turn is older
        with writer(path):  # no wait allowed: it is this process's turn
            log.write_text("run\n")
        child.communicate(timeout=60)
    finally:
        child.kill()
    assert log.read_text().split() == ["run", "wave"]
    wait_free(path, keep_turn=True)
    drop_kept_turn(path)  # a run that ended before its writer gives its turn up
    assert not [p for p in tmp_path.iterdir() if ".turn-" in p.name]


def test_a_kept_turn_is_lent_to_the_flows_reader_and_used_up_by_its_writer(tmp_path):
    # scr retire-sync's flow reads the warehouse, lets go, then writes: a wave that queued while it read must not take
    # the free lock in between
    from warehouse.db import reader

    path, log = tmp_path / "w.duckdb", tmp_path / "order"
    with writer(path):  # a warehouse file for the reader
        pass
    wait_free(path, keep_turn=True)
    child = _in_turn("wave", path, log)
    try:
        assert child.stdout.readline().startswith("waiting warehouse")  # the lock is free; the kept turn is older
        with reader(path) as con:
            assert con.sql("select 1").fetchall() == [(1,)]
        time.sleep(1.0)  # the lock free again: the wave looks, and still finds the kept turn before its own
        assert child.poll() is None and not log.exists()
        with writer(path):
            log.write_text("retire\n")
        child.communicate(timeout=60)
    finally:
        child.kill()
    assert log.read_text().split() == ["retire", "wave"]
    assert not [p for p in tmp_path.iterdir() if ".turn-" in p.name]


def test_a_flow_keeping_its_turn_uses_the_place_its_command_kept_and_gives_up_only_its_own(tmp_path):
    # `scr retire-sync` keeps its place before Prefect starts and the flow keeps one when a deployment runs it: the flow
    # must not queue again behind those who came after the command, nor give up the command's place
    from warehouse.db import _kept, keeping_turn

    path = tmp_path / "w.duckdb"
    turns = lambda: [p for p in tmp_path.iterdir() if ".turn-" in p.name]  # noqa: E731
    wait_free(path, keep_turn=True)
    kept = _kept[str(path)]
    with keeping_turn(path):
        assert _kept[str(path)] is kept and len(turns()) == 1
    assert _kept[str(path)] is kept  # the command gives it up
    drop_kept_turn(path)
    with keeping_turn(path):  # as a deployment runs the flow
        assert str(path) in _kept and len(turns()) == 1
    assert str(path) not in _kept and not turns()


@LINUX
def test_a_waiter_suspended_in_its_terminal_holds_no_one_back(tmp_path):
    # Ctrl-Z on a command waiting for the warehouse stops it with its turn held: the nightly wave must not wait
    # behind it to its time limit; the command, resumed, waits again
    path, log = tmp_path / "w.duckdb", tmp_path / "order"
    child = _waiter_signalled(path, log, "suspended", signal.SIGSTOP)
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and Path(f"/proc/{child.pid}/stat").read_text().split(") ")[1][0] != "T":
            time.sleep(0.05)
        with writer(path, wait_seconds=0) as con:  # no wait allowed: the stopped waiter's turn is passed over
            assert con.sql("select 1").fetchall() == [(1,)]
        assert not log.exists()
        os.kill(child.pid, signal.SIGCONT)
        child.communicate(timeout=60)  # resumed, it takes the lock in its turn
    finally:
        child.kill()
    assert log.read_text().split() == ["suspended"]
    assert not [p for p in tmp_path.iterdir() if ".turn-" in p.name]


_HUNG = """
import sys
from pathlib import Path
from warehouse import db
name, path, log = sys.argv[1:4]
turn = db._take_turn(Path(path))  # in the queue, and then hung: alive, not stopped, never looking at the lock again
print('queued', turn.turn, flush=True)
input()  # woken: it goes on waiting with the turn it had, as a writer with a kept turn does
db._kept[path] = turn
with db.writer(path, wait_seconds=60, on_wait=lambda message: print('waiting', message, flush=True)):
    with open(log, 'a') as f:
        f.write(name + '\\n')
"""


def _unrefreshed(turn: Path) -> None:
    """As if the turn's waiter had not looked at the lock for twice the bound."""
    then = time.time() - 2 * TURN_STALE_SECONDS
    os.utime(turn, (then, then))


def test_a_waiter_hung_with_its_turn_holds_no_one_back_and_woken_waits_for_the_writer(tmp_path):
    # a waiter alive and hung another way than Ctrl-Z (blocked on a dead mount, stuck in a call) kept every later
    # writer, the nightly wave too, waiting to its time limit: a turn not refreshed for TURN_STALE_SECONDS is passed over
    path, log = tmp_path / "w.duckdb", tmp_path / "order"
    child = subprocess.Popen([sys.executable, "-c", _HUNG, "hung", str(path), str(log)], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, text=True, cwd=Path(__file__).resolve().parents[2])  # fmt: skip
    try:
        turn = Path(child.stdout.readline().split()[1])
        with pytest.raises(WarehouseBusy, match=f"waiting before this one: pid {child.pid} "):
            with writer(path, wait_seconds=0):  # refreshed lately: its place is kept
                pass
        _unrefreshed(turn)
        with writer(path, wait_seconds=0) as con:  # no wait allowed: the hung waiter's turn is passed over
            assert con.sql("select 1").fetchall() == [(1,)]
            child.stdin.write("\n")
            child.stdin.flush()
            assert child.stdout.readline().startswith("waiting warehouse")  # woken, it waits: the lock is one writer's
            assert not log.exists()
        child.communicate(timeout=60)
    finally:
        child.kill()
    assert log.read_text().split() == ["hung"]
    assert not [p for p in tmp_path.iterdir() if ".turn-" in p.name]


def _refreshed(turn: Path) -> bool:
    """Whether the turn's waiter refreshed it after `_unrefreshed` (generous bound: a loaded machine is slow)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if time.time() - turn.stat().st_mtime < TURN_STALE_SECONDS:
            return True
        time.sleep(0.1)
    return False


def test_a_waiter_refreshes_its_turn_as_it_looks_and_keeps_its_place(tmp_path):
    # a healthy waiter backing off to its longest sleep must never be taken for a hung one
    assert TURN_STALE_SECONDS >= 5 * MAX_DELAY
    path, log = tmp_path / "w.duckdb", tmp_path / "order"
    children = []
    try:
        with writer(path):
            children.append(_in_turn("slow", path, log))
            assert children[0].stdout.readline().startswith("waiting warehouse")
            (turn,) = [p for p in tmp_path.iterdir() if ".turn-" in p.name]
            _unrefreshed(turn)
            assert _refreshed(turn)  # it looked at the lock again
            children.append(_in_turn("later", path, log))
            assert f"waiting before this one: pid {children[0].pid} (scr" in children[1].stdout.readline()
        for child in children:
            child.communicate(timeout=60)
    finally:
        for child in children:
            child.kill()
    assert log.read_text().split() == ["slow", "later"]


def test_a_turn_kept_while_prefect_starts_stays_fresh(tmp_path):
    # scr run keeps its turn while Prefect starts (10 s, or minutes on a loaded machine) without looking at the lock:
    # a thread refreshes it, or a wave starting meanwhile would pass the run over as hung
    path = tmp_path / "w.duckdb"
    wait_free(path, keep_turn=True)
    try:
        (turn,) = [p for p in tmp_path.iterdir() if ".turn-" in p.name]
        _unrefreshed(turn)
        assert _refreshed(turn)
    finally:
        drop_kept_turn(path)
    assert not [p for p in tmp_path.iterdir() if ".turn-" in p.name]


def test_a_signal_inside_duckdbs_reading_of_a_registered_frame_counts_as_interrupted():
    """A Ctrl-C whose handler ran while DuckDB read a registered object came back as DuckDB's own error naming the
    KeyboardInterrupt (seen in CI: the snapshot's publish logged it as a failed publish and the run ended 0); other
    DuckDB errors, and a KeyboardInterrupt named in another kind of error, are not a stop."""
    from warehouse.db import interrupted

    said = "Invalid Input Error: reading the schema of the object registered as '_snap_keys' failed: KeyboardInterrupt: "
    assert interrupted(duckdb.InvalidInputException(said))
    assert interrupted(duckdb.InvalidInputException(said.replace("KeyboardInterrupt", "Terminated")))
    assert interrupted(RuntimeError("Query interrupted"))
    assert not interrupted(duckdb.InvalidInputException("Invalid Input Error: reading the schema failed: ValueError: x"))
    assert not interrupted(ValueError(said)) and not interrupted(duckdb.IOException("IO Error: disk full"))


def test_the_writer_fills_row_groups_of_row_group_size_and_its_cursors_see_the_warehouse(tmp_path):
    # a chunk's rows go to the file in row groups of ROW_GROUP_SIZE (DuckDB writes full ones straight to the file, so
    # the commit logs little); DuckDB keeps the size per opening, not in the file, so every opening must pass it
    path = tmp_path / "w.duckdb"
    rows = 50_000  # under DuckDB's own 122,880 rows per row group
    with writer(path) as con:
        con.execute("begin transaction")
        con.execute(f"create table t as select range as i from range({rows})")
        con.execute("commit")
        with cursor(con) as other:
            assert other.sql("select count(*) from t").fetchall() == [(rows,)]
    with connect(path) as con:
        con.execute(f"insert into t select range from range({rows})")
        con.execute("checkpoint")
        groups = con.sql("select count(distinct row_group_id) from pragma_storage_info('t')").fetchall()[0][0]
        assert groups > 1 and groups >= 2 * rows // ROW_GROUP_SIZE  # with DuckDB's 122,880 a checkpoint merges them into one
        assert con.sql("select current_database()").fetchall() == [("w",)]  # named as duckdb.connect(path) names it


def test_a_new_warehouse_opens_in_an_older_duckdb_and_a_file_already_in_a_newer_format_keeps_it(tmp_path):
    # an operator's DuckDB CLI (PyPI ships it up to 1.5) or another team's 1.x tool reads a warehouse this project made
    new = tmp_path / "new.duckdb"
    with writer(new) as con:
        con.execute("create table t as select range as i from range(1000)")
    done = older_cli(new, "select count(*) from t;")
    assert done.returncode == 0 and done.stdout.split() == ["1000"], done.stdout + done.stderr
    # a file some earlier release (or a bare duckdb.connect) wrote in DuckDB 2's own format opens as it is
    made = tmp_path / "made.duckdb"
    with duckdb.connect(str(made)) as bare:
        bare.execute("create table t as select range as i from range(10)")
    with writer(made) as con:
        con.execute("insert into t values (10)")
        assert con.sql("select count(*) from t").fetchall() == [(11,)]
    refused = older_cli(made, "select count(*) from t;")
    assert "newer version of DuckDB" in refused.stdout + refused.stderr


def test_a_pipe_in_the_warehouses_place_is_said_not_waited_on(tmp_path):
    """QA7: `scr status` on a named pipe hung: reading its headers waited for a writer that never came."""
    import os

    from warehouse.db import damage

    pipe = tmp_path / "w.duckdb"
    os.mkfifo(pipe)
    assert damage(pipe) == "it is not a regular file (a pipe, a device or a socket)"


def test_damage_tells_an_encrypted_duckdb_database_whole_or_cut_by_its_headers_flag(tmp_path):
    """QA7: an encrypted DuckDB database (another tool's) looked whole to the damage check: its main header's first
    flag says it is encrypted."""
    from tests.support.encrypted import encrypted
    from warehouse.db import ENCRYPTED_FILE

    path = tmp_path / "x.duckdb"
    encrypted(path, 300_000)
    assert damage(path) == ENCRYPTED_FILE
    os.truncate(path, path.stat().st_size // 2)
    assert damage(path) == ENCRYPTED_FILE


def test_a_turn_a_full_disk_refuses_is_refused_and_leaves_no_file(tmp_path, monkeypatch):
    """QA7: a command a full disk refused (its turn's few bytes not written) left its `.W.turn-new-*` file behind, one
    more per command refused so."""
    import errno

    import warehouse.db as db

    class Full:  # the turn's file, on a disk with no room left: its bytes are refused when written out
        def __init__(self, f) -> None:
            self.f = f

        def __getattr__(self, name: str):
            return getattr(self.f, name)

        def flush(self) -> None:
            raise OSError(errno.ENOSPC, "No space left on device")

        def close(self) -> None:
            self.f.close()
            raise OSError(errno.ENOSPC, "No space left on device")  # closing writes again what it holds

    monkeypatch.setattr(db, "open", lambda *a, **k: Full(open(*a, **k)), raising=False)  # noqa: SIM115
    path = tmp_path / "w.duckdb"
    for _ in range(2):
        with pytest.raises(OSError, match="No space left"):
            db.wait_free(path, 5, keep_turn=True)
    assert [p.name for p in tmp_path.iterdir()] == []


_KEEPS = """
import sys
from warehouse.db import keeping_turn, reader
path = sys.argv[1]
with keeping_turn(path):
    print('kept', flush=True)  # `scr run` starting Prefect: its turn kept, the lock not held
    input()
    with reader(path):  # its flow reads, in its kept turn
        print('reading', flush=True)
        input()
"""


def test_a_waiter_names_who_holds_the_warehouse_and_who_goes_before_it_truthfully(tmp_path):
    """QA9 F10: a run keeping its turn while Prefect started was listed as "waiting", after "in use by another
    process", when no process held the warehouse; while its flow read it, it was named twice."""
    path = tmp_path / "w.duckdb"
    with writer(path):
        pass
    child = subprocess.Popen([sys.executable, "-c", _KEEPS, str(path)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             text=True, cwd=Path(__file__).resolve().parents[2])  # fmt: skip
    try:
        assert child.stdout.readline().strip() == "kept"
        with pytest.raises(WarehouseBusy) as busy:
            with writer(path, wait_seconds=0):
                pass
        said = str(busy.value)
        assert said.startswith(f"warehouse {path} is held by no process this moment, but a command goes before this one: "
                               f"pid {child.pid} (scr "), said  # fmt: skip
        assert re.search(r", next: its turn kept since \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC while it starts\)", said), said
        assert "waiting since" not in said and "another process" not in said
        child.stdin.write("\n")
        child.stdin.flush()
        assert child.stdout.readline().strip() == "reading"
        with pytest.raises(WarehouseBusy) as busy:
            with writer(path, wait_seconds=0):
                pass
        said = str(busy.value)
        assert said.startswith(f"warehouse {path} is in use by pid {child.pid} on {socket.gethostname()} (scr "), said
        assert said.count(f"pid {child.pid}") == 1, said
        child.communicate("\n", timeout=60)
    finally:
        child.kill()
        child.wait()
