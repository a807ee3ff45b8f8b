"""Review of pending links: export to a CSV a person fills in, record the decisions, hand them to the matcher."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

import duckdb
import polars as pl

from landing.errors import redact
from landing.spreadsheet import escape_frame, unescape_frame
from warehouse.load import registered

__all__ = ["check_practices", "known_practices", "export_review", "apply_review", "apply_review_file", "Applied", "read_decisions", "record_decisions", "revoke_decisions", "last_withdrawal", "read_decision_rows", "pending_count", "ReviewError", "DECISIONS", "unrecorded_decisions"]

PAIR = ["practice_id", "source_l", "source_client_id_l", "source_r", "source_client_id_r"]
DECISIONS = pl.Schema({c: pl.String for c in PAIR + ["decision"]})
CHOICES = ("accept", "reject")


class ReviewError(ValueError):
    """A review export or decision file that cannot be used (unknown practice, bad decision, unknown pair)."""


@dataclass(frozen=True)
class Applied:
    """What applying a review file did: decisions it holds, how many were new or different, its practices."""

    decisions: int
    changed: int
    practices: list[str]


def _masked_ids(side: str) -> str:
    """Identifiers of one side, last three digits only (TFN/IRD are only ever held as hash + last 3)."""
    parts = [f"case when {side}.abn is not null then 'ABN ***' || right({side}.abn, 3) end",
             f"case when {side}.acn is not null then 'ACN ***' || right({side}.acn, 3) end",
             f"case when {side}.nzbn is not null then 'NZBN ***' || right({side}.nzbn, 3) end",
             f"case when {side}.tfn_last3 is not null then 'TFN ***' || {side}.tfn_last3 end",
             f"case when {side}.ird_last3 is not null then 'IRD ***' || {side}.ird_last3 end"]
    return f"concat_ws(' ', {', '.join(parts)})"


HELD_BACK = "review_budget"  # client_match.veto of a pair the review budget left apart (transforms.resolve.HELD_BACK)


def _pending_sql(held_back: bool = False) -> str:
    """Links of one practice awaiting a person and not yet decided, with both records' names and masked ids; with
    `held_back`, the pairs the review budget left apart instead (rejected, veto HELD_BACK), not yet decided either."""
    which = f"m.decision = 'reject' and m.veto = '{HELD_BACK}'" if held_back else "m.decision = 'review'"
    side = "left join stg_client {a} on {a}.practice_id = m.practice_id and {a}.source = m.source_{s} and {a}.source_client_id = m.source_client_id_{s}"
    return f"""
        select m.practice_id, m.source_l, m.source_client_id_l, l.name as name_l, {_masked_ids('l')} as ids_l,
               m.source_r, m.source_client_id_r, r.name as name_r, {_masked_ids('r')} as ids_r,
               m.match_probability, m.veto, m.evidence, '' as decision
        from client_match m
        {side.format(a='l', s='l')}
        {side.format(a='r', s='r')}
        where m.practice_id = $p and {which} and not exists (
            select 1 from review_decision d where d.practice_id = m.practice_id and d.source_l = m.source_l
              and d.source_client_id_l = m.source_client_id_l and d.source_r = m.source_r
              and d.source_client_id_r = m.source_client_id_r)
        order by m.match_probability desc, m.source_l, m.source_client_id_l, m.source_r, m.source_client_id_r"""


def _known_practice(con: duckdb.DuckDBPyConnection, practice_id: str) -> bool:
    for table in ("stg_practice", "client_match"):
        if con.sql(f"select count(*) from {table} where practice_id = $p", params={"p": practice_id}).fetchall()[0][0]:
            return True
    return False


def known_practices(con: duckdb.DuckDBPyConnection) -> list[str]:
    """The practices in the registry the warehouse read or with links proposed (what check_practices knows)."""
    return [r[0] for r in con.sql("select practice_id from stg_practice union select practice_id from client_match order by 1").fetchall()]


def check_practices(con: duckdb.DuckDBPyConnection, practice_ids: list[str]) -> None:
    """ReviewError naming the ids neither in the registry the warehouse read nor with links proposed (in the order given)."""
    unknown = [p for p in practice_ids if not _known_practice(con, p)]
    if unknown:
        raise ReviewError(f"unknown practice {', '.join(map(repr, unknown))}: not in the registry and no links proposed")


def pending_count(con: duckdb.DuckDBPyConnection, practice_id: str) -> int:
    """How many of the practice's proposed links await a person (review, not yet decided): what export would write."""
    return int(review_counts(con, [practice_id])["pending"][0])


def review_counts(con: duckdb.DuckDBPyConnection, practice_ids: list[str]) -> pl.DataFrame:
    """practice_id, pending (review links no one has decided), decided (review links, and pairs the review budget
    held back, decided since the last run, which the next run applies) for these practices, each once, zero when
    none. (A held-back pair's decision was not counted: found by QA, session 29.)"""
    return con.sql(
        f"""select p.practice_id,
                  count(m.practice_id) filter (where d.decision is null and m.decision = 'review') as pending,
                  count(d.decision) as decided
           from (select unnest($ids::varchar[]) as practice_id) p
           left join client_match m on m.practice_id = p.practice_id
             and (m.decision = 'review' or (m.decision = 'reject' and m.veto = '{HELD_BACK}'))
           left join review_decision d on d.practice_id = m.practice_id and d.source_l = m.source_l
             and d.source_client_id_l = m.source_client_id_l and d.source_r = m.source_r
             and d.source_client_id_r = m.source_client_id_r
           group by p.practice_id order by p.practice_id""",
        params={"ids": sorted(set(practice_ids))},
    ).pl()


def practices_awaiting(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """practice_id, pending: every practice with links awaiting a person and not yet decided (the analysts'
    review_queue), most first, then by id."""
    return con.sql(
        "select practice_id, count(*) as pending from review_queue group by practice_id order by pending desc, practice_id"
    ).pl()


def export_review(con: duckdb.DuckDBPyConnection, practice_id: str, out: Path, held_back: bool = False) -> int:
    """Write the practice's pending links (with `held_back`, the pairs the review budget left apart) to a CSV with an
    empty `decision` column; returns rows written.

    Text cells a spreadsheet would evaluate (a name like `=HYPERLINK(...)`) are escaped (landing.spreadsheet).
    """
    check_practices(con, [practice_id])
    rows = con.sql(_pending_sql(held_back), params={"p": practice_id}).pl()
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    escape_frame(rows).write_csv(out)
    return rows.height


def _oriented(df: pl.DataFrame) -> pl.DataFrame:
    """Pairs in the matcher's orientation: (source_l, id_l) < (source_r, id_r) as strings."""
    swap = (pl.col("source_l") > pl.col("source_r")) | (
        (pl.col("source_l") == pl.col("source_r")) & (pl.col("source_client_id_l") > pl.col("source_client_id_r"))
    )
    return df.with_columns(
        source_l=pl.when(swap).then("source_r").otherwise("source_l"),
        source_client_id_l=pl.when(swap).then("source_client_id_r").otherwise("source_client_id_l"),
        source_r=pl.when(swap).then("source_l").otherwise("source_r"),
        source_client_id_r=pl.when(swap).then("source_client_id_l").otherwise("source_client_id_r"),
    )


def record_decisions(con: duckdb.DuckDBPyConnection, decisions: pl.DataFrame, source_file: str, by: str | None = None) -> int:
    """Upsert decisions (DECISIONS shape); a pair whose decision is unchanged keeps its first record. Logged."""
    return _record(con, decisions, source_file, by)[0]


def _record(con: duckdb.DuckDBPyConnection, decisions: pl.DataFrame, source_file: str, by: str | None) -> tuple[int, int]:
    """record_decisions, returning (decisions given, decisions new or different)."""
    df = _oriented(decisions.select(DECISIONS.names()).cast(DECISIONS)).unique(PAIR, keep="last", maintain_order=True)
    # one time for the decision and its log entry (outside a transaction each statement has its own now()): a
    # restore gives the decision back the time its 'decide' entry logged
    at = con.execute("select timezone('UTC', now())").fetchall()[0][0]
    with registered(con, _review_in=df):
        # the log first: it records what changed (a new decision or a different one), with who and when
        changed = con.execute(
            """insert into review_decision_log
               select i.practice_id, i.source_l, i.source_client_id_l, i.source_r, i.source_client_id_r, 'decide',
                      i.decision, $f, $by, $at
               from _review_in i left join review_decision d using (practice_id, source_l, source_client_id_l, source_r, source_client_id_r)
               where d.decision is distinct from i.decision""",
            {"f": source_file, "by": by, "at": at},
        ).fetchall()[0][0]
        con.execute(
            """insert into review_decision
               select practice_id, source_l, source_client_id_l, source_r, source_client_id_r, decision,
                      $at, $f, $by from _review_in
               on conflict do update set decision = excluded.decision, decided_at = excluded.decided_at,
                      source_file = excluded.source_file, decided_by = excluded.decided_by
               where review_decision.decision <> excluded.decision""",
            {"f": source_file, "by": by, "at": at},
        )
    return df.height, changed


def revoke_decisions(
    con: duckdb.DuckDBPyConnection, practice_id: str, by: str, pairs: pl.DataFrame | None = None, source_file: str | None = None
) -> pl.DataFrame:
    """Withdraw decisions of a practice (these pairs, or those from one file or unmerge, or all); logged. Returns them.

    A withdrawn decision gives way to the one it replaced, if any (an unmerge's reject over a reviewer's
    accept: withdrawing the unmerge's brings the accept back), so undoing is exact.
    """
    found = read_decision_rows(con, practice_id)
    if pairs is not None:
        found = found.join(_oriented(pairs.select(PAIR).cast({c: pl.String for c in PAIR})), on=PAIR, how="semi")
    if source_file is not None:
        found = found.filter(pl.col("source_file") == source_file)
    keys = ", ".join(PAIR)
    with registered(con, _revoke=found.select(*PAIR, "decided_at")):
        # what was in force just before each withdrawn decision. The log is a stack per pair: a decision pushes,
        # a withdrawal pops (a restore is only what the pop uncovered), so the decision under the one in force
        # is the last decision that left the stack one shorter than it is now
        before = con.sql(
            f"""with ev as (
                  select l.*, l.rowid as seq,
                         sum(case l.action when 'decide' then 1 when 'revoke' then -1 else 0 end)
                           over (partition by {', '.join('l.' + c for c in PAIR)} order by l.logged_at, l.rowid
                                 rows between unbounded preceding and current row) as depth
                  from review_decision_log l semi join _revoke r using ({keys})),
                now_ as (select {keys}, arg_max(depth, seq) as depth from ev group by all)
                select ev.* exclude (seq, depth) from ev join now_ n using ({keys})
                where ev.action = 'decide' and ev.depth = n.depth - 1 and n.depth > 1
                qualify row_number() over (partition by {', '.join('ev.' + c for c in PAIR)} order by ev.seq desc) = 1"""
        ).pl()
        con.execute(
            f"""insert into review_decision_log
                select d.practice_id, d.source_l, d.source_client_id_l, d.source_r, d.source_client_id_r, 'revoke',
                       d.decision, d.source_file, $by, timezone('UTC', now())
                from review_decision d semi join _revoke r using ({keys})""",
            {"by": by},
        )
        con.execute(f"delete from review_decision where ({keys}) in (select ({keys}) from _revoke)")
    if not before.is_empty():
        with registered(con, _restore=before):
            # the decision comes back as it was decided, by whom and when (its 'decide' entry); the log says who
            # restored it and when (QA9 F3: it was credited to the revoker, at the revoke's time)
            con.execute(f"insert into review_decision select {keys}, decision, logged_at, source_file, logged_by from _restore")
            con.execute(
                f"""insert into review_decision_log select {keys}, 'restore', decision, source_file, $by, timezone('UTC', now())
                    from _restore""",
                {"by": by},
            )
    return found


def withdrawn_apart(con: duckdb.DuckDBPyConnection, practice_id: str, source_file: str) -> pl.DataFrame:
    """The pairs `source_file` (an unmerge, a review file) decided, each as it last decided it, whose decision is not in
    force now (withdrawn since) while their two records are apart in the practice's current crosswalk: what going back
    to a split version must record again, or the next run merges what the version keeps apart (found by QA, session 29)."""
    return con.sql(
        """with logged as (
               select practice_id, source_l, source_client_id_l, source_r, source_client_id_r, decision
               from review_decision_log where practice_id = $p and source_file = $f and action = 'decide'
               qualify row_number() over (partition by source_l, source_client_id_l, source_r, source_client_id_r
                                          order by logged_at desc, rowid desc) = 1)
           select g.* from logged g
           left join review_decision d using (practice_id, source_l, source_client_id_l, source_r, source_client_id_r)
           join client_crosswalk a on a.practice_id = g.practice_id and a.source = g.source_l and a.source_client_id = g.source_client_id_l
           join client_crosswalk b on b.practice_id = g.practice_id and b.source = g.source_r and b.source_client_id = g.source_client_id_r
           where d.decision is distinct from g.decision and a.unified_client_id <> b.unified_client_id
           order by all""",
        params={"p": practice_id, "f": source_file},
    ).pl()


def last_withdrawal(con: duckdb.DuckDBPyConnection, practice_id: str, source_file: str | None = None,
                    pairs: pl.DataFrame | None = None) -> dict | None:  # fmt: skip
    """The practice's latest withdrawal (of one file's or unmerge's decisions, of these pairs, or any): how many, by
    whom, when; None if none."""
    wanted = _oriented(pairs.select(PAIR).cast({c: pl.String for c in PAIR})) if pairs is not None else None
    with registered(con, _pairs=wanted if wanted is not None else pl.DataFrame(schema={c: pl.String for c in PAIR})):
        rows = con.sql(
            f"""select count(*) as decisions, any_value(logged_by) as by, logged_at as at from review_decision_log l
               where practice_id = $p and action = 'revoke' and ($f is null or source_file = $f)
                 and (not $only or exists (select 1 from _pairs w where {' and '.join(f'w.{c} = l.{c}' for c in PAIR)}))
               group by logged_at order by logged_at desc limit 1""",
            params={"p": practice_id, "f": source_file, "only": wanted is not None},
        ).fetchall()
    return dict(zip(("decisions", "by", "at"), rows[0])) if rows else None


def read_decision_rows(con: duckdb.DuckDBPyConnection, practice_id: str) -> pl.DataFrame:
    """A practice's decisions in force with where they came from, who and when."""
    return con.sql("select * from review_decision where practice_id = $p order by all", params={"p": practice_id}).pl()


def apply_review(con: duckdb.DuckDBPyConnection, path: Path, by: str | None = None) -> int:
    """Record the accept/reject decisions of a filled-in review CSV; blank decisions are skipped. Idempotent."""
    return apply_review_file(con, path, by).decisions


def apply_review_file(con: duckdb.DuckDBPyConnection, path: Path, by: str | None = None) -> Applied:
    """apply_review, saying also how many decisions were new or different and which practices the file names.

    A pair decided twice in the file (a duplicated row, or the same pair the other way round) must be decided
    the same way: an accept and a reject of one pair is refused naming both lines, never settled by row order.
    """
    path = Path(path)
    df = _decided_rows(path)
    bad = df.filter(~pl.col("decision").is_in(CHOICES))
    if not bad.is_empty():
        r = bad.row(0, named=True)
        raise ReviewError(f"{path}: line {r['line']}: decision {r['decision']!r} is not accept or reject")
    # an empty cell (null); a source id may be any text, spaces too (export writes what the source holds)
    blank = df.filter(pl.any_horizontal(pl.col(c).is_null() for c in PAIR))
    if not blank.is_empty():
        r = blank.row(0, named=True)
        empty = [c for c in PAIR if r[c] is None]
        raise ReviewError(f"{path}: line {r['line']}: a decision with no {', '.join(empty)}: every decided row keeps the link's "
                          f"{', '.join(PAIR)} as `scr review export` wrote them; nothing was recorded")
    # the practices of the registry the warehouse read, or with links proposed (one with no link is known: QA9 F5)
    known = pl.DataFrame({"practice_id": known_practices(con)}, schema={"practice_id": pl.String})
    stranger = df.join(known, on="practice_id", how="anti").sort("line")
    if not stranger.is_empty():
        r = stranger.row(0, named=True)
        raise ReviewError(f"{path}: line {r['line']}: unknown practice {r['practice_id']!r}: not in this warehouse (a review "
                          f"file of another warehouse, or -w names the wrong one?); nothing was recorded")
    proposed = con.sql("select practice_id, source_l, source_client_id_l, source_r, source_client_id_r from client_match").pl()
    unknown = _oriented(df).join(proposed, on=PAIR, how="anti")
    if not unknown.is_empty():
        r = unknown.sort("line").row(0, named=True)
        sides = PAIR[1:]
        owners = sorted(proposed.filter(pl.all_horizontal(pl.col(c) == r[c] for c in sides))["practice_id"].unique().to_list())
        if owners:  # another practice's link: the line's practice_id was edited (or pasted), not the proposals changed
            raise ReviewError(f"{path}: line {r['line']}: the pair {r['source_l']}:{r['source_client_id_l']} - "
                              f"{r['source_r']}:{r['source_client_id_r']} is not one of {r['practice_id']}'s links: it is one "
                              f"of {', '.join(owners)}'s (was the line's practice_id changed?); nothing was recorded")  # fmt: skip
        more = f" ({unknown.height} links of the file in all)" if unknown.height > 1 else ""
        zeros = _zeros_dropped(proposed, r)
        if zeros:  # a spreadsheet read numeric ids as numbers: exporting again writes the same ids (QA10 F6)
            raise ReviewError(f"{path}: line {r['line']}: no proposed link {r['source_l']}:{r['source_client_id_l']} - "
                              f"{r['source_r']}:{r['source_client_id_r']} in practice {r['practice_id']}{more}: its ids look "
                              f"like ones a spreadsheet read as numbers, dropping their leading zeros ({zeros}); nothing was "
                              f"recorded: fill in the exported file with a text editor, or open it in the spreadsheet with "
                              f"the id columns as text (Excel: Data > From Text/CSV, then Text for source_client_id_l and "
                              f"source_client_id_r), and apply it again")  # fmt: skip
        raise ReviewError(f"{path}: line {r['line']}: no proposed link {r['source_l']}:{r['source_client_id_l']} - "
                          f"{r['source_r']}:{r['source_client_id_r']} in practice {r['practice_id']}{more}; nothing was "
                          f"recorded: a run since the export may have changed the proposals, so export them again "
                          f"(`scr review export -p {r['practice_id']}`)")  # fmt: skip
    oriented = _oriented(df)
    twins = oriented.filter(pl.col("decision").n_unique().over(PAIR) > 1).sort("line")
    if not twins.is_empty():
        r = twins.row(0, named=True)
        other = twins.filter(pl.all_horizontal(pl.col(c) == r[c] for c in PAIR) & (pl.col("decision") != r["decision"])).row(0, named=True)
        raise ReviewError(f"{path}: lines {r['line']} and {other['line']} decide the same link {r['source_l']}:{r['source_client_id_l']} - "
                          f"{r['source_r']}:{r['source_client_id_r']} differently ({r['decision']}, {other['decision']}): keep one")
    _refuse_vetoed_accepts(con, path, oriented)
    practices = sorted(set(df["practice_id"].drop_nulls().to_list()))
    decided, changed = _record(con, df, str(path.name), by)
    return Applied(decided, changed, practices)


def _zeros_dropped(proposed: pl.DataFrame, r: dict) -> str:
    """The proposed ids of the line's practice that a spreadsheet would show as the line's ids (`0007 -> 7`), when
    its ids are digits and a link of the practice becomes this pair once its ids lose their leading zeros; else ''."""
    ids = (r["source_client_id_l"], r["source_client_id_r"])
    if not all(i.isdigit() and i == i.lstrip("0") for i in ids):
        return ""
    wanted = sorted(zip((r["source_l"], r["source_r"]), ids, strict=True))
    shown = []
    for link in proposed.filter(pl.col("practice_id") == r["practice_id"]).iter_rows(named=True):
        sides = [(link["source_l"], link["source_client_id_l"]), (link["source_r"], link["source_client_id_r"])]
        if sorted((s, i.lstrip("0") or "0" if i.isdigit() else i) for s, i in sides) == wanted:
            shown += [f"{i} -> {i.lstrip('0') or '0'}" for _, i in sides if i.isdigit() and i != (i.lstrip("0") or "0")]
    # an id of eight digits or more may hold a tax number once its zeros are gone (a TFN-numbered code, zero-padded)
    return redact(", ".join(dict.fromkeys(shown)))


def _refuse_vetoed_accepts(con: duckdb.DuckDBPyConnection, path: Path, oriented: pl.DataFrame) -> None:
    """An accept of a pair whose veto is `identifier` (two different valid numbers of one kind) is refused, naming its
    line (QA11 D3): one client never holds two, so the merge it asks for would block the whole practice at the quality
    gate (one_valid_identifier_per_kind) at its next run, with nothing there naming the decision to undo."""
    accepts = oriented.filter(pl.col("decision") == "accept").select("line", *PAIR)
    if accepts.is_empty():
        return
    vetoed = con.sql(
        "select a.line, a.source_l, a.source_client_id_l, a.source_r, a.source_client_id_r, a.practice_id from accepts a "
        "join client_match m using (practice_id, source_l, source_client_id_l, source_r, source_client_id_r) "
        "where regexp_matches(coalesce(m.veto, ''), '\\bidentifier\\b') order by a.line"
    ).pl()
    if vetoed.is_empty():
        return
    r = vetoed.row(0, named=True)
    more = f" ({vetoed.height} such accepts in the file)" if vetoed.height > 1 else ""
    raise ReviewError(f"{path}: line {r['line']}: accept of {r['source_l']}:{r['source_client_id_l']} - {r['source_r']}:"
                      f"{r['source_client_id_r']} in practice {r['practice_id']}{more}: its veto is identifier (two different "
                      f"valid numbers of one kind, as ids_l and ids_r show), which one client never holds: the next run would "
                      f"block the whole practice at the quality gate; nothing was recorded: reject the line or leave it blank")


_SAVE_AS = "save it as CSV UTF-8 (Excel: File > Save As > CSV UTF-8 (Comma delimited)) and apply it again"


def _review_text(path: Path) -> str:
    """The file as text: UTF-8 (a byte order mark allowed), or UTF-16 with its mark (Excel's "Unicode Text"); line ends
    CRLF, LF or CR alone (Excel for Mac's "CSV (Macintosh)", read as one line without a header before)."""
    data = path.read_bytes()
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError:
            raise ReviewError(f"{path}: not a review CSV: UTF-16 text that does not decode; {_SAVE_AS}") from None
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:  # a spreadsheet's own code page (Windows-1252, Mac Roman): the line, and what to do
            ends = b"\n" if b"\n" in data else b"\r"
            line = data[: exc.start].count(ends) + 1
            raise ReviewError(f"{path}: not a review CSV (UTF-8, comma-separated, as `scr review export` wrote it): line {line} "
                              f"is not UTF-8 text; {_SAVE_AS}") from None  # fmt: skip
    return text if "\n" in text else text.replace("\r", "\n")


def _separator(text: str) -> str:
    """The header's separator: a comma as export writes it, or the semicolon or tab a spreadsheet saves with in some
    locales and formats; the one whose header holds the decision columns."""
    header = text.split("\n", 1)[0]
    for sep in (",", ";", "\t"):
        if set(DECISIONS.names()) <= {c.strip() for c in next(csv.reader([header], delimiter=sep), [])}:
            return sep
    return ","


def _ragged(text: str, sep: str) -> str | None:
    """Where a row holds more cells than the header (for the error; a review file is a few hundred rows)."""
    rows = csv.reader(io.StringIO(text), delimiter=sep)
    width = len(next(rows, []))
    for n, row in enumerate(rows, 2):
        if len(row) > width:
            return f"line {n} has {len(row)} cells, the header {width}"
    return None


def _decided_rows(path: Path) -> pl.DataFrame:
    """The rows of a review CSV whose decision is filled in (trimmed, lower case), with their line numbers; ReviewError
    for a file that is not there or is no review CSV."""
    if not path.exists():
        raise ReviewError(f"{path}: no such file")
    if path.is_dir():
        raise ReviewError(f"{path}: a folder, not a review CSV")
    try:
        text = _review_text(path)
    except OSError as exc:
        raise ReviewError(f"{path}: not a review CSV: {exc.strerror or exc}") from None
    sep = _separator(text)
    try:
        # exactly what export wrote, before its escaping
        df = unescape_frame(pl.read_csv(text.encode(), separator=sep, infer_schema=False))
    except pl.exceptions.PolarsError as exc:  # empty, not rows of cells
        reason = _ragged(text, sep) or str(exc).strip().split("\n", 1)[0]
        raise ReviewError(f"{path}: not a review CSV (UTF-8, comma-separated, as `scr review export` wrote it): {reason}") from None
    df = df.rename({c: c.strip() for c in df.columns if c != c.strip()})
    missing = [c for c in DECISIONS.names() if c not in df.columns]
    if missing:
        raise ReviewError(f"{path}: missing columns {', '.join(missing)}")
    df = df.with_row_index("line", offset=2).with_columns(decision=pl.col("decision").str.strip_chars().str.to_lowercase())
    return df.filter(pl.col("decision").is_not_null() & (pl.col("decision") != ""))


def unrecorded_decisions(con: duckdb.DuckDBPyConnection, path: Path) -> int:
    """How many filled-in decisions of an existing review CSV are not recorded as they are (0 for no file, or one that is
    no review CSV): what an export over the file would lose."""
    path = Path(path)
    if not path.is_file():
        return 0
    try:
        df = _decided_rows(path).select(DECISIONS.names())
    except ReviewError:  # no review CSV: nothing of a reviewer's to lose
        return 0
    if df.is_empty():
        return 0
    recorded = con.sql("select practice_id, source_l, source_client_id_l, source_r, source_client_id_r, decision from review_decision").pl()
    return _oriented(df).join(recorded, on=[*PAIR, "decision"], how="anti", nulls_equal=True).height


def read_decisions(con: duckdb.DuckDBPyConnection, practice_ids: list[str] | None = None) -> pl.DataFrame:
    """Recorded decisions in the matcher's `decisions` shape, sorted (empty before any review)."""
    q = "select practice_id, source_l, source_client_id_l, source_r, source_client_id_r, decision from review_decision"
    if practice_ids is None:
        out = con.sql(q + " order by all").pl()
    else:
        out = con.sql(q + " where practice_id in (select unnest($ids::varchar[])) order by all", params={"ids": list(practice_ids)}).pl()
    return out.cast(DECISIONS)
