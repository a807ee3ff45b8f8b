"""The "geco" corruption model: each system's record of a client, spoilt by published kinds of data error.

A second model beside sources.render, written without looking at the matcher: the kinds of error
come from GeCo and Febrl (see synthetic/corrupt.py), and how often each happens is drawn per zone
from a wide range (then varied per practice), so no two zones have the same error mix. It renders the
same entities, so the truth files are the same kind and the hard look-alikes are the same people.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime

from synthetic import corrupt, ids, noise, vocab
from synthetic.entities import PERSON_KINDS, STRUCTURE, Entity
from synthetic.sources import Context, _extras, _legal, _name, _stamp

__all__ = ["RANGES", "Profile", "draw_profile", "render_geco"]

# error kind -> (low, high): the zone's rate is drawn uniformly in between
RANGES: dict[str, tuple[float, float]] = {
    "name_typo": (0.01, 0.12),  # keyboard or edit typo in a name word
    "name_ocr": (0.0, 0.03),
    "name_phonetic": (0.0, 0.06),
    "nickname": (0.02, 0.25),  # the name the person goes by, or the formal one
    "initial": (0.0, 0.08),  # given name as an initial
    "middle": (0.0, 0.25),  # middle name or initial written in
    "title": (0.0, 0.15),  # "Mr", "Dr" in the name
    "case": (0.0, 0.3),  # a system that keys in capitals (or lower case)
    "comma": (0.0, 0.35),  # "Surname, Given"
    "swap_names": (0.0, 0.03),  # given and family name in each other's place
    "structured_missing": (0.0, 0.3),  # first/last fields empty, only the display name
    "surname_change": (0.0, 0.06),  # a married or hyphenated surname
    "dob_missing": (0.05, 0.45),
    "dob_error": (0.0, 0.06),
    "email_missing": (0.05, 0.45),
    "email_variant": (0.0, 0.2),  # capitals or a typo in the same mailbox
    "email_other": (0.0, 0.08),  # another mailbox of the same client
    "phone_missing": (0.05, 0.45),
    "phone_other": (0.0, 0.1),  # an old or second number
    "phone_typo": (0.0, 0.02),
    "address_missing": (0.02, 0.25),
    "moved": (0.02, 0.15),  # an old address in one system
    "address_typo": (0.0, 0.1),
    "abbrev": (0.1, 0.7),  # street types and business words abbreviated
    "id_missing": (0.05, 0.45),
    "id_typo": (0.0, 0.02),
    "id_format": (0.1, 0.9),  # spaces, dashes, a leading zero
    "org_variant": (0.1, 0.6),  # legal suffix spelt otherwise, "&" for "and", "The" dropped
    "org_typo": (0.0, 0.08),
    "duplicate_in_system": (0.0, 0.12),  # the client keyed twice in one system
}
# given-name aliases the generator uses on top of vocab.NICKNAMES: its own list, not the matcher's
ALIASES: dict[str, tuple[str, ...]] = {
    "Margaret": ("Greta", "Rita", "Madge"), "Elizabeth": ("Eliza", "Bess", "Elsie", "Lisa"), "Alexander": ("Sandy", "Xander"),
    "Catherine": ("Kit", "Cat"), "Katherine": ("Kat", "Kitty"), "Christopher": ("Kit", "Topher"), "Edward": ("Eddie", "Ned"),
    "Richard": ("Rich", "Richie"), "Anthony": ("Ant",), "Jennifer": ("Jenn",), "Rebecca": ("Becca",), "Victoria": ("Vic",),
    "Patricia": ("Patty", "Tricia"), "Susan": ("Suzy", "Sukie"), "Frederick": ("Freddie", "Fritz"), "Henry": ("Hal",),
    "Joseph": ("Joey", "Jos"), "Lawrence": ("Laurie", "Lol"), "Samuel": ("Sammy",), "Benjamin": ("Benji", "Benny"),
    "Nicholas": ("Nicky", "Nico"), "Matthew": ("Matty",), "Thomas": ("Thom",), "William": ("Wills", "Liam"),
    "Jonathan": ("Jonny", "Johnny"), "Michael": ("Mikey", "Micky"), "Timothy": ("Timmy",), "Gregory": ("Gregg",),
    "Raymond": ("Ray",), "Kenneth": ("Kenny",), "Daniel": ("Dani",), "Stephen": ("Steph", "Stevie"),
    "Deborah": ("Debra", "Debs"), "Dorothy": ("Dottie", "Dolly"), "Barbara": ("Babs",), "Pamela": ("Pammy",),
    "Jessica": ("Jessie",), "Samantha": ("Sammi",), "Alexandra": ("Sandra", "Xandra"), "Abigail": ("Gail",),
    "Isobel": ("Bella", "Isla"), "Natalie": ("Nattie",), "Charlotte": ("Lottie", "Charlie"), "Amelia": ("Millie",),
    "Emily": ("Em",), "Sophie": ("Soph",), "Olivia": ("Liv",), "Hannah": ("Han",), "Megan": ("Meg",),
}
_TITLES = {True: ("Mr", "Dr", "Mr.", "MR"), False: ("Mrs", "Ms", "Miss", "Dr", "Mrs.")}


@dataclass(frozen=True)
class Profile:
    """One zone's error rates (error kind -> probability)."""

    rates: dict[str, float]

    def vary(self, rng: random.Random) -> "Profile":
        """A practice's own rates: the zone's, each scaled by a factor between 0.5 and 1.5."""
        return Profile({k: min(1.0, v * rng.uniform(0.5, 1.5)) for k, v in self.rates.items()})


def draw_profile(seed: int) -> Profile:
    """The zone's error rates, drawn once per seed from RANGES."""
    rng = random.Random(f"scr-geco-profile:{seed}")
    return Profile({k: rng.uniform(lo, hi) for k, (lo, hi) in RANGES.items()})


def _spoil_word(rng: random.Random, s: str, p: dict[str, float]) -> str:
    """A name word as keyed: a typo, an OCR confusion or a phonetic spelling, each at its zone's rate."""
    if rng.random() < p["name_typo"]:
        s = (corrupt.keyboard_typo if rng.random() < 0.5 else corrupt.edit)(rng, s)
    if rng.random() < p["name_ocr"]:
        s = corrupt.ocr(rng, s)
    if rng.random() < p["name_phonetic"]:
        s = corrupt.phonetic(rng, s)
    return s


def _given(rng: random.Random, first: str, p: dict[str, float]) -> str:
    if rng.random() < p["nickname"]:
        options = vocab.NICKNAMES.get(first, ()) + ALIASES.get(first, ())
        if options:
            first = rng.choice(options)
    return first


def _person_name(rng: random.Random, e: Entity, p: dict[str, float]) -> tuple[str, str | None, str, str]:
    """(name field, first_name field, last_name field, middle) of a person as this system keyed it."""
    first = _spoil_word(rng, _given(rng, e.first or "", p), p)
    last = e.last or ""
    if e.alt_last and rng.random() < 0.3:
        last = e.alt_last
    elif rng.random() < p["surname_change"]:
        other = rng.choice(vocab.SURNAMES)
        last = rng.choice((f"{last}-{other}", f"{other}-{last}", other))
    last = _spoil_word(rng, last, p)
    middle = ""
    if e.other and rng.random() < p["middle"]:
        middle = e.other if rng.random() < 0.5 else e.other[0]
    if rng.random() < p["initial"]:
        first = first[0]
    if rng.random() < p["swap_names"]:
        first, last = last, first
    gen = f" {e.gen}" if e.gen and rng.random() < 0.7 else ""
    given = f"{first} {middle}".strip()
    name = f"{last}, {given}{gen}" if rng.random() < p["comma"] else f"{given} {last}{gen}"
    if rng.random() < p["title"]:
        name = f"{rng.choice(_TITLES[e.first in vocab.MALE])} {name}"
    return name, first, last, middle


def _org_name(rng: random.Random, e: Entity, source: str, ctx: Context, p: dict[str, float]) -> str:
    name = _name(rng, e, source, "", "", ctx)  # the system's wording of an organisation (trustee, suffix)
    if rng.random() < p["org_variant"]:
        name = rng.choice((corrupt.abbreviate_word(rng, name), name.removeprefix("The ").removeprefix("the "),
                           name.replace(" and ", " & ") if " and " in name else name.replace(" & ", " and ")))
    if rng.random() < p["org_typo"]:
        name = (corrupt.keyboard_typo if rng.random() < 0.5 else corrupt.edit)(rng, name)
    return name


def _ids_geco(rng: random.Random, e: Entity, source: str, p: dict[str, float]) -> list[tuple[str, str]]:
    """Identifiers this system holds: some missing, a few mistyped, formatted several ways, typed per system.

    XPM has one field per number (TaxNumber, CompanyNumber, BusinessNumber: the writer picks the kind);
    HQ names a company number "CRN" in any region, as Xero HQ does.
    """
    kinds = {"xpm": ("TFN", "IRD", "ACN", "COMPANY", "CRN", "ABN", "NZBN", "UTR"),
             "hq": ("ABN", "ACN", "COMPANY", "TFN", "IRD", "NZBN", "CRN", "UTR", "EIN"),
             "tax": ("TFN", "IRD", "ABN")}[source]
    out = []
    for kind in kinds:
        value = e.ids.get(kind)
        if value is None or rng.random() < p["id_missing"]:
            continue
        if rng.random() < p["id_typo"]:
            value = ids.mistype(rng, value, kind) if rng.random() < 0.5 else corrupt.digits_typo(rng, value)
        if rng.random() < p["id_format"]:
            value = noise.identifier(rng, value, kind) if rng.random() < 0.6 else _pad(rng, value, kind)
        typed = kind
        if source == "hq" and kind in ("ACN", "COMPANY") and (kind == "COMPANY" or rng.random() < 0.5):
            typed = "CRN"  # HQ's company-number type, whatever the region
        out.append((typed, value))
    return out


def _pad(rng: random.Random, value: str, kind: str) -> str:
    """An 8-digit IRD with its leading zero, or a number broken by dashes."""
    if kind == "IRD" and len(value) == 8:
        v = "0" + value
        return rng.choice((v, f"{v[:3]}-{v[3:6]}-{v[6:]}", f"{v[:3]} {v[3:6]} {v[6:]}"))
    return "-".join(value[i:i + 3] for i in range(0, len(value), 3))


def _dob(rng: random.Random, e: Entity, p: dict[str, float]) -> str | None:
    if not e.dob or rng.random() < p["dob_missing"]:
        return None
    d = e.dob
    if rng.random() < p["dob_error"]:
        d = corrupt.date_error(rng, d, {"swap": 0.4, "year": 0.3, "digit": 0.3})
    return d.isoformat()


def _email(rng: random.Random, e: Entity, p: dict[str, float]) -> str | None:
    if not e.email or rng.random() < p["email_missing"]:
        return None
    if rng.random() < p["email_other"]:
        local = (e.first or "office").lower() + (e.last or "")[:1].lower()
        return f"{local}@{rng.choice(vocab.EMAIL_DOMAINS[e.region])}"
    if rng.random() < p["email_variant"]:
        return corrupt.email_variant(rng, e.email)
    return e.email


def _phone(rng: random.Random, digits: str | None, ctx: Context, mobile: bool, p: dict[str, float], maker) -> str | None:
    if not digits or rng.random() < p["phone_missing"]:
        return None
    if rng.random() < p["phone_other"]:
        digits = maker(mobile)
    elif rng.random() < p["phone_typo"]:
        digits = corrupt.digits_typo(rng, digits)
    return noise.phone(rng, digits, ctx.region, mobile)


def _address(rng: random.Random, e: Entity, ctx: Context, p: dict[str, float]):
    if rng.random() < p["address_missing"]:
        return None
    unit, line, city, state, pc = ctx.new_address() if rng.random() < p["moved"] else e.address
    line1 = noise.street(rng, unit, line, p["abbrev"])
    if rng.random() < p["address_typo"]:
        line1 = corrupt.edit(rng, line1) if rng.random() < 0.7 else corrupt.swap_words(rng, line1)
    if rng.random() < p["address_typo"] / 2:
        city = corrupt.edit(rng, city)
    if pc and rng.random() < p["address_typo"] / 4:
        pc = corrupt.digits_typo(rng, pc)
    return line1, city, state, pc


def render_geco(e: Entity, source: str, ctx: Context, p: dict[str, float], phone_maker) -> dict:
    """One record of `e` in `source` under the practice's error rates `p` (same fields as sources.render)."""
    rng, person = ctx.rng, e.kind in PERSON_KINDS
    r: dict = {"eid": e.eid, "source": source, "business_structure": STRUCTURE[e.kind]}
    if rng.random() < 0.03:
        r["business_structure"] = None
    if person:
        name, first, last, middle = _person_name(rng, e, p)
        if e.kind == "sole_trader" and e.trading and rng.random() < 0.3:
            name = rng.choice((f"{name} T/A {e.trading}", f"{name} T/A {e.trading}", e.trading))
        r["name"] = name
        if rng.random() >= p["structured_missing"]:
            r["first_name"], r["last_name"] = first, last
        r["date_of_birth"] = _dob(rng, e, p)
        if source == "xpm":
            r["title"], r["other_name"] = e.title, (middle or e.other)
    else:
        r["name"] = _org_name(rng, e, source, ctx, p)
    if rng.random() < p["case"]:  # a clerk or a system that keys every name in one case
        upper = rng.random() < 0.8
        for k in ("name", "first_name", "last_name"):
            if r.get(k):
                r[k] = r[k].upper() if upper else r[k].lower()
    r["email"] = _email(rng, e, p)
    main = e.phone or (e.mobile if source != "xpm" else None)
    r["phone"] = _phone(rng, main, ctx, main == e.mobile and main is not None, p, phone_maker)
    if source == "xpm":
        r["mobile"] = _phone(rng, e.mobile, ctx, True, p, phone_maker)
        r["website"] = e.website
    addr = _address(rng, e, ctx, p)
    line1, city, state, pc = addr or (None, None, None, None)
    country = rng.choice(vocab.COUNTRY[ctx.region])
    if source in ("xpm", "hq"):
        r.update(address_line1=line1, city=city, region=state, postcode=pc or None, country=country if line1 else None)
    if source in ("xpm", "tax") and rng.random() < (0.5 if source == "xpm" else 0.9):
        post = e.postal or e.address
        r.update(postal_line1=noise.street(rng, post[0], post[1], p["abbrev"]), postal_city=post[2],
                 postal_region=post[3], postal_postcode=post[4] or None)
    r["identifiers"] = _ids_geco(rng, e, source, p)
    if source == "xpm":
        r["gst_registered"], r["is_prospect"] = e.gst, e.prospect
        if ctx.staff and rng.random() < 0.8:
            r["account_manager"] = rng.choice(ctx.staff)
    elif source == "hq":
        r["legal_name"] = _legal(e) if rng.random() < 0.6 else None
        r["client_type"] = "PERSON" if person else "ORGANISATION"
        r["updated_at"] = _stamp(rng, datetime(2019, 1, 1), datetime(2023, 10, 30))
    r["archived"] = (rng.random() < 0.8) if e.archived else (rng.random() < 0.01)
    _extras(e, source, ctx, r, person)
    return r
