"""The fitted match model in table match_model: saved once, loaded by every chunk and rerun.

The store keeps the model as the JSON-safe dict the matcher gives it; it never interprets it.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime

import duckdb

__all__ = ["model_json", "model_id", "save_model", "load_model"]


def model_json(model: dict) -> str:
    """Canonical JSON of the model: the same model always gives the same text."""
    return json.dumps(model, sort_keys=True, separators=(",", ":"))


def model_id(model: dict) -> str:
    """'mm_' + sha256 of the canonical JSON [:20]: the id says which model scored a run."""
    return "mm_" + hashlib.sha256(model_json(model).encode()).hexdigest()[:20]


def save_model(con: duckdb.DuckDBPyConnection, model: dict, run_id: str, practices: int, records: int) -> str:
    """Store the model (once per content) and make it the current one, inside the caller's transaction."""
    text, mid = model_json(model), model_id(model)
    trained_at = datetime.now(UTC).replace(tzinfo=None)  # naive UTC, like the other timestamps
    # a model already stored keeps its first run and time: saving it again only makes it current
    con.execute(
        "insert into match_model select ?, ?, ?, ?, ?, ?, true where not exists (select 1 from match_model where model_id = ?)",
        [mid, trained_at, run_id, practices, records, text, mid],
    )
    con.execute("update match_model set is_current = (model_id = ?) where is_current <> (model_id = ?)", [mid, mid])
    return mid


def load_model(con: duckdb.DuckDBPyConnection) -> dict | None:
    """The current model as stored; None when none was saved."""
    rows = con.execute("select model from match_model where is_current order by trained_at desc, model_id limit 1").fetchall()
    return json.loads(rows[0][0]) if rows else None
