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


def _evidence(*rows: tuple) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=["practice_id", "fingerprint", "ok", "detail"], orient="row")


def test_baseline_keeps_a_failure_until_its_files_change_and_pipeline_states_until_a_run():
    from transforms.status_rules import baseline

    admin = {"uses_xpm": True, "connection": "confirmed", "master_admin": "m@x", "connected_by": "m@x"}
    reg = practices(*({"practice_id": p, **admin} for p in ("bad", "fixed", "done", "new", "waiting")),
                    {"practice_id": "hq_only", "uses_xpm": False, "uses_tax": False, "connection": "none"})
    reg = reg.with_columns(pl.when(pl.col("practice_id") == "waiting").then(pl.lit("unconfirmed")).otherwise("connection").alias("connection"))
    current = pl.DataFrame(
        [("bad", "failed", "xpm_clients.xml: line 4: not valid XML"), ("fixed", "failed", "hq_clients.json: line 2: ..."),
         ("done", "complete", "promoted (combine)"), ("waiting", "in_review", "promoted (keep_hq)")],
        schema=["practice_id", "status", "detail"], orient="row",
    )  # fmt: skip
    extracts = _evidence(("bad", "f1", False, "xpm_clients.xml: line 4: not valid XML"), ("fixed", "f2", False, "hq..."),
                         ("done", "f3", True, None))  # fmt: skip
    now = pl.DataFrame({"practice_id": ["bad", "fixed", "done", "new", "waiting", "hq_only"],
                        "fingerprint": ["f1", "f2-edited", "f3-edited", "f4", "f5", "f6"]})  # fmt: skip
    out = {r[0]: (r[1], r[2]) for r in baseline(reg, current, extracts, now, {"ghost": "ghost: folder not in practices.json"}).rows()}
    assert out["bad"] == ("failed", "xpm_clients.xml: line 4: not valid XML")  # same file: still failed, same reason
    assert out["fixed"] == ("coming_soon", "its files changed since it failed: waiting for its consolidation wave")
    assert out["done"] == ("complete", "promoted (combine)")  # a pipeline state stands until a run says otherwise
    assert out["new"][0] == "coming_soon" and out["hq_only"][0] == "coming_soon"
    assert out["waiting"][0] == "confirm"  # step one undone again overrides the pipeline state
    assert out["ghost"] == ("failed", "ghost: folder not in practices.json")
    # a practice the warehouse holds whose row and folder left the zone (QA, session 30)
    gone = pl.DataFrame([("gone", "complete", "promoted (combine)")], schema=["practice_id", "status", "detail"], orient="row")
    out = {r[0]: (r[1], r[2]) for r in baseline(reg, pl.concat([current, gone]), extracts, now, {}).rows()}
    assert out["gone"] == ("complete", "not in practices.json any more: its records and versions stay; put its row back to work on it")
    assert out["done"] == ("complete", "promoted (combine)")


def test_recorded_choices_override_the_registry():
    from transforms.status_rules import with_choices

    reg = practices({"practice_id": "a", "uses_xpm": True, "connection": "unconfirmed", "master_admin": "m@x", "strategy": None},
                    {"practice_id": "b", "uses_xpm": True, "connection": "confirmed", "connected_by": "m@x", "master_admin": "m@x",
                     "strategy": "keep_hq"})  # fmt: skip
    choices = pl.DataFrame([("a", "strategy", "combine", "ops"), ("a", "connection", "confirmed", "m@x"),
                            ("b", "connection", "unconfirmed", "ops")], schema=["practice_id", "choice", "value", "chosen_by"],
                           orient="row")  # fmt: skip
    out = with_choices(reg, choices)
    assert out.columns == reg.columns
    assert out.select("practice_id", "strategy", "connection", "connected_by").rows() == [
        ("a", "combine", "confirmed", "m@x"), ("b", "keep_hq", "unconfirmed", None)]
    assert dict(step_one(out).select("practice_id", "status").rows()) == {"a": None, "b": "confirm"}


def test_a_failed_reading_outranks_step_one_until_the_files_change():
    """A wave reads a practice whose step one is not done (its clients are staged) and fails it on a bad file; a later
    run that does not read it (a rerun of another practice) must not turn it back to confirm, nor every run flap
    confirm -> failed in its timeline. Once its files change, step one says where it stands again."""
    from transforms.status_rules import baseline

    unconfirmed = {"uses_xpm": True, "connection": "confirmed", "master_admin": "m@x", "connected_by": "someone@x"}
    reg = practices({"practice_id": "broken", **unconfirmed}, {"practice_id": "mended", **unconfirmed},
                    {"practice_id": "none", "uses_xpm": True, "connection": "none"})  # fmt: skip
    current = pl.DataFrame([("broken", "failed", "xpm_clients.xml: line 40: not valid XML"),
                            ("mended", "failed", "hq_clients.json: line 2: not valid JSON"),
                            ("none", "failed", "tax_clients.csv: not UTF-8")],
                           schema=["practice_id", "status", "detail"], orient="row")  # fmt: skip
    extracts = _evidence(("broken", "f1", False, "xpm_clients.xml: line 40: not valid XML"),
                         ("mended", "f2", False, "hq_clients.json: line 2: not valid JSON"),
                         ("none", "f3", False, "tax_clients.csv: not UTF-8"))  # fmt: skip
    now = pl.DataFrame({"practice_id": ["broken", "mended", "none"], "fingerprint": ["f1", "f2-edited", "f3"]})
    out = {r[0]: (r[1], r[2]) for r in baseline(reg, current, extracts, now, {}).rows()}
    assert out["broken"] == ("failed", "xpm_clients.xml: line 40: not valid XML")
    assert out["none"] == ("failed", "tax_clients.csv: not UTF-8")
    assert out["mended"][0] == "confirm"
