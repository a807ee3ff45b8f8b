"""A warehouse's contents, comparable across runs: every table, sorted, without run ids and clock times."""

from __future__ import annotations

from pathlib import Path

import duckdb

from warehouse.views import VIEWS

# bookkeeping of runs themselves: a crashed run is recorded (as interrupted), a clean one is not; what the
# analysts' snapshot holds (its file names are new on every publish); the analysts' views, which summarise the
# tables compared here with run durations and waiting times
RUN_BOOKKEEPING = {"pipeline_run", "run_practice", "practice_change", "warehouse_meta", "snapshot_file", "snapshot_manifest", *VIEWS}


def _volatile(column: str) -> bool:
    return column == "run_id" or column.endswith("_at")


def warehouse_state(path: Path) -> dict[str, list[tuple]]:
    """table -> its distinct rows (volatile columns left out), sorted; views included."""
    with duckdb.connect(str(path), read_only=True) as con:
        names = [r[0] for r in con.sql(
            "select table_name from information_schema.tables where table_schema = 'main' order by 1").fetchall()]  # fmt: skip
        out = {}
        for name in names:
            if name in RUN_BOOKKEEPING:
                continue
            cols = [r[0] for r in con.sql(f'describe "{name}"').fetchall() if not _volatile(r[0])]
            select = ", ".join(f'"{c}"::varchar' for c in cols)
            out[name] = con.sql(f'select distinct {select} from "{name}" order by all').fetchall()
        return out


def differences(a: dict[str, list[tuple]], b: dict[str, list[tuple]], ignore: frozenset[str] = frozenset()) -> dict[str, str]:
    """table -> a short account of how two states differ (empty when identical); `ignore` names tables left out."""
    diff = {}
    for table in sorted((set(a) | set(b)) - set(ignore)):
        ra, rb = set(a.get(table, [])), set(b.get(table, []))
        if ra != rb:
            diff[table] = f"{len(ra - rb)} rows only in the first, {len(rb - ra)} only in the second; e.g. {sorted(ra ^ rb)[:2]}"
    return diff


# what a chunk writes about each of its practices; run_practice is written last in the same transaction
CHUNK_DATA = (
    "stg_client", "stg_identifier", "stg_contact", "stg_group_member", "stg_relationship", "stg_custom_field",
    "stg_org_link", "stg_sync_link", "practice_extract", "client_match", "proposed_crosswalk", "suspect_link",
    "quality_result", "promotion_version", "unified_client_version", "client_crosswalk_version", "field_lineage_version",
)


def _rows_by_practice(con: duckdb.DuckDBPyConnection, table: str) -> dict[str, set[tuple]]:
    cols = [r[0] for r in con.sql(f'describe "{table}"').fetchall() if not _volatile(r[0])]
    select = ", ".join(f'"{c}"::varchar' for c in cols)
    out: dict[str, set[tuple]] = {}
    for row in con.sql(f'select practice_id, {select} from "{table}"').fetchall():
        out.setdefault(row[0], set()).add(row[1:])
    return out


def torn_practices(killed: Path, reference: Path) -> dict[str, str]:
    """Practices a killed run left half-written: practice -> what is wrong (empty when every chunk is whole or absent).

    On a fresh warehouse, a practice whose chunk committed holds exactly the reference's rows in every table a
    chunk writes; a practice whose chunk did not commit holds none.
    """
    with duckdb.connect(str(killed), read_only=True) as k, duckdb.connect(str(reference), read_only=True) as r:
        tables = {row[0] for row in k.sql("select table_name from information_schema.tables").fetchall()}
        if "run_practice" not in tables:  # killed before the schema committed (one transaction): no table at all
            return {t: "a chunk's table without the schema" for t in CHUNK_DATA if t in tables}
        done = {row[0] for row in k.sql("select distinct practice_id from run_practice").fetchall()}
        bad: dict[str, str] = {}
        for table in CHUNK_DATA:
            got, want = _rows_by_practice(k, table), _rows_by_practice(r, table)
            for pid in set(got) | (done & set(want)):
                if pid in done and got.get(pid, set()) != want.get(pid, set()):
                    bad.setdefault(pid, f"{table}: committed chunk differs from a clean run")
                elif pid not in done and got.get(pid):
                    bad.setdefault(pid, f"{table}: rows of a chunk that never committed")
        return bad
