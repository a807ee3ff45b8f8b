"""write_match_results against a real DuckDB: per-practice replacement inside the caller's transaction."""

from __future__ import annotations

import polars as pl
import pytest

from transforms.audit import SUSPECT_SCHEMA
from transforms.matching import CROSSWALK_SCHEMA, LINK_SCHEMA, MatchResult
from warehouse.db import transaction
from warehouse.matches import write_match_results as _write


def write_match_results(con, r: MatchResult, ids: list[str]) -> None:
    with transaction(con):
        _write(con, r.links, r.crosswalk, r.suspect_links, ids)


def result(practices: list[str], tag: str) -> MatchResult:
    links = pl.DataFrame(
        [{"practice_id": p, "source_l": "hq", "source_client_id_l": f"h-{tag}", "source_r": "xpm", "source_client_id_r": f"x-{tag}",
          "match_weight": 12.5, "match_probability": 0.9998, "decision": "auto", "veto": None, "evidence": "{}"} for p in practices],
        schema=LINK_SCHEMA,
    )  # fmt: skip
    cross = pl.DataFrame(
        [{"practice_id": p, "source": s, "source_client_id": f"{s[0]}-{tag}", "unified_client_id": f"uc_{p}_{tag}",
          "merge_status": "auto", "match_probability": 0.9998} for p in practices for s in ("hq", "xpm")],
        schema=CROSSWALK_SCHEMA,
    )  # fmt: skip
    sus = pl.DataFrame(
        [{"practice_id": p, "link_kind": "sync", "source_l": "hq", "source_client_id_l": f"h-{tag}", "source_r": "xpm",
          "source_client_id_r": f"x-{tag}", "match_probability": 0.01, "evidence": "{}"} for p in practices],
        schema=SUSPECT_SCHEMA,
    )  # fmt: skip
    return MatchResult(links=links, crosswalk=cross, suspect_links=sus)


def table(con, name: str) -> pl.DataFrame:
    return con.sql(f"select * from {name} order by all").pl()


def test_writes_every_row(con):
    write_match_results(con, result(["p1", "p2"], "a"), ["p1", "p2"])
    assert table(con, "client_match").height == 2
    assert table(con, "proposed_crosswalk").height == 4
    assert table(con, "suspect_link").height == 2
    assert table(con, "proposed_crosswalk").columns == list(CROSSWALK_SCHEMA)


def test_replaces_only_the_named_practices(con):
    write_match_results(con, result(["p1", "p2"], "a"), ["p1", "p2"])
    write_match_results(con, result(["p1"], "b"), ["p1"])
    cw = table(con, "proposed_crosswalk")
    assert set(cw.filter(pl.col("practice_id") == "p1")["source_client_id"]) == {"h-b", "x-b"}
    assert set(cw.filter(pl.col("practice_id") == "p2")["source_client_id"]) == {"h-a", "x-a"}
    assert table(con, "client_match").height == 2


def test_a_practice_with_no_rows_left_is_emptied(con):
    write_match_results(con, result(["p1"], "a"), ["p1"])
    write_match_results(con, result([], "b"), ["p1"])
    assert table(con, "proposed_crosswalk").height == 0
    assert table(con, "suspect_link").height == 0


def test_a_failed_write_changes_nothing(con):
    write_match_results(con, result(["p1"], "a"), ["p1"])
    broken = result(["p1"], "b")
    broken.suspect_links = broken.suspect_links.with_columns(bogus=pl.lit(1))  # the last table refuses a column it lacks
    with pytest.raises(Exception):
        write_match_results(con, broken, ["p1"])
    assert set(table(con, "proposed_crosswalk")["source_client_id"]) == {"h-a", "x-a"}
    assert table(con, "client_match")["source_client_id_l"].to_list() == ["h-a"]


def test_the_same_result_gives_the_same_tables(con):
    write_match_results(con, result(["p1", "p2"], "a"), ["p1", "p2"])
    first = {t: table(con, t) for t in ("client_match", "proposed_crosswalk", "suspect_link")}
    write_match_results(con, result(["p1", "p2"], "a"), ["p1", "p2"])
    assert all(first[t].equals(table(con, t)) for t in first)
