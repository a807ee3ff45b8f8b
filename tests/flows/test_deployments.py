"""prefect.yaml and `scr serve` describe deployments that point at real flows."""

import importlib
from pathlib import Path

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


def test_serve_builds_a_nightly_schedule():
    from prefect.schedules import Cron

    from flows.wave import nightly_wave

    deployment = nightly_wave.to_deployment(name="nightly", schedule=Cron("0 1 * * *", timezone="Australia/Sydney"))
    assert deployment.schedules and deployment.schedules[0].schedule.cron == "0 1 * * *"
