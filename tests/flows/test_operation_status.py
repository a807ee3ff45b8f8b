"""The status an operator's command leaves is the one the practice's next run gives it (found by hand, session 28:
`practice confirm` said "waiting for its consolidation wave" of practices whose links awaited a person or whose
strategy was still to choose, and `rollback --to none` said `in_review` of practices with nothing to review)."""

from __future__ import annotations

import pytest

from tests.flows.test_undo import Journey

pytestmark = pytest.mark.prefect


@pytest.fixture()
def j(tmp_path, prefect_api) -> Journey:
    journey = Journey(tmp_path)
    journey.wave()
    return journey


def _admins(j: Journey) -> dict[str, str]:
    """Practices whose step one is not done (connect or confirm) and their Master Admins."""
    return dict(j.q("select s.practice_id, p.master_admin from practice_status s join stg_practice p using (practice_id) "
                    "where s.status in ('connect', 'confirm') and (p.uses_xpm or p.uses_tax) order by 1"))  # fmt: skip


def _pending(j: Journey, pid: str) -> int:
    return j.q("select count(*) from review_queue where practice_id = $p", p=pid)[0][0]


def test_confirming_step_one_leaves_the_status_the_next_run_gives(j):
    admins = _admins(j)
    # one with nothing awaiting a person gets its strategy first: confirmed, it only waits for its wave
    chosen = [pid for pid in admins if not _pending(j, pid) and not j.q(
        "select strategy from stg_practice where practice_id = $p", p=pid)[0][0]]  # fmt: skip
    assert len(admins) >= 3 and chosen, admins
    j.op("set_strategy", chosen[0], "combine", by="ops")
    said = {}
    for pid, admin in admins.items():
        out = j.op("confirm", pid, by=admin)
        said[pid] = j.status(pid)
        assert out.status == said[pid][0]
    j.wave()
    after = {pid: j.status(pid) for pid in admins}
    for pid in admins:
        if after[pid][0] == "in_review":  # links await a person, or a strategy is to choose: said so at once
            assert said[pid][0] == "in_review", (pid, said[pid], after[pid])
            assert ("strategy not chosen yet" in said[pid][1]) == ("strategy not chosen yet" in after[pid][1]), (pid, said, after)
        else:  # consolidated (complete, blocked): it waited for its wave, nothing for a person
            assert said[pid][0] == "coming_soon", (pid, said[pid], after[pid])
    # both kinds are among them, so both branches were seen
    assert {s for s, _ in said.values()} == {"in_review", "coming_soon"}, said


def test_a_rollback_to_nothing_promoted_is_in_review_only_while_links_await_a_person(j):
    promoted = [r[0] for r in j.q("select distinct practice_id from promotion_version where is_current order by 1")]
    seen = set()
    for pid in promoted:
        j.op("rollback", pid, by="ops", to=None)
        status, detail = j.status(pid)
        assert status == ("in_review" if _pending(j, pid) else "coming_soon"), (pid, status, detail)
        assert "rolled back to not promoted" in detail and f"scr practice release {pid}" in detail
        seen.add(status)
    assert seen == {"in_review", "coming_soon"}, seen
