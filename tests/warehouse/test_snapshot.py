"""The analysts' snapshot: what it publishes, only what changed, atomically, and what it keeps for open sessions."""

from pathlib import Path

import duckdb
import polars as pl
import pytest

from tests.support.older_duckdb import older_cli
from tests.warehouse.handmade import build
from warehouse import snapshot as snap
from warehouse.db import cursor, transaction
from warehouse.reader import open_snapshot
from warehouse.schema import create_all
from warehouse.snapshot import publish, relations, snapshot_dir
from warehouse.status import mark_changed
from warehouse.views import VIEWS


@pytest.fixture()
def wh(tmp_path):
    """A file warehouse holding the hand-made rows, and its path."""
    path = tmp_path / "w.duckdb"
    con = duckdb.connect(str(path))
    build(con)
    yield con, path
    con.close()


def frame(con, relation: str) -> pl.DataFrame:
    df = con.sql(f"select * from {relation}").pl()
    return df.with_columns(pl.struct(c).struct.json_encode().alias(c) for c, t in df.schema.items() if t.is_nested()).sort(pl.all(), nulls_last=True)


def reader(path: Path) -> duckdb.DuckDBPyConnection:
    return open_snapshot(path)


def assert_same(con, path: Path) -> None:
    """Every relation and view of the snapshot holds what the live warehouse holds."""
    with reader(path) as r:
        for name in [*relations(), *VIEWS]:
            live, published = frame(con, name), frame(r, name)
            assert published.schema == live.schema, name
            assert published.equals(live), name


def files_on_disk(path: Path) -> set[str]:
    root = snapshot_dir(path)
    return {p.relative_to(root).as_posix() for p in root.glob("data/*/*.parquet")}


def referenced(path: Path) -> set[str]:
    """The files the snapshot reads, relative to its folder (as snapshot_files names them)."""
    with reader(path) as r:
        return {p for (p,) in r.sql("select path from snapshot_files").fetchall()}


def change_a2(con, detail: str) -> None:
    with transaction(con):
        con.execute("update practice_status set detail = ? where practice_id = 'A2'", [detail])
        mark_changed(con, ["A2"])


def test_every_relation_and_view_answers_on_a_fresh_warehouse(tmp_path):
    path = tmp_path / "fresh.duckdb"
    with duckdb.connect(str(path)) as con:
        create_all(con)
        done = publish(con, path)
        assert done["swapped"] and done["files_written"] == 0
        assert_same(con, path)
    with reader(path) as r:
        for name in VIEWS:
            assert r.sql(f"select count(*) from {name}").fetchall() == [(0,)], name


def test_one_exporter_or_two_publish_the_same_files_and_records(wh, tmp_path, monkeypatch):
    con, path = wh
    copy = tmp_path / "copy.duckdb"
    con.execute(f"attach '{copy}' as copy")
    con.execute("copy from database w to copy")
    con.execute("detach copy")
    published = {}
    for exporters, target in ((1, path), (2, copy)):
        monkeypatch.setattr(snap, "EXPORTERS", exporters)
        with duckdb.connect(str(target)) if target == copy else cursor(con) as c:
            done = publish(c, target)
            assert_same(c, target)
            rows = lambda t: c.sql(f"select relation, rows from {t} order by all").pl()  # noqa: E731
            published[exporters] = ({k: v for k, v in done.items() if k not in ("snapshot", "seconds")},
                                    rows("snapshot_file"), rows("snapshot_manifest"))
    assert published[1][0] == published[2][0] and published[1][0]["files_written"] > 5
    assert published[1][1].equals(published[2][1]) and published[1][2].equals(published[2][2])


def test_the_snapshot_holds_what_the_warehouse_holds(wh):
    con, path = wh
    publish(con, path)
    assert_same(con, path)
    with reader(path) as r:
        # the current-version views are published, their version tables are not
        assert r.sql("select count(*) from unified_client where practice_id = 'A1'").fetchall() == [(2,)]
        names = {n for (n,) in r.sql("select view_name from duckdb_views() where not internal").fetchall()}
        assert "unified_client_version" not in names and "practice_change" not in names


def test_every_published_file_is_compressed_with_zstandard(wh):
    """An analyst copies the folder to a laptop: Zstandard makes it about half of DuckDB's default Snappy."""
    con, path = wh
    publish(con, path)
    change_a2(con, "a second publish, of one practice")
    publish(con, path)
    files = sorted(str(snapshot_dir(path) / f) for f in referenced(path))
    assert len(files) > 10  # every relation the hand-made rows fill
    codecs = duckdb.sql(f"select distinct compression from parquet_metadata({files}) where compression is not null").fetchall()
    assert codecs == [("ZSTD",)]


def test_only_the_practices_that_changed_are_written_again(wh):
    con, path = wh
    publish(con, path)
    change_a2(con, "promoted (keep_xpm); still waiting")
    done = publish(con, path)
    a2_rows = sum(con.sql(f"select count(*) from {r} where practice_id = 'A2'").fetchall()[0][0]
                  for r, kind in relations().items() if kind == "practice")  # fmt: skip
    assert done["practices"] == 1 and done["rows_written"] == a2_rows
    new = referenced(path) - set(con.sql("select file from snapshot_file where written_at < (select max(written_at) from snapshot_file)").pl()["file"])
    ids = duckdb.sql(f"select distinct practice_id from read_parquet({[str(snapshot_dir(path) / f) for f in new]})").fetchall()
    assert ids == [("A2",)]
    assert_same(con, path)


def test_nothing_changed_publishes_nothing(wh):
    con, path = wh
    publish(con, path)
    again = publish(con, path)
    assert not again["swapped"] and again["files_written"] == 0 and again["practices"] == 0


def test_rows_a_practice_no_longer_has_are_gone_from_the_snapshot(wh):
    con, path = wh
    publish(con, path)
    with transaction(con):
        con.execute("delete from client_match where practice_id = 'A2'")
        mark_changed(con, ["A2"])
    publish(con, path)
    with reader(path) as r:
        assert r.sql("select count(*) from client_match where practice_id = 'A2'").fetchall() == [(0,)]
        assert r.sql("select count(*) from client_match").fetchall() == [(2,)]
    assert_same(con, path)


def test_an_open_session_keeps_its_snapshot_while_newer_ones_are_published(wh):
    con, path = wh
    publish(con, path)
    held = reader(path)
    before = held.sql("select detail from practice_status where practice_id = 'A2'").fetchall()
    for i in range(3):
        change_a2(con, f"edit {i}")
        publish(con, path, grace_seconds=3600)
    assert held.sql("select detail from practice_status where practice_id = 'A2'").fetchall() == before
    assert held.sql("select count(*) from review_queue").fetchall() == [(2,)]
    with reader(path) as fresh:
        assert fresh.sql("select detail from practice_status where practice_id = 'A2'").fetchall() == [("edit 2",)]
    held.close()


def test_files_no_longer_current_are_deleted_after_the_grace_period_only(wh):
    con, path = wh
    publish(con, path)
    change_a2(con, "edit")
    publish(con, path, grace_seconds=3600)
    assert files_on_disk(path) > referenced(path)  # the previous files wait for sessions that still read them
    change_a2(con, "edit again")
    done = publish(con, path, grace_seconds=0)
    assert done["files_deleted"] > 0
    assert files_on_disk(path) == referenced(path)
    assert_same(con, path)


def test_a_commit_whose_publish_was_lost_is_published_by_the_next(wh):
    con, path = wh
    publish(con, path)
    change_a2(con, "committed, never published")  # the process died before publishing
    with transaction(con):
        con.execute("update practice_status set detail = 'later' where practice_id = 'B1'")
        mark_changed(con, ["B1"])
    done = publish(con, path)
    assert done["practices"] == 2
    assert_same(con, path)


def test_a_crash_between_the_swap_and_its_record_is_caught_up(wh, monkeypatch):
    con, path = wh
    publish(con, path)
    change_a2(con, "swapped, not recorded")

    def crash(*args, **kwargs):
        raise RuntimeError("killed")

    monkeypatch.setattr(snap, "_record", crash)
    with pytest.raises(RuntimeError):
        publish(con, path)
    monkeypatch.undo()
    change_a2(con, "next commit")
    publish(con, path, grace_seconds=0)
    assert_same(con, path)
    assert files_on_disk(path) == referenced(path)  # what the interrupted publish wrote is collected


def test_an_export_that_fails_beside_the_others_fails_the_publish_whole_and_the_next_catches_up(wh, monkeypatch):
    con, path = wh
    publish(con, path)
    change_a2(con, "exported by one exporter, not the other")
    real = snap._plan_practice

    def failing(cur, root, part, relation, *args):
        if relation == "practice_status":
            raise OSError("disk full")
        return real(cur, root, part, relation, *args)

    monkeypatch.setattr(snap, "_plan_practice", failing)
    with pytest.raises(OSError, match="disk full"):
        publish(con, path)
    with reader(path) as r:  # the previous snapshot stands
        assert r.sql("select detail from practice_status where practice_id = 'A2'").fetchall() != [("exported by one exporter, not the other",)]
    monkeypatch.undo()
    publish(con, path, grace_seconds=0)
    assert_same(con, path)
    assert files_on_disk(path) == referenced(path)  # what the failed publish's other exporter wrote is collected


def test_many_publishes_are_compacted_into_few_files(wh):
    con, path = wh
    publish(con, path)
    for i in range(12):
        pid = ["A1", "A2", "B1"][i % 3]
        with transaction(con):
            con.execute("update practice_status set detail = ? where practice_id = ?", [f"edit {i}", pid])
            mark_changed(con, [pid])
        publish(con, path, max_files=4, grace_seconds=0)
    with reader(path) as r:
        most = r.sql("select max(n) from (select relation, count(*) as n from snapshot_files group by relation)").fetchall()[0][0]
    assert most <= 4
    assert_same(con, path)


def test_whole_tables_are_rewritten_only_when_their_content_changes(wh):
    con, path = wh
    publish(con, path)
    con.execute("insert into pipeline_run (run_id, kind, started_at, status) values ('R2', 'wave', now()::timestamp, 'running')")
    done = publish(con, path)
    assert done["files_written"] == 1 and done["practices"] == 0
    assert_same(con, path)


def test_a_relation_whose_columns_changed_is_published_whole_again(wh):
    con, path = wh
    publish(con, path)
    con.execute("alter table run_practice add column note varchar")
    con.execute("update run_practice set note = 'n' where practice_id = 'B1'")
    publish(con, path)
    with reader(path) as r:
        assert r.sql("select count(*) from run_practice where note = 'n'").fetchall() == [(2,)]
    assert_same(con, path)


def test_a_lost_snapshot_folder_is_published_again_whole(wh):
    import shutil

    con, path = wh
    publish(con, path)
    shutil.rmtree(snapshot_dir(path))
    publish(con, path)
    assert_same(con, path)


def test_a_view_whose_definition_changed_reaches_the_snapshot_with_nothing_else_changed(wh, monkeypatch):
    """A new release that changes a view's SQL: the next publish (`scr snapshot`, any command that commits) rebuilds
    the snapshot's views, or analysts keep reading the old figures beside a live warehouse with the new ones."""
    from warehouse import views

    con, path = wh
    publish(con, path)
    monkeypatch.setitem(views.VIEWS, "failure_reasons", lambda: "select 'new definition' as reason")
    views.create_views(con)
    done = publish(con, path)
    assert done["swapped"] and done["files_written"] == 0
    with reader(path) as r:
        assert r.sql("select reason from failure_reasons").fetchall() == [("new definition",)]
    assert_same(con, path)
    assert not publish(con, path)["swapped"]  # and once published, nothing more to do


def views_naming(path: Path, text: str) -> list[str]:
    """The snapshot's views whose SQL names `text` (a folder)."""
    with duckdb.connect(str(snapshot_dir(path) / "snapshot.duckdb"), read_only=True) as bare:
        return [v for (v,) in bare.sql("select view_name from duckdb_views() where contains(sql, $t)", params={"t": text}).fetchall()]


@pytest.mark.parametrize("keep_original", [False, True], ids=["moved", "copied"])
def test_a_warehouse_folder_moved_or_copied_with_its_snapshot_reads_its_own_files_and_is_rebuilt_by_the_next_publish(
    wh, tmp_path, keep_original
):
    import shutil

    con, path = wh
    publish(con, path)
    change_a2(con, "a file read through its live practices only")
    publish(con, path)
    con.close()
    assert not views_naming(path, str(snapshot_dir(path)))  # its views name no folder: their files are relative to it
    there = tmp_path / "elsewhere"
    there.mkdir()
    for item in (path, snapshot_dir(path)):
        (shutil.copytree if item.is_dir() else shutil.copy2)(item, there / item.name)
        if not keep_original:
            (shutil.rmtree if item.is_dir() else Path.unlink)(item)
    moved = there / path.name
    with duckdb.connect(str(moved)) as con2:
        assert_same(con2, moved)  # before anything is published there, it reads this folder's own files
        with reader(moved) as r:
            assert r.sql("select value from snapshot_info where key = 'warehouse'").fetchall() == [(str(path),)]
        done = publish(con2, moved)  # nothing changed, yet the snapshot is built again, for this warehouse
        assert done["swapped"] and done["files_written"] == 0
        with reader(moved) as r:
            assert r.sql("select value from snapshot_info where key = 'warehouse'").fetchall() == [(str(moved),)]
            paths = [p for (p,) in r.sql("select path from snapshot_files").fetchall()]
            assert paths and all(p.startswith("data/") and (snapshot_dir(moved) / p).exists() for p in paths)
        assert_same(con2, moved)
        assert not publish(con2, moved)["swapped"]  # and once only


def test_a_moved_snapshot_an_earlier_release_built_is_refused_until_the_next_publish_builds_it_again(wh, tmp_path):
    """An earlier release's views read their files by absolute path (its snapshot_info had no `paths`): moved, they
    would read the other folder's files, so the reader says so until the next publish builds the views afresh."""
    import shutil

    from warehouse.reader import SnapshotElsewhere

    con, path = wh
    publish(con, path)
    con.close()
    with duckdb.connect(str(snapshot_dir(path) / "snapshot.duckdb")) as old:  # as an earlier release left it
        old.execute("delete from snapshot_info where key = 'paths'")
    there = tmp_path / "elsewhere"
    there.mkdir()
    for item in (path, snapshot_dir(path)):
        shutil.move(item, there / item.name)
    moved = there / path.name
    with pytest.raises(SnapshotElsewhere, match="published for the warehouse .*w.duckdb .moved or copied since.: `scr snapshot"):
        reader(moved)
    with duckdb.connect(str(moved)) as con2:
        assert publish(con2, moved)["swapped"]
        assert_same(con2, moved)


def test_a_snapshot_folder_copied_alone_opens_with_a_bare_read_only_connect_from_any_working_directory(wh, tmp_path, monkeypatch):
    """What an analyst does: copy `<stem>.snapshot/` to a laptop (here: another folder, renamed, the original gone) and
    open its snapshot.duckdb with duckdb.connect(path, read_only=True), or the DuckDB CLI, from wherever they are."""
    import shutil

    con, path = wh
    publish(con, path)
    change_a2(con, "a file read through its live practices only")
    publish(con, path)  # A2's rows now in a file of their own, the first file read through its other practices
    laptop = tmp_path / "laptop" / "copy of the snapshot"
    laptop.parent.mkdir()
    shutil.copytree(snapshot_dir(path), laptop)
    shutil.rmtree(snapshot_dir(path))  # nothing of the original folder left to read
    db = laptop / "snapshot.duckdb"
    for cwd, name in ((laptop, "snapshot.duckdb"), (laptop.parent, f"{laptop.name}/snapshot.duckdb"), (tmp_path, str(db)), (Path("/"), str(db))):
        monkeypatch.chdir(cwd)
        with duckdb.connect(name, read_only=True) as bare:
            for relation in [*relations(), *VIEWS]:
                assert frame(bare, relation).equals(frame(con, relation)), (cwd, relation)
    # attached to another session (what warehouse.reader.open_snapshot does): one variable names the folder
    monkeypatch.chdir(tmp_path)
    with duckdb.connect() as session:
        session.execute(f"attach '{db}' as snapshot (read_only); use snapshot")
        session.execute(f"set variable scr_snapshot_dir = '{laptop}'")
        assert frame(session, "client_crosswalk").equals(frame(con, "client_crosswalk"))
        assert frame(session, "merge_summary").equals(frame(con, "merge_summary"))


def test_what_a_publish_killed_while_building_its_snapshot_left_is_deleted_by_the_next_publish(wh):
    """QA9 F8: the half-built snapshot.duckdb of a publish killed (`.snapshot.duckdb.*.tmp`, and its log) stayed a day
    (the Parquet files' grace period), though nothing ever reads it: the next publish deletes it."""
    import subprocess
    import sys

    con, path = wh
    publish(con, path)
    root = snapshot_dir(path)
    tmp = root / ".snapshot.duckdb.0badf00d.tmp"
    # a build killed between its commit and its close (SIGKILL): the new database and its log are left beside the snapshot
    code = f"import duckdb, os, signal; c = duckdb.connect({str(tmp)!r}); c.execute('create table t as select 1 as x'); os.kill(os.getpid(), signal.SIGKILL)"
    subprocess.run([sys.executable, "-c", code], check=False)
    assert {p.name for p in root.iterdir() if p.name.startswith(".")} == {tmp.name, tmp.name + ".wal"}
    stray = root / "data" / "client_crosswalk" / "000000999-0badf00d.parquet"  # a killed publish's file: a day's grace
    stray.write_bytes(b"")
    done = publish(con, path)  # nothing changed to publish: its leftovers go all the same
    assert not done["swapped"] and done["files_deleted"] == 2
    assert sorted(p.name for p in root.iterdir()) == ["data", "snapshot.duckdb"]
    assert stray.exists()
    change_a2(con, "edit")
    publish(con, path, grace_seconds=0)
    assert not stray.exists()
    assert_same(con, path)


def test_a_backup_of_the_warehouse_restored_beside_a_newer_snapshot_is_published_as_it_is(wh, tmp_path):
    import shutil

    con, path = wh
    publish(con, path)
    con.close()
    backup = tmp_path / "backup.duckdb"
    shutil.copy2(path, backup)
    with duckdb.connect(str(path)) as con2:
        change_a2(con2, "a choice the backup never saw")
        publish(con2, path)
    shutil.copy2(backup, path)  # the warehouse file restored; the snapshot folder left as it was
    with duckdb.connect(str(path)) as con3:
        done = publish(con3, path)  # `scr snapshot`, or the next commit
        assert done["swapped"]
        assert_same(con3, path)
        with reader(path) as r:
            assert r.sql("select count(*) from practice_status where detail = 'a choice the backup never saw'").fetchall() == [(0,)]
        assert not publish(con3, path)["swapped"]


def test_a_snapshot_missing_one_of_its_files_says_so_and_the_next_publish_makes_it_whole(wh):
    from warehouse.reader import SnapshotDamaged

    con, path = wh
    publish(con, path)
    lost = sorted(referenced(path))[0]
    (snapshot_dir(path) / lost).unlink()  # a cleaner of old files, or a hand
    with pytest.raises(SnapshotDamaged, match=f"lacks its file .*{lost}.*`scr snapshot --warehouse"):
        reader(path)
    publish(con, path)
    assert_same(con, path)


def test_an_older_duckdb_cli_opens_the_snapshot_and_every_relation_and_view_answers_as_in_the_warehouse(wh):
    """Analysts' own DuckDB (a CLI, a notebook, a BI tool's driver) is often older than the writer's: the snapshot is
    written in a storage format DuckDB 1.0 and later read (snap.STORAGE_VERSION), over Parquet files they read too."""
    con, path = wh
    publish(con, path)
    change_a2(con, "a file read through its live practices only")
    publish(con, path)
    names = [*relations(), *VIEWS]
    done = older_cli(snap.snapshot_path(path), "".join(f"select '{n}' as relation, count(*) as n from {n};\n" for n in names))
    assert done.returncode == 0 and "Error" not in done.stdout + done.stderr, done.stdout + done.stderr
    counts = dict(line.split(",") for line in done.stdout.split())
    assert counts == {n: str(con.sql(f"select count(*) from {n}").fetchall()[0][0]) for n in names}


def test_another_warehouse_of_the_same_stem_beside_is_refused_its_snapshot_folder_and_takes_it_once_that_one_is_gone(wh, tmp_path):
    """Found by QA (session 33): `a.duckdb` and `a.db` in one folder share `a.snapshot`: the second's run silently
    replaced the first's analysts' snapshot, and query, report and review export for the first answered the second's."""
    import shutil

    con, path = wh
    publish(con, path)
    other = path.with_suffix(".db")
    with duckdb.connect(str(other)) as con2:
        build(con2)  # another warehouse: its own id
        with pytest.raises(snap.SnapshotTaken) as refused:
            publish(con2, other)
        assert str(refused.value) == (
            f"the analysts' snapshot folder {snapshot_dir(path)} is the warehouse {path}'s (another warehouse, whose name "
            f"differs only in its extension): {other} would replace it; rename or move one of the two warehouses (each "
            "warehouse's snapshot folder is named after its file without the extension)")  # fmt: skip
        assert snap.snapshot_taken(other, read_id=False) == str(refused.value)  # a new warehouse (no id yet) alike
        assert_same(con, path)  # the first's snapshot as it was
        with reader(path) as r:
            assert r.sql("select value from snapshot_info where key = 'warehouse'").fetchall() == [(str(path),)]
        con.close()
        # a copy of the first warehouse's folder elsewhere, its file replaced by another warehouse: its own folder now
        there = tmp_path / "elsewhere"
        there.mkdir()
        shutil.copytree(snapshot_dir(path), snapshot_dir(there / path.name))
        shutil.copy2(other, there / path.name)
        assert snap.snapshot_taken(there / path.name, read_id=True) is None
        # a file put in the first's place (another warehouse's): the snapshot names this very file, built again for it
        shutil.copy2(path, tmp_path / "first.duckdb")
        shutil.copy2(other, path)
        assert snap.snapshot_taken(path, read_id=True) is None
        # the first gone (moved, renamed, deleted): the folder is the second's
        path.unlink()
        done = publish(con2, other)
        assert done["swapped"]
        assert_same(con2, other)
