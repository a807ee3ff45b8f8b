"""Identifiers with correct check digits (python-stdnum), and the typos people make in them."""

from __future__ import annotations

import random

from stdnum import ean
from stdnum.au import abn, acn, tfn
from stdnum.nz import ird


def _digits(rng: random.Random, n: int, first: str = "123456789") -> str:
    return rng.choice(first) + str(rng.randrange(10 ** (n - 1))).zfill(n - 1)


def make_acn(rng: random.Random) -> str:
    """A valid 9-digit ACN."""
    body = _digits(rng, 8, "01234")
    return body + acn.calc_check_digit(body)


def make_abn(rng: random.Random) -> str:
    """A valid 11-digit ABN."""
    body = _digits(rng, 9)
    return abn.calc_check_digits(body) + body


def abn_of(acn_value: str) -> str:
    """The ABN a company gets from its ACN."""
    return acn.to_abn(acn_value)


_TFN_WEIGHTS = (1, 4, 3, 7, 5, 8, 6, 9)  # the ninth weight is 10, i.e. -1 mod 11


def make_tfn(rng: random.Random) -> str:
    """A valid 9-digit TFN: the last digit solves sum(w * d) = 0 (mod 11); redraw when it would be 10."""
    while True:
        body = _digits(rng, 8)
        last = sum(w * int(d) for w, d in zip(_TFN_WEIGHTS, body)) % 11
        if last < 10:
            return body + str(last)


def make_ird(rng: random.Random) -> str:
    """A valid NZ IRD number (8 or 9 digits, 10,000,000 to 150,000,000)."""
    while True:
        body = str(rng.randrange(1_000_000, 15_000_000))
        v = body + ird.calc_check_digit(body)
        if ird.is_valid(v):
            return v


def make_nzbn(rng: random.Random) -> str:
    """A valid NZBN: 13-digit GS1 number starting 94."""
    body = "94" + str(rng.randrange(10**10)).zfill(10)
    return body + ean.calc_check_digit(body)


def make_nz_company(rng: random.Random) -> str:
    """An NZ company number (no check digit)."""
    return str(rng.randrange(100_000, 9_000_000))


def make_crn(rng: random.Random) -> str:
    """A UK Companies House number."""
    return rng.choice(("0", "1", "SC")) + "".join(rng.choice("0123456789") for _ in range(6))


def make_utr(rng: random.Random) -> str:
    """A UK Unique Taxpayer Reference (10 digits)."""
    return _digits(rng, 10)


def make_ein(rng: random.Random) -> str:
    """A US Employer Identification Number, written NN-NNNNNNN."""
    v = _digits(rng, 9)
    return f"{v[:2]}-{v[2:]}"


CHECKED = {"ABN": abn.is_valid, "ACN": acn.is_valid, "TFN": tfn.is_valid, "IRD": ird.is_valid,
           "NZBN": lambda v: len(v) == 13 and v.startswith("94") and ean.is_valid(v)}


def mistype(rng: random.Random, value: str, id_type: str) -> str:
    """The same number with one digit wrong so that its check digits fail."""
    check = CHECKED.get(id_type)
    for _ in range(50):
        pos = rng.randrange(len(value))
        if not value[pos].isdigit():
            continue
        out = value[:pos] + rng.choice([d for d in "0123456789" if d != value[pos]]) + value[pos + 1:]
        if check is None or not check(out):
            return out
    return value[::-1]
