"""Defects and planted secrets for batch-reading tests: each mutation edits one file of one practice folder.

Besides the generator's own defects (parse-level), these cover what only typing and the vectorised checks
find (dates, flags, timestamps, blank or repeated CSV keys) and tax numbers typed into free text, including
one written inside a longer number in another practice: a batch must mask each practice by its own numbers.
"""

from __future__ import annotations

import csv
import io
import json
import random
import re
from collections.abc import Callable
from pathlib import Path

# check-digit-valid numbers, shared across practices on purpose
TFNS = ["123456782", "876543210", "648889265"]
IRDS = ["49091850", "136410132"]


def _json(edit: Callable[[dict, random.Random], bool]) -> Callable[[Path, random.Random], bool]:
    def apply(path: Path, rng: random.Random) -> bool:
        doc = json.loads(path.read_text(encoding="utf-8"))
        clients = doc.get("clients") or []
        if not clients or not edit(doc, rng):
            return False
        path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
        return True

    return apply


def _client(doc: dict, rng: random.Random) -> dict:
    return rng.choice(doc["clients"])


def _set(key: str, value: object) -> Callable[[dict, random.Random], bool]:
    def edit(doc: dict, rng: random.Random) -> bool:
        _client(doc, rng)[key] = value
        return True

    return edit


def _prefix(key: str, text: Callable[[random.Random], str]) -> Callable[[dict, random.Random], bool]:
    def edit(doc: dict, rng: random.Random) -> bool:
        c = _client(doc, rng)
        c[key] = f"{text(rng)} {c.get(key) or ''}"
        return True

    return edit


def _contact_flag(doc: dict, rng: random.Random) -> bool:
    contacts = [k for c in doc["clients"] for k in (c.get("contacts") or [])]
    if not contacts:
        return False
    rng.choice(contacts)["isPrimary"] = "perhaps"
    return True


def _xml(pattern: str, repl: Callable[[re.Match, random.Random], str]) -> Callable[[Path, random.Random], bool]:
    def apply(path: Path, rng: random.Random) -> bool:
        text = path.read_text(encoding="utf-8")
        hits = list(re.finditer(pattern, text))
        if not hits:
            return False
        m = rng.choice(hits)
        path.write_text(text[: m.start()] + repl(m, rng) + text[m.end() :], encoding="utf-8")
        return True

    return apply


def _csv(edit: Callable[[list[str], list[list[str]], random.Random], bool]) -> Callable[[Path, random.Random], bool]:
    def apply(path: Path, rng: random.Random) -> bool:
        rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"), newline="")))
        if len(rows) < 2 or not edit(rows[0], rows[1:], rng):
            return False
        buf = io.StringIO(newline="")
        csv.writer(buf, lineterminator="\r\n").writerows(rows)
        path.write_text(buf.getvalue(), encoding="utf-8", newline="")
        return True

    return apply


def _cell(column: str, value: Callable[[str, random.Random], str]):
    def edit(header: list[str], rows: list[list[str]], rng: random.Random) -> bool:
        if column not in header:
            return False
        row, i = rng.choice(rows), header.index(column)
        row[i] = value(row[i], rng)
        return True

    return edit


def _repeat(header: list[str], rows: list[list[str]], rng: random.Random) -> bool:
    if len(rows) < 2:
        return False
    a, b = rng.sample(range(len(rows)), 2)
    rows[b] = list(rows[a])
    return True


def _ragged(header: list[str], rows: list[list[str]], rng: random.Random) -> bool:
    rng.choice(rows).pop()
    return True


def _tfn(rng: random.Random) -> str:
    return "TFN " + rng.choice(TFNS)


def _long(rng: random.Random) -> str:
    return "ref " + rng.choice(TFNS) + "0"  # a ten-digit number holding a TFN: not a tax number itself


def _spaced(m: re.Match, rng: random.Random) -> str:
    t = rng.choice(TFNS)
    return f"{m.group(1)}IRD {rng.choice(IRDS)} / {t[:3]} {t[3:6]} {t[6:]} "


# name -> (file, mutation)
MUTATIONS: dict[str, tuple[str, Callable[[Path, random.Random], bool]]] = {
    "hq_bad_date": ("hq_clients.json", _json(_set("dateOfBirth", "31/02/1999"))),
    "hq_bad_timestamp": ("hq_clients.json", _json(_set("updatedAt", "last week"))),
    "hq_bad_flag": ("hq_clients.json", _json(_set("archived", "sometimes"))),
    "hq_bad_contact_flag": ("hq_clients.json", _json(_contact_flag)),
    "hq_not_a_list": ("hq_clients.json", _json(_set("groups", {"id": "g"}))),
    "hq_secret_in_name": ("hq_clients.json", _json(_prefix("displayName", _tfn))),
    "hq_long_number": ("hq_clients.json", _json(_prefix("legalName", _long))),
    "hq_control_char": ("hq_clients.json", _json(_prefix("displayName", lambda r: "\x1b]0;x\x07"))),
    "xpm_bad_date": ("xpm_clients.xml", _xml(r"<DateOfBirth>[^<]*</DateOfBirth>|<DateOfBirth/>",
                                             lambda m, r: "<DateOfBirth>04/03/1970</DateOfBirth>")),
    "xpm_bad_flag": ("xpm_clients.xml", _xml(r"<IsPrimary>[^<]*</IsPrimary>", lambda m, r: "<IsPrimary>Maybe</IsPrimary>")),
    "xpm_bad_gst": ("xpm_clients.xml", _xml(r"<GSTRegistered>[^<]*</GSTRegistered>",
                                            lambda m, r: "<GSTRegistered>N/A</GSTRegistered>")),
    "xpm_malformed": ("xpm_clients.xml", _xml(r"</Client>", lambda m, r: "</Clinet>")),
    "xpm_secret_custom": ("xpm_clients.xml", _xml(r"(<Text>)", _spaced)),
    "xpm_secret_name": ("xpm_clients.xml", _xml(r"(<Name>)", lambda m, r: f"{m.group(1)}{_tfn(r)} ")),
    "xpm_long_number": ("xpm_clients.xml", _xml(r"(<Address>)", lambda m, r: f"{m.group(1)}{_long(r)} ")),
    "tax_blank_name": ("tax_clients.csv", _csv(_cell("client_name", lambda v, r: "  "))),
    "tax_repeated_code": ("tax_clients.csv", _csv(_repeat)),
    "tax_bad_date": ("tax_clients.csv", _csv(_cell("date_of_birth", lambda v, r: "1970-13-04"))),
    "tax_bad_flag": ("tax_clients.csv", _csv(_cell("archived", lambda v, r: "dunno"))),
    "tax_ragged": ("tax_clients.csv", _csv(_ragged)),
    "tax_secret_name": ("tax_clients.csv", _csv(_cell("client_name", lambda v, r: f"{_tfn(r)} {v}"))),
    "tax_control_char": ("tax_clients.csv", _csv(_cell("postal_suburb", lambda v, r: f"{v}\x00"))),
    "sync_missing_side": ("sync_links.csv", _csv(_cell("hq_client_id", lambda v, r: ""))),
    "sync_bad_timestamp": ("sync_links.csv", _csv(_cell("linked_at", lambda v, r: "May 2019"))),
    "sync_repeated": ("sync_links.csv", _csv(_repeat)),
}


def mutate(folder: Path, name: str, rng: random.Random) -> bool:
    """Apply one mutation to a practice folder; False when the practice has no place for it."""
    file, apply = MUTATIONS[name]
    path = folder / file
    try:
        return path.is_file() and apply(path, rng)
    except (ValueError, csv.Error):  # a file already broken (a generator defect) stays as it is
        return False
