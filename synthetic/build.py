"""The zone in memory: registry, each practice's source records, sync links and ground truth (no files)."""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from synthetic import vocab
from synthetic.entities import Entity, Maker, make_cast
from synthetic.geco import draw_profile, render_geco
from synthetic.sources import Context, render

SOURCES = ("xpm", "hq", "tax")
# how records are spoilt: "default" (this project's first model, sources.render) or "geco" (published
# kinds of error at rates drawn per zone, geco.render_geco)
CORRUPTIONS = ("default", "geco")
EXPORTED_AT = "2023-10-31T23:00:00Z"


@dataclass
class PracticeData:
    """One practice: its registry row, records per source (only systems it uses), sync links, truth."""

    practice: dict
    records: dict[str, list[dict]]
    sync: list[dict] | None
    hard_pairs: list[tuple[str, str, str]]
    wrong_links: list[dict] = field(default_factory=list)  # cross-references that join two different clients


@dataclass
class Zone:
    practices: list[PracticeData]

    @property
    def registry(self) -> list[dict]:
        return [p.practice for p in self.practices]


def _registry_row(rng: random.Random, pid: str, waves: int) -> dict:
    region = rng.choices(("AU", "NZ", "UK", "US", "ROW"), (52, 30, 8, 6, 4))[0]
    hq_only = rng.random() < 0.12
    uses_xpm = not hq_only and rng.random() < 0.9
    uses_tax = not hq_only and region in ("AU", "NZ") and (rng.random() < 0.8 or not uses_xpm)
    if not uses_xpm and not uses_tax:
        uses_xpm = uses_tax = False
    owner = rng.choice(vocab.SURNAMES)
    domain = re.sub(r"[^a-z]", "", owner.lower()) + "accounting" + vocab.TLD[region]
    admin = f"{rng.choice(vocab.MALE + vocab.FEMALE).lower()}@{domain}"
    connection = "none" if not (uses_xpm or uses_tax) else rng.choices(("none", "unconfirmed", "confirmed"), (8, 14, 78))[0]
    return {
        "practice_id": pid,
        "name": f"{owner} {rng.choice(vocab.PRACTICE_WORDS)}",
        "region": region,
        "uses_xpm": uses_xpm,
        "uses_tax": uses_tax,
        "connection": connection,
        "connected_by": (admin if rng.random() < 0.7 else f"{rng.choice(vocab.FEMALE).lower()}@{domain}") if connection == "confirmed" else None,
        "master_admin": admin,
        "strategy": rng.choices(("keep_xpm", "keep_hq", "combine", None), (30, 15, 30, 25))[0],
        "wave": rng.randint(1, waves) if rng.random() < 0.85 else None,
    }


def _size(rng: random.Random) -> tuple[int, bool]:
    if rng.random() < 0.12:
        return rng.randint(2, 8), True
    return max(11, min(4000, int(rng.lognormvariate(3.65, 1.2)))), False


def _systems(rng: random.Random, e: Entity, p: dict) -> list[str]:
    avail = [s for s in SOURCES if s == "hq" or p[f"uses_{s}"]]
    if e.prospect and "xpm" in avail:
        return ["xpm"]
    odds = {"xpm": 0.8, "hq": 0.7, "tax": 0.3 if e.kind in ("inc_society", "charitable_trust") else 0.6}
    out = [s for s in avail if rng.random() < odds[s]]
    return out or [avail[0]]


def _code(ctx: Context, e: Entity) -> str:
    word = e.last or (e.base or e.name).split()[0]
    prefix = (re.sub(r"[^A-Za-z]", "", word).upper() + "XXXX")[:4]
    ctx.codes[prefix] = ctx.codes.get(prefix, 0) + 1
    return f"{prefix}{ctx.codes[prefix]:03d}"


def _stamp(rng: random.Random, lo: datetime, hi: datetime) -> datetime:
    return lo + timedelta(seconds=rng.randrange(int((hi - lo).total_seconds())))


def build_practice(seed: int, index: int, waves: int, corruption: str = "default", clients: int | None = None) -> PracticeData:
    """One practice, a function of (seed, index, corruption) alone so practices can be built in any order.

    `clients` overrides the drawn size, for zones that need a few very large practices.
    """
    if corruption not in CORRUPTIONS:
        raise ValueError(f"corruption must be one of {CORRUPTIONS}, not {corruption!r}")
    rng = random.Random(f"scr-synthetic:{seed}:{index}")
    pid = f"P{index + 1:05d}"
    p = _registry_row(rng, pid, waves)
    size, small = _size(rng)
    if clients is not None:  # the draw still happens, so the rest of the practice is built as it would be
        size, small = clients, clients <= 10
    # a small practice (10 or fewer per file) gets no households, which could overshoot its size
    cast = make_cast(rng, p["region"], pid, size, households=not small)
    maker = Maker(rng, p["region"], pid)
    ctx = Context(rng=rng, region=p["region"], uid=maker.uid, new_address=maker.address,
                  entities={e.eid: e for e in cast.entities})
    ctx.staff = [(maker.uid(), f"{rng.choice(vocab.MALE + vocab.FEMALE)} {rng.choice(vocab.SURNAMES)}") for _ in range(rng.randint(1, 5))]
    used = [s for s in SOURCES if s == "hq" or p[f"uses_{s}"]]
    records: dict[str, list[dict]] = {s: [] for s in used}
    rates = draw_profile(seed).vary(rng).rates if corruption == "geco" else None
    p_twice = rates["duplicate_in_system"] if rates else 0.03
    for e in cast.entities:
        for s in _systems(rng, e, p):
            for _ in range(2 if not small and rng.random() < p_twice else 1):
                r = render_geco(e, s, ctx, rates, maker.phone) if rates else render(e, s, ctx)
                r["id"] = maker.uid() if s != "tax" else _code(ctx, e)
                records[s].append(r)
    data = PracticeData(p, records, None, cast.hard_pairs)
    _cross_refs(rng, data)
    if p["uses_xpm"] and rng.random() < 0.55:
        data.sync = _sync(rng, data)
    records.get("xpm", []).sort(key=lambda r: (r["name"].lower(), r["id"]))
    rng.shuffle(records["hq"])
    records.get("tax", []).sort(key=lambda r: r["id"])
    return data


def _cross_refs(rng: random.Random, data: PracticeData) -> None:
    """XPM relationships point at XPM ids; Tax rows name their XPM client, a few of them wrongly."""
    xpm = data.records.get("xpm", [])
    first = {}
    for r in xpm:
        first.setdefault(r["eid"], r)
    for r in xpm:
        r["relationships"] = [(rid, t, first[o]["id"], first[o]["name"]) for rid, t, o in r.pop("relations") if o in first]
    for s in ("hq", "tax"):
        for r in data.records.get(s, []):
            r.pop("relations", None)
    ids = sorted(first)
    for r in data.records.get("tax", []):
        if r["eid"] in first and rng.random() < 0.7:
            if rng.random() < 0.015 and len(ids) > 1:
                other = rng.choice([i for i in ids if i != r["eid"]][:50])
                r["xpm_client_uuid"] = first[other]["id"]
                data.wrong_links.append({"kind": "tax_xpm", "left": r["id"], "right": first[other]["id"]})
            else:
                r["xpm_client_uuid"] = first[r["eid"]]["id"]


def _sync(rng: random.Random, data: PracticeData) -> list[dict]:
    """Legacy sync links between an XPM client and an HQ client: mostly right, a few joining two clients."""
    xpm, hq = {}, {}
    for r in data.records["xpm"]:
        xpm.setdefault(r["eid"], r["id"])
    for r in data.records["hq"]:
        hq.setdefault(r["eid"], r["id"])
    both = sorted(set(xpm) & set(hq))
    hq_ids = [hq[e] for e in sorted(hq)]
    links = []
    for eid in both:
        if rng.random() >= 0.85:
            continue
        hq_id = hq[eid]
        if rng.random() < 0.02 and len(hq_ids) > 1:
            hq_id = rng.choice([h for h in hq_ids if h != hq[eid]][:50])
            data.wrong_links.append({"kind": "sync", "left": xpm[eid], "right": hq_id})
        linked = _stamp(rng, datetime(2019, 1, 1), datetime(2022, 6, 30))
        synced = _stamp(rng, linked, datetime(2023, 10, 30))
        links.append({"xpm_client_uuid": xpm[eid], "hq_client_id": hq_id,
                      "linked_at": linked.strftime("%Y-%m-%dT%H:%M:%SZ"),
                      "last_synced_at": synced.strftime("%Y-%m-%dT%H:%M:%SZ"),
                      "state": "active" if rng.random() < 0.9 else "paused"})
    links.sort(key=lambda x: (x["xpm_client_uuid"], x["hq_client_id"]))
    return links


def build_zone(practices: int, seed: int, corruption: str = "default", sizes: dict[int, int] | None = None) -> Zone:
    """All practices of a zone, in memory; `sizes` maps a practice's index to its number of clients."""
    waves = max(1, min(12, practices // 40 + 1))
    sizes = sizes or {}
    return Zone([build_practice(seed, i, waves, corruption, sizes.get(i)) for i in range(practices)])
