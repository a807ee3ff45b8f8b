"""The cutover rule: the legacy client sync is retired on or after the cutover date, earlier only when forced."""

from __future__ import annotations

from datetime import date, datetime

__all__ = ["SyncRetirementRefused", "check_cutover", "today"]


def today() -> date:
    """The retirement's default day: today where the operator (or the deployment's worker) is, not in UTC; on the
    cutover morning in Sydney, UTC is still the day before, and the retirement was refused until 11:00."""
    return datetime.now().astimezone().date()


class SyncRetirementRefused(RuntimeError):
    """Retiring the legacy sync was asked for before the cutover date without --force."""


def check_cutover(as_of: date, cutover: date, force: bool) -> None:
    """Refuse a retirement before the cutover date unless forced."""
    if as_of < cutover and not force:
        raise SyncRetirementRefused(
            f"refusing to retire the legacy client sync on {as_of}: the cutover is {cutover} "
            "(Xero ends the client sync then); use --force to retire it early"
        )
