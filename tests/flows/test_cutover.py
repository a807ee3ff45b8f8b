"""The retirement's default day is today where the operator is, not in UTC."""

from __future__ import annotations

import os
import time
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from flows.cutover import today


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
