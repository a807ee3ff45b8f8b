"""No raw secret anywhere: a generated zone enriched with every identifier kind (and secrets typed where they do
not belong) goes through the real flows; then every table and view, every file under the warehouse's folder,
the run's logs, Prefect's flow and task runs, logs and artifacts, and every exported file are scanned."""

from __future__ import annotations

import json
import logging
import random
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import polars as pl
import pytest
from lxml import etree
from stdnum.au import tfn as std_tfn
from stdnum.gb import utr as std_utr
from stdnum.nz import ird as std_ird
from typer.testing import CliRunner

from flows.cli import app
from tests.flows.leakscan import Secrets, masked, scan_folder, scan_series, scan_text, scan_warehouse

pytestmark = pytest.mark.prefect
runner = CliRunner()
# identifier labels of public registers: everything else a source holds is a secret
PUBLIC_LABELS = {"ABN", "ACN", "ARBN", "NZBN", "CRN", "NZCN", "UKCRN", "COMPANY", "COMPANYNUMBER", "BUSINESSNUMBER"}
SECRET_FIELDS = {"TFN", "Bank Account", "IRD Number", "Numéro de sécurité sociale"}


class Planter:
    """Fresh valid numbers in the formattings people use."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)

    def digits(self, n: int) -> str:
        return str(self.rng.randrange(1, 10)) + "".join(str(self.rng.randrange(10)) for _ in range(n - 1))

    def tfn(self) -> str:
        while True:
            body = self.digits(8)
            last = sum(w * int(d) for w, d in zip((1, 4, 3, 7, 5, 8, 6, 9), body)) % 11
            if last < 10 and std_tfn.is_valid(body + str(last)):
                return body + str(last)

    def ird(self) -> str:
        while True:
            body = str(self.rng.randrange(1_000_000, 9_999_999))
            value = body + std_ird.calc_check_digit(body)
            if std_ird.is_valid(value):
                return value  # eight digits: often written with a leading zero

    def utr(self) -> str:
        while True:  # one no UK phone starts with (0, 44): a UK practice's free text masks it (landing.freetext)
            value = self.digits(10)
            if std_utr.is_valid(value) and not value.startswith("44"):
                return value

    def spaced(self, v: str, sep: str) -> str:
        return sep.join(v[i : i + 3] for i in range(0, len(v), 3))


def _retarget(landing: Path, registry: list[dict]) -> dict[str, str]:
    """Two XPM practices become UK and US (no Xero Tax there), so XPM tax numbers of every region appear."""
    xpm = [r for r in registry if r["uses_xpm"] and r["region"] == "AU"]
    assert len(xpm) >= 3, "the generated zone needs three AU practices with XPM"
    out = {}
    for row, region in zip(xpm[-2:], ("UK", "US")):
        row.update(region=region, uses_tax=False)
        (landing / row["practice_id"] / "tax_clients.csv").unlink(missing_ok=True)
        out[row["practice_id"]] = region
    if not any(r["region"] == "NZ" for r in registry):
        xpm[-3].update(region="NZ")
    return out


def _enrich_hq(path: Path, p: Planter, region: str, bad: bool, tabbed: str | None = None) -> list[str]:
    """Identifiers of every kind; tax numbers as people paste and type them into free text and into a public kind's
    slot (session 28 found each of these kept in clear); returns those hidden in free text and slots."""
    doc = json.loads(path.read_text(encoding="utf-8"))
    hidden = [p.tfn() for _ in range(7)]
    full_width = "".join(chr(0xFF10 + int(d)) for d in hidden[1])
    first = doc["clients"][0]
    first["address"] = {**(first.get("address") or {}), "line2": f"TFN {p.spaced(hidden[0], chr(0x2013))}",  # en dashes
                        # characters that show as nothing: a zero-width space, a soft hyphen (session 30)
                        "city": f"{p.spaced(hidden[5], chr(0x200B))} {p.spaced(hidden[6], chr(0xAD))}"}
    first["legalName"] = f"{first.get('legalName') or first['displayName']} {full_width}"
    wide = p.tfn()  # four spaces between its groups (QA)
    hidden.append(wide)
    first["contacts"] = (first.get("contacts") or []) + [{"id": "planted-contact", "name": f"Bob (TFN {p.spaced(hidden[2], '  ')})",
                                                          "position": f"TFN {p.spaced(hidden[4], ',')}"},  # a spreadsheet's commas
                                                         {"id": "planted-contact-2", "name": f"Jo TFN {p.spaced(wide, '    ')}"}]
    if region == "NZ":  # an IRD number as a company number, which has no check digits in NZ (session 29)
        hidden.append(p.ird())
        first["identifiers"] = [*(first.get("identifiers") or []), {"type": "CRN", "value": p.spaced(hidden[-1], "-")}]
    for obj in doc["clients"][:2]:
        ird = p.ird()
        obj["identifiers"] = (obj.get("identifiers") or []) + [
            {"type": "UTR", "value": p.digits(5) + " " + p.digits(5)},
            {"type": "EIN", "value": p.digits(2) + "-" + p.digits(7)},
            {"type": "SSN", "value": f"{p.digits(3)}-{p.digits(2)}-{p.digits(4)}"},
            {"type": "GST", "value": "0" + p.spaced(ird, "-") if region == "NZ" else p.spaced(p.digits(9), "-")},
            {"type": "Passport", "value": "pa " + p.digits(7)},
            {"type": "Medicare No", "value": f"{p.digits(4)} {p.digits(5)} {p.digits(1)}"},
            {"type": "XYZ reference", "value": f"QZ-{p.digits(6)}-K"},
            {"type": "tfn", "value": p.spaced(p.tfn(), ".")},
            {"type": "IRD", "value": "0" + ird},
            {"type": "ABN", "value": p.spaced(hidden[3], " ")},  # a TFN in the ABN slot
        ]
    if bad:  # a tax number typed into a date field, with no-break spaces: this practice fails, its message must not quote it
        doc["clients"][0]["dateOfBirth"] = p.spaced(p.tfn(), "\u00a0")
    if tabbed:  # another, with tabs (a pasted column): its repr writes '\t' between the groups (QA, session 30)
        doc["clients"][0]["dateOfBirth"] = p.spaced(tabbed, "\t")
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    return hidden


def _enrich_xpm(path: Path, p: Planter, region: str) -> list[str]:
    """Tax numbers in every client's TaxNumber of two clients, and secrets in custom fields; returns free-text secrets."""
    tree = etree.parse(str(path))
    hidden = []
    for client in list(tree.iter("{*}Client"))[:2]:
        number = {"AU": lambda: p.spaced(p.tfn(), "-"), "NZ": lambda: "0" + p.spaced(p.ird(), " "),
                  "UK": lambda: p.digits(5) + " " + p.digits(5), "US": lambda: f"{p.digits(3)}-{p.digits(2)}-{p.digits(4)}"}
        tax = client.find("{*}TaxNumber")
        if tax is None:
            tax = etree.SubElement(client, "TaxNumber")
        tax.text = number.get(region, number["US"])()
        fields = client.find("{*}CustomFields")
        if fields is None:
            fields = etree.SubElement(client, "CustomFields")
        note_tfn, note_date, lines = p.tfn(), p.tfn(), p.tfn()
        hidden += [note_tfn, note_date, lines]
        # a multi-line address, the groups of a TFN on lines of their own (QA)
        address = client.find("{*}Address")
        if address is None:
            address = etree.SubElement(client, "Address")
        address.text = f"Unit 5 TFN {p.spaced(lines, chr(10))}\n2 George St"
        planted, ids = [], {}
        if region == "UK":  # UTRs in a UK practice's free text and in a custom field with an ordinary name (QA)
            in_address, in_memo, in_id = p.utr(), p.utr(), p.utr()
            hidden += [in_address, in_memo, in_id]
            address.text += f" UTR {in_address[:5]} {in_address[5:]}"
            planted.append(("Memo", "Text", f"UTR {in_memo}"))
            ids["Memo"] = f"UTR-{in_id}"  # and as a record's id (session 33)
        for name, tag, value in (*planted,
            ("TFN", "Text", p.spaced(p.tfn(), " ")),
            ("Notes", "Text", f"Per ATO letter the TFN is {p.spaced(note_tfn, '-')}, confirmed"),
            ("Bank Account", "Text", f"062-000 {p.digits(8)}"),
            ("Bank\u200bAccount", "Text", f"062-000 {p.digits(8)}"),  # a name with a zero-width space (session 30)
            ("IRD Number", "Number", p.ird()),
            ("Numéro de sécurité sociale", "Text", f"1 {p.digits(2)} {p.digits(2)} {p.digits(2)} {p.digits(3)} {p.digits(3)}"),  # QA
            ("Year End", "Date", note_date),  # a tax number in a field declared a date
        ):
            field = etree.SubElement(fields, "CustomField")
            etree.SubElement(field, "UUID").text = ids.get(name, f"planted-{name}-{p.digits(6)}")
            etree.SubElement(field, "Name").text = name
            etree.SubElement(field, tag).text = value
    tree.write(str(path), xml_declaration=True, encoding="utf-8")
    return hidden


def enrich(landing: Path, seed: int) -> dict:
    """Every identifier kind and misplaced secret in the generated zone's own files (the generator is not changed)."""
    p = Planter(seed)
    registry = json.loads((landing / "practices.json").read_text())
    moved = _retarget(landing, registry)
    hidden = []
    for row in registry:  # a UTR in a UK practice's name (session 33)
        if row["region"] == "UK":
            hidden.append(p.utr())
            row["name"] = f"{row['name']} (UTR {hidden[-1][:5]} {hidden[-1][5:]})"
    (landing / "practices.json").write_text(json.dumps(registry))
    bad = next(r["practice_id"] for r in registry if r["uses_xpm"] and r["region"] == "AU")
    # an HQ-only practice, if any, fails too (it has no links to review nor custom fields the assertions count)
    tabbed = {"practice": next((r["practice_id"] for r in registry if not r["uses_xpm"] and not r["uses_tax"]), None), "tfn": p.tfn()}
    for row in registry:
        folder = landing / row["practice_id"]
        hidden += _enrich_hq(folder / "hq_clients.json", p, row["region"], bad=row["practice_id"] == bad,
                             tabbed=tabbed["tfn"] if row["practice_id"] == tabbed["practice"] else None)
        if (folder / "xpm_clients.xml").is_file():
            hidden += _enrich_xpm(folder / "xpm_clients.xml", p, row["region"])
    return {"moved": moved, "bad": bad, "tabbed": tabbed, "hidden": hidden}


def collect(landing: Path, hidden: list[str]) -> Secrets:
    """Every raw secret value in the landing zone, from the files themselves."""
    import csv

    secrets, public = Secrets(), Secrets()
    for folder in sorted(p for p in landing.iterdir() if p.is_dir()):
        if (folder / "tax_clients.csv").is_file():
            with open(folder / "tax_clients.csv", newline="", encoding="utf-8") as f:
                for row in csv.DictReader(f):
                    secrets.add(row["tfn"])
                    secrets.add(row["ird_number"])
                    public.add(row["abn"])
        for obj in json.loads((folder / "hq_clients.json").read_text(encoding="utf-8"))["clients"]:
            for ident in obj.get("identifiers") or []:
                label = re.sub(r"[^A-Z0-9]", "", str(ident.get("type")).upper())
                (public if label in PUBLIC_LABELS else secrets).add(ident.get("value"))
            if re.fullmatch(r"[\d ]{9,}", obj.get("dateOfBirth") or ""):
                secrets.add(obj["dateOfBirth"])
        if (folder / "xpm_clients.xml").is_file():
            for client in etree.parse(str(folder / "xpm_clients.xml")).iter("{*}Client"):
                secrets.add(client.findtext("{*}TaxNumber"))
                for tag in ("CompanyNumber", "BusinessNumber"):
                    public.add(client.findtext(f"{{*}}{tag}"))
                for field in client.iter("{*}CustomField"):
                    if field.findtext("{*}Name") in SECRET_FIELDS:
                        secrets.add(next(v for v in (field.findtext(f"{{*}}{t}") for t in ("Text", "Number")) if v))
    planted = Secrets()
    for value in hidden:
        planted.add(value)
    # a number that is also someone's public register number is not a secret leak (but a TFN planted in a public
    # kind's slot is a TFN)
    secrets.digits -= public.digits - planted.digits
    secrets.digits |= planted.digits
    return secrets


class Capture(logging.Handler):
    """Every log record of the process, formatted, exception text included."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


def _page(read) -> list:
    out, offset = [], 0
    while True:
        batch = read(offset)
        out += batch
        if len(batch) < 200:
            return out
        offset += len(batch)


def prefect_records(since: datetime) -> dict[str, list[str]]:
    """This test's flow runs (parameters included), their task runs, logs and artifacts, as JSON text."""
    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:
        runs = [r for r in _page(lambda o: client.read_flow_runs(limit=200, offset=o)) if r.created >= since]
        ids = {r.id for r in runs}
        tasks = [t for t in _page(lambda o: client.read_task_runs(limit=200, offset=o)) if t.flow_run_id in ids]
        logs = [x for x in _page(lambda o: client.read_logs(limit=200, offset=o)) if x.flow_run_id in ids]
        artifacts = [a for a in _page(lambda o: client.read_artifacts(limit=200, offset=o)) if a.flow_run_id in ids]
    return {kind: [x.model_dump_json() for x in items]
            for kind, items in (("flow_runs", runs), ("task_runs", tasks), ("logs", logs), ("artifacts", artifacts))}


def test_no_raw_secret_leaves_the_landing_zone(tmp_path, prefect_api):
    from synthetic import generate_zone

    generate_zone(tmp_path / "zone", 8, seed=11)
    landing = tmp_path / "zone" / "landing"
    planted = enrich(landing, seed=2024)
    secrets = collect(landing, planted["hidden"])
    assert len(secrets.digits) > 300 and len(secrets.words) >= 10
    # the scan recognises every one of them as the landing files write it: a clean scan below means something
    assert set().union(*scan_folder(landing, secrets).values()) == secrets.digits | secrets.words
    wh_dir, exports = tmp_path / "warehouse", tmp_path / "exports"
    wh = wh_dir / "scr.duckdb"

    # Prefect configures its logging (levels from PREFECT_LOGGING_LEVEL) when prefect.main is first imported, which
    # the first flow run would do: import it now, so that the levels set below hold when this test runs alone
    import prefect.main  # noqa: F401

    capture, root, prefect_logger = Capture(), logging.getLogger(), logging.getLogger("prefect")
    levels = (root.level, prefect_logger.level)
    root.addHandler(capture)
    root.setLevel(logging.DEBUG)
    prefect_logger.setLevel(logging.INFO)
    since = datetime.now(UTC) - timedelta(seconds=1)
    outputs = []
    try:
        for args in (["run", "--landing", str(landing), "--warehouse", str(wh)],
                     ["retire-sync", "--landing", str(landing), "--warehouse", str(wh), "--force"],
                     ["status", "--warehouse", str(wh), "--all"]):  # fmt: skip
            result = runner.invoke(app, args)
            assert result.exit_code == 0, result.output
            outputs.append(result.output)
        with duckdb.connect(str(wh), read_only=True) as con:
            pending = [r[0] for r in con.sql("select distinct practice_id from client_match where decision = 'review'").fetchall()]
        assert pending, "some practice should have links awaiting review"
        for pid in pending:
            result = runner.invoke(app, ["review", "export", "--practice", pid, "--out", str(exports / f"{pid}.csv"),
                                         "--warehouse", str(wh)])
            assert result.exit_code == 0, result.output
            outputs.append(result.output)
    finally:
        root.removeHandler(capture)
        root.setLevel(levels[0])
        prefect_logger.setLevel(levels[1])

    # the planted secrets went where they should: hashed identifiers of every kind, flagged fields, a redacted failure
    with duckdb.connect(str(wh), read_only=True) as con:
        kinds = {r[0] for r in con.sql("select distinct id_type from stg_identifier where id_value is null").fetchall()}
        assert {"TFN", "IRD", "UTR", "EIN", "SSN", "TAX", "GST", "PASSPORT", "MEDICARENO", "XYZREFERENCE"} <= kinds
        assert con.sql("select count(*) from stg_custom_field where is_secret").fetchall()[0][0] >= 16
        detail = con.sql("select status, detail from practice_status where practice_id = $p", params={"p": planted["bad"]}).fetchall()
        assert detail[0][0] == "failed" and "dateOfBirth" in detail[0][1] and "***" in detail[0][1]
        if planted["tabbed"]["practice"]:  # its digits are not found by the scan below, written with a repr's '\t'
            tfn = planted["tabbed"]["tfn"]
            detail = con.sql("select status, detail from practice_status where practice_id = $p",
                             params={"p": planted["tabbed"]["practice"]}).fetchall()
            assert detail[0][0] == "failed" and detail[0][1].endswith(f"dateOfBirth: not a date: '***{tfn[-3:]}'"), detail
        leaks = {"warehouse": scan_warehouse(con, secrets)}
    leaks["files under the warehouse's folder"] = scan_folder(wh_dir, secrets)
    leaks["exported files"] = scan_folder(exports, secrets)
    assert list(exports.glob("*.csv"))
    leaks["logs and console"] = {f"line {i}": found for i, line in enumerate(capture.lines + outputs)
                                 if (found := scan_text(line, secrets))}
    assert len(capture.lines) > 20
    records = prefect_records(since)
    assert len(records["flow_runs"]) >= 2 and records["task_runs"] and records["logs"] and records["artifacts"]
    leaks["prefect"] = {kind: found for kind, texts in records.items()
                        if (found := scan_series(pl.Series(texts, dtype=pl.String), secrets))}
    assert all(not found for found in leaks.values()), {k: masked(v) for k, v in leaks.items() if v}

