"""Per-field comparison levels for record pairs (rapidfuzz cpdist over pair arrays) and hard-rule vetoes."""

from __future__ import annotations

import numpy as np
import polars as pl
from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA, JaroWinkler

__all__ = ["FIELDS", "VETO_RULES", "compare", "pair_frame", "similarity"]

# field -> level names; level 0 is always "null" (no information, weight 0)
FIELDS: dict[str, list[str]] = {
    "name": [
        "null", "exact", "nickname", "fuzzy", "initial", "swapped", "surname_only", "given_only", "different",
        "generation_differs", "org_exact", "org_fuzzy", "org_partial", "org_different", "given_missing", "generation_one_side", "partnership_partial", "couple_vs_single",
    ],
    "category": ["null", "same", "same_kind_other_detail", "different"],
    "dob": ["null", "exact", "transposed", "one_part_differs", "different"],
    "abn": ["null", "exact", "different"],
    "acn": ["null", "exact", "different"],
    "nzbn": ["null", "exact", "different"],
    "tfn": ["null", "exact", "different", "different_unchecked"],
    "ird": ["null", "exact", "different", "different_unchecked"],
    "email": ["null", "exact", "same_local_part", "different"],
    "phone": ["null", "shared", "different"],
    # one field for the whole location: street, postcode and suburb are not independent evidence
    "address": ["null", "exact", "fuzzy", "postcode_and_city", "postcode_or_city", "different"],
    "orgs": ["null", "shared", "disjoint"],
}
# hard rules: a pair breaking one is never merged automatically
VETO_RULES = ["identifier", "entity_kind", "entity_type", "dob", "org_link", "generation"]
# pairs compared at once: both sides' features side by side cost about 1.5 KB a pair, so bound the peak
CHUNK_PAIRS = 250_000

_PAIR_COLS = [
    "practice_id", "kind", "given", "given_canon", "surname", "given_alt", "given_alt_canon", "surname_alt",
    "given_legal", "given_legal_canon", "surname_legal", "org_core_legal", "generation", "couple", "full_name", "org_core",
    "category", "org_category_detail", "org_core_partners", "dob", "abn", "acn", "acn_strict", "abn9", "nzbn", "tfn", "tfn_strict",
    "ird", "ird_strict", "email", "phones", "address", "postcode", "city", "orgs",
]


def _distinct_cpdist(a: pl.Series, b: pl.Series, scorer, null_value: float | int) -> np.ndarray:
    """cpdist over aligned pairs, scored once per distinct non-null (a, b); null_value where a side is null."""
    # pairs repeat their strings ("smith"/"smith" thousands of times): about 1 in 6 non-null pairs is new
    d = pl.DataFrame({"a": a.cast(pl.String), "b": b.cast(pl.String)}).with_row_index("i")
    groups = d.drop_nulls().group_by("a", "b").agg("i")
    s = process.cpdist(groups["a"].to_list(), groups["b"].to_list(), scorer=scorer, workers=-1)
    rows = groups.select("i", s=pl.Series(s)).explode("i")
    out = np.full(d.height, null_value, dtype=np.float64 if isinstance(null_value, float) else np.int64)
    out[rows["i"].to_numpy()] = rows["s"].to_numpy()
    return out


def similarity(a: pl.Series, b: pl.Series, scorer=JaroWinkler.normalized_similarity) -> np.ndarray:
    """Scorer over aligned pairs (0..1); 0 where either side is null."""
    out = _distinct_cpdist(a, b, scorer, 0.0)
    if scorer is not JaroWinkler.normalized_similarity:
        out = out / 100.0
    return out


def pair_frame(std: pl.DataFrame, pairs: pl.DataFrame) -> pl.DataFrame:
    """Left and right features side by side (rid is std's row index, so a gather, no join)."""
    cols = [c for c in _PAIR_COLS if c in std.columns]
    left = std.select(cols)[pairs["rid_l"]]
    right = std.select(cols)[pairs["rid_r"]]
    return pl.concat(
        [pairs.select("rid_l", "rid_r"), left.rename(lambda c: c + "_l"), right.rename(lambda c: c + "_r")],
        how="horizontal",
    )


def _lvl(field: str, name: str) -> int:
    return FIELDS[field].index(name)


def _exact_diff(col: str, strict: str | None = None, unchecked: int = 0) -> pl.Expr:
    """1 equal, 2 different (both strictly valid when `strict` is given), else `unchecked`; 0 when a side is null."""
    l, r = pl.col(col + "_l"), pl.col(col + "_r")
    both_strict = pl.lit(True) if strict is None else pl.col(strict + "_l") & pl.col(strict + "_r")
    return (
        pl.when(l.is_null() | r.is_null()).then(0)
        .when(l == r).then(1)
        .when(both_strict).then(2)
        .otherwise(unchecked)
    )


def _best(p: pl.DataFrame, cols: list[str], scorer=JaroWinkler.normalized_similarity) -> np.ndarray:
    """Best score over every reading of a name (structured field, display name, legal name), both sides."""
    combos = [(a, b) for a in cols for b in cols]
    # one scoring pass over every reading pair: the readings mostly repeat one another
    left = pl.concat([p[a + "_l"].alias("a") for a, _ in combos])
    right = pl.concat([p[b + "_r"].alias("b") for _, b in combos])
    return similarity(left, right, scorer).reshape(len(combos), p.height).max(axis=0, initial=0.0)


def _scores(p: pl.DataFrame) -> pl.DataFrame:
    """String similarities the levels need, as columns beside the pair features."""
    return p.with_columns(
        _sur=pl.Series(_best(p, ["surname", "surname_alt", "surname_legal"])),
        _giv=pl.Series(_best(p, ["given_canon", "given_alt_canon", "given_legal_canon"])),
        _giv_raw=pl.Series(_best(p, ["given", "given_alt", "given_legal"])),
        _swap=pl.Series(
            (similarity(p["given_l"], p["surname_r"]) >= 0.92) & (similarity(p["surname_l"], p["given_r"]) >= 0.92)
        ),
        _ojw=pl.Series(_best(p, ["org_core", "org_core_legal"])),
        _osort=pl.Series(_best(p, ["org_core", "org_core_legal"], fuzz.token_sort_ratio)),
        _oset=pl.Series(_best(p, ["org_core", "org_core_legal"], fuzz.token_set_ratio)),
        _pset=pl.Series(similarity(p["org_core_partners_l"], p["org_core_partners_r"], fuzz.token_set_ratio)),
        # partners' family name: the last word, spelt slightly differently in one system
        _pfam=pl.Series(
            similarity(
                p["org_core_partners_l"].str.split(" ").list.last(), p["org_core_partners_r"].str.split(" ").list.last()
            )
        ),
        _addr=pl.Series(similarity(p["address_l"], p["address_r"], fuzz.token_sort_ratio)),
        _city=pl.Series(similarity(p["city_l"], p["city_r"])),
        # one swapped or mistyped digit in YYYYMMDD ("02-12" for "01-22") is a slip, not another person
        _dob_edits=pl.Series(
            _distinct_cpdist(p["dob_l"].dt.strftime("%Y%m%d"), p["dob_r"].dt.strftime("%Y%m%d"), OSA.distance, 99)
        ),
    )


def _name_levels() -> pl.Expr:
    sur, giv, swap = pl.col("_sur"), pl.col("_giv"), pl.col("_swap")
    org_jw, org_sort, org_set = pl.col("_ojw"), pl.col("_osort"), pl.col("_oset")
    person = (pl.col("kind_l") != "org").fill_null(True) & (pl.col("kind_r") != "org").fill_null(True)
    org = (pl.col("kind_l") == "org") & (pl.col("kind_r") == "org")
    gl, gr = pl.col("given_l"), pl.col("given_r")
    initial_ok = ((gl.str.len_chars() == 1) | (gr.str.len_chars() == 1)) & (gl.str.slice(0, 1) == gr.str.slice(0, 1))
    sur_ok = sur >= 0.92
    # "Jon" / "Jonathan": a short form that is the start of the long one
    gcl, gcr = pl.col("given_canon_l"), pl.col("given_canon_r")
    prefix = (gcl.str.len_chars() >= 3) & (gcr.str.len_chars() >= 3) & (gcl.str.starts_with(gcr) | gcr.str.starts_with(gcl))
    giv_ok = (giv >= 0.88) | prefix.fill_null(False)
    gen_l, gen_r = pl.col("generation_l"), pl.col("generation_r")
    person_level = (
        pl.when(pl.col("surname_l").is_null() | pl.col("surname_r").is_null()).then(0)
        .when(gen_l.is_not_null() & gen_r.is_not_null() & (gen_l != gen_r)).then(_lvl("name", "generation_differs"))
        # "John and Mary Smith" is a joint client, not John alone
        .when((pl.col("couple_l") != pl.col("couple_r")) & sur_ok).then(_lvl("name", "couple_vs_single"))
        # "Sr" on one side only of an otherwise equal name: the same person, or the parent of a namesake
        .when((gen_l.is_null() != gen_r.is_null()) & sur_ok & giv_ok).then(_lvl("name", "generation_one_side"))
        .when((sur == 1.0) & (pl.col("_giv_raw") == 1.0)).then(_lvl("name", "exact"))
        .when((sur == 1.0) & (giv == 1.0)).then(_lvl("name", "nickname"))
        .when(sur_ok & giv_ok).then(_lvl("name", "fuzzy"))
        .when(sur_ok & initial_ok).then(_lvl("name", "initial"))
        .when(sur_ok & (gl.is_null() | gr.is_null())).then(_lvl("name", "given_missing"))
        .when(swap).then(_lvl("name", "swapped"))
        .when(sur_ok).then(_lvl("name", "surname_only"))
        .when(giv_ok).then(_lvl("name", "given_only"))
        .otherwise(_lvl("name", "different"))
    )
    org_level = (
        pl.when(pl.col("org_core_l").is_null() | pl.col("org_core_r").is_null()).then(0)
        .when(org_jw == 1.0).then(_lvl("name", "org_exact"))
        .when((org_jw >= 0.94) | (org_sort >= 0.9)).then(_lvl("name", "org_fuzzy"))
        .when((pl.col("_pset") >= 0.99) | (pl.col("_pfam") >= 0.92)).then(_lvl("name", "partnership_partial"))
        .when(org_set >= 0.99).then(_lvl("name", "org_partial"))
        .otherwise(_lvl("name", "org_different"))
    )
    return pl.when(person).then(person_level).when(org).then(org_level).otherwise(0)


def _address_levels() -> pl.Expr:
    al, ar = pl.col("address_l"), pl.col("address_r")
    pc = (pl.col("postcode_l") == pl.col("postcode_r")).fill_null(False)
    city = (pl.col("_city") >= 0.9).fill_null(False)
    any_l = al.is_not_null() | pl.col("postcode_l").is_not_null() | pl.col("city_l").is_not_null()
    any_r = ar.is_not_null() | pl.col("postcode_r").is_not_null() | pl.col("city_r").is_not_null()
    return (
        pl.when(~any_l | ~any_r).then(0)
        .when((al == ar).fill_null(False)).then(_lvl("address", "exact"))
        .when((pl.col("_addr") >= 0.85) & (pc | city | pl.col("postcode_l").is_null() | pl.col("postcode_r").is_null()))
        .then(_lvl("address", "fuzzy"))
        .when(pc & city).then(_lvl("address", "postcode_and_city"))
        .when(pc | city).then(_lvl("address", "postcode_or_city"))
        .otherwise(_lvl("address", "different"))
    )


def _dob_levels() -> pl.Expr:
    l, r = pl.col("dob_l"), pl.col("dob_r")
    same = (l.dt.year() == r.dt.year()).cast(pl.Int8) + (l.dt.month() == r.dt.month()).cast(pl.Int8) + (
        l.dt.day() == r.dt.day()
    ).cast(pl.Int8)
    transposed = (l.dt.year() == r.dt.year()) & (l.dt.month() == r.dt.day()) & (l.dt.day() == r.dt.month())
    return (
        pl.when(l.is_null() | r.is_null()).then(0)
        .when(l == r).then(1)
        .when(transposed).then(2)
        .when((same == 2) | (pl.col("_dob_edits") <= 1)).then(3)
        .otherwise(4)
    )


def compare(std: pl.DataFrame, pairs: pl.DataFrame) -> pl.DataFrame:
    """(practice_id, rid_l, rid_r, one Int8 level column per FIELDS key, veto)."""
    if pairs.height > CHUNK_PAIRS:  # every level is per pair, so chunks concatenate to the same frame
        return pl.concat([compare(std, pairs.slice(i, CHUNK_PAIRS)) for i in range(0, pairs.height, CHUNK_PAIRS)])
    p = _scores(pair_frame(std, pairs))
    email_local_l = pl.col("email_l").str.split("@").list.first()
    email_local_r = pl.col("email_r").str.split("@").list.first()
    shared_phone = pl.col("phones_l").list.set_intersection(pl.col("phones_r")).list.len() > 0
    shared_org = pl.col("orgs_l").list.set_intersection(pl.col("orgs_r")).list.len() > 0
    org_cat = (pl.col("kind_l") == "org") & (pl.col("kind_r") == "org")
    det_l, det_r = pl.col("org_category_detail_l"), pl.col("org_category_detail_r")
    acn_eq = (
        (pl.col("acn_l") == pl.col("acn_r")) | (pl.col("acn_l") == pl.col("abn9_r")) | (pl.col("abn9_l") == pl.col("acn_r"))
    ).fill_null(False)
    levels = {
        "name": _name_levels(),
        "category": pl.when(~org_cat | pl.col("category_l").is_null() | pl.col("category_r").is_null()).then(0)
        .when((pl.col("category_l") == pl.col("category_r")) & (det_l.is_null() | det_r.is_null() | (det_l == det_r)))
        .then(1)
        .when(pl.col("category_l") == pl.col("category_r")).then(2)
        .otherwise(3),
        "dob": _dob_levels(),
        "abn": _exact_diff("abn"),
        "acn": pl.when(acn_eq).then(1).otherwise(_exact_diff("acn", "acn_strict")),
        "nzbn": _exact_diff("nzbn"),
        "tfn": _exact_diff("tfn", "tfn_strict", 3),
        "ird": _exact_diff("ird", "ird_strict", 3),
        "email": pl.when(pl.col("email_l").is_null() | pl.col("email_r").is_null()).then(0)
        .when(pl.col("email_l") == pl.col("email_r")).then(1)
        .when(email_local_l == email_local_r).then(2)
        .otherwise(3),
        "phone": pl.when((pl.col("phones_l").list.len() == 0) | (pl.col("phones_r").list.len() == 0)).then(0)
        .when(shared_phone).then(1)
        .otherwise(2),
        "address": _address_levels(),
        "orgs": pl.when(pl.col("orgs_l").is_null() | pl.col("orgs_r").is_null()).then(0)
        .when(pl.col("orgs_l").list.len().eq(0) | pl.col("orgs_r").list.len().eq(0)).then(0)
        .when(shared_org).then(1)
        .otherwise(2),
    }
    out = p.select(
        pl.col("practice_id_l").alias("practice_id"), "rid_l", "rid_r",
        *[e.fill_null(0).cast(pl.Int8).alias(f) for f, e in levels.items()],
        _kind_conflict=(pl.col("kind_l") != pl.col("kind_r")).fill_null(False),
        _gen_conflict=(pl.col("generation_l") != pl.col("generation_r")).fill_null(False),
    )
    return out.with_columns(veto=veto_expr()).drop("_kind_conflict", "_gen_conflict")


def veto_expr() -> pl.Expr:
    """Comma-joined names of the hard rules a compared pair breaks (null when none)."""
    ident = pl.lit(False)
    for f in ("abn", "acn", "nzbn", "tfn", "ird"):
        ident = ident | (pl.col(f) == _lvl(f, "different"))
    rules = {
        "identifier": ident,
        "entity_kind": pl.col("_kind_conflict"),
        # a family trust and a unit trust (or a trust and its trustee company) are two clients
        "entity_type": pl.col("category") >= _lvl("category", "same_kind_other_detail"),
        "dob": pl.col("dob") >= _lvl("dob", "one_part_differs"),
        "org_link": pl.col("orgs") == _lvl("orgs", "disjoint"),
        "generation": pl.col("_gen_conflict"),
    }
    parts = [pl.when(cond).then(pl.lit(name)) for name, cond in rules.items()]
    joined = pl.concat_str(parts, separator=",", ignore_nulls=True)
    return pl.when(joined.str.len_chars() > 0).then(joined).otherwise(None)
