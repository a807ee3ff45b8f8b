"""Which key a warehouse's hashes use: checked before a run, recorded on its first run, changed only by a rekey.

Nothing hashed under two keys is ever compared: a run whose key is not the warehouse's is refused,
a task whose key (read from its own environment) is not the flow's fails, and a rekey forgets every
hash made under the old key before the new one is recorded.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import duckdb

from landing.secrets import HashKey
from warehouse.db import transaction
from warehouse.meta import KEY_FINGERPRINT, REREAD_PENDING, forget_keyed_hashes, has_hashed_data, read_meta, write_meta
from warehouse.status import mark_changed, read_status
from warehouse.sync_retirement import forget_sync_tokens

__all__ = ["KeyMismatch", "check_warehouse_key", "adopt_key", "check_task_key", "rekey", "REKEY_HINT"]

REKEY_HINT = (
    "set the key it was built with (SCR_HASH_KEY or SCR_HASH_KEY_FILE), or change the key with `scr rekey`, "
    "which forgets every hash made with the old key and re-reads every practice with the new one "
    "(each promoted practice whose records hold hashes then gets a new version)"
)


class KeyMismatch(RuntimeError):
    """The key in use is not the one the warehouse's hashes were made with."""


def check_warehouse_key(con: duckdb.DuckDBPyConnection, key: HashKey, warehouse: Path | str) -> None:
    """Refuse (KeyMismatch) when the warehouse's recorded fingerprint is another key's, or it holds hashes of an unknown key."""
    recorded = read_meta(con, KEY_FINGERPRINT)
    if recorded is None:
        if has_hashed_data(con):
            raise KeyMismatch(f"warehouse {warehouse} holds hashes but no record of their key (built before fingerprints "
                              f"were kept): {REKEY_HINT}")
        return
    if recorded != key.fingerprint:
        raise KeyMismatch(
            f"warehouse {warehouse} was built with another hash key (its fingerprint {recorded[:12]}, this key's "
            f"{key.fingerprint[:12]}, from {key.origin}): {REKEY_HINT}"
        )


def adopt_key(con: duckdb.DuckDBPyConnection, key: HashKey, warehouse: Path | str) -> None:
    """check_warehouse_key, then record the fingerprint if the warehouse has none yet (its first run)."""
    check_warehouse_key(con, key, warehouse)
    if read_meta(con, KEY_FINGERPRINT) is None:
        write_meta(con, KEY_FINGERPRINT, key.fingerprint)


def check_task_key(key: HashKey, fingerprint: str) -> None:
    """In a task: the key read where the task runs must be the flow's (a Dask worker may have another environment)."""
    if key.fingerprint != fingerprint:
        raise KeyMismatch(
            f"this worker's hash key ({key.origin}, fingerprint {key.fingerprint[:12]}) is not the run's "
            f"(fingerprint {fingerprint[:12]}): give every worker the same SCR_HASH_KEY or SCR_HASH_KEY_FILE"
        )


def rekey(con: duckdb.DuckDBPyConnection, key: HashKey) -> dict[str, int]:
    """Forget every hash under the old key and record the new key's fingerprint, in one transaction.

    Returns rows cleared per table.column. The caller then re-reads every practice with the new key.
    """
    with transaction(con):
        cleared = forget_keyed_hashes(con)
        # the retired links' record ids holding a tax number are the old key's tokens too (QA10 F5): forgotten now,
        # given their new token as each practice's links are read again (warehouse.sync_retirement.rekey_sync_tokens)
        cleared["sync_retirement+sync_drift tokens"] = forget_sync_tokens(con)
        write_meta(con, KEY_FINGERPRINT, key.fingerprint)
        changed_at = datetime.now(UTC).isoformat(timespec="seconds")
        write_meta(con, "hash_key_changed_at", changed_at)
        write_meta(con, REREAD_PENDING, changed_at)  # until every practice is read again with the new key
        # every practice again in the analysts' snapshot: none of it keeps a hash under the old key
        mark_changed(con, read_status(con)["practice_id"].to_list())
    return cleared
