"""Review decisions survive a rerun: an accepted pair always merges, a rejected pair never does."""

from pathlib import Path

import duckdb
import polars as pl
import pytest

pytestmark = pytest.mark.prefect


def unified_of(path: Path, pid: str, source: str, sid: str) -> tuple[str, str]:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.sql(
            "select unified_client_id, merge_status from client_crosswalk "
            "where practice_id = $p and source = $s and source_client_id = $i",
            params={"p": pid, "s": source, "i": sid},
        ).fetchall()[0]


def test_decisions_are_honoured_by_a_rerun(tmp_path, prefect_api):
    from flows.wave import nightly_wave, rerun_practice
    from warehouse.db import connect
    from warehouse.review import apply_review, export_review
    from synthetic import generate_zone

    generate_zone(tmp_path / "zone", 30, seed=13)
    landing, wh = str(tmp_path / "zone" / "landing"), tmp_path / "scr.duckdb"
    nightly_wave(landing=landing, warehouse=str(wh), select="all")
    with connect(wh, read_only=True) as con:
        pending = con.sql(
            "select practice_id, count(*) n from client_match where decision = 'review' and practice_id in (select practice_id from unified_client) group by 1 having n >= 2 order by n desc, 1"
        ).fetchall()
    assert pending, "the zone should leave some practice with two links to review"
    pid = pending[0][0]
    sheet = tmp_path / "review.csv"
    with connect(wh) as con:
        assert export_review(con, pid, sheet) >= 2
    rows = pl.read_csv(sheet, infer_schema=False)
    accept, reject = rows.row(0, named=True), rows.row(1, named=True)
    rows.with_columns(
        pl.when(pl.int_range(pl.len()) == 0).then(pl.lit("accept")).when(pl.int_range(pl.len()) == 1).then(pl.lit("reject")).otherwise(pl.lit("")).alias("decision")
    ).write_csv(sheet)
    with connect(wh) as con:
        assert apply_review(con, sheet) == 2

    for _ in range(2):  # and again: decisions hold on every later run
        rerun_practice(practices=[pid], landing=landing, warehouse=str(wh))
        a_l = unified_of(wh, pid, accept["source_l"], accept["source_client_id_l"])
        a_r = unified_of(wh, pid, accept["source_r"], accept["source_client_id_r"])
        assert a_l[0] == a_r[0] and a_l[1] == a_r[1] == "reviewed"  # a person merged them, not the machine
        r_l = unified_of(wh, pid, reject["source_l"], reject["source_client_id_l"])
        r_r = unified_of(wh, pid, reject["source_r"], reject["source_client_id_r"])
        assert r_l[0] != r_r[0]


def _status(wh: Path, pid: str) -> tuple[str, str]:
    with duckdb.connect(str(wh), read_only=True) as con:
        return con.sql("select status, detail from practice_status where practice_id = $p", params={"p": pid}).fetchall()[0]


def test_status_counts_what_awaits_a_person_and_what_awaits_a_run(tmp_path, prefect_api):
    """After `review apply` the practice's status no longer says its decided links await review: it counts the links
    still undecided and the decisions the next run applies; a withdrawal counts them back; the run clears both."""
    from typer.testing import CliRunner

    from flows.cli import app
    from flows.wave import nightly_wave
    from synthetic import generate_zone

    generate_zone(tmp_path / "zone", 30, seed=13)
    landing, wh = str(tmp_path / "zone" / "landing"), tmp_path / "scr.duckdb"
    nightly_wave(landing=landing, warehouse=str(wh), select="all")
    with duckdb.connect(str(wh), read_only=True) as con:
        pid, n = con.sql("select practice_id, count(*) n from client_match where decision = 'review' and practice_id in (select practice_id from unified_client) group by 1 "
                         "having n >= 2 order by n desc, 1").fetchall()[0]  # fmt: skip
    assert _status(wh, pid) == ("in_review", f"promoted ({_strategy(wh, pid)}); {n} links await review")
    with duckdb.connect(str(wh), read_only=True) as con:  # a practice with none to review does not say "0 links"
        quiet = con.sql("""select s.detail from practice_status s anti join (select practice_id from client_match
                           where decision = 'review') m using (practice_id) where s.status in ('in_review', 'complete')""").fetchall()
    assert {d for (d,) in quiet if d.startswith("strategy not chosen")} == {"strategy not chosen yet (keep_xpm, keep_hq or combine)"}
    assert not [d for (d,) in quiet if "await" in d], quiet
    runner, sheet = CliRunner(), tmp_path / "review.csv"
    assert runner.invoke(app, ["review", "export", "-p", pid, "-o", str(sheet), "-w", str(wh)]).exit_code == 0
    rows = pl.read_csv(sheet, infer_schema=False)
    rows.with_columns(decision=pl.when(pl.int_range(pl.len()) == 0).then(pl.lit("reject")).otherwise(pl.lit(""))).write_csv(sheet)
    result = runner.invoke(app, ["review", "apply", str(sheet), "--by", "ops@example.com", "-w", str(wh)])
    assert result.exit_code == 0, result.output
    waits = "1 link awaits review" if n == 2 else f"{n - 1} links await review"
    assert _status(wh, pid) == ("in_review", f"promoted ({_strategy(wh, pid)}); {waits}; 1 decision recorded, applied by the practice's next run")

    rows.with_columns(decision=pl.lit("accept")).write_csv(sheet)  # every link accepted (the first one changes its mind)
    assert runner.invoke(app, ["review", "apply", str(sheet), "--by", "ops@example.com", "-w", str(wh)]).exit_code == 0
    assert _status(wh, pid) == ("in_review", f"promoted ({_strategy(wh, pid)}); {n} decisions recorded, applied by the practice's next run")

    result = runner.invoke(app, ["review", "revoke", "-p", pid, "--all", "--by", "ops@example.com", "-w", str(wh)])
    assert result.exit_code == 0, result.output
    # withdrawing the accepts uncovers the reject each replaced (undo is a stack), the rest await a person again
    assert _status(wh, pid) == ("in_review", f"{n} decisions withdrawn by ops@example.com: rerun to apply; promoted ({_strategy(wh, pid)}); "
                                             f"{waits}; 1 decision recorded, applied by the practice's next run")

    assert runner.invoke(app, ["review", "apply", str(sheet), "--by", "ops@example.com", "-w", str(wh)]).exit_code == 0
    assert runner.invoke(app, ["rerun", "-p", pid, "-l", landing, "-w", str(wh)]).exit_code == 0
    status, detail = _status(wh, pid)
    assert "await" not in detail and "recorded" not in detail, detail  # the run applied them all; what is left is its own


def _strategy(wh: Path, pid: str) -> str:
    with duckdb.connect(str(wh), read_only=True) as con:
        return con.sql("select strategy from unified_client where practice_id = $p limit 1", params={"p": pid}).fetchall()[0][0]


def test_a_strategy_chosen_while_links_await_review_keeps_the_practice_in_review(tmp_path, prefect_api):
    """Choosing a strategy for a practice whose links await a person does not call it coming_soon: its links still
    wait (review_queue lists them), and the detail says both."""
    from typer.testing import CliRunner

    from flows.cli import app
    from flows.wave import nightly_wave
    from synthetic import generate_zone

    generate_zone(tmp_path / "zone", 30, seed=13)
    landing, wh = str(tmp_path / "zone" / "landing"), tmp_path / "scr.duckdb"
    nightly_wave(landing=landing, warehouse=str(wh), select="all")
    with duckdb.connect(str(wh), read_only=True) as con:
        pid, n = con.sql("select practice_id, count(*) n from client_match where decision = 'review' and practice_id in (select practice_id from unified_client) group by 1 order by n desc, 1").fetchall()[0]
    other = next(s for s in ("keep_xpm", "keep_hq", "combine") if s != _strategy(wh, pid))
    result = CliRunner().invoke(app, ["practice", "strategy", pid, other, "--by", "ops@example.com", "-w", str(wh)])
    assert result.exit_code == 0, result.output
    status, detail = _status(wh, pid)
    assert status == "in_review" and detail.startswith(f"strategy {other} chosen by ops@example.com: its next run consolidates with it; ")
    assert detail.endswith(f"{n} links await review" if n > 1 else "1 link awaits review"), detail
    assert CliRunner().invoke(app, ["rerun", "-p", pid, "-l", landing, "-w", str(wh)]).exit_code == 0
    assert f"promoted ({other})" in _status(wh, pid)[1]
