"""A record against its cluster: best agreement per field, and a repeated name only when a namesake is left out."""

from __future__ import annotations

import numpy as np
import polars as pl

from transforms.compare import FIELDS
from transforms.profile import outside_namesakes, profile_levels


def lvl(field: str, name: str) -> int:
    return FIELDS[field].index(name)


def links(rows: list[tuple[int, int, dict[str, str]]]) -> pl.DataFrame:
    """rid_l, rid_r and a level column per field (unset fields null)."""
    out = {"rid_l": [r[0] for r in rows], "rid_r": [r[1] for r in rows]}
    for f in FIELDS:
        out[f] = [lvl(f, r[2][f]) if f in r[2] else 0 for r in rows]
    return pl.DataFrame(out, schema={"rid_l": pl.Int64, "rid_r": pl.Int64, **{f: pl.Int8 for f in FIELDS}})


def names(sources: list[str], full: list[str]) -> pl.DataFrame:
    frame = pl.DataFrame({"practice_id": ["p1"] * len(sources), "source": sources, "full_name": full})
    return frame.with_columns(name_in_source=pl.len().over("practice_id", "source", "full_name").cast(pl.Int32))


SAME = {"name": "exact", "dob": "exact", "address": "exact"}


def test_a_client_keyed_twice_in_one_system_explains_its_repeated_name():
    # hq:John Smith and xpm:John Smith twice (one client keyed twice): every link says "repeated in a system"
    cmp = links([(0, 1, {**SAME, "source": "different", "name_count": "repeated_in_a_system"}),
                 (0, 2, {**SAME, "source": "different", "name_count": "repeated_in_a_system"}),
                 (1, 2, {**SAME, "source": "same", "name_count": "once_per_system"})])  # fmt: skip
    labels = np.array([0, 0, 0])
    who = names(["hq", "xpm", "xpm"], ["john smith"] * 3)
    rid, levels = profile_levels(cmp, labels, who)
    assert rid.tolist() == [0, 1, 2]
    assert set(levels[:, list(FIELDS).index("name_count")]) == {lvl("name_count", "once_per_system")}
    # without the names, the links' own count stands
    _, plain = profile_levels(cmp, labels)
    assert set(plain[:, list(FIELDS).index("name_count")]) == {lvl("name_count", "repeated_in_a_system")}


def test_a_namesake_outside_the_cluster_keeps_the_name_repeated():
    # a third xpm:John Smith, not in the cluster: a parent or a child of one name, perhaps
    cmp = links([(0, 1, {**SAME, "source": "different", "name_count": "repeated_in_a_system"}),
                 (0, 2, {**SAME, "source": "different", "name_count": "repeated_in_a_system"}),
                 (1, 2, {**SAME, "source": "same", "name_count": "repeated_in_a_system"})])  # fmt: skip
    labels = np.array([0, 0, 0, 3])
    who = names(["hq", "xpm", "xpm", "xpm"], ["john smith"] * 4)
    assert outside_namesakes(who, labels).tolist() == [True] * 4  # the lone one has namesakes outside it too
    _, levels = profile_levels(cmp, labels, who)
    assert set(levels[:, list(FIELDS).index("name_count")]) == {lvl("name_count", "repeated_in_a_system")}


def test_the_best_level_per_field_is_taken_and_a_field_only_one_side_has_stays_unknown():
    cmp = links([(0, 1, {"name": "initial", "email": "exact", "source": "different"}),
                 (0, 2, {"name": "exact", "source": "different"}),
                 (1, 2, {"name": "fuzzy", "source": "same"})])  # fmt: skip
    rid, levels = profile_levels(cmp, np.array([0, 0, 0]))
    row = dict(zip(FIELDS, levels[0].tolist(), strict=True))
    # an initial says least: a whole name to compare with wins; the email is known against one member
    assert row["name"] == lvl("name", "exact") and row["email"] == lvl("email", "exact") and row["dob"] == 0
    assert dict(zip(FIELDS, levels[1].tolist(), strict=True))["source"] == lvl("source", "same")


def _repeat_model(repeat_is_reassuring: bool):
    """The expert model with the name's repeat in one system set to mean a duplicate (one-list data) or a namesake."""
    from transforms.model import expert_model

    model = expert_model()
    dup, apart = np.array([0.0, 0.1, 0.9]), np.array([0.0, 0.9, 0.1])
    model.m["name_count"] = dup if repeat_is_reassuring else apart
    for h in [*model.h, model.u]:
        h["name_count"] = apart if repeat_is_reassuring else dup
    return model


def _keyed_three_times():
    """xpm:John Smith three times, one client, every pair alike: the cluster holds every record of the name."""
    same = {**SAME, "source": "same", "name_count": "repeated_in_a_system"}
    cmp = links([(0, 1, same), (0, 2, same), (1, 2, same)])
    std = names(["xpm"] * 3, ["john smith"] * 3).with_columns(rid=pl.int_range(3))
    return cmp, np.array([0, 0, 0]), std


def _threshold_between(model) -> float:
    """A threshold between the profile read with the repeat and read without it."""
    from transforms.model import score

    row = np.array([[lvl(f, {**SAME, "source": "same"}.get(f, "null")) if f != "name_count" else 0 for f in FIELDS]])
    p = {}
    for reading in ("once_per_system", "repeated_in_a_system"):
        g = row.copy()
        g[0, list(FIELDS).index("name_count")] = lvl("name_count", reading)
        p[reading] = float(score(g, model)[1][0])
    lo, hi = sorted(p.values())
    assert lo < hi
    return (lo + hi) / 2


def test_where_the_zone_reads_a_repeated_name_as_a_duplicate_a_cluster_holding_every_namesake_is_not_doubted():
    # Febrl3-like data: one system, a client keyed up to nine times; the fitted model finds "repeated in a system"
    # the likelier match. The cluster explains the repeat, which must not then count against its members
    from transforms.matching import _doubted

    cmp, labels, std = _keyed_three_times()
    model = _repeat_model(repeat_is_reassuring=True)
    assert len(_doubted(cmp, labels, model, _threshold_between(model), std)) == 0


def test_where_the_zone_reads_a_repeated_name_as_namesakes_one_left_outside_still_doubts_the_cluster():
    from transforms.matching import _doubted

    cmp, labels, std = _keyed_three_times()
    model = _repeat_model(repeat_is_reassuring=False)
    threshold = _threshold_between(model)
    assert len(_doubted(cmp, labels, model, threshold, std)) == 0  # the cluster holds all three: explained
    # a fourth John Smith in xpm, left apart (a parent or child of one name): the repeat is not explained
    outside = names(["xpm"] * 4, ["john smith"] * 4).with_columns(rid=pl.int_range(4))
    assert _doubted(cmp, np.array([0, 0, 0, 3]), model, threshold, outside).tolist() == [0, 1, 2]


def _between(model, base: dict[str, str], field: str, weaker: str, stronger: str) -> float:
    """A threshold between a profile read with `weaker` and with `stronger` for `field` (the model must rank them so)."""
    from transforms.model import score

    p = {}
    for level in (weaker, stronger):
        row = np.array([[lvl(f, {**base, field: level}.get(f, "null")) for f in FIELDS]])
        p[level] = float(score(row, model)[1][0])
    assert p[weaker] < p[stronger]
    return (p[weaker] + p[stronger]) / 2


def test_a_number_one_slip_from_a_members_is_read_as_that_agreement_not_as_another_members_different_number():
    # one client keyed three times: 0 has the right tax number, 1 and 2 each a slip of it (two slips apart from
    # each other). Record 2's number is one keystroke from the client's: a person reads agreement. The order of
    # the level names put "different" before "one slip" (added later), so the profile read the disagreement
    from transforms.matching import _doubted
    from transforms.model import expert_model

    base = {**SAME, "source": "different"}
    cmp = links([(0, 1, {**base, "tax_no": "one_slip"}), (0, 2, {**base, "tax_no": "one_slip"}),
                 (1, 2, {**base, "tax_no": "different_unchecked"})])  # fmt: skip
    std = names(["hq", "xpm", "tax"], ["ann lee", "ann lee", "ann lee"]).with_columns(rid=pl.int_range(3))
    model = expert_model()
    threshold = _between(model, base, "tax_no", "different_unchecked", "one_slip")
    assert len(_doubted(cmp, np.array([0, 0, 0]), model, threshold, std)) == 0


def test_a_street_spelled_as_one_members_does_not_doubt_a_record_its_postcode_and_suburb_vouch_for():
    # Febrl3's fitted model weighs a street line keyed alike below one postcode and suburb with the street spelled
    # otherwise ("3 larpent st" / "3 larpent sztreet", 2101): among its candidate pairs, different people share a
    # street line more often. Records 0 and 2 spell the street alike, 1 otherwise, all in one postcode and suburb:
    # agreeing more closely with one member must not make the cluster doubt 0 and 2
    from transforms.matching import _doubted
    from transforms.model import expert_model

    model = expert_model()
    model.m["address"] = np.array([0, 0.39, 0.2, 0.27, 0.12, 0.02])  # Febrl3's fitted tables, rounded
    for other in [*model.h, model.u]:
        other["address"] = np.array([0, 0.027, 0.0003, 0.0001, 0.012, 0.96])
    base = {"name": "exact", "dob": "exact", "source": "same"}
    cmp = links([(0, 1, {**base, "address": "postcode_and_city"}), (0, 2, {**base, "address": "exact"}),
                 (1, 2, {**base, "address": "postcode_and_city"})])  # fmt: skip
    std = names(["xpm"] * 3, ["holly green", "holly green", "holly green"]).with_columns(rid=pl.int_range(3))
    threshold = _between(model, base, "address", "exact", "postcode_and_city")
    assert len(_doubted(cmp, np.array([0, 0, 0]), model, threshold, std)) == 0


def test_the_model_picks_among_the_levels_a_record_reaches_never_one_it_does_not():
    from transforms.profile import likeliest

    cmp = links([(0, 1, {"name": "exact", "email": "different"}), (0, 2, {"name": "exact", "email": "exact"}),
                 (1, 2, {"name": "exact", "phone": "different"})])  # fmt: skip
    rid, levels, reach = profile_levels(cmp, np.array([0, 0, 0]), reached=True)
    email, phone = list(FIELDS).index("email"), list(FIELDS).index("phone")
    # a model that (perversely) finds a different email likelier a match: record 0 reaches both, 1 only "different"
    prob = lambda g: (g[:, email] == lvl("email", "different")).astype(float)  # noqa: E731
    chosen, p = likeliest(levels, reach, prob)
    assert chosen[:, email].tolist() == [lvl("email", "different")] * 2 + [lvl("email", "exact")]
    assert chosen[:, phone].tolist() == [0, lvl("phone", "different"), lvl("phone", "different")]  # unknown stays unknown
    assert p.tolist() == [1.0, 1.0, 0.0]
