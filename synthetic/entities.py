"""The real clients of one practice: households with their companies and trusts, hard look-alikes, loners."""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta

from synthetic import ids, vocab

# kind -> XPM BusinessStructure
STRUCTURE = {
    "individual": "Individual", "sole_trader": "Sole Trader", "company": "Company", "trust": "Trust",
    "unit_trust": "Trust", "partnership": "Partnership", "super_fund": "Superannuation Fund",
    "charitable_trust": "Charitable Trust", "inc_society": "Incorporated Society",
}
PERSON_KINDS = ("individual", "sole_trader")


@dataclass
class Entity:
    """One real client, as it truly is; sources.py decides how each system spells it."""

    eid: str
    kind: str
    region: str
    name: str  # canonical legal name
    base: str = ""  # organisation name without legal suffix / trust words
    suffix: str = ""  # company legal suffix as registered
    trading: str | None = None  # sole trader's business name
    title: str | None = None
    first: str | None = None
    other: str | None = None
    last: str | None = None
    gen: str | None = None  # Jr / Sr
    alt_last: str | None = None  # a former surname some system still shows
    dob: date | None = None
    email: str | None = None
    phone: str | None = None  # digits, national format
    mobile: str | None = None
    website: str | None = None
    address: tuple[str, str, str, str, str] | None = None  # unit, number+street, city, region, postcode
    postal: tuple[str, str, str, str, str] | None = None
    ids: dict[str, str] = field(default_factory=dict)
    gst: bool = False
    prospect: bool = False
    archived: bool = False
    family: str | None = None  # household surname: its family group
    relations: list[tuple[str, str]] = field(default_factory=list)  # (type, other eid)
    people: list[str] = field(default_factory=list)  # contact names
    org: tuple[str, str] | None = None  # connected Xero organisation (id, name)


@dataclass
class Cast:
    """A practice's real clients and the look-alike pairs among them."""

    entities: list[Entity]
    hard_pairs: list[tuple[str, str, str]]  # (eid a, eid b, kind)


class Maker:
    """Draws one practice's clients, keeping what must stay unique (mailboxes, company names)."""

    def __init__(self, rng: random.Random, region: str, prefix: str):
        self.rng, self.region, self.prefix = rng, region, prefix
        self.entities: list[Entity] = []
        self.pairs: list[tuple[str, str, str]] = []
        self.emails: set[str] = set()
        self.companies: set[str] = set()

    def _new(self, kind: str, name: str, **kw) -> Entity:
        e = Entity(eid=f"{self.prefix}-E{len(self.entities) + 1:05d}", kind=kind, region=self.region, name=name, **kw)
        self.entities.append(e)
        return e

    def uid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def address(self) -> tuple[str, str, str, str, str]:
        r = self.rng
        city, state, pc = r.choice(vocab.LOCALITIES[self.region])
        unit = str(r.randint(1, 40)) if r.random() < 0.2 else ""
        street = f"{r.randint(1, 250)} {r.choice(vocab.STREETS)} {r.choice(list(vocab.STREET_TYPES))}"
        return unit, street, city, state, pc

    def phone(self, mobile: bool) -> str:
        r, reg = self.rng, self.region
        tail = lambda n: "".join(r.choice("0123456789") for _ in range(n))  # noqa: E731
        if reg == "AU":
            return "04" + tail(8) if mobile else r.choice("2378") + r.choice("3456789") + tail(7)
        if reg == "NZ":
            return r.choice(("21", "22", "27")) + tail(7) if mobile else r.choice("34679") + r.choice("2345789") + tail(6)
        if reg == "UK":
            return "7" + tail(9) if mobile else r.choice(("20", "161", "113", "117")) + tail(7)
        return r.choice(("415", "512", "303", "617", "206")) + r.choice("23456789") + tail(6)

    def email(self, first: str, last: str) -> str:
        r = self.rng
        local = r.choice((f"{first}.{last}", f"{first[0]}{last}", f"{first}{r.randint(1, 99)}", f"{last}.{first[0]}"))
        return self.unique_email((local.replace("'", "") + "@" + r.choice(vocab.EMAIL_DOMAINS[self.region])).lower())

    def unique_email(self, out: str) -> str:
        while out in self.emails:  # a mailbox belongs to one client: namesakes do not share one by chance
            out = out.replace("@", str(self.rng.randint(0, 9)) + "@", 1)
        self.emails.add(out)
        return out

    def dob(self, lo: int = 1940, hi: int = 2002) -> date:
        return date(lo, 1, 1) + timedelta(days=self.rng.randrange((date(hi, 12, 31) - date(lo, 1, 1)).days))

    def tax_ids(self, e: Entity, org: bool) -> None:
        r, reg = self.rng, self.region
        if reg == "AU":
            e.ids["TFN"] = ids.make_tfn(r)
            if e.kind == "company":
                e.ids["ACN"] = ids.make_acn(r)
                e.ids["ABN"] = ids.abn_of(e.ids["ACN"]) if r.random() < 0.8 else ids.make_abn(r)
            elif org or e.kind == "sole_trader" or r.random() < 0.1:
                e.ids["ABN"] = ids.make_abn(r)
        elif reg == "NZ":
            e.ids["IRD"] = ids.make_ird(r)
            if e.kind == "company":
                e.ids["COMPANY"] = ids.make_nz_company(r)
            if (org or e.kind == "sole_trader") and r.random() < 0.7:
                e.ids["NZBN"] = ids.make_nzbn(r)
        elif reg == "UK":
            if e.kind == "company":
                e.ids["CRN"] = ids.make_crn(r)
            if r.random() < 0.6:
                e.ids["UTR"] = ids.make_utr(r)
        elif reg == "US" and org and r.random() < 0.7:
            e.ids["EIN"] = ids.make_ein(r)

    def finish(self, e: Entity, addr=None, phone=None, email=None) -> Entity:
        r = self.rng
        org = e.kind not in PERSON_KINDS
        e.address = addr or self.address()
        if r.random() < 0.25:
            e.postal = ("", f"PO Box {r.randint(1, 9999)}", *e.address[2:])
        e.phone = phone if phone is not None else (self.phone(False) if r.random() < 0.6 else None)
        if not org:
            e.mobile = self.phone(True) if r.random() < 0.8 else None
        first = e.first or (e.base.split()[0] if e.base else "info")
        e.email = email or (self.email(first, e.last or "admin") if not org else
                            self.unique_email(f"{r.choice(('info', 'admin', 'accounts', 'office'))}@{_slug(e.base or e.name)}{vocab.TLD[self.region]}"))
        if org and r.random() < 0.3:
            e.website = f"www.{_slug(e.base or e.name)}{vocab.TLD[self.region]}"
        e.gst = org and r.random() < 0.6 or (e.kind == "sole_trader" and r.random() < 0.7)
        self.tax_ids(e, org)
        e.archived = r.random() < 0.06
        e.prospect = not e.archived and r.random() < 0.02
        if org and e.kind not in ("charitable_trust",) and r.random() < 0.45:
            e.org = (self.uid(), e.trading or e.base or e.name)
        elif e.kind == "sole_trader" and r.random() < 0.6:
            e.org = (self.uid(), e.trading or e.name)
        return e

    def person(self, last: str, male: bool, first: str | None = None, kind: str = "individual", **kw) -> Entity:
        r = self.rng
        first = first or r.choice(vocab.MALE if male else vocab.FEMALE)
        other = r.choice(vocab.MALE if male else vocab.FEMALE) if r.random() < 0.3 else None
        title = r.choice(vocab.TITLES_M if male else vocab.TITLES_F) if r.random() < 0.5 else None
        name = f"{first} {last}" + (f" {kw['gen']}" if kw.get("gen") else "")
        e = self._new(kind, name, title=title, first=first, other=other, last=last, **kw)
        if "dob" not in kw:
            e.dob = self.dob()
        if kind == "sole_trader":
            e.trading = f"{last} {r.choice(vocab.BUSINESS_WORDS)}"
        return e

    def company(self, base: str, family: str | None = None) -> Entity:
        while base in self.companies:  # registered company names are unique
            base = f"{self.rng.choice('ABCDEGJKLMPRSTW')} {base}" if self.rng.random() < 0.5 else f"{base} {self.rng.choice(vocab.PLACES)}"
        self.companies.add(base)
        suffix = {"AU": "Pty Ltd", "NZ": "Limited", "UK": "Ltd", "US": "LLC"}.get(self.region, "Ltd")
        return self._new("company", f"{base} {suffix}", base=base, suffix=suffix, family=family)

    def household(self) -> None:
        r = self.rng
        last = r.choice(vocab.SURNAMES)
        addr, home = self.address(), self.phone(False) if r.random() < 0.7 else None
        a = self.finish(self.person(last, r.random() < 0.5, family=last, kind="sole_trader" if r.random() < 0.15 else "individual"), addr, home)
        members = [a]
        if r.random() < 0.6:  # spouse: shares address, home phone, often the email
            b = self.person(last, r.random() < 0.5, family=last)
            self.finish(b, addr, home, a.email if r.random() < 0.4 else None)
            if r.random() < 0.15:  # kept a former surname, and one system still has it
                b.alt_last = r.choice(vocab.SURNAMES)
            b.relations.append(("Spouse", a.eid))
            a.relations.append(("Spouse", b.eid))
            self.pairs.append((a.eid, b.eid, "spouses"))
            members.append(b)
        if r.random() < 0.15 and a.dob:  # child named after the parent
            age = timedelta(days=365 * r.randint(22, 35) + r.randrange(365))
            gen = r.random() < 0.4
            child_dob = min(a.dob + age, date(2005, 12, 31))
            c = self.person(last, True, first=a.first, family=last, gen="Jr" if gen else None, dob=child_dob)
            if gen:
                a.gen, a.name = "Sr", a.name + " Sr"
            self.finish(c, addr if r.random() < 0.5 else None, home if r.random() < 0.5 else None)
            self.pairs.append((a.eid, c.eid, "parent_child"))
        company = None
        if r.random() < 0.35:
            company = self.company(f"{last} {r.choice(vocab.BUSINESS_WORDS + list(vocab.HOLDING_WORDS))}", last)
            self.finish(company, addr if r.random() < 0.4 else None, home if r.random() < 0.3 else None,
                        a.email if r.random() < 0.2 else None)  # the director's own mailbox for the company
            company.relations.append(("Director", a.eid))
            company.people = [m.name for m in members]
            if len(members) > 1:
                company.relations.append(("Shareholder", members[1].eid))
            self.pairs.append((company.eid, a.eid, "company_director"))
        if r.random() < 0.3:
            trustee = company
            if trustee is None or r.random() < 0.5:
                trustee = self.finish(self.company(f"{last} {r.choice(vocab.HOLDING_WORDS)}", last), addr)
                trustee.relations.append(("Director", a.eid))
            word = r.choice(vocab.TRUST_WORDS[:3])
            t = self.finish(self._new("trust", f"{last} {word} Trust", base=f"{last} {word}", family=last), addr,
                            None, trustee.email if r.random() < 0.3 else None)
            t.relations += [("Trustee", trustee.eid), ("Beneficiary", a.eid)]
            t.people = [a.name]
            self.pairs.append((t.eid, trustee.eid, "trust_trustee"))
            if r.random() < 0.3:
                other = r.choice([w for w in vocab.TRUST_WORDS if w != word])
                t2 = self.finish(self._new("trust", f"{last} {other} Trust", base=f"{last} {other}", family=last), addr)
                t2.relations.append(("Trustee", trustee.eid))
                self.pairs.append((t.eid, t2.eid, "family_trusts"))
        if self.region == "AU" and r.random() < 0.15:  # self-managed super funds are an Australian thing
            s = self.finish(self._new("super_fund", f"{last} Superannuation Fund", base=last, family=last), addr)
            s.relations += [("Trustee", m.eid) for m in members]
            s.people = [m.name for m in members]

    def loner(self) -> None:
        r = self.rng
        kind = r.choices(
            ("individual", "sole_trader", "company", "partnership", "unit_trust", "charitable_trust", "inc_society"),
            (50, 12, 20, 6, 3, 3, 4),
        )[0]
        last = r.choice(vocab.SURNAMES)
        if kind in PERSON_KINDS:
            people = [e for e in self.entities if e.kind == "individual" and e.first]
            if people and r.random() < 0.12:  # an unrelated namesake: same name, different life
                twin = r.choice(people)
                e = self.person(twin.last, twin.first in vocab.MALE, first=twin.first, kind=kind)
                self.pairs.append((twin.eid, e.eid, "common_name"))
            else:
                e = self.person(last, r.random() < 0.5, kind=kind)
        elif kind == "company":
            e = self.company(r.choice((f"{last} {r.choice(vocab.BUSINESS_WORDS)}", f"{r.choice(vocab.PLACES)} {r.choice(vocab.BUSINESS_WORDS)}")))
            e.people = [f"{r.choice(vocab.MALE + vocab.FEMALE)} {last}"]
        elif kind == "partnership":
            f1, f2 = r.choice(vocab.MALE), r.choice(vocab.FEMALE)
            e = self._new(kind, f"{f1} & {f2} {last}", base=last, first=f1, other=f2, last=last)
            e.people = [f"{f1} {last}", f"{f2} {last}"]
        elif kind == "unit_trust":
            base = f"{r.choice((last, r.choice(vocab.PLACES)))} Property"
            e = self._new(kind, f"{base} Unit Trust", base=base)
        elif kind == "charitable_trust":
            base = f"{r.choice(vocab.PLACES)} {r.choice(vocab.CHARITY_WORDS)}"
            e = self._new(kind, base, base=base)
        else:
            base = f"{r.choice(vocab.PLACES)} {r.choice(vocab.SOCIETY_WORDS)}"
            e = self._new(kind, f"{base} Incorporated", base=base)
        self.finish(e)


def _slug(name: str) -> str:
    return "".join(ch for ch in name.lower() if ch.isalnum())[:24] or "client"


def make_cast(rng: random.Random, region: str, prefix: str, size: int, households: bool = True) -> Cast:
    """About `size` real clients of one practice: households with their entities, and unrelated clients."""
    m = Maker(rng, region, prefix)
    while len(m.entities) < size:
        if households and size - len(m.entities) >= 4 and rng.random() < 0.35:
            m.household()
        else:
            m.loner()
    return Cast(m.entities, m.pairs)
