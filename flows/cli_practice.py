"""`scr practice ID` (one practice whole, with its next step) and the choices made for it:
`strategy`, `confirm` / `unconfirm` (step one) and `release` (after a rollback). Each choice is kept with who and when."""

from __future__ import annotations

import os
from datetime import UTC
from typing import Annotated

import click
import typer
import typer.core
from rich.text import Text

from flows.cli_common import (
    By, Warehouse, fail, operator, out, plural, reading, refuse, shown, unreadable_warehouse, warehouse_path, writing,
)

__all__ = ["practice_app", "print_outcome"]


class _PracticeGroup(typer.core.TyperGroup):
    """`scr practice ID` shows the practice; `scr practice strategy ID ...` and the others act on it."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        # `scr practice -w FILE ID`: options before the id are show's (the group has none but --help)
        if args and args[0].startswith("-") and args[0] not in ("-h", "--help") and not any(a in self.commands for a in args):
            args = ["show", *args]
        return super().parse_args(ctx, args)

    def resolve_command(self, ctx: click.Context, args: list[str]):
        if args and args[0] not in self.commands and not args[0].startswith("-"):
            args = ["show", *args]
        return super().resolve_command(ctx, args)


practice_app = typer.Typer(
    cls=_PracticeGroup, no_args_is_help=True, rich_markup_mode=None,
    help="One practice whole (`scr practice ID`), and the choices made for it, each kept with who and when.",
)  # fmt: skip

PracticeId = Annotated[str, typer.Argument(metavar="ID", help="practice id", show_default=False)]


def print_outcome(outcome) -> None:
    """What an operator's command changed, then the status it left."""
    for change in outcome.changes:
        out.print(Text(shown(f"  {change}")), highlight=False)
    if outcome.status:  # text from the data (names, details, ids as typed) is never markup
        now = " stays " if outcome.status == outcome.previous else " is now "  # a status unchanged is not news
        out.print(Text.assemble("practice ", (outcome.practice_id, "bold"), now, (outcome.status, "bold"), f": {shown(outcome.detail)}"),
                  highlight=False)  # fmt: skip


def _act(warehouse, action) -> None:
    from flows.operations import OperationRefused, UnknownPractice

    with writing(warehouse) as con:
        try:
            outcome = action(con)
        except UnknownPractice as exc:
            fail(str(exc))
        except OperationRefused as exc:
            refuse(str(exc))
    print_outcome(outcome)


@practice_app.command("show")
def show(
    practice_id: PracticeId,
    warehouse: Warehouse = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the practice as JSON")] = False,
) -> None:
    """Show one practice whole: status and why, sources, strategy, connection, reviews, versions, the next step.

    It reads the analysts' snapshot, as `scr status` and `scr review export` do, so it works while a wave runs (the
    practice as the snapshot last published it; every operator's command publishes it as it ends).
    """
    from flows.operations import UnknownPractice, practice_row
    from transforms.status_rules import next_step
    from warehouse.inspect import practice_facts
    from warehouse.status import read_status

    with reading(warehouse) as con:
        try:
            row = practice_row(con, practice_id)
        except UnknownPractice as exc:
            fail(str(exc))
        facts = practice_facts(con, practice_id)
        status = read_status(con).filter(practice_id=practice_id).to_dicts()
    st = status[0] if status else {"status": None, "detail": None, "updated_at": None}
    rows: list[tuple[str, str]] = [("status", f"{st['status']}: {st['detail']}")]
    rows.append(("region, wave", f"{row['region']}, {row['wave'] if row['wave'] is not None else 'not planned'}"))
    uses = [s for s, on in (("XPM", row["uses_xpm"]), ("Tax", row["uses_tax"])) if on]
    rows.append(("systems", ", ".join(["HQ", *uses]) if uses else "HQ only"))
    rows.append(("step one", f"{row['connection']}" + (f" by {row['connected_by']}" if row["connected_by"] else "")
                 + f" (Master Admin {row['master_admin']})"))  # fmt: skip
    chosen = [c for c in facts["choices"] if c[0] == "strategy"]
    rows.append(("strategy", (row["strategy"] or "not chosen")
                 + (f" (chosen by {chosen[-1][3]} at {chosen[-1][4]:%Y-%m-%d %H:%M} UTC)" if chosen else "")))  # fmt: skip
    rows.append(("records", ", ".join(f"{plural(n, 'record')} from {s}" for s, n in facts["records"].items()) or "none read yet"))
    rows.append(("links", ", ".join(f"{n} {d}" for d, n in facts["links"].items()) or "none proposed"))
    rows.append(("awaiting review", plural(facts["pending_reviews"], "link")))
    if facts["held_back"]:
        rows.append(("held back", f"{plural(facts['held_back'], 'pair')} scored 0.5 or more, left apart by the review budget "
                     f"(`scr review export -p {practice_id} --held-back` lists them)"))  # fmt: skip
    rows.append(("decisions", ", ".join(f"{n} {d}" for d, n in facts["decisions"].items()) or "none"))
    rows.append(("versions", "; ".join(f"v{v}{' (current)' if cur else ''} {run}" for v, run, _, cur in facts["versions"])
                 or "never promoted"))  # fmt: skip
    if facts["promoted_clients"]:
        rows.append(("promoted", f"{plural(facts['promoted_clients'], 'unified client')} from records merged "
                     + ", ".join(f"{n} {s}" for s, n in facts["merge_status"].items())))  # fmt: skip
    if facts["pin"]:
        v, who, at, _ = facts["pin"]
        rows.append(("pinned", f"on {'no version' if v is None else f'version {v}'} by {who} at {at:%Y-%m-%d %H:%M} UTC"))
    if facts["suspect_links"]:
        listed = "; ".join(f"{k} {a} - {b}" for k, a, b in facts["suspect_links"][:5])
        rows.append(("suspect legacy links", f"{len(facts['suspect_links'])}: {listed}"))
    if facts["failed_expectations"]:
        rows.append(("failed expectations", ", ".join(facts["failed_expectations"])))
    step = next_step(practice_id, st["status"], st["detail"], row, facts["pending_reviews"], facts["pin"] is not None,
                     facts["decision_changes"], facts["identifier_accepts"])  # fmt: skip
    rows.append(("next step", step))
    # the snapshot outlives the file it shows; a JSON's reader sees nothing "above" (QA8, session 33)
    problem = unreadable_warehouse(warehouse_path(warehouse), shown_above=True,
                                   printed="the facts given are from" if as_json else "what is shown above is")
    if as_json:  # the same facts as values a script reads, not as the lines a person reads
        # a damaged warehouse said in the JSON too, not only by the exit code and stderr (QA7): null when it looks whole
        out.print_json(data={**_as_data(practice_id, row, st, facts, chosen, uses, step), "damaged": problem})
    else:
        # one line per fact, never wrapped into a table's columns: a narrow terminal still shows whole commands
        out.print(Text.assemble((f"practice {practice_id}", "bold"), f": {shown(row['name'])}"), highlight=False)
        for what, value in rows:  # values from the data (names, details, emails) are text, never markup
            out.print(Text.assemble("  ", (f"{what + ':':<21}", "bold"), f" {shown(value)}"), highlight=False)
    if problem:
        fail(problem)


def _as_data(practice_id: str, row: dict, st: dict, facts: dict, chosen: list, uses: list[str], step: str) -> dict:
    """`scr practice ID --json`: one key per fact, each a value (counts as numbers, times as ISO text, none as null)."""

    def when(at) -> str | None:  # the warehouse keeps UTC without its zone: said, or a parser reads local time
        return None if at is None else at.replace(tzinfo=UTC).isoformat()

    pin = facts["pin"]
    return {
        "practice_id": practice_id, "name": row["name"], "status": st["status"], "detail": st["detail"],
        "status_updated_at": when(st["updated_at"]), "region": row["region"], "wave": row["wave"], "systems": ["HQ", *uses],
        "connection": row["connection"], "connected_by": row["connected_by"], "master_admin": row["master_admin"],
        "strategy": row["strategy"], "strategy_chosen_by": chosen[-1][3] if chosen else None,
        "strategy_chosen_at": when(chosen[-1][4]) if chosen else None,
        "records": facts["records"], "links": facts["links"], "awaiting_review": facts["pending_reviews"], "held_back": facts["held_back"],
        "decisions": facts["decisions"], "unapplied_decisions": facts["unapplied_decisions"],
        "versions": [{"version": v, "run_id": run, "promoted_at": when(at), "current": bool(cur)} for v, run, at, cur in facts["versions"]],
        "promoted_clients": facts["promoted_clients"], "merge_status": facts["merge_status"],
        "pin": None if pin is None else {"version": pin[0], "pinned_by": pin[1], "pinned_at": when(pin[2]), "reason": pin[3]},
        "suspect_links": [{"kind": k, "left": a, "right": b} for k, a, b in facts["suspect_links"]],
        "failed_expectations": facts["failed_expectations"], "next_step": step,
    }  # fmt: skip


@practice_app.command("strategy")
def strategy(
    practice_id: PracticeId,
    choice: Annotated[str, typer.Argument(metavar="keep_xpm|keep_hq|combine", help="the strategy", show_default=False)],
    by: By = None,
    warehouse: Warehouse = None,
) -> None:
    """Choose step two: keep XPM/Tax clients (keep_xpm), keep HQ clients (keep_hq) or combine field by field."""
    from flows.operations import set_strategy
    from transforms.survivorship import STRATEGIES

    chosen = choice.strip().lower().replace("-", "_")  # `Combine`, ` keep-xpm`: what the operator meant
    if chosen not in STRATEGIES:  # bad usage, like any other argument that is not one of its choices
        fail(f"strategy {choice!r} is not one of {', '.join(STRATEGIES)}")
    who = operator(by)
    _act(warehouse, lambda con: set_strategy(con, practice_id, chosen, who))


@practice_app.command("confirm")
def confirm(
    practice_id: PracticeId,
    by: Annotated[str | None, typer.Option("--by", metavar="EMAIL", show_default=False,
                                           help="the practice's Master Admin, who alone may confirm (required)")] = None,
    warehouse: Warehouse = None,
) -> None:
    """Record step one: the practice's Master Admin confirms its HQ connection (give their email with --by)."""
    from flows.operations import confirm as do_confirm

    if by is None and not os.environ.get("SCR_OPERATOR"):  # the login name is nobody's Master Admin email
        fail(f"say which Master Admin confirms {practice_id}'s connection: --by EMAIL (only the practice's Master Admin may)")
    who = operator(by)
    _act(warehouse, lambda con: do_confirm(con, practice_id, who))


@practice_app.command("unconfirm")
def unconfirm(practice_id: PracticeId, by: By = None, warehouse: Warehouse = None) -> None:
    """Withdraw a recorded step-one confirmation."""
    from flows.operations import unconfirm as do_unconfirm

    who = operator(by)
    _act(warehouse, lambda con: do_unconfirm(con, practice_id, who))


@practice_app.command("release")
def release(practice_id: PracticeId, by: By = None, warehouse: Warehouse = None) -> None:
    """Unpin a practice held after a rollback: the next wave runs it again."""
    from flows.operations import release as do_release

    who = operator(by)
    _act(warehouse, lambda con: do_release(con, practice_id, who))
