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

__all__ = ["KEY_FINGERPRINT", "REREAD_PENDING", "read_meta", "write_meta", "forget_meta", "has_hashed_data", "forget_keyed_hashes",
           "rekey_versions", "forgotten_hashes"]

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
        _record_content(con)
    return cleared


def _record_content(con: duckdb.DuckDBPyConnection, practice_ids: list[str] | None = None) -> None:
    """Record each version's content hash anew (of these practices, or all) where its rows changed in place."""
    where = "" if practice_ids is None else " where practice_id in (select unnest($ids::varchar[]))"
    relations = {t: f"(select * from {t}_version{where})" for t in VERSIONED}
    con.execute(
        f"update promotion_version p set content_hash = c.content from ({content_sql(relations, ['practice_id', 'version'])}) c "
        "where p.practice_id = c.practice_id and p.version = c.version and p.content_hash <> c.content",
        {} if practice_ids is None else {"ids": practice_ids},
    )


# the keyed columns of the promoted tables, each filled from the staging row its value came from: a client's tax
# numbers from the source record its lineage names for them, a secret custom field from the same record's field
_CLIENT_HASHES = {"tfn_hash": "tfn_last3", "ird_hash": "ird_last3"}


def rekey_versions(con: duckdb.DuckDBPyConnection, practice_ids: list[str]) -> int:
    """Every promoted version of these practices gets its hashes back, under the key their
    staging was just read with; nothing else of them changes. Returns values set. A rekey's run does this for every
    version of every practice it reads, so an earlier version a rollback --to restores has its tax-number hashes too.

    A value comes from the staging record that gave it (field_lineage for a client's tax numbers, the record and
    field id for a custom field), and only where that record still shows the same last three characters: a number
    changed in the landing zone since the version was promoted stays forgotten (null), never replaced by another.
    The caller holds the transaction, after the practices' staging was written.
    """
    if not practice_ids:
        return 0
    ids = {"ids": sorted(set(practice_ids))}
    versions = ("join promotion_version p on p.practice_id = u.practice_id and p.version = u.version "
               "and u.practice_id in (select unnest($ids::varchar[]))")  # fmt: skip
    changed = 0
    for hashed, last3 in _CLIENT_HASHES.items():
        changed += con.execute(
            f"""update unified_client_version v set {hashed} = n.{hashed}
                from (select u.practice_id, u.version, u.unified_client_id, any_value(s.{hashed}) as {hashed}
                      from unified_client_version u {versions}
                      join field_lineage_version l on l.practice_id = u.practice_id and l.version = u.version
                        and l.unified_client_id = u.unified_client_id and list_contains(l.fields, '{hashed}')
                      join stg_client s on s.practice_id = l.practice_id and s.source = l.source
                        and s.source_client_id = l.source_client_id and s.{last3} = u.{last3}
                      where s.{hashed} is not null
                      group by all having count(distinct s.{hashed}) = 1) n
                where v.practice_id = n.practice_id and v.version = n.version and v.unified_client_id = n.unified_client_id
                  and v.{hashed} is distinct from n.{hashed}""",
            ids,
        ).fetchall()[0][0]
    changed += con.execute(
        f"""update unified_custom_field_version v set value_hash = n.value_hash
            from (select u.practice_id, u.version, u.unified_client_id, u.source, u.source_client_id, u.field_id,
                         any_value(s.value_hash) as value_hash
                  from unified_custom_field_version u {versions}
                  join stg_custom_field s on s.practice_id = u.practice_id and s.source = u.source
                    and s.source_client_id = u.source_client_id and s.field_id is not distinct from u.field_id
                    and s.value_last3 is not distinct from u.value_last3
                  where u.is_secret and s.value_hash is not null
                  group by all having count(distinct s.value_hash) = 1) n
            where v.practice_id = n.practice_id and v.version = n.version and v.unified_client_id = n.unified_client_id
              and v.source = n.source and v.source_client_id = n.source_client_id and v.field_id is not distinct from n.field_id
              and v.value_hash is distinct from n.value_hash""",
        ids,
    ).fetchall()[0][0]
    if changed:
        _record_content(con, ids["ids"])
    return int(changed)


def forgotten_hashes(con: duckdb.DuckDBPyConnection, practice_id: str, version: int) -> int:
    """Values of one promoted version whose hash a rekey forgot: a tax number or secret field whose last three
    characters it keeps, its hash null (a number is never stored with one and not the other otherwise)."""
    clients = " or ".join(f"({last3} is not null and {hashed} is null)" for hashed, last3 in _CLIENT_HASHES.items())
    params = {"p": practice_id, "v": version}
    n = con.sql(f"select count(*) from unified_client_version where practice_id = $p and version = $v and ({clients})", params=params)
    fields = con.sql("select count(*) from unified_custom_field_version where practice_id = $p and version = $v and is_secret "
                     "and value_last3 is not null and value_hash is null", params=params)  # fmt: skip
    return int(n.fetchall()[0][0] + fields.fetchall()[0][0])
