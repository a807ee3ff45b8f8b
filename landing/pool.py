"""Landing files parsed in other processes: lxml, json and csv hold the GIL, so two threads reading parse one
file at a time. A small pool of worker processes parses a large batch's files at once and sends back frames;
the caller types and finishes them, and keeps the hash key: parsing needs none, so it never leaves.

Measured on the shared 2-core machine (benchmarks/readers.py): with the cores otherwise idle (load about 2.5)
two reading threads took 29 µs per record with a pool of two and 41 µs without; with the cores busy (load 7
to 12) the pool was 10-40% slower, its processes competing for them. A whole wave on an otherwise idle
machine is faster with it (308k records: 42.8 s with a pool of two, 47.7 s without: the flow process's
threads share one GIL, which parsing would otherwise hold). A 1M wave's peak memory once rose from 2.6 GB
to 3.9-4.6 GB with it: written chunks' frames waited in reference cycles for the cycle collector (fixed in
flows.journey.ChunkResult.release and landing.errors.Failures); since, the process tree peaks at 2.5 GB with
the pool against 2.1 GB without, and five alternating pairs of 1M waves showed no steady gain (94-127 s with
it, 100-120 s without). On a quiet machine the pool was 3-7% faster from 100k to 1M records in alternating
pairs (benchmarks/HISTORY.md), so a wave now parses in a pool of two (flows.settings parse_processes;
SCR_PARSE_PROCESSES=0 turns it off).

Workers are plain Python processes running `serve`, talking pickle over their stdin and stdout, not
multiprocessing's: those re-import the caller's main script in every worker, which runs an unguarded script
twice. A worker exits when its stdin closes, so it never outlives the process that started it, even killed.

`sized(n)` sets the pool's size for a while (a wave does, from its settings); otherwise `SCR_PARSE_PROCESSES` does
(outside a wave, unset or 0: files are parsed in the calling thread).
"""

from __future__ import annotations

import atexit
import multiprocessing
import os
import pickle
import queue
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

__all__ = ["MIN_BYTES", "Broken", "Worker", "sized", "processes", "run", "serve", "worker_pids", "shutdown"]

T = TypeVar("T")
R = TypeVar("R")

# below this many bytes of files a batch parses in the calling thread: a round trip costs more than it saves
MIN_BYTES = 2 << 20
_ROOT = str(Path(__file__).resolve().parents[1])  # the folder holding this `landing`: workers import the same code
_lock = threading.Lock()
_workers: list[Worker] = []
_idle: queue.SimpleQueue[Worker] = queue.SimpleQueue()


class Broken(Exception):
    """A worker died or its stream broke: the caller does the work in its own process instead."""


_configured: int | None = None


def _configure(size: int | None) -> None:
    """Set the pool's size for this process (None: back to SCR_PARSE_PROCESSES)."""
    global _configured
    _configured = None if size is None else max(0, int(size))


@contextmanager
def sized(size: int | None) -> Iterator[None]:
    """The pool at this size for the duration (a wave), then as it was; workers started meanwhile are stopped
    (a long-lived process, `scr serve`, keeps no idle parsers between waves)."""
    before = _configured
    _configure(size)
    try:
        yield
    finally:
        _configure(before)
        if size:
            shutdown()


def processes() -> int:
    """The pool's size: as configured, else SCR_PARSE_PROCESSES (default 0, no pool); always 0 in a daemonic
    process (a Dask worker: one of several processes already, each reading in its own thread)."""
    if multiprocessing.current_process().daemon:
        return 0
    if _configured is not None:
        return _configured
    raw = os.environ.get("SCR_PARSE_PROCESSES", "").strip()
    return max(0, int(raw)) if raw else 0


# the hash key never reaches a parser: parsing needs none, and a process without it cannot leak it
_KEY_VARIABLES = ("SCR_HASH_KEY", "SCR_HASH_KEY_FILE")


class Worker:
    """One worker process (`serve`): `call(fn, arg)` runs a module-level function there. Not for two threads at once."""

    def __init__(self) -> None:
        env = {k: v for k, v in os.environ.items() if k.upper() not in _KEY_VARIABLES}
        env["PYTHONPATH"] = os.pathsep.join([_ROOT, *([env["PYTHONPATH"]] if env.get("PYTHONPATH") else [])])
        env.setdefault("POLARS_MAX_THREADS", "1")  # the workers are the parallelism: no thread pool each on top
        self.proc = subprocess.Popen(
            [sys.executable, "-c", "from landing.pool import serve; serve()"], stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, env=env,
            # a session of its own: a terminal's Ctrl-C stops the run that uses it, which then closes its input
            start_new_session=True,
        )

    def call(self, fn: Callable, arg: object) -> object:
        try:
            pickle.dump((fn, arg), self.proc.stdin, protocol=pickle.HIGHEST_PROTOCOL)
            self.proc.stdin.flush()
            ok, value = pickle.load(self.proc.stdout)
        except (OSError, EOFError, pickle.UnpicklingError) as exc:
            raise Broken(repr(exc)) from None
        if not ok:
            raise value
        return value

    def close(self) -> None:
        try:
            self.proc.stdin.close()  # the worker's loop ends on end of input
            self.proc.wait(timeout=5)
        except (OSError, subprocess.TimeoutExpired):
            self.proc.kill()


def _ensure(size: int) -> None:
    with _lock:
        while len(_workers) < size:
            worker = Worker()
            _workers.append(worker)
            _idle.put(worker)


def _retire(worker: Worker) -> None:
    with _lock:
        if worker in _workers:
            _workers.remove(worker)
    worker.proc.kill()


def shutdown() -> None:
    """Stop the pool's workers (new ones start when next needed)."""
    with _lock:
        workers = list(_workers)
        _workers.clear()
    while not _idle.empty():
        _idle.get_nowait()
    for worker in workers:
        worker.close()


atexit.register(shutdown)


def worker_pids() -> list[int]:
    """Process ids of the pool's workers (for benchmarks that add up memory)."""
    with _lock:
        return [w.proc.pid for w in _workers]


def run(fn: Callable[[T], R], parts: list[T]) -> list[R] | None:
    """fn(part) for each part in the workers, results in order; None when there is no pool or a worker broke
    (the caller then does the work itself). fn must be a module-level function; what it raises is raised here."""
    size = processes()
    if size == 0 or len(parts) < 2:
        return None
    _ensure(size)

    def one(part: T) -> R:
        worker = _idle.get()
        try:
            result = worker.call(fn, part)
        except Broken:
            _retire(worker)
            _ensure(size)  # a fresh one takes its place: nobody waits for a worker that is gone
            raise
        except BaseException:
            _idle.put(worker)  # fn raised: the worker itself is fine
            raise
        _idle.put(worker)
        return result

    with ThreadPoolExecutor(min(size, len(parts)), thread_name_prefix="scr-parse") as threads:
        try:
            return list(threads.map(one, parts))
        except Broken:
            return None


def serve() -> None:
    """A worker's loop: (function, argument) in, (True, result) or (False, exception) out, until end of input."""
    requests = sys.stdin.buffer
    replies = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # anything printed goes to stderr, never into the reply stream
    while True:
        try:
            fn, arg = pickle.load(requests)
        except EOFError:
            return
        try:
            reply = (True, fn(arg))
        except Exception as exc:  # noqa: BLE001 - sent back and raised in the caller
            reply = (False, exc)
        try:
            data = pickle.dumps(reply, protocol=pickle.HIGHEST_PROTOCOL)
        except Exception as exc:  # noqa: BLE001 - an exception that does not pickle still arrives, as text
            data = pickle.dumps((False, RuntimeError(f"in a worker process: {reply[1]!r} ({exc})")))
        try:
            replies.write(data)
            replies.flush()
        except (BrokenPipeError, ConnectionResetError):
            # the caller is gone (it ended, or stopped, while this worked: a refused run whose gate's process was
            # still importing): nobody to answer and nothing to say on the terminal they shared; os._exit, as the
            # buffered reply would raise again when the interpreter closes it
            os._exit(0)

