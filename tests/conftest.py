"""Test-wide environment: Prefect state in a temporary home, no telemetry, quiet logs, a throwaway hash key."""

import os
import tempfile

_home = tempfile.mkdtemp(prefix="scr-prefect-")
os.environ.setdefault("PREFECT_HOME", _home)
os.environ.setdefault("PREFECT_RESULTS_LOCAL_STORAGE_PATH", os.path.join(_home, "storage"))
os.environ["DO_NOT_TRACK"] = "1"
os.environ["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")
# A throwaway key for tests only (never a real one): runs refuse to start without a key.
os.environ["SCR_HASH_KEY"] = "tests-only-throwaway-hash-key-not-a-secret"
os.environ.pop("SCR_HASH_KEY_FILE", None)

import random

# Prefect configures its logging once per process, on its first import, binding its console handler to the sys.stderr
# of that moment. Imported first inside a CliRunner's invoke (the CLI imports Prefect only for commands that run a
# flow), that is the runner's stream, closed once the invoke ends: every later flow in that process then failed
# writing its log lines there ("I/O operation on closed file", a RecursionError, exit 1), in whichever test came after
# such a one (tests/flows/test_secret_leaks.py after test_cli_environment.py, session 33). Imported here, it binds
# pytest's own stream, open for the session.
import prefect.main  # noqa: F401
import pytest
import websockets.asyncio.connection
import websockets.sync.connection

# Prefect's events client (started by the in-process flows of some tests, kept for the session) pings its
# websocket from a background thread, and websockets draws the ping's payload from the *global* random
# (`random.getrandbits`). Hypothesis compares the global random state around each draw, so a ping landing
# inside an unrelated property test was reported as that test's strategy using `random`
# (HypothesisDeprecationWarning, a different test each run). The pings get a generator of their own, in
# the tests' process only; the warning stays on for any strategy of ours that does use `random`.
for _module in (websockets.asyncio.connection, websockets.sync.connection):
    _module.random = random.Random()  # type: ignore[attr-defined]


@pytest.fixture(scope="session")
def prefect_api():
    """One Prefect test API for the whole session (it takes ~9 s to start)."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield


# The slowest test files, their tests' seconds summed over one full run (`pytest -n 2 --durations=80`,
# 2026-12-04, this project's 2-core machine): they are collected first, and `make test` has xdist hand tests
# out two at a time (`--maxschedchunk 2`), so the two workers take the long ones early and finish together,
# rather than one working through a long file at the end while the other idles. Order only: no test
# depends on it (each builds its own zone and warehouse).
SLOW_FIRST = {
    "tests/flows/test_crash_resume.py": 545,
    "tests/flows/test_operator_crash.py": 387,
    "tests/flows/test_cli_signals.py": 184,
    "tests/flows/test_wave.py": 164,
    "tests/flows/test_operator_journey.py": 103,
    "tests/flows/test_dask_remote.py": 102,
    "tests/flows/test_snapshot_during_wave.py": 82,
    "tests/flows/test_hash_key.py": 79,
    "tests/flows/test_dask.py": 58,
    "tests/warehouse/test_snapshot.py": 44,
    "tests/flows/test_temporary_api.py": 37,
    "tests/flows/test_review_rerun.py": 35,
}


def pytest_collection_modifyitems(config, items):
    # a stable sort: each file's tests keep their order (and their module fixtures stay together)
    items.sort(key=lambda item: SLOW_FIRST.get(item.nodeid.split("::")[0], 0), reverse=True)
