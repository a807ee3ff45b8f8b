"""The retirement's default day is today where the operator is, not in UTC; no retirement is dated a day not begun."""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from flows.cutover import SyncRetirementRefused, check_cutover, latest_day, today


@pytest.fixture()
def zone():
    before = os.environ.get("TZ")

    def set_zone(name: str) -> None:
        os.environ["TZ"] = name
        time.tzset()

    yield set_zone
    if before is None:
        os.environ.pop("TZ", None)
    else:
        os.environ["TZ"] = before
    time.tzset()


def test_today_is_the_operators_day_in_any_zone(zone):
    """UTC+14 and UTC-11: at any instant at least one of them is on another day than UTC, so a UTC default fails here."""
    for name in ("Pacific/Kiritimati", "Pacific/Pago_Pago", "Australia/Sydney", "UTC"):
        zone(name)
        first = datetime.now(ZoneInfo(name)).date()
        got = today()
        assert got in {first, datetime.now(ZoneInfo(name)).date()}, name  # midnight may pass between the two


def test_a_retirement_dated_a_day_not_begun_anywhere_is_refused_even_forced_and_a_dry_run_previews_it(zone):
    """`--as-of <cutover>` months before the cutover retired the sync unforced (found by hand, session 28)."""
    zone("Pacific/Pago_Pago")  # UTC-11: the machine's own day is the earliest on Earth
    latest = (datetime.now(UTC) + timedelta(hours=14)).date()
    assert latest_day() in {latest, (datetime.now(UTC) + timedelta(hours=14)).date()}
    cutover = latest_day() + timedelta(days=180)
    for force in (False, True):
        with pytest.raises(SyncRetirementRefused, match="has not begun anywhere yet") as refused:
            check_cutover(cutover, cutover, force)
        assert "--dry-run previews that day" in str(refused.value) and f"({cutover})" in str(refused.value)
    check_cutover(cutover, cutover, False, dry_run=True)  # the preview of the cutover's own day
    # the cutover past: the hint is to leave the date out
    with pytest.raises(SyncRetirementRefused, match="leave out --as-of"):
        check_cutover(latest_day() + timedelta(days=1), latest_day() - timedelta(days=30), False)
    # the day begun furthest east (25 hours ahead of this machine's zone) is a day: an operator there dates the
    # retirement with it, though the machine's own day is still the day before
    day = latest_day()
    assert day > today()
    check_cutover(day, day, False)
    check_cutover(today(), today(), False)
