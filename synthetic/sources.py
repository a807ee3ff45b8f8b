"""How each system (XPM, HQ, Tax) spells one real client: one record dict in staging column names."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from synthetic import ids, noise, vocab
from synthetic.entities import PERSON_KINDS, STRUCTURE, Entity


@dataclass
class Context:
    """Practice-wide things records refer to: staff, groups, custom-field definitions."""

    rng: random.Random
    region: str
    uid: object  # () -> new UUID string
    new_address: object  # () -> a different address (a client who moved)
    staff: list[tuple[str, str]] = field(default_factory=list)
    groups: dict[tuple[str, str], tuple[str, str]] = field(default_factory=dict)  # (source, key) -> (id, name)
    custom_defs: dict[str, str] = field(default_factory=dict)  # field name -> XPM field UUID
    codes: dict[str, int] = field(default_factory=dict)  # tax client-code prefix -> last number used
    entities: dict[str, Entity] = field(default_factory=dict)  # eid -> entity

    def group(self, source: str, key: str, name: str) -> tuple[str, str]:
        if (source, key) not in self.groups:
            self.groups[(source, key)] = (self.uid(), name)
        return self.groups[(source, key)]


def _name(rng: random.Random, e: Entity, source: str, first: str, last: str, ctx: Context) -> str:
    """The client's name as this system shows it."""
    k = e.kind
    if k in PERSON_KINDS:
        gen = f" {e.gen}" if e.gen and rng.random() < 0.7 else ""
        if rng.random() < 0.05:  # initial only
            first = first[0]
        plain = f"{first} {last}{gen}"
        if source == "tax" and rng.random() < 0.5:
            plain = f"{last}, {first}{gen}"
        elif source == "xpm" and rng.random() < 0.05:
            plain = f"{last}, {first}{gen}"
        if k == "sole_trader" and e.trading:
            x = rng.random()
            if x < 0.2:
                return f"{plain} T/A {e.trading}"
            if x < 0.3:
                return e.trading
        return plain
    if k == "company":
        if source == "hq" and rng.random() < 0.12:  # HQ shows the trading name, no legal suffix
            return e.base
        return f"{e.base} {noise.suffix(rng, e.suffix)}"
    if k == "trust":
        trustee = e.relations[0][1] if e.relations else None
        x = rng.random()
        if x < 0.35:
            return f"The Trustee for the {e.name}" if rng.random() < 0.5 else f"The Trustee for {e.name}"
        if x < 0.45 and source == "tax" and trustee:
            return f"{ctx.entities[trustee].name} ATF {e.name}"
        if x < 0.5:
            return f"The {e.name}"
        return e.name
    if k == "super_fund":
        return rng.choice((e.name, e.name, f"{e.base} Super Fund", f"The Trustee for {e.name}", f"{e.base} SMSF"))
    if k == "partnership":
        f1, f2 = e.first or "", e.other or ""
        return rng.choice((e.name, f"{f1[0]} & {f2[0]} {e.last}", f"{f1} {e.last} & {f2} {e.last}", f"{e.last} Partnership"))
    if k == "inc_society":
        return f"{e.base} " + rng.choice(("Incorporated", "Incorporated", "Inc", "Inc."))
    if k == "charitable_trust" or k == "unit_trust":
        return rng.choice((e.name, e.name, f"The {e.name}"))
    return e.name


def _ids(rng: random.Random, e: Entity, kinds: tuple[str, ...], p: float) -> list[tuple[str, str]]:
    """The identifiers this system holds for the client: some missing, a few mistyped."""
    out = []
    for kind in kinds:
        value = e.ids.get(kind)
        if value is None or rng.random() >= p:
            continue
        if rng.random() < 0.015:
            value = ids.mistype(rng, value, kind)
        out.append((kind, noise.identifier(rng, value, kind)))
    return out


def _stamp(rng: random.Random, lo: datetime, hi: datetime) -> str:
    return (lo + timedelta(seconds=rng.randrange(int((hi - lo).total_seconds())))).strftime("%Y-%m-%dT%H:%M:%SZ")


def render(e: Entity, source: str, ctx: Context) -> dict:
    """One record of `e` in `source` (xpm, hq, tax); ids and cross-references are filled in by the caller."""
    rng, reg = ctx.rng, ctx.region
    person = e.kind in PERSON_KINDS
    p_nick = {"xpm": 0.05, "hq": 0.15, "tax": 0.08}[source]
    first = noise.nickname(rng, e.first, p_nick) if person else None
    last = e.alt_last if e.alt_last and rng.random() < 0.3 else e.last
    name = noise.fuzz_name(rng, _name(rng, e, source, first, last, ctx), upper=0.35 if source == "tax" else 0.03)
    r: dict = {"eid": e.eid, "source": source, "name": name, "business_structure": STRUCTURE[e.kind]}
    if rng.random() < 0.03:
        r["business_structure"] = None
    if person:
        r["first_name"] = noise.fuzz_name(rng, first, 0.02, 0.0) if rng.random() > 0.05 else None
        r["last_name"] = noise.fuzz_name(rng, last, 0.02, 0.0)
        if e.dob and rng.random() > (0.25 if source == "hq" else 0.12):
            dob = e.dob
            if rng.random() < 0.01 and dob.day <= 12 and dob.day != dob.month:  # day and month keyed swapped
                dob = dob.replace(month=dob.day, day=dob.month)
            r["date_of_birth"] = dob.isoformat()
        if source == "xpm":
            r["title"], r["other_name"] = e.title, e.other
    email = e.email if rng.random() > 0.12 else None
    if email and rng.random() < 0.04:
        email = email.capitalize()
    elif email and rng.random() < 0.03:
        email = f"{(e.first or 'office').lower()}@{_domain(e)}"
    r["email"] = email
    phone = e.phone or (e.mobile if source != "xpm" else None)
    r["phone"] = noise.phone(rng, phone, reg, phone == e.mobile) if rng.random() > 0.15 else None
    if source == "xpm":
        r["mobile"] = noise.phone(rng, e.mobile, reg, True) if rng.random() > 0.1 else None
        r["website"] = e.website
    address = e.address if rng.random() > 0.04 else ctx.new_address()  # moved, and this system knows
    unit, line, city, state, pc = address
    line1 = noise.street(rng, unit, line)
    city = noise.fuzz_name(rng, city, 0.02, 0.05)
    country = rng.choice(vocab.COUNTRY[reg])
    if rng.random() < 0.1:
        line1 = city = state = pc = None
    if source in ("xpm", "hq"):
        r.update(address_line1=line1, city=city, region=state, postcode=pc or None,
                 country=country if line1 and rng.random() < 0.7 else None)
        if source == "hq" and unit and line1 and line1.startswith("Unit") and rng.random() < 0.5:
            r["address_line1"], r["address_line2"] = noise.street(rng, "", line), f"Unit {unit}"
    if source in ("xpm", "tax"):
        post = e.postal or address
        if rng.random() < (0.5 if source == "xpm" else 0.9):
            r.update(postal_line1=noise.street(rng, post[0], post[1]), postal_city=post[2],
                     postal_region=post[3], postal_postcode=post[4] or None)
            if source == "xpm":
                r["postal_country"] = country
    if source == "xpm":
        r["identifiers"] = _ids(rng, e, ("TFN", "IRD", "ACN", "COMPANY", "ABN", "NZBN"), 0.8)
        r["gst_registered"], r["is_prospect"] = e.gst, e.prospect
        if ctx.staff and rng.random() < 0.8:
            r["account_manager"] = rng.choice(ctx.staff)
    elif source == "hq":
        r["legal_name"] = _legal(e) if rng.random() < 0.6 else None
        r["client_type"] = "PERSON" if person else "ORGANISATION"
        r["identifiers"] = _ids(rng, e, ("ABN", "ACN", "TFN", "IRD", "NZBN", "CRN", "UTR", "EIN"), 0.75)
        r["updated_at"] = _stamp(rng, datetime(2019, 1, 1), datetime(2023, 10, 30))
    else:
        r["identifiers"] = _ids(rng, e, ("TFN", "IRD", "ABN"), 0.9)
    r["archived"] = (rng.random() < 0.8) if e.archived else (rng.random() < 0.01)
    _extras(e, source, ctx, r, person)
    return r


def _domain(e: Entity) -> str:
    return e.email.split("@", 1)[1] if e.email and "@" in e.email else "example.com"


def _legal(e: Entity) -> str:
    if e.kind in PERSON_KINDS:
        return " ".join(x for x in (e.first, e.other, e.last) if x)
    return f"The Trustee for {e.name}" if e.kind in ("trust", "super_fund") else e.name


def _extras(e: Entity, source: str, ctx: Context, r: dict, person: bool) -> None:
    """Contacts, groups, custom fields, connected organisations."""
    rng = ctx.rng
    contacts = []
    if source in ("xpm", "hq") and (not person or rng.random() < 0.3):
        names = e.people or ([e.name] if person else [])
        for i, n in enumerate(names[: rng.randint(1, 2)]):
            if rng.random() < (0.9 if source == "xpm" else 0.5):
                contacts.append({"contact_id": ctx.uid(), "is_primary": i == 0, "name": n,
                                 "salutation": n.split()[0] if source == "xpm" and rng.random() < 0.5 else None,
                                 "addressee": n if source == "xpm" and rng.random() < 0.5 else None,
                                 "email": e.email if rng.random() < 0.6 else None,
                                 "phone": noise.phone(rng, e.phone, ctx.region, False) if rng.random() < 0.4 else None,
                                 "mobile": noise.phone(rng, e.mobile, ctx.region, True) if source == "xpm" and rng.random() < 0.4 else None,
                                 "position": rng.choice(vocab.POSITIONS) if rng.random() < 0.6 else None})
    r["contacts"] = contacts
    groups = []
    if source in ("xpm", "hq"):
        if e.family and rng.random() < (0.8 if source == "xpm" else 0.6):
            groups.append(ctx.group(source, "fam:" + e.family, f"{e.family} Family"))
        for g in ("Monthly GST", "Annual Accounts", "Bookkeeping", "Payroll"):
            if rng.random() < 0.08:
                groups.append(ctx.group(source, g, g))
    r["groups"] = groups
    fields = []
    if source == "xpm" and rng.random() < 0.5:
        for name, kind in rng.sample(vocab.CUSTOM_FIELDS, rng.randint(1, 3)):
            fid = ctx.custom_defs.setdefault(name, ctx.uid())
            value = {"date": lambda: f"{rng.choice((2023, 2024))}-{rng.choice(('03-31', '06-30'))}T00:00:00",
                     "number": lambda: str(rng.randrange(300, 9000, 50)),
                     "boolean": lambda: rng.choice(("Yes", "No")),
                     "text": lambda: rng.choice(vocab.REFERRALS)}[kind]()
            fields.append((fid, name, kind, value))
    r["custom_fields"] = fields
    orgs = []
    if e.org and source == "hq" and rng.random() < 0.9:
        orgs.append(e.org)
    if e.org and source == "tax" and rng.random() < 0.8:
        r["organisation_id"] = e.org[0]
    r["orgs"] = orgs
    r["relations"] = [(ctx.uid(), t, other) for t, other in e.relations] if source == "xpm" else []
