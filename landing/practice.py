"""Practices' landing folders: every file present read into staging frames (absent files are empty), a whole
batch of practices at once (landing.batch); bad input fails its own practice only."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from landing import hq, sync, tax, xpm
from landing.batch import Job, read_batch
from landing.errors import BadInput
from landing.frames import Frames
from landing.registry import FILE as REGISTRY_FILE
from landing.registry import ID_PATTERN, no_folder, no_hq
from landing.secrets import HashKey

__all__ = ["read_practices", "read_practice", "FILES_IN_ORDER", "lost_exports", "emptied_exports"]

# the order one practice's files are read in: the first bad one is the one reported
FILES_IN_ORDER = (hq.READER, xpm.READER, tax.READER, sync.READER)


_PACKED = {"gz", "zip", "bz2", "xz", "zst", "7z", "tgz"}
# the systems a practice may stop exporting: source in staging, its file, its registry flag, its name in messages
_OPTIONAL = (("xpm", xpm.READER, "uses_xpm", "XPM"), ("tax", tax.READER, "uses_tax", "Xero Tax"))


def lost_exports(landing: Path, registry: pl.DataFrame, staged: pl.DataFrame) -> dict[str, str]:
    """practice_id -> why it fails: an XPM or Tax export absent now, whose last reading held clients (`staged`:
    practice_id, source, n) while the registry still says the practice uses that system. Read as "no data", as the
    contract has an absent file, it promoted a version without those clients, unsaid (found by QA, session 29); a
    practice that stopped using the system says so in practices.json (uses_xpm / uses_tax false)."""
    held = {(p, src): n for p, src, n in staged.select("practice_id", "source", "n").iter_rows()}
    out: dict[str, str] = {}
    for row in registry.select("practice_id", "uses_xpm", "uses_tax").iter_rows(named=True):  # one stat per practice's file
        for source, reader, flag, system in _OPTIONAL:
            n = held.get((row["practice_id"], source), 0)
            if n and row[flag] is True and not (landing / row["practice_id"] / reader.file).exists():
                out[row["practice_id"]] = _gone(reader.file, "absent", n, system, flag)
                break
    return out


def _gone(file: str, how: str, n: int, system: str, flag: str | None) -> str:
    """Why a practice whose export of `system` is gone fails: what its last reading held, and what to do."""
    uses = f" and {REGISTRY_FILE} says the practice uses {system}" if flag else ""
    instead = f", or set {flag} false to consolidate without them" if flag else ""
    return str(BadInput(file, None, f"{how}, but the last reading held {n} {system} client{'s' * (n != 1)}{uses}: restore "
                                    f"the export (the promoted version stays as it is){instead}"))


def emptied_exports(practices: pl.DataFrame, held: pl.DataFrame | None, read: pl.DataFrame) -> dict[str, str]:
    """practice_id -> why it fails: an XPM or Tax export present but holding no client now (`read`: practice_id,
    source of the records just read), whose last reading held clients (`held`: practice_id, source, n), while the
    registry still says the practice uses that system: as an absent one (lost_exports); an HQ export so too. QA (session 35): an export
    that came back empty (`<Clients/>` with Status OK, a header-only CSV: a filtered or truncated pull) promoted a
    version without those clients, their lineage, contacts and groups, unsaid."""
    if held is None or held.is_empty() or practices.is_empty():
        return {}
    now = set(read.select("practice_id", "source").unique().iter_rows())
    before = {(p, src): n for p, src, n in held.select("practice_id", "source", "n").iter_rows()}
    out: dict[str, str] = {}
    for row in practices.select("practice_id", "uses_xpm", "uses_tax").iter_rows(named=True):  # per practice, not record
        for source, reader, flag, system in _OPTIONAL:
            n = before.get((row["practice_id"], source), 0)
            if n and row[flag] is True and (row["practice_id"], source) not in now:
                out[row["practice_id"]] = _gone(reader.file, "holds no clients", n, system, flag)
                break
        n = before.get((row["practice_id"], "hq"), 0)
        if row["practice_id"] not in out and n and (row["practice_id"], "hq") not in now:
            # HQ is where the clients go: no registry flag says a practice stopped using it
            out[row["practice_id"]] = _gone(hq.READER.file, "holds no clients", n, "HQ", None)
    return out


def _job(landing: Path, practice: dict) -> Job:
    pid = practice["practice_id"]
    job = Job(pid, practice.get("region"))
    if not isinstance(pid, str) or not ID_PATTERN.fullmatch(pid):  # never a path outside the zone
        job.refused = BadInput(REGISTRY_FILE, f"practice_id={pid!r}", "not a valid practice id")
        return job
    folder = landing / pid
    if not folder.is_dir():
        job.refused = no_folder(pid)
        return job
    try:  # one listing per practice: a contract file under another case is no absent file
        named = {p.name.lower(): p.name for p in folder.iterdir()}
    except OSError:
        named = {}
    for reader in FILES_IN_ORDER:
        other = named.get(reader.file)
        if other is not None and other != reader.file and not (folder / reader.file).is_file():
            job.refused = BadInput(other, None, f"the export must be named {reader.file} (names are case-sensitive)")
            return job
    for reader in FILES_IN_ORDER:
        path = folder / reader.file
        if path.exists() and not path.is_file():  # a folder of that name was taken for no export (session 29, QA)
            job.refused = BadInput(reader.file, None, "a folder, not a file: the export must be the file itself")
            return job
        packed = sorted(n for n in named.values() if n.lower().startswith(reader.file + ".") and n.lower().rsplit(".", 1)[-1] in _PACKED)
        if packed and not path.is_file():  # xpm_clients.xml.gz alone was read as no XPM data
            job.refused = BadInput(packed[0], None, f"compressed: the export must be {reader.file}, unpacked")
            return job
    if not (folder / hq.FILE).is_file():
        job.refused = no_hq()
        return job
    job.files = [(r, folder / r.file) for r in FILES_IN_ORDER if (folder / r.file).is_file()]
    for _, reader, flag, system in _OPTIONAL:
        # an export of a system the registry says the practice does not use: its clients were promoted with the HQ-only
        # practice's keep_hq, no step one asked for (found by feeding the readers a stranger's data, session 28)
        if practice.get(flag) is False and (folder / reader.file).is_file():
            job.refused = BadInput(reader.file, None, f"present, but {REGISTRY_FILE} says the practice does not use {system} "
                                   f"({flag} false): correct the registry or remove the file")  # fmt: skip
            return job
    for reader, path in job.files:
        # a link out of the zone would be read, and its first line quoted in a stored message ("unknown column ...")
        if not path.resolve().is_relative_to(landing):
            job.refused = BadInput(reader.file, None, "a link to a file outside the landing zone: refused unread")
            return job
    return job


def read_batch_of(landing: Path, practices: list[dict], key: HashKey) -> tuple[Frames, dict[str, BadInput]]:
    """Practices (dicts with practice_id and region, each id once) as Frames of the good ones in the given order,
    and practice_id -> BadInput of each bad one: what reading it alone would raise."""
    ids = [p["practice_id"] for p in practices]
    if len(set(map(repr, ids))) != len(ids):
        raise ValueError("a batch names a practice more than once")
    root = Path(landing).resolve()
    frames, bad = read_batch([_job(root, p) for p in practices], key)
    return frames, {ids[i]: exc for i, exc in sorted(bad.items())}


def read_practices(landing: Path, practices: pl.DataFrame, key: HashKey) -> tuple[Frames, dict[str, str]]:
    """Registry rows (practice_id, region) read at once: the Frames of the good practices (practice_id in every
    row, secrets hashed with `key`, practices in the given order) and practice_id -> BadInput text of the bad ones,
    each exactly what `read_practice` would raise for it alone."""
    frames, bad = read_batch_of(landing, practices.to_dicts(), key)
    return frames, {pid: str(exc) for pid, exc in bad.items()}


def read_practice(landing: Path, practice: dict, key: HashKey) -> Frames:
    """All of one practice's files as Frames (practice_id in every row), secrets hashed with `key`; BadInput on bad input."""
    frames, bad = read_batch_of(landing, [practice], key)
    if bad:
        raise next(iter(bad.values()))
    return frames
