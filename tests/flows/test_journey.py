"""A chunk's journey outside Prefect: one practice that raises fails alone, the rest of the chunk goes on."""

import polars as pl
import pytest

from flows.journey import run_chunk
from flows.settings import get_settings, hash_key
from landing import read_registry


@pytest.fixture(scope="module")
def zone(tmp_path_factory):
    from synthetic import generate_zone

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

    def flaky(frames, *args, **kwargs):  # fault injection into our own stage, not a mock of a component
        if victim in frames.client["practice_id"].to_list():
            raise RuntimeError("injected fault")
        return real(frames, *args, **kwargs)

    monkeypatch.setattr(matching, "match", flaky)
    result = run_chunk(str(zone), practices, hash_key(zone), None, params())
    # a library's error (here a RuntimeError) is said as its kind and place, never its text (session 29)
    assert result.failed[victim].startswith("match: unexpected error: RuntimeError at tests/flows/test_journey.py:"), result.failed[victim]
    assert "injected fault" not in result.failed[victim]
    others = set(practices["practice_id"].to_list()) - {victim}
    assert others == set(result.match.crosswalk["practice_id"].unique().to_list()) & others
    status = dict(result.status.select("practice_id", "status").iter_rows())
    assert status[victim] == "failed"
    assert all(status[p] != "failed" for p in others)


def test_the_journey_is_deterministic(zone):
    practices = confirmed(zone)
    key = hash_key(zone)
    a = run_chunk(str(zone), practices, key, None, params())
    b = run_chunk(str(zone), practices, key, None, params())
    order = ["practice_id", "source", "source_client_id"]
    assert a.match.crosswalk.sort(order).equals(b.match.crosswalk.sort(order))
    assert a.status.sort("practice_id").equals(b.status.sort("practice_id"))


def test_a_chunk_reports_the_time_of_each_matching_step(zone):
    result = run_chunk(str(zone), confirmed(zone), hash_key(zone), None, params())
    steps = {k: v for k, v in result.timings.items() if k.startswith("match.")}
    assert sorted(steps) == sorted(f"match.{s}" for s in ("standardise", "candidates", "compare", "score", "cluster"))
    assert all(v >= 0 for v in steps.values()) and sum(steps.values()) <= result.timings["match"]


def test_a_chunk_that_keeps_failing_fails_its_practices_and_the_wave_goes_on(zone, tmp_path, prefect_api, monkeypatch):
    import duckdb

    import flows.wave as wave

    practices = confirmed(zone)["practice_id"].to_list()
    victim = practices[0]
    real = wave.run_chunk

    def flaky(landing, chunk, *args):  # fault injection into our own chunk, not a mock of a component
        if victim in chunk["practice_id"].to_list():
            raise OSError("injected: landing zone unreachable")
        return real(landing, chunk, *args)

    monkeypatch.setattr(wave, "run_chunk", flaky)
    monkeypatch.setattr(wave, "journey_chunk", wave.journey_chunk.with_options(retries=0))
    monkeypatch.setenv("SCR_CHUNK_PRACTICES", "2")
    get_settings.cache_clear()
    try:
        summary = wave.nightly_wave(landing=str(zone), warehouse=str(tmp_path / "w.duckdb"), select="all")
    finally:
        get_settings.cache_clear()
    assert "injected" in summary["failures"][victim]
    with duckdb.connect(str(tmp_path / "w.duckdb"), read_only=True) as con:
        status = dict(con.sql("select practice_id, status from practice_status").fetchall())
        staged = {r[0] for r in con.sql("select distinct practice_id from stg_client").fetchall()}
    assert status[victim] == "failed"
    assert victim not in staged
    assert len(staged) >= len(practices) - 2  # only the victim's chunk (of two) is lost


def _frames_equal(a, b) -> None:
    from polars.testing import assert_frame_equal

    from landing import Frames

    for name in Frames.names():
        assert_frame_equal(getattr(a, name), getattr(b, name))


def test_a_chunk_takes_the_frames_the_models_fit_read_and_reads_only_the_rest(zone, tmp_path, monkeypatch):
    import shutil

    from flows import journey
    from flows.journey import Kept, extract, fit
    from landing.fingerprint import fingerprints

    landing = tmp_path / "landing"
    shutil.copytree(zone, landing)
    practices = read_registry(landing).sort("practice_id")
    ids = practices["practice_id"].to_list()
    broken = ids[3]
    (landing / broken / "hq_clients.json").write_text("{", encoding="utf-8")
    sample_ids = [ids[0], ids[2], ids[3], ids[6], ids[7]]  # interleaved with practices it leaves out; one is bad
    key = hash_key(landing)
    whole, whole_failed = extract(landing, practices, key)  # everything read at once: what a chunk must get
    assert broken in whole_failed

    fit(str(landing), practices.filter(pl.col("practice_id").is_in(sample_ids)), key, None, keep="run-a")
    read: list[list[str]] = []
    real = journey.read_practices
    monkeypatch.setattr(journey, "read_practices", lambda land, batch, k: read.append(batch["practice_id"].to_list()) or real(land, batch, k))
    taken = Kept.take("run-a", practices)
    frames, failed = extract(landing, practices, key, taken=taken)

    _frames_equal(frames, whole)
    assert failed == whole_failed  # the bad practice was not kept: it is read again and reports its own file
    kept = [ids[0], ids[2], ids[6], ids[7]]
    assert read == [[p for p in ids if p not in kept]]
    assert sorted(taken.prints["practice_id"].to_list()) == kept
    assert taken.prints.sort("practice_id").equals(fingerprints(landing, kept))
    assert Kept.take("run-a", practices) is None  # each practice's frames are given out once


def test_kept_frames_go_only_to_a_chunk_that_reads_the_practice_as_the_same_region(zone):
    from flows.journey import Kept, Taken, extract

    practices = read_registry(zone).sort("practice_id").head(3)
    key = hash_key(zone)
    frames, _ = extract(zone, practices, key)
    Kept.keep("run-b", Taken(frames, practices.select("practice_id", fingerprint=pl.lit("x"))), practices)
    other = "NZ" if practices["region"][0] != "NZ" else "AU"
    moved = practices.with_columns(pl.when(pl.col("practice_id") == practices["practice_id"][0]).then(pl.lit(other))
                                   .otherwise(pl.col("region")).alias("region"))  # fmt: skip
    taken = Kept.take("run-b", moved)
    assert sorted(taken.prints["practice_id"].to_list()) == practices["practice_id"].to_list()[1:]
    assert Kept.take("run-b", practices.head(1)) is not None  # still kept for the region it was read as
    with Kept.held("run-c"):
        Kept.keep("run-c", Taken(frames, practices.select("practice_id", fingerprint=pl.lit("x"))), practices)
    assert Kept.take("run-c", practices) is None  # what a run did not give out is dropped when it ends


def test_a_file_changed_after_the_fit_read_it_is_read_again_by_the_next_run(zone, tmp_path):
    import os
    import shutil

    from flows.journey import fit
    from landing.fingerprint import fingerprints

    landing = tmp_path / "landing"
    shutil.copytree(zone, landing)
    practices = confirmed(landing)
    pid = practices["practice_id"][0]
    before = fingerprints(landing, [pid])["fingerprint"][0]
    key = hash_key(landing)
    fit(str(landing), practices, key, None, keep="run-d")
    hq = landing / pid / "hq_clients.json"
    os.utime(hq, ns=(hq.stat().st_atime_ns, hq.stat().st_mtime_ns + 10**9))  # changed after the fit read it
    result = run_chunk(str(landing), practices, key, None, {**params(), "kept": "run-d"})
    prints = dict(result.extracts.select("practice_id", "fingerprint").iter_rows())
    # the chunk staged what the fit read: it records the fingerprint of that read, so the change is seen next run
    assert prints[pid] == before != fingerprints(landing, [pid])["fingerprint"][0]


def _sample_run(zone, token: str, sample_ids: list[str]):
    """A model fitted on some of the practices with their frames kept (as a wave does), and the run's parameters."""
    from flows.journey import fit

    practices = confirmed(zone)
    model = fit(str(zone), practices.filter(pl.col("practice_id").is_in(sample_ids)), hash_key(zone), None, keep=token)
    return practices, {**params(), "model": model}


def _same_chunk(a, b) -> None:
    from polars.testing import assert_frame_equal

    for name in ("links", "crosswalk", "suspect_links"):
        assert_frame_equal(getattr(a.match, name), getattr(b.match, name))  # rows in the same order too
    assert_frame_equal(a.status, b.status)
    assert a.content == b.content  # what promotion would store
    assert_frame_equal(a.stats, b.stats)


def test_a_chunk_takes_the_model_samples_matching_instead_of_comparing_it_again(zone, monkeypatch):
    import transforms.matching as matching

    ids = confirmed(zone)["practice_id"].to_list()
    sample_ids = [ids[0], ids[2], ids[3]]  # interleaved with practices the sample leaves out
    practices, p = _sample_run(zone, "run-e", sample_ids)
    compared: list[list[str]] = []
    real = matching._compared

    def spy(frames, *args, **kwargs):  # records what is compared; the comparison itself is the real one
        compared.append(sorted(frames.client["practice_id"].unique().to_list()))
        return real(frames, *args, **kwargs)

    monkeypatch.setattr(matching, "_compared", spy)
    taking = run_chunk(str(zone), practices, hash_key(zone), None, {**p, "kept": "run-e"})
    assert compared == [sorted(set(ids) - set(sample_ids))]  # the sample's practices were not compared again
    compared.clear()
    itself = run_chunk(str(zone), practices, hash_key(zone), None, p)  # the same chunk matching every practice itself
    assert compared == [sorted(ids)]
    _same_chunk(taking, itself)


def test_a_chunk_whose_sample_matching_fails_matches_those_practices_itself(zone):
    from flows.journey import Kept

    ids = confirmed(zone)["practice_id"].to_list()
    practices, p = _sample_run(zone, "run-f", ids[:4])
    taken = Kept._runs["run-f"][0].taken
    taken.sample._compared = None  # as after a first attempt that raised: the comparison is gone
    taking = run_chunk(str(zone), practices, hash_key(zone), None, {**p, "kept": "run-f"})
    assert not taking.failed
    _same_chunk(taking, run_chunk(str(zone), practices, hash_key(zone), None, p))


def test_practices_read_ahead_while_the_model_is_fitted_are_matched_as_if_the_chunk_read_them(zone, monkeypatch):
    """A wave reads its first chunks' other practices while the model is fitted: the chunk takes those frames
    without reading them, matches them itself (they are not the sample's), and gets what reading them would give."""
    import threading

    import transforms.matching as matching
    from flows import journey
    from flows.journey import Kept, read_ahead

    ids = confirmed(zone)["practice_id"].to_list()
    sample_ids = [ids[0], ids[2], ids[3]]
    practices = confirmed(zone)
    rest = practices.filter(~pl.col("practice_id").is_in(sample_ids))
    ahead = threading.Thread(target=read_ahead, args=(zone, [rest], hash_key(zone), "run-g", threading.Event()))
    ahead.start()  # promised at once; it reads once the sample is read
    _, p = _sample_run(zone, "run-g", sample_ids)
    ahead.join(60)
    assert not ahead.is_alive()
    read: list[list[str]] = []
    real_read = journey.read_practices
    monkeypatch.setattr(journey, "read_practices", lambda land, batch, k: read.append(batch["practice_id"].to_list()) or real_read(land, batch, k))
    compared: list[list[str]] = []
    real = matching._compared

    def spy(frames, *args, **kwargs):
        compared.append(sorted(frames.client["practice_id"].unique().to_list()))
        return real(frames, *args, **kwargs)

    monkeypatch.setattr(matching, "_compared", spy)
    taking = run_chunk(str(zone), practices, hash_key(zone), None, {**p, "kept": "run-g"})
    assert [batch for batch in read if batch] == []  # every practice came from the sample's read or the read ahead
    assert compared == [sorted(set(ids) - set(sample_ids))]  # the practices read ahead are matched, the sample's taken
    assert "run-g" not in Kept._runs  # all given out
    itself = run_chunk(str(zone), practices, hash_key(zone), None, p)
    _same_chunk(taking, itself)


def test_a_chunk_waits_for_practices_being_read_ahead_rather_than_read_them_twice(zone):
    import threading

    from flows.journey import Kept, Taken, extract

    practices = read_registry(zone).sort("practice_id").head(3)
    key = hash_key(zone)
    frames, _ = extract(zone, practices, key)
    promised = Kept.promise("run-h", practices.head(2))
    got: list = []
    chunk = threading.Thread(target=lambda: got.append(Kept.take("run-h", practices)))
    chunk.start()
    chunk.join(0.5)
    assert chunk.is_alive()  # waiting for the read ahead
    Kept.fulfil(promised, Taken(frames, practices.head(2).select("practice_id", fingerprint=pl.lit("x"))))
    chunk.join(10)
    assert sorted(got[0].prints["practice_id"].to_list()) == practices["practice_id"].to_list()[:2]
    # a read ahead that failed (or was not started) gives nothing: the chunk reads those practices itself
    failed = Kept.promise("run-i", practices)
    Kept.fulfil(failed, None)
    assert Kept.take("run-i", practices) is None


def test_a_bad_practice_read_ahead_is_read_again_by_its_chunk_which_reports_it(zone, tmp_path):
    import shutil
    import threading

    from flows.journey import Kept, extract, read_ahead

    landing = tmp_path / "landing"
    shutil.copytree(zone, landing)
    practices = read_registry(landing).sort("practice_id")
    broken = practices["practice_id"][1]
    (landing / broken / "hq_clients.json").write_text("{", encoding="utf-8")
    key = hash_key(landing)
    whole, whole_failed = extract(landing, practices, key)
    stop = threading.Event()
    Kept.sample_read("run-j").set()
    read_ahead(landing, [practices], key, "run-j", stop)
    taken = Kept.take("run-j", practices)
    assert broken not in taken.prints["practice_id"].to_list()
    frames, failed = extract(landing, practices, key, taken=taken)
    _frames_equal(frames, whole)
    assert failed == whole_failed and broken in failed
    # stopped before the sample was read (its fit failed): nothing is read, and the chunks read for themselves
    stop.set()
    read_ahead(landing, [practices], key, "run-k", stop)
    assert Kept.take("run-k", practices) is None


def test_a_practice_whose_files_hold_no_client_is_complete_with_nothing_to_consolidate(zone, tmp_path):
    """Found by feeding the readers a stranger's data (session 28): an HQ-only practice whose file held no client
    stayed `coming_soon` after every run, its next step a strategy it does not need."""
    import json
    import shutil

    from transforms.status_rules import next_step

    landing = tmp_path / "landing"
    shutil.copytree(zone, landing)
    registry = read_registry(landing)
    hq_only = registry.filter(~pl.col("uses_xpm") & ~pl.col("uses_tax"))["practice_id"].to_list()
    other = confirmed(landing).filter(pl.col("uses_xpm"))["practice_id"].to_list()
    assert hq_only and other
    for pid in (hq_only[0], other[0]):
        path = landing / pid / "hq_clients.json"
        doc = json.loads(path.read_text(encoding="utf-8"))
        doc["clients"] = []
        path.write_text(json.dumps(doc), encoding="utf-8")
        for name in ("xpm_clients.xml", "tax_clients.csv", "sync_links.csv"):  # the other one's other files emptied too
            (landing / pid / name).unlink(missing_ok=True)
    practices = confirmed(landing).filter(pl.col("practice_id").is_in([hq_only[0], other[0]]))
    result = run_chunk(str(landing), practices, hash_key(landing), None, params())
    status = {r["practice_id"]: (r["status"], r["detail"]) for r in result.status.iter_rows(named=True)}
    assert status == {pid: ("complete", "its files hold no clients: nothing to consolidate") for pid in (hq_only[0], other[0])}
    row = registry.filter(pl.col("practice_id") == hq_only[0]).row(0, named=True)
    assert "strategy" not in next_step(hq_only[0], "coming_soon", None, {**row, "strategy": None}, 0, False)
