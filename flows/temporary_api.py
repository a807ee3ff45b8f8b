"""Prefect's temporary API for a command that runs a flow with no Prefect server set (no PREFECT_API_URL): started
early, in a session of its own, and stopped when the command's process ends however it ends (`kill -9` too).

Every command that runs a flow starts it through `TemporaryApi` (run, wave, rerun, rekey, demo, retire-sync, serve):
one that let Prefect start it on its own left it running, orphaned, after a `kill -9` (QA9 F7: `scr retire-sync`).
Prefect is imported only in the thread that starts it."""

from __future__ import annotations

__all__ = ["TemporaryApi", "PrefectUnusable"]


class PrefectUnusable(RuntimeError):
    """Prefect's API cannot be had: the server PREFECT_API_URL names does not answer, or the temporary API's home
    (PREFECT_HOME, where its database lives) cannot be written. Said in one line, exit 2 (an environment's problem);
    QA (session 35): a stopped server gave a 143-line traceback, an unwritable home a 5-minute hang and 27 of them."""


class TemporaryApi:
    """Prefect's temporary API (a bare `scr run`: no PREFECT_API_URL), started while the flow's modules import.

    Prefect starts it on the flow's first call to its API and waits for it, about 3 s on this machine, with
    nothing else to do meanwhile; started in a thread once the arguments are checked, the server boots in its
    own process while this one imports the pipeline. The flow then finds it running (Prefect keeps one per
    process). Whatever goes wrong here is left to Prefect's own start, which says what it is.
    """

    def __init__(self) -> None:
        import threading

        import warnings

        # Prefect warns as it is imported that it could not create its home: said instead in our one line (ready)
        warnings.filterwarnings("ignore", message="Failed to create the Prefect home directory")
        self._problem: str | None = None
        self._thread = threading.Thread(target=self._start, name="scr-temporary-api", daemon=True)
        self._thread.start()

    def _start(self) -> None:
        import threading

        try:
            from prefect.settings import PREFECT_API_URL, PREFECT_HOME, PREFECT_SERVER_EPHEMERAL_ENABLED

            url = PREFECT_API_URL.value()
            if url:
                self._problem = _not_answering(url)
                return  # a server is set: nothing to start
            if not PREFECT_SERVER_EPHEMERAL_ENABLED.value():
                return  # none may be started: Prefect says what it needs
            self._problem = _unwritable_home(PREFECT_HOME.value())
            if self._problem:
                return
            import prefect.server.api.server as prefect_server
            from prefect.server.api.server import SubprocessASGIServer

            prefect_server.subprocess = _OwnSession()  # a terminal's Ctrl-C reaches this process, not its API server
            server, up = SubprocessASGIServer(), threading.Event()
            threading.Thread(target=_stops_with_us, args=(server, up), name="scr-temporary-api-watch", daemon=True).start()
            try:
                server.start()
            finally:
                up.set()
        except Exception:  # noqa: BLE001 - the flow's own start tries again and reports
            pass

    def ready(self) -> None:
        """Wait for the start to end (it is bounded by PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS); PrefectUnusable
        when the API set does not answer or the temporary one cannot keep its database."""
        self._thread.join()
        if self._problem:
            raise PrefectUnusable(self._problem)


def _not_answering(url: str) -> str | None:
    """Why the Prefect server at `url` cannot be used (its health check fails within 10 s), or None."""
    import httpx

    try:
        answer = httpx.get(url.rstrip("/") + "/health", timeout=10)
    except httpx.HTTPError as exc:
        return (f"no Prefect server answers at PREFECT_API_URL ({url}): {type(exc).__name__}; start it (`prefect "
                "server start`), or unset PREFECT_API_URL for a temporary API of the command's own")  # fmt: skip
    # a server answers: one that asks for a key (Prefect Cloud, 401 or 403) takes the client's PREFECT_API_KEY
    if answer.status_code == 404 or answer.status_code >= 500:
        return (f"the server PREFECT_API_URL names ({url}) answers its health check with HTTP {answer.status_code}: "
                "is it a Prefect API's address (a server's ends in /api), and is the server well?")  # fmt: skip
    return None


def _unwritable_home(home) -> str | None:
    """Why Prefect's home (its temporary API's database) cannot be written, or None."""
    import tempfile
    from pathlib import Path

    try:
        Path(home).mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=home):
            pass
    except OSError as exc:
        return (f"Prefect's home PREFECT_HOME ({home}) cannot be written ({exc.strerror or exc}): its temporary API keeps "
                "its database there; set PREFECT_HOME to a folder this user can write")  # fmt: skip
    return None


class _OwnSession:
    """The `subprocess` module as Prefect's temporary API server is started with, but in a session of its own.

    A terminal's Ctrl-C signals its whole foreground process group: the server, started in this one, stopped with
    the run, whose last calls to its API (the flow's state) then retried for minutes and ended in a traceback. In
    its own session it stops as Prefect stops it, at this process's exit (or by `_stops_with_us`)."""

    def __getattr__(self, name: str):
        import subprocess

        return getattr(subprocess, name)

    @staticmethod
    def Popen(*args, **kwargs):  # noqa: N802 - subprocess's name
        import subprocess

        return subprocess.Popen(*args, **{**kwargs, "start_new_session": True})


# waits for end of input (this process gone, however it ended: its end of the pipe closes), then stops the server
_WATCH = (
    "import os, signal, sys\n"
    "pid, started = int(sys.argv[1]), sys.argv[2]\n"
    "sys.stdin.buffer.read()\n"
    "try:\n"
    "    with open(f'/proc/{pid}/stat') as f:\n"
    "        same = f.read().rsplit(') ', 1)[1].split()[19] == started\n"
    "except (OSError, IndexError):\n"
    "    same = False\n"
    "if same:\n"
    "    os.kill(pid, signal.SIGTERM)\n"
)


def _stops_with_us(server, up) -> None:
    """Stop Prefect's temporary API when this process ends, however it ends. Prefect stops it at exit only (atexit):
    `kill -9` or a SIGTERM on `scr run` left it running, orphaned, for good. A small watcher holds a pipe from this
    process and stops the server (the same process: its start time checked, never a reused pid) once the pipe closes;
    at a normal exit Prefect has stopped it already and the watcher just ends. Watched from the moment Prefect starts
    its process, not once it answers (seconds later), and again if Prefect started another (its port was taken)."""
    watched = None
    while True:
        done = up.wait(0.05)
        process = server.server_process
        if process is not None and process is not watched:
            _watch(process)
            watched = process
        if done:
            return


def _watch(server) -> None:
    import subprocess
    import sys

    from warehouse.db import process_stat

    if server.poll() is not None:
        return
    fields = process_stat(server.pid)
    if fields is None or len(fields) < 20:
        return  # not Linux: Prefect's own stop at exit is all there is
    started = fields[19]  # its start time: the watcher's script (which imports nothing of ours) reads it alike
    watcher = subprocess.Popen([sys.executable, "-S", "-c", _WATCH, str(server.pid), started],  # noqa: S603
                               stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    _WATCHERS.append(watcher)  # its pipe stays open for as long as this process lives


_WATCHERS: list = []
