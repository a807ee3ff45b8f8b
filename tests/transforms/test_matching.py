"""End-to-end matcher on a hand-made household: real merges, hard look-alikes, decisions, determinism."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import polars as pl
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.transforms.frames import clients, frames_of, practices
from transforms.cluster import unified_id
from transforms.matching import match
from landing.schema import CLIENT, ORG_LINK, SYNC_LINK, empty

D = dt.date
TFN = {"john": "h-john", "mary": "h-mary", "junior": "h-junior"}


def person(src, cid, first, last, dob=None, **kw) -> dict:
    base = {"source": src, "source_client_id": cid, "name": f"{first} {last}", "first_name": first, "last_name": last,
            "business_structure": "Individual", "date_of_birth": dob, "address_line1": "12 Wattle Street",
            "postcode": "2000", "city": "Sydney", "phone": "02 9999 1234"}  # fmt: skip
    return {**base, **kw}


def org(src, cid, name, structure, **kw) -> dict:
    base = {"source": src, "source_client_id": cid, "name": name, "business_structure": structure,
            "address_line1": "12 Wattle Street", "postcode": "2000", "city": "Sydney", "phone": "02 9999 1234"}  # fmt: skip
    return {**base, **kw}


def household(practice: str = "p1") -> pl.DataFrame:
    john = dict(dob=D(1970, 3, 4), email="john.smith@example.com", tfn_hash=TFN["john"], tfn_valid=True)
    return clients(
        [
            person("xpm", "x-john", "John", "Smith", **john),
            {**person("hq", "h-john", "John", "Smith", **john), "name": "Smith, John", "first_name": None, "last_name": None,
             "client_type": "PERSON", "tfn_hash": None},  # fmt: skip
            person("tax", "T-JOHN", "Jon", "Smith", **{**john, "first_name": "Jon"}),
            # spouse: same address, phone and email, other given name and birthday
            person("xpm", "x-mary", "Mary", "Smith", D(1972, 8, 9), email="john.smith@example.com", tfn_hash=TFN["mary"], tfn_valid=True),
            person("hq", "h-mary", "Mary", "Smith", D(1972, 8, 9), email="mary@example.com"),
            # son of the same name, other birthday
            person("hq", "h-junior", "John", "Smith", D(2001, 1, 2), email="johnny@example.com", tfn_hash=TFN["junior"], tfn_valid=True),
            org("xpm", "x-co", "Smith Holdings Pty Ltd", "Company", abn="51824753556"),
            org("hq", "h-co", "SMITH HOLDINGS PTY. LIMITED", "Company", abn="51824753556"),
            org("tax", "T-CO", "Smith Holdings Proprietary Limited", "Company"),
            org("xpm", "x-other-co", "Smith Holdings Pty Ltd", "Company", abn="53004085616"),
            org("xpm", "x-ft", "The Trustee for the Smith Family Trust", "Trust"),
            org("hq", "h-ft", "Smith Family Trust", "Trust"),
            org("hq", "h-ut", "Smith Unit Trust", "Trust"),
            person("xpm", "x-unrelated", "Aroha", "Ngata", D(1980, 1, 1), address_line1="1 Other Rd", postcode="3000", phone="03 1111 2222"),
        ],
        practice,
    )


def run(frame: pl.DataFrame, org_links=None, sync=None, **kw):
    ids = frame["practice_id"].unique().to_list() or ["p1"]
    tables = {k: kw.pop(k) for k in ("relationship", "contact") if k in kw}
    return match(frames_of(frame, org_links, sync, **tables), practices(ids), **kw)


def cluster_of(result, key: str, practice: str = "p1") -> tuple[str, str]:
    src, cid = key.split(":", 1)
    row = result.crosswalk.filter(
        (pl.col("practice_id") == practice) & (pl.col("source") == src) & (pl.col("source_client_id") == cid)
    )
    assert row.height == 1
    return row["unified_client_id"][0], row["merge_status"][0]


def auto_together(result, a: str, b: str) -> bool:
    (ua, sa), (ub, sb) = cluster_of(result, a), cluster_of(result, b)
    return ua == ub and sa == sb == "auto"


def merged_by_a_person(result, a: str, b: str) -> bool:
    (ua, sa), (ub, sb) = cluster_of(result, a), cluster_of(result, b)
    return ua == ub and sa == sb == "reviewed"


@pytest.fixture(scope="module")
def result():
    return run(household())


def test_same_person_across_systems_merges_automatically(result):
    assert auto_together(result, "xpm:x-john", "hq:h-john")
    assert auto_together(result, "xpm:x-john", "tax:T-JOHN")


def test_legal_suffix_variants_merge(result):
    assert auto_together(result, "xpm:x-co", "hq:h-co")


def test_spouses_never_auto(result):
    for a in ("xpm:x-john", "hq:h-john", "tax:T-JOHN"):
        for b in ("xpm:x-mary", "hq:h-mary"):
            assert not auto_together(result, a, b)


def test_parent_and_child_of_one_name_never_auto(result):
    assert not auto_together(result, "xpm:x-john", "hq:h-junior")


def test_person_and_company_never_auto(result):
    assert not auto_together(result, "xpm:x-john", "xpm:x-co")


def test_different_valid_abns_never_auto(result):
    assert not auto_together(result, "xpm:x-co", "xpm:x-other-co")
    link = result.links.filter((pl.col("source_client_id_l") == "x-co") & (pl.col("source_client_id_r") == "x-other-co"))
    assert link.height == 0 or "identifier" in (link["veto"][0] or "")


def test_two_trusts_of_one_family_never_auto(result):
    assert not auto_together(result, "hq:h-ft", "hq:h-ut")
    assert not auto_together(result, "xpm:x-ft", "xpm:x-co")


def test_crosswalk_has_every_record_once(result):
    cw = result.crosswalk
    assert cw.height == household().height
    assert cw.select("practice_id", "source", "source_client_id").is_duplicated().sum() == 0
    assert set(cw["merge_status"]) <= {"auto", "review", "unique"}
    assert cw.filter(pl.col("merge_status") == "unique")["match_probability"].null_count() == cw.filter(
        pl.col("merge_status") == "unique"
    ).height


def test_links_are_oriented_and_explained(result):
    links = result.links
    assert links.height > 0
    left = links["source_l"] + ":" + links["source_client_id_l"]
    right = links["source_r"] + ":" + links["source_client_id_r"]
    assert all((a.split(":", 1)[0], a.split(":", 1)[1]) < (b.split(":", 1)[0], b.split(":", 1)[1]) for a, b in zip(left, right))
    for ev in links["evidence"]:
        parsed = json.loads(ev)
        assert all({"level", "weight"} <= set(v) for v in parsed.values())
    assert set(links["decision"]) <= {"auto", "review", "reject"}


def test_unified_ids_are_deterministic_and_order_free(result):
    shuffled = household().sample(fraction=1.0, shuffle=True, seed=3)
    again = run(shuffled)
    key = ["practice_id", "source", "source_client_id"]
    assert result.crosswalk.sort(key).equals(again.crosswalk.sort(key))
    assert result.links.equals(again.links)
    uid, _ = cluster_of(result, "xpm:x-john")
    members = result.crosswalk.filter(pl.col("unified_client_id") == uid)
    assert uid == unified_id("p1", (members["source"] + ":" + members["source_client_id"]).to_list())


def test_practices_never_match_each_other():
    both = pl.concat([household("p1"), household("p2")])
    res = run(both)
    assert (res.links["practice_id"].is_in(["p1", "p2"])).all()
    by_uid = res.crosswalk.group_by("unified_client_id").agg(pl.col("practice_id").n_unique().alias("n"))
    assert by_uid["n"].max() == 1


def test_review_decisions_are_honoured(result):
    pair = {"practice_id": "p1", "source_l": "hq", "source_client_id_l": "h-john", "source_r": "xpm", "source_client_id_r": "x-john"}
    rejected = run(household(), decisions=pl.DataFrame([{**pair, "decision": "reject"}]))
    assert not auto_together(rejected, "hq:h-john", "xpm:x-john")
    accept = {"practice_id": "p1", "source_l": "hq", "source_client_id_l": "h-mary", "source_r": "xpm", "source_client_id_r": "x-mary"}
    accepted = run(household(), decisions=pl.DataFrame([{**accept, "decision": "accept"}]))
    assert merged_by_a_person(accepted, "hq:h-mary", "xpm:x-mary")
    link = accepted.links.filter(source_client_id_l="h-mary", source_client_id_r="x-mary")
    assert link["decision"].to_list() == ["accepted"]


def test_different_xero_organisations_never_auto():
    frame = household()
    links = pl.DataFrame(
        [{"practice_id": "p1", "source": "xpm", "source_client_id": "x-co", "organisation_id": "org-1", "organisation_name": "A"},
         {"practice_id": "p1", "source": "hq", "source_client_id": "h-co", "organisation_id": "org-2", "organisation_name": "B"}],
        schema=ORG_LINK,
    )  # fmt: skip
    res = run(frame, org_links=links)
    assert not auto_together(res, "xpm:x-co", "hq:h-co")


def test_a_sync_link_joining_two_clients_is_suspect():
    sync = pl.DataFrame(
        [{"practice_id": "p1", "xpm_client_uuid": "x-john", "hq_client_id": "h-mary", "linked_at": None, "last_synced_at": None,
          "state": "active", "record_no": 1},
         {"practice_id": "p1", "xpm_client_uuid": "x-co", "hq_client_id": "h-co", "linked_at": None, "last_synced_at": None,
          "state": "active", "record_no": 2}],
        schema=SYNC_LINK,
    )  # fmt: skip
    res = run(household(), sync=sync)
    sus = res.suspect_links
    assert sus.filter((pl.col("source_client_id_l") == "h-mary") & (pl.col("source_client_id_r") == "x-john")).height == 1
    assert sus.filter(pl.col("source_client_id_l") == "h-co").height == 0
    assert set(sus["link_kind"]) == {"sync"}


def test_no_clients_and_a_lone_client():
    empty_res = run(empty(CLIENT))
    assert empty_res.crosswalk.height == empty_res.links.height == empty_res.suspect_links.height == 0
    lone = run(clients([person("hq", "h1", "Aroha", "Ngata")]))
    assert lone.crosswalk["merge_status"].to_list() == ["unique"]
    assert lone.crosswalk["unified_client_id"].to_list() == [unified_id("p1", ["hq:h1"])]


def test_a_decision_in_either_orientation_and_reject_over_accept():
    flipped = {"practice_id": "p1", "source_l": "xpm", "source_client_id_l": "x-mary", "source_r": "hq", "source_client_id_r": "h-mary"}
    accepted = run(household(), decisions=pl.DataFrame([{**flipped, "decision": "accept"}]))
    assert merged_by_a_person(accepted, "hq:h-mary", "xpm:x-mary")
    both = pl.DataFrame([{**flipped, "decision": "accept"}, {**flipped, "decision": "reject"}])
    both_run = run(household(), decisions=both)
    assert not auto_together(both_run, "hq:h-mary", "xpm:x-mary") and not merged_by_a_person(both_run, "hq:h-mary", "xpm:x-mary")


def test_a_namesake_without_identity_evidence_is_not_merged_automatically():
    # same name, phone and address; one has a birthday, neither an email: parent and child look like this
    frame = clients([person("xpm", "x1", "Angus", "Price", D(1961, 5, 5)), person("hq", "h1", "Angus", "Price")])
    res = run(frame)
    assert not auto_together(res, "xpm:x1", "hq:h1")
    assert cluster_of(res, "xpm:x1")[1] == "review"


def test_a_couple_is_not_one_of_its_partners():
    frame = clients([person("xpm", "x1", "John", "Smith", D(1970, 3, 4), email="j@x.com"),
                     {**person("hq", "h1", None, None, email="j@x.com"), "name": "John and Mary Smith"}])  # fmt: skip
    assert not auto_together(run(frame), "xpm:x1", "hq:h1")


def test_a_pilot_too_small_to_fit_on_merges_one_company_by_name_and_address():
    # a call this small gets the expert starting values (transforms.threshold.EXPERT_THRESHOLD): one company, its exact
    # name at one address spelled two ways, in HQ and XPM, is about 98.6% sure there and merges without a person
    # (at the old 0.99 it went to review); the household's look-alikes above stay apart with the same values
    doyle = {"name": "Doyle Group Limited", "business_structure": "Company", "postcode": "6012", "country": "New Zealand"}
    frame = clients([{**doyle, "source": "hq", "source_client_id": "h1", "client_type": "ORGANISATION", "address_line1": "34/230 King Court"},
                     {**doyle, "source": "xpm", "source_client_id": "x1", "email": "info@doylegroup.co.nz", "address_line1": "34/230 King Ct"},
                     {**doyle, "source": "xpm", "source_client_id": "x2", "name": "Doyle Holdings Limited", "address_line1": "34/230 King Ct"}])  # fmt: skip
    res = run(frame)
    assert auto_together(res, "hq:h1", "xpm:x1")
    assert not auto_together(res, "xpm:x1", "xpm:x2")  # a sister company at the same address stays apart


EXAMPLES = yaml.safe_load((Path(__file__).parent / "examples.yaml").read_text())


@pytest.fixture(scope="module")
def reference_model(tmp_path_factory):
    """The model production would use: fitted on a sample of practices (here a generated zone, geco errors)."""
    from landing import Frames, HashKey, read_practice, read_registry
    from synthetic import generate_zone
    from transforms.matching import fit_model

    out = tmp_path_factory.mktemp("reference")
    generate_zone(out, 40, 11, corruption="geco")
    registry = read_registry(out / "landing")
    key = HashKey.ephemeral()
    frames = Frames.concat([read_practice(out / "landing", row, key) for row in registry.iter_rows(named=True)])
    return fit_model(frames, registry)


@pytest.mark.parametrize("example", EXAMPLES, ids=[e["case"] for e in EXAMPLES])
def test_readable_examples(example, reference_model):
    res = run(clients([example["a"], example["b"]]), model=reference_model)
    key = lambda r: f"{r['source']}:{r['source_client_id']}"  # noqa: E731
    merged = auto_together(res, key(example["a"]), key(example["b"]))
    assert merged == (example["expect"] == "auto")
    if example["expect"] == "review":  # proposed together for a person to decide
        (ua, sa), (ub, sb) = cluster_of(res, key(example["a"])), cluster_of(res, key(example["b"]))
        assert ua == ub and "review" in (sa, sb)


NAMES = ["John Smith", "Smith, John", "Jon Smith", "Mary Smith", "Smith Holdings Pty Ltd", "Smith Family Trust",
         "Smith Unit Trust", "J & M Smith", "John Smith Jr", None]  # fmt: skip
RECORD = st.fixed_dictionaries({
    "source": st.sampled_from(["xpm", "hq", "tax"]),
    "name": st.sampled_from(NAMES),
    "date_of_birth": st.sampled_from([None, D(1970, 3, 4), D(2001, 1, 2)]),
    "email": st.sampled_from([None, "a@x.com", "b@x.com"]),
    "phone": st.sampled_from([None, "0412 345 678"]),
    "tfn_hash": st.sampled_from([None, "h1", "h2"]),
    "tfn_valid": st.sampled_from([None, True]),
    "abn": st.sampled_from([None, "51824753556", "53004085616"]),
})  # fmt: skip


@settings(deadline=None, max_examples=12)
@given(st.lists(RECORD, min_size=1, max_size=12))
def test_every_record_lands_once_and_no_auto_cluster_breaks_a_hard_rule(rows):
    frame = clients([{**r, "source_client_id": f"c{i}"} for i, r in enumerate(rows)])
    res = run(frame)
    cw = res.crosswalk
    assert cw.height == frame.height
    assert cw.select("source", "source_client_id").is_duplicated().sum() == 0
    merged = cw.filter(pl.col("merge_status") == "auto").join(frame, on=["practice_id", "source", "source_client_id"])
    per_cluster = merged.group_by("unified_client_id").agg(
        abns=pl.col("abn").drop_nulls().n_unique(),
        tfns=pl.col("tfn_hash").filter(pl.col("tfn_valid").fill_null(False)).drop_nulls().n_unique(),
    )
    assert (per_cluster["abns"] <= 1).all() and (per_cluster["tfns"] <= 1).all()
    # two birthdays in one client only where the two records share a tax number (a birthday keyed wrongly)
    dated = merged.filter(pl.col("date_of_birth").is_not_null()).select("unified_client_id", "source_client_id", "date_of_birth", "tfn_hash")
    both = dated.join(dated, on="unified_client_id", suffix="_o").filter(pl.col("date_of_birth") != pl.col("date_of_birth_o"))
    assert (both["tfn_hash"].is_not_null() & (both["tfn_hash"] == both["tfn_hash_o"])).all()


def test_a_model_review_threshold_leaves_unlikely_proposals_apart(reference_model):
    # "Olivia Clarke" in HQ and in XPM, nothing else in common: a proposal under the budget's floor of 0.5,
    # left apart when the fitting sample's review load raised the model's review threshold above it
    import copy

    a = {"source": "hq", "source_client_id": "h1", "name": "Olivia Clarke", "client_type": "PERSON", "email": "clarke.o@outlook.com"}
    b = {"source": "xpm", "source_client_id": "x1", "name": "Olivia Clarke", "client_type": "PERSON", "date_of_birth": D(1999, 9, 2)}
    open_model = copy.copy(reference_model)
    open_model.review_threshold = None
    shown = run(clients([a, b]), model=open_model)
    p = shown.links["match_probability"]
    assert shown.links.height == 1 and 0.5 <= p[0] < open_model.auto_threshold  # proposed for review
    tight = copy.copy(reference_model)
    tight.review_threshold = float(p[0]) + 1e-9
    apart = run(clients([a, b]), model=tight)
    assert set(apart.crosswalk["merge_status"]) == {"unique"}
    # left apart, but not without trace: the pair is kept rejected, its veto naming the budget, so it can be counted
    # and exported for a person who has the time (found by QA, session 28: such pairs vanished)
    assert apart.links.select("decision", "veto", "match_probability").rows() == [("reject", "review_budget", p[0])]
    # a pair under the floor itself (nothing in common but a common name's first letter) is not kept
    c = {"source": "xpm", "source_client_id": "x2", "name": "Oscar Chen", "client_type": "PERSON", "date_of_birth": D(1960, 1, 5)}
    unlike = run(clients([a, c]), model=tight)
    assert unlike.links.filter(pl.col("veto") == "review_budget").height == 0


def test_each_step_of_the_matcher_is_timed_once_in_order_and_timing_changes_nothing():
    from contextlib import contextmanager

    entered: list[str] = []

    @contextmanager
    def stage(name: str):
        entered.append(name)
        yield

    frames = frames_of(household())
    timed = match(frames, practices(), stage=stage)
    assert entered == ["match.standardise", "match.candidates", "match.compare", "match.score", "match.cluster"]
    untimed = match(frames, practices())
    assert timed.crosswalk.equals(untimed.crosswalk) and timed.links.equals(untimed.links)


def test_the_store_names_held_back_pairs_as_the_matcher_marks_them():
    # the store cannot import a transform: the veto's name is written in both, and must be one name
    from transforms.resolve import HELD_BACK
    from warehouse.review import HELD_BACK as STORED

    assert HELD_BACK == STORED == "review_budget"


def test_names_differing_only_by_macrons_or_unicode_form_merge():
    """QA10 F4: a Māori trust's name with and without macrons, and a person's name in NFC and in NFD, are one client
    (each pair shares its email); before, the first were not even a candidate pair and the NFD surname read as another."""
    import unicodedata

    nfd = unicodedata.normalize("NFD", "José Núñez")
    frame = clients([
        org("hq", "h1", "Tūhoe Whānau Trust", "Trust", email="office@tuhoe.nz", phone=None, address_line1=None, postcode=None, city=None),
        org("xpm", "x1", "Tuhoe Whanau Trust", "Trust", email="office@tuhoe.nz", phone=None, address_line1=None, postcode=None, city=None),
        person("hq", "h2", "José", "Núñez", email="jose@nunez.nz", phone=None, address_line1=None, postcode=None, city=None),
        {**person("xpm", "x2", *nfd.split(" "), email="jose@nunez.nz", phone=None, address_line1=None, postcode=None, city=None),
         "name": nfd},
        person("hq", "h4", "Zoë", "Ngā", email="zoe@nga.nz", phone=None, address_line1=None, postcode=None, city=None),
        person("xpm", "x4", "Zoe", "Nga", email="zoe@nga.nz", phone=None, address_line1=None, postcode=None, city=None),
    ])
    res = run(frame)
    for a, b in (("hq:h1", "xpm:x1"), ("hq:h2", "xpm:x2"), ("hq:h4", "xpm:x4")):
        assert auto_together(res, a, b), (a, b)
    names = json.loads(res.links.filter(pl.col("source_client_id_l") == "h2")["evidence"][0])["name"]["level"]
    assert names == "exact"


def _siblings(first_a: str, first_b: str, dob_a, dob_b) -> pl.DataFrame:
    """QA11 D2: two people of one surname at one address with one landline, no identifiers, each its own record in
    XPM and in HQ; and a practice's unrelated clients around them."""
    home = dict(address_line1="77 Acacia Dr", city="Glenelg", postcode="5045", phone="08 8000 5555")
    rows = []
    for first, dob in ((first_a, dob_a), (first_b, dob_b)):
        rows.append(person("xpm", f"x-{first.lower()}", first, "Wilson", dob, **home))
        rows.append({**person("hq", f"h-{first.lower()}", first, "Wilson", dob, **home), "client_type": "PERSON"})
    for i, (first, last) in enumerate((("Aroha", "Ngata"), ("Liam", "Brown"), ("Olivia", "Chen"))):
        other = dict(address_line1=f"{i + 3} Other Rd", postcode="3000", city="Melbourne", phone=f"03 1111 222{i}")
        rows += [person("xpm", f"x-o{i}", first, last, D(1960 + i, 2, 3), **other), person("hq", f"h-o{i}", first, last, D(1960 + i, 2, 3), **other)]
    return clients(rows)


@pytest.mark.parametrize(
    "a,b,dob_a,dob_b",
    [
        ("Emma", "Emily", D(2001, 6, 15), D(2001, 6, 15)),  # twins, one birthday
        ("Christopher", "Christine", D(2001, 6, 15), D(2001, 6, 15)),
        ("Katherine", "Kathleen", D(2001, 6, 15), D(2001, 6, 15)),
        ("Jack", "John", D(1990, 3, 4), D(1991, 3, 4)),  # brothers a year apart
    ],
)
def test_siblings_of_nickname_compatible_names_each_in_two_systems_are_not_merged(a, b, dob_a, dob_b):
    """QA11 D2: each sibling's XPM and HQ records merge; the two siblings never do automatically, neither by a link
    between them in one system nor through the cross links that would complete it (those go to review)."""
    res = run(_siblings(a, b, dob_a, dob_b))
    xa, ha, xb, hb = (f"{s}:{p}-{n.lower()}" for n in (a, b) for s, p in (("xpm", "x"), ("hq", "h")))
    assert auto_together(res, xa, ha) and auto_together(res, xb, hb)
    assert cluster_of(res, xa)[0] != cluster_of(res, xb)[0]
    crossed = res.links.filter(
        pl.col("source_l") != pl.col("source_r"), pl.col("source_client_id_l").str.slice(2) != pl.col("source_client_id_r").str.slice(2)
    ).filter(pl.col("source_client_id_l").str.contains("-") & ~pl.col("source_client_id_l").str.contains("-o"))
    assert crossed.height > 0 and (crossed["decision"] != "auto").all()
    for i in range(3):
        assert auto_together(res, f"xpm:x-o{i}", f"hq:h-o{i}")


def test_one_person_with_a_nickname_across_systems_still_merges():
    """The other side of QA11 D2: Mike Manson in XPM, Michael Manson in HQ, one birthday and postcode, one record per
    system: one client, merged automatically."""
    frame = clients([
        person("xpm", "x-mike", "Mike", "Manson", D(1975, 5, 6), address_line1=None, phone=None, postcode="5045", city="Glenelg"),
        person("hq", "h-michael", "Michael", "Manson", D(1975, 5, 6), address_line1=None, phone=None, postcode="5045", city="Glenelg"),
        person("xpm", "x-other", "Aroha", "Ngata", D(1980, 1, 1), address_line1="1 Other Rd", postcode="3000", phone="03 1111 2222"),
    ])
    res = run(frame)
    assert auto_together(res, "xpm:x-mike", "hq:h-michael")


def test_a_client_keyed_twice_in_one_system_by_a_nickname_still_merges():
    """The twins rule needs both records of one system to meet an exact namesake: Mike and Michael Manson keyed twice in
    XPM and once in HQ (as Michael) are one client, merged automatically."""
    same = dict(address_line1="5 Gum Rd", postcode="5045", city="Glenelg", phone="08 8111 2222", email="mike@manson.example")
    frame = clients([
        person("xpm", "x-mike", "Mike", "Manson", D(1975, 5, 6), **same),
        person("xpm", "x-michael", "Michael", "Manson", D(1975, 5, 6), **same),
        person("hq", "h-michael", "Michael", "Manson", D(1975, 5, 6), **same),
    ])
    res = run(frame)
    assert auto_together(res, "xpm:x-mike", "hq:h-michael") and auto_together(res, "xpm:x-michael", "hq:h-michael")


def test_a_client_keyed_twice_in_two_systems_by_a_nickname_still_merges():
    """The twins rule spares two records of one system that share what is one person's own: Charlie and Charlotte
    Tipene keyed twice in XPM and in Tax (one mailbox, one birthday), each meeting its exact namesake, are one client
    (geco's corruption model keys clients twice with a nickname: the rule first cost its seed 1 zone 0.2 points of F1)."""
    same = dict(address_line1="9 Kauri St", postcode="0600", city="Auckland", phone=None, email="charlotte.tipene@example.com")
    frame = clients([
        person("xpm", "x-charlie", "Charlie", "Tipene", D(1941, 12, 3), **same),
        person("xpm", "x-charlotte", "Charlotte", "Tipene", D(1941, 12, 3), **same),
        person("tax", "T-CHARLIE", "Charlie", "Tipene", D(1941, 12, 3), **same),
        person("tax", "T-CHARLOTTE", "Charlotte", "Tipene", D(1941, 12, 3), **same),
        person("hq", "h-charlotte", "Charlotte", "Tipene", D(1941, 12, 3), **same),
    ])
    res = run(frame)
    assert len({cluster_of(res, k)[0] for k in ("xpm:x-charlie", "xpm:x-charlotte", "tax:T-CHARLIE", "tax:T-CHARLOTTE", "hq:h-charlotte")}) == 1
    assert auto_together(res, "xpm:x-charlie", "hq:h-charlotte")


def test_two_people_sharing_only_a_birthday_are_not_shown_to_a_person():
    """QA11 D5: Olivia Taylor and Thomas Wright (XPM and HQ, one record each), one birthday, nothing else in common:
    rejected (veto names_differ), not reviewed; each person's own records still merge."""
    bare = dict(address_line1=None, postcode=None, city=None, phone=None)
    rows = []
    for i, (first, last, dob) in enumerate((("Olivia", "Taylor", D(1984, 7, 1)), ("Thomas", "Wright", D(1984, 7, 1)),
                                            ("Grace", "Scott", D(1990, 2, 2)))):  # fmt: skip
        mail = dict(email=f"{first.lower()}@{last.lower()}.example")
        rows += [person("xpm", f"x{i}", first, last, dob, **bare, **mail), person("hq", f"h{i}", first, last, dob, **bare, **mail)]
    res = run(clients(rows))
    for i in range(3):
        assert auto_together(res, f"xpm:x{i}", f"hq:h{i}")
    shown = res.links.filter(pl.col("decision") != "auto")
    assert shown.height == 0, shown


def _lees(hq_first: str) -> pl.DataFrame:
    """QA11 D7: spouses Samuel and Samantha Lee in XPM (own birthdays, one mailbox), one HQ record of `hq_first` Lee with
    that mailbox, no birthday, no number; three unrelated clients in both systems."""
    bare = dict(address_line1=None, postcode=None, city=None, phone=None, email="lees@example.com")
    rows = [person("xpm", "x-samuel", "Samuel", "Lee", D(1980, 3, 3), **bare),
            person("xpm", "x-samantha", "Samantha", "Lee", D(1981, 4, 4), **bare),
            {**person("hq", "h-sam", hq_first, "Lee", **bare), "client_type": "PERSON"}]  # fmt: skip
    for i, (first, last) in enumerate((("Aroha", "Ngata"), ("Liam", "Brown"), ("Olivia", "Chen"))):
        other = dict(address_line1=f"{i + 3} Other Rd", postcode="3000", city="Melbourne", phone=f"03 1111 222{i}")
        rows += [person("xpm", f"x-o{i}", first, last, D(1960 + i, 2, 3), **other), person("hq", f"h-o{i}", first, last, D(1960 + i, 2, 3), **other)]
    return clients(rows)


@pytest.mark.parametrize("fitted", [False, True], ids=["expert", "fitted"])
def test_a_record_between_two_spouses_it_matches_alike_goes_to_review(fitted, request):
    """QA11 D7: HQ "Sam Lee" (no birthday) scores alike with XPM's Samuel and Samantha Lee, whom their birthdays keep
    apart; nothing says which spouse Sam is: neither link merges automatically, both are shown to a person (the fitted
    model tied the two at 0.9991 and merged one; the expert values merged Samuel at 0.9827)."""
    # the expert values now score Samuel 0.97997, Samantha 0.9719: under EXPERT_THRESHOLD by a hair; QA's 0.9827 and
    # 0.978 (one automatic, one not) are reproduced with the threshold between the two
    kw = {"model": request.getfixturevalue("reference_model")} if fitted else {"auto_threshold": 0.975}
    res = run(_lees("Sam"), **kw)
    sam = res.links.filter((pl.col("source_client_id_l") == "h-sam") | (pl.col("source_client_id_r") == "h-sam"))
    spouses = sam.filter(pl.col("source_client_id_l").str.starts_with("x-sam") | pl.col("source_client_id_r").str.starts_with("x-sam"))
    assert spouses.height == 2 and (spouses["decision"] == "review").all()
    assert "ambiguous" in spouses["veto"].to_list()  # the link that would have merged names the rule
    assert cluster_of(res, "hq:h-sam")[1] != "auto"
    assert not auto_together(res, "xpm:x-samuel", "xpm:x-samantha")
    for i in range(3):
        assert auto_together(res, f"xpm:x-o{i}", f"hq:h-o{i}")


@pytest.mark.parametrize("fitted", [False, True], ids=["expert", "fitted"])
def test_a_record_with_one_clear_best_candidate_still_merges(fitted, request):
    """The other side of QA11 D7: HQ "Samuel Lee" beside the same spouses matches Samuel by his exact name, far above
    Samantha: it merges automatically with Samuel, not with Samantha."""
    model = request.getfixturevalue("reference_model") if fitted else None
    res = run(_lees("Samuel"), model=model)
    assert auto_together(res, "hq:h-sam", "xpm:x-samuel")
    assert not auto_together(res, "hq:h-sam", "xpm:x-samantha")


def test_a_record_a_person_joined_to_one_spouse_stays_there():
    """After review: a person accepted HQ "Sam Lee" as Samantha; the next run keeps that merge, not asking again."""
    pair = {"practice_id": "p1", "source_l": "hq", "source_client_id_l": "h-sam", "source_r": "xpm", "source_client_id_r": "x-samantha"}
    res = run(_lees("Sam"), decisions=pl.DataFrame([{**pair, "decision": "accept"}]), auto_threshold=0.975)
    assert merged_by_a_person(res, "hq:h-sam", "xpm:x-samantha")
    assert cluster_of(res, "xpm:x-samuel")[0] != cluster_of(res, "hq:h-sam")[0]
