"""interface.md: every option can also come from the environment with the prefix SCR_. `scr` reads SCR_ and the
option's long name, and says on stderr which values it took from there."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import duckdb

from flows.cli import DESTRUCTIVE, NOT_OURS, SETTINGS, command, env_name
from tests.warehouse.handmade import published


def scr(*args: str, **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("SCR_") or k == "SCR_HASH_KEY"}
    return subprocess.run([sys.executable, "-m", "flows.cli", *args], capture_output=True, text=True, timeout=120,
                          env={**clean, "COLUMNS": "200", **env})  # fmt: skip


@pytest.fixture(scope="module")
def wh(tmp_path_factory) -> Path:
    return published(tmp_path_factory.mktemp("env") / "wh.duckdb")


def _commands(cmd, path=()):
    if hasattr(cmd, "commands"):
        for name, sub in cmd.commands.items():
            yield from _commands(sub, (*path, name))
    else:
        yield path, cmd


def test_every_option_of_every_command_has_its_variable():
    seen = 0
    root = command()
    assert {p.name for p in root.params} >= {"install_completion", "show_completion"}
    for p in root.params:  # typer's own options are not the product's: they read nothing from the environment
        assert p.name in NOT_OURS and p.envvar is None and not p.show_envvar, p.opts
    qualified = set()
    for path, cmd in _commands(root):
        for p in cmd.params:
            if p.param_type_name == "option" and p.name != "help" and any(o.startswith("--") for o in p.opts):
                destructive = p.name in DESTRUCTIVE.get(path, ())
                assert p.envvar == (SETTINGS.get(p.name) or env_name(p.opts, path if destructive else ())), (path, p.opts)
                assert p.envvar.startswith("SCR_") and p.show_envvar
                seen += 1
                qualified |= {p.envvar} if destructive else set()
    assert seen > 40
    assert env_name(["-w", "--as-of"]) == "SCR_AS_OF"
    # what withdraws, forces or destroys reads its command's own variable, never one a harmless command reads
    assert qualified == {"SCR_REVIEW_REVOKE_ALL", "SCR_REVIEW_REVOKE_PAIR", "SCR_REVIEW_REVOKE_FILE", "SCR_REVIEW_REVOKE_UNMERGE",
                         "SCR_RETIRE_SYNC_FORCE", "SCR_ROLLBACK_TO", "SCR_ROLLBACK_PRACTICE"}  # fmt: skip
    assert all(any(p.name == name for p in dict(_commands(root))[path].params) for path, names in DESTRUCTIVE.items() for name in names)


def test_an_ambient_all_or_force_never_reaches_what_withdraws_or_forces(tmp_path):
    """SCR_ALL set for `scr status --all` made `scr review revoke -p P` withdraw every decision (said on stderr only as
    it happened), and SCR_FORCE forced retire-sync. They read SCR_REVIEW_REVOKE_ALL and SCR_RETIRE_SYNC_FORCE now."""
    wh = published(tmp_path / "wh.duckdb")

    def decisions() -> int:
        con = duckdb.connect(str(wh), read_only=True)
        try:
            return con.execute("select count(*) from review_decision where practice_id = 'A2'").fetchone()[0]
        finally:
            con.close()

    assert decisions() == 1
    res = scr("review", "revoke", "-p", "A2", "--by", "ops", "-w", str(wh), SCR_ALL="1", SCR_FORCE="1")
    assert res.returncode == 2 and "say which decisions to withdraw" in res.stderr, res.stderr
    assert "(from SCR_ALL)" not in res.stderr and decisions() == 1
    res = scr("review", "revoke", "-p", "A2", "--by", "ops", "-w", str(wh), SCR_REVIEW_REVOKE_ALL="1")
    assert res.returncode == 0, res.stderr
    assert "--all set (from SCR_REVIEW_REVOKE_ALL)" in res.stderr and decisions() == 0
    # retire-sync before the cutover: refused without --force, whatever SCR_FORCE says; its own variable forces it
    early = {"SCR_CUTOVER_DATE": "2099-01-01", "SCR_AS_OF": "2024-01-01"}
    res = scr("retire-sync", "--dry-run", "-l", str(tmp_path), "-w", str(wh), SCR_FORCE="1", **early)
    assert res.returncode == 1 and "refusing to retire" in res.stderr and "(from SCR_FORCE)" not in res.stderr, res.stderr
    res = scr("retire-sync", "--dry-run", "-l", str(tmp_path), "-w", str(wh), SCR_RETIRE_SYNC_FORCE="1", **early)
    assert "--force set (from SCR_RETIRE_SYNC_FORCE)" in res.stderr and "refusing to retire" not in res.stderr, res.stderr


def test_an_ambient_practice_never_names_the_practice_a_rollback_undoes(tmp_path):
    """SCR_PRACTICE set for `scr status` made a bare `scr rollback --by ops` roll that practice back (said on stderr
    only as it happened). A rollback's practice is named on its command line or by SCR_ROLLBACK_PRACTICE."""
    wh = published(tmp_path / "wh.duckdb")

    def current() -> list:
        con = duckdb.connect(str(wh), read_only=True)
        try:
            return con.execute("select practice_id, version from promotion_version where is_current order by all").fetchall()
        finally:
            con.close()

    before = current()
    res = scr("rollback", "--by", "ops", "-w", str(wh), SCR_PRACTICE="A2")
    assert res.returncode == 2 and "--practice" in res.stderr and "(from SCR_PRACTICE)" not in res.stderr, res.stderr
    assert current() == before
    res = scr("rollback", "--by", "ops", "-w", str(wh), "--to", "none", SCR_ROLLBACK_PRACTICE="A2")
    assert "--practice A2 (from SCR_ROLLBACK_PRACTICE)" in res.stderr, res.stderr


def test_a_practice_from_the_environment_narrows_the_command_and_says_so(wh):
    res = scr("status", "-w", str(wh), SCR_PRACTICE="A2 B1")
    assert res.returncode == 0, res.stderr
    assert "--practice A2 B1 (from SCR_PRACTICE)" in res.stderr
    listed = {line.split("│")[1].strip() for line in res.stdout.splitlines() if line.startswith("│ ") and "│" in line[2:]}
    assert {"A2", "B1"} <= listed and not listed & {"A1", "B2", "C1", "C2", "C3"}, res.stdout
    # the warehouse's own variable is a setting, read as always and not announced
    res = scr("status", SCR_WAREHOUSE=str(wh))
    assert res.returncode == 0 and "migration progress" in res.stdout and "(from SCR_WAREHOUSE)" not in res.stderr


def test_a_bad_value_from_the_environment_is_bad_usage_naming_the_variable(tmp_path):
    res = scr("retire-sync", "-l", str(tmp_path), "-w", str(tmp_path / "wh.duckdb"), SCR_AS_OF="2023-13-01")
    assert res.returncode == 2 and "SCR_AS_OF" in res.stderr and "is not a day" in res.stderr
    assert not (tmp_path / "wh.duckdb").exists()


def test_typers_own_options_never_come_from_the_environment(wh, tmp_path):
    """An ambient SCR_INSTALL_COMPLETION wrote to the shell's start-up files and SCR_SHOW_COMPLETION printed a script,
    both instead of the command asked for (exit 0); SCR_HELP printed help. Now the command runs, unchanged."""
    home = tmp_path / "home"
    home.mkdir()
    ambient = {"SCR_INSTALL_COMPLETION": "1", "SCR_SHOW_COMPLETION": "bash", "SCR_HELP": "1", "HOME": str(home), "SHELL": "/bin/bash"}
    res = scr("status", "-w", str(wh), **ambient)
    assert res.returncode == 0, res.stderr
    assert "migration progress" in res.stdout and "completion" not in res.stdout + res.stderr, res.stdout
    assert not list(home.iterdir())  # nothing installed
    res = scr("--help", **ambient)
    assert res.returncode == 0 and "Commands:" in res.stdout and "complete -" not in res.stdout
    assert "SCR_INSTALL_COMPLETION" not in res.stdout and "SCR_SHOW_COMPLETION" not in res.stdout
    assert not list(home.iterdir())


def test_a_setting_the_environment_gives_wrong_is_bad_environment_naming_it_never_a_traceback(wh, tmp_path):
    """Found by the operator audit: SCR_WAIT_SECONDS=abc (or any setting pydantic refuses) ended every command that
    reads the settings with pydantic's traceback, exit 1."""
    res = scr("practice", "strategy", "A2", "combine", "--by", "ops", "-w", str(wh), SCR_WAIT_SECONDS="abc")
    assert res.returncode == 2 and "Traceback" not in res.stderr, res.stderr
    assert "error: SCR_WAIT_SECONDS: Input should be a valid number" in res.stderr
    res = scr("retire-sync", "-l", str(tmp_path), "-w", str(tmp_path / "w.duckdb"), SCR_CUTOVER_DATE="2023-13-01",
              SCR_CHUNK_PRACTICES="0")  # fmt: skip
    assert res.returncode == 2 and "Traceback" not in res.stderr, res.stderr
    assert "SCR_CUTOVER_DATE: " in res.stderr and "SCR_CHUNK_PRACTICES: Input should be greater than or equal to 1" in res.stderr
    assert not (tmp_path / "w.duckdb").exists()
    secret = "short-secret-never-shown"  # a value is never echoed: it may be a key
    res = scr("retire-sync", "-l", str(tmp_path), "-w", str(tmp_path / "w.duckdb"), SCR_CUTOVER_DATE=secret)
    assert res.returncode == 2 and secret not in res.stderr + res.stdout, res.stderr


def test_an_empty_setting_is_unset_as_an_empty_option_variable_is(tmp_path):
    """Found by the operator audit: `SCR_WAREHOUSE=` (set, empty) made the warehouse the current folder ('the warehouse
    . is a folder', exit 2), while an empty SCR_PRACTICE or SCR_AS_OF counted as unset. Now both count as unset."""
    published(tmp_path / "scr.duckdb")  # the settings' default, in the folder the command runs in
    root = str(Path(__file__).resolve().parents[2])
    clean = {k: v for k, v in os.environ.items() if not k.startswith("SCR_")}
    res = subprocess.run([sys.executable, "-m", "flows.cli", "status"], capture_output=True, text=True, timeout=120, cwd=tmp_path,
                         env={**clean, "COLUMNS": "200", "PYTHONPATH": root, "SCR_WAREHOUSE": "", "SCR_PRACTICE": ""})  # fmt: skip
    assert res.returncode == 0, res.stderr
    assert "migration progress: scr.duckdb" in res.stdout


def test_settings_from_a_dotenv_file_are_said_by_name_never_by_value(tmp_path):
    """Found by the operator audit: the settings read `./.env` (pydantic-settings), unsaid, so a stray file in the folder
    a command runs in moved its warehouse or changed its key unseen. The command now names what it took from there,
    never a value; the environment still overrides the file."""
    wh = published(tmp_path / "elsewhere.duckdb")
    secret = "dotenv-key-value-never-shown-0123456789abcdef"
    (tmp_path / ".env").write_text(f"SCR_WAREHOUSE={wh}\nSCR_HASH_KEY={secret}\nOTHER=1\n", encoding="utf-8")
    root = str(Path(__file__).resolve().parents[2])
    clean = {k: v for k, v in os.environ.items() if not k.startswith("SCR_")}

    def status(**env: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "flows.cli", "status"], capture_output=True, text=True, timeout=120,
                              cwd=tmp_path, env={**clean, "COLUMNS": "200", "PYTHONPATH": root, **env})  # fmt: skip

    res = status()
    assert res.returncode == 0, res.stderr
    assert f"migration progress: {wh}" in res.stdout  # the file's warehouse was used ...
    assert "SCR_HASH_KEY, SCR_WAREHOUSE (from ./.env)" in res.stderr  # ... and said, by name
    assert secret not in res.stderr + res.stdout and "OTHER" not in res.stderr
    res = status(SCR_HASH_KEY="an-environment-key-0123456789abcdefghijkl")
    assert res.returncode == 0 and "SCR_WAREHOUSE (from ./.env)" in res.stderr and "SCR_HASH_KEY," not in res.stderr, res.stderr


def test_a_refused_value_names_its_variable_only_when_it_came_from_there(tmp_path):
    """typer's hint named the variable whatever the value's source: a seed typed on the command line was refused as
    "Invalid value for '--seed' / '-s' (env var: 'SCR_SEED')", as if the environment had given it."""
    typed = scr("generate", "-o", str(tmp_path / "z"), "-s", "abc")
    assert typed.returncode == 2 and "error: invalid value for '--seed' / '-s': " in typed.stderr, typed.stderr
    assert "SCR_SEED" not in typed.stderr
    ambient = scr("generate", "-o", str(tmp_path / "z"), SCR_SEED="abc")
    assert ambient.returncode == 2 and "error: invalid value for '--seed' / '-s' (from SCR_SEED): " in ambient.stderr, ambient.stderr
    missing = scr("generate")
    assert missing.returncode == 2 and "error: missing option '--out' / '-o' (or SCR_OUT); see `scr generate -h`" in missing.stderr, missing.stderr
    assert not (tmp_path / "z").exists()
