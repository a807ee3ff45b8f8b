"""The `scr` command line: one tool, the same options, short forms, wording and exit codes on every command.

It only parses and calls: the journey commands (flows/cli_run.py) run Prefect flows; the others read or
write the warehouse directly and never import Prefect. Exit codes: 0 done; 1 refused or not found;
2 bad usage or environment.
"""

from __future__ import annotations

import typer

from flows import cli_analyst, cli_review, cli_run, cli_sync
from flows.cli_practice import practice_app

app = typer.Typer(
    help="single-client-record: one client record per real client, for every practice. "
    "Exit codes: 0 done, 1 refused or not found, 2 bad usage or environment.",
    no_args_is_help=True,
    rich_markup_mode=None,
    pretty_exceptions_show_locals=False,
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


if __name__ == "__main__":  # pragma: no cover
    app()
