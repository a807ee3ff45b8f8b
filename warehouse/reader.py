"""Reading the analysts' snapshot: a read-only connection, what it was published from, the views as frames."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import duckdb
import polars as pl

from warehouse.snapshot import DIR_VARIABLE, LAYOUT, last_generation, snapshot_path, sql_string
from warehouse.views import VIEWS

__all__ = ["SnapshotMissing", "SnapshotElsewhere", "SnapshotDamaged", "SnapshotBusy", "QueryRefused", "open_snapshot", "private_copy", "answer", "snapshot_info", "read_views", "practice_statuses", "latest_run", "last_landing", "recorded_run_status",
           "not_its_snapshot", "snapshot_against_file"]


class SnapshotMissing(FileNotFoundError):
    """No snapshot has been published for this warehouse yet."""


class SnapshotDamaged(SnapshotMissing):
    """A file the snapshot reads is gone (deleted by hand, or by a cleaner of old files)."""


class SnapshotElsewhere(SnapshotMissing):
    """The snapshot folder beside this warehouse was published for a warehouse elsewhere (the folder was moved or copied)
    by a release whose views read their files by absolute path: they would read the other folder's files."""


class SnapshotBusy(SnapshotMissing):
    """Another process holds the snapshot's file read-write (an analyst's `duckdb FILE` or `duckdb.connect(path)`: DuckDB
    lets no other process open it then, not even read-only) and no private copy of it could be made."""


def open_snapshot(warehouse: Path | str) -> duckdb.DuckDBPyConnection:
    """A read-only connection to the warehouse's current snapshot; it keeps that version until closed.

    Confined to the snapshot's own files (what `scr query` runs an analyst's SQL on): DuckDB's external access is
    off but for the snapshot's data folder, and the configuration locked, so SQL cannot attach the live warehouse
    (or any other database), read other files, or COPY rows out to a file without `scr query`'s inert escaping.
    """
    path = snapshot_path(warehouse)
    if not path.exists():
        raise SnapshotMissing(
            f"no warehouse at {warehouse}: run `scr run` first" if not Path(warehouse).exists()
            else f"no analysts' snapshot for {warehouse} yet: `scr snapshot --warehouse {warehouse}` publishes one (so does the next run)"
        )  # fmt: skip
    # attached to a fresh in-memory database: duckdb.connect(path) would hand back the instance this process
    # already holds for that path, the snapshot as it was when first opened
    con = duckdb.connect(":memory:")
    try:
        _attach(con, path)
    except BaseException:
        con.close()
        raise
    con.execute("use snapshot")
    # the views read their files relative to the snapshot's folder (warehouse.snapshot.HERE): an attached database
    # is not the one the session opened, so say which folder that is
    con.execute(f"set variable {DIR_VARIABLE} = {sql_string(str(path.parent))}")
    _check_published_here(con, warehouse, path)
    _check_whole(con, warehouse, path)
    # the views read the snapshot's Parquet files under data/; nothing else is reachable once this is locked
    con.execute(f"set allowed_directories = [{sql_string(str(path.parent / 'data') + os.sep)}]")
    con.execute("set enable_external_access = false")
    con.execute("set lock_configuration = true")
    return con


def _attach(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    """The snapshot attached read-only as `snapshot`; while another process holds its file read-write (QA9: the DuckDB
    CLI and `duckdb.connect(path)` open a file so by default, and DuckDB then lets no other process in, not even
    read-only: every reading command ended in a traceback until the next publish), a private copy of it. The file is
    small (the views, and three tables listing the Parquet files) and its views find their files through the variable
    open_snapshot sets, so the copy answers as the file does; it is unlinked once attached (DuckDB keeps it open, so it
    is gone when the connection closes, or the process ends). The writer's publish is not held up by such a session: it
    swaps a new file in by name (os.replace), which the holder's lock, on the old file, does not cover."""
    try:
        con.execute(f"attach {sql_string(str(path))} as snapshot (read_only)")
        return
    except duckdb.IOException as exc:
        if "lock" not in str(exc).lower():
            raise
        from warehouse.db import _duckdb_holder

        holder = _duckdb_holder(exc)
    copy = None
    try:
        fd, copy = tempfile.mkstemp(prefix="scr-snapshot-", suffix=".duckdb")
        os.close(fd)
        shutil.copyfile(path, copy)
        con.execute(f"attach {sql_string(copy)} as snapshot (read_only)")
    except (OSError, duckdb.Error) as exc:
        why = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc).splitlines()[0]
        raise SnapshotBusy(
            f"the analysts' snapshot {path} is held read-write by {holder} (a session opened without read-only: "
            f"`duckdb -readonly FILE`, `duckdb.connect(FILE, read_only=True)`), and a private copy of it could not be "
            f"made ({why}): close that session, or wait for the next publish"
        ) from None
    finally:
        if copy is not None:
            Path(copy).unlink(missing_ok=True)


def private_copy(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether an open_snapshot connection reads a private copy of the snapshot (its file was held read-write)."""
    rows = con.sql("select path from duckdb_databases() where database_name = 'snapshot'").fetchall()
    return bool(rows) and rows[0][0] is not None and Path(rows[0][0]).name.startswith("scr-snapshot-")


def not_its_snapshot(warehouse: Path | str) -> str | None:
    """Why the analysts' snapshot beside the warehouse was not published from the file now in its place (QA7: another
    warehouse's file, or a new or another tool's DuckDB database, put there; `scr status` showed that snapshot as the
    file's): it holds no warehouse's tables, its warehouse id is not the one the snapshot names, or it is an older copy
    of the same warehouse (the snapshot names a later generation than the file ever marked). None when it was,
    or when that cannot be told: a snapshot or a warehouse without an id (an older release's), a file another process
    holds (a run: it is never opened beside one, nor held up) or that cannot be opened (warehouse.db.damage says so)."""
    return snapshot_against_file(warehouse)[0]


def snapshot_against_file(warehouse: Path | str) -> tuple[str | None, str | None]:
    """(not_its_snapshot's reason, or None; a note when the file holds changes the snapshot does not show yet, or None:
    QA8, a run stopped by Ctrl-C had committed chunks that `scr status` did not show, nothing said). Neither is told
    while another process holds the file."""
    from warehouse.db import lock_path, open_warehouse, writer_running
    from warehouse.meta import read_meta
    from warehouse.schema import TABLES, WAREHOUSE_ID

    try:
        snap = open_snapshot(warehouse)
    except (SnapshotMissing, duckdb.Error, OSError):
        return None, None
    try:
        info = snapshot_info(snap)
    finally:
        snap.close()
    published = info.get("warehouse_id")
    running = writer_running(warehouse)  # None: no lock file (no writer ever came), or a lock table this cannot read
    if running or (running is None and lock_path(warehouse).exists()):
        return None, None
    try:
        con = open_warehouse(warehouse, read_only=True)
    except (duckdb.Error, OSError):
        return None, None
    try:
        tables = {r[0] for r in con.sql("select table_name from duckdb_tables() where database_name = current_database()").fetchall()}
        own = read_meta(con, WAREHOUSE_ID) if "warehouse_meta" in tables else None
        known = last_generation(con) if "practice_change" in tables else None
    except duckdb.Error:
        return None, None
    finally:
        con.close()
    if not tables & set(TABLES):
        return ("it holds no warehouse's tables (a new or another tool's DuckDB database)" if published else None), None
    if published is not None and own is not None and own != published:
        return "it is another warehouse (its id is not the one the snapshot names)", None
    shown = info.get("generation", "")
    if known is None or not shown.isdigit():
        return None, None
    if published is not None and int(shown) > known:
        # QA7: a backup of this warehouse restored in its place has its id; the snapshot was published after it
        return (f"it is an older copy of this warehouse (a backup restored?): the snapshot shows its changes up to "
                f"generation {shown}, this file knows them up to {known}"), None  # fmt: skip
    if int(shown) < known:
        return None, (f"the warehouse holds changes its analysts' snapshot does not show yet (its changes up to generation "
                      f"{known}, the snapshot's up to {shown}: a run stopped before it published them?): `scr snapshot "
                      f"--warehouse {warehouse}` publishes them")  # fmt: skip
    return None, None


def recorded_run_status(warehouse: Path | str, run_id: str) -> str | None:
    """The status the warehouse file records for a run, read-only, for a run the snapshot shows running whose process
    is gone (QA9 F6: killed during its last publish, it had committed its end, which the snapshot never showed, and
    `scr status` promised the next run would record it interrupted). None where it cannot be told at once: a process
    holds the file (a writer starting: never waited for, nor held up), or it cannot be read."""
    from warehouse.db import open_warehouse, writer_running

    if writer_running(warehouse) is not False:
        return None
    try:
        con = open_warehouse(warehouse, read_only=True)
    except (duckdb.Error, OSError):
        return None
    try:
        rows = con.execute("select status from pipeline_run where run_id = $r", {"r": run_id}).fetchall()
    except duckdb.Error:
        return None
    finally:
        con.close()
    return rows[0][0] if rows else None


def _check_published_here(con: duckdb.DuckDBPyConnection, warehouse: Path | str, path: Path) -> None:
    """SnapshotElsewhere when the snapshot's views read another folder's files: its warehouse was moved or copied
    (with the snapshot beside it) and nothing was published since, by a release whose views named their files by
    absolute path. They would read that other folder's files, which are another warehouse's, or gone. A snapshot
    whose views read relative paths reads its own folder's files wherever it is."""
    info = snapshot_info(con)
    built_for = info.get("warehouse")
    if info.get("paths") == LAYOUT or built_for is None or snapshot_path(built_for).parent.resolve() == path.parent.resolve():
        return
    con.close()
    raise SnapshotElsewhere(
        f"the analysts' snapshot {path} was published for the warehouse {built_for} (moved or copied since): "
        f"`scr snapshot --warehouse {warehouse}` publishes it for this one (so does the next run or command)"
    )


def _check_whole(con: duckdb.DuckDBPyConnection, warehouse: Path | str, path: Path) -> None:
    """SnapshotDamaged when a file the snapshot's views read is gone: every question touching it would fail."""
    # relative to the snapshot's folder (absolute in a snapshot built before its views read relative paths)
    gone = next((p for (p,) in con.sql("select path from snapshot_files order by path").fetchall() if not (path.parent / p).exists()), None)
    if gone is None:
        return
    con.close()
    raise SnapshotDamaged(
        f"the analysts' snapshot {path} lacks its file {gone} (deleted?): `scr snapshot --warehouse {warehouse}` publishes "
        "it again whole (so does the next run or command)"
    )


class QueryRefused(ValueError):
    """An analyst's SQL that is not a question: it would write, attach, copy out or change settings."""


# what a question is: SELECT (with DESCRIBE, SHOW, SUMMARIZE, FROM-first, WITH, and PIVOT given its IN list, which DuckDB
# parses as SELECT) and EXPLAIN of a question (EXPLAIN ANALYZE runs what it explains)
_QUESTIONS = {duckdb.StatementType.SELECT, duckdb.StatementType.EXPLAIN}
# A PIVOT that takes its columns from the data (no IN list) is parsed as MULTI: a temporary ENUM type per such pivot, then
# the statement itself, whatever it is (a query, or a CREATE TABLE AS, COPY, INSERT around the pivot). The statement is a
# question when it starts (past comments and opening parentheses, and a WITH's common table expressions) with one of these.
_QUESTION_WORDS = {"select", "from", "pivot", "unpivot", "pivot_wider", "pivot_longer", "describe", "summarize", "show"}
_HELP = ("scr query answers questions (SELECT, PIVOT, DESCRIBE, SHOW, SUMMARIZE, EXPLAIN) from the snapshot; `scr shell` "
         "opens a session of your own")  # fmt: skip


def _words(sql: str) -> list[tuple[int, str, int]]:
    """The statement's tokens as DuckDB's tokenizer cuts them, comments left out: (offset, lower-case text, how far it
    opens (1) or closes (-1) parentheses: operators only, never a string, a $$ string or a quoted name holding one)."""
    tokens = duckdb.tokenize(sql)
    ends = [pos for pos, _ in tokens[1:]] + [len(sql)]
    words = [(pos, sql[pos:end].strip(), kind) for (pos, kind), end in zip(tokens, ends) if kind != duckdb.token_type.comment]
    return [(pos, text.lower(), text.count("(") - text.count(")") if kind == duckdb.token_type.operator else 0)
            for pos, text, kind in words]  # fmt: skip


def _leading_word(words: list[tuple[int, str, int]]) -> str | None:
    """The word that says what a statement does: its first, past opening parentheses and a WITH's definitions
    (`WITH [RECURSIVE] name [(columns)] [USING KEY (columns)] AS [NOT] [MATERIALIZED] (body), ...`)."""
    i = 0
    while i < len(words) and words[i][1] == "(":
        i += 1
    if i == len(words) or words[i][1] != "with":
        return words[i][1] if i < len(words) else None
    i += 1 + (i + 1 < len(words) and words[i + 1][1] == "recursive")
    while i < len(words):
        i += 1  # past the name (any word: a name may be a keyword)
        depth = 0
        while i < len(words) and not (depth == 0 and words[i][1] == "as"):
            depth += words[i][2]
            i += 1
        i += 1
        while i < len(words) and words[i][1] in ("not", "materialized"):
            i += 1
        depth = 0
        while i < len(words):  # the body, one group in parentheses
            depth += words[i][2]
            i += 1
            if depth <= 0:
                break
        if i < len(words) and words[i][1] == ",":
            continue
        return _leading_word(words[i:])
    return None


def _refusal(statement) -> str | None:
    """Why one statement is not a question (None: it is one)."""
    kind = statement.type
    if kind not in _QUESTIONS and kind != duckdb.StatementType.MULTI:
        return f"{kind.name.lower()} statements are not run here"
    words = _words(statement.query)
    lead = _leading_word(words)
    if kind == duckdb.StatementType.EXPLAIN or lead == "explain":
        # what follows EXPLAIN [ANALYZE] [(options)] is checked as a statement of its own
        i = next(n for n, (_, w, _) in enumerate(words) if w == "explain") + 1
        if i < len(words) and words[i][1] in ("analyze", "analyse"):
            i += 1
        if i < len(words) and words[i][1] == "(":
            depth = 0
            while i < len(words):
                depth += words[i][2]
                i += 1
                if depth <= 0:
                    break
        inner = duckdb.extract_statements(statement.query[words[i][0]:]) if i < len(words) else []
        if len(inner) != 1:
            return "explain statements are not run here unless they explain one question"
        why = _refusal(inner[0])
        return f"explain of {why}" if why else None
    if kind == duckdb.StatementType.MULTI and lead not in _QUESTION_WORDS:
        return f"{lead or 'these'} statements are not run here"
    return None


def answer(con: duckdb.DuckDBPyConnection, sql: str) -> pl.DataFrame | None:
    """An analyst's SQL on an open_snapshot connection, as a frame (None when the last statement returns no rows).

    Only questions are run, every statement checked before the first runs: COPY, ATTACH, EXPORT, SET, CREATE and
    the like are QueryRefused, and so is a PIVOT inside one of them, or an EXPLAIN ANALYZE of one (DuckDB's parse
    errors and failures are duckdb.Error, as from con.sql).
    """
    statements = duckdb.extract_statements(sql)
    if not statements:
        raise QueryRefused("no SQL statement given")
    for statement in statements:
        why = _refusal(statement)
        if why:
            raise QueryRefused(f"{why}: {_HELP}")
    if len(statements) > 1:  # only the last one's answer could be shown: the others would be run unseen
        raise QueryRefused(f"one question at a time ({len(statements)} statements given); `scr shell` runs several")
    rel = con.sql(statements[0])
    return _as_text_where_polars_cannot(rel).pl() if rel is not None else None


# DuckDB types Polars cannot take (INTERVAL, UNION, TIME WITH TIME ZONE) or CSV cannot write (BLOB, BIT)
_AS_TEXT = ("INTERVAL", "UNION", "TIME WITH TIME ZONE", "BLOB", "BIT")


def _as_text_where_polars_cannot(rel: duckdb.DuckDBPyRelation) -> duckdb.DuckDBPyRelation:
    """The result with its columns of those types (`finished_at - started_at`, also inside lists and structs) as DuckDB
    writes them ("00:00:06.994", "3 days", "ab"), and its maps' keys as text where they are not (Polars writes a map as a
    JSON object, whose keys must be text: `histogram(wave)`, a MAP(INTEGER, UBIGINT), failed in every format, QA8);
    every other column as it is."""
    if rel is None:
        return rel
    casts = []
    for t in rel.types:
        said = str(t)
        keyed = _text_keys(t)
        casts.append("varchar" if any(k in said for k in _AS_TEXT) else keyed if keyed != said else None)
    if not any(casts):
        return rel
    try:
        return _cast(rel, casts)
    except duckdb.Error:  # a type whose keys this could not rewrite: such a column as DuckDB writes it, whole
        return _cast(rel, [c and "varchar" for c in casts])


def _cast(rel: duckdb.DuckDBPyRelation, casts: list[str | None]) -> duckdb.DuckDBPyRelation:
    # by position (#n): a result may repeat a column's name
    quoted = ['"' + c.replace('"', '""') + '"' for c in rel.columns]
    return rel.project(", ".join(f"#{i}{f'::{cast}' if cast else ''} as {q}"
                                 for i, (q, cast) in enumerate(zip(quoted, casts), start=1)))  # fmt: skip


def _text_keys(type_: duckdb.typing.DuckDBPyType) -> str:
    """A DuckDB type, as DuckDB writes it, with every MAP's key type VARCHAR but where it is VARCHAR or an ENUM already
    (MAP(INTEGER, UBIGINT)[] -> MAP(VARCHAR, UBIGINT)[]): built from DuckDB's own type objects, through lists, structs
    and maps' values; a map inside another container (a fixed-size array, a union) makes that whole column text."""
    return str(_keyed(type_))


def _keyed(t: duckdb.typing.DuckDBPyType) -> duckdb.typing.DuckDBPyType:
    if t.id == "map":
        (_, key), (_, value) = t.children
        text_key = key if key.id in ("varchar", "enum") else duckdb.sqltype("VARCHAR")
        return duckdb.map_type(text_key, _keyed(value))
    if t.id == "list":
        return duckdb.list_type(_keyed(t.children[0][1]))
    if t.id == "struct":
        return duckdb.struct_type({name: _keyed(child) for name, child in t.children})
    return duckdb.sqltype("VARCHAR") if "MAP(" in str(t) else t


def snapshot_info(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """generation, published_at, warehouse: what this snapshot was published from."""
    return dict(con.sql("select key, value from snapshot_info").fetchall())


_TYPES = {"VARCHAR": pl.String, "BIGINT": pl.Int64, "INTEGER": pl.Int32, "DOUBLE": pl.Float64, "BOOLEAN": pl.Boolean,
          "TIMESTAMP": pl.Datetime("us"), "DATE": pl.Date, "VARCHAR[]": pl.List(pl.String)}  # fmt: skip


def _frame(rel: duckdb.DuckDBPyRelation) -> pl.DataFrame:
    """A small result as a frame through Python rows: `.pl()` would import pyarrow (a sixth of `scr status`'s start)."""
    types = [_TYPES.get(str(t)) for t in rel.types]
    if None in types:  # a type the views do not use today: the general path
        return rel.pl()
    return pl.DataFrame(rel.fetchall(), schema=dict(zip(rel.columns, types)), orient="row")


def read_views(con: duckdb.DuckDBPyConnection, names: list[str] | None = None) -> dict[str, pl.DataFrame]:
    """The analysts' views (all, or the named ones) as frames, in each view's own order."""
    return {name: _frame(con.sql(f"select * from {name}")) for name in (names or list(VIEWS))}


def practice_statuses(con: duckdb.DuckDBPyConnection, practice_ids: list[str] | None = None) -> pl.DataFrame:
    """practice_id, status, detail of every practice (or the named ones), by practice_id."""
    rows = _frame(con.sql("select practice_id, status, detail from practice_status order by practice_id"))
    return rows.filter(pl.col("practice_id").is_in(practice_ids)) if practice_ids else rows


def latest_run(con: duckdb.DuckDBPyConnection) -> dict | None:
    """The latest run on record (run_id, kind, status, started_at, finished_at, error, unnamed_rows: the lines saying
    the rows of practices.json that name no practice, as it found them), whether or not it took a practice:
    wave_summary only has runs that did; a run that failed before its first chunk is only here."""
    rel = con.sql(
        "select run_id, kind, status, started_at, finished_at, json_extract_string(summary, '$.error') as error, "
        "coalesce(json_extract_string(summary, '$.unnamed_rows[*]'), []) as unnamed_rows "
        "from pipeline_run order by started_at desc, run_id desc limit 1"
    )
    rows = rel.fetchall()
    return dict(zip(rel.columns, rows[0])) if rows else None


def last_landing(con: duckdb.DuckDBPyConnection) -> str | None:
    """The landing zone folder the latest run that recorded one read (an absolute path), or None."""
    rows = con.sql(
        "select json_extract_string(summary, '$.parameters.landing') as landing from pipeline_run "
        "where json_extract_string(summary, '$.parameters.landing') is not null order by started_at desc, run_id desc limit 1"
    ).fetchall()
    return rows[0][0] if rows else None
