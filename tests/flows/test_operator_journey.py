"""An operator's whole journey through the real `scr` command, in subprocesses, as the README walks it:
generate, run, inspect a practice, step one, step two, review, rerun, unmerge, rollback, revoke, release,
retire the legacy sync (dry run, then for real), with the status a person would check at each step."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import duckdb
import polars as pl
import pytest

from tests.support.prefect_server import prefect_server

pytestmark = [pytest.mark.prefect, pytest.mark.slow]


class Scr:
    def __init__(self, env: dict, cwd: Path) -> None:
        self.env, self.cwd = env, cwd

    def __call__(self, *args: str, code: int = 0) -> str:
        done = subprocess.run([sys.executable, "-m", "flows.cli", *args], env=self.env, cwd=self.cwd,
                              capture_output=True, text=True, timeout=600)  # fmt: skip
        said = " ".join((done.stdout + done.stderr).split())  # the words, whatever the terminal's width
        assert done.returncode == code, f"scr {' '.join(args)} exited {done.returncode}: {said[-3000:]}"
        return said


def status_of(wh: Path, pid: str) -> tuple[str, str]:
    with duckdb.connect(str(wh), read_only=True) as con:
        return con.sql("select status, detail from practice_status where practice_id = ?", params=[pid]).fetchall()[0]


def q(wh: Path, sql: str, *params) -> list[tuple]:
    with duckdb.connect(str(wh), read_only=True) as con:
        return con.sql(sql, params=list(params)).fetchall()


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    home = tmp_path_factory.mktemp("journey-prefect")
    with prefect_server(home) as env:
        # no SCR_HASH_KEY: a generated zone brings its throwaway key; the operator is named per command
        env = {k: v for k, v in env.items() if k not in ("SCR_HASH_KEY", "SCR_WAREHOUSE", "SCR_LANDING")}
        yield {**env, "COLUMNS": "40", "SCR_CHUNK_PRACTICES": "5"}


def test_the_operators_journey(env, tmp_path):
    scr = Scr(env, tmp_path)
    wh, landing = tmp_path / "scr.duckdb", tmp_path / "zone" / "landing"
    w, l_ = ["-w", str(wh)], ["-l", str(landing)]

    said = scr("generate", "-o", "zone", "-n", "16", "-s", "12", "--bad", "1")
    assert "throwaway hash key" in said
    registry = {r["practice_id"]: r for r in json.loads((landing / "practices.json").read_text())}

    # a mistyped practice costs nothing: refused before Prefect starts, nothing written
    assert "unknown practice" in scr("run", *l_, *w, "-p", "NOPE", code=2)
    assert not wh.exists()

    said = scr("run", *l_, *w)
    assert "migration progress" in said and "throwaway" in said
    assert q(wh, "select bool_and((invariants->>'$.records_accounted_once.ok')::boolean) from pipeline_run") == [(True,)]

    # step one: a practice waiting for its Master Admin
    waiting = next(p for p, r in registry.items() if (r["uses_xpm"] or r["uses_tax"]) and r["connection"] != "confirmed")
    admin = registry[waiting]["master_admin"]
    said = scr("practice", waiting, *w)
    assert f"scr practice confirm {waiting} --by {admin}" in said  # the next step, as a command
    assert "only the Master Admin" in scr("practice", "confirm", waiting, "--by", "someone.else@example.com", *w, code=1)
    said = scr("practice", "confirm", waiting, "--by", admin, *w)
    assert "now coming_soon" in said and status_of(wh, waiting)[0] == "coming_soon"

    # step two: a practice whose strategy is not chosen yet
    undecided = q(wh, "select practice_id from practice_status where status = 'in_review' and detail like 'strategy not chosen%' "
                      "order by 1 limit 1")  # fmt: skip
    assert undecided, "the zone should hold a practice waiting for its strategy"
    pid = undecided[0][0]
    assert f"scr practice strategy {pid}" in scr("practice", pid, *w)
    said = scr("practice", "strategy", pid, "combine", "--by", "ops@firm", *w)
    assert "not chosen -> combine (by ops@firm)" in said
    # chosen, it is coming_soon, unless links of it still await a person (this zone's matcher since session 32: 6)
    awaiting = q(wh, "select count(*) from client_match where practice_id = ? and decision = 'review'", pid)[0][0]
    assert status_of(wh, pid)[0] == ("in_review" if awaiting else "coming_soon")
    assert (f"{awaiting} links await review" in said) == (awaiting > 1)
    scr("rerun", "-p", pid, *l_, *w)
    status, detail = status_of(wh, pid)
    assert status in ("complete", "in_review") and "promoted (combine)" in detail

    # review: export the links awaiting a person, accept them all, apply, rerun
    pending = q(wh, "select practice_id, count(*) from client_match where decision = 'review' and practice_id in (select practice_id from unified_client) group by 1 order by 2 desc, 1 limit 1")
    assert pending, "the zone should leave links for review"
    rp = pending[0][0]
    sheet = tmp_path / "review.csv"
    assert "review" in scr("review", "export", "-p", rp, "-o", str(sheet), *w) and sheet.exists()
    # the reviewer accepts what is one client and rejects what is not (the zone's truth stands for their judgement):
    # accepting every proposal blindly merged two clients with different tax numbers, which the gate then blocked
    truth = pl.read_csv(landing.parent / "truth" / "records.csv", infer_schema=False)
    key = ["practice_id", "source", "source_client_id"]
    side = {s: truth.select(*key, "entity_id").rename({"source": f"source_{s}", "source_client_id": f"source_client_id_{s}",
                                                       "entity_id": f"entity_{s}"}) for s in "lr"}  # fmt: skip
    exported = pl.read_csv(sheet, infer_schema=False)
    judged = exported.join(side["l"], on=["practice_id", "source_l", "source_client_id_l"], how="left", maintain_order="left")
    judged = judged.join(side["r"], on=["practice_id", "source_r", "source_client_id_r"], how="left", maintain_order="left")
    assert judged["entity_l"].null_count() == 0 and judged["entity_r"].null_count() == 0
    one = (judged["entity_l"] == judged["entity_r"]).to_list()
    filled = exported.with_columns(decision=pl.Series(["accept" if same else "reject" for same in one]))
    assert any(one), "the zone should propose at least one true link for review"
    filled.write_csv(sheet)
    assert f"{filled.height} decision" in scr("review", "apply", str(sheet), "--by", "reviewer@firm", *w)
    if status_of(wh, rp)[0] == "in_review" and "strategy not chosen" in status_of(wh, rp)[1]:
        scr("practice", "strategy", rp, "keep_xpm", "--by", "ops@firm", *w)
    scr("rerun", "-p", rp, *l_, *w)
    assert q(wh, "select count(*) from client_crosswalk where practice_id = ? and merge_status = 'reviewed'", rp)[0][0] >= 2
    # every link the reviewer accepted is theirs now, and none of them waits any more
    decided = q(wh, "select decision, count(*) from client_match m semi join review_decision d using "
                    "(practice_id, source_l, source_client_id_l, source_r, source_client_id_r) where m.practice_id = ? group by 1", rp)  # fmt: skip
    assert dict(decided).get("accepted", 0) >= 1 and "review" not in dict(decided)
    status, detail = status_of(wh, rp)
    left = q(wh, "select count(*) from client_match where practice_id = ? and decision = 'review'", rp)[0][0]
    assert (status, left) == ("complete", 0) or (status == "in_review" and f"{left} link" in detail)

    # undo: split a merged client, roll the split back (pinned), a rerun is refused, release, rerun
    uid = q(wh, "select unified_client_id from client_crosswalk where practice_id = ? group by 1 having count(*) > 1 order by 1 limit 1", rp)[0][0]
    members = q(wh, "select source, source_client_id from client_crosswalk where unified_client_id = ? order by all", uid)
    said = scr("unmerge", "-u", uid, "--by", "ops@firm", *w)
    assert "split into" in said and "reject decision" in said
    said = scr("rollback", "-p", rp, "--by", "ops@firm", *w)
    assert "withdrew" in said and "pinned" in said and status_of(wh, rp)[1].startswith("rolled back to version")
    assert "pinned after a rollback" in scr("rerun", "-p", rp, *l_, *w, code=1)
    assert f"scr practice release {rp}" in scr("practice", rp, *w)
    scr("practice", "release", rp, "--by", "ops@firm", *w)
    scr("rerun", "-p", rp, *l_, *w)
    together = q(wh, "select count(distinct unified_client_id) from client_crosswalk where practice_id = ? and "
                     "source || ':' || source_client_id in (select unnest(?::varchar[]))", rp, [f"{s}:{i}" for s, i in members])  # fmt: skip
    assert together == [(1,)], "rolling back the unmerge brings the reviewer's merge back for good"

    # revoke: withdraw the reviewer's decisions; the next run proposes those links afresh
    said = scr("review", "revoke", "-p", rp, "--file", sheet.name, "--by", "lead@firm", *w)
    assert "withdrew" in said
    scr("rerun", "-p", rp, *l_, *w)
    assert q(wh, "select count(*) from review_decision where practice_id = ?", rp) == [(0,)]
    assert status_of(wh, rp)[0] == "in_review"

    # status: one practice, all, and a practice that does not exist
    assert rp in scr("status", "-p", rp, *w)
    assert "total" in scr("status", "--all", *w)
    assert "unknown practice 'NOPE'" in scr("status", "-p", "NOPE", *w, code=2)

    # the cutover: refused before the date, a dry run writes nothing, then the real retirement
    assert "cutover" in scr("retire-sync", *l_, *w, "--as-of", "2023-10-01", code=1)
    before = q(wh, "select count(*) from sync_retirement")
    said = scr("retire-sync", *l_, *w, "--as-of", "2023-11-02", "--dry-run")
    assert "would retire" in said and q(wh, "select count(*) from sync_retirement") == before
    said = scr("retire-sync", *l_, *w, "--as-of", "2023-11-02")
    retired = q(wh, "select count(*) from sync_retirement")[0][0]
    assert f"retired {retired} link" in said and retired > 0
    unconnected = {r[0] for r in q(wh, "select practice_id from sync_unconnected")}
    steps = {r[0]: r[1] for r in q(wh, "select practice_id, status from practice_status")}
    # one rule for step one: exactly the practices whose status waits on it are unconnected
    assert unconnected == {p for p, s in steps.items() if s in ("connect", "confirm")}
    assert waiting not in unconnected
