"""The dev environment's DuckDB CLI (pyproject's dev group: duckdb-cli), older than the engine that writes the warehouse:
what an operator's or analyst's own DuckDB may be."""

import subprocess
import sys
from pathlib import Path

import duckdb

OLDER_CLI = Path(sys.executable).with_name("duckdb")


def older_cli(database: Path, sql: str) -> subprocess.CompletedProcess:
    """`sql` run by the older CLI on `database`, read-only, as CSV without a header; fails the test where the CLI is
    missing or is no older DuckDB 1.x."""
    assert OLDER_CLI.is_file(), f"{OLDER_CLI} missing: `make setup` installs the dev group's duckdb-cli"
    version = subprocess.run([str(OLDER_CLI), "--version"], capture_output=True, text=True, timeout=60).stdout
    assert version.startswith("v1.") and not version.startswith(f"v{duckdb.__version__}"), version
    return subprocess.run([str(OLDER_CLI), "-readonly", "-csv", "-noheader", str(database)], input=sql, capture_output=True,
                          text=True, timeout=120)  # fmt: skip
