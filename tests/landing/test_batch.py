"""Reading practices as one batch: the same frames as reading each practice alone, and each bad practice fails
alone, with the bad input it meets first when read alone (files in reading order, then each file's checks)."""

from __future__ import annotations

import hashlib
import json
import random
import shutil
import tempfile
from pathlib import Path

import orjson
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from landing import BadInput, Frames, read_practice, read_practices, read_registry
from landing.hq import _canonical_digest, _fast_digest, _load_clients, read_hq
from synthetic import generate_zone
from tests.landing.fixtures import KEY, zone
from tests.landing.mutate import MUTATIONS, mutate


def alone(landing: Path, registry: pl.DataFrame) -> tuple[Frames, dict[str, str]]:
    """Each practice read on its own, stacked in registry order; the text of each one's bad input."""
    parts, failed = [], {}
    for row in registry.iter_rows(named=True):
        try:
            parts.append(read_practice(landing, row, KEY))
        except BadInput as exc:
            failed[row["practice_id"]] = str(exc)
    return Frames.concat(parts), failed


def assert_same(got: Frames, want: Frames) -> None:
    for name in Frames.names():
        assert getattr(got, name).schema == getattr(want, name).schema, name
        assert_frame_equal(getattr(got, name), getattr(want, name))


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("batch")
    generate_zone(out, 10, seed=4)
    return out / "landing"


def _with_file(landing: Path, name: str, taken: set[str]) -> str:
    pid = next(p.name for p in sorted(landing.iterdir()) if p.is_dir() and (p / name).is_file() and p.name not in taken)
    taken.add(pid)
    return pid


def test_a_batch_fails_exactly_its_bad_practices_each_with_its_own_message(generated, tmp_path):
    landing = tmp_path / "landing"
    shutil.copytree(generated, landing)
    taken: set[str] = set()
    planted = {}
    for name in ("hq_bad_date", "xpm_bad_flag", "tax_blank_name", "sync_bad_timestamp", "hq_not_a_list"):
        pid = _with_file(landing, MUTATIONS[name][0], taken)
        assert mutate(landing / pid, name, random.Random(1)), name
        planted[pid] = name
    registry = read_registry(landing)
    frames, failed = read_practices(landing, registry, KEY)
    want_frames, want_failed = alone(landing, registry)
    assert failed == want_failed
    assert set(failed) == set(planted)
    said = {planted[pid]: text for pid, text in failed.items()}
    assert said["hq_bad_date"].startswith("hq_clients.json: record ") and "dateOfBirth: not a date: '31/02/1999'" in said["hq_bad_date"]
    assert said["xpm_bad_flag"].startswith("xpm_clients.xml: record ") and "Contact/IsPrimary: not a flag: 'Maybe'" in said["xpm_bad_flag"]
    assert said["tax_blank_name"].startswith("tax_clients.csv: line ") and said["tax_blank_name"].endswith("missing client_name")
    assert said["sync_bad_timestamp"].startswith("sync_links.csv: line ") and "linked_at: not a timestamp" in said["sync_bad_timestamp"]
    assert said["hq_not_a_list"].endswith("groups: not a list of objects")
    assert_same(frames, want_frames)
    good = set(registry.get_column("practice_id")) - set(planted)
    assert set(frames.client.get_column("practice_id")) == good


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 2**31 - 1),
    practices=st.integers(2, 5),
    bad=st.integers(0, 2),
    plan=st.lists(st.tuples(st.integers(0, 4), st.sampled_from(sorted(MUTATIONS))), max_size=6),
)
def test_batch_reading_equals_reading_each_practice_alone(seed, practices, bad, plan):
    with tempfile.TemporaryDirectory() as tmp:
        generate_zone(Path(tmp), practices, seed, bad_practices=bad)
        landing = Path(tmp) / "landing"
        registry = read_registry(landing)
        folders = sorted(p for p in landing.iterdir() if p.is_dir())
        rng = random.Random(seed)
        for i, name in plan:  # several defects in one practice too: the one met first when read alone counts
            mutate(folders[i % len(folders)], name, rng)
        frames, failed = read_practices(landing, registry, KEY)
        want_frames, want_failed = alone(landing, registry)
        assert failed == want_failed
        assert_same(frames, want_frames)
        # and a batch in another order: the same practices, each the same
        shuffled = registry.sample(fraction=1.0, shuffle=True, seed=seed)
        frames2, failed2 = read_practices(landing, shuffled, KEY)
        assert failed2 == failed
        order = {pid: i for i, pid in enumerate(registry.get_column("practice_id"))}
        for name in Frames.names():
            a, b = getattr(frames, name), getattr(frames2, name)
            key = pl.col("practice_id").replace_strict(order, return_dtype=pl.Int64)
            assert_frame_equal(b.sort(key, maintain_order=True), a)


# --- the bad input a practice meets first, whatever else is wrong with it ------------------------------------

XPM, HQ, TAX, SYNC = "xpm_clients.xml", "hq_clients.json", "tax_clients.csv", "sync_links.csv"
X2 = "<Client>\n      <UUID>x-2</UUID>"  # the second client's own UUID, not the related client's
EXTRA_TAX = ("T1,Again,,,,,,,,,,,,,,,,false\r\nT9,  ,,,,,,,,,,,,,,,,false\r\n")


def _tax_rows(path: Path) -> None:
    path.write_bytes(path.read_bytes() + EXTRA_TAX.encode())


CASES = {
    # a typing error in HQ beats a file read later that does not even parse
    "hq typing before xpm parse": (
        [(HQ, '"dateOfBirth": "1970-03-04"', '"dateOfBirth": "4 March"'), (XPM, "</Client>", "</Clinet>")],
        "hq_clients.json: record 1 (id=h-1): dateOfBirth: not a date: '4 March'",
    ),
    # within a file, the client table is typed before the contacts, whatever the record order
    "client table before contacts": (
        [(XPM, "<IsPrimary>No</IsPrimary>", "<IsPrimary>Maybe</IsPrimary>"),
         (XPM, X2, X2 + "<DateOfBirth>soon</DateOfBirth>")],
        "xpm_clients.xml: record 2 (UUID=x-2): DateOfBirth: not a date: 'soon'",
    ),
    # a missing field anywhere in the file is reported before an earlier repeated key
    "csv missing before repeats": ([(TAX, None, None)], "tax_clients.csv: line 6 (client_code=T9): missing client_name"),
    # the tax file is read before the links
    "tax before sync": (
        [(SYNC, "x-2,h-2,", "x-2,,"), (TAX, "1970-03-04", "1970-13-04")],
        "tax_clients.csv: line 2 (client_code=T1): date_of_birth: not a date: '***304'",
    ),
    # a parse error in XPM beats typing errors in files read later
    "xpm parse before tax typing": (
        [(TAX, "1970-03-04", "1970-13-04"), (XPM, "<Name>Smith Family Trust</Name>", "")],
        "xpm_clients.xml: record 1 (UUID=x-1): missing Name",
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_the_first_bad_input_in_reading_order_is_the_one_reported(tmp_path, case):
    landing = zone(tmp_path)
    edits, expected = CASES[case]
    for file, old, new in edits:
        if old is None:
            _tax_rows(landing / "P_AU" / file)
        else:
            edit(landing / "P_AU" / file, old, new)
    registry = read_registry(landing)
    frames, failed = read_practices(landing, registry, KEY)
    assert failed == {"P_AU": expected}
    assert set(frames.client.get_column("practice_id")) == {"P-NZ"}
    with pytest.raises(BadInput) as info:
        read_practice(landing, registry.filter(pl.col("practice_id") == "P_AU").row(0, named=True), KEY)
    assert str(info.value) == expected


def test_a_practice_masks_its_own_tax_numbers_only(tmp_path):
    landing = zone(tmp_path)
    edit(landing / "P_AU" / HQ, '"displayName": "Acme Pty Ltd"', '"displayName": "Acme TFN 123456782"')
    # the same digits inside a longer number: no tax number in P-NZ, which has none of its own there
    edit(landing / "P-NZ" / HQ, '"displayName": "Aroha Ltd"', '"displayName": "Aroha Ltd ref 1234567820"')
    registry = read_registry(landing)
    frames, failed = read_practices(landing, registry, KEY)
    assert failed == {}
    names = dict(frames.client.filter(pl.col("source") == "hq").select("source_client_id", "name").iter_rows())
    assert names["h-2"] == "Acme TFN ***782" and names["n-1"] == "Aroha Ltd ref 1234567820"
    assert_same(frames, alone(landing, registry)[0])


def test_a_batch_names_each_practice_once():
    registry = pl.DataFrame({"practice_id": ["P1", "P1"], "region": ["AU", "AU"]})
    with pytest.raises(ValueError, match="more than once"):
        read_practices(Path("."), registry, KEY)


# --- HQ record digests: orjson where it writes the canonical bytes, the standard library elsewhere ------------

text = st.text(st.characters(exclude_categories=("Cs",)), max_size=12)
plain = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | text,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(text, inner, max_size=4),
    max_leaves=25,
)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(text, plain, max_size=6))
def test_the_fast_digest_is_the_canonical_digest(record):
    assert _fast_digest(record) == _canonical_digest(record)
    assert orjson.dumps(record, option=orjson.OPT_SORT_KEYS) == json.dumps(
        record, sort_keys=True, ensure_ascii=False, separators=(",", ":")
    ).encode()


@pytest.mark.parametrize("number,fast", [("1", True), ("-9223372036854775808", True), ("1.5", False), ("1e16", False),
                                          ("9223372036854775808", False)])  # fmt: skip (NaN, Infinity: bad input)
def test_numbers_orjson_would_write_differently_take_the_standard_path(tmp_path, number, fast):
    path = tmp_path / "hq_clients.json"
    path.write_text('{"practiceId": "P1", "clients": [{"id": "h1", "displayName": "A", "fee": %s}]}' % number)
    doc, plain_doc = _load_clients(path)
    assert plain_doc is fast
    record = doc["clients"][0]
    client = read_hq(path, "P1", "AU", KEY).client
    canonical = hashlib.sha256(json.dumps(record, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode())
    assert client["raw_hash"].to_list() == [KEY.digest(f"record:{canonical.hexdigest()}")]


def test_a_batchs_bad_input_keeps_its_message_and_nothing_of_the_reading(generated, tmp_path):
    """A bad practice's error is kept as its message: not its traceback, nor the parser's error it replaced, whose
    frames (and their callers', holding the batch's frames) would otherwise stay alive in a reference cycle."""
    from landing.practice import read_batch_of

    landing = tmp_path / "landing"
    shutil.copytree(generated, landing)
    taken: set[str] = set()
    planted = {_with_file(landing, "hq_clients.json", taken): "not JSON"}
    (landing / next(iter(planted)) / "hq_clients.json").write_text('{"clients": [', encoding="utf-8")
    pid = _with_file(landing, MUTATIONS["xpm_malformed"][0], taken)
    assert mutate(landing / pid, "xpm_malformed", random.Random(1))
    planted[pid] = "xpm_malformed"
    registry = read_registry(landing)
    _, bad = read_batch_of(landing, registry.to_dicts(), KEY)
    assert set(bad) == set(planted)
    for exc in bad.values():
        assert isinstance(exc, BadInput) and str(exc)
        assert exc.__traceback__ is None and exc.__context__ is None and exc.__cause__ is None
    assert {pid: str(exc) for pid, exc in bad.items()} == alone(landing, registry)[1]
