"""Blocking: candidate pairs inside each practice from identifiers, contacts, nickname roots and name sounds, rare tokens, DOB,
and a person's mailbox spelling another record's name."""

from __future__ import annotations

import numpy as np
import polars as pl

from rapidfuzz.distance import OSA

from transforms.coded import Strings, block_pairs
from transforms.linked import NEAR_COLUMNS
from transforms.names import soundex
from transforms.nicknames import root_keys

__all__ = ["KEY_TYPES", "blocking_keys", "candidate_pairs", "hint_pairs", "pairs_per_record", "MAX_BLOCK"]

MAX_BLOCK = 60  # a key shared by more records than this is a placeholder or too common to say anything
MAX_WEAK_BLOCK = 30
# keys that make a candidate only together with another kind of key
WEAK_KEYS = ("token", "pc", "pc_given", "email_local", "skel_init", "sur_init", "dob_dm", "dob_md", "dob_ym", "dob_yd")
RARE_TOKENS = 2  # each record blocks on its rarest name tokens within the practice


# every key type, in a fixed order: its index is the key's kind (and the seed of its hash); the four identifier
# fields are keyed through id_near since 15c2968 and keep their places so that every other kind keeps its index
KEY_TYPES = (
    "tax_no", "business_no", "company_no", "other_no", "acn", "email", "email_local", "org", "org_first", "org_last", "pc",
    "pc_given", "addr", "name", "phone", "root_sur", "root_sx", "sur_init", "skel_init", "given_sur2", "dob", "dob_dm",
    "dob_md", "dob_ym", "dob_yd", "token", "org_link", "addr_part", "id_near",
)  # fmt: skip
_KIND = {t: i for i, t in enumerate(KEY_TYPES)}
_WEAK = [_KIND[t] for t in WEAK_KEYS]


def _hash(kval: pl.Expr, ktype: str) -> pl.Expr:
    """A key's text as a 64-bit hash (seeded by its type); null for a missing or empty key.

    Blocks are groups of equal hashes: two different texts of one type and practice share a hash with
    odds of about one in 10^19 per pair of keys, and would only add a candidate pair to compare.
    """
    return pl.when(kval != "").then(kval.hash(seed=_KIND[ktype]))


def _hash_parts(ktype: str, *parts: pl.Expr) -> pl.Expr:
    """A key of several parts (a given name and a surname, a birthday and an initial) as one hash; null if a part is."""
    known = pl.all_horizontal([p.is_not_null() for p in parts])
    return pl.when(known).then(pl.struct([p.alias(f"_{i}") for i, p in enumerate(parts)]).hash(seed=_KIND[ktype]))


def _keys(frame: pl.DataFrame, ktype: str, kval: pl.Expr) -> pl.DataFrame:
    return frame.select("rid", kind=pl.lit(_KIND[ktype], dtype=pl.UInt8), key=_hash(kval, ktype))


def _parts(frame: pl.DataFrame, ktype: str, *parts: pl.Expr) -> pl.DataFrame:
    return frame.select("rid", kind=pl.lit(_KIND[ktype], dtype=pl.UInt8), key=_hash_parts(ktype, *parts))


def _rare_token_keys(std: pl.DataFrame) -> pl.DataFrame:
    """Each record's RARE_TOKENS rarest full-name tokens (rarity counted within its practice)."""
    toks = (
        std.select("practice_id", "rid", tok=pl.col("full_name").str.split(" "))
        .explode("tok")
        .filter(pl.col("tok").str.len_chars() > 1)
        .unique(["rid", "tok"])
    )
    toks = toks.with_columns(n=pl.len().over("practice_id", "tok"))
    toks = toks.sort(["rid", "n", "tok"]).group_by("rid", maintain_order=True).head(RARE_TOKENS)
    return _keys(toks, "token", pl.col("tok"))


# letters a scanner or a hurried typist confuses (OCR: rn/m, vv/w, cl/d; digits read for letters): both spellings
# of a name are read back to one, so "rnatthew sirnpson" meets "matthew simpson" and "vvright" meets "wright"
_LOOKALIKES = (("rn", "m"), ("vv", "w"), ("cl", "d"), ("0", "o"), ("1", "l"), ("3", "e"), ("5", "s"), ("8", "b"), ("q", "g"))


def _letters(expr: pl.Expr) -> pl.Expr:
    """Only the letters a-z of a lower-case name (spaces, hyphens, apostrophes and digits dropped)."""
    return expr.str.replace_all("[^a-z]", "")


def lookalike(expr: pl.Expr) -> pl.Expr:
    """A name with OCR look-alike letters read one way (see _LOOKALIKES); a name without any is unchanged."""
    for a, b in _LOOKALIKES:
        expr = expr.str.replace_all(a, b, literal=True)
    return expr


def _person_name_keys(std: pl.DataFrame) -> pl.DataFrame:
    """Given name (every nickname root, every reading) with the surname or its sound, and the surname alone with initials."""
    readings = pl.concat([
        std.select("rid", g=pl.col(g), s=pl.col(s))
        for g, s in (("given", "surname"), ("given_alt", "surname_alt"), ("given_legal", "surname_legal"), ("surname", "given"))
    ]).drop_nulls()  # fmt: skip  (the last reading is given and family name keyed in each other's place)
    # the look-alike reading, only where it differs (most names hold no look-alike letters)
    look = readings.select("rid", g=lookalike(pl.col("g")), s=lookalike(pl.col("s")), changed=lookalike(pl.col("g") + " " + pl.col("s")) != pl.col("g") + " " + pl.col("s"))
    look = look.filter("changed").drop("changed")
    readings = pl.concat([readings, look]).unique()
    distinct = readings.select("g").unique()
    # the given name's letters in order ("filnay" and "finlay" both "afilny"): two letters keyed in each other's place
    in_order = _letters(pl.col("g")).str.split("").list.sort().list.join("")
    distinct = distinct.with_columns(
        root=root_keys(distinct["g"]), sorted_g=pl.when(pl.col("g").str.contains(r"^[a-z][a-z' -]*$")).then(in_order)
    )
    r = readings.join(distinct.drop("sorted_g"), on="g").explode("root")
    sounds = readings.select("s").unique()
    sounds = sounds.with_columns(sx=soundex(pl.col("s")), skel=_skeleton(pl.col("s")))
    r = r.join(sounds, on="s")
    readings = readings.join(sounds, on="s")
    root, sur, given = pl.col("root"), pl.col("s"), pl.col("g")
    return pl.concat([
        _parts(r, "root_sur", root, sur),
        _parts(r, "root_sx", root, pl.col("sx")),
        # a slip in the surname's first letter ("Zdams", "tevens") escapes both of the above: the surname
        # without its first letter shares the key kind with the whole surname, so a dropped letter also meets
        _parts(r, "root_sur", root, sur.str.slice(1)),
        _parts(readings, "sur_init", sur, given.str.slice(0, 1)),
        _parts(readings, "skel_init", pl.col("skel"), given.str.slice(0, 1)),
        _parts(readings, "given_sur2", given, sur.str.slice(0, 2)),
        _parts(readings.join(distinct.select("g", "sorted_g"), on="g"), "given_sur2", pl.col("sorted_g"), sur.str.slice(0, 2)),
    ])  # fmt: skip


def _skeleton(expr: pl.Expr) -> pl.Expr:
    """A surname's sound, coarser than Soundex on the spellings people confuse (Mc/Mac, ph/f, -son/-sen, doubled letters)."""
    s = _letters(expr.str.to_lowercase())
    for a, b in (("^mac", "mc"), ("ph", "f"), ("ck", "k"), ("^kn", "n"), ("^wr", "r"), ("z", "s"), ("sen$", "son"), ("th", "t")):
        s = s.str.replace_all(a, b)
    s = s.str.slice(0, 1) + s.str.slice(1).str.replace_all(r"[aeiouyhw]", "")
    for ch in "bcdfgjklmnpqrstvxz":  # doubled letters once (the regex engine has no backreferences)
        s = s.str.replace_all(ch + "+", ch)
    return s


def _dob_keys(std: pl.DataFrame) -> pl.DataFrame:
    """Birthday exact, with day and month in either order, and with one part free (a year, month or day keyed wrongly)."""
    d = pl.col("dob")
    y, m, dd = d.dt.year(), d.dt.month(), d.dt.day()
    initial = pl.coalesce(pl.col("surname"), pl.col("full_name")).str.slice(0, 1)
    born = std.filter(d.is_not_null())
    return pl.concat([
        _parts(born, "dob", d),
        _parts(born, "dob_dm", y, pl.min_horizontal(m, dd), pl.max_horizontal(m, dd)),
        _parts(born, "dob_md", m, dd, initial),
        _parts(born, "dob_ym", y, m, initial),
        _parts(born, "dob_yd", y, dd, initial),
    ])  # fmt: skip


# a house number and the street's first word ("3 larpent" of "3 larpent sztreet"): one address whose street
# type, or the rest of its line, was mistyped or written out differently
_NUMBER_AND_STREET = r"(\d+[a-z]?) ([a-z][a-z']{2,})"


def _address_part_keys(std: pl.DataFrame) -> pl.DataFrame:
    """Street address and postal address, each as house number, street word and postcode (the postcode with it:
    the number and word alone meet "12 Smith St" of another town)."""
    parts = []
    for line, code in (("address", "postcode"), ("postal", "postal_postcode")):
        found = std.select("rid", m=pl.col(line).str.extract_groups(_NUMBER_AND_STREET), code=pl.col(code))  # one pass
        parts.append(_parts(found, "addr_part", pl.col("m").struct.field("1"), pl.col("m").struct.field("2"), pl.col("code")))
    return pl.concat(parts)


# a person's mailbox spells their name the usual ways ("nicholas.thornton", "nthornton", "thornton.n", "nicholast"),
# and keeps the surname it was opened under: a maiden or married surname, or one keyed wrongly in one system
MAILBOX_FORMS = 5  # a mailbox or name form shorter than this ("jo", "kimm") names no one in particular
_CUT = pl.lit("^")  # marks a form whose given name was cut to its initial
OWN_SLIPS = 2  # a mailbox this many edits (OSA) from a form of its owner's own name is that name


def _readings(std: pl.DataFrame) -> pl.DataFrame:
    """(practice_id, rid, g, s, init): every reading of each person's name, letters only, with the given initial."""
    people = std.filter(pl.col("kind") != "org")
    readings = pl.concat([
        people.select("practice_id", "rid", g=_letters(pl.col(g)), s=_letters(pl.col(s)))
        for g, s in (("given", "surname"), ("given_alt", "surname_alt"), ("given_legal", "surname_legal"))
    ]).filter(pl.col("g").str.len_chars() > 0, pl.col("s").str.len_chars() > 1)  # fmt: skip
    return readings.with_columns(init=pl.col("g").str.slice(0, 1))


def _name_forms(readings: pl.DataFrame) -> pl.DataFrame:
    """(practice_id, rid, form, init): the mailboxes a person's name gives, separators dropped."""
    g, s, i = pl.col("g"), pl.col("s"), pl.col("init")
    forms = [g + s, s + g, i + s, s + i, g + s.str.slice(0, 1)]
    # a name of an initial only ("D Santos") also meets a mailbox of a whole given name cut to its initial
    initial = readings.filter(g.str.len_chars() == 1).select("practice_id", "rid", form=_CUT + i + s, init=i)
    return pl.concat([*[readings.select("practice_id", "rid", form=f, init=i) for f in forms], initial]).unique()


def _local(email: pl.Expr) -> pl.Expr:
    """A mailbox's name: the part before the @ in lower case, a "+tag" and digits dropped, "_" and "-" read as "."."""
    local = email.str.split("@").list.first().str.to_lowercase().str.replace(r"\+.*$", "")
    return local.str.replace_all("[0-9]", "").str.replace_all("[_-]", ".")


def _mailbox_forms(std: pl.DataFrame) -> pl.DataFrame:
    """(practice_id, rid, box, form): a person's mailboxes (their own and their contacts') as a name, digits and
    separators dropped ("king.r" -> "kingr"), and a "given.surname" mailbox with the given name cut to its initial
    ("daniel.santos" -> "dsantos", marked _CUT: it meets a record that has the initial only, not Dylan Santos)."""
    boxes = (
        std.filter(pl.col("kind") != "org")
        .select("practice_id", "rid", e=pl.col("emails"))
        .explode("e")
        .select("practice_id", "rid", parts=_local(pl.col("e")).str.split("."))
        .with_columns(pl.col("parts").list.eval(_letters(pl.element())).list.eval(pl.element().filter(pl.element() != "")))
    )  # fmt: skip
    two = boxes.filter(pl.col("parts").list.len() == 2)
    box = pl.col("parts").list.join("")
    return pl.concat([
        boxes.select("practice_id", "rid", box=box, form=box),
        two.select("practice_id", "rid", box=box, form=_CUT + pl.col("parts").list.first().str.slice(0, 1) + pl.col("parts").list.last()),
    ]).unique()  # fmt: skip


def mailbox_pairs(std: pl.DataFrame, cap: int = MAX_WEAK_BLOCK) -> pl.DataFrame:
    """(rid_l, rid_r): two people of one practice, one's own mailbox spelling the other's name.

    "nicholas.thornton@" on Nicholas Esposito's record meets Nicholas Thornton's: one client keyed under another
    surname (married, maiden) in one system, or a surname mistyped there, whose mailbox still says who they are.
    The mailbox must be its owner's by the given name (the two records' given initials agree): "sarah.graham@"
    on Christine Graham's record is a relative's mailbox and says nothing about Christine; and it must name
    someone other than its owner's record does (a mailbox within OWN_SLIPS of that name is the name keys' to
    find). The two records are of two systems (one took the new surname, the other kept the old). A form more
    than `cap` of the practice's names give is too common to say anything.
    """
    readings = _readings(std)
    forms = _name_forms(readings)
    names = forms.filter(pl.col("form").str.len_chars() >= MAILBOX_FORMS)
    names = names.filter(pl.len().over("practice_id", "form") <= cap)
    owners = readings.select("practice_id", "rid", "init").unique()
    boxes = _mailbox_forms(std).filter(pl.col("form").str.len_chars() >= MAILBOX_FORMS).join(owners, on=["practice_id", "rid"])
    met = boxes.join(names, on=["practice_id", "form", "init"], suffix="_n").filter(pl.col("rid") != pl.col("rid_n"))
    # a mailbox within OWN_SLIPS of its owner's own name is that name (keyed with a slip in the record or the
    # mailbox): the name keys already compare what it meets; only a mailbox naming someone else adds a pair
    asked = met.select("practice_id", "rid", "box").unique().join(boxes.select("practice_id", "rid", "box", "form"),
                                                                   on=["practice_id", "rid", "box"])
    asked = asked.join(forms.select("practice_id", "rid", own="form"), on=["practice_id", "rid"])
    bare = {"a": asked["form"].str.strip_prefix("^"), "b": asked["own"].str.strip_prefix("^")}
    strings = Strings(bare)
    near = strings.scores([(strings["a"], strings["b"])], OSA.distance, 99.0)[0] <= OWN_SLIPS
    owned = asked.filter(pl.Series(near)).select("practice_id", "rid", "box").unique()
    met = met.join(owned, on=["practice_id", "rid", "box"], how="anti")
    # and the two records are of two systems: one system took the client's new surname, the other kept the old
    systems = std.select("practice_id", "rid", "source")
    met = met.join(systems, on=["practice_id", "rid"]).join(
        systems.rename({"rid": "rid_n", "source": "source_n"}), on=["practice_id", "rid_n"]
    )
    met = met.filter(pl.col("source") != pl.col("source_n"))
    return met.select(rid_l=pl.min_horizontal("rid", "rid_n"), rid_r=pl.max_horizontal("rid", "rid_n")).unique()


def blocking_keys(std: pl.DataFrame) -> pl.DataFrame:
    """(rid, kind, key): every blocking key of every record (kind: index in KEY_TYPES); a key may repeat."""
    initial = pl.col("full_name").str.slice(0, 1)
    sur_initial = pl.coalesce(pl.col("surname"), pl.col("full_name")).str.slice(0, 1)
    local = pl.col("email").str.split("@").list.first()
    # (identifiers: their hashes are in the id_near sets below, one key for equal numbers and slips alike)
    specs = [
        ("acn", pl.col("acn")),
        ("acn", pl.col("abn9")),  # a company's ABN embeds its ACN
        ("email_local", pl.when(local.str.len_chars() >= 5).then(local)),
        ("org", pl.col("org_core")),
        ("org", pl.col("org_core_legal")),
        # an organisation's first and last words (the family name of "Smith Holdings", "J & M Smith")
        ("org_first", pl.col("org_core").str.extract(r"^(\w{3,})", 1)),
        ("org_last", pl.col("org_core").str.extract(r"(\w{3,})$", 1)),
        ("addr", pl.col("address")),
        ("addr", pl.col("postal")),
        ("name", pl.col("full_name")),
    ]
    # one wide frame of hashes, one column per key, then stacked
    specs = [(t, _hash(e, t)) for t, e in specs] + [
        ("pc", _hash_parts("pc", pl.col("postcode"), sur_initial)),
        ("pc_given", _hash_parts("pc_given", pl.col("postcode"), initial)),
    ]
    wide = std.select("rid", *[e.alias(str(i)) for i, (_, e) in enumerate(specs)])
    base = [wide.select("rid", kind=pl.lit(_KIND[t], dtype=pl.UInt8), key=pl.col(str(i))) for i, (t, _) in enumerate(specs)]
    # the client's own mailbox and its contacts' (emails), every phone of the record and its contacts
    lists = [
        std.select("rid", v=pl.col(c)).explode("v").pipe(_keys, t, pl.col("v"))
        # two records linked to one Xero organisation: the client's own Xero file (different links veto a pair)
        for t, c in (("phone", "phones"), ("phone", "contact_phones"), ("email", "emails"), ("org_link", "orgs"))
    ]
    # one number, or a number and a slip of it (transforms.linked: each record's hash cut short, and what its
    # number may be a slip of)
    near = std.select("rid", v=pl.concat_list(NEAR_COLUMNS))
    lists.append(near.filter(pl.col("v").list.len() > 0).explode("v").pipe(_keys, "id_near", pl.col("v")))
    parts = [_person_name_keys(std), _dob_keys(std), _rare_token_keys(std), _address_part_keys(std)]
    return pl.concat([*base, *lists, *parts]).drop_nulls("key")


def candidate_pairs(std: pl.DataFrame, extra: pl.DataFrame | None = None, max_block: int = MAX_BLOCK) -> pl.DataFrame:
    """(practice_id, rid_l, rid_r) with rid_l < rid_r, both in one practice; extra pairs (hints) always kept.

    A pair is kept when it shares a strong key, or two keys of different kinds: a postcode and an
    initial alone, or one rare word, join too many unrelated clients to be worth comparing.
    """
    # records sorted by practice: a record's practice is its run of practice_id
    practice = std.select(pl.col("practice_id").rle_id())["practice_id"].to_numpy().astype(np.uint64)
    keys = blocking_keys(std)
    rid = keys["rid"].to_numpy()
    # a block is one (practice, kind, key): the practice mixed into the key's hash (the kind seeded it)
    block_key = keys["key"].to_numpy() ^ (practice[rid] * np.uint64(0x9E3779B97F4A7C15))
    keys = pl.DataFrame({"key": block_key, "rid": rid, "kind": keys["kind"]}).sort(["key", "rid"])
    key, rid, kind = (keys[c].to_numpy() for c in ("key", "rid", "kind"))
    # one record's key twice (two readings of its name give one key) counts once
    once = np.ones(len(rid), dtype=bool)
    once[1:] = (key[1:] != key[:-1]) | (rid[1:] != rid[:-1])
    key, rid, kind = key[once], rid[once], kind[once]
    n = len(rid)
    new = np.ones(n, dtype=bool)
    if n > 1:
        new[1:] = key[1:] != key[:-1]
    start = np.flatnonzero(new)
    size = np.diff(np.append(start, n))
    weak = np.isin(kind[start], _WEAK)
    cap = np.where(weak, min(max_block, MAX_WEAK_BLOCK), max_block)
    ok = (size >= 2) & (size <= cap)
    left, right, block = block_pairs(rid.astype(np.int64), start[ok], size[ok])
    code = left * std.height + right
    strong = ~weak[ok][block]
    # a pair of weak keys only: at least two kinds of key
    with_kind = (pl.Series(code[~strong]) * len(KEY_TYPES) + pl.Series(kind[start[ok]][block[~strong]]).cast(pl.Int64)).unique()
    pair = with_kind // len(KEY_TYPES)
    codes = pl.concat([pl.Series("code", code[strong]), pair.filter(pair.is_duplicated()).alias("code")])
    # a mailbox spelling another record's name: a strong key of its own, one-sided (two names alike are the name keys')
    met = mailbox_pairs(std)
    codes = pl.concat([codes, (met["rid_l"] * std.height + met["rid_r"]).alias("code")])
    if extra is not None and extra.height:
        codes = pl.concat([codes, (extra["rid_l"].cast(pl.Int64) * std.height + extra["rid_r"].cast(pl.Int64)).alias("code")])
    codes = codes.unique().sort().to_numpy()
    rid_l, rid_r = codes // max(std.height, 1), codes % max(std.height, 1)
    return pl.DataFrame({"practice_id": std["practice_id"].gather(rid_l), "rid_l": rid_l, "rid_r": rid_r})


def hint_pairs(std: pl.DataFrame, sync_links: pl.DataFrame) -> pl.DataFrame:
    """(rid_l, rid_r, hint_kind): legacy sync links and Tax rows naming an XPM client, as record pairs."""
    ids = std.select("practice_id", "source", "source_client_id", "rid")
    xpm = ids.filter(pl.col("source") == "xpm").select("practice_id", xpm_id="source_client_id", rid_x="rid")
    hq = ids.filter(pl.col("source") == "hq").select("practice_id", hq_id="source_client_id", rid_h="rid")
    sync = (
        sync_links.select("practice_id", xpm_id="xpm_client_uuid", hq_id="hq_client_id")
        .join(xpm, on=["practice_id", "xpm_id"])
        .join(hq, on=["practice_id", "hq_id"])
        .select(a="rid_x", b="rid_h", kind=pl.lit("sync"))
    )
    tax = (
        std.filter(pl.col("source") == "tax", pl.col("xpm_client_uuid").is_not_null())
        .select("practice_id", "rid", xpm_id="xpm_client_uuid")
        .join(xpm, on=["practice_id", "xpm_id"])
        .select(a="rid", b="rid_x", kind=pl.lit("tax_xpm"))
    )
    both = pl.concat([sync, tax])
    return both.select(
        rid_l=pl.min_horizontal("a", "b"), rid_r=pl.max_horizontal("a", "b"), hint_kind="kind"
    ).unique().sort(["rid_l", "rid_r", "hint_kind"])


def pairs_per_record(pairs: pl.DataFrame, std: pl.DataFrame) -> pl.DataFrame:
    """(practice_id, source, source_client_id, pairs): how many candidate pairs each record is in."""
    ends = pl.concat([pairs.select(rid="rid_l"), pairs.select(rid="rid_r")]).group_by("rid").len("pairs")
    return (
        std.select("rid", "practice_id", "source", "source_client_id")
        .join(ends, on="rid", how="left")
        .with_columns(pl.col("pairs").fill_null(0).cast(pl.Int64))
        .sort("rid")
        .drop("rid")
    )
