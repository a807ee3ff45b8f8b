"""Every warehouse table, in one place: its columns, key and whether it is held per practice.

`create_all` makes them all (idempotent, and adds columns an older warehouse lacks), so every
table the README lists exists, empty, from a warehouse's first run. Staging tables take their
columns from the readers' frame shapes (landing.schema); everything else is declared here.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import duckdb
import polars as pl

from landing import schema as staging_shapes
from warehouse.views import create_views

__all__ = ["Table", "TABLES", "VERSIONED", "WAREHOUSE_ID", "create_all", "columns", "duckdb_type", "has_table", "holds_a_warehouse", "not_a_warehouse", "table_names"]

V, B, D, TS, I, BI, F, J = "VARCHAR", "BOOLEAN", "DATE", "TIMESTAMP", "INTEGER", "BIGINT", "DOUBLE", "JSON"


@dataclass(frozen=True)
class Table:
    """One table: columns (name -> DuckDB type) and primary key; `practice` says rows carry a practice_id.

    `unique`: a key the loader keeps (warehouse.load.replace_practices refuses a frame that repeats one) instead
    of a primary key, for the tables of a million rows a wave rewrites chunk by chunk: DuckDB's index on them
    cost about a seventh of the writer's time (commits, staging and match writes; `benchmarks.stage_cpu`).
    """

    name: str
    columns: dict[str, str]
    key: tuple[str, ...] = ()
    practice: bool = True
    doc: str = ""
    unique: tuple[str, ...] = ()

    def ddl(self) -> str:
        cols = [f'"{c}" {t}' for c, t in self.columns.items()]
        if self.key:
            cols.append(f"primary key ({', '.join(self.key)})")
        return f"create table if not exists {self.name} ({', '.join(cols)})"


def duckdb_type(dtype: pl.DataType) -> str:
    """The DuckDB column type of a Polars dtype used in the frame shapes."""
    if isinstance(dtype, pl.Datetime):
        return TS
    types = {pl.String: V, pl.Boolean: B, pl.Date: D, pl.Int64: BI, pl.Int32: I, pl.Float64: F}
    base = dtype.base_type()
    if base not in types:
        raise TypeError(f"no DuckDB type for {dtype}")
    return types[base]


def _from_shape(shape: pl.Schema) -> dict[str, str]:
    return {c: duckdb_type(t) for c, t in shape.items()}


_STAGING_KEYS = {"practice": ("practice_id",)}
RECORD = ("practice_id", "source", "source_client_id")  # one source record
_STAGING_UNIQUE = {"client": RECORD}
RKEY = {"practice_id": V, "source": V, "source_client_id": V}
PAIR = {"practice_id": V, "source_l": V, "source_client_id_l": V, "source_r": V, "source_client_id_r": V}
UKEY = {"practice_id": V, "unified_client_id": V}
CROSSWALK = {**RKEY, "unified_client_id": V, "merge_status": V, "match_probability": F}

# What promotion keeps in versions: table -> columns of one version's rows (practice_id, version prepended).
PROMOTED: dict[str, dict[str, str]] = {
    "unified_client": {
        **UKEY, "name": V, "entity_type": V, "archived": B, "legal_name": V, "client_type": V, "business_structure": V,
        "title": V, "first_name": V, "other_name": V, "last_name": V, "date_of_birth": D, "email": V, "phone": V,
        "mobile": V, "fax": V, "website": V, "address_line1": V, "address_line2": V, "city": V, "region": V,
        "postcode": V, "country": V, "postal_line1": V, "postal_city": V, "postal_region": V, "postal_postcode": V,
        "postal_country": V, "abn": V, "abn_valid": B, "acn": V, "acn_valid": B, "nzbn": V, "nzbn_valid": B,
        "tfn_hash": V, "tfn_last3": V, "tfn_valid": B, "ird_hash": V, "ird_last3": V, "ird_valid": B,
        "gst_registered": B, "is_prospect": B, "account_manager_id": V, "account_manager_name": V,
        "member_count": BI, "sources": V, "strategy": V,
    },  # fmt: skip
    "unified_contact": {
        **UKEY, "contact_id": V, "is_primary": B, "name": V, "salutation": V, "addressee": V, "email": V, "phone": V,
        "mobile": V, "position": V, "source": V, "source_client_id": V,
    },  # fmt: skip
    "unified_group_member": {**UKEY, "group_id": V, "group_name": V, "source": V, "source_client_id": V},
    "unified_custom_field": {
        **UKEY, "field_id": V, "field_name": V, "value_type": V, "value": V, "value_hash": V, "value_last3": V,
        "is_secret": B, "source": V, "source_client_id": V,
    },  # fmt: skip
    "unified_relationship": {
        **UKEY, "relationship_type": V, "related_unified_client_id": V, "related_client_name": V, "relationship_id": V,
        "source": V, "source_client_id": V,
    },  # fmt: skip
    "unified_org_link": {**UKEY, "organisation_id": V, "organisation_name": V, "source": V, "source_client_id": V},
    # compact: one row per client, source record and rule, with the fields it gave (view field_lineage_by_field explodes it)
    "field_lineage": {**UKEY, "source": V, "source_client_id": V, "rule": V, "fields": "VARCHAR[]"},
    "client_crosswalk": {**CROSSWALK, "role": V},
}
VERSIONED = list(PROMOTED)


def _tables() -> dict[str, Table]:
    out: dict[str, Table] = {}

    def add(name: str, columns: dict[str, str], key: tuple[str, ...] = (), practice: bool = True, doc: str = "",
            unique: tuple[str, ...] = ()) -> None:  # fmt: skip
        out[name] = Table(name, columns, key, practice, doc, unique)

    for name, shape in staging_shapes.STAGING.items():
        add(f"stg_{name}", _from_shape(shape), _STAGING_KEYS.get(name, ()), doc="the landing zone as read",
            unique=_STAGING_UNIQUE.get(name, ()))  # fmt: skip

    # what each practice is, and why
    add("practice_status", {"practice_id": V, "status": V, "detail": V, "updated_at": TS, "run_id": V}, ("practice_id",),
        doc="one row per practice of the registry")
    add("practice_status_history",
        {"practice_id": V, "status": V, "detail": V, "run_id": V, "changed_at": TS},
        doc="every status change of a practice")
    add("practice_extract",
        {"practice_id": V, "fingerprint": V, "ok": B, "detail": V, "run_id": V, "extracted_at": TS}, ("practice_id",),
        doc="the last reading of a practice's landing files: their fingerprint and whether they were good")

    # the matcher
    add("client_match",
        {**PAIR, "match_weight": F, "match_probability": F, "decision": V, "veto": V, "evidence": V},
        doc="proposed links with their evidence")
    add("proposed_crosswalk", CROSSWALK, unique=RECORD,
        doc="the matcher's proposal: every source client of every matched practice once")
    add("suspect_link",
        {"practice_id": V, "link_kind": V, "source_l": V, "source_client_id_l": V, "source_r": V,
         "source_client_id_r": V, "match_probability": F, "evidence": V},
        doc="legacy links the evidence contradicts")  # fmt: skip
    add("match_model",
        {"model_id": V, "trained_at": TS, "run_id": V, "practices": I, "records": BI, "model": J, "is_current": B},
        ("model_id",), practice=False, doc="the stored match model")
    add("review_decision",
        {**PAIR, "decision": V, "decided_at": TS, "source_file": V, "decided_by": V},
        tuple(PAIR), doc="a person's accept / reject of a link, in force")
    add("review_decision_log",
        {**PAIR, "action": V, "decision": V, "source_file": V, "logged_by": V, "logged_at": TS},
        doc="every decision recorded and withdrawn, with who and when")

    # an operator's choices: the step-two strategy, step one's confirmation, pins after a rollback
    add("practice_choice",
        {"practice_id": V, "choice": V, "value": V, "previous": V, "chosen_by": V, "chosen_at": TS, "note": V},
        doc="every choice made for a practice, with who, when and the value it replaced")
    add("practice_pin",
        {"practice_id": V, "version": I, "pinned_by": V, "pinned_at": TS, "reason": V}, ("practice_id",),
        doc="practices held on a version (NULL: not promoted) until released; waves leave them alone")

    # quality and promotion
    add("quality_result",
        {"run_id": V, "practice_id": V, "suite": V, "expectation": V, "success": B, "unexpected_count": BI,
         "result": J, "checked_at": TS}, doc="Great Expectations results per practice and expectation")  # fmt: skip
    # previous_version: the version current when this one was promoted (NULL: none was), what a rollback without --to
    # goes back to (not merely the highest below it: that one may have been rolled back before this was made)
    add("promotion_version",
        {"practice_id": V, "version": I, "run_id": V, "content_hash": V, "promoted_at": TS, "is_current": B,
         "previous_version": I},
        ("practice_id", "version"), doc="every promoted version; is_current marks the one the views show")
    for name, cols in PROMOTED.items():
        add(f"{name}_version", {"practice_id": V, "version": I, **{c: t for c, t in cols.items() if c != "practice_id"}},
            doc=f"every version of {name}")

    # runs and the legacy sync
    add("pipeline_run",
        {"run_id": V, "kind": V, "started_at": TS, "finished_at": TS, "status": V, "summary": J, "invariants": J},
        ("run_id",), practice=False, doc="one row per run")
    add("run_practice",
        {"run_id": V, "practice_id": V, "records": BI, "clusters": BI, "auto_links": BI, "review_links": BI,
         "status": V, "detail": V, "written_at": TS, "unified_clients": BI},
        ("run_id", "practice_id"), doc="what each run did to each practice it took")  # fmt: skip
    add("sync_retirement",
        {"practice_id": V, "xpm_client_uuid": V, "hq_client_id": V, "linked_at": TS, "last_synced_at": TS,
         "retired_at": TS, "state_before": V, "as_of": D, "run_id": V, "xpm_found": B, "hq_found": B,
         "xpm_archived": B, "hq_archived": B, "drift_fields": I, "retired_by": V},
        ("practice_id", "xpm_client_uuid", "hq_client_id"), doc="legacy sync links retired")  # fmt: skip
    add("sync_drift",
        {"practice_id": V, "xpm_client_uuid": V, "hq_client_id": V, "field": V, "xpm_value": V, "hq_value": V,
         "edited_side": V, "hq_updated_at": TS, "last_synced_at": TS, "state": V, "run_id": V},
        ("practice_id", "xpm_client_uuid", "hq_client_id", "field"), doc="fields edited on one side after the last sync")  # fmt: skip
    add("sync_unconnected", {"practice_id": V, "connection": V, "note": V, "waiting_for": V}, ("practice_id",),
        doc="practices without step one at retirement")

    # bookkeeping: which practices changed in which commit (the snapshot publishes only those)
    add("practice_change", {"practice_id": V, "generation": BI}, ("practice_id",),
        doc="the last commit generation that changed each practice")
    add("warehouse_meta", {"key": V, "value": V}, ("key",), practice=False, doc="facts about the warehouse itself")
    # what the analysts' snapshot holds (warehouse.snapshot): its files, and which file holds each practice's rows
    add("snapshot_file",
        {"relation": V, "file": V, "rows": BI, "columns": V, "content_hash": V, "written_at": TS, "retired_at": TS},
        ("file",), practice=False, doc="Parquet files of the analysts' snapshot; retired ones are deleted after a grace period")
    add("snapshot_manifest", {"relation": V, "practice_id": V, "file": V, "rows": BI}, ("relation", "practice_id"),
        practice=False, doc="the snapshot file holding each practice's rows of each relation")
    return out


TABLES: dict[str, Table] = _tables()


def columns(table: str) -> list[str]:
    """Column names of a table, in order."""
    return list(TABLES[table].columns)


def table_names() -> list[str]:
    return list(TABLES)


def _current_view(name: str) -> str:
    return (
        f"create or replace view {name} as select t.* exclude (version) from {name}_version t "
        "join promotion_version p using (practice_id, version) where p.is_current"
    )


def has_table(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    """Whether the warehouse has this table yet (a warehouse from before it was added has not)."""
    return bool(con.sql("select count(*) from duckdb_tables() where table_name = $n", params={"n": name}).fetchall()[0][0])


# warehouse_meta's key of the warehouse's own id: random, written when the warehouse is made
WAREHOUSE_ID = "warehouse.id"
_FOREIGN_SHOWN = 3  # tables of a database that is no warehouse, named in the refusal; the rest counted


def not_a_warehouse(con: duckdb.DuckDBPyConnection, path: object = None) -> str | None:
    """Why the database `con` is in (the file `path`, else as DuckDB names it) is no warehouse, one line naming the
    file and a few of its tables: it holds tables and none of them is one of the warehouse's (another tool's database
    named as the warehouse, which a run filled with the warehouse's tables beside its own, QA7); None for a
    warehouse, or a database with no table (a new one)."""
    names = [r[0] for r in con.sql("select table_name from duckdb_tables() where database_name = current_database() "
                                   "order by table_name").fetchall()]  # fmt: skip
    if not names or set(names) & set(TABLES):
        return None
    if path is None:
        path = con.sql("select path from duckdb_databases() where database_name = current_database()").fetchall()[0][0]
    more = f" and {len(names) - _FOREIGN_SHOWN} more" if len(names) > _FOREIGN_SHOWN else ""
    return (f"warehouse {path} holds tables that are not a warehouse's: {', '.join(names[:_FOREIGN_SHOWN])}{more}: "
            "check --warehouse (or SCR_WAREHOUSE): it names another database")  # fmt: skip


def holds_a_warehouse(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether the database `con` is in holds any of the warehouse's tables (a new DuckDB database holds none: a run or
    `scr snapshot` makes it a warehouse)."""
    names = {r[0] for r in con.sql("select table_name from duckdb_tables() where database_name = current_database()").fetchall()}
    return bool(names & set(TABLES))


def create_all(con: duckdb.DuckDBPyConnection) -> None:
    """Create every table, the current-version views and the analysts' views; add columns an older warehouse lacks
    and drop the primary keys it has where the loader now keeps the key (idempotent). WarehouseUnusable, before
    anything is written, in a database that is no warehouse (not_a_warehouse)."""
    from warehouse.db import WarehouseUnusable

    foreign = not_a_warehouse(con)
    if foreign:
        raise WarehouseUnusable(foreign)
    have = _existing_columns(con)
    keyed = {r[0] for r in con.sql("select table_name from duckdb_constraints() where constraint_type = 'PRIMARY KEY'").fetchall()}
    for table in TABLES.values():
        if table.name not in have:
            con.execute(table.ddl())
            continue
        if table.name in keyed and not table.key:
            _without_primary_key(con, table.name)
        for col, typ in table.columns.items():
            if col not in have[table.name]:
                con.execute(f'alter table {table.name} add column "{col}" {typ}')
                if (table.name, col) == ("promotion_version", "previous_version"):
                    _previous_versions_from_history(con)
    views = {r[0] for r in con.sql("select view_name from duckdb_views() where not internal").fetchall()}
    for name in PROMOTED:
        if name in have and name not in views:
            # a warehouse from before proposals and promotions lived apart kept client_crosswalk as a table
            con.execute(f"drop table {name}")
        con.execute(_current_view(name))
    create_views(con)
    # who this warehouse is: published with the analysts' snapshot, so `scr status` tells a snapshot published from
    # another warehouse's file (QA7); an older warehouse gets one at its next write (what it showed before: unknown)
    con.execute("insert into warehouse_meta select $k, $v where not exists (select 1 from warehouse_meta where key = $k)",
                {"k": WAREHOUSE_ID, "v": uuid.uuid4().hex})


def _previous_versions_from_history(con: duckdb.DuckDBPyConnection) -> None:
    """A warehouse from before promotion_version kept previous_version: each version's is found from what made a
    version current, in time order: its promotion (promoted_at) or a rollback to it (practice_choice 'pin', note
    'rollback', its value the version or 'none'). The version current just before a version's promotion is the
    latest of those events before it; none (NULL) when there was none, or the latest made no version current."""
    con.execute(
        """update promotion_version p set previous_version = e.previous
           from (select v.practice_id, v.version,
                        (select ev.version from (
                             select practice_id, promoted_at as at, version from promotion_version
                             union all
                             select practice_id, chosen_at, try_cast(value as integer) from practice_choice
                             where choice = 'pin' and note = 'rollback') ev
                         where ev.practice_id = v.practice_id and ev.at < v.promoted_at
                         order by ev.at desc limit 1) as previous
                 from promotion_version v) e
           where p.practice_id = e.practice_id and p.version = e.version"""
    )


def _without_primary_key(con: duckdb.DuckDBPyConnection, name: str) -> None:
    """The table rebuilt with its rows and columns, without its primary key (DuckDB cannot drop one in place);
    the views over it are made anew by create_all."""
    con.execute(f"create table {name}__rebuilt as select * from {name}")
    con.execute(f"drop table {name}")
    con.execute(f"alter table {name}__rebuilt rename to {name}")


def _existing_columns(con: duckdb.DuckDBPyConnection) -> dict[str, set[str]]:
    rows = con.sql(
        "select table_name, column_name from duckdb_columns() where database_name = current_database() "
        "and schema_name = current_schema() and table_name in (select table_name from duckdb_tables())"
    ).fetchall()
    out: dict[str, set[str]] = {}
    for t, c in rows:
        out.setdefault(t, set()).add(c)
    return out
