"""hq_clients.json (Xero HQ export) to staging frames."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import polars as pl

from landing import schema
from landing.errors import BadInput, decode_utf8
from landing.frames import Frames
from landing.idents import Parsed, finish, long_ids
from landing.secrets import HashKey
from landing.values import LABEL, frame_of

FILE = "hq_clients.json"

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


def _columns(clients: list, practice_id: str) -> dict[str, dict[str, list]]:
    cols = {
        "client": {c: [] for c in [*SIMPLE.values(), *ADDRESS.values(), "source_client_id", "record_no", "raw_hash", LABEL]},
        "ident": {"source_client_id": [], "id_type": [], "value": []},
        "contact": {c: [] for c in ["source_client_id", *CONTACT.values(), LABEL]},
        "group": {"source_client_id": [], "group_id": [], "group_name": []},
        "org": {"source_client_id": [], "organisation_id": [], "organisation_name": []},
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
        c["record_no"].append(no)
        canonical = json.dumps(obj, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        # an unkeyed digest only until `finish` keys it: the record holds tax numbers
        c["raw_hash"].append(hashlib.sha256(canonical.encode()).hexdigest())
        c[LABEL].append(label)
        for item in _objects(obj.get("identifiers"), label, "identifiers"):
            for col, v in (("source_client_id", cid), ("id_type", _s(item.get("type"))), ("value", _s(item.get("value")))):
                cols["ident"][col].append(v)
        for k, item in enumerate(_objects(obj.get("contacts"), label, "contacts"), 1):
            cols["contact"]["source_client_id"].append(cid)
            cols["contact"][LABEL].append(f"{label} contact {k}")
            for key, col in CONTACT.items():
                cols["contact"][col].append(_s(item.get(key)))
        for item in _objects(obj.get("groups"), label, "groups"):
            for col, v in (("source_client_id", cid), ("group_id", _s(item.get("id"))), ("group_name", _s(item.get("name")))):
                cols["group"][col].append(v)
        for item in _objects(obj.get("organisations"), label, "organisations"):
            for col, v in (("source_client_id", cid), ("organisation_id", _s(item.get("organisationId"))),
                           ("organisation_name", _s(item.get("name")))):  # fmt: skip
                cols["org"][col].append(v)
    return cols


def parse_hq(path: Path, practice_id: str) -> Parsed:
    """hq_clients.json parsed and typed; its practiceId must be the folder's practice; identifiers left raw."""
    doc = load_json(path, FILE)
    if not isinstance(doc, dict) or not isinstance(doc.get("clients"), list):
        raise BadInput(FILE, None, "expected an object with a 'clients' list")
    if _s(doc.get("practiceId")) != practice_id:
        raise BadInput(FILE, None, f"practiceId {doc.get('practiceId')!r} is not the folder's practice {practice_id!r}")
    cols = _columns(doc["clients"], practice_id)

    def frame(key: str, shape: pl.Schema, fields=None) -> pl.DataFrame:
        return frame_of(cols[key], practice_id, "hq", shape, FILE, fields)

    frames = Frames.empty().with_(
        client=frame("client", schema.CLIENT, FIELD_NAMES).with_columns(source_file=pl.lit(FILE)),
        contact=frame("contact", schema.CONTACT, {"is_primary": "contacts.isPrimary"}),
        group_member=frame("group", schema.GROUP_MEMBER),
        org_link=frame("org", schema.ORG_LINK),
    )
    return Parsed(frames, long_ids(cols["ident"], "hq"))


def read_hq(path: Path, practice_id: str, region: str | None, key: HashKey) -> Frames:
    """One practice's hq_clients.json as staging frames."""
    return finish([parse_hq(path, practice_id)], practice_id, region, key)
