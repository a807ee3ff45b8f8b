"""A bare `scr run` (no PREFECT_API_URL) starts Prefect's temporary API while the pipeline imports; the flow's
client then finds that one running rather than starting another. Each case runs in a fresh interpreter, so no
test's Prefect settings or servers are shared."""

import json
import os
import subprocess
import sys

import pytest

_PROBE = """
import json, sys
from flows.temporary_api import PrefectUnusable, TemporaryApi
api = TemporaryApi()
try:
    api.ready()
except PrefectUnusable as exc:
    print(json.dumps({"started": "prefect.server.api.server" in sys.modules, "unusable": str(exc)}))
    sys.exit(0)
started = "prefect.server.api.server" in sys.modules
out = {"started": started}
if started:
    from prefect.client.orchestration import get_client
    from prefect.server.api.server import SubprocessASGIServer
    servers = [s for s in SubprocessASGIServer._instances.values() if s.running]
    with get_client(sync_client=True) as client:
        out.update(servers=len(servers), url=str(client.api_url), expected=servers[0].api_url if servers else None,
                   health=client.api_healthcheck() is None)
    servers_after = [s for s in SubprocessASGIServer._instances.values() if s.running]
    out["servers_after"] = len(servers_after)
print(json.dumps(out))
"""


def _probe(tmp_path, **env) -> dict:
    base = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    base.update({"PREFECT_HOME": str(tmp_path / "prefect"), "DO_NOT_TRACK": "1", "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
                 "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "120", **env})  # fmt: skip
    proc = subprocess.run([sys.executable, "-c", _PROBE], env=base, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_without_a_server_the_temporary_api_is_started_once_and_the_flows_client_uses_it(tmp_path):
    got = _probe(tmp_path)
    assert got["started"] and got["servers"] == 1 and got["health"]
    assert got["url"].rstrip("/") == got["expected"].rstrip("/")
    assert got["servers_after"] == 1  # the client took the running one: no second server


def test_with_a_server_set_nothing_is_started_and_one_that_does_not_answer_is_said(tmp_path):
    """QA (session 35): a PREFECT_API_URL whose server was stopped gave a 143-line traceback, exit 1; its health check
    is asked first now, and what fails is said in one line."""
    got = _probe(tmp_path, PREFECT_API_URL="http://127.0.0.1:9/api")  # a port nothing listens on
    assert got == {"started": False, "unusable": "no Prefect server answers at PREFECT_API_URL (http://127.0.0.1:9/api): "
                   "ConnectError; start it (`prefect server start`), or unset PREFECT_API_URL for a temporary API of the "
                   "command's own"}  # fmt: skip


def test_a_prefect_home_that_cannot_be_written_is_said_before_any_server_is_started(tmp_path):
    """QA (session 35): PREFECT_HOME where no folder can be made hung `scr rerun` for 287 s, then 27 tracebacks."""
    (tmp_path / "file").write_text("not a folder")
    got = _probe(tmp_path, PREFECT_HOME=str(tmp_path / "file" / "prefect"))
    assert got["started"] is False
    assert got["unusable"].startswith(f"Prefect's home PREFECT_HOME ({tmp_path / 'file' / 'prefect'}) cannot be written (")


_KILLED = """
import os, signal, sys
from flows.temporary_api import TemporaryApi
api = TemporaryApi()
api.ready()
from prefect.server.api.server import SubprocessASGIServer
servers = [s for s in SubprocessASGIServer._instances.values() if s.running]
print(servers[0].server_process.pid, flush=True)
os.kill(os.getpid(), signal.SIGKILL)  # as `kill -9` on `scr run`: no atexit, no finally
"""


def _gone(pid: int, seconds: float) -> bool:
    import time

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with open(f"/proc/{pid}/stat") as f:
                if f.read().split(") ", 1)[1].startswith("Z"):
                    return True  # a zombie: ended, waiting for its new parent to reap it
        except FileNotFoundError:
            return True
        time.sleep(0.2)
    return False


def test_the_temporary_api_does_not_outlive_a_run_killed_outright(tmp_path):
    """`kill -9` on `scr run` left Prefect's temporary API (uvicorn) running, orphaned, for good: Prefect stops it at
    exit only (atexit), which a killed process never reaches; a SIGTERM'd one neither."""
    import signal

    base = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    base.update(PREFECT_HOME=str(tmp_path / "prefect"), DO_NOT_TRACK="1", PREFECT_SERVER_ANALYTICS_ENABLED="false",
                PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS="120")  # fmt: skip
    # not subprocess.run(capture_output=True): the server inherits the probe's stdout, and a server left running
    # would hold that pipe open for good
    proc = subprocess.Popen([sys.executable, "-c", _KILLED], env=base, stdout=subprocess.PIPE, text=True)
    try:
        server = int(proc.stdout.readline())
        assert proc.wait(timeout=120) == -signal.SIGKILL
    finally:
        proc.stdout.close()
    try:
        assert _gone(server, 15), "the temporary API outlived the killed process"
    finally:
        try:
            os.kill(server, signal.SIGKILL)
        except ProcessLookupError:
            pass


def _children(pid: int) -> dict[int, str]:
    """The processes whose parent is `pid`, with their command lines."""
    found = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                ppid = int(f.read().rsplit(") ", 1)[1].split()[1])
            if ppid == pid:
                with open(f"/proc/{entry}/cmdline", "rb") as f:
                    found[int(entry)] = f.read().replace(b"\0", b" ").decode(errors="replace")
        except (OSError, IndexError, ValueError):
            continue
    return found


@pytest.mark.slow
@pytest.mark.prefect
def test_the_temporary_api_does_not_outlive_a_retire_sync_killed_outright(tmp_path):
    """QA9 F7: `kill -9` on `scr retire-sync` left its temporary API (uvicorn, 220 MB) running, orphaned, for good:
    retire-sync let Prefect start it, without the watcher `scr run`'s start gives it. Killed once the server is there."""
    import signal
    import time

    from typer.testing import CliRunner

    from flows.cli import app as scr

    assert CliRunner().invoke(scr, ["generate", "-o", str(tmp_path / "z"), "-n", "2", "-s", "3"]).exit_code == 0
    base = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "SCR_"))}
    base.update(PREFECT_HOME=str(tmp_path / "prefect"), DO_NOT_TRACK="1", PREFECT_SERVER_ANALYTICS_ENABLED="false",
                PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS="120", PYTHONPATH=os.pathsep.join(sys.path))  # fmt: skip
    args = ["retire-sync", "--dry-run", "-l", str(tmp_path / "z" / "landing"), "-w", str(tmp_path / "w.duckdb")]
    proc = subprocess.Popen([sys.executable, "-m", "flows.cli", *args], env=base, cwd=tmp_path,
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    server = None
    try:
        deadline = time.monotonic() + 120
        while server is None and proc.poll() is None and time.monotonic() < deadline:
            server = next((p for p, cmd in _children(proc.pid).items() if "prefect.server.api.server" in cmd), None)
            time.sleep(0.05)
        assert server is not None, "retire-sync started no temporary API (or ended first)"
        # the server is there: give its guard (if any) a moment to be set, as a person's kill comes seconds later
        settle = time.monotonic() + 5
        while time.monotonic() < settle and not any("/proc/" in cmd for cmd in _children(proc.pid).values()):
            time.sleep(0.05)
        os.kill(proc.pid, signal.SIGKILL)
        assert proc.wait(timeout=60) == -signal.SIGKILL
        assert _gone(server, 30), "the temporary API outlived the killed retire-sync"
    finally:
        if proc.poll() is None:
            proc.kill()
        if server is not None:
            try:
                os.kill(server, signal.SIGKILL)
            except ProcessLookupError:
                pass
