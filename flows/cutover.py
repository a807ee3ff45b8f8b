"""The cutover rule: the legacy client sync is retired on or after the cutover date, earlier only when forced."""

from __future__ import annotations

from datetime import date

__all__ = ["SyncRetirementRefused", "check_cutover"]


class SyncRetirementRefused(RuntimeError):
    """Retiring the legacy sync was asked for before the cutover date without --force."""


def check_cutover(as_of: date, cutover: date, force: bool) -> None:
    """Refuse a retirement before the cutover date unless forced."""
    if as_of < cutover and not force:
        raise SyncRetirementRefused(
            f"refusing to retire the legacy client sync on {as_of}: the cutover is {cutover} "
            "(Xero ends the client sync then); use --force to retire it early"
        )
