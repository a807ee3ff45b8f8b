"""Reading many practices at once: each file parsed on its own into raw column lists (cheap Python, one pass;
a large batch's files in the parse pool, landing.pool), then typing, checks, identifiers, keyed hashes and
free-text protection run once over the whole batch, in the calling process.

Why: each typing or hashing step costs about the same on five records as on five thousand, and a million
records come in thousands of practices; done per batch rather than per practice, that cost is paid once per
chunk of practices, and the cost per record no longer depends on how small the practices are.

A practice's result does not depend on the batch it is read in: every check is per practice, and a practice
fails with the bad input it would have met first read alone (files in reading order, then each file's checks
in order; landing.errors.Failures), and only that practice fails.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import polars as pl

from landing import pool, schema
from landing.errors import BadInput, Failures
from landing.frames import Frames
from landing.idents import Parsed, finish, long_ids, stack
from landing.secrets import HashKey
from landing.idtokens import tokenised
from landing.values import PRACTICE, raw_frame, type_tables

__all__ = ["Reader", "Job", "read_batch", "read_file", "parse_file", "type_client_file"]


@dataclass(frozen=True)
class Reader:
    """One kind of landing file: its name, its place in reading order, its parser and its batch typing."""

    file: str
    rank: int
    parse: Callable[[Path, str], dict[str, dict[str, list]]]  # path, practice_id -> table -> column lists
    typed: Callable[[dict[str, pl.DataFrame], Failures], dict[str, pl.DataFrame]]  # raw tables -> typed tables


def type_client_file(raw: dict[str, pl.DataFrame], failures: Failures, spec, source: str, file: str, rank: int) -> dict[str, pl.DataFrame]:
    """A batch's parsed client file (XPM's, HQ's) typed: its tables in `spec` order (table, shape, field names), clients
    marked with their file, identifiers ("ids") left raw for `finish`; a practice with a bad value is noted in `failures`."""
    out = type_tables(raw, spec, source, file, rank, failures)
    out["client"] = out["client"].with_columns(source_file=pl.lit(file))
    out["ids"] = long_ids(raw["ids"], source)
    return out


@dataclass
class Job:
    """One practice of a batch: its files in reading order, or the bad input that stops it before any file."""

    practice_id: str
    region: str | None
    files: list[tuple[Reader, Path]] = field(default_factory=list)
    refused: BadInput | None = None


class _Gathered:
    """One kind of file's raw tables across a batch: column lists concatenated, rows counted per practice."""

    def __init__(self) -> None:
        self.columns: dict[str, dict[str, list]] = {}
        self.rows: dict[str, tuple[list[int], list[int]]] = {}  # table -> (practice numbers, row counts)

    def add(self, p: int, tables: dict[str, dict[str, list]]) -> None:
        for name, cols in tables.items():
            into = self.columns.setdefault(name, {c: [] for c in cols})
            for c, values in cols.items():
                into[c].extend(values)
            practices, counts = self.rows.setdefault(name, ([], []))
            practices.append(p)
            counts.append(len(next(iter(cols.values()))) if cols else 0)

    def frames(self) -> dict[str, pl.DataFrame]:
        out = {}
        for name, cols in self.columns.items():
            practices, counts = self.rows[name]
            p = pl.Series(PRACTICE, np.repeat(np.asarray(practices, dtype=np.int64), counts))
            out[name] = raw_frame(cols).with_columns(p)
        return out


def _parse(reader: Reader, path: Path, practice_id: str) -> dict[str, dict[str, list]]:
    try:
        return reader.parse(path, practice_id)
    except OSError as exc:  # unreadable file: still bad input of that practice, not a crash of the run
        raise BadInput(path.name, None, f"cannot read: {exc.strerror or exc}") from None


Gathered = tuple[dict[Reader, dict[str, pl.DataFrame]], list[tuple[int, tuple, BadInput]]]


def _gather(jobs: list[tuple[int, Job]]) -> Gathered:
    """The numbered jobs' files parsed (in whichever process runs this): each kind of file's raw tables, with
    PRACTICE, and each bad input met as (practice number, stage, BadInput). Needs no key."""
    gathered: dict[Reader, _Gathered] = {}
    errors = []
    for p, job in jobs:  # one iteration per practice: its files, parsed in reading order
        if job.refused is not None:
            errors.append((p, (0,), job.refused))
            continue
        for reader, path in job.files:
            try:
                tables = _parse(reader, path, job.practice_id)
            except BadInput as exc:
                errors.append((p, (reader.rank, 0), exc))
                break  # files after the first unreadable one are never reached when the practice is read alone
            gathered.setdefault(reader, _Gathered()).add(p, tables)
    return {reader: g.frames() for reader, g in gathered.items()}, errors


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _groups(numbered: list[tuple[int, Job]], sizes: list[int], count: int) -> list[list[tuple[int, Job]]]:
    """Consecutive groups of jobs of about equal bytes (consecutive: results concatenate in practice order)."""
    target = sum(sizes) / max(1, count)
    groups: list[list[tuple[int, Job]]] = [[]]
    held = 0
    for item, size in zip(numbered, sizes):
        if held >= target and len(groups) < count:
            groups.append([])
            held = 0
        groups[-1].append(item)
        held += size
    return groups


def _typed(jobs: list[Job], failures: Failures) -> dict[Reader, dict[str, pl.DataFrame]]:
    """Every job's files parsed (a large batch in the parse pool), then each kind of file typed once for the
    batch; bad input noted per practice."""
    numbered = list(enumerate(jobs))
    results = None
    if pool.processes():
        sizes = [sum(_size(path) for _, path in job.files) for job in jobs]  # one stat per file
        if sum(sizes) >= pool.MIN_BYTES:
            results = pool.run(_gather, _groups(numbered, sizes, 2 * pool.processes()))
    if results is None:
        results = [_gather(numbered)]
    merged: dict[Reader, dict[str, list[pl.DataFrame]]] = {}
    for tables, errors in results:  # groups in practice order
        for p, stage, exc in errors:
            failures.add(p, stage, exc)
        for reader, frames in tables.items():
            for name, frame in frames.items():
                merged.setdefault(reader, {}).setdefault(name, []).append(frame)
    ids = pl.Series("practice_id", [j.practice_id if isinstance(j.practice_id, str) else None for j in jobs], dtype=pl.String)
    typed = {}
    for reader in sorted(merged, key=lambda r: r.rank):
        raw = {}
        for name, frames in merged[reader].items():
            frame = pl.concat(frames) if len(frames) > 1 else frames[0]
            raw[name] = frame.with_columns(ids.gather(frame.get_column(PRACTICE)))
        typed[reader] = reader.typed(raw, failures)
    return typed


def read_batch(jobs: list[Job], key: HashKey) -> tuple[Frames, dict[int, BadInput]]:
    """The jobs' files as staging Frames of the good practices (in job order), and job number -> BadInput of the
    bad ones, each the bad input its practice read alone would meet first."""
    failures = Failures()
    typed = _typed(jobs, failures)
    bad = failures.errors()

    def good(frame: pl.DataFrame) -> pl.DataFrame:
        return frame.filter(~pl.col(PRACTICE).is_in(sorted(bad))) if bad else frame

    parts = [{n: good(f) for n, f in tables.items()} for tables in typed.values()]
    regions = pl.DataFrame({PRACTICE: list(range(len(jobs))), "region": [j.region for j in jobs]},
                           schema={PRACTICE: pl.Int64, "region": pl.String})  # fmt: skip
    tables = finish(parts, regions, key)
    tables["sync_link"] = stack([p["sync_link"] for p in parts if "sync_link" in p], schema.SYNC_LINK)
    # an id that holds a tax number (in a UK practice, a UTR too), wherever it is named
    tables = tokenised(tables, key, {j.practice_id: j.region for j in jobs if isinstance(j.practice_id, str)})
    return Frames(**{n: tables[n].select(schema.STAGING[n].names()).cast(schema.STAGING[n]) for n in Frames.names()}), bad


def read_file(reader: Reader, path: Path, practice_id: str, region: str | None, key: HashKey) -> Frames:
    """One practice's one file as staging Frames (secrets hashed); BadInput on bad input."""
    frames, bad = read_batch([Job(practice_id, region, [(reader, Path(path))])], key)
    if bad:
        raise bad[0]
    return frames


def parse_file(reader: Reader, path: Path, practice_id: str) -> Parsed:
    """One practice's one file parsed and typed, identifiers left raw, lineage digests unkeyed; BadInput on bad input."""
    failures = Failures()
    typed = _typed([Job(practice_id, None, [(reader, Path(path))])], failures)
    if 0 in failures:
        raise failures.errors()[0]
    tables = {n: f.drop(PRACTICE) for n, f in typed.get(reader, {}).items()}
    ids = tables.pop("ids", pl.DataFrame(schema={"source": pl.String, "source_client_id": pl.String,
                                                 "id_type": pl.String, "value": pl.String}))  # fmt: skip
    return Parsed(Frames.empty().with_(**tables), ids.drop("practice_id", strict=False))
