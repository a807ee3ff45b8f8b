"""Opening the warehouse: one writer at a time, who waits (bounded) and says who holds the file.

The writer takes an advisory lock on `<warehouse>.lock` for as long as it works, then opens DuckDB.
The lock file names its holder (pid, command, since when), so a second writer can say who it waits
for; the operating system releases the lock when the holder dies, even by SIGKILL. Readers never
open the live file: they read the analysts' snapshot (warehouse.snapshot).

Writers that must wait take turns, first come first served: each takes a turn, a file
`.<warehouse>.turn-<time>-<pid>-<id>` beside the warehouse that it holds locked while it waits, and
takes the writer lock only when no live turn older than its own is left. A wave that starts while an
operator's command waits therefore queues behind it rather than taking the lock the moment the last
wave lets go (the waiter polls, backing off to 10 s: without turns a later wave won, every time, and
the command could starve up to SCR_WAIT_SECONDS). A turn whose waiter died is unlocked by the operating
system, and the next waiter that finds it removes it.

A waiter refreshes its turn (the file's modification time) each time it looks at the lock, at least every
MAX_DELAY seconds; a turn kept for a writer to come (`wait_free(keep_turn=True)`) is refreshed by a thread of its
own. A turn not refreshed for TURN_STALE_SECONDS is passed over, as a stopped waiter's is: its waiter is alive but
hung (blocked on a dead mount, stuck in a call), and would otherwise hold every later writer to their time limit.
Turns only order the waiters; the writer lock is what keeps one writer, so a passed-over waiter that goes on simply
refreshes its turn and waits in its place again.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import glob
import json
import os
import re
import socket
import stat
import struct
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import duckdb

__all__ = ["ROW_GROUP_SIZE", "STORAGE_VERSION", "open_warehouse", "cursor", "WarehouseBusy", "WarehouseUnusable", "interrupted", "storage_failure", "damage", "connect", "writer", "reader", "rewrite", "stale_holder", "wait_free",
           "transaction", "lock_path", "holder", "writer_running", "drop_kept_turn", "keeping_turn", "process_stat",
           "MAX_DELAY", "TURN_STALE_SECONDS"]


def interrupted(exc: BaseException) -> bool:
    """DuckDB's answer to a Ctrl-C (SIGINT) or a SIGTERM that came during a query: the query stopped, its transaction
    is lost. Most often 'Query interrupted'; when the signal's handler ran inside DuckDB's reading of a Python object
    (a frame registered for the query), DuckDB wraps what the handler raised in its own error, naming it."""
    said = str(exc)
    return (isinstance(exc, RuntimeError) and said.startswith("Query interrupted")) or (
        isinstance(exc, duckdb.Error) and re.search(r"failed: (KeyboardInterrupt|Terminated|TerminationSignal)\b", said) is not None
    )


class WarehouseBusy(RuntimeError):
    """Another process holds the warehouse and did not let go in the time allowed."""


class WarehouseUnusable(RuntimeError):
    """The warehouse path is no DuckDB database: a folder, or a file of another kind (DuckDB's reason in the message)."""


# DuckDB's refusal of an encrypted database file (another tool's, not a warehouse this project writes): a catalog error
_ENCRYPTED = "Cannot open encrypted database"
ENCRYPTED_FILE = "it is an encrypted DuckDB database (another tool's file, not a warehouse scr writes)"


def _unusable(path: Path, exc: Exception) -> WarehouseUnusable:
    reason = str(exc).split("\n", 1)[0].removeprefix("IO Error: ").removeprefix("Catalog Error: ")
    if _ENCRYPTED in reason:
        reason = ENCRYPTED_FILE
    return WarehouseUnusable(f"warehouse {path} cannot be opened as a DuckDB database: {reason}")


# what the operating system says when a file cannot be written: a full disk, a file size limit (`ulimit -f`), a quota,
# a read-only file system or folder (a mode that forbids the write: EACCES; an immutable file or folder, `chattr +i`:
# EPERM, which QA found said as a traceback, session 33)
_STORAGE_REASONS = ("No space left on device", "File too large", "Disk quota exceeded", "Read-only file system", "Permission denied",
                    "Operation not permitted")
_ERRNOS = {errno.ENOSPC, errno.EFBIG, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM}
_DUCKDB_FILE = re.compile(r'(?:Could not|Cannot|Failed to) [a-z ]*?(?:file|directory) "([^"]+)"(?:[^:"]*): ([^"\n]+)')


def storage_failure(exc: BaseException) -> str | None:
    """One line naming the file and the reason when `exc` is a write to storage that failed (disk full, file too large,
    quota, read-only), whether DuckDB's (also a database DuckDB invalidated after such a failure) or Python's; else None.
    """
    for e in _chain(exc):
        if isinstance(e, OSError) and e.errno in _ERRNOS:
            return f"cannot write {e.filename or 'a file'}: {e.strerror or e}"
        if isinstance(e, duckdb.Error):
            found = _DUCKDB_FILE.search(str(e))
            if found and any(r in found.group(2) for r in _STORAGE_REASONS):
                return f"cannot write {found.group(1)}: {found.group(2).strip().rstrip('.')}"
    return None


def _chain(exc: BaseException | None) -> Iterator[BaseException]:
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        yield exc
        exc = exc.__cause__ or exc.__context__


# DuckDB's file (storage/single_file_block_manager.cpp, storage/metadata): a main header, "DUCK" after its 8-byte
# checksum, then two database headers, each a block of _HEADER bytes whose fields (after its checksum) start with
# iteration, meta block, free list, block count and block size; the newer (higher iteration) is current. The blocks
# follow the three headers, each its checksum first. The free list is metadata: a pointer (sub-block index in its top
# byte, block id below) to one of the _PARTS sub-blocks of a metadata block, each the next sub-block's pointer first.
_HEADER = 4096
_MAGIC = b"DUCK"
# the main header's fields after "DUCK": its version (8 bytes), then its flags, the first of which says the database is
# encrypted (MainHeader::ENCRYPTED_DATABASE_FLAG): such a file was said whole by `scr status` (QA7)
_FLAGS = 8 + 4 + 8
_ENCRYPTED_FLAG = 1
_BLOCK_HEADER = 8
_PARTS = 64
_NONE = (1 << 64) - 1


class _Unknown(Exception):
    """What the headers say cannot be read (a later DuckDB's format, an encrypted file): nothing is claimed."""


def damage(path: Path | str) -> str | None:
    """Why the live warehouse file cannot be read, from its headers, its free list and its size alone; None when it
    looks whole.

    Takes no lock and never opens DuckDB, so a writer holding the file (a run) is neither held up nor turned away, as
    the analysts' snapshot lets the commands that only read go on meanwhile: "busy" is no damage. It finds a file cut
    short (a copy or a restore that stopped, a disk that filled while it was copied), which DuckDB itself opens and
    then fails on the first table past the cut, and a file that is no DuckDB database at all (empty, another kind).
    The header's block count is not enough: DuckDB cuts free blocks off the file's end after it writes the header
    that still counts them, so the blocks in use are what the file must hold. A file that looks whole may still hold
    a damaged block: only reading every block tells, which a run does."""
    path = Path(path)
    try:
        if path.exists() and not path.is_dir() and not stat.S_ISREG(path.stat().st_mode):
            return "it is not a regular file (a pipe, a device or a socket)"  # opening a pipe waited for a writer (QA7)
    except OSError as exc:
        return f"it cannot be opened ({exc.strerror or exc})"
    for _ in range(2):  # a writer trims the file just after it writes a new header: a header read before, a size after
        try:
            with open(path, "rb") as f:
                size = os.fstat(f.fileno()).st_size
                head = f.read(3 * _HEADER)
                if not size:
                    return "it is empty (0 bytes)"
                if head[8:12] != _MAGIC:
                    return f"it is not a DuckDB database file (its {size} bytes do not start as one)"
                if len(head) >= _FLAGS + 8 and struct.unpack_from("<Q", head, _FLAGS)[0] & _ENCRYPTED_FLAG:
                    return ENCRYPTED_FILE  # whole or cut: this project cannot open it
                if len(head) < 3 * _HEADER:
                    return f"it is cut short: {size} bytes, less than DuckDB's headers alone"
                needed, exact = _needed(f, head)
        except IsADirectoryError:
            return "it is a folder"
        except OSError as exc:
            return f"it cannot be opened ({exc.strerror or exc})"
        except _Unknown:
            return None  # DuckDB says what it makes of the file when it opens it
        if size >= needed:
            return None
    if not exact:  # which blocks are in use the free list says, which is past the end: no figure is known (QA7)
        if size <= 3 * _HEADER:
            return f"it is cut short: {size} bytes, DuckDB's headers alone: its blocks in use are past its end"
        return f"it is cut short: {size} bytes: the list of its free blocks and blocks in use are past its end"
    return f"it is cut short: {size} bytes of the {needed} its blocks in use take"


def _needed(f, head: bytes) -> tuple[int, bool]:
    """The bytes the file must have: up to the end of its last block in use (the current header's, not on its free
    list), and whether that is known; a free list past the file's end needs at least its own block (not known: the
    blocks in use past it are what it lists)."""
    _, _, free, blocks, size = max(struct.unpack_from("<5Q", head, at + 8) for at in (_HEADER, 2 * _HEADER))
    if not (_HEADER <= size <= 1 << 30 and size & (size - 1) == 0 and blocks < 1 << 40):
        raise _Unknown
    part = (size - _BLOCK_HEADER) // _PARTS // 8 * 8
    unused: set[int] = set()
    if free != _NONE:
        stream, pointer = b"", free
        while len(stream) < 8 or len(stream) < 8 + 8 * struct.unpack_from("<Q", stream)[0]:
            block, index = pointer & ((1 << 56) - 1), pointer >> 56
            if pointer == _NONE or block >= blocks or index >= _PARTS:
                raise _Unknown
            f.seek(3 * _HEADER + block * size + _BLOCK_HEADER + index * part)
            read = f.read(part)
            if len(read) < part:  # the free list's own block is past the end: the file lacks it at least
                return 3 * _HEADER + (block + 1) * size, False
            pointer, stream = struct.unpack_from("<Q", read)[0], stream + read[8:]
            if struct.unpack_from("<Q", stream)[0] > blocks:
                raise _Unknown
        count = struct.unpack_from("<Q", stream)[0]
        unused = set(struct.unpack_from(f"<{count}q", stream, 8))
    last = blocks - 1
    while last >= 0 and last in unused:
        last -= 1
    return 3 * _HEADER + (last + 1) * size, True


def lock_path(path: Path | str) -> Path:
    path = Path(path)
    return path.with_name(path.name + ".lock")


def holder(path: Path | str) -> str:
    """Who holds (or last held) the warehouse, as the lock file says."""
    try:
        info = json.loads(lock_path(path).read_text() or "{}")
    except (OSError, ValueError):
        return "another process"
    if not info:
        return "another process"
    return f"pid {info.get('pid')} on {info.get('host')} ({info.get('command')}, since {info.get('since')})"


def writer_running(path: Path | str, locks: Path = Path("/proc/locks")) -> bool | None:
    """Whether a process holds the warehouse's writer lock now, as this machine's kernel lists its locks.

    Asks without taking the lock (taking it, even briefly, could turn a starting writer away). None when
    it cannot be told: no lock file (no writer ever), no lock table (not Linux), or the last holder ran on
    another host (its lock is that host's to list).
    """
    lock = lock_path(path)
    try:
        st = lock.stat()
        table = locks.read_text()
        info = json.loads(lock.read_text() or "{}")
    except (OSError, ValueError):
        return None
    if not isinstance(info, dict) or info.get("host", socket.gethostname()) != socket.gethostname():
        return None
    device = f"{os.major(st.st_dev):02x}:{os.minor(st.st_dev):02x}:{st.st_ino}"
    for line in table.splitlines():
        # "1: FLOCK  ADVISORY  WRITE 4242 fe:00:2228471 0 EOF"; a process waiting for it is "1: -> FLOCK ..."
        parts = line.split()
        if len(parts) >= 6 and parts[1] == "FLOCK" and parts[3] == "WRITE" and parts[5] == device:
            return True
    return False


def _try_lock(path: Path):
    """The locked file object, or None when another process holds the lock."""
    lock = lock_path(path)
    f = open(lock, "a+")  # noqa: SIM115 - held for the writer's whole life
    try:
        fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        f.close()
        return None
    f.seek(0)
    f.previous = f.read()  # what the last holder wrote: a holder that let go cleared it (see _let_go)
    f.seek(0)
    f.truncate()
    f.write(json.dumps({**_this_process(), "host": socket.gethostname(), "clears": True}))  # its name goes as it lets go
    f.flush()
    return f


# Rows per row group of the warehouse's tables: DuckDB writes a transaction's full row groups straight to the file
# (its log then holds where they are), so with row groups a chunk's inserts fill, its commit logs little and the
# checkpoints every CHECKPOINT_THRESHOLD of log, which rewrite more than the changes, come seldom. With DuckDB's
# 122,880 most of a 40,000-record chunk's rows went through the log and again through a checkpoint: on the 1M bench
# zone the writer's commits took 38-47 s of a run, with 16,384 8 s, its inserts 13-18 s -> 27-32 s, the file about
# 30% larger (benchmarks/HISTORY.md, session 22). DuckDB keeps the size per attached database, not in the file, so
# every opening of the warehouse passes it (a checkpoint with another size merges the row groups again).
ROW_GROUP_SIZE = 16384


# The storage format a new warehouse file is written in: DuckDB 1.4 and later read it (an operator's DuckDB CLI, which
# PyPI's duckdb-cli ships only up to 1.5; another team's tool on a 1.x release), where DuckDB 2's own format is read by
# DuckDB 2 only. A file already in a newer format keeps it (DuckDB never lowers a file's format).
STORAGE_VERSION = "v1.4.0"


_RESERVED = {"memory", "temp", "system", "main"}  # catalog names DuckDB keeps (an attached "temp.duckdb" is "temp_db")


def open_warehouse(path: Path | str, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """The warehouse file attached with ROW_GROUP_SIZE under the file's stem (as DuckDB's `connect(path)` names it),
    its spill files beside it (`<file>.tmp`, DuckDB's default for a database file)."""
    path = Path(path)
    con = duckdb.connect(":memory:")
    try:
        name = _quoted(path.stem + ("_db" if path.stem.lower() in _RESERVED else ""))
        options = f"row_group_size {ROW_GROUP_SIZE}" + (", read_only" if read_only else _storage_version(path))
        con.execute(f"attach {_quoted(str(path), chr(39))} as {name} ({options})")
        con.execute(f"use {name}")
        con.execute(f"set temp_directory = {_quoted(str(path) + '.tmp', chr(39))}")
    except BaseException:
        con.close()
        raise
    return con


def _storage_version(path: Path) -> str:
    """The attach option that writes a new (missing or empty) file in STORAGE_VERSION; nothing for a file that exists."""
    return "" if path.exists() and path.stat().st_size else f", storage_version '{STORAGE_VERSION}'"


def cursor(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    """A cursor of the warehouse's connection (for work on another thread), in the warehouse: a cursor of a connection
    open_warehouse made starts in DuckDB's in-memory catalog, not the attached file (`use` is per cursor). Asks only
    the new cursor, so threads may call it at once."""
    cur = con.cursor()
    names = cur.execute("select database_name from duckdb_databases() where path is not null and not internal").fetchall()
    if len(names) == 1:
        cur.execute(f"use {_quoted(names[0][0])}")
    return cur


def _open(path: Path, read_only: bool = False) -> tuple[duckdb.DuckDBPyConnection | None, str]:
    """DuckDB's own lock: a process that opened the live file directly (a notebook) also holds it."""
    try:
        return open_warehouse(path, read_only=read_only), ""
    except duckdb.IOException as exc:
        if "lock" in str(exc).lower():
            return None, _duckdb_holder(exc)
        raise _unusable(path, exc) from None
    except duckdb.CatalogException as exc:
        if _ENCRYPTED in str(exc):
            raise _unusable(path, exc) from None
        raise


def _let_go(lock) -> None:
    """Clear the holder's name and release the lock: a name left in the file is a holder that never let go (killed)."""
    try:
        lock.seek(0)
        lock.truncate()
    except OSError:
        pass
    lock.close()


def stale_holder(lock) -> str | None:
    """Who held the lock last and never let go of it (killed, or its machine stopped), as they named themselves; None
    when the last holder let go, or the name is not this machine's process (another host's, or one still running)."""
    try:
        info = json.loads(getattr(lock, "previous", "") or "{}")
        pid = int(info["pid"])
    except (ValueError, KeyError, TypeError):
        return None
    if not info.get("clears") or info.get("host") != socket.gethostname() or pid == os.getpid():
        return None  # a holder that never cleared its name (an earlier version) says nothing by leaving it
    try:
        os.kill(pid, 0)
        return None  # alive: it let go (a version that did not clear its name), or the number was given again
    except ProcessLookupError:
        return f"pid {pid} ({info.get('command')}, since {info.get('since')})"
    except OSError:
        return None


def _turns(path: Path) -> list[Path]:
    """The turns taken for the warehouse, oldest first (the name's time is zero-padded: names sort as times)."""
    return sorted(path.parent.glob(f".{glob.escape(path.name)}.turn-[0-9]*"))


def _this_process() -> dict:
    """How this process names itself in the lock file and in its turn: pid, command line (as typed), since when."""
    return {"pid": os.getpid(), "command": " ".join(["scr", *sys.argv[1:]])[:200],
            "since": datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")}  # fmt: skip


def _take_turn(path: Path):
    """A turn in the queue for the writer lock: a file locked for as long as its waiter waits (or lives)."""
    while True:
        fresh = path.with_name(f".{path.name}.turn-new-{uuid.uuid4().hex[:8]}")
        f = open(fresh, "x")  # noqa: SIM115 - held while this process waits
        try:
            fcntl.flock(f, fcntl.LOCK_EX)  # a file no one else knows yet: at once
            f.write(json.dumps(_this_process()))
            f.flush()
        except BaseException:  # a full disk refuses the write: the command is refused, its turn file goes (QA7)
            with contextlib.suppress(OSError):
                f.close()  # which writes again what the write could not
            fresh.unlink(missing_ok=True)
            raise
        named = path.with_name(f".{path.name}.turn-{time.time_ns():020d}-{os.getpid()}-{uuid.uuid4().hex[:6]}")
        try:
            os.rename(fresh, named)  # in the queue only once locked: a turn found unlocked is a dead waiter's
        except FileNotFoundError:
            f.close()
            continue
        f.turn = named
        return f


MAX_DELAY = 10.0  # the longest a waiter sleeps between looks at the lock (its backoff's ceiling)
# A turn not refreshed for this long is passed over: six looks missed by a waiter at its longest sleep, so a healthy
# waiter on a loaded machine keeps its place, and a hung one holds no one back for more than a minute.
TURN_STALE_SECONDS = 60.0


def _refresh(turn) -> None:
    """Say this waiter is still there: its turn's modification time set to now, by this machine's clock (not a
    file server's, which the waiters comparing it need not share)."""
    if turn is not None:
        now = time.time()
        try:
            os.utime(turn.turn, (now, now))
        except OSError:
            pass  # dropped meanwhile (a kept turn used up while the keeper thread refreshed it)


def _stale(f) -> bool:
    """Whether the turn open as `f` went unrefreshed for TURN_STALE_SECONDS."""
    return time.time() - os.fstat(f.fileno()).st_mtime > TURN_STALE_SECONDS


def _drop_turn(turn) -> None:
    if turn is not None:
        Path(turn.turn).unlink(missing_ok=True)
        turn.close()


def process_stat(pid: object) -> list[str] | None:
    """The fields of /proc/PID/stat after the command's name (its state first, its start time at 19), or None where
    they cannot be read (no such process, not Linux). The name, in parentheses, may hold spaces and parentheses."""
    try:
        fields = Path(f"/proc/{int(pid)}/stat").read_text().rsplit(") ", 1)[1].split()
    except (OSError, TypeError, ValueError, IndexError):
        return None
    return fields or None


def _suspended(pid: object) -> bool:
    """Whether this process is stopped (Ctrl-Z in its terminal, SIGSTOP): its turn is passed over until it goes on,
    or a command suspended while it waited would hold every later writer, the nightly wave too, to their time limit.
    False where it cannot be told (no /proc)."""
    fields = process_stat(pid)
    return fields is not None and fields[0] in ("T", "t")


def _ahead(path: Path, mine) -> list[dict]:
    """The live turns taken before `mine` (every live turn when this process has none yet), oldest first, as their
    waiters named themselves; the turns of waiters that died are removed, those of waiters stopped or hung (their turn
    not refreshed for TURN_STALE_SECONDS) are passed over."""
    ahead = []
    for turn in _turns(path):
        if mine is not None and turn.name >= Path(mine.turn).name:
            break
        try:
            f = open(turn)  # noqa: SIM115 - closed below
        except FileNotFoundError:
            continue  # its waiter got the lock, or gave up
        with f:
            try:
                fcntl.flock(f, fcntl.LOCK_SH | fcntl.LOCK_NB)
            except BlockingIOError:  # its waiter holds it: alive, and waiting
                try:
                    info = json.loads(f.read() or "{}")
                except ValueError:
                    info = {}
                info = info if isinstance(info, dict) else {}
                if not _suspended(info.get("pid")) and not _stale(f):
                    ahead.append(info)
                continue
            turn.unlink(missing_ok=True)  # nobody holds it: its waiter died without dropping it
    return ahead


def _queued(path: Path, ahead: list[dict]) -> str:
    """Who holds the warehouse and who waits before this command, truthfully (QA9 F10: a run keeping its turn while
    Prefect started was listed as "waiting", after "in use by another process", when no process held it): the holder
    as its lock file names it, where the kernel's lock table says one holds it (or cannot tell), else that no one
    does; a turn kept (`_keep`) as the command that goes next; the holder's own turn (a flow's reader borrows it) left
    out. Said after "warehouse W "."""
    held = writer_running(path) is not False
    who = holder(path) if held else None
    pid = _holder_pid(path) if held else None
    ahead = [a for a in ahead if pid is None or a.get("pid") != pid]
    if not ahead:
        return f"is in use by {who or 'another process'}"

    def one(a: dict) -> str:
        if a.get("kept"):  # its waiter got its turn and holds it while it starts (or reads), then writes
            return f"pid {a.get('pid')} ({a.get('command')}, next: its turn kept since {a.get('kept')} while it starts)"
        return f"pid {a.get('pid')} ({a.get('command')}, waiting since {a.get('since')})"

    first = ", ".join(one(a) for a in ahead[:3])
    more = f" and {len(ahead) - 3} more" if len(ahead) > 3 else ""
    some = "a command" if len(ahead) == 1 else "commands"
    if who is None:
        return f"is held by no process this moment, but {some} {'goes' if len(ahead) == 1 else 'go'} before this one: {first}{more}"
    waiting = "" if any(a.get("kept") for a in ahead) else " waiting"
    return f"is in use by {who}, and {some}{waiting} before this one: {first}{more}"


def _holder_pid(path: Path) -> int | None:
    """The pid the lock file names (its holder now, or a writer killed), or None."""
    try:
        info = json.loads(lock_path(path).read_text() or "{}")
    except (OSError, ValueError):
        return None
    return info.get("pid") if isinstance(info, dict) else None


_kept: dict[str, object] = {}  # turns kept by wait_free(keep_turn=True) for this process's next writer of that path
_keeper: threading.Thread | None = None


def _keep(path: Path, turn) -> None:
    """Keep `turn` for this process's next writer of `path`, refreshed meanwhile: the process is starting Prefect or
    reading, not looking at the lock, and must not be passed over as hung. The turn says so (`kept`: since when), so a
    later waiter names it as the command that goes next, not as one waiting."""
    global _keeper
    try:  # longer than what it replaces: written over it whole
        turn.seek(0)
        turn.write(json.dumps({**_this_process(), "kept": datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")}))
        turn.truncate()
        turn.flush()
    except OSError:
        pass  # a full disk: it is named as waiting, as before
    _kept[str(path)] = turn
    if _keeper is None:
        _keeper = threading.Thread(target=_keep_fresh, name="scr-kept-turns", daemon=True)
        _keeper.start()


def _keep_fresh() -> None:
    while True:  # a daemon: it ends with the process; with no turn kept it only sleeps
        time.sleep(MAX_DELAY / 2)
        for turn in list(_kept.values()):
            _refresh(turn)


class _Wait:
    """A bounded wait for the warehouse: says once whom it waits for, looks again after a delay that doubles up to
    MAX_DELAY, and gives up with WarehouseBusy after `seconds`. A waiter takes its turn (`_take_turn`) as it starts to
    wait, and refreshes it each time it looks (`then`)."""

    def __init__(self, path: Path, seconds: float, on_wait: Callable[[str], None] | None) -> None:
        self.path, self.seconds, self.on_wait = path, seconds, on_wait
        self.deadline, self.delay, self.told = time.monotonic() + seconds, 0.2, False

    def turn(self, turn):
        """This waiter's turn: the one it has, or one taken now (none when it may not wait at all)."""
        return turn if turn is not None or self.seconds <= 0 else _take_turn(self.path)

    def then(self, who: str, lock=None, turn=None) -> None:
        """Wait a while for `who` (letting go of `lock` first when giving up), or raise WarehouseBusy if time is up;
        `turn` is refreshed: this waiter still looks."""
        if time.monotonic() >= self.deadline:
            if lock is not None:
                _let_go(lock)
            raise WarehouseBusy(
                f"warehouse {self.path} {who}; waited {self.seconds:.0f} s "
                "(set SCR_WAIT_SECONDS to wait longer; analysts read the snapshot, see `scr query`)"
            )
        if self.on_wait and not self.told:
            self.on_wait(f"warehouse {self.path} {who}: waiting up to {self.seconds:.0f} s")
            self.told = True
        _refresh(turn)
        time.sleep(min(self.delay, max(0.0, self.deadline - time.monotonic())))
        self.delay = min(self.delay * 2, MAX_DELAY)


def drop_kept_turn(path: Path | str) -> None:
    """Give up the turn `wait_free(keep_turn=True)` kept, if this process's writer has not used it."""
    _drop_turn(_kept.pop(str(Path(path)), None))


@contextmanager
def keeping_turn(
    path: Path | str, wait_seconds: float = 0, on_wait: Callable[[str], None] | None = None,
    on_stale: Callable[[str], None] | None = None,
) -> Iterator[None]:
    """For a flow that reads the warehouse, lets go, then writes it: wait in turn (`wait_free`) and keep this process's
    place in the queue until its writer uses it or the block ends, so no one who came later takes the warehouse in
    between. A place already kept (by the command that started the flow: `scr retire-sync`) is used as it is."""
    if str(Path(path)) in _kept:
        yield
        return
    wait_free(path, wait_seconds, on_wait, on_stale, keep_turn=True)
    try:
        yield
    finally:
        drop_kept_turn(path)  # its writer used it (a dry run's reader only borrowed it), or the writer never came


CHECKPOINT_THRESHOLD = "256MB"


@contextmanager
def writer(
    path: Path | str, wait_seconds: float = 0, on_wait: Callable[[str], None] | None = None,
    on_stale: Callable[[str], None] | None = None,
) -> Iterator[duckdb.DuckDBPyConnection]:
    """The warehouse's single read-write connection, held until the block ends.

    Waits up to `wait_seconds` (backing off from 0.2 s to 10 s) while another process holds the
    lock or the file, telling `on_wait` whom it waits for; then raises WarehouseBusy naming them.
    WarehouseUnusable when the path is a folder or a file DuckDB cannot open (no lock file is left beside a folder).
    `on_stale` is told when the last holder never let go (killed): what it had not committed left nothing.
    """
    with _held(Path(path), wait_seconds, on_wait, read_only=False, on_stale=on_stale) as con:
        yield con


@contextmanager
def reader(
    path: Path | str, wait_seconds: float = 0, on_wait: Callable[[str], None] | None = None
) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only connection to the live file, for a flow that reads before it writes: it waits for a writer
    as `writer` does (DuckDB lets no reader in beside one), holding the lock while it reads; nothing is written."""
    with _held(Path(path), wait_seconds, on_wait, read_only=True) as con:
        yield con


@contextmanager
def _held(
    path: Path, wait_seconds: float, on_wait: Callable[[str], None] | None, read_only: bool,
    on_stale: Callable[[str], None] | None = None,
) -> Iterator[duckdb.DuckDBPyConnection]:
    if path.is_dir():
        raise WarehouseUnusable(f"warehouse {path} is a folder: give the DuckDB file (e.g. {path / 'scr.duckdb'})")
    path.parent.mkdir(parents=True, exist_ok=True)
    wait, lock, con = _Wait(path, wait_seconds, on_wait), None, None
    # the place `scr run`'s (or `scr retire-sync`'s) wait_free kept in the queue: a reader borrows it (the flow reads
    # before it writes, and no one may take the lock in between), the writer uses it up
    turn = _kept.get(str(path)) if read_only else _kept.pop(str(path), None)
    borrowed = read_only and turn is not None
    try:
        while True:
            ahead = [] if lock is not None else _ahead(path, turn)
            if not ahead:  # no one waiting came first
                lock = lock or _try_lock(path)
            if lock is not None:
                try:
                    con, direct = _open(path, read_only)
                except WarehouseUnusable:
                    _let_go(lock)  # let go: the next writer in this process must not wait for a lock nobody uses
                    raise
                if con is not None:
                    break
            turn = wait.turn(turn)  # this one waits: in turn, behind those that came first
            who = (
                _queued(path, ahead) if lock is None
                else f"is in use by another process, {direct}, that opened the file directly (close it; analysts read the snapshot)"
            )  # fmt: skip
            wait.then(who, lock, turn)
    finally:
        if not borrowed:
            _drop_turn(turn)  # the lock is this one's (or it gave up): the next in turn goes next
    # a wave commits a chunk at a time: checkpoint every 256 MB of log rather than DuckDB's 16 MB, so a
    # commit does not also rewrite the file's metadata (a cost that grows with the warehouse) every chunk;
    # committed chunks are as durable either way (the log is replayed on the next open)
    if not read_only:
        con.execute(f"set checkpoint_threshold = '{CHECKPOINT_THRESHOLD}'")
    _tell_stale(lock, path, on_stale)
    try:
        yield con
    finally:
        con.close()
        _let_go(lock)


def rewrite(path: Path | str, wait_seconds: float = 0, on_wait: Callable[[str], None] | None = None) -> None:
    """Copy the warehouse into a new file and put that in its place, as its writer (waiting as `writer` does).

    DuckDB keeps what an update or a delete replaced in the file's free blocks until they are used again: after a
    rekey those bytes are the old key's hashes, readable by anyone with a copy of the file. The new file holds only
    what the tables hold now (every table, view and key); the old one is gone once replaced. A copy left by a
    rewrite that was killed is deleted by the next.
    """
    path = Path(path)
    fresh = path.with_name(f".{path.name}.rewrite-{uuid.uuid4().hex[:8]}")
    with _held(path, wait_seconds, on_wait, read_only=False) as con:
        # under the lock: a rewrite still running holds it, so only a killed one's copy is left over
        for leftover in path.parent.glob(f".{glob.escape(path.name)}.rewrite-*"):
            leftover.unlink(missing_ok=True)
        try:
            name = con.sql("select current_database()").fetchall()[0][0]
            con.execute(f"attach {_quoted(str(fresh), chr(39))} as scr_rewrite (row_group_size {ROW_GROUP_SIZE}{_storage_version(fresh)})")
            con.execute(f"copy from database {_quoted(name)} to scr_rewrite")
            con.execute("detach scr_rewrite")  # written whole and closed
            os.chmod(fresh, path.stat().st_mode & 0o7777)  # as private as the file it replaces
            con.close()  # the old file let go (its log checkpointed) before it is replaced; the lock is still held
            os.replace(fresh, path)
        finally:
            fresh.unlink(missing_ok=True)
            fresh.with_name(fresh.name + ".wal").unlink(missing_ok=True)


def _quoted(name: str, quote: str = '"') -> str:
    return quote + name.replace(quote, quote * 2) + quote


def _tell_stale(lock, path: Path, on_stale: Callable[[str], None] | None) -> None:
    stale = stale_holder(lock) if on_stale else None
    if stale:
        on_stale(f"the last writer of {path}, {stale}, ended without letting go of it (killed?): what it had not "
                 "committed left nothing; taking over")  # fmt: skip


def checkpoint(con: duckdb.DuckDBPyConnection) -> None:
    """Write the log's committed changes into the file now (DuckDB's CHECKPOINT), best on a cursor of its own.

    Readers on other cursors go on meanwhile, and a commit made meanwhile waits for it; what is committed
    later is checkpointed when the writer closes."""
    con.execute("checkpoint")


def _duckdb_holder(exc: Exception) -> str:
    """The process DuckDB names in its lock error ("... is held in /usr/bin/python3 (PID 123)")."""
    found = re.search(r"held in (.+?) \(PID (\d+)\)", str(exc))
    return f"pid {found.group(2)} ({Path(found.group(1)).name})" if found else "another process"


def connect(path: Path | str, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Open the file directly (tests and tools on a quiet warehouse); WarehouseBusy if another process holds it."""
    path = Path(path)
    try:
        return open_warehouse(path, read_only=read_only)
    except duckdb.IOException as exc:
        if "lock" in str(exc).lower():
            raise WarehouseBusy(f"warehouse {path} is in use by another process, {_duckdb_holder(exc)}") from exc
        raise _unusable(path, exc) from None
    except duckdb.CatalogException as exc:
        if _ENCRYPTED in str(exc):
            raise _unusable(path, exc) from None
        raise


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """One transaction: everything inside commits together or not at all (no nesting in DuckDB)."""
    con.execute("begin transaction")
    try:
        yield con
    except BaseException:
        con.execute("rollback")
        raise
    con.execute("commit")


def wait_free(
    path: Path | str, wait_seconds: float = 0, on_wait: Callable[[str], None] | None = None,
    on_stale: Callable[[str], None] | None = None, keep_turn: bool = False,
) -> None:
    """Return once no other writer holds the warehouse and no waiter came first (WarehouseBusy after `wait_seconds`);
    holds no lock after. `on_stale` as for `writer`. With `keep_turn`, the place this process took in the queue is
    kept for its next `writer` of the path (a flow run in this process: `scr run` waits here before Prefect starts),
    so a wave starting meanwhile queues behind it; `drop_kept_turn` gives it up if that writer never comes."""
    path = Path(path)
    if not path.parent.exists():
        return
    drop_kept_turn(path)
    wait = _Wait(path, wait_seconds, on_wait)
    turn = _take_turn(path) if keep_turn else None  # its place: taken as it arrives
    try:
        while True:
            ahead, who = _ahead(path, turn), ""
            lock = None if ahead else _try_lock(path)
            if lock is not None:
                try:
                    con, direct = _open(path) if path.exists() else (None, "")
                    if con is not None or not direct:
                        _tell_stale(lock, path, on_stale)
                finally:
                    _let_go(lock)
                if con is not None or not direct:
                    if con is not None:
                        con.close()
                    if keep_turn:
                        _keep(path, turn)
                        turn = None
                    return
                who = f"is in use by another process, {direct}, that opened the file directly (close it; analysts read the snapshot)"
            turn = wait.turn(turn)
            wait.then(who or _queued(path, ahead), turn=turn)
    finally:
        _drop_turn(turn)
