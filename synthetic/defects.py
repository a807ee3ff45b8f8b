"""Bad input on purpose: each chosen practice gets one kind of defect the readers must reject."""

from __future__ import annotations

import csv
from pathlib import Path

from synthetic.build import PracticeData

DEFECTS = ("malformed_xml", "truncated_json", "non_utf8_csv", "client_without_id", "client_without_name",
           "repeated_id", "extra_folder", "missing_hq", "missing_csv_column", "empty_file")

# defect -> the file it lands in, given the practice's data (None: this practice cannot carry it)
def target(defect: str, p: PracticeData) -> str | None:
    """The file a defect would be put in for this practice, or None if it has no such file."""
    n = {s: len(rs) for s, rs in p.records.items()}
    if defect == "malformed_xml":
        return "xpm_clients.xml" if n.get("xpm", 0) >= 1 else None
    if defect in ("truncated_json", "missing_hq"):
        return "hq_clients.json" if n["hq"] >= 2 else None
    if defect in ("non_utf8_csv", "missing_csv_column"):
        return "tax_clients.csv" if n.get("tax", 0) >= 1 else None
    if defect in ("client_without_id", "client_without_name"):
        return "hq_clients.json" if n["hq"] >= 1 else None
    if defect == "repeated_id":
        return "hq_clients.json" if n["hq"] >= 2 else None
    if defect == "empty_file":
        return "xpm_clients.xml" if "xpm" in n else ("tax_clients.csv" if "tax" in n else None)
    return ""  # extra_folder: the whole folder


def before_write(defect: str, p: PracticeData) -> None:
    """Defects that live in the records themselves: change them before the files are written."""
    hq = p.records["hq"]
    if defect == "client_without_id":
        hq[len(hq) // 2]["id"] = None
    elif defect == "client_without_name":
        hq[len(hq) // 2].update(name=None, legal_name=None)
    elif defect == "repeated_id":
        hq[-1]["id"] = hq[0]["id"]
    elif defect == "non_utf8_csv":
        p.records["tax"][0]["name"] = "Zo\u00eb M\u00fcller-Ren\u00e9e"  # encodable in latin-1, not valid UTF-8 once so


def after_write(defect: str, folder: Path) -> None:
    """Defects in the bytes of a written file."""
    if defect == "malformed_xml":
        path = folder / "xpm_clients.xml"
        path.write_text(path.read_text(encoding="utf-8").replace("</Client>", "</Clinet>", 1), encoding="utf-8")
    elif defect == "truncated_json":
        path = folder / "hq_clients.json"
        data = path.read_bytes()
        path.write_bytes(data[: max(10, int(len(data) * 0.6))])
    elif defect == "missing_hq":
        (folder / "hq_clients.json").unlink()
    elif defect == "missing_csv_column":
        # a required column left out (an export cut to other columns); an extra column is no defect: the contract
        # names the columns it reads, and a reader ignores the others (QA8, session 33)
        path = folder / "tax_clients.csv"
        with path.open(newline="", encoding="utf-8") as fh:
            rows = list(csv.reader(fh))
        drop = rows[0].index("client_code")
        with path.open("w", newline="", encoding="utf-8") as fh:
            csv.writer(fh, lineterminator="\r\n").writerows([r[:drop] + r[drop + 1:] for r in rows])
    elif defect == "empty_file":
        path = folder / ("xpm_clients.xml" if (folder / "xpm_clients.xml").exists() else "tax_clients.csv")
        path.write_bytes(b"")
