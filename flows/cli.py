"""The `scr` command line: one tool, the same options, short forms, wording and exit codes on every command.

It only parses and calls: the journey commands (flows/cli_run.py) run Prefect flows; the others read or
write the warehouse directly and never import Prefect. Exit codes: 0 done; 1 refused or not found;
2 bad usage or environment.
"""

from __future__ import annotations

import re
import signal
import sys
from typing import NoReturn

import typer
from rich.text import Text

from flows import cli_analyst, cli_review, cli_run, cli_sync
from flows.cli_common import (
    Terminated, err, fail, interrupts_kept, kept_interrupt, raising_on_sigterm, shown, signal_came, signals_seen,
    stopped_by, stopped_by_ctrl_c,
)
from flows.cli_practice import practice_app
from flows.settings import SettingsInvalid, from_dotenv

app = typer.Typer(
    help="single-client-record: one client record per real client, for every practice. "
    "Exit codes: 0 done, 1 refused or not found, 2 bad usage or environment.",
    no_args_is_help=True,
    rich_markup_mode=None,
    pretty_exceptions_show_locals=False,
    context_settings={"help_option_names": ["-h", "--help"]},  # every command and group below inherits -h
)

for _name in ("run", "wave", "rerun", "rekey", "generate", "demo", "serve"):
    app.command(_name)(getattr(cli_run, _name))
app.add_typer(practice_app, name="practice")
app.add_typer(cli_review.review_app, name="review")
app.command("rollback")(cli_review.rollback)
app.command("unmerge")(cli_review.unmerge)
app.command("retire-sync")(cli_sync.retire_sync)
for _name in ("status", "query", "shell", "report", "snapshot"):  # read the analysts' snapshot (`snapshot` publishes it)
    app.command(_name)(getattr(cli_analyst, _name))


# options whose environment variable is a setting's (flows/settings.py, cli_common.operator): read as always, unannounced
SETTINGS = {"warehouse": "SCR_WAREHOUSE", "landing": "SCR_LANDING", "by": "SCR_OPERATOR"}
# typer's and click's own options, not the product's: they never read the environment (an ambient SCR_INSTALL_COMPLETION
# would write to the shell's start-up files, SCR_SHOW_COMPLETION print a script instead of running the command)
NOT_OURS = {"help", "install_completion", "show_completion"}
# options that withdraw, force or destroy, by (command path, option name): they read SCR_<COMMAND PATH>_<LONG NAME>
# (SCR_REVIEW_REVOKE_ALL, SCR_RETIRE_SYNC_FORCE), never the plain SCR_<LONG NAME> another command reads, so an SCR_ALL
# set for `scr status --all` never withdraws every decision, nor an SCR_FORCE set for one command forces another
DESTRUCTIVE = {
    ("review", "revoke"): {"all_", "pair", "file", "unmerge_of"},  # each withdraws decisions
    ("retire-sync",): {"force"},  # retires the legacy sync before the cutover date
    ("rollback",): {"to", "practice"},  # restores an older version, or none: of the practice named for it alone
}


# commands a Ctrl-C or SIGTERM ends as they are meant to end (a server, an interactive shell), not as a stopped change
QUIET_ON_CTRL_C = {("serve",), ("shell",)}


def env_name(opts: list[str], path: tuple[str, ...] = ()) -> str:
    """SCR_ and an option's long name: --as-of -> SCR_AS_OF, --practice -> SCR_PRACTICE; with a command path (an
    option in DESTRUCTIVE) the path comes first: ("review", "revoke") --all -> SCR_REVIEW_REVOKE_ALL."""
    long = max((o for o in opts if o.startswith("--")), key=len)
    return "SCR_" + "_".join([*path, long[2:]]).replace("-", "_").upper()


def envvar(param, path: tuple[str, ...]) -> str:
    """The environment variable an option of the command at `path` reads."""
    if param.name in SETTINGS:
        return SETTINGS[param.name]
    return env_name(param.opts, path if param.name in DESTRUCTIVE.get(path, ()) else ())


def _options(command) -> list:
    return [p for p in command.params if p.param_type_name == "option" and any(o.startswith("--") for o in p.opts) and p.name not in NOT_OURS]


def _from_environment(command, path: tuple[str, ...] = ()) -> None:
    """Every option of every command also reads SCR_<LONG NAME> (interface.md), typer's own (NOT_OURS) never, and one
    that withdraws, forces or destroys (DESTRUCTIVE) SCR_<COMMAND PATH>_<LONG NAME>; a value taken from the environment
    is said on stderr when the command runs, so an ambient SCR_PRACTICE never acts unseen. (Typer builds its commands
    with the click it carries: they are reached by their attributes only.)"""
    for param in command.params:
        if param.name in NOT_OURS:
            param.envvar, param.show_envvar = None, False
    for param in _options(command):
        param.envvar, param.show_envvar = envvar(param, path), True
        _hint_where_from(param)
    if hasattr(command, "commands"):  # a group: its commands
        for name, sub in command.commands.items():
            _from_environment(sub, (*path, name))
        return
    parse = command.parse_args

    def once(ctx, args):
        """An option that takes one value, given twice (`scr rollback -p P1 -p P2`), is bad usage: click keeps the last
        and drops the first unsaid, so the command acted on one practice (or version, or file) of the two typed."""
        try:
            order = command.make_parser(ctx).parse_args(args=list(args))[2]
        except Exception:  # a malformed command line: the parse itself says what is wrong
            order = []
        twice = [p for p in dict.fromkeys(order) if getattr(p, "param_type_name", None) == "option"
                 and not p.multiple and not p.is_flag and order.count(p) > 1]  # fmt: skip
        if twice:
            fail(f"{max(twice[0].opts, key=len)} is given more than once: `{ctx.command_path}` takes one (run it once for each)")
        return parse(ctx, args)

    command.parse_args = once
    invoke = command.invoke

    def said(ctx):
        dotenv = from_dotenv()
        if dotenv:  # pydantic-settings reads ./.env: say so, or a stray file would move the warehouse or key unseen
            err.print(Text(f"{', '.join(dotenv)} (from ./.env)", style="dim"), highlight=False)
        for p in _options(command):
            source = None if p.name in SETTINGS else ctx.get_parameter_source(p.name)
            if source is not None and source.name == "ENVIRONMENT":
                value = ctx.params[p.name]
                given = "set" if p.is_flag else " ".join(map(str, value)) if p.multiple else str(value)
                err.print(Text(f"{max(p.opts, key=len)} {given} (from {p.envvar})", style="dim"), highlight=False)
        quiet = path in QUIET_ON_CTRL_C
        try:
            if quiet:
                return invoke(ctx)
            with signals_seen(), raising_on_sigterm(), interrupts_kept():
                done = invoke(ctx)
            kept = kept_interrupt()
            if kept is not None:  # it came where Python could not stop the command, and nothing raised it later
                err.print(Text(f"note: {'a Ctrl-C' if issubclass(kept, KeyboardInterrupt) else 'a SIGTERM'} came where Python "
                               f"could not stop {ctx.command_path} (inside a callback): it ran to its end", style="yellow"),
                          highlight=False)  # fmt: skip
            return done
        except Terminated:  # `kill PID`: its transaction rolled back and its writer let go on the way here
            stopped_by(ctx.command_path, "SIGTERM", 128 + signal.SIGTERM)
        except SettingsInvalid as exc:  # a setting the environment gives wrong (SCR_WAIT_SECONDS=abc): bad environment
            fail(str(exc))
        except KeyboardInterrupt:  # a terminal's Ctrl-C: typer ended the command with exit 130 and not a word
            if quiet:
                raise
            _stopped(ctx.command_path)
        except RuntimeError as exc:  # the same Ctrl-C (or a SIGTERM), come while DuckDB ran a statement (a traceback, exit 1)
            from warehouse.db import interrupted

            if not interrupted(exc) or quiet:
                raise
            _stopped(ctx.command_path)

    command.invoke = said


def _stopped(command: str) -> NoReturn:
    """A statement DuckDB interrupted, or a KeyboardInterrupt made of one: by a SIGTERM if one came, else a Ctrl-C."""
    if signal_came(signal.SIGTERM):
        stopped_by(command, "SIGTERM", 128 + signal.SIGTERM)
    stopped_by_ctrl_c(command)


def _hint_where_from(param) -> None:
    """A value click refuses names its option, and its variable only when the value came from there: typer's hint said
    "Invalid value for '--seed' / '-s' (env var: 'SCR_SEED')" of a seed typed on the command line. A missing option
    names the variable that can give it too ("Missing option '--out' / '-o' (or SCR_OUT)")."""
    consume = param.consume_value

    def consume_value(ctx, opts):
        value, source = consume(ctx, opts)
        param.scr_source = source  # the hint is asked for after parsing, without the context
        return value, source

    def get_error_hint(*_ctx) -> str:
        names = " / ".join(f"'{o}'" for o in param.opts)
        source = getattr(param, "scr_source", None)
        if source is not None and source.name == "ENVIRONMENT":
            return f"{names} (from {param.envvar})"
        return names if source is not None and source.name != "DEFAULT" else f"{names} (or {param.envvar})"

    param.consume_value, param.get_error_hint = consume_value, get_error_hint


# typer's click (typer carries its own): its refusal of a command line, and the one refusal that shows the help instead
# (`scr practice` alone)
_CLICK = sys.modules[typer.BadParameter.__module__]


class _UsageSaid(_CLICK.UsageError):
    """click's refusal of a command line (an unknown option, a missing argument, a value of the wrong type), said as
    every other refusal is: one line, `error: ...`, exit 2. click printed the usage, a hint and `Error: ...` on three
    lines, capitalised and with a full stop, which no other refusal of the tool does (QA8)."""

    def __init__(self, said) -> None:
        super().__init__(said.format_message(), said.ctx)
        self.hint = _practice_hint(said)

    def show(self, file=None) -> None:
        message = self.message.strip().rstrip(".")
        message = re.sub(r"(^|\()([A-Z])(?=[a-z])", lambda m: m[1] + m[2].lower(), message)  # "(Possible options: ..."
        where = f"; see `{self.ctx.command_path} -h`" if self.ctx is not None else ""
        err.print(Text.assemble(("error:", "bold red"), " ", shown(message + self.hint + where)), highlight=False)


def _practice_hint(said) -> str:
    """How to reach a practice whose id `scr practice ID` reads as something else (QA10 F8): a subcommand's name
    (`scr practice release` is the release command, its ID missing) or an option (`scr practice -x`)."""
    ctx = said.ctx
    if ctx is None or ctx.parent is None or ctx.parent.info_name != "practice":
        return ""
    if isinstance(said, _CLICK.MissingParameter) and said.param is not None and said.param.name == "practice_id":
        name = ctx.info_name
        return f" (a practice whose id is {name} is shown by `scr practice show {name}`)"
    if isinstance(said, _CLICK.NoSuchOption) and ctx.info_name == "show" and not said.possibilities:  # not a typo of one
        return (f" (if {said.option_name} is a practice id, name it after `--`, the options first: "
                f"`scr practice show -w FILE -- {said.option_name}`)")
    return ""


def _usage_said(root) -> None:
    """Every usage error of the command line, at any depth, is raised through the root's context or invocation: said
    as `_UsageSaid` says it (the help shown for a group called alone stays as it is)."""
    make, invoke = root.make_context, root.invoke

    def said(exc):
        if isinstance(exc, (_UsageSaid, _CLICK.NoArgsIsHelpError)):
            return exc
        return _UsageSaid(exc)

    def make_context(*args, **kwargs):
        try:
            return make(*args, **kwargs)
        except _CLICK.UsageError as exc:
            raise said(exc) from None

    def invoked(ctx):
        try:
            return invoke(ctx)
        except _CLICK.UsageError as exc:
            raise said(exc) from None

    root.make_context, root.invoke = make_context, invoked


def _summaries(group) -> None:
    """Each command's line in its group's --help is its help's whole first sentence: click otherwise cuts it to fit the
    terminal ("Run the whole journey (extract, match, gate, promote) for..."), so what --help says depended on COLUMNS."""
    for sub in group.commands.values():
        if not sub.short_help and sub.help:
            sub.short_help = re.split(r"(?<=\.)\s", sub.help.strip(), maxsplit=1)[0]
        if hasattr(sub, "commands"):
            _summaries(sub)


# --help's text never narrower than this (click's own floor is 50: at COLUMNS=40 every option's line ran 10 wider than
# the terminal, and wrapped there into a ragged column)
_NARROWEST = 20
# the least width of an option's description: where the names leave it less, each name goes on a line of its own with
# its description below (room for the longest word, SCR_REVIEW_REVOKE_UNMERGE_OF], never cut in two)
_TEXT_AT_LEAST = 30
_NB = "\u2011"
# a choice set's "|" in a usage line, with a space after it while the line is wrapped: the set is wrapped at its "|"s,
# not cut inside a choice ("{keep" and "_xpm|keep_hq|combine}" at 51 columns, QA7); the space is gone once it is whole
_BAR = "\ue000"


def _help_fits(command) -> None:
    """Every command's --help fits the terminal's width (COLUMNS, else the terminal, at most 80 as click says it), from
    40 columns up (below, an option's name with its placeholder can be wider; the text is never narrower than
    _NARROWEST): click floors its help's width at 50 columns, and puts a description 32 columns in whatever the width.
    A width forced for a test (click's CliRunner forces 80) is kept. (Typer's click is reached by attributes only.)"""
    context = command.context_class
    base = context.formatter_class
    forced = sys.modules[base.__module__]

    class Help(base):
        def __init__(self, indent_increment: int = 2, width: int | None = None, max_width: int | None = None) -> None:
            if width is None and getattr(forced, "FORCED_WIDTH", None) is None:
                import shutil

                width = max(min(shutil.get_terminal_size().columns, max_width or 80) - 2, _NARROWEST)
            super().__init__(indent_increment=indent_increment, width=width, max_width=max_width)

        # a hyphen is wrapped as a letter (written as U+2011, the non-breaking hyphen, until the help is whole): click
        # cut "--held-back" into "--held-" and "back" at the line's end, an option no one can type
        def write_text(self, text: str) -> None:
            super().write_text(text.replace("-", _NB))

        def write_usage(self, prog: str, args: str = "", prefix: str | None = None) -> None:
            super().write_usage(prog, args.replace("-", _NB).replace("|", _BAR + " "), prefix)

        def write_dl(self, rows, col_max: int = 30, col_spacing: int = 2) -> None:
            room = self.width - self.current_indent - col_spacing - _TEXT_AT_LEAST
            rows = [tuple(cell.replace("-", _NB) for cell in row) for row in rows]
            super().write_dl(rows, col_max=max(min(col_max, room), 1), col_spacing=col_spacing)

        def getvalue(self) -> str:  # no line ends in spaces (click's usage line did, one past the width)
            text = re.sub(f"{_BAR} ?", "|", super().getvalue())
            return re.sub(r"[ \t]+$", "", text, flags=re.M).replace(_NB, "-")

    command.context_class = type(context.__name__, (context,), {"formatter_class": Help})
    for sub in getattr(command, "commands", {}).values():
        _help_fits(sub)


def command():
    """The `scr` command: the typer app with every option readable from the environment, its help as wide as the
    terminal."""
    cmd = typer.main.get_command(app)
    _from_environment(cmd)
    _usage_said(cmd)
    _summaries(cmd)
    _help_fits(cmd)
    return cmd


def main() -> None:
    """The `scr` entry point. Output cut short by its reader (`scr status | head`) is not a refusal: click ends such a
    run with exit 1 (Rich's console too, flows.cli_common._Output aside); it ends with 0, what was read being whole."""
    try:
        command()(prog_name="scr")
    except SystemExit as exc:
        if exc.code == 1 and _reader_gone():
            raise SystemExit(0) from None
        raise


def _reader_gone() -> bool:
    """True when stdout is a pipe whose reader has closed it (poll's POLLERR on its write end)."""
    import select

    try:
        poller = select.poll()
        poller.register(sys.__stdout__.fileno(), select.POLLOUT)
        return any(events & select.POLLERR for _, events in poller.poll(0))
    except (AttributeError, OSError, ValueError):  # no poll (Windows), no stdout
        return False


if __name__ == "__main__":  # pragma: no cover
    main()
