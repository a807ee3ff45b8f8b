"""Landing-zone file writers: XPM XML (streamed), HQ JSON, Tax and sync CSV, the registry."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from xml.sax.saxutils import escape

from synthetic.build import EXPORTED_AT

TAX_COLUMNS = ["client_code", "client_name", "entity_type", "first_name", "last_name", "date_of_birth",
               "tfn", "ird_number", "abn", "email", "phone", "postal_line1", "postal_suburb", "postal_state",
               "postal_postcode", "xpm_client_uuid", "organisation_id", "archived"]
SYNC_COLUMNS = ["xpm_client_uuid", "hq_client_id", "linked_at", "last_synced_at", "state"]
_XPM_FLAT = [("UUID", "id"), ("Name", "name"), ("Title", "title"), ("FirstName", "first_name"),
             ("OtherName", "other_name"), ("LastName", "last_name"), ("DateOfBirth", "date_of_birth"),
             ("Email", "email"), ("Phone", "phone"), ("Mobile", "mobile"), ("Fax", "fax"), ("Website", "website"),
             ("Address", "address_line1"), ("City", "city"), ("Region", "region"), ("PostCode", "postcode"),
             ("Country", "country"), ("PostalAddress", "postal_line1"), ("PostalCity", "postal_city"),
             ("PostalRegion", "postal_region"), ("PostalPostCode", "postal_postcode"),
             ("PostalCountry", "postal_country"), ("BusinessStructure", "business_structure")]
_XPM_IDS = (("TaxNumber", ("TFN", "IRD", "UTR")), ("CompanyNumber", ("ACN", "COMPANY", "CRN")),
            ("BusinessNumber", ("ABN", "NZBN")))
_VALUE_TAG = {"text": "Text", "number": "Number", "date": "Date", "boolean": "Boolean"}


def _el(tag: str, value) -> str:
    return f"<{tag}/>" if value is None or value == "" else f"<{tag}>{escape(str(value))}</{tag}>"


def _yn(flag) -> str:
    return "Yes" if flag else "No"


def xpm_client(r: dict) -> str:
    """One <Client> element as text."""
    v = dict(r)
    if v.get("date_of_birth"):
        v["date_of_birth"] += "T00:00:00"
    parts = [_el(tag, v.get(key)) for tag, key in _XPM_FLAT]
    ids = dict(r.get("identifiers", []))
    for tag, kinds in _XPM_IDS:
        parts.append(_el(tag, next((ids[k] for k in kinds if k in ids), None)))
    parts += [_el("GSTRegistered", _yn(r.get("gst_registered"))), _el("IsProspect", _yn(r.get("is_prospect"))),
              _el("IsArchived", _yn(r.get("archived")))]
    if r.get("account_manager"):
        uid, name = r["account_manager"]
        parts.append(f"<AccountManager>{_el('UUID', uid)}{_el('Name', name)}</AccountManager>")
    contacts = "".join(
        "<Contact>" + _el("UUID", c["contact_id"]) + _el("IsPrimary", _yn(c["is_primary"])) + _el("Name", c["name"])
        + _el("Salutation", c.get("salutation")) + _el("Addressee", c.get("addressee")) + _el("Email", c.get("email"))
        + _el("Phone", c.get("phone")) + _el("Mobile", c.get("mobile")) + _el("Position", c.get("position")) + "</Contact>"
        for c in r.get("contacts", []))
    parts.append(f"<Contacts>{contacts}</Contacts>")
    parts.append("<Groups>" + "".join(f"<Group>{_el('UUID', g)}{_el('Name', n)}</Group>" for g, n in r.get("groups", [])) + "</Groups>")
    parts.append("<Relationships>" + "".join(
        f"<Relationship>{_el('UUID', rid)}{_el('Type', t)}<RelatedClient>{_el('UUID', oid)}{_el('Name', oname)}</RelatedClient></Relationship>"
        for rid, t, oid, oname in r.get("relationships", [])) + "</Relationships>")
    parts.append("<CustomFields>" + "".join(
        f"<CustomField>{_el('UUID', fid)}{_el('Name', name)}{_el(_VALUE_TAG[kind], value)}</CustomField>"
        for fid, name, kind, value in r.get("custom_fields", [])) + "</CustomFields>")
    return "    <Client>\n      " + "\n      ".join(parts) + "\n    </Client>\n"


def write_xpm(path: Path, records: list[dict]) -> None:
    """Stream the clients into XPM's client.api/list response, one at a time."""
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write('<?xml version="1.0" encoding="utf-8"?>\n<Response api-method="List">\n  <Status>OK</Status>\n  <Clients>\n')
        for r in records:
            f.write(xpm_client(r))
        f.write("  </Clients>\n</Response>\n")


def _absent(style: int):
    """How HQ shows a value it does not have: null, empty string, or no key (cycled for coverage)."""
    return (None, "", KeyError)[style % 3]


def hq_client(r: dict, style: int) -> dict:
    """One HQ client object; absent values shown as null, "" or a missing key."""
    a = _absent(style)
    out: dict = {}

    def put(key: str, value):
        if value is None or value == "":
            if a is not KeyError:
                out[key] = a
        else:
            out[key] = value

    for key, field in (("id", "id"), ("displayName", "name"), ("legalName", "legal_name"), ("type", "client_type"),
                       ("firstName", "first_name"), ("lastName", "last_name"), ("dateOfBirth", "date_of_birth"),
                       ("businessStructure", "business_structure"), ("email", "email"), ("phone", "phone")):
        put(key, r.get(field))
    address = {k: r.get(f) for k, f in (("line1", "address_line1"), ("line2", "address_line2"), ("city", "city"),
                                          ("region", "region"), ("postalCode", "postcode"), ("country", "country"))}
    if any(address.values()):
        out["address"] = {k: v for k, v in address.items() if v} if a is KeyError else {k: (v or a) for k, v in address.items()}
    else:
        put("address", None)
    out["identifiers"] = [{"type": t, "value": v} for t, v in r.get("identifiers", [])]
    out["archived"] = bool(r.get("archived"))
    out["contacts"] = [{"id": c["contact_id"], "name": c["name"], "email": c.get("email"), "phone": c.get("phone"),
                        "position": c.get("position"), "isPrimary": c["is_primary"]} for c in r.get("contacts", [])]
    out["groups"] = [{"id": g, "name": n} for g, n in r.get("groups", [])]
    out["organisations"] = [{"organisationId": o, "name": n} for o, n in r.get("orgs", [])]
    put("updatedAt", r.get("updated_at"))
    return out


def write_hq(path: Path, practice_id: str, records: list[dict]) -> None:
    """HQ's export: one client object per line inside the clients array."""
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write('{"practiceId": %s, "exportedAt": "%s",\n "clients": [\n' % (json.dumps(practice_id), EXPORTED_AT))
        f.write(",\n".join("  " + json.dumps(hq_client(r, i), ensure_ascii=False) for i, r in enumerate(records)))
        f.write("\n ]}\n")


def tax_row(r: dict) -> list[str]:
    """One Tax CSV row in TAX_COLUMNS order."""
    ids = dict(r.get("identifiers", []))
    v = {"client_code": r["id"], "client_name": r["name"], "entity_type": r.get("business_structure"),
         "first_name": r.get("first_name"), "last_name": r.get("last_name"), "date_of_birth": r.get("date_of_birth"),
         "tfn": ids.get("TFN"), "ird_number": ids.get("IRD"), "abn": ids.get("ABN"), "email": r.get("email"),
         "phone": r.get("phone"), "postal_line1": r.get("postal_line1"), "postal_suburb": r.get("postal_city"),
         "postal_state": r.get("postal_region"), "postal_postcode": r.get("postal_postcode"),
         "xpm_client_uuid": r.get("xpm_client_uuid"), "organisation_id": r.get("organisation_id"),
         "archived": "true" if r.get("archived") else "false"}
    return ["" if v[c] is None else str(v[c]) for c in TAX_COLUMNS]


def write_csv(path: Path, header: list[str], rows, encoding: str = "utf-8") -> None:
    """RFC 4180 CSV with a header row."""
    with open(path, "w", encoding=encoding, newline="") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)


def write_tax(path: Path, records: list[dict]) -> None:
    write_csv(path, TAX_COLUMNS, (tax_row(r) for r in records))


def write_sync(path: Path, links: list[dict]) -> None:
    write_csv(path, SYNC_COLUMNS, ([x[c] for c in SYNC_COLUMNS] for x in links))


def write_registry(path: Path, rows: list[dict]) -> None:
    path.write_text(json.dumps(rows, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
