"""What must hold after every run, checked in SQL: records accounted for, clients within one practice,
no clear secret, promoted versions unchanged, the crosswalk pointing at clients that exist."""

from __future__ import annotations

import duckdb

from warehouse.promote import content_sql
from warehouse.schema import VERSIONED

__all__ = ["check", "CHECKS"]


def _accounted(promoted: str) -> str:
    # practices promoted by this run: their current crosswalk holds every staged record exactly once, and nothing else
    return f"""
        with p as (select unnest({promoted}::varchar[]) as practice_id),
        s as (select practice_id, source, source_client_id from stg_client where practice_id in (select practice_id from p)),
        c as (select practice_id, source, source_client_id, count(*) n from client_crosswalk
              where practice_id in (select practice_id from p) group by all)
        select coalesce(s.practice_id, c.practice_id) || ':' || coalesce(s.source, c.source) || ':'
               || coalesce(s.source_client_id, c.source_client_id)
        from s full join c using (practice_id, source, source_client_id)
        where c.n is distinct from 1 or s.source_client_id is null"""


_ONCE = """
    select practice_id || ':' || source || ':' || source_client_id from client_crosswalk group by all having count(*) > 1"""

_ONE_PRACTICE = """
    select unified_client_id from (
        select unified_client_id, practice_id from unified_client
        union all select unified_client_id, practice_id from client_crosswalk)
    group by 1 having count(distinct practice_id) > 1"""

_POINTS = """
    select c.practice_id || ':' || c.source || ':' || c.source_client_id from client_crosswalk c
    anti join unified_client u using (practice_id, unified_client_id)"""

# a tax number is never kept in clear: the hash columns hold 64 hex digits (id_near: 16 per hash), identifiers of a
# secret kind no value
_SECRETS = """
    select practice_id || ':' || source || ':' || source_client_id || ':' || id_type from stg_identifier
    where (id_value is not null and id_hash is null and id_type not in (select unnest($public::varchar[])))
       or (id_hash is not null and not regexp_full_match(id_hash, '[0-9a-f]{64}'))
       or (id_near is not null and not regexp_full_match(id_near, '[0-9a-f]{16}( [0-9a-f]{16})*'))
    union all
    select practice_id || ':' || source || ':' || source_client_id from stg_client
    where not regexp_full_match(coalesce(tfn_hash, repeat('0', 64)), '[0-9a-f]{64}')
       or not regexp_full_match(coalesce(ird_hash, repeat('0', 64)), '[0-9a-f]{64}')
       or length(coalesce(tfn_last3, '')) > 3 or length(coalesce(ird_last3, '')) > 3"""


def _immutable(practices: str) -> str:
    # every stored version of the practices this run touched still hashes to what was recorded at promotion
    rel = {t: f"(select * from {t}_version where practice_id in (select unnest({practices}::varchar[])))" for t in VERSIONED}
    return f"""
        with c as ({content_sql(rel, ["practice_id", "version"])})
        select p.practice_id || ' v' || p.version from promotion_version p join c using (practice_id, version)
        where p.content_hash <> c.content"""


CHECKS = ("records_accounted_once", "crosswalk_rows_unique", "client_in_one_practice", "crosswalk_points_to_client",
          "no_clear_secret", "versions_immutable")  # fmt: skip


def check(
    con: duckdb.DuckDBPyConnection, promoted: list[str], touched: list[str], public_kinds: list[str]
) -> dict[str, dict]:
    """Each invariant -> {"ok": bool, "violations": n, "examples": [...]} (examples are keys, never values)."""
    queries = {
        "records_accounted_once": (_accounted("$promoted"), {"promoted": promoted}),
        "crosswalk_rows_unique": (_ONCE, {}),
        "client_in_one_practice": (_ONE_PRACTICE, {}),
        "crosswalk_points_to_client": (_POINTS, {}),
        "no_clear_secret": (_SECRETS, {"public": public_kinds}),
        "versions_immutable": (_immutable("$touched"), {"touched": touched}),
    }
    out = {}
    for name, (sql, params) in queries.items():
        rows = [r[0] for r in con.sql(f"select * from ({sql}) order by 1", params=params).fetchall()]
        out[name] = {"ok": not rows, "violations": len(rows), "examples": rows[:5]}
    return out
