"""A person's hand on the merges: review export / apply / revoke, rollback and unmerge. Each says what it changed."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Annotated

import polars as pl
import typer
from rich.text import Text

from flows.cli_common import (
    By, Practices, Warehouse, existing_warehouse, fail, its_own_snapshot, operator, out, output_file, plural, reading, refuse,
    shown, verb, writing,
)
from flows.cli_practice import print_outcome
from flows.words import did_you_mean

__all__ = ["review_app", "rollback", "unmerge"]

review_app = typer.Typer(help="Pending links out to a person, decisions back in, decisions withdrawn.", no_args_is_help=True,
                         rich_markup_mode=None)


@review_app.command("export")
def export(
    practice: Practices = None,
    out_file: Annotated[Path | None, typer.Option("--out", "-o", metavar="FILE", help="CSV to write (default review-<practice>.csv); several practices get one each: -o out.csv writes out-<practice>.csv", show_default=False)] = None,
    warehouse: Warehouse = None,
    held_back: Annotated[bool, typer.Option("--held-back", help="the pairs the review budget left apart instead (default file held-back-<practice>.csv)")] = False,
) -> None:
    """Write the links awaiting a person to a CSV: fill its `decision` column with accept or reject, then `scr review apply`.

    `veto` says why the matcher would not merge the pair on its own (see the README's review section). It reads the
    analysts' snapshot, so it works while a wave runs (the links as the snapshot last published them). With
    --held-back it writes the pairs scored 0.5 or more that the review budget kept from review (veto review_budget),
    to be decided the same way.
    """
    from warehouse.review import ReviewError, check_practices, export_review, known_practices, practices_awaiting, unrecorded_decisions

    # its answer drives decisions: never another warehouse's links (QA, session 33: "0 links await review" when 6 did)
    its_own_snapshot(existing_warehouse(warehouse))
    if not practice:
        with reading(warehouse) as con:
            waiting = practices_awaiting(con)
        fail("name the practice to review with --practice ID (repeat for more): " + _awaiting(waiting))
    if out_file is not None and str(out_file) == "-":  # not stdout: a file named `-` was written (QA8, session 33)
        fail("--out -: the export is a CSV file to fill in and give back to `scr review apply`: give its file name (e.g. -o review.csv)")
    stem = "held-back" if held_back else "review"
    target = out_file or Path(f"{stem}-{practice[0]}.csv" if len(practice) == 1 else f"{stem}.csv")
    files = {p: target if len(practice) == 1 else target.with_name(f"{target.stem}-{p}{target.suffix}") for p in practice}
    with reading(warehouse) as con:
        try:  # before any file or folder is made
            check_practices(con, practice)
        except ReviewError as exc:
            fail(f"{exc}{did_you_mean(practice, known_practices(con))}")
        for f in files.values():
            output_file(f)
            lost = unrecorded_decisions(con, f)
            if lost:  # a reviewer's work not applied yet: an export over it lost it unsaid
                refuse(f"{f} holds {plural(lost, 'filled-in decision')} not recorded yet: `scr review apply {f}` first, "
                       "or export to another file with --out")  # fmt: skip
        try:
            counts = {p: export_review(con, p, f, held_back) for p, f in files.items()}
        except ReviewError as exc:
            refuse(str(exc))
        except OSError as exc:
            fail(f"cannot write {exc.filename or target}: {exc.strerror or exc}")
    for p, n in counts.items():
        where = files[p]
        if held_back:
            out.print(Text.assemble(f"{plural(n, 'pair')} of practice ", (p, "bold"), f" the review budget left apart: {where}"),
                      highlight=False)  # fmt: skip
            continue
        out.print(Text.assemble(f"{plural(n, 'link')} of practice ", (p, "bold"), f" {verb(n, 'awaits', 'await')} review: {where}"),
                  highlight=False)  # fmt: skip


def _awaiting(waiting, shown_at_most: int = 10) -> str:
    """Which practices have links awaiting a person, most first: what the operator names next."""
    if waiting.is_empty():
        return "no practice has links awaiting review"
    named = [f"{p} ({n})" for p, n in waiting.head(shown_at_most).iter_rows()]
    more = waiting.height - len(named)
    return (f"links await review in {plural(waiting.height, 'practice')}: {', '.join(named)}"
            + (f" and {more} more (`scr query \"select * from review_queue\"` lists them)" if more else ""))  # fmt: skip


@review_app.command("apply")
def apply(
    file: Annotated[Path, typer.Argument(metavar="FILE", help="a review CSV with its decision column filled in", show_default=False)],
    by: By = None,
    warehouse: Warehouse = None,
) -> None:
    """Record the accept/reject decisions of a filled-in review CSV (the same file twice changes nothing)."""
    from flows import faults
    from flows.operations import decisions_recorded
    from warehouse.choices import read_pins
    from warehouse.db import transaction
    from warehouse.review import ReviewError, apply_review_file

    # a mistyped file is bad usage, as a missing warehouse or landing zone is: exit 2, before the warehouse is taken
    if not file.exists():
        fail(f"no review file at {file}: `scr review export -p ID -o {file}` writes one to fill in")
    if file.is_dir():
        fail(f"the review file {file} is a folder: give the CSV `scr review export` wrote")
    who = operator(by)
    with writing(warehouse) as con:
        try:
            with transaction(con):
                done = apply_review_file(con, file, who)
                decisions_recorded(con, done.practices, who)
                faults.point("review-apply:before-commit")
            faults.point("review-apply:committed")
        except ReviewError as exc:
            refuse(str(exc))
        pinned = sorted(set(done.practices) & set(read_pins(con)["practice_id"].to_list()))
    ids = done.practices
    if not done.decisions:
        out.print(f"no decision in {file}: its decision column is blank (fill it with accept or reject)", highlight=False, markup=False)
        return
    rerun = f"`scr rerun -p {ids[0] if len(ids) == 1 else 'ID'}` applies {'it' if done.decisions == 1 else 'them'}"
    if pinned:  # a rerun of a pinned practice is refused: say the step before it
        rerun = f"{', '.join(pinned)} {'is' if len(pinned) == 1 else 'are'} pinned after a rollback: `scr practice release {pinned[0]}`, then {rerun}"
    if not done.changed:  # the same file again: nothing new, nothing written
        out.print(f"nothing changed: the {plural(done.decisions, 'decision')} in {file} {'was' if done.decisions == 1 else 'were'} "
                  "already recorded", highlight=False, markup=False)  # fmt: skip
        return
    unchanged = done.decisions - done.changed
    out.print(f"{plural(done.changed, 'decision')} recorded from {file} (by {who})"
              + (f", {unchanged:,} already recorded" if unchanged else "") + f"; {rerun}", highlight=False, markup=False)  # fmt: skip


SOURCES = ("xpm", "hq", "tax")


def _pairs(values: list[str], practice_id: str) -> pl.DataFrame:
    """--pair values as decision keys; anything not written SOURCE:ID,SOURCE:ID is bad usage, naming what to write."""
    rows = []
    for v in values:
        sides = [[part.strip() for part in side.split(":", 1)] for side in v.split(",")]
        if len(sides) != 2 or any(len(side) != 2 or not side[1] for side in sides):
            fail(f"--pair {v!r}: write it as SOURCE:ID,SOURCE:ID (e.g. xpm:1f2e...,hq:93)")
        wrong = [side[0] for side in sides if side[0].lower() not in SOURCES]
        if wrong:
            fail(f"--pair {v!r}: {wrong[0]!r} is not a source: use {', '.join(SOURCES)}")
        (src_l, id_l), (src_r, id_r) = sides
        rows.append((practice_id, src_l.lower(), id_l, src_r.lower(), id_r))
    return pl.DataFrame(rows, schema=["practice_id", "source_l", "source_client_id_l", "source_r", "source_client_id_r"], orient="row")


@review_app.command("revoke")
def revoke(
    practice: Annotated[str, typer.Option("--practice", "-p", metavar="ID", help="practice id", show_default=False)],
    pair: Annotated[list[str] | None, typer.Option("--pair", metavar="SRC:ID,SRC:ID", help="one decision's pair (repeat for more)", show_default=False)] = None,
    file: Annotated[str | None, typer.Option("--file", metavar="NAME", help="withdraw every decision that came from this review file (its name)", show_default=False)] = None,
    unmerge_of: Annotated[str | None, typer.Option("--unmerge", metavar="UNIFIED_ID", help="withdraw the decisions an unmerge of this unified client recorded", show_default=False)] = None,
    all_: Annotated[bool, typer.Option("--all", help="withdraw every decision of the practice")] = False,
    by: By = None,
    warehouse: Warehouse = None,
) -> None:
    """Withdraw review decisions; the next run of the practice proposes those pairs afresh."""
    from flows import faults
    from flows.operations import OperationRefused, UnknownPractice, revoke as do_revoke

    chosen = [name for name, x in (("--pair", pair), ("--file", file), ("--unmerge", unmerge_of), ("--all", all_)) if x]
    if len(chosen) > 1:  # it said "say which ... one of" of a command that had said two
        fail(f"{' and '.join(chosen)}: withdraw one kind of decision at a time (one of --pair, --file, --unmerge or --all)")
    if not chosen:
        fail("say which decisions to withdraw: one of --pair, --file, --unmerge or --all")
    who = operator(by)
    # decisions keep the name of the file they came from: `--file ./review.csv` or a full path means that name
    source = Path(file).name if file else (f"unmerge:{unmerge_of}" if unmerge_of else None)
    with writing(warehouse) as con:
        try:
            outcome = do_revoke(con, practice, who, pairs=_pairs(pair, practice) if pair else None, source_file=source)
            faults.point("review-revoke:committed")
        except UnknownPractice as exc:
            fail(str(exc))
        except OperationRefused as exc:
            refuse(str(exc))
    print_outcome(outcome)


def rollback(
    practice: Annotated[str, typer.Option("--practice", "-p", metavar="ID", help="practice id", show_default=False)],
    to: Annotated[str | None, typer.Option("--to", metavar="N|none", help="version to restore, or `none` for not promoted (default: the one that "
                                                          "was current when the current one was promoted, unless a rollback made the current one)", show_default=False)] = None,
    by: By = None,
    warehouse: Warehouse = None,
) -> None:
    """Restore an earlier promoted version (or none) and pin the practice there until `scr practice release`.

    Without --to it undoes the current version, which a run or an unmerge made; it is refused (exit 1, naming the
    rollback) when a rollback made the current one, so running it again (say, after it was killed) never goes back
    twice. Going further back names the version: --to N. Retrying --to N is refused alike (already on version N).
    """
    from flows import faults
    from flows.operations import OperationRefused, UnknownPractice, rollback as do_rollback
    from warehouse.promote import PromotionError

    target: int | None | str = "previous"
    if to is not None:
        if to.lower() == "none":
            target = None
        elif to.isdigit():
            target = int(to)
        else:
            fail(f"--to {to!r}: give a version number or none")
    who = operator(by)
    with writing(warehouse) as con:
        try:
            outcome = do_rollback(con, practice, who, target)
            faults.point("rollback:committed")
        except UnknownPractice as exc:
            fail(str(exc))
        except (OperationRefused, PromotionError) as exc:
            refuse(str(exc))
    print_outcome(outcome)


def unmerge(
    unified_id: Annotated[str, typer.Option("--unified-id", "-u", metavar="UNIFIED_ID", help="unified client id to split", show_default=False)],
    by: By = None,
    warehouse: Warehouse = None,
) -> None:
    """Split a unified client into one per source record; its pairs are recorded as rejected so no run merges them again."""
    from flows import faults
    from flows.operations import unmerge as do_unmerge
    from warehouse.promote import PromotionError

    who = operator(by)
    with writing(warehouse) as con:
        try:
            outcome, ids = do_unmerge(con, unified_id, who)
            faults.point("unmerge:committed")
        except PromotionError as exc:
            refuse(str(exc))
    # the split's own line (its first change, with the version), then the new ids under it: said once
    first, *rest = outcome.changes
    out.print(Text.assemble((unified_id, "bold"), shown(first.removeprefix(unified_id)) + ":"), highlight=False)
    for i in ids:
        out.print(f"  {i}", highlight=False, markup=False)
    print_outcome(replace(outcome, changes=rest))
