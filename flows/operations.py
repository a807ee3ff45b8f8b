"""What an operator does to one practice: step-two strategy, step one confirmed, undo (rollback, unmerge,
revoke) and release. Each is one transaction that also records who and when, and leaves a status that says
what happened and what comes next. No Prefect here: these commands run no flow.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field

import duckdb
import polars as pl

from flows import faults
from flows.commit import unified_tables
from flows.words import did_you_mean, plural, verb
from landing.schema import PRACTICE
from transforms.status_rules import auto_consolidates, step_one, with_choices
from transforms.survivorship import STRATEGIES
from warehouse.choices import latest_choices, pin, read_pins, record_choice, unpin
from warehouse.db import transaction
from warehouse.promote import PromotionError, current_rows, promote, unified_members
from warehouse.promote import rollback as rollback_version
from warehouse.review import last_withdrawal, pending_count, record_decisions, review_counts, revoke_decisions, withdrawn_apart
from warehouse.staging import client_counts, read_practices, read_staging
from warehouse.status import mark_changed, read_status, write_status

__all__ = [
    "OperationRefused", "UnknownPractice", "Outcome", "effective_registry", "practice_row", "set_strategy", "confirm",
    "unconfirm", "release", "rollback", "unmerge", "revoke", "decisions_recorded", "review_detail",
]  # fmt: skip


class OperationRefused(ValueError):
    """What was asked cannot be done (exit 1): the message says why and what to do instead."""


class UnknownPractice(OperationRefused):
    """The practice is not in the registry the warehouse knows (exit 2: bad usage)."""


@dataclass
class Outcome:
    """What a command changed, in words a person reads, and the status it left."""

    practice_id: str
    changes: list[str] = field(default_factory=list)
    status: str | None = None
    detail: str | None = None
    previous: str | None = None  # the status before the command (_finish reads it): "stays failed", not "is now failed"


def effective_registry(con: duckdb.DuckDBPyConnection, registry: pl.DataFrame | None = None) -> pl.DataFrame:
    """The registry (practices.json as last read, or the one given) with the operators' choices applied."""
    base = read_practices(con) if registry is None else registry
    return with_choices(base, latest_choices(con))


def practice_row(con: duckdb.DuckDBPyConnection, practice_id: str) -> dict:
    """The practice's effective registry row; UnknownPractice if the warehouse has never seen it."""
    registry = effective_registry(con)
    reg = registry.filter(pl.col("practice_id") == practice_id)
    if reg.is_empty():  # a slip of the id (`p00004`) gets the id it was likely meant as, not a run to start
        if not read_status(con).filter(pl.col("practice_id") == practice_id).is_empty():
            # a practice the warehouse holds whose row left practices.json (QA, session 30: "unknown practice", and a
            # hint naming another practice, on a rollback)
            raise UnknownPractice(f"practice {practice_id!r} is no longer in practices.json (the registry the warehouse "
                                  "last read): its records and versions stay as they are; put its row back and run "
                                  f"`scr rerun -p {practice_id}` to work on it")  # fmt: skip
        near = did_you_mean([practice_id], registry["practice_id"].to_list())
        raise UnknownPractice(f"unknown practice {practice_id!r}: not in the registry the warehouse last read"
                              + (near or " (run `scr run` first?)"))
    return reg.row(0, named=True)


def _pinned(con: duckdb.DuckDBPyConnection, practice_id: str) -> dict | None:
    pins = read_pins(con).filter(pl.col("practice_id") == practice_id)
    return None if pins.is_empty() else pins.row(0, named=True)


def _current_status(con: duckdb.DuckDBPyConnection, practice_id: str) -> tuple[str | None, str | None]:
    row = read_status(con).filter(pl.col("practice_id") == practice_id)
    return (None, None) if row.is_empty() else (row["status"][0], row["detail"][0])


def _finish(con: duckdb.DuckDBPyConnection, out: Outcome, by: str) -> Outcome:
    """Write the outcome's status (and its history), mark the practice changed for the snapshot."""
    out.previous = _current_status(con, out.practice_id)[0]
    if out.status is not None:
        frame = pl.DataFrame({"practice_id": [out.practice_id], "status": [out.status], "detail": [out.detail]})
        write_status(con, frame, f"operator:{by}")
    mark_changed(con, [out.practice_id])
    return out


def _kept_failed(con: duckdb.DuckDBPyConnection, out: Outcome) -> bool:
    """A practice failed on its input stays failed, its reason as the run wrote it, whatever an operator chooses: the
    next run reads the same files and fails it again (as a run's baseline keeps it failed before step one too)."""
    status, detail = _current_status(con, out.practice_id)
    if status != "failed":
        return False
    out.status, out.detail = status, detail
    out.changes.append(f"it stays failed until its files are fixed: fix what the detail names, then `scr rerun -p {out.practice_id}`")
    return True


def _step_one_status(row: dict) -> tuple[str | None, str | None]:
    s = step_one(pl.DataFrame([row], schema=PRACTICE))
    return s["status"][0], s["detail"][0]


def set_strategy(con: duckdb.DuckDBPyConnection, practice_id: str, strategy: str, by: str) -> Outcome:
    """Record the step-two strategy (keep_xpm, keep_hq or combine); the next wave consolidates with it."""
    if strategy not in STRATEGIES:
        raise OperationRefused(f"strategy {strategy!r} is not one of {', '.join(STRATEGIES)}")
    with transaction(con):
        row = practice_row(con, practice_id)
        if strategy == "keep_xpm" and not row["uses_xpm"] and not row["uses_tax"]:  # worded as confirm words what does not apply
            raise OperationRefused(
                f"practice {practice_id} uses Xero HQ only: there are no XPM or Tax clients to keep (keep_hq or combine apply)"
            )
        if row["strategy"] == strategy:
            raise OperationRefused(f"practice {practice_id} already has strategy {strategy}")
        record_choice(con, practice_id, "strategy", strategy, row["strategy"], by)
        out = Outcome(practice_id, [f"strategy {row['strategy'] or 'not chosen'} -> {strategy} (by {by})"])
        if _kept_failed(con, out):
            return _finish(con, out, by)
        s1, s1_detail = _step_one_status(row)
        if s1 is not None:
            out.status, out.detail = s1, f"{s1_detail}; strategy {strategy} chosen by {by}"
        elif _pinned(con, practice_id):
            out.status, out.detail = _current_status(con, practice_id)
            out.detail = f"strategy {strategy} chosen by {by}; pinned: `scr practice release {practice_id}` to apply it"
        elif pending_count(con, practice_id):  # a person still has its links to decide: it stays in review
            # what the detail said of the strategy ("strategy not chosen yet", an earlier choice) is no longer true
            kept = [part for part in (_current_status(con, practice_id)[1] or "").split("; ") if part and not part.startswith("strategy ")]
            counts = review_counts(con, [practice_id]).row(0, named=True)
            detail = "; ".join([f"strategy {strategy} chosen by {by}: its next run consolidates with it", *kept])
            out.status, out.detail = "in_review", _bounded(review_detail(detail, counts["pending"], counts["decided"]))
        else:
            out.status, out.detail = "coming_soon", f"strategy {strategy} chosen by {by}: waiting for its consolidation wave"
        return _finish(con, out, by)


def confirm(con: duckdb.DuckDBPyConnection, practice_id: str, by: str) -> Outcome:
    """Step one: the Master Admin confirms the practice's connection (only they may)."""
    with transaction(con):
        row = practice_row(con, practice_id)
        if not row["uses_xpm"] and not row["uses_tax"]:
            raise OperationRefused(f"practice {practice_id} uses Xero HQ only: there is no connection to confirm")
        admin = (row["master_admin"] or "").lower()
        if by.lower() != admin:
            raise OperationRefused(f"only the Master Admin of {practice_id} ({row['master_admin']}) may confirm its connection, not {by}")
        if _step_one_status(row)[0] is None:
            raise OperationRefused(f"practice {practice_id}'s connection is already confirmed by {row['connected_by']}")
        record_choice(con, practice_id, "connection", "confirmed", row["connection"], by)
        # a registry connection confirmed by someone else (status confirm) said "confirmed -> confirmed": say by whom
        was = f"{row['connection']} by {row['connected_by']}" if row["connection"] == "confirmed" and row["connected_by"] else row["connection"]
        out = Outcome(practice_id, [f"connection {was} -> confirmed (by {by})"])
        if not _kept_failed(con, out):
            out.status, out.detail = _step_one_done(con, row, f"step one confirmed by {by}")
        return _finish(con, out, by)


def _step_one_done(con: duckdb.DuckDBPyConnection, row: dict, said: str) -> tuple[str, str]:
    """The status of a practice whose step one is now done, until its next run, as that run would give it from what the
    warehouse holds: in review while links await a person or a strategy is still to be chosen (a practice read already
    and too large to consolidate on its own), else waiting for its consolidation wave. It said "waiting for its
    consolidation wave" whatever awaited a person (found by hand, session 28)."""
    from flows.settings import get_settings

    pid = row["practice_id"]
    pending = pending_count(con, pid)
    counts = client_counts(con, [pid])
    small = get_settings().small_practice_max
    to_choose = row["strategy"] is None and not counts.is_empty() and not auto_consolidates(
        pl.DataFrame([row], schema=PRACTICE), counts, small)["auto"][0]  # fmt: skip
    if to_choose:
        status, detail = "in_review", f"{said}; strategy not chosen yet (keep_xpm, keep_hq or combine){_awaiting(pending)}"
    elif pending:
        status, detail = "in_review", f"{said}: its next run consolidates it{_awaiting(pending)}"
    elif row["strategy"] is None and counts.is_empty():
        # never read: its size, and so whether it needs a strategy, is known only when its wave reads it (found by QA,
        # session 29: this said only "waiting", and its wave then stopped in review to ask)
        status, detail = "coming_soon", (f"{said}: waiting for its consolidation wave, which asks for a strategy first unless "
                                         f"each of its files holds {small} clients or fewer (`scr practice strategy {pid} "
                                         "keep_xpm|keep_hq|combine` now saves that stop)")  # fmt: skip
    else:
        status, detail = "coming_soon", f"{said}: waiting for its consolidation wave"
    if _pinned(con, pid):
        detail += f"; pinned until `scr practice release {pid}`"
    return status, _bounded(detail)


def unconfirm(con: duckdb.DuckDBPyConnection, practice_id: str, by: str) -> Outcome:
    """Withdraw a recorded confirmation: the practice waits for its Master Admin again."""
    with transaction(con):
        row = practice_row(con, practice_id)
        if not row["uses_xpm"] and not row["uses_tax"]:  # worded as confirm words it
            raise OperationRefused(f"practice {practice_id} uses Xero HQ only: there is no connection to unconfirm")
        s1, s1_detail = _step_one_status(row)
        if s1 is not None:  # not confirmed, or confirmed by someone who is not its Master Admin: step one is not done
            raise OperationRefused(f"practice {practice_id}'s step one is not done ({s1_detail}): there is no confirmation to withdraw")
        record_choice(con, practice_id, "connection", "unconfirmed", row["connection"], by)
        after = {**row, "connection": "unconfirmed", "connected_by": None}
        out = Outcome(practice_id, [f"connection confirmed -> unconfirmed (by {by})"])
        if not _kept_failed(con, out):
            out.status, out.detail = _step_one_status(after)
        return _finish(con, out, by)


def release(con: duckdb.DuckDBPyConnection, practice_id: str, by: str) -> Outcome:
    """Unpin a practice held after a rollback: the next wave runs it again."""
    with transaction(con):
        practice_row(con, practice_id)
        held = _pinned(con, practice_id)
        if held is None:
            raise OperationRefused(f"practice {practice_id} is not pinned")
        unpin(con, practice_id)
        record_choice(con, practice_id, "pin", None, str(held["version"]) if held["version"] is not None else "none", by, "released")
        out = Outcome(practice_id, [f"released from {'version ' + str(held['version']) if held['version'] else 'no version'} (by {by})"])
        if _kept_failed(con, out):
            return _finish(con, out, by)
        pending = pending_count(con, practice_id)
        status, detail = _current_status(con, practice_id)
        if pending:  # as for a strategy: links that await a person keep it in review
            out.status, out.detail = "in_review", f"released by {by}: its next run consolidates it{_awaiting(pending)}"
        elif status == "complete" and held["version"] is not None and not _strategy_since(con, practice_id, held["version"]):
            # complete on the version it was held on, which stays promoted: released, it is no less complete (it said
            # coming_soon, as if nothing were promoted); what no longer holds is only that it is pinned
            kept = [part for part in (detail or "").split("; ") if part and "pinned" not in part]
            out.status, out.detail = "complete", _led_by(
                f"released by {by}: version {held['version']} stays promoted (`scr rerun -p {practice_id}` consolidates "
                "it again)", "; ".join(kept), r"released by .+")
        else:
            out.status, out.detail = "coming_soon", f"released by {by}: waiting for its consolidation wave"
        return _finish(con, out, by)


def _strategy_since(con: duckdb.DuckDBPyConnection, practice_id: str, version: int) -> bool:
    """Whether a strategy was chosen after `version` was promoted: only a run applies it, so the practice waits for one."""
    from warehouse.choices import read_choices
    from warehouse.promote import versions

    promoted = versions(con, practice_id).filter(pl.col("version") == version)["promoted_at"]
    chosen = read_choices(con, practice_id).filter(pl.col("choice") == "strategy")["chosen_at"]
    return promoted.is_empty() or bool((chosen > promoted[0]).any())


def rollback(con: duckdb.DuckDBPyConnection, practice_id: str, by: str, to: int | None | str = "previous") -> Outcome:
    """Restore an earlier version (or none) and pin the practice there; undoes the unmerges it steps back over.

    `to="previous"` undoes the version a run or an unmerge made: it is refused when the current version is a rollback's
    (the same command again after one that committed, killed before it said so, would go one version further back).
    """
    with transaction(con):
        practice_row(con, practice_id)
        if to == "previous":
            _not_after_a_rollback(con, practice_id)
        left, now = rollback_version(con, practice_id, to)
        _with_its_hashes(con, practice_id, now)
        pin(con, practice_id, now, by, f"rollback from {left}")
        record_choice(con, practice_id, "pin", "none" if now is None else str(now), None if left is None else str(left), by, "rollback")
        out = Outcome(practice_id, [f"version {left if left is not None else 'none'} -> {now if now is not None else 'none (not promoted)'}"])
        # an unmerge stepped back over is undone whole: its reject decisions go too, or a later run would split again
        undone = current_unmerges(con, practice_id, after=now)
        for source in undone:
            gone = revoke_decisions(con, practice_id, by, source_file=source)
            if gone.height:
                out.changes.append(f"withdrew {plural(gone.height, 'decision')} of {source}")
        # and the unmerges the restored version holds are in force again: a rollback over one withdrew its rejects, and
        # without them the next run merged what this version keeps apart (found by QA, session 29)
        for source in [] if now is None else unmerges_upto(con, practice_id, now):
            back = withdrawn_apart(con, practice_id, source)
            if back.height:
                record_decisions(con, back, source, by)
                out.changes.append(f"recorded {plural(back.height, 'decision')} of {source} again: version {now} keeps its split")
        out.changes.append(f"pinned: waves leave {practice_id} alone until `scr practice release {practice_id}`")
        pinned = f"pinned until `scr practice release {practice_id}`"
        # a link that awaits a person keeps the practice in review, whichever version is promoted (as a run says)
        pending = pending_count(con, practice_id)
        waiting = _awaiting(pending)
        if now is None:  # nothing promoted: in review only while a person has links to decide (it said so with none)
            out.status = "in_review" if pending else "coming_soon"
            out.detail = f"rolled back to not promoted by {by}{waiting}; {pinned}"
        else:
            out.status = "in_review" if pending else "complete"
            out.detail = f"rolled back to version {now} by {by}{waiting}; {pinned}"
        _finish(con, out, by)
        faults.point("rollback:before-commit")
        return out


def _with_its_hashes(con: duckdb.DuckDBPyConnection, practice_id: str, version: int | None) -> None:
    """A version a rekey left without some hashes (one it did not read again: from before it re-keyed earlier versions,
    or a practice whose files failed then) gets them from its records' staging, which holds the warehouse's key; one
    whose records no longer give them (changed in the landing zone since) is refused: restored, it would lose them."""
    from warehouse.meta import forgotten_hashes, rekey_versions

    if version is None or not forgotten_hashes(con, practice_id, version):
        return
    rekey_versions(con, [practice_id])
    missing = forgotten_hashes(con, practice_id, version)
    if missing:
        raise OperationRefused(
            f"version {version} of practice {practice_id} holds {plural(missing, 'value')} (tax numbers, secret fields) whose hash "
            f"a rekey forgot and its source records no longer give (changed in the landing zone since): restored, it would "
            f"lose them; name another version with `scr rollback -p {practice_id} --to N` (or --to none)"
        )


def _not_after_a_rollback(con: duckdb.DuckDBPyConnection, practice_id: str) -> None:
    """OperationRefused when the practice's current version is where a rollback put it (its pin says so: an unmerge
    since moves the pin, a release removes it), naming that rollback and how to go further back."""
    from warehouse.promote import current_versions

    held = _pinned(con, practice_id)
    undone = re.fullmatch(r"rollback from (\S+)", (held or {}).get("reason") or "")
    if held is None or undone is None or held["version"] != current_versions(con, [practice_id]).get(practice_id):
        return
    on = "no version" if held["version"] is None else f"version {held['version']}"
    raise OperationRefused(
        f"practice {practice_id} is already rolled back: it is on {on} since a rollback from version {undone.group(1)} by "
        f"{held['pinned_by']} at {held['pinned_at']:%Y-%m-%d %H:%M} UTC; a rollback without --to undoes a version a run or "
        f"an unmerge made, never another rollback, so running it again changes nothing. To go further back, name the "
        f"version: `scr rollback -p {practice_id} --to N` (or --to none)"
    )


def current_unmerges(con: duckdb.DuckDBPyConnection, practice_id: str, after: int | None) -> list[str]:
    """Sources (`unmerge:<id>`) of the unmerge versions above `after` (all of them when None)."""
    return _unmerges(con, practice_id, lambda v: v if after is None else v.filter(pl.col("version") > after))


def unmerges_upto(con: duckdb.DuckDBPyConnection, practice_id: str, version: int) -> list[str]:
    """Sources (`unmerge:<id>`) of the unmerge versions at or below `version`."""
    return _unmerges(con, practice_id, lambda v: v.filter(pl.col("version") <= version))


def _unmerges(con: duckdb.DuckDBPyConnection, practice_id: str, which) -> list[str]:
    from warehouse.promote import versions

    return sorted({r for r in which(versions(con, practice_id))["run_id"].to_list() if r and r.startswith("unmerge:")})


def unmerge(con: duckdb.DuckDBPyConnection, unified_client_id: str, by: str) -> tuple[Outcome, list[str]]:
    """Split a promoted unified client into one per source record: a new version, reject decisions for its pairs."""
    from transforms.survivorship import survive

    members = unified_members(con, unified_client_id)
    if members.is_empty():
        raise PromotionError(f"unknown unified client {unified_client_id!r}: not in any current promoted version")
    pid = members["practice_id"][0]
    if members.height < 2:
        from warehouse.promote import versions

        # the same unmerge again (killed after its commit, before it said so): its split stands, say so
        done = versions(con, pid).filter(pl.col("run_id") == f"unmerge:{unified_client_id}")["version"].to_list()
        source = f"unmerge:{unified_client_id}"
        back = withdrawn_apart(con, pid, source) if done else None
        if back is not None and back.height:  # split, but its rejects withdrawn since (a revoke): the next run merged it
            with transaction(con):
                record_decisions(con, back, source, by)
                out = Outcome(pid, [f"{unified_client_id} is split (version {max(done)}), but {plural(back.height, 'reject decision')} "
                                    f"of {source} had been withdrawn: recorded again, so no run merges them"])  # fmt: skip
                if not _kept_failed(con, out):
                    out.status, out.detail = _current_status(con, pid)
                _finish(con, out, by)
            return out, [unified_client_id]
        if done:
            raise PromotionError(f"unified client {unified_client_id!r} is already split: an unmerge of it made version "
                                 f"{max(done)} of practice {pid}, and its records stay apart; nothing to do")  # fmt: skip
        raise PromotionError(f"unified client {unified_client_id!r} holds a single source record: nothing to split")
    # the split records drop out of the crosswalk: survive gives each its own deterministic id
    crosswalk = current_rows(con, "client_crosswalk", pid).filter(pl.col("unified_client_id") != unified_client_id)
    strategy = current_rows(con, "unified_client", pid)["strategy"].drop_nulls().unique().sort()
    strategies = pl.DataFrame({"practice_id": [pid], "strategy": [strategy[0] if len(strategy) else "combine"]})
    unified = survive(read_staging(con, [pid]), crosswalk, strategies)
    keys = members.select("source", "source_client_id").sort("source", "source_client_id").rows()
    pairs = pl.DataFrame(
        [(pid, a[0], a[1], b[0], b[1], "reject") for a, b in itertools.combinations(keys, 2)],  # the members of one client
        schema=["practice_id", "source_l", "source_client_id_l", "source_r", "source_client_id_r", "decision"],
        orient="row",
    )
    source = f"unmerge:{unified_client_id}"
    # the split and the decisions that keep it split commit together
    with transaction(con):
        record_decisions(con, pairs, source, by)
        version = promote(con, unified_tables(unified), [pid], run_id=source)[pid]
        faults.point("unmerge:promoted")
        out = Outcome(pid, [f"{unified_client_id} split into {plural(members.height, 'unified client')} (version {version})",
                            f"recorded {plural(pairs.height, 'reject decision')} ({source}) so no run merges them again"])  # fmt: skip
        held = _pinned(con, pid)
        if held is not None:  # a deliberate split of what was pinned: the pin follows it
            pin(con, pid, version, by, f"unmerge of {unified_client_id}")
            out.changes.append(f"still pinned, now on version {version}")
        if not _kept_failed(con, out):
            status, detail = _current_status(con, pid)
            if status == "in_review":  # its rejects decide the links among its records that awaited a person: recounted
                counts = review_counts(con, [pid]).row(0, named=True)  # (it kept the count from before; QA, session 29)
                detail = review_detail(detail or "", counts["pending"], counts["decided"])
            out.status, out.detail = status, _led_by(f"split {unified_client_id} by {by} (version {version})", detail,
                                                     rf"split {re.escape(unified_client_id)} by .+ \(version \d+\)")
        _finish(con, out, by)
    split = unified.crosswalk.join(members.select("practice_id", "source", "source_client_id"), on=["practice_id", "source", "source_client_id"])
    return out, sorted(split["unified_client_id"].to_list())


def revoke(
    con: duckdb.DuckDBPyConnection, practice_id: str, by: str, pairs: pl.DataFrame | None = None, source_file: str | None = None
) -> Outcome:
    """Withdraw review decisions (these pairs, one file's or one unmerge's, or all of the practice's)."""
    with transaction(con):
        practice_row(con, practice_id)
        gone = revoke_decisions(con, practice_id, by, pairs=pairs, source_file=source_file)
        faults.point("review-revoke:withdrawn")
        if gone.is_empty():
            which = f"from {source_file}" if source_file else "for those pairs" if pairs is not None else "at all"
            # the same revoke again (killed after its commit, before it said so): name the withdrawal that did it
            last = last_withdrawal(con, practice_id, source_file, pairs)
            done = (f" (already withdrawn: {plural(last['decisions'], 'decision')} by {last['by']} at {last['at']:%Y-%m-%d %H:%M} UTC)"
                    if last else "")  # fmt: skip
            raise OperationRefused(f"practice {practice_id} has no decision in force {which}{done}")
        out = Outcome(practice_id, [f"withdrew {plural(gone.height, 'decision')} ({', '.join(sorted(set(gone['source_file'].fill_null('?'))))})"])
        held = _pinned(con, practice_id)
        out.changes.append(f"pinned: release {practice_id} for a run to apply this" if held else f"`scr rerun -p {practice_id}` applies {'it' if gone.height == 1 else 'them'}")
        if _kept_failed(con, out):
            return _finish(con, out, by)
        status, detail = _current_status(con, practice_id)
        out.status, out.detail = status, _led_by(f"{plural(gone.height, 'decision')} withdrawn by {by}: rerun to apply", detail,
                                                 r"[\d,]+ decisions? withdrawn by .+: rerun to apply")
        if status == "in_review":  # the withdrawn decisions' links await a person again
            counts = review_counts(con, [practice_id]).row(0, named=True)
            out.detail = _bounded(review_detail(out.detail, counts["pending"], counts["decided"]))
        return _finish(con, out, by)


# the counts a status detail gives about review: what awaits a person, what awaits the next run
_REVIEW_COUNTS = re.compile(r"(?:; \d[\d,]* links? awaits? review|; \d[\d,]* decisions? recorded, applied by the practice's next run)+")


def _awaiting(pending: int) -> str:
    """'; 1 link awaits review', '; 3 links await review', nothing when none does (flows.journey words it so for a run)."""
    return f"; {plural(pending, 'link')} {verb(pending, 'awaits', 'await')} review" if pending else ""


def review_detail(detail: str, pending: int, decided: int) -> str:
    """`detail` with its review counts made current: links awaiting a person, decisions awaiting a run (none: no words)."""
    counts = _awaiting(pending) + (
        f"; {plural(decided, 'decision')} recorded, applied by the practice's next run" if decided else ""
    )
    if _REVIEW_COUNTS.search(detail):
        return _REVIEW_COUNTS.sub(counts, detail, count=1)
    return detail.rstrip("; ") + counts


def _in_review_details(con: duckdb.DuckDBPyConnection, practice_ids: list[str]) -> pl.DataFrame:
    """practice_id, status, detail of the practices in review among these, their review counts made current."""
    current = read_status(con).filter(pl.col("practice_id").is_in(practice_ids) & (pl.col("status") == "in_review"))
    counts = review_counts(con, current["practice_id"].to_list())
    rows = current.join(counts, on="practice_id").rows(named=True)  # one per practice
    return pl.DataFrame(
        {"practice_id": [r["practice_id"] for r in rows], "status": [r["status"] for r in rows],
         "detail": [_bounded(review_detail(r["detail"] or "", r["pending"], r["decided"])) for r in rows]},
        schema={"practice_id": pl.String, "status": pl.String, "detail": pl.String},
    )  # fmt: skip


def decisions_recorded(con: duckdb.DuckDBPyConnection, practice_ids: list[str], by: str) -> None:
    """After a review file's decisions were recorded: a practice in review says how many links still await a person
    and how many decisions its next run applies (the detail of the run that proposed them counted them all as waiting)."""
    write_status(con, _in_review_details(con, practice_ids), f"operator:{by}")
    mark_changed(con, practice_ids)


def _led_by(phrase: str, detail: str | None, kind: str) -> str:
    """`phrase; detail`, bounded, with the earlier phrases of the same kind (those `kind`, a pattern, matches whole: a
    split of the same client, a withdrawal of decisions) left out of what `detail` said before: an undo repeated says
    the latest once rather than pile up to the 500 characters, the same phrase (the same revoke after decisions were
    recorded again) or one that differs in a count or a version (`split U1 ... (version 3)`, then `(version 4)`)."""
    parts = [part for part in (detail or "").split("; ") if part and not re.fullmatch(kind, part)]
    return _bounded("; ".join([phrase, *parts]))


def _bounded(text: str) -> str:
    text = text.rstrip("; ")
    return text if len(text) <= 500 else text[:497] + "..."
