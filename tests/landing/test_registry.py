"""practices.json: read into PRACTICE shape; a bad row or folder fails that practice only, an unusable file the run."""

from __future__ import annotations

import json

import polars as pl
import pytest

from tests.landing.fixtures import zone
from landing import schema
from landing import BadInput, read_registry, registry_problems, unnamed_rows


@pytest.fixture
def landing(tmp_path):
    return zone(tmp_path)


def rows(landing) -> list[dict]:
    return json.loads((landing / "practices.json").read_text())


def write(landing, data) -> None:
    (landing / "practices.json").write_text(json.dumps(data))


def test_registry_shape_and_values(landing):
    reg = read_registry(landing)
    assert reg.schema == schema.PRACTICE
    assert reg.get_column("practice_id").to_list() == ["P-NZ", "P_AU"]
    au = reg.row(1, named=True)
    assert au == {
        "practice_id": "P_AU", "name": "Harbour Accountants", "region": "AU", "uses_xpm": True,
        "uses_tax": True, "connection": "confirmed", "connected_by": "admin@harbour.example",
        "master_admin": "admin@harbour.example", "strategy": "combine", "wave": 2,
    }  # fmt: skip
    assert reg.row(0, named=True)["strategy"] is None and reg.row(0, named=True)["wave"] is None
    assert registry_problems(landing, reg) == {}


@pytest.mark.parametrize("content", [b"", b"[{", b"{}", b"\xff\xfe[]"])
def test_unusable_registry_fails_the_run(landing, content):
    (landing / "practices.json").write_bytes(content)
    with pytest.raises(BadInput) as info:
        read_registry(landing)
    assert info.value.file == "practices.json"


def test_missing_registry(tmp_path):
    with pytest.raises(BadInput, match="practices.json"):
        read_registry(tmp_path)


@pytest.mark.parametrize(
    "field,value,words",
    [
        ("region", "FR", "region 'FR'"),
        ("connection", "maybe", "connection 'maybe'"),
        ("strategy", "merge_all", "strategy 'merge_all'"),
        ("uses_xpm", "yes", "uses_xpm 'yes'"),
        ("wave", "two", "wave is text, not an integer"),
        ("region", "TFN 123 456 782", "region text not one of AU, NZ, ROW, UK, US"),  # a value is said only as a short word
        ("uses_tax", True, "Xero Tax exists only for AU and NZ"),
    ],
)
def test_bad_row_fails_that_practice(landing, field, value, words):
    data = rows(landing)
    data[1][field] = value
    if field == "uses_tax":
        data[1]["region"] = "UK"
    write(landing, data)
    reg = read_registry(landing)
    problems = registry_problems(landing, reg)
    assert list(problems) == ["P-NZ"]
    assert problems["P-NZ"].startswith("practices.json: row 2 (practice_id=P-NZ): ") and words in problems["P-NZ"]


def test_bad_practice_id_and_duplicates(landing):
    # a practice_id that is no id names no practice: a TFN typed there was stored in clear as a failed practice's id
    # and counted in the funnel (QA, session 31); said by its row, its value never
    data = rows(landing)
    write(landing, [*data, dict(data[0]), dict(data[0], practice_id="bad id!"), {"name": "no id"},
                    dict(data[0], practice_id="TFN 123 456 782"), dict(data[0], practice_id={"id": "P_AU"}),
                    dict(data[1], practice_id=" P-NZ ")])
    reg = read_registry(landing)
    assert reg.get_column("practice_id").to_list() == ["P-NZ", "P_AU"]
    # a row repeating another word for word is the registry's problem, said by its row: it failed the practice (QA7)
    assert registry_problems(landing, reg) == {}
    assert unnamed_rows(landing) == [
        "practices.json: row 3: repeats row 1 word for word",
        "practices.json: row 4: practice_id is text, not an id of 1-64 letters, digits, _ or -",
        "practices.json: row 5: no practice_id",
        "practices.json: row 6: practice_id is text, not an id of 1-64 letters, digits, _ or -",
        "practices.json: row 7: practice_id is an object, not an id of 1-64 letters, digits, _ or -",
        "practices.json: row 8: repeats row 2 word for word",  # its id written with spaces: the same id
    ]


def test_two_rows_naming_one_practice_with_other_values_fail_that_practice_alone(landing):
    # which row is meant is not known: the first would consolidate by a strategy the operator may have replaced
    data = rows(landing)
    write(landing, [*data, dict(data[0], strategy="keep_hq" if data[0].get("strategy") != "keep_hq" else "combine"),
                    dict(data[1], name="again"), dict(data[1], region="XX")])
    reg = read_registry(landing)
    problems = registry_problems(landing, reg)
    assert problems == {
        "P_AU": "practices.json: row 3 (practice_id=P_AU): repeats the practice_id of row 1 with other values: keep one of the two rows",
        "P-NZ": "practices.json: row 4 (practice_id=P-NZ): repeats the practice_id of row 2 with other values: keep one of the two rows",
    }
    assert unnamed_rows(landing) == []  # the practices' problems, not the registry's alone: said once, as theirs


def test_a_row_that_is_no_object_is_the_registrys_problem_said_by_its_position_not_a_failed_practice(landing):
    """QA, session 31: a number, text or null among practices.json's rows was counted a failed practice, named
    `practices.json row 3`, in the run's funnel and status. Its value is never said (a row may be any text)."""
    data = rows(landing)
    write(landing, [data[0], 412345678, data[1], None, "P_ZZ TFN 123 456 782", [data[0]], True])
    reg = read_registry(landing)
    assert reg.get_column("practice_id").to_list() == ["P-NZ", "P_AU"]
    assert registry_problems(landing, reg) == {}
    said = unnamed_rows(landing)
    kinds = {2: "a number", 4: "null", 5: "text", 6: "a list", 7: "true/false"}
    assert said == [f'practices.json: row {no}: not an object but {kind}: each row is one practice\'s object, {{"practice_id": ...}}'
                    for no, kind in kinds.items()]  # fmt: skip
    assert not any(secret in line for line in said for secret in ("412345678", "P_ZZ", "782"))


def test_folder_not_in_registry_and_registry_row_without_hq(landing):
    (landing / "P_STRAY").mkdir()
    (landing / "P-NZ" / "hq_clients.json").unlink()
    problems = registry_problems(landing, read_registry(landing))
    assert problems == {
        "P-NZ": "hq_clients.json: missing: every practice in practices.json has Xero HQ",
        "P_STRAY": "P_STRAY: practice folder not in practices.json",
    }


def test_a_registry_row_whose_folder_is_missing_says_so(landing):
    """Found by the stranger-data audit: it said only 'hq_clients.json: missing'."""
    import shutil

    from landing import read_practice
    from landing.errors import BadInput
    from tests.landing.fixtures import KEY

    shutil.rmtree(landing / "P-NZ")
    registry = read_registry(landing)
    said = "practices.json: practice_id=P-NZ: no folder P-NZ/ in the landing zone for this practice's exports"
    assert registry_problems(landing, registry)["P-NZ"] == said
    with pytest.raises(BadInput) as info:
        read_practice(landing, registry.filter(registry["practice_id"] == "P-NZ").row(0, named=True), KEY)
    assert str(info.value) == said


def test_a_tax_number_in_a_practice_name_is_masked(landing):
    """QA, session 30: practices.json's text was never looked at, so a TFN in a practice's name was stored and printed."""
    data = rows(landing)
    data[0]["name"] = "Harbour Accountants (TFN 123 456 782)"
    write(landing, data)
    names = read_registry(landing).get_column("name").to_list()
    assert "Harbour Accountants (TFN ***782)" in names and not any("456" in n for n in names if n)


def test_a_tax_number_in_who_confirmed_step_one_or_the_master_admin_is_masked(landing):
    """QA (session 35): `connected_by` "609032348" and `master_admin` "487971277" (TFN-valid, no emails) were stored
    in stg_practice and shown by `scr practice` in clear."""
    data = rows(landing)
    data[0].update(connected_by="609032348", master_admin="TFN 487 971 277")
    write(landing, data)
    row = read_registry(landing).filter(pl.col("practice_id") == data[0]["practice_id"]).row(0, named=True)
    assert (row["connected_by"], row["master_admin"]) == ("***348", "TFN ***277")


def test_a_utr_in_a_uk_practices_name_is_masked(landing):
    """Session 33: a UK UTR in a UK practice's name was stored and printed (only TFNs and IRD numbers were looked for
    there, as in free text before UTRs were). Elsewhere ten digits are no UTR, as in free text."""
    data = rows(landing)
    data[1].update(name="Tweed Ltd UTR 19558 39609", region="UK", uses_tax=False)
    data.append(dict(data[0], practice_id="P_AU2", name="Account 1955839612"))
    write(landing, data)
    names = dict(read_registry(landing).select("practice_id", "name").iter_rows())
    assert names == {"P_AU": "Harbour Accountants", "P-NZ": "Tweed Ltd UTR ***609", "P_AU2": "Account 1955839612"}


def test_a_practice_id_or_a_folder_named_by_a_tax_number_names_no_practice_and_is_said_without_it(landing):
    """QA8: a practices.json row whose practice_id is a valid TFN written as an id (`599936196`), and a landing folder
    named by one, were taken as a practice: its id was stored (the status, the snapshot, Prefect's artifacts) and shown
    in clear. Now neither names a practice; each is the registry's problem, said by its row or as a folder, the number
    never (its last three digits as elsewhere). An id of fewer than eight digits, or one holding no valid number, is
    an id as before; a UTR is one in a UK practice's row (and in a folder's name, whose practice is not known)."""
    import shutil

    data = rows(landing)
    write(landing, [*data, dict(data[0], practice_id="599936196"), dict(data[0], practice_id="12345678"),
                    dict(data[1], practice_id="1955839609", region="UK", uses_tax=False),
                    dict(data[0], practice_id="1955839609x")])  # fmt: skip
    shutil.copytree(landing / "P_AU", landing / "786028113")  # a folder named by a TFN, in no row
    for pid in ("599936196", "12345678", "1955839609x"):
        shutil.copytree(landing / "P_AU", landing / pid)
    reg = read_registry(landing)
    # 12345678 passes no check; a UTR outside a UK row is ten digits and a letter: ids as before
    assert reg.get_column("practice_id").to_list() == ["12345678", "1955839609x", "P-NZ", "P_AU"]
    problems = registry_problems(landing, reg)
    assert problems == {}, problems
    said = unnamed_rows(landing)
    tax_id = "practice_id holds a tax number (a TFN, IRD number or UTR), which ids are stored and shown as: give the " \
             "practice another id (and its folder that name)"  # fmt: skip
    assert said == [
        f"practices.json: row 3: {tax_id}",
        f"practices.json: row 5: {tax_id}",
        "a folder of the landing zone is named by a tax number (ending 196): it is not read; give it its practice's id "
        "from practices.json",
        "a folder of the landing zone is named by a tax number (ending 113): it is not read; give it its practice's id "
        "from practices.json",
    ], said
    assert not any(n in line for line in said for n in ("599936", "786028", "1955839"))
