"""The second corruption model ("geco"): published kinds of error, rates drawn per zone, same truth files."""

from __future__ import annotations

import ast
import csv
import json
import random
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from landing import BadInput, HashKey, read_practice, read_registry
from synthetic import corrupt, generate_zone
from synthetic.geco import RANGES, draw_profile


def _read_csv(path: Path) -> list[dict]:
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def zones(tmp_path_factory) -> dict[str, Path]:
    """The same 30 practices under each model, seed 4."""
    out = {}
    for model in ("default", "geco"):
        folder = tmp_path_factory.mktemp(model)
        generate_zone(folder, 30, 4, corruption=model)
        out[model] = folder
    return out


def test_same_seed_same_bytes_and_the_default_model_is_unchanged(tmp_path: Path, zones) -> None:
    generate_zone(tmp_path / "again", 30, 4, corruption="geco")
    files = lambda root: {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}  # noqa: E731
    assert files(tmp_path / "again") == files(zones["geco"])
    generate_zone(tmp_path / "plain", 30, 4)  # no corruption argument: the first model
    assert files(tmp_path / "plain") == files(zones["default"])
    with pytest.raises(ValueError):
        generate_zone(tmp_path / "bad", 2, 4, corruption="nonsense")


def test_same_clients_and_look_alikes_under_either_model(zones) -> None:
    # the models spoil records differently; the real clients and their hard pairs are the same people
    hard = {m: _read_csv(z / "truth" / "hard_pairs.csv") for m, z in zones.items()}
    assert hard["default"] == hard["geco"] and len(hard["geco"]) > 20
    for m, z in zones.items():
        assert {"practice_id", "source", "source_client_id", "entity_id"} == set(_read_csv(z / "truth" / "records.csv")[0])


def test_rates_are_drawn_per_zone_inside_their_ranges_and_recorded(zones) -> None:
    summary = json.loads((zones["geco"] / "truth" / "summary.json").read_text())
    assert summary["corruption"] == "geco"
    rates = summary["error_rates"]
    assert set(rates) == set(RANGES)
    assert all(RANGES[k][0] <= v <= RANGES[k][1] for k, v in rates.items())
    assert draw_profile(4).rates != draw_profile(5).rates


def test_the_readers_accept_every_geco_practice(zones) -> None:
    landing = zones["geco"] / "landing"
    for row in read_registry(landing).iter_rows(named=True):
        try:
            read_practice(landing, row, HashKey.ephemeral())
        except BadInput as e:  # pragma: no cover - a failure names the file and record
            pytest.fail(str(e))


def test_the_published_kinds_of_error_appear(zones) -> None:
    names, hq_types, ird_values = [], set(), []
    for path in sorted((zones["geco"] / "landing").glob("*/hq_clients.json")):
        for c in json.loads(path.read_text(encoding="utf-8"))["clients"]:
            names.append(c.get("displayName") or "")
            hq_types |= {i["type"] for i in c["identifiers"]}
            ird_values += [i["value"] for i in c["identifiers"] if i["type"] == "IRD"]
    assert any("," in n for n in names)  # "Surname, Given"
    assert any(n.isupper() and len(n) > 5 for n in names)  # keyed in capitals
    assert "CRN" in hq_types  # a company number under HQ's type
    assert any(v.replace("-", "").replace(" ", "").startswith("0") for v in ird_values)  # an 8-digit IRD with its leading zero


def test_the_generator_imports_no_product_package() -> None:
    product = {"flows", "landing", "transforms", "quality", "warehouse", "benchmarks"}
    for path in Path(__file__).parents[2].joinpath("synthetic").glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                mods = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                mods = [node.module or ""]
            else:
                continue
            assert not any(m.split(".")[0] in product for m in mods), (path.name, mods)


WORD = st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=4, max_size=12)


@settings(deadline=None, max_examples=60)
@given(st.integers(0, 2**32), WORD)
def test_a_keyboard_typo_replaces_one_letter_by_a_neighbouring_key(seed, word):
    out = corrupt.keyboard_typo(random.Random(seed), word)
    diff = [(a, b) for a, b in zip(word, out, strict=True) if a != b]
    assert len(out) == len(word) and len(diff) == 1
    assert diff[0][1] in corrupt.KEY_NEIGHBOURS[diff[0][0]]


@settings(deadline=None, max_examples=60)
@given(st.integers(0, 2**32), WORD)
def test_an_edit_changes_length_by_at_most_one(seed, word):
    out = corrupt.edit(random.Random(seed), word)
    assert abs(len(out) - len(word)) <= 1


@settings(deadline=None, max_examples=60)
@given(st.integers(0, 2**32), st.dates(min_value=date(1930, 1, 1), max_value=date(2005, 12, 31)))
def test_date_errors_are_slips_a_person_makes(seed, d):
    rng = random.Random(seed)
    swapped = corrupt.date_error(rng, d, {"swap": 1.0})
    assert swapped == d or (swapped.day, swapped.month, swapped.year) == (d.month, d.day, d.year)
    year = corrupt.date_error(rng, d, {"year": 1.0})
    assert year == d or (abs(year.year - d.year) == 1 and (year.month, year.day) == (d.month, d.day))
    digit = corrupt.date_error(rng, d, {"digit": 1.0})
    a, b = d.strftime("%Y%m%d"), digit.strftime("%Y%m%d")
    assert sum(x != y for x, y in zip(a, b, strict=True)) <= 1


def test_phonetic_ocr_and_email_variants():
    assert corrupt.phonetic(random.Random(1), "Philips") == "Philipz"  # sounds the same, spelt otherwise
    assert corrupt.phonetic(random.Random(1), "MacLeod").lower().startswith("mc")
    assert corrupt.ocr(random.Random(2), "mill") != "mill"
    variant = corrupt.email_variant(random.Random(3), "jack.z@gmail.com")
    assert variant.lower() == "jack.z@gmail.com" or variant.startswith("jack.z@")
    assert corrupt.swap_words(random.Random(4), "Jack Zemanovic") == "Zemanovic Jack"
    assert corrupt.abbreviate_word(random.Random(5), "Smith Brothers") == "Smith Bros"
