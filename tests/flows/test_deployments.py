"""prefect.yaml and `scr serve` describe deployments that point at real flows."""

import importlib
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]


def test_prefect_yaml_entrypoints_are_flows_with_the_parameters_given():
    spec = yaml.safe_load((ROOT / "prefect.yaml").read_text())
    names = {d["name"] for d in spec["deployments"]}
    assert {"nightly", "rerun", "retire-sync"} <= names
    for deployment in spec["deployments"]:
        module, attr = deployment["entrypoint"].split(":")
        flow = getattr(importlib.import_module(module.removesuffix(".py").replace("/", ".")), attr)
        assert hasattr(flow, "serve"), f"{deployment['entrypoint']} is not a Prefect flow"
        params = set(flow.parameters.properties)
        assert set(deployment.get("parameters") or {}) <= params
    nightly = next(d for d in spec["deployments"] if d["name"] == "nightly")
    assert nightly["schedules"][0]["cron"]
    for deployment in spec["deployments"]:
        # each knows where it works and runs one at a time
        assert deployment["parameters"]["landing"] == "{{ $SCR_LANDING }}"
        assert deployment["parameters"]["warehouse"] == "{{ $SCR_WAREHOUSE }}"
        assert deployment["concurrency_limit"] == {"limit": 1, "collision_strategy": "ENQUEUE"}


def test_serve_binds_every_deployment_to_its_landing_zone_and_warehouse_one_run_at_a_time(tmp_path):
    from flows.deployments import deployments

    built = {d.name: d for d in deployments(tmp_path / "landing", tmp_path / "scr.duckdb", "0 1 * * *", "Australia/Sydney")}
    assert set(built) == {"nightly", "rerun", "retire-sync"}
    assert built["nightly"].schedules[0].schedule.cron == "0 1 * * *"
    for d in built.values():
        assert d.parameters["landing"] == str(tmp_path / "landing") and d.parameters["warehouse"] == str(tmp_path / "scr.duckdb")
        assert d.concurrency_limit == 1 and d.concurrency_options.collision_strategy.value == "ENQUEUE"


def test_a_flow_started_without_its_landing_zone_says_which_parameter_is_wrong(tmp_path, prefect_api):
    import pytest

    from flows.wave import RunRefused, nightly_wave, rerun_practice

    with pytest.raises(RunRefused, match="has no practices.json: give the flow its `landing` parameter"):
        nightly_wave(landing=str(tmp_path / "nowhere"), warehouse=str(tmp_path / "scr.duckdb"))
    assert not (tmp_path / "scr.duckdb").exists()
    (tmp_path / "zone").mkdir()
    (tmp_path / "zone" / "practices.json").write_text("[]")
    with pytest.raises(RunRefused, match="needs the practices"):
        rerun_practice(practices=[], landing=str(tmp_path / "zone"), warehouse=str(tmp_path / "scr.duckdb"))


def test_the_nightly_flow_refuses_a_wave_the_registry_does_not_plan(tmp_path, prefect_api):
    # a deployment's `wave` parameter reaches the flow without `scr wave`'s check: it ran an empty wave and
    # reported success; now the flow run fails, naming the wave and the waves planned, before anything is written
    import json

    from flows.wave import RunRefused, nightly_wave
    from synthetic import generate_zone

    generate_zone(tmp_path / "zone", 6, seed=3)
    landing, wh = tmp_path / "zone" / "landing", tmp_path / "scr.duckdb"
    waves = sorted({p["wave"] for p in json.loads((landing / "practices.json").read_text()) if p["wave"] is not None})
    assert waves and 99 not in waves
    state = nightly_wave(landing=str(landing), warehouse=str(wh), wave=99, return_state=True)
    assert state.is_failed()
    with pytest.raises(RunRefused) as refused:
        state.result()
    assert str(refused.value) == (f"unknown wave 99: not in {landing / 'practices.json'} "
                                  f"(its waves: {', '.join(map(str, waves))})")  # fmt: skip
    assert not wh.exists()


def test_the_nightly_flow_refuses_a_record_budget_with_a_wave(tmp_path, prefect_api):
    # found by QA (session 33): the budget was ignored unsaid whenever a wave was taken
    from flows.wave import RunRefused, nightly_wave
    from synthetic import generate_zone

    generate_zone(tmp_path / "zone", 6, seed=3)
    landing, wh = tmp_path / "zone" / "landing", tmp_path / "scr.duckdb"
    state = nightly_wave(landing=str(landing), warehouse=str(wh), wave=1, record_budget=100, return_state=True)
    assert state.is_failed()
    with pytest.raises(RunRefused, match=r"^a record budget \(100\) with a wave \(1\): a budget fills only a wave"):
        state.result()
    assert not wh.exists()


def test_the_nightly_flow_refuses_a_warehouse_whose_snapshot_folder_is_another_warehouses_before_any_work(tmp_path, prefect_api):
    # found by QA (session 33): `a.db` beside `a.duckdb` (one `a.snapshot`): its run replaced the other's analysts' snapshot
    import duckdb

    from flows.wave import nightly_wave
    from synthetic import generate_zone
    from tests.warehouse.handmade import published
    from warehouse.snapshot import SnapshotTaken, snapshot_dir

    generate_zone(tmp_path / "zone", 2, seed=3)
    first = published(tmp_path / "a.duckdb")
    before = {p.name: p.stat().st_mtime_ns for p in snapshot_dir(first).rglob("*")}
    second = tmp_path / "a.db"
    state = nightly_wave(landing=str(tmp_path / "zone" / "landing"), warehouse=str(second), return_state=True)
    assert state.is_failed()
    with pytest.raises(SnapshotTaken, match=f"is the warehouse {first}'s"):
        state.result()
    with duckdb.connect(str(second), read_only=True) as con:  # no run started, no practice read
        assert con.sql("select count(*) from pipeline_run").fetchall() == [(0,)]
        assert con.sql("select count(*) from stg_practice").fetchall() == [(0,)]
    assert {p.name: p.stat().st_mtime_ns for p in snapshot_dir(first).rglob("*")} == before
