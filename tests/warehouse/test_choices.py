"""Operators' choices and pins on a warehouse from before they existed."""

import duckdb

from warehouse.choices import latest_choices, read_pins
from warehouse.schema import create_all, has_table


def test_a_warehouse_from_before_pins_and_choices_reads_as_having_none():
    old = duckdb.connect()  # no tables at all, as a warehouse made before these were added
    assert not has_table(old, "practice_pin")
    assert read_pins(old).is_empty() and latest_choices(old).is_empty()
    create_all(old)
    assert has_table(old, "practice_pin") and read_pins(old).is_empty()
