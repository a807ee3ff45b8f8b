"""The synthetic zone: deterministic, contract-shaped files, valid identifiers, hard pairs, planned defects."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree
from stdnum import ean
from stdnum.au import abn, acn, tfn
from stdnum.nz import ird

from landing import BadInput, HashKey, read_practice, read_registry, registry_problems
from synthetic import generate_zone
from synthetic import ids as gen_ids
from synthetic.defects import DEFECTS
from synthetic.writers import SYNC_COLUMNS, TAX_COLUMNS

XPM_TAGS = ("UUID Name Title FirstName OtherName LastName DateOfBirth Email Phone Mobile Fax Website Address City "
            "Region PostCode Country PostalAddress PostalCity PostalRegion PostalPostCode PostalCountry "
            "BusinessStructure TaxNumber CompanyNumber BusinessNumber GSTRegistered IsProspect IsArchived "
            "Contacts Groups Relationships CustomFields").split()
HQ_KEYS = {"id", "displayName", "legalName", "type", "firstName", "lastName", "dateOfBirth", "businessStructure",
           "email", "phone", "address", "identifiers", "archived", "contacts", "groups", "organisations", "updatedAt"}
STRUCTURES = {"Individual", "Sole Trader", "Partnership", "Trust", "Company", "Superannuation Fund",
              "Incorporated Society", "Charitable Trust", "Look Through Company", "Other", ""}
PRACTICE_KEYS = {"practice_id", "name", "region", "uses_xpm", "uses_tax", "connection", "connected_by",
                 "master_admin", "strategy", "wave"}


def _read_csv(path: Path) -> list[dict]:
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def zone(tmp_path_factory) -> Path:
    """A medium zone with every defect kind: 60 practices, seed 3."""
    out = tmp_path_factory.mktemp("zone")
    generate_zone(out, 60, 3, bad_practices=len(DEFECTS))
    return out


def _files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_same_seed_same_bytes_other_seed_other_zone(tmp_path: Path) -> None:
    a, b, c = (generate_zone(tmp_path / n, 6, s, bad_practices=4) for n, s in (("a", 5), ("b", 5), ("c", 6)))
    assert a == b
    fa, fb, fc = _files(tmp_path / "a"), _files(tmp_path / "b"), _files(tmp_path / "c")
    assert fa == fb and len(fa) > 10
    assert fa["landing/practices.json"] != fc["landing/practices.json"]
    assert fa["truth/records.csv"] != fc["truth/records.csv"]


def test_same_bytes_in_another_process_with_other_hash_seed(tmp_path: Path) -> None:
    generate_zone(tmp_path / "here", 4, 21, bad_practices=2)
    code = "import sys; from pathlib import Path; from synthetic import generate_zone; generate_zone(Path(sys.argv[1]), 4, 21, bad_practices=2)"
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    subprocess.run([sys.executable, "-c", code, str(tmp_path / "there")], check=True, env=env, cwd=Path(__file__).parents[2])
    assert _files(tmp_path / "here") == _files(tmp_path / "there")


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**32))
def test_generated_identifiers_pass_and_mistyped_ones_fail(seed: int) -> None:
    import random

    rng = random.Random(seed)
    a_cn = gen_ids.make_acn(rng)
    made = {"ABN": gen_ids.make_abn(rng), "ACN": a_cn, "TFN": gen_ids.make_tfn(rng), "IRD": gen_ids.make_ird(rng),
            "NZBN": gen_ids.make_nzbn(rng)}
    assert abn.is_valid(made["ABN"]) and abn.is_valid(gen_ids.abn_of(a_cn)) and acn.is_valid(a_cn)
    assert tfn.is_valid(made["TFN"]) and len(made["TFN"]) == 9
    assert ird.is_valid(made["IRD"])
    assert len(made["NZBN"]) == 13 and made["NZBN"].startswith("94") and ean.is_valid(made["NZBN"])
    for kind, value in made.items():
        assert gen_ids.CHECKED[kind](gen_ids.mistype(rng, value, kind)) is False


def test_identifiers_in_files_mostly_valid_some_mistyped(zone: Path) -> None:
    checks = {"ABN": abn.is_valid, "ACN": acn.is_valid, "TFN": tfn.is_valid, "IRD": ird.is_valid,
              "NZBN": gen_ids.CHECKED["NZBN"]}
    verdicts: Counter = Counter()
    for path in sorted((zone / "landing").glob("*/hq_clients.json")):
        try:
            doc = json.loads(path.read_bytes())
        except (ValueError, UnicodeDecodeError):
            continue  # the truncated-JSON practice
        for client in doc["clients"]:
            for i in client["identifiers"]:
                if i["type"] in checks:
                    verdicts[(i["type"], checks[i["type"]](i["value"]))] += 1
    for kind in checks:
        good, bad = verdicts[(kind, True)], verdicts[(kind, False)]
        assert good > 20, kind
        assert bad / (good + bad) < 0.05, kind
    assert sum(n for (k, ok), n in verdicts.items() if not ok) > 0


def test_registry_mix(zone: Path) -> None:
    rows = json.loads((zone / "landing" / "practices.json").read_text(encoding="utf-8"))
    assert all(set(r) == PRACTICE_KEYS for r in rows)
    assert {r["region"] for r in rows} >= {"AU", "NZ"} and {r["region"] for r in rows} <= {"AU", "NZ", "UK", "US", "ROW"}
    assert not any(r["uses_tax"] for r in rows if r["region"] not in ("AU", "NZ"))
    assert {r["connection"] for r in rows} == {"none", "unconfirmed", "confirmed"}
    assert all((r["connected_by"] is None) == (r["connection"] != "confirmed") for r in rows)
    assert {r["strategy"] for r in rows} == {"keep_xpm", "keep_hq", "combine", None}
    assert None in {r["wave"] for r in rows} and all(r["wave"] is None or r["wave"] >= 1 for r in rows)
    assert any(not r["uses_xpm"] and not r["uses_tax"] for r in rows)  # HQ-only practices
    assert all("@" in r["master_admin"] for r in rows)
    # sizes: some small practices, a heavy tail
    per_file = Counter((r["practice_id"], r["source"]) for r in _read_csv(zone / "truth" / "records.csv"))
    per_practice = Counter()
    for (pid, _), n in per_file.items():
        per_practice[pid] = max(per_practice[pid], n)
    sizes = sorted(per_practice.values())
    assert sizes[0] <= 10 and sizes[-1] >= 10 * sizes[len(sizes) // 2] / 3


def test_files_parse_and_carry_contract_fields(zone: Path) -> None:
    bad = {r["practice_id"] for r in _read_csv(zone / "truth" / "bad_practices.csv")}
    seen = Counter()
    for folder in sorted(p for p in (zone / "landing").iterdir() if p.is_dir() and p.name not in bad):
        if (folder / "xpm_clients.xml").exists():
            root = etree.parse(str(folder / "xpm_clients.xml")).getroot()
            assert root.tag == "Response" and root.findtext("Status") == "OK"
            for client in root.iter("Client"):
                assert [ch.tag for ch in client if ch.tag != "AccountManager"] == XPM_TAGS
                assert (client.findtext("BusinessStructure") or "") in STRUCTURES
                seen["xpm"] += 1
        doc = json.loads((folder / "hq_clients.json").read_text(encoding="utf-8"))
        assert doc["practiceId"] == folder.name and doc["exportedAt"] == "2023-10-31T23:00:00Z"
        for client in doc["clients"]:
            assert set(client) <= HQ_KEYS and {"id", "displayName", "identifiers"} <= set(client)
            assert client.get("type") in ("PERSON", "ORGANISATION")
            seen["hq"] += 1
        for name, header in (("tax_clients.csv", TAX_COLUMNS), ("sync_links.csv", SYNC_COLUMNS)):
            if (folder / name).exists():
                with open(folder / name, newline="", encoding="utf-8") as f:
                    rows = list(csv.reader(f))
                assert rows[0] == header and all(len(r) == len(header) for r in rows)
                seen[name] += len(rows) - 1
    assert all(seen[k] > 50 for k in ("xpm", "hq", "tax_clients.csv", "sync_links.csv")), seen


def test_truth_records_name_every_written_record_once(zone: Path) -> None:
    records = _read_csv(zone / "truth" / "records.csv")
    keys = [(r["practice_id"], r["source"], r["source_client_id"]) for r in records]
    assert len(keys) == len(set(keys)) + 1  # the repeated-id practice writes one id twice
    owner = {}
    for r in records:  # an entity belongs to one practice
        assert owner.setdefault(r["entity_id"], r["practice_id"]) == r["practice_id"]
    systems: dict[str, set] = {}
    for r in records:
        systems.setdefault(r["entity_id"], set()).add(r["source"])
    assert {len(s) for s in systems.values()} == {1, 2, 3}  # a real client is in one to three systems
    twice = Counter((r["entity_id"], r["source"]) for r in records)
    assert 0 < sum(n > 1 for n in twice.values()) < 0.1 * len(twice)  # sometimes twice in one file
    wrong = Counter(r["link_kind"] for r in _read_csv(zone / "truth" / "wrong_links.csv"))
    assert set(wrong) == {"sync", "tax_xpm"}


def test_every_hard_pair_kind_present_between_different_clients(zone: Path) -> None:
    pairs = _read_csv(zone / "truth" / "hard_pairs.csv")
    kinds = Counter(p["kind"] for p in pairs)
    assert set(kinds) == {"spouses", "parent_child", "company_director", "trust_trustee", "family_trusts", "common_name"}
    entities = {r["entity_id"] for r in _read_csv(zone / "truth" / "records.csv")}
    bad = {r["practice_id"] for r in _read_csv(zone / "truth" / "bad_practices.csv")}
    # both sides are real clients with records (a defect may have emptied a bad practice's file)
    assert all(p["entity_a"] != p["entity_b"] for p in pairs)
    assert all({p["entity_a"], p["entity_b"]} <= entities for p in pairs if p["practice_id"] not in bad)
    assert len(pairs) / len(entities) > 0.05  # common enough to measure


def test_defects_produce_the_files_described(zone: Path) -> None:
    landing = zone / "landing"
    bad = {r["defect"]: r for r in _read_csv(zone / "truth" / "bad_practices.csv")}
    assert set(bad) == set(DEFECTS)
    f = {d: landing / r["practice_id"] / r["file"] for d, r in bad.items()}
    with pytest.raises(etree.XMLSyntaxError):
        etree.parse(str(f["malformed_xml"]))
    with pytest.raises(json.JSONDecodeError):
        json.loads(f["truncated_json"].read_text(encoding="utf-8"))
    with pytest.raises(UnicodeDecodeError):
        f["non_utf8_csv"].read_bytes().decode("utf-8")
    assert "Zoë" in f["non_utf8_csv"].read_bytes().decode("latin-1")
    hq = lambda d: json.loads(f[d].read_text(encoding="utf-8"))["clients"]  # noqa: E731
    assert any(not c.get("id") for c in hq("client_without_id"))
    assert any(not c.get("displayName") and not c.get("legalName") for c in hq("client_without_name"))
    ids = Counter(c["id"] for c in hq("repeated_id"))
    assert ids.most_common(1)[0][1] == 2
    assert not f["missing_hq"].exists()
    assert "client_code" not in f["missing_csv_column"].read_text(encoding="utf-8").splitlines()[0].split(",")
    assert f["empty_file"].stat().st_size == 0
    registry = read_registry(landing)
    assert bad["extra_folder"]["practice_id"] not in registry.get_column("practice_id").to_list()
    assert (landing / bad["extra_folder"]["practice_id"] / "hq_clients.json").exists()
    # the readers built to the contract reject each of them (and nothing else)
    problems = registry_problems(landing, registry)
    assert set(problems) == {bad["extra_folder"]["practice_id"], bad["missing_hq"]["practice_id"]}
    rejected = set()
    for row in registry.iter_rows(named=True):
        if row["practice_id"] in problems:
            continue
        try:
            read_practice(landing, row, HashKey.ephemeral())
        except BadInput:
            rejected.add(row["practice_id"])
    assert rejected == {r["practice_id"] for d, r in bad.items() if d not in ("extra_folder", "missing_hq")}


def test_a_defect_no_practice_can_carry_gives_way_to_one_that_can():
    """Asked for k bad practices, the plan gives k whenever k can be: a kind no practice left can carry (malformed XML
    where no practice has an XPM file) gave none, without a word, and the zone had fewer bad practices than asked."""
    from synthetic.zone import build_zone, plan_defects

    zone = build_zone(6, 1, "default", None)
    for p in zone.practices:  # no practice has an XPM file: malformed_xml cannot be placed
        p.records.pop("xpm", None)
    plan = plan_defects(zone, 1, 3, [])
    assert len(plan) == 3 and "malformed_xml" not in plan.values(), plan
    assert set(plan.values()) <= set(DEFECTS) - {"extra_folder"}  # no extra folder was built for this plan
