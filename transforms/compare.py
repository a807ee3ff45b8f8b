"""Per-field comparison levels for record pairs (rapidfuzz cpdist over distinct string pairs) and the hard vetoes."""

from __future__ import annotations

import numpy as np
import polars as pl
from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA, JaroWinkler

from transforms.nicknames import related

__all__ = ["FIELDS", "VETO_RULES", "ID_FIELDS", "compare", "pair_frame", "similarity", "veto_expr"]

# field -> level names; level 0 is always "null" (no information, weight 0)
FIELDS: dict[str, list[str]] = {
    "name": [
        "null", "exact", "nickname", "fuzzy", "initial", "swapped", "surname_only", "given_only", "different",
        "generation_differs", "org_exact", "org_fuzzy", "org_partial", "org_different", "given_missing",
        "generation_one_side", "partnership_partial", "couple_vs_single",
        # an organisation's name with its entity type: "Smith" the family trust and "Smith" the unit trust share
        # a name because they are two entities of one family, so name and type are one field
        "org_exact_other_type", "org_fuzzy_other_type", "org_partial_other_type",
    ],
    "dob": ["null", "exact", "transposed", "year_off", "one_digit", "one_part", "different"],
    # different: both numbers' check digits pass and they differ; different_same_ending: so do they, but end
    # alike (the same number written otherwise, or a slip in its first digits): weighed, never a veto
    "tax_no": ["null", "exact", "different", "different_unchecked", "different_same_ending"],
    "business_no": ["null", "exact", "different", "different_unchecked", "different_same_ending"],
    "company_no": ["null", "exact", "different", "different_unchecked", "different_same_ending"],
    "other_no": ["null", "exact", "different", "different_unchecked", "different_same_ending"],
    "email": ["null", "exact", "same_local_part", "fuzzy", "same_own_domain", "different"],
    # a landline is a household's, a mobile one person's: two fields
    "phone": ["null", "shared", "different"],
    "mobile": ["null", "shared", "different"],
    # one field for the whole location: street, postal address, postcode and suburb are not independent evidence
    "address": ["null", "exact", "fuzzy", "postcode_and_city", "postcode_or_city", "different"],
    "orgs": ["null", "shared", "disjoint"],
    "contacts": ["null", "shared", "disjoint"],
    "groups": ["null", "shared", "disjoint"],
    "manager": ["null", "same", "different"],
    "source": ["null", "same", "different"],
    # for an exact name: does any one system hold two records of that name (two clients, or a duplicate)?
    "name_count": ["null", "once_per_system", "repeated_in_a_system"],
}
ID_FIELDS = ["tax_no", "business_no", "company_no", "other_no"]
# hard rules: a pair breaking one is never merged automatically ("related" is added by the matcher,
# from the source systems' own relationship records)
VETO_RULES = ["identifier", "entity_kind", "entity_type", "dob", "org_link", "generation", "related"]
# pairs compared at once: both sides' features side by side cost about 2 KB a pair, so bound the peak
CHUNK_PAIRS = 250_000

_PAIR_COLS = [
    "practice_id", "source", "kind", "given", "surname", "given_alt", "surname_alt", "given_legal", "surname_legal",
    "org_core_legal", "generation", "couple", "org_core", "category", "org_category_detail", "org_core_partners", "dob",
    *ID_FIELDS, *[f"{f}_{x}" for f in ID_FIELDS for x in ("checked", "ending", "kind")], "abn9", "acn", "email", "emails", "email_domain", "landlines", "mobiles", "address", "postal", "postcode",
    "postal_postcode", "city", "postal_city", "orgs", "contact_emails", "contact_phones", "contact_names", "groups", "manager",
    "name_in_source",
]
_READINGS = (("given", "surname"), ("given_alt", "surname_alt"), ("given_legal", "surname_legal"))


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


def _best(p: pl.DataFrame, cols: list[str], scorer=JaroWinkler.normalized_similarity) -> np.ndarray:
    """Best score over every reading of a name (structured field, display name, legal name), both sides."""
    combos = [(a, b) for a in cols for b in cols]
    # one scoring pass over every reading pair: the readings mostly repeat one another
    left = pl.concat([p[a + "_l"].alias("a") for a, _ in combos])
    right = pl.concat([p[b + "_r"].alias("b") for _, b in combos])
    return similarity(left, right, scorer).reshape(len(combos), p.height).max(axis=0, initial=0.0)


def _nickname(p: pl.DataFrame) -> np.ndarray:
    """Any reading's given names related through the nickname list, or one a 2+ letter start of the other (Kat, Katherine)."""
    cols = [g for g, _ in _READINGS]
    combos = [(a, b) for a in cols for b in cols]
    left = pl.concat([p[a + "_l"].alias("a") for a, _ in combos])
    right = pl.concat([p[b + "_r"].alias("b") for _, b in combos])
    short = pl.DataFrame({"a": left, "b": right}).select(
        ((pl.col("a").str.len_chars() >= 2) & (pl.col("b").str.len_chars() >= 2)
         & (pl.col("a").str.starts_with(pl.col("b")) | pl.col("b").str.starts_with(pl.col("a")))).fill_null(False)
    ).to_series().to_numpy()  # fmt: skip
    return (related(left, right) | short).reshape(len(combos), p.height).any(axis=0)


def _any_shared(lists: list[str]) -> pl.Expr:
    """Do the two sides share an element of any of the list columns (contacts: emails, phones, names)?"""
    return pl.any_horizontal([pl.col(f"{c}_l").list.set_intersection(pl.col(f"{c}_r")).list.len() > 0 for c in lists])


def _scores(p: pl.DataFrame) -> pl.DataFrame:
    """String similarities the levels need, as columns beside the pair features."""
    ymd = lambda side: p[f"dob_{side}"].dt.strftime("%Y%m%d")  # noqa: E731
    addr_pairs = [("address", "address"), ("address", "postal"), ("postal", "address"), ("postal", "postal")]
    addr = np.stack([similarity(p[f"{a}_l"], p[f"{b}_r"], fuzz.token_sort_ratio) for a, b in addr_pairs]).max(axis=0)
    return p.with_columns(
        _sur=pl.Series(_best(p, [s for _, s in _READINGS])),
        _giv=pl.Series(_best(p, [g for g, _ in _READINGS])),
        _nick=pl.Series(_nickname(p)),
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
        _addr=pl.Series(addr),
        _city=pl.Series(np.maximum(similarity(p["city_l"], p["city_r"]), similarity(p["postal_city_l"], p["postal_city_r"]))),
        # one swapped or mistyped digit in YYYYMMDD ("02-12" for "01-22") is a slip, not another person
        _dob_edits=pl.Series(_distinct_cpdist(ymd("l"), ymd("r"), OSA.distance, 99)),
        _email_edits=pl.Series(_distinct_cpdist(p["email_l"], p["email_r"], OSA.distance, 99)),
    )


def _name_levels() -> pl.Expr:
    sur, giv, swap = pl.col("_sur"), pl.col("_giv"), pl.col("_swap")
    org_jw, org_sort, org_set = pl.col("_ojw"), pl.col("_osort"), pl.col("_oset")
    person = (pl.col("kind_l") != "org").fill_null(True) & (pl.col("kind_r") != "org").fill_null(True)
    org = (pl.col("kind_l") == "org") & (pl.col("kind_r") == "org")
    gl, gr = pl.col("given_l"), pl.col("given_r")
    initial_ok = ((gl.str.len_chars() == 1) | (gr.str.len_chars() == 1)) & (gl.str.slice(0, 1) == gr.str.slice(0, 1))
    sur_ok = sur >= 0.92
    giv_ok = (giv >= 0.88) | pl.col("_nick")
    gen_l, gen_r = pl.col("generation_l"), pl.col("generation_r")
    person_level = (
        pl.when(pl.col("surname_l").is_null() | pl.col("surname_r").is_null()).then(0)
        .when(gen_l.is_not_null() & gen_r.is_not_null() & (gen_l != gen_r)).then(_lvl("name", "generation_differs"))
        # "John and Mary Smith" is a joint client, not John alone
        .when((pl.col("couple_l") != pl.col("couple_r")) & sur_ok).then(_lvl("name", "couple_vs_single"))
        # "Sr" on one side only of an otherwise equal name: the same person, or the parent of a namesake
        .when((gen_l.is_null() != gen_r.is_null()) & sur_ok & giv_ok).then(_lvl("name", "generation_one_side"))
        .when((sur == 1.0) & (giv == 1.0)).then(_lvl("name", "exact"))
        .when(sur_ok & pl.col("_nick") & (giv < 0.88)).then(_lvl("name", "nickname"))
        .when(sur_ok & giv_ok).then(_lvl("name", "fuzzy"))
        .when(sur_ok & initial_ok).then(_lvl("name", "initial"))
        .when(sur_ok & (gl.is_null() | gr.is_null())).then(_lvl("name", "given_missing"))
        .when(swap).then(_lvl("name", "swapped"))
        .when(sur_ok).then(_lvl("name", "surname_only"))
        .when(giv_ok).then(_lvl("name", "given_only"))
        .otherwise(_lvl("name", "different"))
    )
    other_type = pl.col("_category") >= 2
    org_level = (
        pl.when(pl.col("org_core_l").is_null() | pl.col("org_core_r").is_null()).then(0)
        .when((org_jw == 1.0) & other_type).then(_lvl("name", "org_exact_other_type"))
        .when(org_jw == 1.0).then(_lvl("name", "org_exact"))
        .when(((org_jw >= 0.94) | (org_sort >= 0.9)) & other_type).then(_lvl("name", "org_fuzzy_other_type"))
        .when((org_jw >= 0.94) | (org_sort >= 0.9)).then(_lvl("name", "org_fuzzy"))
        .when((pl.col("_pset") >= 0.99) | (pl.col("_pfam") >= 0.92)).then(_lvl("name", "partnership_partial"))
        .when((org_set >= 0.99) & other_type).then(_lvl("name", "org_partial_other_type"))
        .when(org_set >= 0.99).then(_lvl("name", "org_partial"))
        .otherwise(_lvl("name", "org_different"))
    )
    return pl.when(person).then(person_level).when(org).then(org_level).otherwise(0)


def _address_levels() -> pl.Expr:
    sides = [("address", "postcode", "city"), ("postal", "postal_postcode", "postal_city")]
    exact = pl.any_horizontal([(pl.col(f"{a}_l") == pl.col(f"{b}_r")).fill_null(False) for a, *_ in sides for b, *_ in sides])
    pc = pl.any_horizontal(
        [(pl.col(f"{a}_l") == pl.col(f"{b}_r")).fill_null(False) for _, a, _ in sides for _, b, _ in sides]
    )
    city = (pl.col("_city") >= 0.9).fill_null(False)
    any_of = lambda side: pl.any_horizontal([pl.col(f"{c}_{side}").is_not_null() for s in sides for c in s])  # noqa: E731
    no_pc = pl.all_horizontal([pl.col(f"{c}_{s}").is_null() for s in ("l", "r") for c in ("postcode", "postal_postcode")])
    return (
        pl.when(~any_of("l") | ~any_of("r")).then(0)
        .when(exact).then(_lvl("address", "exact"))
        .when((pl.col("_addr") >= 0.85) & (pc | city | no_pc)).then(_lvl("address", "fuzzy"))
        .when(pc & city).then(_lvl("address", "postcode_and_city"))
        .when(pc | city).then(_lvl("address", "postcode_or_city"))
        .otherwise(_lvl("address", "different"))
    )


def _dob_levels() -> pl.Expr:
    l, r = pl.col("dob_l"), pl.col("dob_r")
    same_y, same_m, same_d = l.dt.year() == r.dt.year(), l.dt.month() == r.dt.month(), l.dt.day() == r.dt.day()
    parts = same_y.cast(pl.Int8) + same_m.cast(pl.Int8) + same_d.cast(pl.Int8)
    transposed = same_y & (l.dt.month() == r.dt.day()) & (l.dt.day() == r.dt.month())
    year_off = same_m & same_d & ((l.dt.year() - r.dt.year()).abs() == 1)
    return (
        pl.when(l.is_null() | r.is_null()).then(0)
        .when(l == r).then(_lvl("dob", "exact"))
        .when(transposed).then(_lvl("dob", "transposed"))
        .when(year_off).then(_lvl("dob", "year_off"))
        .when(pl.col("_dob_edits") <= 1).then(_lvl("dob", "one_digit"))
        .when(parts == 2).then(_lvl("dob", "one_part"))
        .otherwise(_lvl("dob", "different"))
    )


def _id_level(f: str) -> pl.Expr:
    """exact; different when both numbers' check digits pass (same kind); else different_unchecked; null if a side has none."""
    l, r = pl.col(f + "_l"), pl.col(f + "_r")
    same_kind = pl.col(f + "_kind_l") == pl.col(f + "_kind_r")
    checked = pl.col(f + "_checked_l").fill_null(False) & pl.col(f + "_checked_r").fill_null(False)
    same_end = (pl.col(f + "_ending_l") == pl.col(f + "_ending_r")).fill_null(False)
    out = (
        pl.when(l.is_null() | r.is_null()).then(0)
        .when(l == r).then(1)
        .when(same_kind & checked & same_end).then(4)
        .when(same_kind & checked).then(2)
        .otherwise(3)
    )
    if f == "company_no":  # a company's ABN embeds its ACN: one system's ACN equals the other's ABN digits
        embeds = ((pl.col("acn_l") == pl.col("abn9_r")) | (pl.col("abn9_l") == pl.col("acn_r"))).fill_null(False)
        out = pl.when(embeds).then(1).otherwise(out)
    return out


def _list_level(col: str, lists: list[str] | None = None) -> pl.Expr:
    cols = lists or [col]
    empty = lambda side: pl.all_horizontal([pl.col(f"{c}_{side}").list.len().fill_null(0) == 0 for c in cols])  # noqa: E731
    return pl.when(empty("l") | empty("r")).then(0).when(_any_shared(cols)).then(1).otherwise(2)


def compare(std: pl.DataFrame, pairs: pl.DataFrame) -> pl.DataFrame:
    """(practice_id, rid_l, rid_r, one Int8 level column per FIELDS key, veto)."""
    if pairs.height > CHUNK_PAIRS:  # every level is per pair, so chunks concatenate to the same frame
        return pl.concat([compare(std, pairs.slice(i, CHUNK_PAIRS)) for i in range(0, pairs.height, CHUNK_PAIRS)])
    p = _scores(pair_frame(std, pairs))
    el, er = pl.col("email_l"), pl.col("email_r")
    org_cat = (pl.col("kind_l") == "org") & (pl.col("kind_r") == "org")
    det_l, det_r = pl.col("org_category_detail_l"), pl.col("org_category_detail_r")
    # entity type of two organisations: 1 same (or detail unknown), 2 same kind other detail (family / unit trust), 3 other
    p = p.with_columns(
        _category=pl.when(~org_cat | pl.col("category_l").is_null() | pl.col("category_r").is_null()).then(0)
        .when((pl.col("category_l") == pl.col("category_r")) & (det_l.is_null() | det_r.is_null() | (det_l == det_r)))
        .then(1)
        .when(pl.col("category_l") == pl.col("category_r")).then(2)
        .otherwise(3)
    )
    p = p.with_columns(_name=_name_levels())
    p = p.with_columns(_name_exact=pl.col("_name").is_in([_lvl("name", x) for x in ("exact", "org_exact", "org_exact_other_type")]))
    same_source = (pl.col("source_l") == pl.col("source_r")).cast(pl.Int32)
    levels = {
        "name": pl.col("_name"),
        "dob": _dob_levels(),
        **{f: _id_level(f) for f in ID_FIELDS},
        "email": pl.when(_list_level("emails") == 1).then(1)
        .when(el.is_null() | er.is_null()).then(_list_level("emails").replace(2, 5))
        .when(el.str.split("@").list.first() == er.str.split("@").list.first()).then(2)
        .when(pl.col("_email_edits") <= 1).then(3)
        .when((pl.col("email_domain_l") == pl.col("email_domain_r")).fill_null(False)).then(4)
        .otherwise(5),
        "phone": _list_level("landlines"),
        "mobile": _list_level("mobiles"),
        "address": _address_levels(),
        "orgs": _list_level("orgs"),
        "contacts": _list_level("contact_names"),
        "groups": _list_level("groups"),
        "manager": pl.when(pl.col("manager_l").is_null() | pl.col("manager_r").is_null()).then(0)
        .when(pl.col("manager_l") == pl.col("manager_r")).then(1)
        .otherwise(2),
        "source": pl.when(pl.col("source_l") == pl.col("source_r")).then(1).otherwise(2),
        # a third record of the name in either record's system (the pair itself does not count)
        "name_count": pl.when(~pl.col("_name_exact")).then(0)
        .when((pl.col("name_in_source_l") - 1 - same_source > 0) | (pl.col("name_in_source_r") - 1 - same_source > 0)).then(2)
        .otherwise(1),
    }
    out = p.select(
        pl.col("practice_id_l").alias("practice_id"), "rid_l", "rid_r",
        *[e.fill_null(0).cast(pl.Int8).alias(f) for f, e in levels.items()],
        _kind_conflict=(pl.col("kind_l") != pl.col("kind_r")).fill_null(False),
        _type_conflict=pl.col("_category") >= 2,
        _gen_conflict=(pl.col("generation_l") != pl.col("generation_r")).fill_null(False),
    )
    return out.with_columns(veto=veto_expr()).drop("_kind_conflict", "_type_conflict", "_gen_conflict")


def veto_expr() -> pl.Expr:
    """Comma-joined names of the hard rules a compared pair breaks (null when none)."""
    ident = pl.lit(False)
    for f in ID_FIELDS:
        ident = ident | (pl.col(f) == _lvl(f, "different"))
    # a tax number is one person's; a business number may be a family's (parent and child in one business)
    same_number = pl.col("tax_no") == _lvl("tax_no", "exact")
    rules = {
        # two numbers of one kind whose check digits both pass: two registrations, two clients
        "identifier": ident,
        "entity_kind": pl.col("_kind_conflict"),
        # a family trust and a unit trust (or a trust and its trustee company) are two clients
        "entity_type": pl.col("_type_conflict"),
        # birthdays that differ by more than one slip of the keyboard, unless the two share a tax number
        # (then the birthday is the keying error, and the model weighs it)
        "dob": (pl.col("dob") == _lvl("dob", "different")) & ~same_number,
        "org_link": pl.col("orgs") == _lvl("orgs", "disjoint"),
        "generation": pl.col("_gen_conflict"),
    }
    parts = [pl.when(cond).then(pl.lit(name)) for name, cond in rules.items()]
    joined = pl.concat_str(parts, separator=",", ignore_nulls=True)
    return pl.when(joined.str.len_chars() > 0).then(joined).otherwise(None)
