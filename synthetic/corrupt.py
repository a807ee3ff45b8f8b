"""Corruptors for the "geco" model: the errors the published generators put into records.

Written from the published descriptions, not from their code and not from our matcher:
- Christen & Vatsalan, "Flexible and extensible generation and corruption of personal data"
  (GeCo, CIKM 2013) and its manual: keyboard typos from key adjacency, OCR confusions,
  phonetic variants by positional rules, missing values, swapped attribute values, and
  categorical substitutions such as nicknames;
- Christen, "Probabilistic data generation for deduplication and data linkage" (Febrl's dsgen):
  insert / delete / substitute / transpose, word swaps, date errors (day and month swapped,
  a year off), values replaced from a misspelling or alias table;
- the Gecko documentation (ul-mds/gecko): edit errors, permutation of given and last name,
  replacement tables.
Every function takes the random generator it draws from and returns a new string.
"""

from __future__ import annotations

import random
from datetime import date

__all__ = [
    "keyboard_typo", "edit", "ocr", "phonetic", "change_case", "swap_words", "abbreviate_word",
    "date_error", "email_variant", "digits_typo",
]

_ROWS = ("1234567890", "qwertyuiop", "asdfghjkl", "zxcvbnm")


def _neighbours() -> dict[str, str]:
    """QWERTY keys touching each key: left and right, and the two keys above and below (rows are staggered)."""
    out: dict[str, str] = {}
    for r, row in enumerate(_ROWS):
        for c, ch in enumerate(row):
            near = [row[c + d] for d in (-1, 1) if 0 <= c + d < len(row)]
            if r > 0:
                near += [_ROWS[r - 1][k] for k in (c, c + 1) if k < len(_ROWS[r - 1])]
            if r + 1 < len(_ROWS):
                near += [_ROWS[r + 1][k] for k in (c - 1, c) if 0 <= k < len(_ROWS[r + 1])]
            out[ch] = "".join(sorted(set(near)))
    return out


KEY_NEIGHBOURS = _neighbours()
# OCR confusions in both directions (GeCo's OCR table lists pairs like these)
_OCR = [("m", "rn"), ("w", "vv"), ("d", "cl"), ("h", "b"), ("e", "c"), ("n", "ri"), ("g", "q"), ("u", "v"),
        ("o", "0"), ("l", "1"), ("i", "1"), ("s", "5"), ("z", "2"), ("b", "8"), ("a", "o"), ("f", "t")]
# phonetic rules: (pattern, replacement, where) with where in "^" start, "$" end, "" anywhere
_PHONETIC = [
    ("ph", "f", ""), ("f", "ph", ""), ("ck", "k", ""), ("k", "ck", "$"), ("c", "k", "^"), ("k", "c", "^"),
    ("kn", "n", "^"), ("wr", "r", "^"), ("gh", "g", ""), ("ie", "y", "$"), ("y", "ie", "$"), ("ey", "y", "$"),
    ("z", "s", ""), ("s", "z", ""), ("ee", "ea", ""), ("ou", "ow", ""), ("mac", "mc", "^"), ("mc", "mac", "^"),
    ("son", "sen", "$"), ("sen", "son", "$"), ("th", "t", ""), ("ll", "l", ""), ("l", "ll", "$"), ("tt", "t", ""),
    ("nn", "n", ""), ("ss", "s", ""), ("ei", "ie", ""), ("ie", "ei", ""), ("ae", "e", ""), ("x", "ks", ""),
    ("ch", "sh", ""), ("er", "a", "$"), ("ine", "ene", "$"), ("ey", "ay", ""), ("ai", "ay", ""), ("v", "w", "^"),
]
_ABBREV = {
    "and": "&", "&": "and", "company": "co", "brothers": "bros", "international": "intl", "australia": "aust",
    "services": "svcs", "holdings": "hldgs", "management": "mgmt", "saint": "st", "mount": "mt",
    "street": "st", "road": "rd", "avenue": "ave", "drive": "dr", "north": "nth", "south": "sth",
    "limited": "ltd", "proprietary": "pty", "incorporated": "inc", "association": "assn", "family": "fam",
}


def _alpha_spots(s: str) -> list[int]:
    return [i for i, ch in enumerate(s) if ch.isalpha()]


def _keep_case(src: str, new: str) -> str:
    return new.upper() if src.isupper() else new


def keyboard_typo(rng: random.Random, s: str) -> str:
    """One character replaced by a key next to it on a QWERTY keyboard."""
    spots = [i for i, ch in enumerate(s) if ch.lower() in KEY_NEIGHBOURS]
    if not spots:
        return s
    i = rng.choice(spots)
    near = KEY_NEIGHBOURS[s[i].lower()]
    return s[:i] + _keep_case(s[i], rng.choice(near)) + s[i + 1:]


def edit(rng: random.Random, s: str) -> str:
    """One insert, delete, substitution or transposition of letters (Febrl's typographic errors)."""
    spots = _alpha_spots(s)
    if len(spots) < 3:
        return s
    i = rng.choice(spots)
    op = rng.randrange(4)
    letter = _keep_case(s[i], rng.choice("abcdefghijklmnopqrstuvwxyz"))
    if op == 0:
        return s[:i] + letter + s[i:]
    if op == 1:
        return s[:i] + s[i + 1:]
    if op == 2:
        return s[:i] + letter + s[i + 1:]
    if i + 1 < len(s) and s[i + 1].isalpha():
        return s[:i] + s[i + 1] + s[i] + s[i + 2:]
    return s


def ocr(rng: random.Random, s: str) -> str:
    """One OCR confusion: a character (or pair) read as its look-alike."""
    low = s.lower()
    options = [(a, b) for a, b in _OCR if a in low] + [(b, a) for a, b in _OCR if b in low]
    if not options:
        return s
    a, b = rng.choice(options)
    i = low.find(a)
    return s[:i] + _keep_case(s[i:i + len(a)], b) + s[i + len(a):]


def phonetic(rng: random.Random, s: str) -> str:
    """One spelling that sounds the same (a positional rule applied to one word)."""
    words = s.split(" ")
    order = list(range(len(words)))
    rng.shuffle(order)
    for w in order:
        word, low = words[w], words[w].lower()
        rules = [(a, b, where) for a, b, where in _PHONETIC
                 if (where == "^" and low.startswith(a)) or (where == "$" and low.endswith(a)) or (where == "" and a in low[1:])]
        if not rules:
            continue
        a, b, where = rng.choice(rules)
        if where == "^":
            i = 0
        elif where == "$":
            i = len(low) - len(a)
        else:
            i = low.find(a, 1)
        new = word[:i] + _keep_case(word[i:i + len(a)], b) + word[i + len(a):]
        if new and word[:1].isupper() and not word.isupper():
            new = new[0].upper() + new[1:]
        words[w] = new
        return " ".join(words)
    return s


def change_case(rng: random.Random, s: str) -> str:
    """ALL CAPS, all lower, or Title Case."""
    return rng.choice((s.upper(), s.lower(), s.title()))


def swap_words(rng: random.Random, s: str) -> str:
    """Two neighbouring words swapped (Febrl's word swap)."""
    words = s.split()
    if len(words) < 2:
        return s
    i = rng.randrange(len(words) - 1)
    words[i], words[i + 1] = words[i + 1], words[i]
    return " ".join(words)


def abbreviate_word(rng: random.Random, s: str) -> str:
    """One word written in its short (or long) form: '&' for 'and', 'Co' for 'Company', 'Rd' for 'Road'."""
    words = s.split()
    spots = [i for i, w in enumerate(words) if w.lower().strip(".,") in _ABBREV]
    if not spots:
        return s
    i = rng.choice(spots)
    short = _ABBREV[words[i].lower().strip(".,")]
    words[i] = short.upper() if words[i].isupper() else (short.title() if words[i][:1].isupper() else short)
    return " ".join(words)


def date_error(rng: random.Random, d: date, kinds: dict[str, float]) -> date:
    """A date keyed wrongly: day and month swapped, a year off, or one digit mistyped (weights per kind)."""
    kind = rng.choices(list(kinds), list(kinds.values()))[0]
    try:
        if kind == "swap" and d.day <= 12 and d.day != d.month:
            return d.replace(month=d.day, day=d.month)
        if kind == "year":
            return d.replace(year=d.year + rng.choice((-1, 1)))
        if kind == "digit":
            text = d.strftime("%Y%m%d")
            i = rng.choice((2, 3, 5, 7))  # decade, year, month's last digit, day's last digit
            new = text[:i] + rng.choice([c for c in "0123456789" if c != text[i]]) + text[i + 1:]
            return date(int(new[:4]), int(new[4:6]), int(new[6:]))
    except ValueError:  # no 30 February: keep the date
        return d
    return d


def email_variant(rng: random.Random, email: str) -> str:
    """The same mailbox written differently: capitals, or a typo in the domain ('gmial.com')."""
    local, _, domain = email.partition("@")
    if rng.random() < 0.7:
        return rng.choice((email.upper(), local.capitalize() + "@" + domain, local.title() + "@" + domain.lower()))
    return local + "@" + edit(rng, domain)


def digits_typo(rng: random.Random, s: str) -> str:
    """One digit mistyped by a neighbouring key, or two neighbouring digits swapped."""
    spots = [i for i, ch in enumerate(s) if ch.isdigit()]
    if len(spots) < 2:
        return s
    i = rng.choice(spots[:-1])
    j = spots[spots.index(i) + 1]
    if rng.random() < 0.5 and s[i] != s[j]:
        chars = list(s)
        chars[i], chars[j] = chars[j], chars[i]
        return "".join(chars)
    near = "".join(ch for ch in KEY_NEIGHBOURS[s[i]] if ch.isdigit())
    return s[:i] + rng.choice(near) + s[i + 1:]
