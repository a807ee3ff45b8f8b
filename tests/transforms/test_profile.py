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
