"""The cutover rule: the legacy client sync is retired on or after the cutover date, earlier only when forced, and
never dated a day that has not begun (a later day is a dry run's preview only)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

__all__ = ["SyncRetirementRefused", "check_cutover", "today", "latest_day"]


def today() -> date:
    """The retirement's default day: today where the operator (or the deployment's worker) is, not in UTC; on the
    cutover morning in Sydney, UTC is still the day before, and the retirement was refused until 11:00."""
    return datetime.now().astimezone().date()


class SyncRetirementRefused(RuntimeError):
    """Retiring the legacy sync was asked for before the cutover date without --force."""


def latest_day() -> date:
    """The latest day begun anywhere now (UTC+14, Kiritimati): an operator on the cutover morning anywhere may date the
    retirement that day, whatever zone the machine keeps; no one can date it a day that has begun nowhere yet."""
    return (datetime.now(UTC) + timedelta(hours=14)).date()


def check_cutover(as_of: date, cutover: date, force: bool, dry_run: bool = False) -> None:
    """Refuse a retirement before the cutover date unless forced, and one dated a day that has not begun (a dry run may
    preview any day on or after the cutover). Else `--as-of <cutover>` months early retired the sync unforced."""
    if not dry_run and as_of > latest_day():
        now = today()
        how = (f"--dry-run previews that day; --force without --as-of retires it before the cutover ({cutover}), today"
               if now < cutover else "leave out --as-of to retire it today, or add --dry-run to preview that day")
        raise SyncRetirementRefused(
            f"refusing to retire the legacy client sync as of {as_of}: that day has not begun anywhere yet (today is "
            f"{now} here), and a retirement is dated the day it is done: {how}"
        )
    if as_of < cutover and not force:
        raise SyncRetirementRefused(
            f"refusing to retire the legacy client sync on {as_of}: the cutover is {cutover} "
            "(Xero ends the client sync then); use --force to retire it early"
        )
