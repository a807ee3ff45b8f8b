"""The three deployments, as `scr serve` runs them: each carries the landing zone and warehouse it works on,
and a concurrency limit of one (a second run of a deployment waits for the first; runs of different
deployments wait for each other on the warehouse's writer lock, SCR_WAIT_SECONDS)."""

from __future__ import annotations

from pathlib import Path

from prefect import serve
from prefect.client.schemas.objects import ConcurrencyLimitConfig, ConcurrencyLimitStrategy
from prefect.schedules import Cron

from flows.retire_sync import retire_legacy_sync
from flows.wave import nightly_wave, rerun_practice

__all__ = ["deployments", "serve_all", "ONE_AT_A_TIME"]

ONE_AT_A_TIME = ConcurrencyLimitConfig(limit=1, collision_strategy=ConcurrencyLimitStrategy.ENQUEUE)


def deployments(landing: Path, warehouse: Path, cron: str = "0 1 * * *", timezone: str = "Australia/Sydney") -> list:
    """nightly (scheduled), rerun (practices on demand) and retire-sync, bound to one landing zone and warehouse."""
    where = {"landing": str(landing), "warehouse": str(warehouse)}
    return [
        nightly_wave.to_deployment(name="nightly", schedule=Cron(cron, timezone=timezone), parameters=where,
                                   concurrency_limit=ONE_AT_A_TIME),  # fmt: skip
        rerun_practice.to_deployment(name="rerun", parameters={"practices": [], **where}, concurrency_limit=ONE_AT_A_TIME),
        retire_legacy_sync.to_deployment(name="retire-sync", parameters=where, concurrency_limit=ONE_AT_A_TIME),
    ]


def serve_all(landing: Path, warehouse: Path, cron: str, timezone: str) -> None:
    """Serve the three deployments from this process until interrupted."""
    serve(*deployments(landing, warehouse, cron, timezone), pause_on_shutdown=False)
