"""match_model against a real DuckDB file: round trip, idempotent save, one current model, read-only load."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import numpy as np
import pytest

from transforms.compare import FIELDS
from transforms.model import DEFAULT_M, DEFAULT_U, Model, ModelMismatch, score
from warehouse.model_store import load_model, model_id, save_model
from warehouse.schema import create_all


def model(prior: float) -> Model:
    norm = lambda d: {f: np.asarray(v, dtype=np.float64) / sum(v[1:]) for f, v in d.items()}  # noqa: E731
    return Model(m=norm(DEFAULT_M), u=norm(DEFAULT_U), prior=prior, iterations=3)


def rows(con) -> list[tuple]:
    return con.execute("select model_id, run_id, practices, records, is_current from match_model order by model_id").fetchall()


@pytest.fixture()
def db(tmp_path: Path) -> Path:
    path = tmp_path / "wh.duckdb"
    with duckdb.connect(str(path)) as con:
        create_all(con)
    return path


def test_nothing_saved_loads_none(db: Path):
    with duckdb.connect(str(db)) as con:
        create_all(con)
        assert load_model(con) is None
    with duckdb.connect(str(db), read_only=True) as ro:
        assert load_model(ro) is None


def test_save_then_load_scores_identically_on_a_read_only_connection(db: Path):
    a = model(0.07)
    with duckdb.connect(str(db)) as con:
        mid = save_model(con, a.to_dict(), "run-1", practices=50, records=6100)
        assert rows(con) == [(mid, "run-1", 50, 6100, True)]
    with duckdb.connect(str(db), read_only=True) as ro:
        got = Model.from_dict(load_model(ro))
    assert got.to_dict() == a.to_dict()
    gamma = np.stack([np.arange(200) % len(levels) for levels in FIELDS.values()], axis=1).astype(np.int8)
    for x, y in zip(score(gamma, a), score(gamma, got), strict=True):
        assert np.array_equal(x, y)


def test_saving_the_same_model_twice_changes_nothing(db: Path):
    with duckdb.connect(str(db)) as con:
        first = save_model(con, model(0.07).to_dict(), "run-1", 50, 6100)
        before = con.execute("select * from match_model").fetchall()
        again = save_model(con, model(0.07).to_dict(), "run-2", 60, 7000)
        assert again == first == model_id(model(0.07).to_dict())
        assert con.execute("select * from match_model").fetchall() == before


def test_the_last_saved_model_is_the_only_current_one(db: Path):
    a, b = model(0.07), model(0.09)
    with duckdb.connect(str(db)) as con:
        ida, idb = save_model(con, a.to_dict(), "run-1", 50, 6100), save_model(con, b.to_dict(), "run-2", 50, 6200)
        assert ida != idb
        assert {r[0]: r[4] for r in rows(con)} == {ida: False, idb: True}
        assert load_model(con) == b.to_dict()
        # going back to an earlier model makes it current again, keeping its first record
        save_model(con, a.to_dict(), "run-3", 1, 1)
        assert {r[0]: (r[1], r[4]) for r in rows(con)} == {ida: ("run-1", True), idb: ("run-2", False)}
        assert load_model(con) == a.to_dict()


def test_a_stored_model_of_another_format_is_refused(db: Path):
    with duckdb.connect(str(db)) as con:
        mid = save_model(con, model(0.07).to_dict(), "run-1", 50, 6100)
        d = model(0.07).to_dict()
        con.execute("update match_model set model = ? where model_id = ?", [json.dumps({**d, "format_version": 0}), mid])
        with pytest.raises(ModelMismatch):
            Model.from_dict(load_model(con))
