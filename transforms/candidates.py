"""Blocking: candidate pairs inside each practice from identifiers, contacts, nickname roots and name sounds, rare tokens, DOB."""

from __future__ import annotations

import polars as pl

from transforms.names import soundex
from transforms.nicknames import root_keys

__all__ = ["blocking_keys", "candidate_pairs", "hint_pairs", "pairs_per_record", "MAX_BLOCK"]

MAX_BLOCK = 60  # a key shared by more records than this is a placeholder or too common to say anything
MAX_WEAK_BLOCK = 30
# keys that make a candidate only together with another kind of key
WEAK_KEYS = ("token", "pc", "pc_given", "email_local", "skel_init", "sur_init", "dob_dm", "dob_md", "dob_ym", "dob_yd")
RARE_TOKENS = 2  # each record blocks on its rarest name tokens within the practice


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
    return toks.select("practice_id", "rid", ktype=pl.lit("token"), kval="tok")


def _list_keys(std: pl.DataFrame, ktype: str, col: pl.Expr) -> pl.DataFrame:
    return std.select("practice_id", "rid", ktype=pl.lit(ktype), kval=col).explode("kval")


def _person_name_keys(std: pl.DataFrame) -> pl.DataFrame:
    """Given name (every nickname root, every reading) with the surname or its sound, and the surname alone with initials."""
    readings = pl.concat([
        std.select("practice_id", "rid", g=pl.col(g), s=pl.col(s))
        for g, s in (("given", "surname"), ("given_alt", "surname_alt"), ("given_legal", "surname_legal"), ("surname", "given"))
    ]).drop_nulls().unique()  # fmt: skip  (the last reading is given and family name keyed in each other's place)
    distinct = readings.select("g").unique()
    distinct = distinct.with_columns(root=root_keys(distinct["g"]))
    r = readings.join(distinct, on="g").explode("root")
    sounds = readings.select("s").unique()
    sounds = sounds.with_columns(sx=soundex(pl.col("s")), skel=_skeleton(pl.col("s")))
    r = r.join(sounds, on="s")
    readings = readings.join(sounds, on="s")
    sx, skeleton = pl.col("sx"), pl.col("skel")
    return pl.concat([
        r.select("practice_id", "rid", ktype=pl.lit("root_sur"), kval=pl.col("root") + "|" + pl.col("s")),
        r.select("practice_id", "rid", ktype=pl.lit("root_sx"), kval=pl.col("root") + "|" + sx),
        # a slip in the surname's first letter ("Zdams", "tevens") escapes both of the above: the surname
        # without its first letter shares the key kind with the whole surname, so a dropped letter also meets
        r.select("practice_id", "rid", ktype=pl.lit("root_sur"), kval=pl.col("root") + "|" + pl.col("s").str.slice(1)),
        readings.select("practice_id", "rid", ktype=pl.lit("sur_init"), kval=pl.col("s") + "|" + pl.col("g").str.slice(0, 1)),
        readings.select("practice_id", "rid", ktype=pl.lit("skel_init"), kval=skeleton + "|" + pl.col("g").str.slice(0, 1)),
        readings.select("practice_id", "rid", ktype=pl.lit("given_sur2"), kval=pl.col("g") + "|" + pl.col("s").str.slice(0, 2)),
    ])  # fmt: skip


def _skeleton(expr: pl.Expr) -> pl.Expr:
    """A surname's sound, coarser than Soundex on the spellings people confuse (Mc/Mac, ph/f, -son/-sen, doubled letters)."""
    s = expr.str.to_lowercase().str.replace_all(r"[^a-z]", "")
    for a, b in (("^mac", "mc"), ("ph", "f"), ("ck", "k"), ("^kn", "n"), ("^wr", "r"), ("z", "s"), ("sen$", "son"), ("th", "t")):
        s = s.str.replace_all(a, b)
    s = s.str.slice(0, 1) + s.str.slice(1).str.replace_all(r"[aeiouyhw]", "")
    for ch in "bcdfgjklmnpqrstvxz":  # doubled letters once (the regex engine has no backreferences)
        s = s.str.replace_all(ch + "+", ch)
    return s


def _dob_keys(std: pl.DataFrame) -> pl.DataFrame:
    """Birthday exact, with day and month in either order, and with one part free (a year, month or day keyed wrongly)."""
    d = pl.col("dob")
    y, m, dd = d.dt.year().cast(pl.String), d.dt.month(), d.dt.day()
    lo, hi = pl.min_horizontal(m, dd).cast(pl.String), pl.max_horizontal(m, dd).cast(pl.String)
    initial = pl.coalesce(pl.col("surname"), pl.col("full_name")).str.slice(0, 1)
    return pl.concat([
        std.select("practice_id", "rid", ktype=pl.lit("dob"), kval=d.cast(pl.String)),
        std.select("practice_id", "rid", ktype=pl.lit("dob_dm"), kval=y + "|" + lo + "|" + hi),
        std.select("practice_id", "rid", ktype=pl.lit("dob_md"), kval=d.dt.strftime("%m-%d") + "|" + initial),
        std.select("practice_id", "rid", ktype=pl.lit("dob_ym"), kval=d.dt.strftime("%Y-%m") + "|" + initial),
        std.select("practice_id", "rid", ktype=pl.lit("dob_yd"), kval=d.dt.strftime("%Y-%d") + "|" + initial),
    ])  # fmt: skip


def blocking_keys(std: pl.DataFrame) -> pl.DataFrame:
    """(practice_id, rid, ktype, kval): every blocking key of every record."""
    initial = pl.col("full_name").str.slice(0, 1)
    sur_initial = pl.coalesce(pl.col("surname"), pl.col("full_name")).str.slice(0, 1)
    local = pl.col("email").str.split("@").list.first()
    specs = [
        *[(g, pl.col(g)) for g in ("tax_no", "business_no", "company_no", "other_no")],
        ("acn", pl.col("acn")),
        ("acn", pl.col("abn9")),  # a company's ABN embeds its ACN
        ("email", pl.col("email")),
        ("email_local", pl.when(local.str.len_chars() >= 5).then(local)),
        ("org", pl.col("org_core")),
        ("org", pl.col("org_core_legal")),
        # an organisation's first and last words (the family name of "Smith Holdings", "J & M Smith")
        ("org_first", pl.col("org_core").str.extract(r"^(\w{3,})", 1)),
        ("org_last", pl.col("org_core").str.extract(r"(\w{3,})$", 1)),
        ("pc", pl.col("postcode") + pl.lit("|") + sur_initial),
        ("pc_given", pl.col("postcode") + pl.lit("|") + initial),
        ("addr", pl.col("address")),
        ("addr", pl.col("postal")),
        ("name", pl.col("full_name")),
    ]
    # one frame per key type, stacked (a list of structs exploded per record is ten times slower)
    base = pl.concat([std.select("practice_id", "rid", ktype=pl.lit(t), kval=e) for t, e in specs])
    lists = [
        _list_keys(std, "phone", pl.col("phones")),
        _list_keys(std, "phone", pl.col("contact_phones")),
        _list_keys(std, "email", pl.col("contact_emails")),
    ]
    keys = pl.concat([base, *lists, _person_name_keys(std), _dob_keys(std), _rare_token_keys(std)], how="vertical_relaxed")
    return keys.drop_nulls("kval").filter(pl.col("kval").str.len_chars() > 0).unique()


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


def candidate_pairs(std: pl.DataFrame, extra: pl.DataFrame | None = None, max_block: int = MAX_BLOCK) -> pl.DataFrame:
    """(practice_id, rid_l, rid_r) with rid_l < rid_r, both in one practice; extra pairs (hints) always kept.

    A pair is kept when it shares a strong key, or two keys of different kinds: a postcode and an
    initial alone, or one rare word, join too many unrelated clients to be worth comparing.
    """
    keys = blocking_keys(std)
    weak = pl.col("ktype").is_in(list(WEAK_KEYS))
    # each block gets an integer id, so the self-join is on one integer, not three strings
    blocks = (
        keys.drop_nulls("practice_id")
        .group_by("practice_id", "ktype", "kval")
        .agg("rid")
        .filter(pl.col("rid").list.len().is_between(2, pl.when(weak).then(min(max_block, MAX_WEAK_BLOCK)).otherwise(max_block)))
    )
    members = blocks.select(
        "practice_id", "rid", block=pl.int_range(pl.len(), dtype=pl.UInt32), kind=pl.col("ktype").cast(pl.Categorical).to_physical(),
        strong=~weak,
    ).explode("rid")
    pairs = (
        members.join(members.select("block", rid_r="rid"), on="block")
        .filter(pl.col("rid") < pl.col("rid_r"))
        .group_by("practice_id", "rid", "rid_r")
        .agg(strong=pl.col("strong").any(), kinds=pl.col("kind").n_unique())
        .filter(pl.col("strong") | (pl.col("kinds") >= 2))
        .select("practice_id", rid_l="rid", rid_r="rid_r")
    )
    if extra is not None and extra.height:
        prac = std.select(rid_l="rid", practice_id="practice_id")
        pairs = pl.concat([pairs, extra.select("rid_l", "rid_r").join(prac, on="rid_l").select(pairs.columns)])
    return pairs.unique().sort(["rid_l", "rid_r"])


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
