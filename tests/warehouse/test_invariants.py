"""The invariants checked after every run: each holds on a sound warehouse and catches its own breach."""

from __future__ import annotations

import polars as pl
import pytest

from flows.commit import unified_tables
from landing.identifiers import PUBLIC_KINDS
from landing.frames import Frames
from tests.quality.factory import TFN_RAW, practice, strategies
from transforms.survivorship import survive
from warehouse.db import transaction
from warehouse.invariants import CHECKS, check
from warehouse.promote import promote
from warehouse.staging import load_staging


@pytest.fixture()
def sound(con):
    (f1, cw1), (f2, cw2) = practice("p1"), practice("p2")
    f, cw = Frames.concat([f1, f2]), pl.concat([cw1, cw2])
    with transaction(con):
        load_staging(con, f, ["p1", "p2"])
        promote(con, unified_tables(survive(f, cw, strategies(p1="combine", p2="keep_xpm"))), ["p1", "p2"], "run-1")
    return con


def broken(con) -> dict[str, int]:
    out = check(con, ["p1", "p2"], ["p1", "p2"], sorted(PUBLIC_KINDS))
    assert set(out) == set(CHECKS)
    return {k: v["violations"] for k, v in out.items() if not v["ok"]}


def test_a_sound_warehouse_breaks_nothing(sound):
    assert broken(sound) == {}


def test_a_lost_record_is_caught(sound):
    sound.execute("insert into stg_client (practice_id, source, source_client_id, name) values ('p1', 'hq', 'h-new', 'New')")
    assert broken(sound) == {"records_accounted_once": 1}


def test_a_doubled_crosswalk_row_is_caught(sound):
    sound.execute("insert into client_crosswalk_version select * from client_crosswalk_version where practice_id = 'p1' limit 1")
    got = broken(sound)
    assert got["crosswalk_rows_unique"] == 1 and got["records_accounted_once"] == 1 and "versions_immutable" in got


def test_a_client_spanning_two_practices_is_caught(sound):
    sound.execute(
        "update client_crosswalk_version set unified_client_id = (select min(unified_client_id) from unified_client where practice_id = 'p1') "
        "where practice_id = 'p2' and source_client_id = (select min(source_client_id) from client_crosswalk where practice_id = 'p2')"
    )
    got = broken(sound)
    assert got["client_in_one_practice"] == 1 and got["crosswalk_points_to_client"] == 1


def test_a_crosswalk_row_pointing_nowhere_is_caught(sound):
    sound.execute("update client_crosswalk_version set unified_client_id = 'nobody' where practice_id = 'p2' and source = 'hq'")
    got = broken(sound)
    assert got["crosswalk_points_to_client"] >= 1 and "versions_immutable" in got


def test_a_tax_number_in_clear_is_caught(sound):
    sound.execute(
        "insert into stg_identifier (practice_id, source, source_client_id, id_type, id_value) "
        f"values ('p1', 'hq', 'h1', 'TFN', '{TFN_RAW}'), ('p1', 'hq', 'h1', 'PASSPORT', 'N1234567')"
    )
    sound.execute(f"update stg_client set tfn_hash = '{TFN_RAW}' where practice_id = 'p2' and source = 'xpm'")
    assert broken(sound)["no_clear_secret"] >= 3
    # what a mistyped number may be a slip of is kept as keyed hashes only, never as the numbers
    before = broken(sound)["no_clear_secret"]
    sound.execute(
        "insert into stg_identifier (practice_id, source, source_client_id, id_type, id_hash, id_near) "
        f"values ('p1', 'hq', 'h1', 'TFN', '{'a' * 64}', '0123456789abcdef {TFN_RAW}')"
    )
    assert broken(sound)["no_clear_secret"] == before + 1


def test_an_edited_promoted_version_is_caught(sound):
    sound.execute("update unified_client_version set name = 'Someone Else' where practice_id = 'p2'")
    assert broken(sound) == {"versions_immutable": 1}
