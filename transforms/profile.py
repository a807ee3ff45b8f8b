"""A record against its whole cluster: the best agreement per field over the members it was compared with.

Automatic links are pairwise: a record may join a client through one thin link (same name and home
phone, nothing else) while another member of that client holds an email that contradicts it. A person
compares the record with everything known about the client; so does this: per field, the strongest
level the record reaches against any compared member (a field only one side has stays unknown), scored
by the model. A record whose profile falls below the automatic threshold leaves the cluster for review.
"Strongest" starts from each field's order of agreement (RANK); where the record reaches several levels of a
field, the zone's model has the last word (`likeliest`): a fitted model need not weigh the levels in that
order (in Febrl3 a street line keyed alike is weaker evidence than one postcode and suburb with the street
spelled otherwise), and a record that agrees with one member more closely must not be doubted for it.
Two fields are taken at their least reassuring: a member from the record's own system, and a second
record of the same name in one system, are what tell a namesake in the household from a duplicate. A
repeat the cluster explains (it holds every record of the name) is set to "once per system"; which of the
two readings counts as the reassuring one is the zone's model's to say (matching._doubted scores both).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import polars as pl

from transforms.compare import FIELDS

__all__ = ["RANK", "CHOSEN_BY_MODEL", "profile_levels", "likeliest"]

# name levels from agreement to disagreement (a cluster holds people or organisations, never both); an initial
# or a missing given name says least, so it counts only when no member offers a whole name to compare:
# "Matthew" against the members' "Mere" outweighs "M" against one member's "Matthew"
_NAME_ORDER = [
    "exact", "org_exact", "nickname", "fuzzy", "org_fuzzy", "swapped", "generation_one_side", "partnership_partial",
    "org_partial", "couple_vs_single", "given_only", "surname_only", "different", "org_different", "generation_differs",
    "org_exact_other_type", "org_fuzzy_other_type", "org_partial_other_type", "initial", "given_missing",
]  # fmt: skip
_UNKNOWN = 100


def _ranks() -> dict[str, np.ndarray]:
    """Per field, an agreement rank per level (0 strongest); null ranks last so any known level wins."""
    out = {}
    for f, levels in FIELDS.items():
        r = np.full(len(levels), _UNKNOWN, dtype=np.int16)
        if f == "name":
            for rank, name in enumerate(_NAME_ORDER):
                r[levels.index(name)] = rank
        elif f == "source":  # a member from the record's own system is the telling comparison (two of one name there?)
            r[levels.index("same")], r[levels.index("different")] = 0, 1
        elif f == "dob":  # a placeholder birthday shared agrees less than a slip of one digit
            for rank, name in enumerate(("exact", "transposed", "year_off", "one_digit", "one_part", "exact_common", "different")):
                r[levels.index(name)] = rank
        elif f == "name_count":  # the client would hold two records of one name in one system
            r[levels.index("repeated_in_a_system")], r[levels.index("once_per_system")] = 0, 1
        else:  # every other field lists its levels from agreement to disagreement
            r[1:] = np.arange(len(levels) - 1)
        out[f] = r
    return out


RANK = _ranks()
# fields whose level the model picks among those a record reaches; the name keeps its order (an initial counts
# only when no member offers a whole name), the source and the name's count their least reassuring reading
CHOSEN_BY_MODEL = tuple(f for f in FIELDS if f not in ("name", "source", "name_count"))


def outside_namesakes(names: pl.DataFrame, labels: np.ndarray) -> np.ndarray:
    """Per record: does a system hold a record of one of its cluster's names that is not in the cluster?

    `names` holds, per rid, practice_id, source, full_name and name_in_source (records of that name in
    that system). Two records of one name in one system are two clients, or one client keyed twice: a
    cluster that holds both explains the repeat; one that leaves a namesake out does not.
    """
    counted = names.select("practice_id", "source", "full_name", "name_in_source").with_columns(cluster=pl.Series(labels))
    members = pl.len().over("cluster", "practice_id", "source", "full_name")
    outside = counted.select(cluster="cluster", out=(pl.col("name_in_source") - members > 0) & pl.col("full_name").is_not_null())
    return outside.select(pl.col("out").any().over("cluster")).to_series().to_numpy()


def profile_levels(
    cmp: pl.DataFrame, labels: np.ndarray, names: pl.DataFrame | None = None, reached: bool = False
) -> tuple[np.ndarray, ...]:
    """(rid, levels) per record of a cluster of three or more: its best level per field over compared members.

    `cmp` holds rid_l, rid_r and one level column per field; `labels` is the cluster label per rid. With
    `names` (see outside_namesakes), a repeated name counts only when a namesake is left outside the cluster.
    With `reached`, also (rid x field) bit masks of every known level the record reaches (bit k: level k),
    for `likeliest`.
    """
    size = np.bincount(labels, minlength=len(labels))
    la, lb = labels[cmp["rid_l"].to_numpy()], labels[cmp["rid_r"].to_numpy()]
    inside = (la == lb) & (size[la] >= 3)
    within = cmp.filter(pl.Series(inside)).select("rid_l", "rid_r", *FIELDS)
    if within.height == 0:
        empty = (np.zeros(0, dtype=np.int64), np.zeros((0, len(FIELDS)), dtype=np.int8))
        return (*empty, np.zeros((0, len(FIELDS)), dtype=np.int64)) if reached else empty
    rid = np.concatenate([within["rid_l"].to_numpy(), within["rid_r"].to_numpy()])
    levels = within.select(list(FIELDS)).to_numpy().astype(np.int64)
    levels = np.concatenate([levels, levels])
    # per field, the rank of each level (0 strongest); per record, the strongest rank it reaches
    ranked = np.stack([RANK[f][levels[:, j]] for j, f in enumerate(FIELDS)], axis=1)
    order = np.argsort(rid, kind="stable")
    rid, ranked, levels = rid[order], ranked[order], levels[order]
    start = np.flatnonzero(np.r_[True, rid[1:] != rid[:-1]])
    best = np.minimum.reduceat(ranked, start, axis=0)
    reach = np.bitwise_or.reduceat(np.left_shift(1, levels) & ~1, start, axis=0) if reached else None
    # rank back to level (each level has its own rank; unknown is level 0)
    back = np.stack([_BACK[f][best[:, j]] for j, f in enumerate(FIELDS)], axis=1).astype(np.int8)
    rid = rid[start]
    if names is not None:
        j = list(FIELDS).index("name_count")
        known = back[:, j] > 0  # the name is exact with some member: is a namesake left out?
        out = outside_namesakes(names, labels)[rid]
        back[known, j] = np.where(out[known], FIELDS["name_count"].index("repeated_in_a_system"), FIELDS["name_count"].index("once_per_system"))
    return (rid, back, reach) if reached else (rid, back)


def likeliest(levels: np.ndarray, reach: np.ndarray, prob: Callable[[np.ndarray], np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """The profiles re-read by the model: per field of CHOSEN_BY_MODEL in turn, of the levels each record reaches
    (`reach`, from profile_levels), the one `prob` (levels -> match probability) finds likeliest a match, the
    other fields as chosen so far. Returns (levels, probability); a profile is never scored below its first
    reading. One pass over the fields' levels, each scoring only the records that reach that level."""
    levels, p = levels.copy(), prob(levels)
    for j, f in enumerate(FIELDS):
        if f not in CHOSEN_BY_MODEL:
            continue
        for level in range(1, len(FIELDS[f])):
            rows = np.flatnonzero((reach[:, j] >> level & 1).astype(bool) & (levels[:, j] != level))
            if len(rows) == 0:
                continue
            other = levels[rows]
            other[:, j] = level
            q = prob(other)
            better = q > p[rows]
            levels[rows[better]], p[rows[better]] = other[better], q[better]
    return levels, p


def _back() -> dict[str, np.ndarray]:
    """Per field, the level of each rank (index _UNKNOWN: level 0)."""
    out = {}
    for f, levels in FIELDS.items():
        table = np.zeros(_UNKNOWN + 1, dtype=np.int8)
        for level, rank in enumerate(RANK[f].tolist()):
            if rank != _UNKNOWN:
                table[rank] = level
        out[f] = table
    return out


_BACK = _back()
