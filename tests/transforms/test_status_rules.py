import polars as pl

from transforms.status_rules import auto_consolidates, effective_strategy, step_one
from landing.schema import PRACTICE


def practices(*rows: dict) -> pl.DataFrame:
    base = {k: None for k in PRACTICE}
    return pl.DataFrame([{**base, **r} for r in rows], schema=PRACTICE)


def test_step_one_from_connection_and_master_admin():
    xpm = {"uses_xpm": True, "master_admin": "m@x"}
    df = practices(
        {"practice_id": "a", "connection": "none", **xpm},
        {"practice_id": "b", "connection": "unconfirmed", **xpm},
        {"practice_id": "c", "connection": "confirmed", "connected_by": "M@x", **xpm},
        {"practice_id": "d", "connection": "confirmed", "connected_by": "staff@x", **xpm},
        {"practice_id": "e", "connection": "confirmed", "connected_by": None, **xpm},
        {"practice_id": "hq_only", "connection": "none", "uses_xpm": False, "uses_tax": False, "master_admin": "m@x"},
    )
    out = dict(step_one(df).select("practice_id", "status").iter_rows())
    assert out == {"a": "connect", "b": "confirm", "c": None, "d": "confirm", "e": "confirm", "hq_only": None}
    assert "staff@x" in step_one(df).filter(pl.col("practice_id") == "d")["detail"][0]


def test_auto_consolidation_for_hq_only_and_small_practices():
    df = practices(
        {"practice_id": "hq", "uses_xpm": False, "uses_tax": False},
        {"practice_id": "small", "uses_xpm": True, "uses_tax": True},
        {"practice_id": "big", "uses_xpm": True, "uses_tax": False},
    )
    counts = pl.DataFrame(
        {
            "practice_id": ["hq", "small", "small", "big", "big"],
            "source": ["hq", "xpm", "hq", "xpm", "hq"],
            "n": [500, 10, 9, 11, 3],
        }
    )
    auto = auto_consolidates(df, counts, small_max=10)
    assert dict(auto.iter_rows()) == {"big": False, "hq": True, "small": True}


def test_effective_strategy_keeps_choice_and_falls_back_only_when_automatic():
    df = practices(
        {"practice_id": "hq", "uses_xpm": False, "uses_tax": False},
        {"practice_id": "small", "uses_xpm": True, "strategy": None},
        {"practice_id": "chosen", "uses_xpm": True, "strategy": "keep_xpm"},
        {"practice_id": "big", "uses_xpm": True, "strategy": None},
    )
    auto = pl.DataFrame({"practice_id": ["hq", "small", "chosen", "big"], "auto": [True, True, False, False]})
    out = dict(effective_strategy(df, auto).iter_rows())
    assert out == {"big": None, "chosen": "keep_xpm", "hq": "keep_hq", "small": "combine"}
