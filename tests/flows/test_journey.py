"""A chunk's journey outside Prefect: one practice that raises fails alone, the rest of the chunk goes on."""

import polars as pl
import pytest

from flows.journey import run_chunk
from flows.settings import get_settings
from warehouse.landing import read_registry


@pytest.fixture(scope="module")
def zone(tmp_path_factory):
    from warehouse.synthetic import generate_zone

    out = tmp_path_factory.mktemp("zone")
    generate_zone(out, 10, seed=5)
    return out / "landing"


def params():
    s = get_settings()
    return {"auto_threshold": s.auto_threshold, "review_threshold": s.review_threshold, "small_practice_max": s.small_practice_max}


def confirmed(landing) -> pl.DataFrame:
    from transforms.status_rules import step_one

    registry = read_registry(landing)
    done = step_one(registry).filter(pl.col("status").is_null()).select("practice_id")
    return registry.join(done, on="practice_id", how="semi").sort("practice_id")


def test_a_practice_that_raises_in_matching_fails_alone(zone, monkeypatch):
    import transforms.matching as matching

    practices = confirmed(zone)
    assert practices.height >= 2
    victim = practices["practice_id"][0]
    real = matching.match

    def flaky(clients, *args, **kwargs):  # fault injection into our own stage, not a mock of a component
        if victim in clients["practice_id"].to_list():
            raise RuntimeError("injected fault")
        return real(clients, *args, **kwargs)

    monkeypatch.setattr(matching, "match", flaky)
    result = run_chunk(str(zone), practices, get_settings().hash_key.get_secret_value(), None, params())
    assert "injected fault" in result.failed[victim]
    others = set(practices["practice_id"].to_list()) - {victim}
    assert others == set(result.match.crosswalk["practice_id"].unique().to_list()) & others
    status = dict(result.status.select("practice_id", "status").iter_rows())
    assert status[victim] == "failed"
    assert all(status[p] != "failed" for p in others)


def test_the_journey_is_deterministic(zone):
    practices = confirmed(zone)
    key = get_settings().hash_key.get_secret_value()
    a = run_chunk(str(zone), practices, key, None, params())
    b = run_chunk(str(zone), practices, key, None, params())
    order = ["practice_id", "source", "source_client_id"]
    assert a.match.crosswalk.sort(order).equals(b.match.crosswalk.sort(order))
    assert a.status.sort("practice_id").equals(b.status.sort("practice_id"))
