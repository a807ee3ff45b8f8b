"""Commands that run no flow never import Prefect (the brief; import-linter checks their modules statically):
each runs here in a process of its own, on a warehouse of hand-made rows, and reports what it imported."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.warehouse.handmade import published

PROBE = """
import json, sys
from flows.cli import app
try:
    app(sys.argv[1:], standalone_mode=False)
finally:
    print("\\nMODULES " + json.dumps(sorted(m for m in sys.modules if m.split(".")[0] in ("prefect", "prefect_dask"))))
"""


@pytest.fixture(scope="module")
def wh(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("imports") / "wh.duckdb"
    return published(path)


@pytest.mark.parametrize(
    "args",
    [
        ["status"], ["status", "--all"], ["practice", "A1"], ["practice", "strategy", "A2", "combine", "--by", "ops"],
        ["review", "export", "-p", "A2", "-o", "{tmp}/r.csv"], ["review", "revoke", "-p", "A2", "--all", "--by", "ops"],
        ["rollback", "-p", "A1", "--by", "ops"], ["query", "select count(*) from practice_status"],
        ["report", "-o", "{tmp}/r.html"], ["generate", "-o", "{tmp}/zone", "-n", "2", "-s", "1"],
    ],
    ids=lambda a: " ".join(a[:2]),
)
def test_a_command_that_runs_no_flow_imports_no_prefect(wh, tmp_path, args):
    argv = [a.replace("{tmp}", str(tmp_path)) for a in args] + (["-w", str(wh)] if args[0] != "generate" else [])
    done = subprocess.run([sys.executable, "-c", PROBE, *argv], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "COLUMNS": "200"})  # fmt: skip
    line = next((x for x in done.stdout.splitlines() if x.startswith("MODULES ")), None)
    assert line is not None, done.stdout + done.stderr
    assert done.returncode == 0 or "error:" in done.stdout + done.stderr, done.stdout + done.stderr  # it ran, or said why not
    assert json.loads(line[len("MODULES "):]) == [], " ".join(args)
