"""The writer's publish after a commit: a failure is caught up by the next publish, but a Ctrl-C stops the command."""

import logging

import pytest

from flows import snapshot_hook


def test_a_publish_that_fails_leaves_the_commit_standing_and_says_so(monkeypatch, tmp_path, caplog):
    def broken(con, warehouse, **kwargs):
        raise OSError("No space left on device")

    monkeypatch.setattr(snapshot_hook, "publish", broken)
    with caplog.at_level(logging.WARNING, logger="scr.snapshot"):
        assert snapshot_hook.publish_snapshot(None, tmp_path / "w.duckdb") is None
    assert "snapshot not published" in caplog.text and "No space left" in caplog.text


def test_a_ctrl_c_that_came_while_duckdb_published_stops_the_command(monkeypatch, tmp_path):
    # DuckDB takes a terminal's SIGINT during a statement and raises this instead of KeyboardInterrupt: caught as a
    # failed publish, the command went on and ended with exit 0 as if the Ctrl-C had not come
    def interrupted(con, warehouse, **kwargs):
        raise RuntimeError("Query interrupted")

    monkeypatch.setattr(snapshot_hook, "publish", interrupted)
    with pytest.raises(KeyboardInterrupt):
        snapshot_hook.publish_snapshot(None, tmp_path / "w.duckdb")
