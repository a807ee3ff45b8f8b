"""Per-field comparison levels for record pairs and the hard vetoes: numpy over coded features, strings scored once per distinct pair."""

from __future__ import annotations

import numpy as np
import polars as pl
from rapidfuzz import fuzz
from rapidfuzz.distance import OSA, JaroWinkler

from transforms.coded import Sets, Strings, eq, hashed
from transforms.linked import ID_FIELDS
from transforms.nicknames import related

__all__ = ["FIELDS", "VETO_RULES", "ID_FIELDS", "Features", "common_dobs", "compare"]

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
    # exact_common: the same birthday, but one many records carry (a placeholder, a clamp, a default): weak
    "dob": ["null", "exact", "transposed", "year_off", "one_digit", "one_part", "different", "exact_common"],
    # different: both numbers' check digits pass and they differ; different_same_ending: so do they, but end
    # alike (the same number written otherwise, or a slip in its first digits): weighed, never a veto;
    # one_slip: one number is the other with a digit keyed wrongly or two neighbours swapped (one's check
    # digits fail, or neither kind has any), or both are such slips of one valid number: weighed, never a veto
    "tax_no": ["null", "exact", "different", "different_unchecked", "different_same_ending", "one_slip"],
    "business_no": ["null", "exact", "different", "different_unchecked", "different_same_ending", "one_slip"],
    "company_no": ["null", "exact", "different", "different_unchecked", "different_same_ending", "one_slip"],
    "other_no": ["null", "exact", "different", "different_unchecked", "different_same_ending", "one_slip"],
    "email": ["null", "exact", "same_local_part", "fuzzy", "same_own_domain", "different"],
    # a landline is a household's, a mobile one person's: two fields
    "phone": ["null", "shared", "different"],
    "mobile": ["null", "shared", "different"],
    # one field for the whole location: street, postal address, postcode and suburb are not independent evidence
    "address": ["null", "exact", "fuzzy", "postcode_and_city", "postcode_or_city", "different"],
    "orgs": ["null", "shared", "disjoint"],
    "contacts": ["null", "shared", "disjoint"],
    "groups": ["null", "shared", "disjoint"],
    # a person's middle names: "same" a shared middle name, "initial" a shared initial where one side has only the
    # initial ("Oliver J Cook", "Oliver James Cook"), "different" both known and neither
    "middle": ["null", "same", "initial", "different"],
    "manager": ["null", "same", "different"],
    "source": ["null", "same", "different"],
    # for an exact name: does any one system hold two records of that name (two clients, or a duplicate)?
    "name_count": ["null", "once_per_system", "repeated_in_a_system"],
}
# hard rules: a pair breaking one is never merged automatically ("related" is added by the matcher,
# from the source systems' own relationship records)
VETO_RULES = ["identifier", "entity_kind", "entity_type", "dob", "org_link", "generation", "related"]
# pairs compared at once: each costs some hundred bytes of levels and scores, so bound the peak
CHUNK_PAIRS = 250_000

_READINGS = (("given", "surname"), ("given_alt", "surname_alt"), ("given_legal", "surname_legal"))
_GIVEN, _SURNAME = [g for g, _ in _READINGS], [s for _, s in _READINGS]
_LISTS = {"emails": "emails", "phone": "landlines", "mobile": "mobiles", "orgs": "orgs", "contacts": "contact_names", "groups": "groups"}


def _lvl(field: str, name: str) -> int:
    return FIELDS[field].index(name)


class Features:
    """One call's records as numbers: string families as codes, list columns as sets, the rest as arrays (by rid)."""

    def __init__(self, std: pl.DataFrame, common_dobs: list[str] | None = None):
        col = std.get_column
        self.practice = col("practice_id")
        self.n = std.height
        num = std.select(
            kind=pl.col("kind").replace_strict({"person": 1, "org": 2}, default=0, return_dtype=pl.Int8).fill_null(0),
            couple=pl.col("couple").fill_null(False),
            given_len=pl.col("given").str.len_chars().fill_null(-1).cast(pl.Int64),
            dob=pl.col("dob").cast(pl.Int64).fill_null(np.iinfo(np.int64).min),
            dob_known=pl.col("dob").is_not_null(),
            dob_common=pl.col("dob").cast(pl.String).is_in(common_dobs or []).fill_null(False),
            y=pl.col("dob").dt.year().fill_null(0).cast(pl.Int64),
            m=pl.col("dob").dt.month().fill_null(0).cast(pl.Int64),
            d=pl.col("dob").dt.day().fill_null(0).cast(pl.Int64),
            name_in_source=pl.col("name_in_source").fill_null(0).cast(pl.Int64),
            **{f"{f}_checked": pl.col(f"{f}_checked").fill_null(False) for f in ID_FIELDS},
        )
        self.num = {c: num[c].to_numpy() for c in num.columns}
        self.dob = col("dob")
        # one dictionary for every scored string column: a pair's two strings are scored once, whichever columns
        # they come from
        strings = Strings({
            **{c: col(c) for c in (*_GIVEN, *_SURNAME, "org_core", "org_core_legal", "address", "postal", "city", "postal_city", "email")},
            "partners": col("org_core_partners"), "partners_last": col("org_core_partners").str.split(" ").list.last(),
        })  # fmt: skip
        self.names = self.orgs = self.partners = self.address = self.city = self.email = strings
        self.postcode = hashed({c: col(c) for c in ("postcode", "postal_postcode")})
        # columns compared for equality only, as hashes
        self.plain = hashed({
            "initial": col("given").str.slice(0, 1), "generation": col("generation"), "category": col("category"),
            "detail": col("org_category_detail"), "local": col("email").str.split("@").list.first(),
            "domain": col("email_domain"), "manager": col("manager"), "source": col("source"),
            **{f"{f}_{x}": col(f"{f}_{x}") for f in ID_FIELDS for x in ("kind", "ending")},
            **{f: col(f) for f in ID_FIELDS}, "acn": col("acn"), "abn9": col("abn9"),
        })  # fmt: skip
        self.ids = self.plain
        self.sets = {f: Sets(col(c)) for f, c in _LISTS.items()}
        middles = col("middles").fill_null([])
        self.sets["middle"] = Sets(middles.list.eval(pl.element().filter(pl.element().str.len_chars() >= 2)))
        self.sets["middle_initial"] = Sets(middles.list.eval(pl.element().str.slice(0, 1)))
        self.num["middle_initial_only"] = middles.list.eval(pl.element().str.len_chars() == 1).list.any().fill_null(False).to_numpy()
        self.near = {f: Sets(col(f"{f}_near")) for f in ID_FIELDS}


COMMON_DOB_SHARE = 0.002  # a birthday more than this share of dated records carry is a placeholder, not a birthday
COMMON_DOB_MIN = 20  # ... and at least this many records (a small sample says nothing)


def common_dobs(std: pl.DataFrame) -> list[str]:
    """Birthdays (ISO dates) that far more records carry than any real birthday is shared: defaults, clamps, placeholders.

    Counted on the sample a model is fitted on and stored with it, so every chunk reads them alike.
    """
    dated = std.select(pl.col("dob").cast(pl.String)).drop_nulls()
    floor = max(COMMON_DOB_MIN, COMMON_DOB_SHARE * dated.height)
    return sorted(dated.group_by("dob").len().filter(pl.col("len") >= floor)["dob"].to_list())


def _max(scores: np.ndarray) -> np.ndarray:
    return scores.max(axis=0, initial=0.0)


def _nickname(f: Features, l: np.ndarray, r: np.ndarray) -> np.ndarray:
    """Any reading's given names related through the nickname list, or one a 2+ letter start of the other (Kat, Katherine)."""
    codes = f.names.codes
    combos = [(codes[a][l], codes[b][r]) for a in _GIVEN for b in _GIVEN]
    known, left, right, inverse = f.names.distinct(combos)
    a, b = pl.Series(left, dtype=pl.String), pl.Series(right, dtype=pl.String)
    short = pl.DataFrame({"a": a, "b": b}).select(
        (pl.col("a").str.len_chars() >= 2) & (pl.col("b").str.len_chars() >= 2)
        & (pl.col("a").str.starts_with(pl.col("b")) | pl.col("b").str.starts_with(pl.col("a")))
    ).to_series().to_numpy()  # fmt: skip
    hit = np.zeros(len(known), dtype=bool)
    hit[known] = (related(a, b) | short)[inverse]
    return hit.reshape(len(combos), len(l)).any(axis=0)


def _name_level(f: Features, l: np.ndarray, r: np.ndarray, category: np.ndarray) -> np.ndarray:
    """Person levels for two people's names, organisation levels for two organisations' (with their types), else null."""
    n = len(l)
    kind_l, kind_r = f.num["kind"][l], f.num["kind"][r]
    codes, plain = f.names.codes, f.plain
    person = (kind_l != 2) & (kind_r != 2) & (codes["surname"][l] >= 0) & (codes["surname"][r] >= 0)
    org = (kind_l == 2) & (kind_r == 2) & (f.orgs["org_core"][l] >= 0) & (f.orgs["org_core"][r] >= 0)
    out = np.zeros(n, dtype=np.int8)
    p = np.flatnonzero(person)
    if len(p):
        pl_, pr = l[p], r[p]
        jw = JaroWinkler.normalized_similarity
        sur = _max(f.names.scores([(codes[a][pl_], codes[b][pr]) for a in _SURNAME for b in _SURNAME], jw))
        giv = _max(f.names.scores([(codes[a][pl_], codes[b][pr]) for a in _GIVEN for b in _GIVEN], jw))
        crossed = f.names.scores([(codes["given"][pl_], codes["surname"][pr]), (codes["surname"][pl_], codes["given"][pr])], jw)
        swap = (crossed[0] >= 0.92) & (crossed[1] >= 0.92)
        # a nickname counts only where the given names are not close already (elsewhere no level reads it)
        nick = np.zeros(len(p), dtype=bool)
        far = np.flatnonzero(giv < 0.88)
        if len(far):
            nick[far] = _nickname(f, pl_[far], pr[far])
        gl_known, gr_known = codes["given"][pl_] >= 0, codes["given"][pr] >= 0
        initial_ok = gl_known & gr_known & ((f.num["given_len"][pl_] == 1) | (f.num["given_len"][pr] == 1))
        initial_ok &= eq(plain["initial"][pl_], plain["initial"][pr])
        sur_ok, giv_ok = sur >= 0.92, (giv >= 0.88) | nick
        gen_l, gen_r = plain["generation"][pl_], plain["generation"][pr]
        choices = [
            ((gen_l != 0) & (gen_r != 0) & (gen_l != gen_r), "generation_differs"),
            # "John and Mary Smith" is a joint client, not John alone
            ((f.num["couple"][pl_] != f.num["couple"][pr]) & sur_ok, "couple_vs_single"),
            # "Sr" on one side only of an otherwise equal name: the same person, or the parent of a namesake
            (((gen_l == 0) != (gen_r == 0)) & sur_ok & giv_ok, "generation_one_side"),
            ((sur == 1.0) & (giv == 1.0), "exact"),
            (sur_ok & nick & (giv < 0.88), "nickname"),
            (sur_ok & giv_ok, "fuzzy"),
            (sur_ok & initial_ok, "initial"),
            (sur_ok & ~(gl_known & gr_known), "given_missing"),
            (swap, "swapped"),
            (sur_ok, "surname_only"),
            (giv_ok, "given_only"),
        ]
        out[p] = np.select([c for c, _ in choices], [_lvl("name", x) for _, x in choices], _lvl("name", "different"))
    o = np.flatnonzero(org)
    if len(o):
        ol, orr = l[o], r[o]
        combos = [(f.orgs[a][ol], f.orgs[b][orr]) for a in ("org_core", "org_core_legal") for b in ("org_core", "org_core_legal")]
        jw = _max(f.orgs.scores(combos, JaroWinkler.normalized_similarity))
        sort = _max(f.orgs.scores(combos, fuzz.token_sort_ratio) / 100.0)
        tset = _max(f.orgs.scores(combos, fuzz.token_set_ratio) / 100.0)
        pset = f.partners.scores([(f.partners["partners"][ol], f.partners["partners"][orr])], fuzz.token_set_ratio)[0] / 100.0
        # partners' family name: the last word, spelt slightly differently in one system
        pfam = f.partners.scores([(f.partners["partners_last"][ol], f.partners["partners_last"][orr])], JaroWinkler.normalized_similarity)[0]
        other_type = category[o] >= 2
        close = (jw >= 0.94) | (sort >= 0.9)
        choices = [
            ((jw == 1.0) & other_type, "org_exact_other_type"),
            (jw == 1.0, "org_exact"),
            (close & other_type, "org_fuzzy_other_type"),
            (close, "org_fuzzy"),
            ((pset >= 0.99) | (pfam >= 0.92), "partnership_partial"),
            ((tset >= 0.99) & other_type, "org_partial_other_type"),
            (tset >= 0.99, "org_partial"),
        ]
        out[o] = np.select([c for c, _ in choices], [_lvl("name", x) for _, x in choices], _lvl("name", "org_different"))
    return out


def _category(f: Features, l: np.ndarray, r: np.ndarray) -> np.ndarray:
    """Entity type of two organisations: 0 unknown, 1 same (or detail unknown), 2 same kind other detail (family / unit trust), 3 other."""
    cat_l, cat_r, det_l, det_r = f.plain["category"][l], f.plain["category"][r], f.plain["detail"][l], f.plain["detail"][r]
    org = (f.num["kind"][l] == 2) & (f.num["kind"][r] == 2)
    same = cat_l == cat_r
    return np.select(
        [~org | (cat_l == 0) | (cat_r == 0), same & ((det_l == 0) | (det_r == 0) | (det_l == det_r)), same], [0, 1, 2], 3
    ).astype(np.int8)


def _dob_level(f: Features, l: np.ndarray, r: np.ndarray) -> np.ndarray:
    num = f.num
    known = num["dob_known"][l] & num["dob_known"][r]
    same = known & (num["dob"][l] == num["dob"][r])
    yl, ml, dl, yr, mr, dr = num["y"][l], num["m"][l], num["d"][l], num["y"][r], num["m"][r], num["d"][r]
    transposed = (yl == yr) & (ml == dr) & (dl == mr)
    year_off = (ml == mr) & (dl == dr) & (np.abs(yl - yr) == 1)
    parts = (yl == yr).astype(np.int8) + (ml == mr) + (dl == dr)
    # one swapped or mistyped digit in YYYYMMDD ("02-12" for "01-22") is a slip, not another person
    edits = np.full(len(l), 99.0)
    slip = np.flatnonzero(known & ~same)
    if len(slip):
        days = pl.DataFrame({"a": num["dob"][l[slip]], "b": num["dob"][r[slip]]})
        distinct = days.unique()
        text = distinct.select(pl.col(c).cast(pl.Date).dt.strftime("%Y%m%d") for c in ("a", "b"))
        s = Strings({"a": text["a"], "b": text["b"]})
        distinct = distinct.with_columns(e=pl.Series(s.scores([(s["a"], s["b"])], OSA.distance, 99.0)[0]))
        edits[slip] = days.join(distinct, on=["a", "b"], how="left", maintain_order="left")["e"].to_numpy()
    common = same & num["dob_common"][l]
    choices = [(common, "exact_common"), (same, "exact"), (transposed, "transposed"), (year_off, "year_off"), (edits <= 1, "one_digit"), (parts == 2, "one_part")]
    return np.where(known, np.select([c for c, _ in choices], [_lvl("dob", x) for _, x in choices], _lvl("dob", "different")), 0)


def _id_level(f: Features, field: str, l: np.ndarray, r: np.ndarray) -> np.ndarray:
    """exact; one_slip when one is a slip of the other; different when both numbers' check digits pass (same kind);
    else different_unchecked; null if a side has none."""
    a, b = f.ids[field][l], f.ids[field][r]
    same_kind = eq(f.plain[f"{field}_kind"][l], f.plain[f"{field}_kind"][r])
    checked = f.num[f"{field}_checked"][l] & f.num[f"{field}_checked"][r]
    same_end = eq(f.plain[f"{field}_ending"][l], f.plain[f"{field}_ending"][r])
    # two numbers whose check digits pass are never a slip of each other: their sets hold their own hashes only
    slip = f.near[field].shared(l, r) & ~checked
    out = np.select(
        [(a == 0) | (b == 0), a == b, slip, same_kind & checked & same_end, same_kind & checked],
        [0, 1, _lvl(field, "one_slip"), 4, 2], 3,
    )  # fmt: skip
    if field == "company_no":  # a company's ABN embeds its ACN: one system's ACN equals the other's ABN digits
        embeds = eq(f.ids["acn"][l], f.ids["abn9"][r]) | eq(f.ids["abn9"][l], f.ids["acn"][r])
        out = np.where(embeds, 1, out)
    return out


def _list_level(f: Features, field: str, l: np.ndarray, r: np.ndarray) -> np.ndarray:
    s = f.sets[field]
    return np.select([s.empty(l) | s.empty(r), s.shared(l, r)], [0, 1], 2)


def _middle_level(f: Features, l: np.ndarray, r: np.ndarray) -> np.ndarray:
    full, initials, only = f.sets["middle"], f.sets["middle_initial"], f.num["middle_initial_only"]
    empty = initials.empty(l) | initials.empty(r)
    initial = (only[l] | only[r]) & initials.shared(l, r)
    return np.select([empty, full.shared(l, r), initial], [0, 1, 2], 3)


def _email_level(f: Features, l: np.ndarray, r: np.ndarray) -> np.ndarray:
    s, e = f.sets["emails"], f.email["email"]
    shared, empty = s.shared(l, r), s.empty(l) | s.empty(r)
    missing = (e[l] < 0) | (e[r] < 0)
    same_local = eq(f.plain["local"][l], f.plain["local"][r])
    edits = np.full(len(l), 99.0)
    typo = np.flatnonzero(~shared & ~missing & ~same_local)
    if len(typo):
        edits[typo] = f.email.scores([(e[l[typo]], e[r[typo]])], OSA.distance, 99.0)[0]
    return np.select(
        [shared, missing & empty, missing, same_local, edits <= 1, eq(f.plain["domain"][l], f.plain["domain"][r])], [1, 0, 5, 2, 3, 4], 5
    )


def _address_level(f: Features, l: np.ndarray, r: np.ndarray) -> np.ndarray:
    a, pc, city = f.address.codes, f.postcode, f.city.codes
    strings = (a["address"], city["city"], a["postal"], city["postal_city"])
    known = lambda side: np.logical_or.reduce([c[side] >= 0 for c in strings] + [c[side] != 0 for c in pc.values()])  # noqa: E731
    both = known(l) & known(r)
    exact = np.logical_or.reduce([eq(x[l], y[r]) for x in (a["address"], a["postal"]) for y in (a["address"], a["postal"])])
    same_pc = np.logical_or.reduce([eq(x[l], y[r]) for x in pc.values() for y in pc.values()])
    no_pc = np.logical_and.reduce([c[side] == 0 for side in (l, r) for c in pc.values()])
    street, suburb = np.zeros(len(l)), np.zeros(len(l))
    near = np.flatnonzero(both & ~exact)
    if len(near):
        nl, nr = l[near], r[near]
        combos = [(a[x][nl], a[y][nr]) for x in ("address", "postal") for y in ("address", "postal")]
        street[near] = _max(f.address.scores(combos, fuzz.token_sort_ratio) / 100.0)
        suburb[near] = _max(f.city.scores([(city["city"][nl], city["city"][nr]), (city["postal_city"][nl], city["postal_city"][nr])],
                                          JaroWinkler.normalized_similarity))  # fmt: skip
    same_city = suburb >= 0.9
    choices = [(~both, 0), (exact, 1), ((street >= 0.85) & (same_pc | same_city | no_pc), 2), (same_pc & same_city, 3), (same_pc | same_city, 4)]
    return np.select([c for c, _ in choices], [v for _, v in choices], 5)


def _compare(f: Features, l: np.ndarray, r: np.ndarray) -> pl.DataFrame:
    category = _category(f, l, r)
    name = _name_level(f, l, r, category)
    same_source = f.plain["source"][l] == f.plain["source"][r]
    exact_name = np.isin(name, [_lvl("name", x) for x in ("exact", "org_exact", "org_exact_other_type")])
    # a third record of the name in either record's system (the pair itself does not count)
    repeated = (f.num["name_in_source"][l] - 1 - same_source > 0) | (f.num["name_in_source"][r] - 1 - same_source > 0)
    manager_l, manager_r = f.plain["manager"][l], f.plain["manager"][r]
    gen_l, gen_r = f.plain["generation"][l], f.plain["generation"][r]
    kind_l, kind_r = f.num["kind"][l], f.num["kind"][r]
    levels = {
        "name": name,
        "dob": _dob_level(f, l, r),
        **{field: _id_level(f, field, l, r) for field in ID_FIELDS},
        "email": _email_level(f, l, r),
        "phone": _list_level(f, "phone", l, r),
        "mobile": _list_level(f, "mobile", l, r),
        "address": _address_level(f, l, r),
        "orgs": _list_level(f, "orgs", l, r),
        "contacts": _list_level(f, "contacts", l, r),
        "groups": _list_level(f, "groups", l, r),
        "middle": _middle_level(f, l, r),
        "manager": np.select([(manager_l == 0) | (manager_r == 0), manager_l == manager_r], [0, 1], 2),
        "source": np.where(same_source, 1, 2),
        "name_count": np.select([~exact_name, repeated], [0, 2], 1),
    }
    veto = _veto(levels, kind=(kind_l > 0) & (kind_r > 0) & (kind_l != kind_r), type_=category >= 2,
                 generation=(gen_l != 0) & (gen_r != 0) & (gen_l != gen_r))  # fmt: skip
    return pl.DataFrame({
        "practice_id": f.practice.gather(l), "rid_l": l, "rid_r": r,
        **{k: pl.Series(v, dtype=pl.Int8) for k, v in levels.items()}, "veto": veto,
    })  # fmt: skip


def _veto(levels: dict[str, np.ndarray], kind: np.ndarray, type_: np.ndarray, generation: np.ndarray) -> pl.Series:
    """Comma-joined names of the hard rules each pair breaks (null when none)."""
    # a tax number is one person's; a business number may be a family's (parent and child in one business)
    # (one of two numbers a slip of the other is that number keyed wrongly: a stranger's number is never one slip away)
    same_number = np.isin(levels["tax_no"], [_lvl("tax_no", "exact"), _lvl("tax_no", "one_slip")])
    rules = {
        # two numbers of one kind whose check digits both pass: two registrations, two clients
        "identifier": np.logical_or.reduce([levels[f] == _lvl(f, "different") for f in ID_FIELDS]),
        "entity_kind": kind,
        # a family trust and a unit trust (or a trust and its trustee company) are two clients
        "entity_type": type_,
        # birthdays that differ by more than one slip of the keyboard, unless the two share a tax number
        # (then the birthday is the keying error, and the model weighs it)
        "dob": (levels["dob"] == _lvl("dob", "different")) & ~same_number,
        "org_link": levels["orgs"] == _lvl("orgs", "disjoint"),
        "generation": generation,
    }
    bits = sum(cond.astype(np.int64) << i for i, cond in enumerate(rules.values()))
    names = list(rules)
    text = {int(b): ",".join(n for i, n in enumerate(names) if b >> i & 1) or None for b in np.unique(bits)}
    return pl.Series(bits).replace_strict(text, return_dtype=pl.String)


def compare(std: pl.DataFrame, pairs: pl.DataFrame, features: Features | None = None) -> pl.DataFrame:
    """(practice_id, rid_l, rid_r, one Int8 level column per FIELDS key, veto); `features` of std if already built
    (with the model's common birthdays, see common_dobs)."""
    f = features if features is not None else Features(std)
    l, r = pairs["rid_l"].cast(pl.Int64).to_numpy(), pairs["rid_r"].cast(pl.Int64).to_numpy()
    # every level is per pair, so chunks concatenate to the same frame
    parts = [_compare(f, l[i : i + CHUNK_PAIRS], r[i : i + CHUNK_PAIRS]) for i in range(0, max(len(l), 1), CHUNK_PAIRS)]
    return pl.concat(parts)
