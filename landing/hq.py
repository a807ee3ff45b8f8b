"""hq_clients.json (Xero HQ export) to staging frames: parsed one file at a time, typed once per batch."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import polars as pl

from landing import schema
from landing.batch import Reader, parse_file, read_file
from landing.errors import BadInput, Failures, decode_utf8
from landing.frames import Frames
from landing.idents import Parsed, long_ids
from landing.secrets import HashKey
from landing.values import LABEL, RECORD_NO, type_tables

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
FIELD_NAMES = {v: k for k, v in SIMPLE.items()} | {v: f"address.{k}" for k, v in ADDRESS.items()}


def _s(value: object) -> str | None:
    """A JSON scalar as text (the typed step strips it and parses flags/dates)."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    return json.dumps(value, sort_keys=True)


def _objects(value: object, label: str, key: str) -> list[dict]:
    """A list of objects (absent = empty); anything else is bad input."""
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
    text = decode_utf8(data, file)
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise BadInput(file, f"line {exc.lineno}", f"not valid JSON: {exc.msg}") from None


def _columns(clients: list) -> dict[str, dict[str, list]]:
    cols = {
        "client": {c: [] for c in [*SIMPLE.values(), *ADDRESS.values(), "source_client_id", RECORD_NO, "raw_hash", LABEL]},
        "ids": {"source_client_id": [], "id_type": [], "value": []},
        "contact": {c: [] for c in ["source_client_id", *CONTACT.values(), LABEL]},
        "group_member": {"source_client_id": [], "group_id": [], "group_name": []},
        "org_link": {"source_client_id": [], "organisation_id": [], "organisation_name": []},
    }
    seen: dict[str, int] = {}
    c = cols["client"]
    for no, obj in enumerate(clients, 1):
        if not isinstance(obj, dict):
            raise BadInput(FILE, f"record {no}", "client is not an object")
        cid = (_s(obj.get("id")) or "").strip()
        label = f"record {no} (id={cid})" if cid else f"record {no}"
        if not cid:
            raise BadInput(FILE, label, "missing id")
        if not (_s(obj.get("displayName")) or "").strip():
            raise BadInput(FILE, label, "missing displayName")
        if cid in seen:
            raise BadInput(FILE, label, f"id repeats record {seen[cid]}")
        seen[cid] = no
        for key, col in SIMPLE.items():
            c[col].append(_s(obj.get(key)))
        address = obj.get("address") or {}
        if not isinstance(address, dict):
            raise BadInput(FILE, label, "address: not an object")
        for key, col in ADDRESS.items():
            c[col].append(_s(address.get(key)))
        c["source_client_id"].append(cid)
        c[RECORD_NO].append(no)
        canonical = json.dumps(obj, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        # an unkeyed digest only until `finish` keys it: the record holds tax numbers
        c["raw_hash"].append(hashlib.sha256(canonical.encode()).hexdigest())
        c[LABEL].append(label)
        for item in _objects(obj.get("identifiers"), label, "identifiers"):
            for col, v in (("source_client_id", cid), ("id_type", _s(item.get("type"))), ("value", _s(item.get("value")))):
                cols["ids"][col].append(v)
        for k, item in enumerate(_objects(obj.get("contacts"), label, "contacts"), 1):
            cols["contact"]["source_client_id"].append(cid)
            cols["contact"][LABEL].append(f"{label} contact {k}")
            for key, col in CONTACT.items():
                cols["contact"][col].append(_s(item.get(key)))
        for item in _objects(obj.get("groups"), label, "groups"):
            for col, v in (("source_client_id", cid), ("group_id", _s(item.get("id"))), ("group_name", _s(item.get("name")))):
                cols["group_member"][col].append(v)
        for item in _objects(obj.get("organisations"), label, "organisations"):
            for col, v in (("source_client_id", cid), ("organisation_id", _s(item.get("organisationId"))),
                           ("organisation_name", _s(item.get("name")))):  # fmt: skip
                cols["org_link"][col].append(v)
    return cols


def parse(path: Path, practice_id: str) -> dict[str, dict[str, list]]:
    """hq_clients.json as raw column lists per table; its practiceId must be the folder's practice."""
    doc = load_json(path, FILE)
    if not isinstance(doc, dict) or not isinstance(doc.get("clients"), list):
        raise BadInput(FILE, None, "expected an object with a 'clients' list")
    if _s(doc.get("practiceId")) != practice_id:
        raise BadInput(FILE, None, f"practiceId {doc.get('practiceId')!r} is not the folder's practice {practice_id!r}")
    return _columns(doc["clients"])


# table, shape, field names for messages: in the order one practice's file is typed
SPEC = (
    ("client", schema.CLIENT, FIELD_NAMES),
    ("contact", schema.CONTACT, {"is_primary": "contacts.isPrimary"}),
    ("group_member", schema.GROUP_MEMBER, None),
    ("org_link", schema.ORG_LINK, None),
)


def typed(raw: dict[str, pl.DataFrame], failures: Failures) -> dict[str, pl.DataFrame]:
    """A batch's parsed HQ tables typed (and "ids" left raw); a practice with a bad value is noted in `failures`."""
    out = type_tables(raw, SPEC, "hq", FILE, RANK, failures)
    out["client"] = out["client"].with_columns(source_file=pl.lit(FILE))
    out["ids"] = long_ids(raw["ids"], "hq")
    return out


READER = Reader(FILE, RANK, parse, typed)


def parse_hq(path: Path, practice_id: str) -> Parsed:
    """hq_clients.json parsed and typed; identifiers left raw for `finish`."""
    return parse_file(READER, path, practice_id)


def read_hq(path: Path, practice_id: str, region: str | None, key: HashKey) -> Frames:
    """One practice's hq_clients.json as staging frames."""
    return read_file(READER, path, practice_id, region, key)
