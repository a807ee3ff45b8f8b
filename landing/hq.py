"""hq_clients.json (Xero HQ export) to staging frames: parsed one file at a time, typed once per batch."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import orjson
import polars as pl

from landing import schema
from landing.batch import Reader, parse_file, read_file, type_client_file
from landing.csvfile import outside_vocabulary
from landing.errors import BadInput, Failures, decode_utf8
from landing.frames import Frames
from landing.idents import Parsed
from landing.secrets import HashKey
from landing.values import LABEL, RECORD_NO

FILE = "hq_clients.json"
RANK = 1  # read first: every practice has Xero HQ

# HQ key -> CLIENT column (top level of a client object)
SIMPLE = {
    "displayName": "name", "legalName": "legal_name", "type": "client_type",
    "businessStructure": "business_structure", "firstName": "first_name", "lastName": "last_name",
    "dateOfBirth": "date_of_birth", "email": "email", "phone": "phone", "archived": "archived",
    "updatedAt": "updated_at",
}  # fmt: skip
ADDRESS = {"line1": "address_line1", "line2": "address_line2", "city": "city", "region": "region",
           "postalCode": "postcode", "country": "country"}  # fmt: skip
CONTACT = {"id": "contact_id", "name": "name", "email": "email", "phone": "phone", "position": "position",
           "isPrimary": "is_primary"}  # fmt: skip
TOO_DEEP = "arrays or objects nested deeper than the reader allows (about a thousand levels)"
FIELD_NAMES = {v: k for k, v in SIMPLE.items()} | {v: f"address.{k}" for k, v in ADDRESS.items()}


def _s(value: object) -> str | None:
    """A JSON scalar as text (the typed step strips it and parses flags/dates)."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return str(int(value))  # a number written 123456782.0 is 123456782, not the digits 1234567820
    if isinstance(value, (int, float)):
        return str(value)
    # an object or a list where text belongs was kept as its JSON text, secrets and all (QA, session 30)
    raise _NotAValue


class _NotAValue(Exception):
    """An object or a list where a text value belongs; the record loop names the record and the key."""


def _not_a_value(obj: dict) -> str:
    """Where in a client object an object or a list stands for a value (the first, in reading order)."""
    def bad(v: object) -> bool:
        return isinstance(v, (dict, list))

    for key in SIMPLE:
        if bad(obj.get(key)):
            return key
    address = obj.get("address") or {}
    for key in ADDRESS:
        if bad(address.get(key)):
            return f"address.{key}"
    for part, keys in (("contacts", CONTACT), ("groups", ("id", "name")), ("organisations", ("organisationId", "name"))):
        for k, item in enumerate(obj.get(part) or [], 1):
            for key in keys:
                if isinstance(item, dict) and bad(item.get(key)):
                    return f"{part} {k}: {key}"
    return "a value"


def _scalar(value: object, label: str, key: str) -> str | None:
    """_s of a value that must be one (an id, a name): an object or a list there is bad input of its record."""
    if isinstance(value, (dict, list)):
        raise BadInput(FILE, label, f"{key}: {'an object' if isinstance(value, dict) else 'a list'}, not a value")
    return _s(value)


def _name_otherwise(get, label: str) -> str:
    """A client's name where its displayName is absent (null, "" or no key): its legalName, else its firstName and
    lastName; with none of them it names no client, bad input. QA (session 35): a person with first and last names, or
    an organisation with a legal name only, failed its whole practice as "missing displayName"."""
    legal = (_scalar(get("legalName"), label, "legalName") or "").strip()
    if legal:
        return legal
    parts = [(_scalar(get(k), label, k) or "").strip() for k in ("firstName", "lastName")]
    if any(parts):
        return " ".join(p for p in parts if p)
    raise BadInput(FILE, label, "missing displayName (and no legalName, firstName or lastName to name the client by)")


def _objects(value: object, label: str, key: str) -> list[dict]:
    """A list of objects (absent = empty); anything else is bad input."""
    if value.__class__ is list:  # json's own list, checked without a generator: four per record
        for v in value:
            if not isinstance(v, dict):
                break
        else:
            return value
    if value is None or value == "":
        return []
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise BadInput(FILE, label, f"{key}: not a list of objects")
    return value


def load_json(path: Path, file: str) -> object:
    """A JSON file, read-only, strict UTF-8; unreadable is BadInput naming the line."""
    data = path.read_bytes()
    if not data.strip():
        raise BadInput(file, None, "empty file")
    return _loads(decode_utf8(data, file), file)


class _Constant(ValueError):
    """NaN, Infinity or -Infinity: Python's json reads them, JSON has no such value."""


def _constant(name: str) -> float:
    raise _Constant(name)


def _line_of_constant(text: str) -> str | None:
    """The line of the first NaN or Infinity (orjson refuses them where they stand and says where)."""
    try:
        orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        return f"line {exc.lineno}"
    return None


# an escaped UTF-16 surrogate, `\ud83d`: in pairs it is one character (an emoji), alone it is no text at all
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")


def _lone_surrogate(text: str) -> str | None:
    """The line of the first escaped lone surrogate (`"\ud83d"`: an emoji cut in half, as JavaScript writes one), which
    JSON's grammar allows and no UTF-8 text holds; None when there is none. Only a text with a surrogate escape is
    parsed again (orjson, which refuses a lone one where it stands)."""
    if _SURROGATE_ESCAPE.search(text) is None:
        return None
    try:
        orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        if "surrogate" in str(exc):
            return f"line {exc.lineno}"
    return None


def _loads(text: str, file: str, **hooks) -> object:
    line = _lone_surrogate(text)
    if line is not None:  # read as it is, the text fails later at its first encoding, quoted whole in the error
        raise BadInput(file, line, "not valid JSON text: a lone \\u surrogate escape (half of an emoji or another character "
                       "cut in two); write the whole character, or its pair of escapes")  # fmt: skip
    try:
        return json.loads(text, parse_constant=_constant, **hooks)
    except json.JSONDecodeError as exc:
        raise BadInput(file, f"line {exc.lineno}", f"not valid JSON: {exc.msg}") from None
    except _Constant as exc:  # once read as the float nan and kept as the text "nan" (an id, a name)
        raise BadInput(file, _line_of_constant(text), f"not valid JSON: {exc} is not a JSON value") from None
    except RecursionError:  # arrays or objects nested a thousand deep: refused, not a crash of the batch
        raise BadInput(file, None, f"not valid JSON: {TOO_DEEP}") from None


def _canonical_digest(obj: dict) -> str:
    return hashlib.sha256(json.dumps(obj, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()).hexdigest()


def _fast_digest(obj: dict) -> str:
    """_canonical_digest by orjson, five times faster: the same bytes for strings, 64-bit integers, booleans, null,
    lists and objects (tests/landing/test_batch.py checks it); a document with other numbers never takes this path."""
    try:
        return hashlib.sha256(orjson.dumps(obj, option=orjson.OPT_SORT_KEYS)).hexdigest()
    except orjson.JSONEncodeError:  # nested deeper than orjson writes
        return _canonical_digest(obj)


def _columns(clients: list, fast: bool = False) -> dict[str, dict[str, list]]:
    """Raw column lists of every client (a loop per record is the parse itself: keep its body lean)."""
    cols = {
        "client": {c: [] for c in [*SIMPLE.values(), *ADDRESS.values(), "source_client_id", RECORD_NO, "raw_hash", LABEL]},
        "ids": {"source_client_id": [], "id_type": [], "value": []},
        "contact": {c: [] for c in ["source_client_id", *CONTACT.values(), LABEL]},
        "group_member": {"source_client_id": [], "group_id": [], "group_name": []},
        "org_link": {"source_client_id": [], "organisation_id": [], "organisation_name": []},
    }
    c = cols["client"]
    simple = [(key, c[col].append) for key, col in SIMPLE.items()]
    address_cols = [(key, c[col].append) for key, col in ADDRESS.items()]
    add_id, add_no, add_hash, add_label = c["source_client_id"].append, c[RECORD_NO].append, c["raw_hash"].append, c[LABEL].append
    ids, contact, group, org = cols["ids"], cols["contact"], cols["group_member"], cols["org_link"]
    contact_cols = [(key, contact[col].append) for key, col in CONTACT.items()]
    digest = _fast_digest if fast else _canonical_digest
    seen: dict[str, int] = {}
    no, label = 0, None
    try:  # a value nested a thousand deep exhausts the recursion of its digest or text: bad input of its record
        for no, obj in enumerate(clients, 1):
            if not isinstance(obj, dict):
                raise BadInput(FILE, f"record {no}", "client is not an object")
            get = obj.get
            v = get("id")  # text or null as it is: its label is made only for a value that is neither
            cid = ((v if v is None or v.__class__ is str else _scalar(v, f"record {no}", "id")) or "").strip()
            label = f"record {no} (id={cid})" if cid else f"record {no}"
            if not cid:
                raise BadInput(FILE, label, "missing id")
            v = get("displayName")
            named = None
            if not ((v if v is None or v.__class__ is str else _scalar(v, label, "displayName")) or "").strip():
                named = _name_otherwise(get, label)  # QA (session 35): the contract asks for a name, not a displayName
            if cid in seen:
                raise BadInput(FILE, label, f"id repeats record {seen[cid]}")
            seen[cid] = no
            for key, add in simple:
                v = get(key)
                add(v if v is None or v.__class__ is str else _s(v))
            if named is not None:
                c["name"][-1] = named
            address = get("address") or {}
            if not isinstance(address, dict):
                raise BadInput(FILE, label, "address: not an object")
            for key, add in address_cols:
                v = address.get(key)
                add(v if v is None or v.__class__ is str else _s(v))
            add_id(cid)
            add_no(no)
            add_hash(digest(obj))  # an unkeyed digest only until `finish` keys it: the record holds tax numbers
            add_label(label)
            for item in _objects(get("identifiers"), label, "identifiers"):
                ids["source_client_id"].append(cid)
                v = item.get("type")
                ids["id_type"].append(v if v is None or v.__class__ is str else _scalar(v, label, "identifiers: type"))
                v = item.get("value")
                ids["value"].append(v if v is None or v.__class__ is str else _scalar(v, label, "identifiers: value"))
            for k, item in enumerate(_objects(get("contacts"), label, "contacts"), 1):
                contact["source_client_id"].append(cid)
                contact[LABEL].append(f"{label} contact {k}")
                for key, add in contact_cols:
                    v = item.get(key)
                    add(v if v is None or v.__class__ is str else _s(v))
            for item in _objects(get("groups"), label, "groups"):
                group["source_client_id"].append(cid)
                group["group_id"].append(_s(item.get("id")))
                group["group_name"].append(_s(item.get("name")))
            for item in _objects(get("organisations"), label, "organisations"):
                org["source_client_id"].append(cid)
                org["organisation_id"].append(_s(item.get("organisationId")))
                org["organisation_name"].append(_s(item.get("name")))
    except RecursionError:
        raise BadInput(FILE, f"record {no}", TOO_DEEP) from None
    except _NotAValue:
        raise BadInput(FILE, label, f"{_not_a_value(obj)}: an object or a list, not a value") from None
    return cols


def _load_clients(path: Path) -> tuple[object, bool]:
    """hq_clients.json parsed; True when it holds no float or integer beyond 64 bits, the values on which
    orjson would write a record differently from the canonical json.dumps (so its digests may use orjson)."""
    data = path.read_bytes()
    if not data.strip():
        raise BadInput(FILE, None, "empty file")
    plain = [True]

    def other_number(text: str) -> float:
        plain[0] = False
        return float(text)

    def integer(text: str) -> int:
        value = int(text)
        if not -(2**63) <= value < 2**63:
            plain[0] = False
        return value

    doc = _loads(decode_utf8(data, FILE), FILE, parse_float=other_number, parse_int=integer)
    return doc, plain[0]


def parse(path: Path, practice_id: str) -> dict[str, dict[str, list]]:
    """hq_clients.json as raw column lists per table; its practiceId, where given, must be the folder's practice."""
    doc, fast = _load_clients(path)
    if not isinstance(doc, dict) or not isinstance(doc.get("clients"), list):
        raise BadInput(FILE, None, "expected an object with a 'clients' list")
    # absent (null, "" or no key, as the contract allows any value) is the folder's: the folder names the practice;
    # another practice's id is refused, named as written, never as Python's None or True (QA9 F2)
    written = (_scalar(doc.get("practiceId"), None, "practiceId") or "").strip()
    if written and written != practice_id:
        raise BadInput(FILE, None, f"practiceId {written!r} is not the folder's practice {practice_id!r}")
    return _columns(doc["clients"], fast)


# table, shape, field names for messages: in the order one practice's file is typed
SPEC = (
    ("client", schema.CLIENT, FIELD_NAMES),
    ("contact", schema.CONTACT, {"is_primary": "contacts.isPrimary"}),
    ("group_member", schema.GROUP_MEMBER, None),
    ("org_link", schema.ORG_LINK, None),
)


def typed(raw: dict[str, pl.DataFrame], failures: Failures) -> dict[str, pl.DataFrame]:
    """A batch's parsed HQ tables typed (a module function: a reader travels to parsing processes by name)."""
    # the contract's PERSON or ORGANISATION, whatever the case; anything else kept as written made a person of no
    # kind to the person/organisation rule (found by QA, session 29: "PERSON 123456782")
    kind = pl.col("client_type").str.strip_chars().str.to_uppercase().replace("", None)
    raw = {**raw, "client": raw["client"].with_columns(kind)}
    outside_vocabulary(raw["client"], "client_type", ["PERSON", "ORGANISATION"], FILE, "type", failures, (RANK, 9))
    return type_client_file(raw, failures, SPEC, "hq", FILE, RANK)


READER = Reader(FILE, RANK, parse, typed)


def parse_hq(path: Path, practice_id: str) -> Parsed:
    """hq_clients.json parsed and typed; identifiers left raw for `finish`."""
    return parse_file(READER, path, practice_id)


def read_hq(path: Path, practice_id: str, region: str | None, key: HashKey) -> Frames:
    """One practice's hq_clients.json as staging frames."""
    return read_file(READER, path, practice_id, region, key)
