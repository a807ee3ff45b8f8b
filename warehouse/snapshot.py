"""The analysts' snapshot: a read-only copy of the warehouse that the writer publishes after each commit.

Readers never open the live file (DuckDB lets no other process in while the writer holds it). The
writer keeps, beside the warehouse, `<stem>.snapshot/`:

- `data/<relation>/<generation>-<id>.parquet`: the rows of the practices that changed since the last
  publish (practice_change.generation above the published one), one file per relation and publish;
  small practice-less tables whole, rewritten only when their content changes;
- `snapshot.duckdb`: built anew on every publish and swapped in with os.replace, it holds views
  over exactly the current files and the analysts' views (warehouse.views). A file that also holds
  rows since republished elsewhere is read through its live practices only. The views name their
  files relative to the folder of the database file the session opened (HERE), so the folder can be
  moved or copied whole (to an analyst's laptop) and still opens with a bare `duckdb.connect(path)`.

A reader sees the previous snapshot or the next, never half of one; a session holding the previous
`snapshot.duckdb` open keeps working, because the files it reads are deleted only a grace period
after they stop being current. What is published is recorded in the warehouse (snapshot_file,
snapshot_manifest, warehouse_meta) after the swap: a crash between a commit and its publish, or
between the swap and that record, is caught up by the next publish. A relation with too many files
is compacted by republishing the practices of its smallest files from the warehouse into one file.
"""

from __future__ import annotations

import hashlib
import os
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path

import duckdb
import polars as pl

from warehouse.db import cursor, transaction
from warehouse.load import registered
from warehouse.meta import read_meta
from warehouse.schema import PROMOTED, TABLES, WAREHOUSE_ID
from warehouse.views import VIEWS, create_views

__all__ = ["SnapshotTaken", "snapshot_taken", "publish", "purge", "last_generation", "snapshot_dir", "snapshot_path", "sql_string", "relations", "GRACE_SECONDS", "MAX_FILES", "DIR_VARIABLE", "LAYOUT"]

GRACE_SECONDS = 24 * 3600  # an analyst's session may hold an old snapshot this long
MAX_FILES = 64  # live files of one relation before it is compacted
EXPORTERS = 2  # relations exported at once, each on its own cursor
# Zstandard rather than DuckDB's default Snappy: the 100k bench zone's snapshot 62 -> 36 MB, its export and the
# analysts' queries as fast (benchmarks/HISTORY.md, Session 28); DuckDB 1.0, pyarrow and Spark read it. Level 1, not
# DuckDB's default 3: on the 1M bench zone's warehouse a full publish 10.4-11.5 -> 9.2-10.5 s, its files 363 -> 351 MB
# (HISTORY, Session 33)
PARQUET = "format parquet, compression zstd, compression_level 1"
SNAPSHOT = "snapshot.duckdb"
STORAGE_VERSION = "v1.0.0"  # snapshot.duckdb's storage format: readable by DuckDB 1.0 and later
GENERATION_KEY = "snapshot.generation"
VIEWS_KEY = "snapshot.views"
ROOT_KEY = "snapshot.root"  # the folder the current snapshot.duckdb was built in (what its snapshot_info names)
FILE_KEY = "snapshot.file"  # which snapshot.duckdb the warehouse last built (inode, size, mtime)
# bookkeeping, not data; the *_version tables are published as their current-version views
_SKIP = {"practice_change", "warehouse_meta", "snapshot_file", "snapshot_manifest"} | {f"{t}_version" for t in PROMOTED}
# tables their writers replace whole (the registry, the unconnected list): no practice marks their change
_WHOLE = {"stg_practice", "sync_unconnected"}
_FILES = pl.Schema({"relation": pl.String, "file": pl.String, "rows": pl.Int64, "columns": pl.String, "content_hash": pl.String})
_MANIFEST = pl.Schema({"relation": pl.String, "practice_id": pl.String, "file": pl.String, "rows": pl.Int64})
# Where the views find their files, as seen from the session reading them: the variable scr_snapshot_dir when set
# (warehouse.reader.open_snapshot sets it: it attaches the snapshot to an in-memory database), else the folder of the
# database file the session opened (DuckDB's default temp_directory is that file's path + ".tmp", absolute; a table
# function's arguments may not hold a subquery, so duckdb_databases() cannot say it), else the working directory
# (and DuckDB's file_search_path). Measured with DuckDB 2.0.1 (tests/warehouse/test_snapshot.py): a copied folder
# opens from any working directory. A session given its own temp_directory must set scr_snapshot_dir (README).
DIR_VARIABLE = "scr_snapshot_dir"
HERE = f"coalesce(getvariable('{DIR_VARIABLE}'), nullif(parse_dirpath(current_setting('temp_directory')), ''), '.')"
LAYOUT = "relative"  # snapshot_info's `paths`: the views read files relative to HERE (older snapshots: absolute paths)


def snapshot_dir(warehouse: Path | str) -> Path:
    """The folder of a warehouse's snapshot: `<dir>/<stem>.snapshot`, absolute."""
    warehouse = Path(warehouse).absolute()
    return warehouse.with_name(warehouse.stem + ".snapshot")


def snapshot_path(warehouse: Path | str) -> Path:
    """The snapshot database analysts open (read-only)."""
    return snapshot_dir(warehouse) / SNAPSHOT


class SnapshotTaken(Exception):
    """The snapshot folder beside this warehouse is another warehouse's, still there: publishing would replace it."""


def _published_from(path: Path) -> dict[str, str]:
    """snapshot_info of the snapshot.duckdb at `path` ({} when there is none or it cannot be read)."""
    if not path.is_file():
        return {}
    con = duckdb.connect(":memory:")  # attached: duckdb.connect(path) hands back an instance this process holds
    try:
        con.execute(f"attach {sql_string(str(path))} as snap (read_only)")
        return dict(con.sql("select key, value from snap.snapshot_info").fetchall())
    except duckdb.Error:
        return {}
    finally:
        con.close()


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve() or (a.exists() and b.exists() and os.path.samefile(a, b))
    except OSError:
        return False


def snapshot_taken(warehouse: Path | str, own_id: str | None = None, *, read_id: bool = False) -> str | None:
    """One line when the snapshot folder beside `warehouse` holds another warehouse's snapshot: one whose id is not
    `own_id` (a new warehouse has none yet), published from another file that is still there and whose snapshot folder
    is this same one (`a.duckdb` and `a.db` in one folder: both `<stem>.snapshot`; QA, session 33: the second's run
    silently replaced the first's analysts' snapshot). None otherwise: a warehouse moved or copied with its snapshot
    (its id), a file replaced in the warehouse's place or a backup restored (the snapshot names this file), a snapshot
    without an id (an older release's). `read_id`: read `own_id` from the file itself (read-only; not beside a writer:
    a file that cannot be opened is not told apart, and its publish checks again)."""
    this = Path(warehouse).absolute()
    root = snapshot_dir(this)
    info = _published_from(root / SNAPSHOT)
    other, other_id = info.get("warehouse"), info.get("warehouse_id")
    if not other or not other_id or _same_file(Path(other), this):
        return None
    other_path = Path(other)
    if not other_path.is_file() or not _same_file(snapshot_dir(other_path), root):
        return None  # gone (moved, renamed, deleted), or a copy of its folder elsewhere: this warehouse's now
    if read_id and this.is_file():
        from warehouse.db import open_warehouse

        try:
            con = open_warehouse(this, read_only=True)
        except (duckdb.Error, OSError):
            return None
        try:
            own_id = read_meta(con, WAREHOUSE_ID)
        except duckdb.Error:
            return None
        finally:
            con.close()
    if own_id == other_id:  # a copy of that warehouse (the same id): what a copy beside it publishes is as good
        return None
    return (f"the analysts' snapshot folder {root} is the warehouse {other_path}'s (another warehouse, whose name differs "
            f"only in its extension): {this} would replace it; rename or move one of the two warehouses (each "
            "warehouse's snapshot folder is named after its file without the extension)")  # fmt: skip


@cache
def relations() -> dict[str, str]:
    """Every relation the snapshot publishes -> "practice" (per practice, as they change) or "whole"."""
    out = {t.name: "practice" if t.practice and t.name not in _WHOLE else "whole" for t in TABLES.values() if t.name not in _SKIP}
    out.update({name: "practice" for name in PROMOTED})
    return out


@dataclass
class _Plan:
    """What one publish does, in order: each step replaces a relation's manifest rows for some practices (None: all)."""

    generation: int
    files: list[dict] = field(default_factory=list)  # new snapshot_file rows
    retired: set[str] = field(default_factory=set)
    steps: list[tuple[str, list[str] | None, pl.DataFrame]] = field(default_factory=list)
    columns: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    signatures: dict[str, str] = field(default_factory=dict)
    views: str = ""  # _views_signature() of the views it builds


def _views_signature() -> str:
    """The analysts' views' SQL and how the views name their files, hashed: what the snapshot's views were built from
    (a snapshot built before its views read relative paths is built again by the next publish)."""
    return hashlib.sha256(repr([(LAYOUT, HERE), *((name, sql()) for name, sql in VIEWS.items())]).encode()).hexdigest()[:16]


def sql_string(text: str) -> str:
    """`text` as a SQL string literal (a path in an ATTACH or a COPY)."""
    return "'" + text.replace("'", "''") + "'"


def _in(ids: list[str]) -> str:
    return "where practice_id in (" + ", ".join(sql_string(i) for i in ids) + ")"


def _columns(con: duckdb.DuckDBPyConnection, relation: str) -> list[tuple[str, str]]:
    rel = con.sql(f"select * from {relation} limit 0")
    return [(c, str(t)) for c, t in zip(rel.columns, rel.types)]


def _export(con, root: Path, plan: _Plan, relation: str, where: str, content_hash: str | None = None, *,
            ordered: bool = False) -> pl.DataFrame:
    """Write the relation's rows (matching `where`) to a new file; returns its manifest rows (practice, rows).

    `ordered` sorts the rows by practice (what lets a reader skip row groups): for the large files of a full
    export or a compaction; a publish's file of recently changed practices is small, and sorting it cost a
    quarter of its export.
    """
    (root / "data" / relation).mkdir(parents=True, exist_ok=True)
    name = f"data/{relation}/{plan.generation:09d}-{uuid.uuid4().hex[:8]}.parquet"
    per_practice = relations()[relation] == "practice"
    order = " order by practice_id" if per_practice and ordered else ""
    path = sql_string(str(root / name))
    written = con.execute(f"copy (select * from {relation} {where}{order}) to {path} ({PARQUET})").fetchall()[0][0]
    if not written:
        (root / name).unlink(missing_ok=True)
        return pl.DataFrame(schema=_MANIFEST)
    plan.files.append({"relation": relation, "file": name, "rows": written, "columns": plan.signatures[relation],
                       "content_hash": content_hash})  # fmt: skip
    if not per_practice:
        return pl.DataFrame(schema=_MANIFEST)
    counts = con.sql(f"select practice_id, count(*)::bigint as rows from read_parquet({path}) group by 1").pl()
    return counts.select(pl.lit(relation).alias("relation"), "practice_id", pl.lit(name).alias("file"), "rows").cast(_MANIFEST)


def _plan_practice(con, root, plan: _Plan, relation: str, full: bool, changed: list[str], live: pl.DataFrame) -> None:
    """Republish the changed practices of one relation (all of them when it is new or its columns changed)."""
    if full:
        plan.retired |= set(live["file"])
        plan.steps.append((relation, None, _export(con, root, plan, relation, "", ordered=True)))
    elif changed:
        plan.steps.append((relation, changed, _export(con, root, plan, relation, _in(changed))))


def _plan_whole(con, root, plan: _Plan, relation: str, full: bool, live: pl.DataFrame) -> None:
    """Rewrite a whole small table, only when its content changed."""
    content = con.sql(f"select md5(coalesce(string_agg(t::varchar, '|' order by t::varchar), '')) from {relation} t").fetchall()[0][0]
    if full or not live.height or live["content_hash"][0] != content:
        plan.retired |= set(live["file"])
        _export(con, root, plan, relation, "", content)


def _apply(files: pl.DataFrame, manifest: pl.DataFrame, plan: _Plan) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Live files and manifest once the plan is done; files no practice points at any more are retired."""
    # one relation's rows at a time: a step touches its own relation, and the whole manifest is large
    by_relation = manifest.partition_by("relation", as_dict=True, maintain_order=True)
    parts = {relation: part for (relation,), part in by_relation.items()}
    for relation, ids, rows in plan.steps:
        part = parts.get(relation, manifest.clear())
        kept = part.filter(~pl.col("practice_id").is_in(ids)) if ids is not None else part.clear()
        parts[relation] = pl.concat([kept, rows], how="vertical_relaxed")
    manifest = pl.concat([manifest.clear(), *parts.values()], how="vertical_relaxed")
    files = pl.concat([files, pl.DataFrame(plan.files, schema=_FILES)], how="vertical_relaxed")
    per_practice = pl.col("relation").is_in([r for r, k in relations().items() if k == "practice"])
    dead = files.filter(per_practice & ~pl.col("file").is_in(manifest["file"].unique().implode()))
    plan.retired |= set(dead["file"])
    return files.filter(~pl.col("file").is_in(list(plan.retired))), manifest


def _compact(con, root: Path, plan: _Plan, files: pl.DataFrame, manifest: pl.DataFrame, max_files: int) -> None:
    """A relation with more than max_files files: the practices of its smallest (and mostly dead) ones into one new file."""
    new = {f["file"] for f in plan.files}
    live_rows = manifest.group_by("file").agg(pl.col("rows").sum().alias("live_rows"))
    sized = files.join(live_rows, on="file", how="left").with_columns(pl.col("live_rows").fill_null(0))
    for relation in sorted(set(sized["relation"])):
        group = sized.filter(pl.col("relation") == relation)
        if relations()[relation] != "practice" or group.height <= max_files:
            continue
        old = group.filter(~pl.col("file").is_in(list(new))).sort("live_rows", "file")
        merge = set(old.head(group.height - max_files // 2 + 1)["file"]) | set(
            old.filter(pl.col("live_rows") * 2 < pl.col("rows"))["file"]
        )
        ids = manifest.filter(pl.col("file").is_in(list(merge)))["practice_id"].unique().sort().to_list()
        plan.retired |= merge
        plan.steps.append((relation, ids, _export(con, root, plan, relation, _in(ids), ordered=True)))


def _nowhere(name: str) -> None:
    """No fault point: a publish the crash tests do not stop."""


def publish(
    con: duckdb.DuckDBPyConnection, warehouse: Path | str, *, grace_seconds: float = GRACE_SECONDS, max_files: int = MAX_FILES,
    at: Callable[[str], None] = _nowhere,
) -> dict:
    """Publish what changed since the last publish and swap in a new snapshot; returns what it did.

    Called by the warehouse's single writer, outside any transaction, right after a commit. `at` is told each step it
    reaches ("snapshot:exported", "snapshot:swapped"): the crash tests' fault points (flows.faults), which this layer
    does not import.
    """
    started = time.perf_counter()
    root = snapshot_dir(warehouse)
    meta = dict(con.sql("select key, value from warehouse_meta where key like 'snapshot.%'").fetchall())
    if meta.get(FILE_KEY) != _stamp(root / SNAPSHOT):  # not the snapshot.duckdb this warehouse last built: whose?
        taken = snapshot_taken(warehouse, read_meta(con, WAREHOUSE_ID))
        if taken:
            raise SnapshotTaken(taken)
    root.mkdir(parents=True, exist_ok=True)
    files = con.sql("select relation, file, rows, columns, content_hash from snapshot_file where retired_at is null").pl().cast(_FILES)
    manifest = con.sql("select relation, practice_id, file, rows from snapshot_manifest").pl().cast(_MANIFEST)
    if any(not (root / f).exists() for f in files["file"]) or (files.height and not (root / SNAPSHOT).exists()):
        _forget(con)  # the folder lost files (deleted or moved by hand): publish everything again
        meta, files, manifest = {}, files.clear(), manifest.clear()
    published = int(meta.get(GENERATION_KEY, 0))
    changed = [r[0] for r in con.sql(
        "select practice_id from practice_change where generation > $g order by 1", params={"g": published}).fetchall()]  # fmt: skip
    plan = _Plan(generation=max(last_generation(con), published))
    for relation in relations():
        plan.columns[relation] = _columns(con, relation)
        plan.signatures[relation] = hashlib.sha256(repr(plan.columns[relation]).encode()).hexdigest()[:16]
    # the analysts' views as this code defines them: a release that changes one rebuilds the snapshot's views
    plan.views = _views_signature()

    def one(relation: str) -> _Plan:
        """One relation's part of the plan, exported on a cursor of its own."""
        part = _Plan(plan.generation, columns=plan.columns, signatures=plan.signatures)
        full = meta.get(f"snapshot.columns.{relation}") != plan.signatures[relation]
        live = files.filter(pl.col("relation") == relation)
        with cursor(con) as cur:
            if relations()[relation] == "whole":
                _plan_whole(cur, root, part, relation, full, live)
            else:
                _plan_practice(cur, root, part, relation, full, changed, live)
        return part

    # a relation's export (DuckDB writing Parquet) mostly keeps one core, so two run at once (README, Performance);
    # the parts are put together in the relations' order
    with ThreadPoolExecutor(EXPORTERS, thread_name_prefix="scr-snapshot") as exporters:
        for part in exporters.map(one, relations()):
            plan.files += part.files
            plan.retired |= part.retired
            plan.steps += part.steps
    _compact(con, root, plan, *_apply(files, manifest, plan), max_files)
    now_files, now_manifest = _apply(files, manifest, plan)
    # a warehouse folder moved or copied (with its snapshot) keeps a snapshot.duckdb that reads its own folder's files
    # but names the warehouse it was published for: built again here, for this one (nothing need be exported again)
    moved = meta.get(ROOT_KEY) != str(root)
    # a snapshot.duckdb this warehouse did not build (or no longer remembers building: a backup of the warehouse
    # file restored beside a newer snapshot) shows what the warehouse does not hold: built again too
    foreign = meta.get(FILE_KEY) != _stamp(root / SNAPSHOT)
    swapped = bool(plan.files or plan.retired) or moved or foreign or not (root / SNAPSHOT).exists() or meta.get(VIEWS_KEY) != plan.views
    at("snapshot:exported")  # the new files written, none of them read yet: analysts see the last snapshot whole
    if swapped:
        _build(root, Path(warehouse).absolute(), plan, now_files, now_manifest, read_meta(con, WAREHOUSE_ID))
    at("snapshot:swapped")  # the new snapshot read, the warehouse not told yet: the next publish builds it again
    if swapped or plan.generation != published or plan.steps:
        _record(con, plan, now_manifest, root)
    deleted = _collect(con, root, grace_seconds)
    return {
        "snapshot": str(root / SNAPSHOT), "generation": plan.generation, "practices": len(changed), "swapped": swapped,
        "files_written": len(plan.files), "rows_written": int(sum(f["rows"] for f in plan.files)),
        "files_retired": len(plan.retired), "files_deleted": deleted, "seconds": round(time.perf_counter() - started, 3),
    }  # fmt: skip


def last_generation(con: duckdb.DuckDBPyConnection) -> int:
    """The newest generation this warehouse file marked a practice's change with (0: none yet): a snapshot published
    from it never names a later one."""
    return con.sql("select coalesce(max(generation), 0) from practice_change").fetchall()[0][0]


def purge(con: duckdb.DuckDBPyConnection, warehouse: Path | str) -> dict:
    """Publish everything anew and delete every earlier file of the snapshot at once, without the grace period.

    After a rekey: the files the snapshot published before hold the old key's hashes, and must not wait a day
    (an analyst's session open on the old snapshot loses its files; it reconnects to the new one).
    """
    _forget(con)
    return publish(con, warehouse, grace_seconds=0)


def _relation_sql(relation: str, files: pl.DataFrame, live_rows: dict[str, int], cols: list[tuple[str, str]]) -> str:
    """A relation over its files (each named relative to HERE); a file holding rows republished elsewhere is read through
    its live practices only."""
    names = ", ".join(f'"{c}"' for c, _ in cols)
    if files.is_empty():
        return "select " + ", ".join(f'cast(null as {t}) as "{c}"' for c, t in cols) + " where false"
    clean = [f for f, n in files.select("file", "rows").iter_rows() if live_rows.get(f, n) == n]
    stale = [f for f in files["file"] if f not in clean]
    paths = lambda fs: "list_transform([" + ", ".join(sql_string(f) for f in fs) + f"], lambda f: {HERE} || '/' || f)"  # noqa: E731
    parts = [f"select {names} from read_parquet({paths(clean)})"] if clean else []
    if stale:
        parts.append(
            f"select {names} from read_parquet({paths(stale)}, filename = true) t where exists (select 1 from snapshot_live m "
            f"where m.relation = {sql_string(relation)} and m.practice_id = t.practice_id and ends_with(t.filename, '/' || m.path))"
        )
    return " union all ".join(parts)


def _build(root: Path, warehouse: Path, plan: _Plan, files: pl.DataFrame, manifest: pl.DataFrame,
           warehouse_id: str | None = None) -> None:  # fmt: skip
    """A new snapshot.duckdb over exactly these files, swapped in atomically; `warehouse_id` (warehouse_meta's, when
    the warehouse has one) said in snapshot_info, so a snapshot tells the warehouse it was published from."""
    practice_files = manifest.group_by("file").agg(pl.col("rows").sum())
    live_rows = dict(practice_files.iter_rows())
    stale = {f for f, n in files.select("file", "rows").iter_rows() if live_rows.get(f, n) != n}
    # paths relative to the snapshot's folder, as the views name them
    live = manifest.filter(pl.col("file").is_in(list(stale))).select("relation", "practice_id", pl.col("file").alias("path"))
    listing = files.select("relation", pl.col("file").alias("path"), "rows").sort("relation", "path")
    info = pl.DataFrame({
        "key": ["generation", "published_at", "warehouse", "paths", *(["warehouse_id"] if warehouse_id else [])],
        "value": [str(plan.generation), datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC"), str(warehouse), LAYOUT,
                  *([warehouse_id] if warehouse_id else [])],
    })  # fmt: skip
    tmp = root / f".{SNAPSHOT}.{uuid.uuid4().hex[:8]}.tmp"
    # the oldest storage format DuckDB 1.x reads: an analyst's own DuckDB (a CLI, a notebook, a BI tool's driver) is
    # often older than this project's, and the snapshot holds only small tables and views over Parquet files
    snap = duckdb.connect(str(tmp), config={"storage_compatibility_version": STORAGE_VERSION})
    try:
        snap.execute("begin transaction")  # one commit: a file-backed DuckDB syncs on every statement otherwise
        for name, frame in (("snapshot_live", live), ("snapshot_info", info), ("snapshot_files", listing)):
            snap.register("_frame", frame.to_arrow())
            snap.execute(f"create table {name} as select * from _frame")
            snap.unregister("_frame")
        for relation in relations():
            mine = files.filter(pl.col("relation") == relation).sort("file")
            snap.execute(f"create view {relation} as {_relation_sql(relation, mine, live_rows, plan.columns[relation])}")
        create_views(snap)
        snap.execute("commit")
    finally:
        snap.close()
    os.replace(tmp, root / SNAPSHOT)


def _record(con, plan: _Plan, manifest: pl.DataFrame, root: Path) -> None:
    """What the snapshot now holds, in the warehouse (after the swap: a crash before this republishes, loses nothing)."""
    now = datetime.now(UTC).replace(tzinfo=None)
    whole = sorted({r for r, ids, _ in plan.steps if ids is None})
    keys = pl.DataFrame([(r, p) for r, ids, _ in plan.steps if ids is not None for p in ids],
                        schema={"relation": pl.String, "practice_id": pl.String}, orient="row").unique()  # fmt: skip
    touched = pl.concat([
        manifest.filter(pl.col("relation").is_in(whole)),
        manifest.join(keys, on=["relation", "practice_id"], how="semi"),
    ]).unique(["relation", "practice_id"])  # fmt: skip
    values = {GENERATION_KEY: str(plan.generation), VIEWS_KEY: plan.views, ROOT_KEY: str(root), FILE_KEY: _stamp(root / SNAPSHOT),
              **{f"snapshot.columns.{r}": s for r, s in plan.signatures.items()}}  # fmt: skip
    new_files = pl.DataFrame(plan.files, schema=_FILES)
    with transaction(con), registered(con, _snap_keys=keys, _snap_rows=touched, _snap_files=new_files):
        con.execute("delete from snapshot_manifest where relation in (select unnest($r::varchar[]))", {"r": whole})
        con.execute("delete from snapshot_manifest m using _snap_keys k where m.relation = k.relation and m.practice_id = k.practice_id")
        con.execute("insert into snapshot_manifest by name select * from _snap_rows")
        con.execute("insert into snapshot_file by name select *, $t as written_at from _snap_files", {"t": now})
        con.execute(
            "update snapshot_file set retired_at = $t where file in (select unnest($f::varchar[])) and retired_at is null",
            {"t": now, "f": sorted(plan.retired)},
        )
        con.execute(
            "insert or replace into warehouse_meta select unnest($k::varchar[]), unnest($v::varchar[])",
            {"k": list(values), "v": list(values.values())},
        )


def _stamp(path: Path) -> str | None:
    """Which file this is (inode, size, modification time), or None when there is none."""
    try:
        st = path.stat()
    except FileNotFoundError:
        return None
    return f"{st.st_ino}:{st.st_size}:{st.st_mtime_ns}"


def _forget(con) -> None:
    """Start the snapshot over: every file retired, nothing published."""
    with transaction(con):
        con.execute("update snapshot_file set retired_at = timezone('UTC', now()) where retired_at is null")
        con.execute("delete from snapshot_manifest")
        con.execute("delete from warehouse_meta where key like 'snapshot.%'")


def _collect(con, root: Path, grace_seconds: float) -> int:
    """Delete files retired more than the grace period ago, Parquet files of interrupted publishes as old (a snapshot
    swapped in before its publish was recorded reads them), and every snapshot.duckdb an interrupted publish was
    building at once: no one ever opens one (it is read only once swapped in, under its own name), and publishes are
    the single writer's, one at a time, so one left now is a killed publish's (QA9 F8: it stayed a day)."""
    cutoff = datetime.now(UTC).replace(tzinfo=None) - timedelta(seconds=grace_seconds)
    old = [r[0] for r in con.sql("select file from snapshot_file where retired_at <= $c", params={"c": cutoff}).fetchall()]
    known = {r[0] for r in con.sql("select file from snapshot_file").fetchall()}
    deadline = time.time() - grace_seconds
    leftovers = [
        p.relative_to(root).as_posix() for p in root.glob("data/*/*.parquet")
        if p.relative_to(root).as_posix() not in known and p.stat().st_mtime <= deadline
    ]  # fmt: skip
    # a build killed after its commit also leaves its database's log (`.tmp.wal`)
    leftovers += [p.name for p in [*root.glob(f".{SNAPSHOT}.*.tmp"), *root.glob(f".{SNAPSHOT}.*.tmp.wal")]]
    for name in old + leftovers:
        (root / name).unlink(missing_ok=True)
    if old:
        with transaction(con):
            con.execute("delete from snapshot_file where file in (select unnest($f::varchar[]))", {"f": old})
    return len(old) + len(leftovers)
