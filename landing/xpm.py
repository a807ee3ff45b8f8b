"""xpm_clients.xml (XPM client.api/list?detailed=true), streamed with lxml.iterparse, typed once per batch.

Hostile XML: a DOCTYPE (the only place entities can be declared) is refused before the parser reads
the body; libxml2 keeps its default depth and text-size limits (no huge_tree), and what it refuses
becomes a BadInput naming the file and line.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import polars as pl
from lxml import etree

from landing import schema
from landing.batch import Reader, parse_file, read_file, type_client_file
from landing.errors import BadInput, Failures
from landing.frames import Frames
from landing.idents import Parsed
from landing.secrets import HashKey
from landing.values import LABEL, RECORD_NO

FILE = "xpm_clients.xml"
RANK = 2  # read after hq_clients.json

# XPM element -> CLIENT column, for the client's simple (text) children
SIMPLE = {
    "UUID": "source_client_id", "Name": "name", "Title": "title", "FirstName": "first_name",
    "OtherName": "other_name", "LastName": "last_name", "DateOfBirth": "date_of_birth",
    "Email": "email", "Phone": "phone", "Mobile": "mobile", "Fax": "fax", "Website": "website",
    "Address": "address_line1", "City": "city", "Region": "region", "PostCode": "postcode",
    "Country": "country", "PostalAddress": "postal_line1", "PostalCity": "postal_city",
    "PostalRegion": "postal_region", "PostalPostCode": "postal_postcode", "PostalCountry": "postal_country",
    "BusinessStructure": "business_structure", "GSTRegistered": "gst_registered",
    "IsProspect": "is_prospect", "IsArchived": "archived",
}  # fmt: skip
FIELD_NAMES = {v: k for k, v in SIMPLE.items()} | {"account_manager_id": "AccountManager/UUID"}
CONTACT = {"UUID": "contact_id", "IsPrimary": "is_primary", "Name": "name", "Salutation": "salutation",
           "Addressee": "addressee", "Email": "email", "Phone": "phone", "Mobile": "mobile", "Position": "position"}  # fmt: skip
VALUE_TAGS = ("Text", "Number", "Date", "Boolean")
ID_TAGS = ("TaxNumber", "CompanyNumber", "BusinessNumber")


def _local(tag: str) -> str:
    return tag.rpartition("}")[2] if tag[0] == "{" else tag  # tolerate a default namespace


def _texts(el: etree._Element) -> dict[str, str | None]:
    return {_local(ch.tag): ch.text for ch in el}


class _Columns:
    """Column lists for every table, filled one client at a time; frames are built once per batch.

    The list appends are bound once here: a file's clients are the parser's one per-record loop.
    """

    def __init__(self) -> None:
        self.client: dict[str, list] = {c: [] for c in [*SIMPLE.values(), "account_manager_id",
                                                        "account_manager_name", RECORD_NO, "raw_hash", LABEL]}  # fmt: skip
        self.ident = {"source_client_id": [], "id_type": [], "value": []}
        self.contact: dict[str, list] = {c: [] for c in ["source_client_id", *CONTACT.values(), LABEL]}
        self.group = {"source_client_id": [], "group_id": [], "group_name": []}
        self.rel = {"source_client_id": [], "relationship_id": [], "relationship_type": [],
                    "related_client_id": [], "related_client_name": []}  # fmt: skip
        self.custom = {"source_client_id": [], "field_id": [], "field_name": [], "value_type": [], "value": []}
        self.simple = [(tag, self.client[col].append) for tag, col in SIMPLE.items()]
        self.contact_cols = [(src, self.contact[col].append) for src, col in CONTACT.items()]


def _split(el: etree._Element) -> tuple[dict[str, str | None], list[tuple[str, etree._Element]]]:
    """A client's leaf texts by tag, and its nested lists."""
    text, nested = {}, []
    for ch in el:
        tag = ch.tag
        if tag[0] == "{":  # _local, inline: this runs for every element of the file
            tag = tag.rpartition("}")[2]
        if len(ch):
            nested.append((tag, ch))
        else:
            text[tag] = ch.text
    return text, nested


def _add_nested(cols: _Columns, uuid: str, label: str, tag: str, el: etree._Element) -> dict:
    """Append one nested list of a client to its table; returns the account manager's texts."""
    if tag == "AccountManager":
        return _texts(el)
    if tag == "Contacts":
        ids, labels = cols.contact["source_client_id"], cols.contact[LABEL]
        for k, contact in enumerate(el, 1):
            t = _texts(contact)
            ids.append(uuid)
            labels.append(f"{label} contact {k}")
            for src, add in cols.contact_cols:
                add(t.get(src))
    elif tag == "Groups":
        for group in el:
            t = _texts(group)
            cols.group["source_client_id"].append(uuid)
            cols.group["group_id"].append(t.get("UUID"))
            cols.group["group_name"].append(t.get("Name"))
    elif tag == "Relationships":
        for rel in el:
            t = _texts(rel)
            other = next((_texts(x) for x in rel if _local(x.tag) == "RelatedClient"), {})
            for col, v in (("source_client_id", uuid), ("relationship_id", t.get("UUID")),
                           ("relationship_type", t.get("Type")), ("related_client_id", other.get("UUID")),
                           ("related_client_name", other.get("Name"))):  # fmt: skip
                cols.rel[col].append(v)
    elif tag == "CustomFields":
        custom = cols.custom
        for field in el:
            t = _texts(field)
            kind = next((k for k in VALUE_TAGS if k in t), None)
            custom["source_client_id"].append(uuid)
            custom["field_id"].append(t.get("UUID"))
            custom["field_name"].append(t.get("Name"))
            custom["value_type"].append(kind.lower() if kind else None)
            custom["value"].append(t.get(kind) if kind else None)
    return {}


def _add_client(cols: _Columns, el: etree._Element, no: int, seen: dict[str, int]) -> None:
    text, nested = _split(el)
    get = text.get
    uuid = (get("UUID") or "").strip()
    name = (get("Name") or "").strip()
    label = f"record {no} (UUID={uuid})" if uuid else f"record {no}"
    for tag, child in nested:  # a value holding elements: its text is not all of it (QA, session 35: "missing Name")
        if tag in SIMPLE:
            raise BadInput(FILE, label, f"{tag}: holds markup (<{_local(child[0].tag)}>), not text")
    if not uuid:
        raise BadInput(FILE, label, "missing UUID")
    if not name:
        raise BadInput(FILE, label, "missing Name")
    if uuid in seen:
        raise BadInput(FILE, label, f"UUID repeats record {seen[uuid]}")
    seen[uuid] = no
    c = cols.client
    for tag, add in cols.simple:
        add(get(tag))
    c["source_client_id"][-1] = uuid
    c[RECORD_NO].append(no)
    # an unkeyed digest only until `finish` keys it: the record holds the tax number
    c["raw_hash"].append(hashlib.sha256(etree.tostring(el, with_tail=False)).hexdigest())
    c[LABEL].append(label)
    manager: dict = {}
    for tag, child in nested:
        manager = _add_nested(cols, uuid, label, tag, child) or manager
    c["account_manager_id"].append(manager.get("UUID"))
    c["account_manager_name"].append(manager.get("Name"))
    for tag in ID_TAGS:  # kinds by region are decided in landing.identifiers
        if get(tag) is not None:
            cols.ident["source_client_id"].append(uuid)
            cols.ident["id_type"].append(tag)
            cols.ident["value"].append(text[tag])


def _not_a_client(el: etree._Element) -> None:
    """An element inside <Clients> that is no <Client> (another spelling, another export's shape) is bad input:
    its records would otherwise be skipped without a word."""
    if isinstance(el.tag, str) and _local(el.tag) != "Client":
        raise BadInput(FILE, f"line {el.sourceline}", f"<{_local(el.tag)}> inside <Clients>: expected <Client> elements")


def _parse(path: Path) -> _Columns:
    cols, seen, no, lists = _Columns(), {}, 0, 0
    events = etree.iterparse(
        str(path), events=("end",), tag=("{*}Client", "{*}Status", "{*}Clients"), remove_comments=True, remove_pis=True,
        resolve_entities=False, no_network=True, load_dtd=False,
    )  # fmt: skip
    try:
        for _, el in events:
            tag = _local(el.tag)
            if tag == "Status":
                # the API's own verdict on the export: anything but OK means the list is not to be trusted
                if (el.text or "").strip().upper() != "OK":
                    raise BadInput(FILE, f"line {el.sourceline}", f"Status {el.text!r}: the export did not succeed")
                continue
            parent = el.getparent()
            if tag == "Clients":
                if parent is None or parent.getparent() is not None:
                    raise BadInput(FILE, f"line {el.sourceline}", "<Clients> is not a child of the root <Response>")
                lists += 1
                for child in el:  # what follows its last <Client>: those before it were checked as they were freed
                    _not_a_client(child)
                continue
            if parent is None or _local(parent.tag) != "Clients":
                raise BadInput(FILE, f"line {el.sourceline}", "<Client> outside <Response><Clients>")
            no += 1
            _add_client(cols, el, no, seen)
            # free what is parsed: the file can be tens of MB
            el.clear()
            while el.getprevious() is not None:
                _not_a_client(parent[0])
                del parent[0]
        root = events.root
    except etree.XMLSyntaxError as exc:
        line, msg = _error(exc, path)
        raise BadInput(FILE, f"line {line}", f"not valid XML: {_plain(msg)}") from None
    if _local(root.tag) != "Response":
        raise BadInput(FILE, f"line {root.sourceline}", f"root element <{_local(root.tag)}>: expected <Response>")
    if lists != 1:
        raise BadInput(FILE, None, "expected one <Clients> list in <Response>, found " + str(lists))
    return cols


def _error(exc: etree.XMLSyntaxError, path: Path) -> tuple[int, str]:
    """The line and text of the parse error; where iterparse only says "no element found" on line 0 after
    an earlier error, that error (the newest entry of the log for this file: lxml's log outlives a parse)."""
    line, msg = exc.lineno, exc.msg or ""
    if not line:
        mine = [e for e in (exc.error_log or []) if e.filename == str(path)]
        if mine:
            line, msg = mine[-1].line, mine[-1].message
    return line, re.sub(r", line \d+, column \d+$", "", msg.strip())  # the line is reported on its own


# libxml2's wording for the limits it keeps without huge_tree, in an operator's words
_LIMITS = (
    ("Excessive depth", "elements nested deeper than libxml2's limit of 256 levels"),
    ("huge text node", "a text node longer than libxml2's limit of 10,000,000 characters"),
    ("text node too long", "a text node longer than libxml2's limit of 10,000,000 characters"),
    ("Huge input lookup", "a single piece of markup longer than libxml2's limit"),
    ("EntityRef: no name", "an & not written as &amp;"),  # a bare ampersand ("Fisher & Fisher"), no entity at all
    ("entity", "an entity reference (entities are not allowed)"),
)


def _plain(msg: str) -> str:
    for jargon, plain in _LIMITS:
        if jargon.lower() in (msg or "").lower():
            return f"{plain} ({msg.strip()})"
    return msg


def _check_encoding(path: Path) -> None:
    """The contract says UTF-8: a declaration of another encoding (or a UTF-16 BOM) is bad input."""
    with path.open("rb") as f:
        head = f.read(200)
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise BadInput(FILE, "line 1", "not UTF-8 (UTF-16 byte order mark)")
    declared = re.match(rb"^(?:\xef\xbb\xbf)?<\?xml[^>]*encoding=[\"']([^\"']+)", head)
    if declared and declared.group(1).lower() not in (b"utf-8", b"utf8"):
        raise BadInput(FILE, "line 1", f"not UTF-8 (declared {declared.group(1).decode('ascii', 'replace')})")


def _refuse_doctype(path: Path) -> None:
    """A DOCTYPE in the prolog is BadInput naming its line, before any parser reads the file's body.

    The XPM API never sends one; a DOCTYPE is where entities (billion laughs, external files or URLs) are declared.
    """
    data, pos = b"", 0
    with path.open("rb") as f:
        while True:
            more = f.read(1 << 16)
            data += more
            if data.startswith(b"\xef\xbb\xbf") and pos == 0:
                pos = 3
            while pos < len(data) and data[pos : pos + 1].isspace():
                pos += 1
            rest = data[pos:]
            closing = b"?>" if rest.startswith(b"<?") else b"-->" if rest.startswith(b"<!--") else None
            if closing is not None:
                end = rest.find(closing, 2)
                if end >= 0:
                    pos += end + len(closing)
                    continue
                if not more:
                    return  # unterminated: the parser names it
                continue
            if rest.startswith(b"<!"):
                if len(rest) < 9 and more:
                    continue
                line = data[:pos].count(b"\n") + 1
                what = "a DOCTYPE" if rest[2:9].upper() == b"DOCTYPE" else "a markup declaration"
                raise BadInput(FILE, f"line {line}", f"{what} before the root element: refused unparsed "
                               "(DTDs and entity declarations are not allowed)")
            if rest or not more:
                return  # the root element (or text the parser will refuse)


def parse(path: Path, practice_id: str) -> dict[str, dict[str, list]]:
    """xpm_clients.xml as raw column lists per table (the file alone says nothing of its practice)."""
    if path.stat().st_size == 0:
        raise BadInput(FILE, None, "empty file")
    _check_encoding(path)
    _refuse_doctype(path)
    cols = _parse(path)
    return {"client": cols.client, "contact": cols.contact, "group_member": cols.group, "relationship": cols.rel,
            "custom_field": cols.custom, "ids": cols.ident}  # fmt: skip


# table, shape, field names for messages: in the order one practice's file is typed
SPEC = (
    ("client", schema.CLIENT, FIELD_NAMES),
    ("contact", schema.CONTACT, {"is_primary": "Contact/IsPrimary"}),
    ("group_member", schema.GROUP_MEMBER, None),
    ("relationship", schema.RELATIONSHIP, None),
    ("custom_field", schema.CUSTOM_FIELD, None),
)


def typed(raw: dict[str, pl.DataFrame], failures: Failures) -> dict[str, pl.DataFrame]:
    """A batch's parsed XPM tables typed (a module function: a reader travels to parsing processes by name)."""
    return type_client_file(raw, failures, SPEC, "xpm", FILE, RANK)


READER = Reader(FILE, RANK, parse, typed)


def parse_xpm(path: Path, practice_id: str) -> Parsed:
    """xpm_clients.xml parsed and typed; identifiers left raw for `finish`."""
    return parse_file(READER, path, practice_id)


def read_xpm(path: Path, practice_id: str, region: str | None, key: HashKey) -> Frames:
    """One practice's xpm_clients.xml as staging frames; BadInput names the record and field."""
    return read_file(READER, path, practice_id, region, key)
