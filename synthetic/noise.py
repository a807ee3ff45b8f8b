"""How people mistype and restyle a value: edits, case, punctuation, suffixes, phone and address formats."""

from __future__ import annotations

import random
import string

from stdnum.au import abn as _abn

from synthetic import vocab

SUFFIX_VARIANTS = {
    "Pty Ltd": ("Pty. Ltd.", "Pty Limited", "Pty. Limited", "Proprietary Limited", "P/L", "PTY LTD"),
    "Limited": ("Ltd", "Ltd.", "LTD", "LIMITED"),
    "Ltd": ("Limited", "Ltd.", "LTD"),
    "LLC": ("L.L.C.", "llc", "LLC."),
}


def typo(rng: random.Random, s: str, edits: int = 1) -> str:
    """One or two character edits (swap, drop, double, replace) inside a word."""
    for _ in range(edits):
        spots = [i for i, ch in enumerate(s) if ch.isalpha()]
        if len(spots) < 4:
            return s
        i = rng.choice(spots[1:-1])
        op = rng.randrange(4)
        if op == 0 and s[i + 1].isalpha():
            s = s[:i] + s[i + 1] + s[i] + s[i + 2:]
        elif op == 1:
            s = s[:i] + s[i + 1:]
        elif op == 2:
            s = s[:i] + s[i] + s[i:]
        else:
            s = s[:i] + rng.choice(string.ascii_lowercase) + s[i + 1:]
    return s


def restyle(rng: random.Random, s: str, upper: float = 0.03) -> str:
    """Case and punctuation noise: all caps, all lower, dropped full stops, doubled spaces."""
    x = rng.random()
    if x < upper:
        s = s.upper()
    elif x < upper + 0.02:
        s = s.lower()
    y = rng.random()
    if y < 0.04:
        s = s.replace(".", "").replace(",", "")
    elif y < 0.06:
        s = s.replace(" ", "  ", 1)
    return s


def fuzz_name(rng: random.Random, s: str, p_typo: float = 0.06, upper: float = 0.03) -> str:
    """A name as someone keyed it in: sometimes a typo, sometimes restyled."""
    x = rng.random()
    if x < p_typo * 0.25:
        s = typo(rng, s, 2)
    elif x < p_typo:
        s = typo(rng, s, 1)
    return restyle(rng, s, upper)


def suffix(rng: random.Random, registered: str, p: float = 0.35) -> str:
    """The company's legal suffix, or one of its other spellings."""
    variants = SUFFIX_VARIANTS.get(registered, ())
    return rng.choice(variants) if variants and rng.random() < p else registered


def nickname(rng: random.Random, first: str | None, p: float) -> str | None:
    """The name a person goes by (Bob for Robert) with probability p when they have one."""
    if first and first in vocab.NICKNAMES and rng.random() < p:
        return rng.choice(vocab.NICKNAMES[first])
    return first


def phone(rng: random.Random, digits: str | None, region: str, mobile: bool) -> str | None:
    """A national phone number in one of the ways people write it."""
    if not digits:
        return None
    d, k = digits, rng.randrange(4)
    if region == "AU":
        if mobile:
            return (f"{d[:4]} {d[4:7]} {d[7:]}", d, f"+61 {d[1:4]} {d[4:7]} {d[7:]}", f"+61{d[1:]}")[k]
        return (f"(0{d[0]}) {d[1:5]} {d[5:]}", f"0{d[0]} {d[1:5]} {d[5:]}", f"+61 {d[0]} {d[1:5]} {d[5:]}", "0" + d)[k]
    if region == "NZ":
        if mobile:
            return (f"0{d[:2]} {d[2:5]} {d[5:]}", "0" + d, f"+64 {d[:2]} {d[2:5]} {d[5:]}", f"+64{d}")[k]
        return (f"(0{d[0]}) {d[1:4]} {d[4:]}", f"0{d[0]} {d[1:4]} {d[4:]}", f"+64 {d[0]} {d[1:4]} {d[4:]}", "0" + d)[k]
    if region == "UK":
        return (f"0{d[:4]} {d[4:]}", "0" + d, f"+44 {d[:4]} {d[4:]}", f"+44{d}")[k]
    return (f"({d[:3]}) {d[3:6]}-{d[6:]}", f"{d[:3]}-{d[3:6]}-{d[6:]}", f"+1 {d[:3]} {d[3:6]} {d[6:]}", d)[k]


def street(rng: random.Random, unit: str, line: str, p_abbrev: float = 0.4) -> str:
    """A street line: street type full or abbreviated, unit as '3/12' or 'Unit 3, 12'."""
    words = line.split()
    if words[-1] in vocab.STREET_TYPES and rng.random() < p_abbrev:
        words[-1] = rng.choice(vocab.STREET_TYPES[words[-1]])
    out = " ".join(words)
    if unit:
        out = f"{unit}/{out}" if rng.random() < 0.6 else f"Unit {unit}, {out}"
    return out


def identifier(rng: random.Random, value: str, id_type: str) -> str:
    """An identifier as keyed: spaced groups sometimes (ABN as 51 824 753 556)."""
    if rng.random() < 0.3:
        if id_type == "ABN":
            return _abn.format(value)
        if id_type in ("TFN", "ACN") and len(value) == 9:
            return f"{value[:3]} {value[3:6]} {value[6:]}"
        if id_type == "IRD":
            return f"{value[:-6]}-{value[-6:-3]}-{value[-3:]}"
    return value
