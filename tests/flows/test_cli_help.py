"""`scr ... --help` as an operator reads it: the README's placeholders (FILE, DIR, ID, NAME), never a type name such
as `<str>` or `<list[str]>`, and each shared option's default said. Words are compared with the lines joined, so
the terminal's width (COLUMNS) changes nothing."""

from __future__ import annotations

import re

import pytest
from typer.testing import CliRunner
from click.testing import CliRunner as ClickRunner

from flows.cli import app, command

runner = CliRunner()
def _commands(cmd, path=()):
    if hasattr(cmd, "commands"):
        for name, sub in cmd.commands.items():
            yield from _commands(sub, (*path, name))
    else:
        yield " ".join(path)


COMMANDS = list(_commands(command()))


def words(*args: str) -> str:
    res = runner.invoke(app, [*args, "--help"], prog_name="scr")
    assert res.exit_code == 0, res.output
    return " ".join(res.output.split())


@pytest.mark.parametrize("name", COMMANDS)
def test_help_shows_placeholders_and_defaults_not_type_names(name):
    said = words(*name.split())
    for typename in ("<str>", "<path>", "<list", "<int", "<float"):
        opts = said.split("Options:", 1)[1]  # (typer writes an argument's type beside its name: not an option's)
        assert typename not in opts, (name, said)
    if "--warehouse" in said:
        assert "-w, --warehouse FILE DuckDB warehouse file (default: scr.duckdb, or demo/scr.duckdb where only that exists)" in said
    if "--landing" in said:
        assert ("-l, --landing DIR landing zone folder (default: landing, or the one the warehouse's last run read where "
                "there is no landing here)") in said
    if "--practice " in said:
        assert "--practice ID practice id" in said
    if "--by" in said:
        assert "--by NAME" in said or "--by EMAIL" in said


def test_the_step_commands_read_as_the_readme_writes_them():
    assert "Usage: scr practice strategy [OPTIONS] {ID} {keep_xpm|keep_hq|combine}" in words("practice", "strategy")
    confirm = words("practice", "confirm")
    assert "--by EMAIL the practice's Master Admin, who alone may confirm (required)" in confirm
    assert "-u, --unified-id UNIFIED_ID" in words("unmerge")
    assert "Usage: scr review apply [OPTIONS] {FILE}" in words("review", "apply")
    assert "-o, --out DIR" in words("generate") and "-n, --practices N" in words("generate")
    # several -p: one CSV each, named after -o (the README's table says so too)
    assert "several practices get one each: -o out.csv writes out-<practice>.csv" in words("review", "export")


@pytest.mark.parametrize("name", ["", *COMMANDS, "practice", "review"])
def test_dash_h_is_help_on_every_command(name):
    """Found by the operator audit: `scr status -h` was 'No such option: -h' (exit 2) on every command."""
    args = name.split()
    short = runner.invoke(app, [*args, "-h"], prog_name="scr")
    assert short.exit_code == 0, short.output
    assert short.output == runner.invoke(app, [*args, "--help"], prog_name="scr").output


@pytest.mark.parametrize("group", [[], ["practice"], ["review"]])
def test_a_groups_help_says_every_commands_first_sentence_whole_at_any_width(group):
    """Found by the operator audit: `scr --help` cut each command's line to fit the terminal ('Run the whole journey
    (extract, match, gate, promote) for...'): what it said depended on COLUMNS."""
    import os
    import subprocess
    import sys

    def help_at(columns: int) -> str:
        env = {**os.environ, "COLUMNS": str(columns)}
        res = subprocess.run([sys.executable, "-m", "flows.cli", *group, "--help"], capture_output=True, text=True, env=env, timeout=60)
        assert res.returncode == 0, res.stderr
        return " ".join(res.stdout.split())

    narrow, wide = help_at(40), help_at(250)
    assert narrow == wide and "..." not in wide.split("Commands:", 1)[1], wide
    if not group:
        assert "run Run the whole journey (extract, match, gate, promote) for every practice, or the ones named." in wide
    if group == ["practice"]:
        assert "confirm Record step one: the practice's Master Admin confirms its HQ connection (give their email with --by)." in wide


def test_every_command_that_runs_a_flow_takes_verbose():
    """Found by the operator audit: `scr demo -v` was 'No such option: -v', though demo runs the same flow as run."""
    from flows.cli import command

    root = command()
    for name in ("run", "wave", "rerun", "rekey", "demo", "retire-sync", "serve"):
        opts = {o for p in root.commands[name].params for o in p.opts}
        assert {"-v", "--verbose"} <= opts, name


def _help_at(columns: int, args: list[str], monkeypatch, capsys) -> str:
    """`scr ARGS --help` as a terminal COLUMNS wide shows it (the variable is the terminal's width to click and Rich,
    so the real terminal's never counts); not through CliRunner, which forces 80 columns."""
    monkeypatch.setenv("COLUMNS", str(columns))
    capsys.readouterr()
    with pytest.raises(SystemExit) as done:
        command().main([*args, "--help"], prog_name="scr")
    assert done.value.code == 0
    return capsys.readouterr().out


def _whole(text: str) -> str:
    """The help's words, a choice set wrapped at its "|"s read as one (`{keep_xpm|` and `keep_hq|combine}`)."""
    return re.sub(r"\|\s+", "|", " ".join(text.split()))


@pytest.mark.parametrize("name", ["", *COMMANDS, "practice", "review"])
def test_help_fits_a_terminal_40_columns_wide_and_says_every_word_whole(name, monkeypatch, capsys):
    """Found by QA (session 31): at COLUMNS=40 every command's --help printed lines 50 wide (click's floor), which the
    terminal wrapped into a ragged column."""
    narrow = _help_at(40, name.split(), monkeypatch, capsys)
    assert max(map(len, narrow.splitlines())) <= 40, narrow
    assert _whole(narrow) == _whole(_help_at(250, name.split(), monkeypatch, capsys))


@pytest.mark.parametrize("name", ["", *COMMANDS, "practice", "review"])
def test_help_at_every_width_from_40_to_120_columns_cuts_no_word_not_even_a_choice(name, monkeypatch, capsys):
    """QA7: at 51-54 columns `scr practice strategy --help` cut `keep_xpm` in its usage line ("{keep" and
    "_xpm|keep_hq|combine}"): a choice set is wrapped at its "|"s or moved whole to the next line."""
    wide = _whole(_help_at(250, name.split(), monkeypatch, capsys))
    for columns in range(40, 121):
        text = _help_at(columns, name.split(), monkeypatch, capsys)
        assert max(map(len, text.splitlines())) <= columns, (columns, text)
        assert _whole(text) == wide, (columns, text)


@pytest.mark.parametrize("name", COMMANDS)
def test_a_command_line_click_refuses_is_one_line_as_every_refusal(name):
    """QA8: click refused an unknown option, a missing argument or a bad value in three lines of its own (the usage, a
    hint, "Error: No such option: ..."), where every other refusal of the tool is one line `error: ...`, exit 2."""
    res = ClickRunner().invoke(command(), [*name.split(), "--no-such-option"], prog_name="scr")
    assert res.exit_code == 2, res.output
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: no such option: --no-such-option"), res.stderr
    assert lines[0].endswith(f"; see `scr {name} -h`"), res.stderr
    assert "Usage:" not in res.output and "Error:" not in res.output


@pytest.mark.parametrize(("args", "said"), [
    (["review", "apply"], "error: missing argument 'FILE'; see `scr review apply -h`"),
    (["generate", "-o", "z", "-n", "many"], "error: invalid value for '--practices' / '-n': "),
    (["no-such-command"], "error: no such command 'no-such-command'; see `scr -h`"),
    (["status", "extra"], "error: got unexpected extra argument(s) (extra); see `scr status -h`"),
])  # fmt: skip
def test_click_refusals_are_said_in_the_tools_words(args, said, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    res = ClickRunner().invoke(command(), args, prog_name="scr")
    assert res.exit_code == 2 and res.stderr.startswith(said) and len(res.stderr.strip().splitlines()) == 1, res.stderr
    assert not (tmp_path / "z").exists()


def test_a_group_called_alone_still_shows_its_help():
    res = ClickRunner().invoke(command(), ["practice"], prog_name="scr")
    assert res.exit_code == 2 and "Commands:" in res.output and "strategy" in res.output
