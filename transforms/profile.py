"""A record against its whole cluster: the best agreement per field over the members it was compared with.

Automatic links are pairwise: a record may join a client through one thin link (same name and home
phone, nothing else) while another member of that client holds an email that contradicts it. A person
compares the record with everything known about the client; so does this: per field, the strongest
level the record reaches against any compared member (a field only one side has stays unknown), scored
by the model. A record whose profile falls below the automatic threshold leaves the cluster for review.
Two fields are taken at their least reassuring: a member from the record's own system, and a second
record of the same name in one system, are what tell a namesake in the household from a duplicate.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from transforms.compare import FIELDS

__all__ = ["RANK", "profile_levels"]

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
        elif f == "name_count":  # the client would hold two records of one name in one system
            r[levels.index("repeated_in_a_system")], r[levels.index("once_per_system")] = 0, 1
        else:  # every other field lists its levels from agreement to disagreement
            r[1:] = np.arange(len(levels) - 1)
        out[f] = r
    return out


RANK = _ranks()


def profile_levels(cmp: pl.DataFrame, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(rid, levels) per record of a cluster of three or more: its best level per field over compared members.

    `cmp` holds rid_l, rid_r and one level column per field; `labels` is the cluster label per rid.
    """
    size = np.bincount(labels, minlength=len(labels))
    la, lb = labels[cmp["rid_l"].to_numpy()], labels[cmp["rid_r"].to_numpy()]
    inside = (la == lb) & (size[la] >= 3)
    within = cmp.filter(pl.Series(inside)).select("rid_l", "rid_r", *FIELDS)
    if within.height == 0:
        return np.zeros(0, dtype=np.int64), np.zeros((0, len(FIELDS)), dtype=np.int8)
    both = pl.concat([within.rename({"rid_l": "rid"}).drop("rid_r"), within.rename({"rid_r": "rid"}).drop("rid_l")])
    ranked = both.with_columns(
        pl.col(f).replace_strict(dict(enumerate(RANK[f].tolist())), return_dtype=pl.Int16).alias(f) for f in FIELDS
    )
    best = ranked.group_by("rid").agg(pl.col(f).min() for f in FIELDS).sort("rid")
    levels = []
    for f in FIELDS:  # rank back to level (each level has its own rank; unknown is null)
        back = {rank: level for level, rank in enumerate(RANK[f].tolist()) if rank != _UNKNOWN}
        levels.append(best[f].replace_strict(back, default=0, return_dtype=pl.Int8).to_numpy())
    return best["rid"].to_numpy(), np.stack(levels, axis=1)
