"""A fitted model saved and reloaded scores identically; with one model a practice's results ignore its chunk."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from transforms.compare import FIELDS
from transforms.matching import MatchResult, fit_model, match
from transforms.model import FORMAT_VERSION, Model, ModelMismatch, score
from landing import Frames, HashKey, read_practice, read_registry
from synthetic import generate_zone

KEY = HashKey.ephemeral()


@pytest.fixture(scope="module")
def zone(tmp_path_factory: pytest.TempPathFactory) -> tuple[Frames, pl.DataFrame]:
    """Twelve generated practices, read by the real readers (enough pairs to fit a model on half of them)."""
    out: Path = tmp_path_factory.mktemp("zone")
    generate_zone(out, 12, seed=5)
    registry = read_registry(out / "landing")
    parts = [read_practice(out / "landing", row, KEY) for row in registry.iter_rows(named=True)]
    return Frames.concat(parts), registry


def inputs(zone, ids: list[str]) -> tuple[Frames, pl.DataFrame]:
    frames, registry = zone
    only = lambda f: f.filter(pl.col("practice_id").is_in(ids))  # noqa: E731
    return Frames(**{n: only(getattr(frames, n)) for n in Frames.names()}), only(registry)


def rows_of(result: MatchResult, practice: str) -> dict[str, pl.DataFrame]:
    """The practice's rows of each output, in a fixed order."""
    out = {}
    for name in ("links", "crosswalk", "suspect_links"):
        frame = getattr(result, name).filter(pl.col("practice_id") == practice)
        out[name] = frame.sort(frame.columns)
    return out


def test_round_trip_through_json_gives_identical_scores(zone):
    ids = zone[1]["practice_id"].to_list()
    model = fit_model(*inputs(zone, ids))
    text = json.dumps(model.to_dict(), sort_keys=True)
    copy = Model.from_dict(json.loads(text))
    assert json.dumps(copy.to_dict(), sort_keys=True) == text
    assert model.review_threshold is not None and copy.review_threshold == model.review_threshold
    rng = np.random.default_rng(1)
    gamma = np.stack([rng.integers(0, len(levels), 500) for levels in FIELDS.values()], axis=1).astype(np.int8)
    for a, b in zip(score(gamma, model), score(gamma, copy), strict=True):
        assert np.array_equal(a, b)
    got, want = match(*inputs(zone, ids), model=copy), match(*inputs(zone, ids), model=model)
    for name in ("links", "crosswalk", "suspect_links"):
        assert_frame_equal(getattr(got, name), getattr(want, name))


def test_a_model_from_other_levels_or_format_is_refused(zone):
    d = fit_model(*inputs(zone, zone[1]["practice_id"].to_list()[:1])).to_dict()
    with pytest.raises(ModelMismatch):
        Model.from_dict({**d, "format_version": FORMAT_VERSION + 1})
    with pytest.raises(ModelMismatch):
        Model.from_dict({**d, "fields": {**d["fields"], "dob": d["fields"]["dob"][:-1]}})


def test_fit_model_is_the_estimation_match_does_on_its_own(zone):
    args = inputs(zone, zone[1]["practice_id"].to_list()[:6])
    fitted, own = match(*args, model=fit_model(*args)), match(*args)
    for name in ("links", "crosswalk", "suspect_links"):
        assert_frame_equal(getattr(fitted, name), getattr(own, name))


def test_with_one_model_a_practice_matches_the_same_in_any_chunk(zone):
    ids = zone[1]["practice_id"].to_list()
    model = fit_model(*inputs(zone, ids[:6]))
    # the chunks' own models would differ, so only the shared model makes the chunks agree
    assert fit_model(*inputs(zone, ids[6:])).to_dict() != model.to_dict()
    together = match(*inputs(zone, ids), model=model)
    assert together.links.height > 0 and (together.crosswalk["merge_status"] == "auto").any()
    for i, p in enumerate(ids):
        alone = rows_of(match(*inputs(zone, [p]), model=model), p)
        with_next = rows_of(match(*inputs(zone, [ids[(i + 1) % len(ids)], p]), model=model), p)
        for name, frame in rows_of(together, p).items():
            assert frame.height == alone[name].height
            assert_frame_equal(alone[name], frame)
            assert_frame_equal(with_next[name], frame)
