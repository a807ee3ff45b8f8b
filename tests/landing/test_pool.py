"""The parse pool: worker processes read exactly what the calling process reads, raise what they meet in the
caller, hand a batch back when one dies, and never outlive the process that started them."""

from __future__ import annotations

import os
import pickle
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from polars.testing import assert_frame_equal

from landing import Frames, pool, read_practices, read_registry
from synthetic import generate_zone
from tests.landing.fixtures import KEY
from tests.landing.mutate import MUTATIONS, mutate


@pytest.fixture
def workers(monkeypatch):
    """A pool of two, used for batches of any size; stopped after the test."""
    monkeypatch.setenv("SCR_PARSE_PROCESSES", "2")
    monkeypatch.setattr(pool, "MIN_BYTES", 0)
    yield
    pool.shutdown()


def boom(part: int) -> int:
    if part == 2:
        raise ValueError(f"part {part} is bad")
    return part * 10


def die(part: int) -> int:
    if part == 1:
        os._exit(3)  # a worker killed mid-batch
    return part


def test_the_pool_reads_what_the_calling_process_reads(workers, monkeypatch, tmp_path):
    generate_zone(tmp_path, 8, seed=9, bad_practices=3)
    landing = tmp_path / "landing"
    rng = random.Random(9)
    folders = sorted(p for p in landing.iterdir() if p.is_dir())
    for name in sorted(MUTATIONS)[::3]:
        mutate(rng.choice(folders), name, rng)
    registry = read_registry(landing)
    monkeypatch.setenv("SCR_PARSE_PROCESSES", "0")
    want, want_failed = read_practices(landing, registry, KEY)
    assert not pool.worker_pids()
    monkeypatch.setenv("SCR_PARSE_PROCESSES", "2")
    got, failed = read_practices(landing, registry, KEY)
    assert len(pool.worker_pids()) == 2, "the batch went through the pool"
    assert failed == want_failed and failed
    for name in Frames.names():
        assert_frame_equal(getattr(got, name), getattr(want, name))


def key_variables(_: int) -> list[str]:
    return sorted(k for k in os.environ if k.upper().startswith("SCR_HASH_KEY"))


def test_the_hash_key_never_reaches_a_parsing_process(workers, monkeypatch, tmp_path):
    pool.shutdown()  # workers are started with the environment of their time: start them with the key set
    monkeypatch.setenv("SCR_HASH_KEY", "k" * 40)
    monkeypatch.setenv("SCR_HASH_KEY_FILE", str(tmp_path / "key"))
    assert key_variables(0) == ["SCR_HASH_KEY", "SCR_HASH_KEY_FILE"]
    assert pool.run(key_variables, [0, 1]) == [[], []]


def test_what_a_worker_raises_is_raised_in_the_caller(workers):
    assert pool.run(boom, [0, 1, 3]) == [0, 10, 30]
    with pytest.raises(ValueError, match="part 2 is bad"):
        pool.run(boom, [1, 2, 3])
    assert pool.run(boom, [4, 5]) == [40, 50]  # the workers survive an exception in the function


def test_a_dead_worker_hands_the_batch_back_and_is_replaced(workers):
    assert pool.run(die, [0, 1, 2]) is None  # the caller parses this batch itself
    assert pool.run(boom, [1, 3]) == [10, 30]
    assert len(pool.worker_pids()) == 2


CHILD = """
import sys
from landing import pool
from tests.landing.test_pool import boom
assert pool.run(boom, [1, 3]) == [10, 30]
print(" ".join(map(str, pool.worker_pids())), flush=True)
sys.stdin.read()  # wait to be killed
"""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie is gone in all but name
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except OSError:
        return False


def test_workers_end_when_the_process_that_started_them_is_killed():
    root = str(Path(__file__).resolve().parents[2])
    env = {**os.environ, "SCR_PARSE_PROCESSES": "2", "PYTHONPATH": root}
    parent = subprocess.Popen([sys.executable, "-c", CHILD], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env)
    try:
        pids = [int(p) for p in parent.stdout.readline().split()]
        assert len(pids) == 2 and all(_alive(p) for p in pids)
    finally:
        parent.send_signal(signal.SIGKILL)
        parent.wait()
    deadline = time.monotonic() + 30  # a liveness bound, not a timing: workers exit on end of input
    while any(_alive(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(_alive(p) for p in pids)


def test_a_sized_pool_is_back_as_it_was_afterwards(monkeypatch):
    monkeypatch.setenv("SCR_PARSE_PROCESSES", "0")
    assert pool.processes() == 0
    with pool.sized(2):
        assert pool.processes() == 2
        assert pool.run(boom, [0, 1]) == [0, 10]
        assert len(pool.worker_pids()) == 2
        with pool.sized(0):
            assert pool.processes() == 0
        assert pool.processes() == 2
    assert pool.processes() == 0  # the environment's again
    assert not pool.worker_pids()  # and the workers it started are gone
    monkeypatch.setenv("SCR_PARSE_PROCESSES", "1")
    assert pool.processes() == 1


def test_a_worker_whose_caller_is_gone_ends_without_a_word():
    """A run that ends (stopped, or refused after starting it, as `scr run` was before the gate's process waited for
    the warehouse) while its gate's process still imports Great Expectations: that worker's answer met a closed pipe
    and printed a BrokenPipeError traceback on the terminal after the run's own error."""
    root = str(Path(__file__).resolve().parents[2])
    worker = subprocess.Popen([sys.executable, "-c", "from landing.pool import serve; serve()"], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, env={**os.environ, "PYTHONPATH": root})  # fmt: skip
    try:
        pickle.dump((time.sleep, 0.5), worker.stdin)
        worker.stdin.flush()
        worker.stdout.close()  # the caller is gone before the answer
        worker.stdin.close()
        worker.wait(timeout=60)  # a liveness bound, not a timing
        stderr = worker.stderr.read()
    finally:
        if worker.poll() is None:
            worker.kill()
    assert worker.returncode == 0 and stderr == b"", stderr.decode()
