"""One practice's landing folder: every file present read into staging frames; absent files are empty."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from landing import hq, sync, tax, xpm
from landing.errors import BadInput
from landing.frames import Frames
from landing.idents import finish
from landing.registry import FILE as REGISTRY_FILE
from landing.registry import ID_PATTERN
from landing.secrets import HashKey

T = TypeVar("T")


def _read(path: Path, reader: Callable[..., T], *args: object) -> T:
    try:
        return reader(path, *args)
    except OSError as exc:  # unreadable file: still bad input of that practice, not a crash of the run
        raise BadInput(path.name, None, f"cannot read: {exc.strerror or exc}") from None


def read_practice(landing: Path, practice: dict, key: HashKey) -> Frames:
    """All of one practice's files as Frames (practice_id in every row), secrets hashed with `key`; BadInput on bad input."""
    pid = practice["practice_id"]
    if not isinstance(pid, str) or not ID_PATTERN.fullmatch(pid):  # never a path outside the zone
        raise BadInput(REGISTRY_FILE, f"practice_id={pid!r}", "not a valid practice id")
    folder = Path(landing) / pid
    if not (folder / hq.FILE).is_file():
        raise BadInput(hq.FILE, None, "missing: every practice in practices.json has Xero HQ")
    parts = [_read(folder / hq.FILE, hq.parse_hq, pid)]
    if (folder / xpm.FILE).is_file():
        parts.append(_read(folder / xpm.FILE, xpm.parse_xpm, pid))
    if (folder / tax.FILE).is_file():
        parts.append(_read(folder / tax.FILE, tax.parse_tax, pid))
    frames = finish(parts, pid, practice.get("region"), key)
    if (folder / sync.FILE).is_file():
        frames = frames.with_(sync_link=_read(folder / sync.FILE, sync.read_sync, pid))
    return frames
