"""Withdrawing review decisions is exact: each withdrawal uncovers the decision it replaced, however they interleave."""

from __future__ import annotations

import duckdb
import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from warehouse.review import PAIR, read_decision_rows, record_decisions, revoke_decisions
from warehouse.schema import create_all

PAIRS = [("P1", "hq", "h1", "xpm", "x1"), ("P1", "hq", "h2", "tax", "t2")]
FILES = ["review.csv", "unmerge:uc_1", "second.csv"]


def decide(con, pair, decision, source, by="someone"):
    record_decisions(con, pl.DataFrame([(*pair, decision)], schema=PAIR + ["decision"], orient="row"), source, by)


def in_force(con) -> dict:
    return {tuple(r[c] for c in PAIR): (r["decision"], r["source_file"]) for r in read_decision_rows(con, "P1").iter_rows(named=True)}


def in_force_whole(con) -> dict:
    """Each decision in force with who decided it and when."""
    return {tuple(r[c] for c in PAIR): (r["decision"], r["source_file"], r["decided_by"], r["decided_at"])
            for r in read_decision_rows(con, "P1").iter_rows(named=True)}  # fmt: skip


def test_withdrawing_a_restored_decision_leaves_what_was_before_it_not_what_was_withdrawn_earlier():
    # a reviewer accepts, an unmerge rejects, a rollback withdraws the unmerge's reject (the accept is back),
    # then the reviewer's file is withdrawn: nothing is left, the unmerge's reject stays withdrawn
    con = duckdb.connect()
    create_all(con)
    pair = PAIRS[0]
    decide(con, pair, "accept", "review.csv")
    decide(con, pair, "reject", "unmerge:uc_1")
    revoke_decisions(con, "P1", "ops", source_file="unmerge:uc_1")
    assert in_force(con) == {pair: ("accept", "review.csv")}
    revoke_decisions(con, "P1", "lead", source_file="review.csv")
    assert in_force(con) == {}


ops = st.lists(
    st.one_of(
        st.tuples(st.just("decide"), st.sampled_from(range(len(PAIRS))), st.sampled_from(["accept", "reject"]), st.sampled_from(FILES)),
        st.tuples(st.just("revoke_file"), st.sampled_from(FILES)),
        st.tuples(st.just("revoke_pair"), st.sampled_from(range(len(PAIRS)))),
        st.tuples(st.just("revoke_all")),
    ),
    max_size=14,
)


@settings(max_examples=60, deadline=None)
@given(ops)
def test_decisions_in_force_follow_a_stack_per_pair(steps):
    # each decision uncovered by a withdrawal comes back whole: its decider and time, not the withdrawer's (QA9 F3)
    con = duckdb.connect()
    create_all(con)
    stacks: dict[tuple, list[tuple]] = {p: [] for p in PAIRS}
    for n, step in enumerate(steps):
        if step[0] == "decide":
            pair, decision, source = PAIRS[step[1]], step[2], step[3]
            decide(con, pair, decision, source, f"reviewer{n}")
            if not stacks[pair] or stacks[pair][-1][0] != decision:  # an unchanged decision is not a new one
                stacks[pair].append(in_force_whole(con)[pair])
        elif step[0] == "revoke_file":
            revoke_decisions(con, "P1", f"ops{n}", source_file=step[1])
            for s in stacks.values():
                if s and s[-1][1] == step[1]:
                    s.pop()
        elif step[0] == "revoke_all":
            revoke_decisions(con, "P1", f"ops{n}")
            for s in stacks.values():
                if s:
                    s.pop()
        else:
            pair = PAIRS[step[1]]
            revoke_decisions(con, "P1", f"ops{n}", pairs=pl.DataFrame([pair], schema=PAIR, orient="row"))
            if stacks[pair]:
                stacks[pair].pop()
        assert in_force_whole(con) == {p: s[-1] for p, s in stacks.items() if s}, step
    con.close()
