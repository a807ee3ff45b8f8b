"""warehouse_meta: facts about the warehouse itself, above all the fingerprint of the key its hashes use.

The fingerprint is an HMAC of a fixed label under the key (landing.secrets.HashKey.fingerprint): it
tells two keys apart and reveals nothing of either. A run with another key is refused; a rekey
forgets every HMAC made under the old key, so no two hashes under different keys are ever compared.
"""

from __future__ import annotations

import duckdb

from landing.secrets import KEYED_COLUMNS
from warehouse.promote import content_sql
from warehouse.schema import VERSIONED

__all__ = ["KEY_FINGERPRINT", "REREAD_PENDING", "read_meta", "write_meta", "forget_meta", "has_hashed_data", "forget_keyed_hashes"]

KEY_FINGERPRINT = "hash_key_fingerprint"
# set by a rekey in the transaction that forgets the old key's hashes, forgotten once every practice was read again
# with the new key: a rekey killed in between finds it and reads them again (a wave takes no complete practice)
REREAD_PENDING = "hash_key_reread_pending"


def _exists(con: duckdb.DuckDBPyConnection, table: str) -> bool:
    q = "select count(*) from information_schema.tables where table_name = $t and table_schema = 'main'"
    return bool(con.sql(q, params={"t": table}).fetchall()[0][0])


def read_meta(con: duckdb.DuckDBPyConnection, key: str) -> str | None:
    """One fact, or None (also on a read-only connection to a warehouse that has no warehouse_meta yet)."""
    if not _exists(con, "warehouse_meta"):
        return None
    rows = con.sql("select value from warehouse_meta where key = $k", params={"k": key}).fetchall()
    return rows[0][0] if rows else None


def write_meta(con: duckdb.DuckDBPyConnection, key: str, value: str) -> None:
    """Set one fact (inside the caller's transaction, if any); the table comes from warehouse.schema."""
    con.execute("insert or replace into warehouse_meta values ($k, $v)", {"k": key, "v": value})


def forget_meta(con: duckdb.DuckDBPyConnection, key: str) -> None:
    """Remove one fact (inside the caller's transaction, if any)."""
    con.execute("delete from warehouse_meta where key = $k", {"k": key})


def _keyed_columns(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str]]:
    """(table, column) of every base table column that holds an HMAC under the warehouse's key."""
    rows = con.sql(
        "select c.table_name, c.column_name from information_schema.columns c join information_schema.tables t "
        "using (table_schema, table_name) where t.table_type = 'BASE TABLE' and c.table_schema = 'main' "
        "and c.column_name in (select unnest($cols::varchar[])) order by all",
        params={"cols": list(KEYED_COLUMNS)},
    ).fetchall()
    return [(t, c) for t, c in rows]


def has_hashed_data(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether any stored row holds a keyed hash (a warehouse without a fingerprint but with these predates it)."""
    for table, column in _keyed_columns(con):
        if con.sql(f'select count(*) from "{table}" where "{column}" is not null').fetchall()[0][0]:
            return True
    return False


def forget_keyed_hashes(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Set every keyed-hash column of every table (staging and every promoted version) to null, and record each
    version's content hash anew, so that versions still hash to what is recorded; the caller holds the transaction.

    Returns rows cleared per table.column. Last-three columns stay: they show a number without revealing it.
    This is the one deliberate rewrite of promoted versions: it erases what the old key made.
    """
    cleared = {}
    for table, column in _keyed_columns(con):
        n = con.sql(f'select count(*) from "{table}" where "{column}" is not null').fetchall()[0][0]
        if n:
            con.execute(f'update "{table}" set "{column}" = null where "{column}" is not null')
        cleared[f"{table}.{column}"] = int(n)
    if _exists(con, "promotion_version"):
        relations = {t: f"{t}_version" for t in VERSIONED}
        con.execute(
            f"update promotion_version p set content_hash = c.content from ({content_sql(relations, ['practice_id', 'version'])}) c "
            "where p.practice_id = c.practice_id and p.version = c.version and p.content_hash <> c.content"
        )
    return cleared
