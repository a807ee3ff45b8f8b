"""The fitted match model in table match_model: saved once, loaded by every chunk and rerun."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime

import duckdb

from transforms.model import Model

__all__ = ["MODEL_DDL", "model_json", "model_id", "save_model", "load_model"]

MODEL_DDL = """
create table if not exists match_model (
    model_id varchar primary key,
    trained_at timestamp not null,
    run_id varchar,
    practices integer,
    records bigint,
    model json not null,
    is_current boolean not null
)
"""


def model_json(model: Model) -> str:
    """Canonical JSON of the model: the same model always gives the same text."""
    return json.dumps(model.to_dict(), sort_keys=True, separators=(",", ":"))


def model_id(model: Model) -> str:
    """'mm_' + sha256 of the canonical JSON [:20]: the id says which model scored a run."""
    return "mm_" + hashlib.sha256(model_json(model).encode()).hexdigest()[:20]


def save_model(con: duckdb.DuckDBPyConnection, model: Model, run_id: str, practices: int, records: int) -> str:
    """Store the model (once per content) and make it the current one; returns its model_id."""
    text = model_json(model)
    mid = model_id(model)
    trained_at = datetime.now(UTC).replace(tzinfo=None)  # naive UTC, like the other timestamps
    con.execute(MODEL_DDL)
    con.execute("BEGIN TRANSACTION")
    try:
        # a model already stored keeps its first run and time: saving it again only makes it current
        con.execute(
            """
            insert into match_model
            select ?, ?, ?, ?, ?, ?, true
            where not exists (select 1 from match_model where model_id = ?)
            """,
            [mid, trained_at, run_id, practices, records, text, mid],
        )
        con.execute(
            "update match_model set is_current = (model_id = ?) where is_current <> (model_id = ?)", [mid, mid]
        )
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return mid


def _has_table(con: duckdb.DuckDBPyConnection) -> bool:
    rows = con.execute(
        """
        select count(*) from information_schema.tables
        where table_name = 'match_model' and table_catalog = current_database() and table_schema = current_schema()
        """
    ).fetchall()
    return rows[0][0] > 0


def load_model(con: duckdb.DuckDBPyConnection) -> Model | None:
    """The current model; None when none was saved. Raises ModelMismatch if this code cannot use it."""
    if not _has_table(con):
        return None
    rows = con.execute(
        "select model from match_model where is_current order by trained_at desc, model_id limit 1"
    ).fetchall()
    if not rows:
        return None
    return Model.from_dict(json.loads(rows[0][0]))
