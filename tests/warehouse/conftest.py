"""A fresh in-memory warehouse with every table, as the flows create it."""

import duckdb
import pytest

from warehouse.schema import create_all


@pytest.fixture()
def con():
    c = duckdb.connect()
    create_all(c)
    yield c
    c.close()
