"""Comparable features per client record: names, entity kind, identifiers, phones, emails, addresses."""

from __future__ import annotations

import phonenumbers
import polars as pl

from landing.frames import Frames
from transforms.linked import contact_features, group_features, identifier_features, org_features
from transforms.names import (
    STRUCTURE_CATEGORY,
    FrameStages,
    business_parts,
    clean_text,
    fix_legal_typos,
    looks_organisation,
    person_parts,
)

__all__ = ["standardise", "phone_e164", "e164_fast", "normalise_email", "normalise_address", "record_key"]

_REGION = {"AU": "AU", "NZ": "NZ", "UK": "GB", "US": "US"}
_STREET = {
    "street": "st", "road": "rd", "avenue": "ave", "av": "ave", "drive": "dr", "court": "ct", "place": "pl",
    "crescent": "cres", "parade": "pde", "highway": "hwy", "lane": "ln", "terrace": "tce", "boulevard": "blvd",
    "close": "cl", "circuit": "cct", "square": "sq", "grove": "gr", "esplanade": "esp", "way": "way",
    "north": "n", "south": "s", "east": "e", "west": "w", "mount": "mt", "saint": "st",
}


def record_key(source: pl.Expr, source_client_id: pl.Expr) -> pl.Expr:
    """'source:source_client_id', the within-practice record key used in ids and pair orientation."""
    return source + pl.lit(":") + source_client_id


def normalise_email(expr: pl.Expr) -> pl.Expr:
    """Lowercase, trimmed, null unless it looks like an address."""
    e = expr.str.strip_chars().str.to_lowercase()
    return pl.when(e.str.contains(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")).then(e).otherwise(None)


def normalise_address(expr: pl.Expr) -> pl.Expr:
    """Lowercase street line with unit words dropped and street types abbreviated."""
    a = clean_text(expr.str.replace_all("/", " "))
    a = a.str.replace_all(r"\b(unit|apartment|apt|flat|suite|shop|level|lvl|u)\b", " ")
    # word by word through one table, not one regular expression per street type
    a = a.str.split(" ").list.eval(pl.element().replace(_STREET).filter(pl.element().str.len_chars() > 0)).list.join(" ")
    return pl.when(a.str.len_chars() > 0).then(a).otherwise(None)


def _e164(region: str | None, raw: str) -> str | None:
    try:
        num = phonenumbers.parse(raw, _REGION.get(region or ""))
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(num):
        return None
    return phonenumbers.format_number(num, phonenumbers.PhoneNumberFormat.E164)


# shapes phonenumbers reads plainly (checked against it for every 4-digit number start, and by a property
# test): +61/+64/+44/+1 with a national number; AU/NZ/UK trunk 0 or US trunk 1 dropped for the country code
# ([0-9], not \d: phonenumbers turns other scripts' digits into ASCII ones)
_FAST_INTERNATIONAL = r"^\+(?:61[2-9][0-9]{8}|64[2-9][0-9]{7,9}|44[1-9][0-9]{8,9}|1[2-9][0-9]{9})$"
_FAST_NATIONAL = {
    "AU": (r"^0[2-9][0-9]{8}$", "+61", 1),
    "NZ": (r"^0[2-9][0-9]{7,9}$", "+64", 1),
    "GB": (r"^0[1-9][0-9]{8,9}$", "+44", 1),
    "US": (r"^1?[2-9][0-9]{9}$", "+1", -10),
}


def e164_fast(region: pl.Expr, compact: pl.Expr) -> pl.Expr:
    """E.164 of a digits-and-plus number in a common AU/NZ/UK/US shape; null otherwise (phonenumbers decides)."""
    r = region.replace_strict(_REGION, default=None, return_dtype=pl.String)
    out = pl.when(compact.str.contains(_FAST_INTERNATIONAL)).then(compact)
    for reg, (pattern, cc, start) in _FAST_NATIONAL.items():
        out = out.when((r == reg) & compact.str.contains(pattern)).then(pl.lit(cc) + compact.str.slice(start))
    return out.otherwise(None)


def phone_e164(region: pl.Series, raw: pl.Series) -> pl.Series:
    """E.164 per (practice region, raw) value; parsed once per DISTINCT pair, null if unparseable."""
    # formatting says nothing phonenumbers needs: "0412 345 678" and "0412-345-678" are one lookup
    compact = raw.cast(pl.String).str.replace_all(r"[^\d+]", "")
    frame = pl.DataFrame({"region": region.cast(pl.String), "raw": pl.select(pl.when(compact.str.len_chars() > 0).then(compact)).to_series()})
    distinct = frame.drop_nulls("raw").unique().sort(["region", "raw"], nulls_last=True)
    distinct = distinct.with_columns(e164=e164_fast(pl.col("region"), pl.col("raw")))
    slow = distinct.filter(pl.col("e164").is_null()).drop("e164")
    parsed = [_e164(r, v) for r, v in slow.iter_rows()]  # one library call per distinct unusual value
    table = pl.concat([distinct.drop_nulls("e164"), slow.with_columns(e164=pl.Series(parsed, dtype=pl.String))])
    out = frame.join(table, on=["region", "raw"], how="left", nulls_equal=True, maintain_order="left")
    return out["e164"].alias(raw.name)


# E.164 starts of mobile numbers: a mobile is one person's, a landline a household's
MOBILE_PREFIX = r"^\+(614|642[0-9]|447|6[0-9]{1}9)"

_PLACEHOLDER_DOBS = ["1900-01-01", "1901-01-01", "1899-12-31", "1800-01-01", "0001-01-01"]


def _without_placeholders(dob: pl.Expr) -> pl.Expr:
    """Null for the filler dates systems use for 'unknown' (a crowded real date is kept: it may be a clamp)."""
    return pl.when(dob.cast(pl.String).is_in(_PLACEHOLDER_DOBS)).then(None).otherwise(dob)


def _phone_lists(region: pl.Series, raw_lists: pl.Series) -> pl.Series:
    """E.164 numbers of each row's list of raw numbers (parsed once per distinct number), sorted and unique."""
    phones = pl.DataFrame({"region": region, "_phones": raw_lists}).with_row_index("i").explode("_phones")
    phones = phones.with_columns(e164=phone_e164(phones["region"], phones["_phones"]))
    return phones.group_by("i").agg(pl.col("e164").drop_nulls().unique().sort()).sort("i")["e164"]


def _names(c: pl.DataFrame) -> pl.DataFrame:
    """Entity kind and the person / business readings of the display name and HQ's legal name."""
    name = pl.coalesce(pl.col("name"), pl.col("legal_name"))
    structure = pl.col("business_structure").str.to_lowercase().str.strip_chars().replace_strict(
        STRUCTURE_CATEGORY, default=None, return_dtype=pl.String
    )
    has_person_fields = pl.col("first_name").is_not_null() | pl.col("last_name").is_not_null()
    kind = (
        pl.when(pl.col("client_type").str.to_uppercase() == "PERSON").then(pl.lit("person"))
        .when(pl.col("client_type").str.to_uppercase() == "ORGANISATION").then(pl.lit("org"))
        .when(structure == "person").then(pl.lit("person"))
        .when(structure.is_not_null()).then(pl.lit("org"))
        .when(looks_organisation(name)).then(pl.lit("org"))
        .when(has_person_fields).then(pl.lit("person"))
        .otherwise(None)
    )
    # HQ's legal name is a second reading of the client's name ("Judith" for "Judy", no typos)
    legal = pl.when(pl.col("legal_name") != name).then(pl.col("legal_name"))
    c = c.with_columns(kind=kind, structure_category=structure, _name=name, _legal=legal)
    # typo'd legal words ("Ptyy Ltd") only on records not known to be people ("Funda" stays a name)
    fixed, fixed_legal = fix_legal_typos(c["_name"]), fix_legal_typos(c["_legal"])
    c = c.with_columns(
        _name=pl.when(pl.col("kind") == "person").then(pl.col("_name")).otherwise(fixed),
        _legal=pl.when(pl.col("kind") == "person").then(pl.col("_legal")).otherwise(fixed_legal),
    )
    return c.with_columns(kind=pl.when(pl.col("kind").is_null() & looks_organisation(pl.col("_name"))).then(pl.lit("org")).otherwise(pl.col("kind")))


def _linked(out: pl.DataFrame, frames: Frames) -> pl.DataFrame:
    """Identifier, contact, group and organisation features joined on per record (null lists become empty)."""
    region = out.select(*_KEY, "region")

    def phone(f: pl.DataFrame) -> pl.Series:
        r = f.join(region, on=_KEY, how="left", maintain_order="left")["region"]
        return phone_e164(r, f["raw"])

    parts = [
        identifier_features(frames.identifier), contact_features(frames.contact, normalise_email, phone),
        group_features(frames.group_member), org_features(frames.org_link),
    ]  # fmt: skip
    for part in parts:
        out = out.join(part, on=_KEY, how="left", maintain_order="left")
    lists = ["contact_emails", "contact_phones", "contact_names", "groups", "orgs"]
    return out.with_columns(pl.col(c).fill_null(pl.lit([], dtype=pl.List(pl.String))) for c in lists)


_KEY = ["practice_id", "source", "source_client_id"]
_PERSON_COLS = ["given", "given_alt", "surname_alt", "other_given", "surname", "generation", "couple"]
_ORG_COLS = ["org_core", "org_category", "org_category_detail", "org_legal_form", "org_trustee", "org_trading"]


def _name_parts(c: pl.DataFrame) -> pl.DataFrame:
    """c with the person readings of people's names and the business readings of organisations' names.

    Each rule runs on the rows it is for only (a person's name is never read as a business), and its
    intermediate values are staged as columns, computed once (inline they are recomputed per use).
    """
    c = c.with_row_index("_row")
    is_org = (pl.col("kind") == "org").fill_null(False)
    null = pl.lit(None, dtype=pl.String)
    people = FrameStages(c.filter(~is_org).select("_row", "_name", "_legal", "first_name", "last_name"))
    person = person_parts(pl.col("_name"), pl.col("first_name"), pl.col("last_name"), people)
    legal = person_parts(pl.col("_legal"), null, null, people)
    p = people.frame.select(
        "_row", **{k: person[k] for k in _PERSON_COLS}, given_legal=legal["given"], surname_legal=legal["surname"]
    )
    orgs = FrameStages(c.filter(is_org).select("_row", "_name", "_legal"))
    biz = business_parts(pl.col("_name"), orgs)
    biz_legal = business_parts(pl.col("_legal"), orgs)
    o = orgs.frame.select(
        "_row", **{f"org_{k}": v for k, v in biz.items()}, org_core_legal=biz_legal["core"],
        _legal_category=biz_legal["category"], _legal_detail=biz_legal["category_detail"],
    )  # fmt: skip
    out = c.join(p, on="_row", how="left").join(o, on="_row", how="left").sort("_row")
    return out.with_columns(pl.col("couple").fill_null(False)).drop("_row")


def standardise(frames: Frames, practices: pl.DataFrame) -> pl.DataFrame:
    """One row per client with the features compare/candidates use; sorted by (practice_id, key), rid = row."""
    regions = practices.select("practice_id", pl.col("region").alias("practice_region")).unique("practice_id")
    c = frames.client.join(regions, on="practice_id", how="left").sort(_KEY)
    c = _names(c)
    c = _name_parts(c)
    out = c.select(
        *_KEY, *_PERSON_COLS, *_ORG_COLS,
        "given_legal", "surname_legal", "org_core_legal", "_legal_category", "_legal_detail", "structure_category",
        key=record_key(pl.col("source"), pl.col("source_client_id")),
        kind="kind",
        region="practice_region",
        dob=_without_placeholders(pl.col("date_of_birth")),
        email=normalise_email(pl.col("email")),
        _phones=pl.concat_list(pl.col("phone"), pl.col("mobile")),
        address=normalise_address(pl.col("address_line1")),
        postal=normalise_address(pl.col("postal_line1")),
        city=clean_text(pl.col("city")),
        postal_city=clean_text(pl.col("postal_city")),
        postcode=pl.col("postcode").str.replace_all(r"\s", "").str.to_uppercase(),
        postal_postcode=pl.col("postal_postcode").str.replace_all(r"\s", "").str.to_uppercase(),
        manager="account_manager_id",
        xpm_client_uuid="xpm_client_uuid",
    )
    out = out.with_columns(
        # category: what the name says, else what the structure says (org records only)
        category=pl.when(pl.col("kind") == "org").then(
            pl.coalesce(pl.col("org_category"), pl.col("_legal_category"), pl.col("structure_category").replace("person", None))
        ),
        phones=_phone_lists(out["region"], out["_phones"]),
        _domain=pl.col("email").str.split("@").list.last(),
        # the legal name's entity wording fills in what a typo hid in the display name
        org_category_detail=pl.coalesce("org_category_detail", "_legal_detail"),
    ).drop("_phones", "_legal_category", "_legal_detail")
    out = out.with_columns(
        # a mail domain few of the practice's clients use is the client's own (smithplumbing.com.au, not gmail.com)
        email_domain=pl.when(pl.col("email").n_unique().over("practice_id", "_domain") <= 3).then(pl.col("_domain")),
    ).drop("_domain")
    # a second reading equal to the first says nothing new: left out, it costs no comparison
    same_alt = (pl.col("given_alt").eq_missing(pl.col("given")) & pl.col("surname_alt").eq_missing(pl.col("surname")))
    same_legal = (pl.col("given_legal").eq_missing(pl.col("given")) & pl.col("surname_legal").eq_missing(pl.col("surname")))
    out = out.with_columns(
        given_alt=pl.when(~same_alt).then("given_alt"), surname_alt=pl.when(~same_alt).then("surname_alt"),
        given_legal=pl.when(~same_legal).then("given_legal"), surname_legal=pl.when(~same_legal).then("surname_legal"),
        org_core_legal=pl.when(~pl.col("org_core_legal").eq_missing(pl.col("org_core"))).then("org_core_legal"),
    )
    out = _linked(out, frames)
    # the client's own numbers and mailbox, and those its contacts list: one system keeps them on the client,
    # another on its contact
    every_phone = pl.concat_list("phones", "contact_phones").list.unique().list.sort()
    out = out.with_columns(
        mobiles=every_phone.list.eval(pl.element().filter(pl.element().str.contains(MOBILE_PREFIX))),
        landlines=every_phone.list.eval(pl.element().filter(~pl.element().str.contains(MOBILE_PREFIX))),
        emails=pl.concat_list(pl.col("email").fill_null(pl.lit(None, pl.String)), "contact_emails").list.drop_nulls().list.unique().list.sort(),
    )
    out = out.with_columns(
        # partners named by initials or in full ("L & M Taylor", "Liam & Margaret Taylor"): keep the family name
        org_core_partners=pl.when(pl.col("category") == "partnership").then(
            pl.col("org_core").str.replace_all(r"\b(and|\w)\b", " ").str.replace_all(r"\s+", " ").str.strip_chars()
        ),
        full_name=pl.when(pl.col("kind") == "org").then(pl.col("org_core")).otherwise(
            pl.concat_str([pl.col("given"), pl.col("surname")], separator=" ", ignore_nulls=True)
        ),
    )
    # records of this name in this system (two of them: two clients of that name, or a duplicate)
    out = out.with_columns(name_in_source=pl.len().over("practice_id", "source", "full_name").cast(pl.Int32))
    return out.with_row_index("rid").with_columns(pl.col("rid").cast(pl.Int64))
