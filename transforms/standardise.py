"""Comparable features per client record: names, entity kind, identifiers, phones, emails, addresses."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import polars as pl

from landing.frames import Frames
from transforms.coded import distinct_index
from transforms.linked import NEAR_COLUMNS, ROW, identifier_features, list_features, rows_of
from transforms.phones import MOBILE_PREFIX, REGION, e164_fast, phone_e164
from transforms.names import (
    STRUCTURE_CATEGORY,
    FrameStages,
    business_parts,
    clean_text,
    fold,
    given_field,
    name_reading,
    surname_field,
    fix_legal_typos,
    looks_organisation,
)

__all__ = ["standardise", "phone_e164", "e164_fast", "normalise_email", "normalise_address", "record_key", "per_value", "REGION", "MOBILE_PREFIX"]

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
    # the whole value or null, in one pass (an eager expression used twice is computed twice)
    return expr.str.strip_chars().str.to_lowercase().str.extract(r"^([^@\s]+@[^@\s]+\.[^@\s]+)$", 1)


def normalise_address(expr: pl.Expr) -> pl.Expr:
    """Lowercase street line with unit words dropped and street types abbreviated."""
    a = clean_text(expr.str.replace_all("/", " "))
    a = a.str.replace_all(r"\b(unit|apartment|apt|flat|suite|shop|level|lvl|u)\b", " ")
    # word by word through one table, not one regular expression per street type
    a = a.str.split(" ").list.eval(pl.element().replace(_STREET).filter(pl.element().str.len_chars() > 0)).list.join(" ")
    return a.replace("", None)


_PLACEHOLDER_DOBS = ["1900-01-01", "1901-01-01", "1899-12-31", "1800-01-01", "0001-01-01"]


def _without_placeholders(dob: pl.Expr) -> pl.Expr:
    """Null for the filler dates systems use for 'unknown' (a crowded real date is kept: it may be a clamp)."""
    return pl.when(dob.cast(pl.String).is_in(_PLACEHOLDER_DOBS)).then(None).otherwise(dob)


def per_value(columns: list[pl.Series], rule: Callable[[pl.Expr], pl.Expr]) -> list[pl.Series]:
    """`rule` applied once per distinct non-null value of the columns together; null stays null.

    Client files repeat their values (a suburb thousands of times, one client's street in every
    system that holds it): each is read once, and the readings are mapped back.
    """
    stacked = pl.concat([c.cast(pl.String).alias("v") for c in columns])
    values, index = distinct_index(stacked)
    read = pl.DataFrame({"v": values}).select(rule(pl.col("v")).cast(pl.String)).to_series().gather(index)
    ends = np.cumsum([0, *(len(c) for c in columns)])
    return [read.slice(int(a), int(b - a)).alias(c.name) for a, b, c in zip(ends[:-1], ends[1:], columns, strict=True)]


def _names(c: pl.DataFrame) -> pl.DataFrame:
    """Entity kind and the person / business readings of the display name and HQ's legal name."""
    name = pl.coalesce(pl.col("name"), pl.col("legal_name"))
    structure = pl.col("business_structure").str.to_lowercase().str.strip_chars().replace_strict(
        STRUCTURE_CATEGORY, default=None, return_dtype=pl.String
    )
    has_person_fields = pl.col("first_name").is_not_null() | pl.col("last_name").is_not_null()
    client_type = pl.col("client_type").str.to_uppercase()
    c = c.with_columns(structure_category=structure, _name=name)
    structure = pl.col("structure_category")
    kind = (
        pl.when(client_type == "PERSON").then(pl.lit("person"))
        .when(client_type == "ORGANISATION").then(pl.lit("org"))
        .when(structure == "person").then(pl.lit("person"))
        .when(structure.is_not_null()).then(pl.lit("org"))
        .when(looks_organisation(pl.col("_name"))).then(pl.lit("org"))
        .when(has_person_fields).then(pl.lit("person"))
        .otherwise(None)
    )
    # HQ's legal name is a second reading of the client's name ("Judith" for "Judy", no typos)
    legal = pl.when(pl.col("legal_name") != pl.col("_name")).then(pl.col("legal_name"))
    c = c.with_columns(kind=kind, _legal=legal)
    # typo'd legal words ("Ptyy Ltd") only on records not known to be people ("Funda" stays a name)
    rows = np.flatnonzero(c.select((pl.col("kind") != "person").fill_null(True)).to_series().to_numpy())
    if len(rows):
        c = c.with_columns(
            _name=c["_name"].scatter(rows, fix_legal_typos(c["_name"].gather(rows))),
            _legal=c["_legal"].scatter(rows, fix_legal_typos(c["_legal"].gather(rows))),
        )
    return c.with_columns(kind=pl.when(pl.col("kind").is_null() & looks_organisation(pl.col("_name"))).then(pl.lit("org")).otherwise(pl.col("kind")))


_LISTS = ["phones", "contact_phones", "mobiles", "landlines", "emails", "contact_emails", "contact_names", "groups", "orgs"]
_OWN_PHONE, _CONTACT_PHONE, _OWN_EMAIL, _CONTACT_EMAIL, _CONTACT_NAME, _GROUP, _ORG = range(7)


def _contact_name(expr: pl.Expr) -> pl.Expr:
    return fold(expr).str.to_lowercase().str.replace_all(r"[^\p{L}\s]", "").str.replace_all(r"\s+", " ").str.strip_chars().replace("", None)


def _group_name(expr: pl.Expr) -> pl.Expr:
    return expr.str.to_lowercase().str.replace_all(r"\s+", " ").str.strip_chars()


def _linked(out: pl.DataFrame, frames: Frames) -> pl.DataFrame:
    """Identifier features and the record's lists: its own and its contacts' phones (E.164, mobiles and landlines
    apart) and mailboxes, its contacts' names, its groups and its Xero organisations (empty lists where none).

    The client's own numbers and mailbox, and those its contacts list, are one list each: one system keeps
    them on the client, another on its contact. Every staged value is read once per distinct value.
    """
    records = out.select(*_KEY, "region", "email", "phone", "mobile").with_row_index(ROW)
    ids = identifier_features(rows_of(frames.identifier, records))
    contact = rows_of(frames.contact.select(*_KEY, "name", "email", "phone", "mobile"), records)
    contact = contact.with_columns(region=records["region"].gather(contact[ROW]))
    phones = pl.concat(
        [records.select(ROW, "region", raw=c, tag=pl.lit(_OWN_PHONE, pl.UInt8)) for c in ("phone", "mobile")]
        + [contact.select(ROW, "region", raw=c, tag=pl.lit(_CONTACT_PHONE, pl.UInt8)) for c in ("phone", "mobile")]
    ).drop_nulls("raw")
    phones = phones.select(ROW, "tag", value=phone_e164(phones["region"], phones["raw"]))
    (contact_email,) = per_value([contact["email"]], normalise_email)
    (contact_name,) = per_value([contact["name"]], _contact_name)
    groups = rows_of(frames.group_member.select(*_KEY, "group_name"), records)
    (group,) = per_value([groups["group_name"]], _group_name)
    orgs = rows_of(frames.org_link.select(*_KEY, "organisation_id"), records)
    tagged = lambda frame, tag, value: frame.select(ROW, tag=pl.lit(tag, pl.UInt8), value=value)  # noqa: E731
    values = pl.concat([
        phones,
        tagged(records, _OWN_EMAIL, pl.col("email")),
        tagged(contact, _CONTACT_EMAIL, contact_email),
        tagged(contact, _CONTACT_NAME, contact_name),
        tagged(groups, _GROUP, group),
        tagged(orgs, _ORG, pl.col("organisation_id")),
    ]).with_columns(mobile=pl.col("value").str.contains(MOBILE_PREFIX))  # fmt: skip
    tag, phone = pl.col("tag"), pl.col("tag").is_in([_OWN_PHONE, _CONTACT_PHONE])
    lists = list_features(values, {
        "phones": tag == _OWN_PHONE, "contact_phones": tag == _CONTACT_PHONE,
        "mobiles": phone & pl.col("mobile"), "landlines": phone & ~pl.col("mobile"),
        "emails": tag.is_in([_OWN_EMAIL, _CONTACT_EMAIL]), "contact_emails": tag == _CONTACT_EMAIL,
        "contact_names": tag == _CONTACT_NAME, "groups": tag == _GROUP, "orgs": tag == _ORG,
    })  # fmt: skip
    out = out.with_row_index(ROW).join(ids, on=ROW, how="left").join(lists, on=ROW, how="left").sort(ROW).drop(ROW)
    return out.with_columns(pl.col(c).fill_null(pl.lit([], dtype=pl.List(pl.String))) for c in (*_LISTS, *NEAR_COLUMNS))


_KEY = ["practice_id", "source", "source_client_id"]
# words that begin a surname of more than one word: in a display name they stand between given name and surname
_PARTICLES = ["van", "der", "den", "von", "de", "la", "le", "du", "di", "da", "del", "della", "dos", "st", "bin", "binti", "ibn", "al", "ap", "o"]
_PERSON_COLS = ["given", "given_alt", "surname_alt", "other_given", "surname", "generation", "couple", "middles"]
_ORG_COLS = ["org_core", "org_category", "org_category_detail", "org_legal_form", "org_trustee", "org_trading"]


def _read_distinct(names: pl.Series, reading) -> pl.DataFrame:
    """reading(name, stage) of each distinct non-null name once (staged), as columns aligned with `names`."""
    values, index = distinct_index(names)
    stages = FrameStages(pl.DataFrame({"_v": values}, schema={"_v": pl.String}))
    exprs = reading(pl.col("_v"), stages)
    read = stages.frame.select(**exprs)
    return pl.DataFrame([read[c].gather(index) for c in read.columns])


def _middles(*readings: pl.Series) -> pl.Series:
    """A person's middle names, from every place a system keeps them (the display name's and the legal name's middle
    words, XPM's other-name field): distinct words, one letter for an initial, empty when none is known."""
    words = [(r if r.dtype == pl.List(pl.String) else r.str.split(" ")).alias(f"m{i}") for i, r in enumerate(readings)]
    both = pl.DataFrame(words).select(pl.concat_list(pl.all().fill_null([])).list.drop_nulls().list.unique(maintain_order=True))
    return both.to_series().alias("middles")


def _name_parts(c: pl.DataFrame) -> pl.DataFrame:
    """c with the person readings of people's names and the business readings of organisations' names.

    Each rule runs on the rows it is for only (a person's name is never read as a business), once per
    distinct name (one client's name repeats across its systems), and its intermediate values are staged
    as columns, computed once (inline they are recomputed per use).
    """
    c = c.with_row_index("_row")
    is_org = (pl.col("kind") == "org").fill_null(False)
    other = pl.col("other_name") if "other_name" in c.columns else pl.lit(None, dtype=pl.String)
    rows = c.filter(~is_org).select("_row", "_name", "_legal", "first_name", "last_name", _other=other)
    # the structured fields repeat (a few thousand given names): read once per distinct value
    (first,) = per_value([rows["first_name"]], given_field)
    (last,) = per_value([rows["last_name"]], surname_field)
    (other,) = per_value([rows["_other"]], clean_text)
    read = _read_distinct(rows["_name"], name_reading)
    # HQ's legal name, where there is one (a missing one reads as nothing)
    legal = _read_distinct(rows["_legal"], name_reading)
    p = pl.DataFrame([
        rows["_row"],
        # the structured fields win; a missing one is taken from the display name
        pl.select(pl.coalesce(first, read["given_alt"])).to_series().alias("given"),
        read["given_alt"], read["surname_alt"], read["other_given"],
        pl.select(pl.coalesce(last, read["surname_alt"])).to_series().alias("surname"),
        read["generation"], read["couple"],
        legal["given_alt"].alias("given_legal"), legal["surname_alt"].alias("surname_legal"),
        _middles(read["middle"], legal["middle"], other),
    ])  # fmt: skip
    org_rows = c.filter(is_org).select("_row", "_name", "_legal")
    biz = _read_distinct(org_rows["_name"], business_parts)
    biz_legal = _read_distinct(org_rows["_legal"], business_parts)
    o = pl.DataFrame([
        org_rows["_row"], *[biz[k].alias(f"org_{k}") for k in biz.columns],
        biz_legal["core"].alias("org_core_legal"), biz_legal["category"].alias("_legal_category"),
        biz_legal["category_detail"].alias("_legal_detail"),
    ]).with_columns(pl.col("org_legal_form").fill_null(False))  # fmt: skip
    out = c.join(p, on="_row", how="left").join(o, on="_row", how="left").sort("_row")
    return out.with_columns(pl.col("couple").fill_null(False)).drop("_row")


def standardise(frames: Frames, practices: pl.DataFrame) -> pl.DataFrame:
    """One row per client with the features compare/candidates use; sorted by (practice_id, key), rid = row."""
    regions = practices.select("practice_id", pl.col("region").alias("practice_region")).unique("practice_id")
    c = frames.client.join(regions, on="practice_id", how="left").sort(_KEY)
    c = _names(c)
    c = _name_parts(c)
    # values read once per distinct value: one street table for both address lines, one for both suburbs
    address, postal = per_value([c["address_line1"], c["postal_line1"]], normalise_address)
    city, postal_city = per_value([c["city"], c["postal_city"]], clean_text)
    (email,) = per_value([c["email"]], normalise_email)
    out = c.select(
        *_KEY, *_PERSON_COLS, *_ORG_COLS,
        "given_legal", "surname_legal", "org_core_legal", "_legal_category", "_legal_detail", "structure_category",
        key=record_key(pl.col("source"), pl.col("source_client_id")),
        kind="kind",
        region="practice_region",
        dob=_without_placeholders(pl.col("date_of_birth")),
        email=email,
        phone="phone",
        mobile="mobile",
        address=address,
        postal=postal,
        city=city,
        postal_city=postal_city,
        postcode=pl.col("postcode").str.replace_all(r"\s", "").str.to_uppercase(),
        postal_postcode=pl.col("postal_postcode").str.replace_all(r"\s", "").str.to_uppercase(),
        manager="account_manager_id",
        xpm_client_uuid="xpm_client_uuid",
    )  # fmt: skip
    out = out.with_columns(
        # category: what the name says, else what the structure says (org records only)
        category=pl.when(pl.col("kind") == "org").then(
            pl.coalesce(pl.col("org_category"), pl.col("_legal_category"), pl.col("structure_category").replace("person", None))
        ),
        _domain=pl.col("email").str.split("@").list.last(),
        # the legal name's entity wording fills in what a typo hid in the display name
        org_category_detail=pl.coalesce("org_category_detail", "_legal_detail"),
    ).drop("_legal_category", "_legal_detail")
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
    out = out.with_columns(
        # a middle word that is the person's given name or surname again, or a surname's particle ("Anna van der Berg"),
        # is not a middle name
        middles=pl.col("middles").fill_null([]).list.set_difference(
            pl.concat_list(pl.lit(_PARTICLES, dtype=pl.List(pl.String)), *[pl.col(c).fill_null("") for c in ("given", "surname", "given_alt", "surname_alt")])
        ).list.sort(),
    )
    out = _linked(out, frames).drop("phone", "mobile")
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
