"""practices.json, the practice registry: read leniently, then each row and folder checked on its own."""

from __future__ import annotations

import re
from pathlib import Path

import polars as pl

from landing import schema
from landing.errors import BadInput
from landing.freetext import mask_runs, tax_number_runs
from landing.hq import FILE as HQ_FILE
from landing.hq import load_json

FILE = "practices.json"
ID_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,64}")
ENUMS = {
    "region": {"AU", "NZ", "UK", "US", "ROW"},
    "connection": {"none", "unconfirmed", "confirmed"},
    "strategy": {"keep_xpm", "keep_hq", "combine", None},
}
TEXT = ["practice_id", "name", "region", "connection", "connected_by", "master_admin", "strategy"]


def _rows(landing: Path) -> list:
    path = landing / FILE
    if not path.is_file():
        raise BadInput(FILE, None, f"not found in {landing}")
    rows = load_json(path, FILE)
    if not isinstance(rows, list):
        raise BadInput(FILE, None, "expected a JSON array of practices")
    return rows


def holds_tax_number(name: str, region: object = None) -> bool:
    """Whether an id or a folder's name holds a tax number as free text finds one (a TFN or IRD number; in a UK practice,
    `region` "UK", a UTR too). Ids and folder names are stored and shown as written, so such a one names no practice
    (QA8: a practice id or landing folder named by a TFN was stored and printed in clear). Only a name of eight digits
    or more is looked at."""
    if sum(c.isdigit() for c in name) < 8:
        return False
    return bool(tax_number_runs(pl.Series([name], dtype=pl.String), utr=region == "UK"))


def _id(row: object) -> str | None:
    """The practice a row names: its practice_id when that is an id (ID_PATTERN) holding no tax number; a row with any
    other value names none (a TFN typed there was stored in clear as a failed practice's id, QA session 31; one written
    as an id, `599936196`, too: QA8)."""
    pid = row.get("practice_id") if isinstance(row, dict) else None
    if not isinstance(pid, str) or not ID_PATTERN.fullmatch(pid.strip()):
        return None
    return None if holds_tax_number(pid.strip(), row.get("region")) else pid.strip()


def read_registry(landing: Path) -> pl.DataFrame:
    """The registry in PRACTICE shape, first row per practice_id; BadInput if practices.json is unusable."""
    cols: dict[str, list] = {c: [] for c in schema.PRACTICE.names()}
    seen: set[str] = set()
    for row in _rows(landing):
        pid = _id(row)
        if pid is None or pid in seen:
            continue  # registry_problems reports it; a row without an id has no practice to fail
        seen.add(pid)
        for c in TEXT:
            v = row.get(c)
            cols[c].append(v.strip() if isinstance(v, str) and v.strip() else None)
        cols["practice_id"][-1] = pid
        for c in ("uses_xpm", "uses_tax"):
            cols[c].append(row.get(c) if isinstance(row.get(c), bool) else None)
        wave = row.get("wave")
        cols["wave"].append(wave if isinstance(wave, int) and not isinstance(wave, bool) else None)
    frame = pl.DataFrame(cols, schema=schema.PRACTICE).sort("practice_id")
    # a tax number typed into the practice's name was stored and printed (QA, session 30): masked as in free text, a
    # UTR in a UK practice's name too (session 33); so into who confirmed step one or is the Master Admin (QA, session
    # 35: "609032348" there was stored and shown by `scr practice`)
    masked = ["name", "connected_by", "master_admin"]
    texts = pl.concat([frame.get_column(c) for c in masked]).drop_nulls()
    uk = frame.filter(pl.col("region") == "UK")
    uk_texts = pl.concat([uk.get_column(c) for c in masked]).drop_nulls()
    runs = sorted(set(tax_number_runs(texts)) | set(tax_number_runs(uk_texts, utr=True)))
    return frame.with_columns(mask_runs(pl.col(c), runs) for c in masked) if runs else frame


def _kind(value: object) -> str:
    """What a JSON value is, in words, never its content (a row may be any text, a tax number too)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, dict):
        return "an object"
    return "a list" if isinstance(value, list) else type(value).__name__


def _shown(value: object) -> str:
    """A registry value as a message may show it: a short word as written (a region typed 'Au'), anything else by kind."""
    return repr(value) if isinstance(value, str) and _WORD.fullmatch(value) else _kind(value)


_WORD = re.compile(r"[A-Za-z_ -]{1,24}")


def _row_problem(row: object) -> str | None:
    if not isinstance(row, dict):
        return f"not an object but {_kind(row)}: each row is one practice's object, {{\"practice_id\": ...}}"
    if _id(row) is None:
        value = row.get("practice_id")
        if value is None:
            return "no practice_id"
        if isinstance(value, str) and ID_PATTERN.fullmatch(value.strip()):  # an id's shape, holding a tax number
            return ("practice_id holds a tax number (a TFN, IRD number or UTR), which ids are stored and shown as: give "
                    "the practice another id (and its folder that name)")  # fmt: skip
        return f"practice_id is {_kind(value)}, not an id of 1-64 letters, digits, _ or -"
    for field, allowed in ENUMS.items():
        if row.get(field) not in allowed:
            return f"{field} {_shown(row.get(field))} not one of {', '.join(sorted(a for a in allowed if a))}"
    for field in ("uses_xpm", "uses_tax"):
        if not isinstance(row.get(field), bool):
            return f"{field} {_shown(row.get(field))} is not true/false"
    if row["uses_tax"] and row["region"] not in ("AU", "NZ"):
        return f"uses_tax is true but Xero Tax exists only for AU and NZ (region {row['region']})"
    for field in ("name", "master_admin"):
        if not isinstance(row.get(field), str) or not row[field].strip():
            return f"missing {field}"
    if row.get("connected_by") is not None and not isinstance(row.get("connected_by"), str):
        return f"connected_by is {_kind(row.get('connected_by'))}, not text"
    wave = row.get("wave")
    if wave is not None and (isinstance(wave, bool) or not isinstance(wave, int)):
        return f"wave is {_kind(wave)}, not an integer"
    return None


def no_folder(pid: str) -> BadInput:
    """A practices.json row whose practice has no folder in the landing zone."""
    return BadInput(FILE, f"practice_id={pid}", f"no folder {pid}/ in the landing zone for this practice's exports")


def no_hq() -> BadInput:
    """A practice whose folder holds no hq_clients.json."""
    return BadInput(HQ_FILE, None, "missing: every practice in practices.json has Xero HQ")


def _repeats(rows: list) -> dict[int, tuple[str, int, bool]]:
    """Row number (1-based) -> (its practice_id, the row that first named it, whether the two say the same) for each
    row naming a practice an earlier row names."""
    first: dict[str, tuple[int, object]] = {}
    out: dict[int, tuple[str, int, bool]] = {}
    for no, row in enumerate(rows, 1):
        pid = _id(row)
        if pid is None:
            continue
        if pid in first:
            at, earlier = first[pid]
            out[no] = (pid, at, {**row, "practice_id": pid} == {**earlier, "practice_id": pid})  # type: ignore[dict-item]
        else:
            first[pid] = (no, row)
    return out


def unnamed_rows(landing: Path) -> list[str]:
    """Why each row of practices.json no practice is read from is unusable, one line each naming the file and the row
    (1-based): a row that names no practice (not an object, or one without a practice_id), or one that repeats an
    earlier row word for word (read once). A problem of the registry, not a practice's: none fails for it
    (registry_problems leaves them out). A row repeating a practice_id with other values is that practice's problem:
    which of the two is meant is not known (registry_problems)."""
    rows = _rows(landing)
    repeats = _repeats(rows)
    said = []
    for no, row in enumerate(rows, 1):
        if _id(row) is None:
            said.append(str(BadInput(FILE, f"row {no}", _row_problem(row) or "no practice_id")))
        elif no in repeats and repeats[no][2]:
            said.append(str(BadInput(FILE, f"row {no}", f"repeats row {repeats[no][1]} word for word")))
    named = {_id(row) for row in rows}
    # a folder named by a tax number (a UTR too: whose folder it is, and so its region, is not known): said without its
    # name, never a practice's id
    for folder in _folders(landing):
        if folder not in named and holds_tax_number(folder, "UK"):
            said.append(f"a folder of the landing zone is named by a tax number (ending {folder[-3:]}): it is not read; "
                        "give it its practice's id from practices.json")  # fmt: skip
    return said


def registry_problems(landing: Path, registry: pl.DataFrame) -> dict[str, str]:
    """Practice or folder id -> why it fails: a bad registry row, two rows naming it with different values, no
    hq_clients.json, an unknown folder.

    A row no practice is read from is not one (a run's status counted `practices.json row 3` a failed practice, QA
    session 31), nor is a row repeating another word for word: unnamed_rows says them. Two rows that name one practice
    and differ (another strategy, region or connection) fail it, both rows named: the run cannot know which is meant,
    and reading the first would consolidate by a choice the operator may have replaced. (QA7: any repeat failed the
    practice, one word for word too.)"""
    problems: dict[str, str] = {}
    rows = _rows(landing)
    repeats = _repeats(rows)
    for no, (pid, at, same) in repeats.items():
        if not same and pid not in problems:
            problems[pid] = str(BadInput(FILE, f"row {no} (practice_id={pid})",
                                         f"repeats the practice_id of row {at} with other values: keep one of the two rows"))  # fmt: skip
    for no, row in enumerate(rows, 1):
        pid = _id(row)
        if pid is None or no in repeats or pid in problems:
            continue  # unnamed_rows, or two rows that differ
        reason = _row_problem(row)
        if reason:
            problems[pid] = str(BadInput(FILE, f"row {no} (practice_id={pid})", reason))
    for pid in registry.get_column("practice_id").to_list():
        if pid in problems:
            continue
        if not (landing / pid).is_dir():
            problems[pid] = str(no_folder(pid))
        elif not (landing / pid / HQ_FILE).is_file():
            problems[pid] = str(no_hq())
    known = set(registry.get_column("practice_id").to_list())
    for folder in _folders(landing):
        if folder not in known and not holds_tax_number(folder, "UK"):  # one named by a tax number: unnamed_rows says it
            problems[folder] = str(BadInput(folder, None, f"practice folder not in {FILE}"))
    return dict(sorted(problems.items()))


def _folders(landing: Path) -> list[str]:
    return sorted(p.name for p in landing.iterdir() if p.is_dir() and not p.name.startswith("."))
