"""One chunk's journey, computed without touching the warehouse: extract, match, survive, gate.

Runs inside a task (a thread or a Dask worker); it only reads the landing zone and returns
frames. The flow process is the warehouse's only writer.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from flows import faults
from flows.timing import Stopwatch
from landing import BadInput, Frames, HashKey, read_practice, read_practices
from landing.errors import described, unexpected
from landing.fingerprint import fingerprints
from landing.practice import emptied_exports
from transforms.status_rules import auto_consolidates, effective_strategy, step_one

log = logging.getLogger("scr.journey")


@dataclass
class ChunkResult:
    practice_ids: list[str]
    frames: Frames
    failed: dict[str, str] = field(default_factory=dict)
    match: object | None = None  # transforms.matching.MatchResult
    unified: object | None = None  # transforms.survivorship.Unified
    gate: object | None = None  # quality.gate.GateResult
    status: pl.DataFrame | None = None  # practice_id, status, detail
    stats: pl.DataFrame | None = None  # practice_id, records, clusters, auto_links, review_links, unified_clients
    extracts: pl.DataFrame | None = None  # practice_id, fingerprint, ok, detail: what reading found
    content: dict[str, str] | None = None  # practice -> content hash of its unified tables (warehouse.promote.content_of)
    timings: dict[str, float] = field(default_factory=dict)  # seconds per stage in this chunk

    def release(self) -> None:
        """Let go of the chunk's frames once it is written, keeping its stats and timings.

        The task runner's future keeps this object in a reference cycle (Prefect's future registers one of
        its own methods as a done-callback of the thread pool's future, which holds the task's state and
        this result), so dropping the future does not free it: only a full run of the cycle collector does,
        and with the run's imports alive that comes rarely. Without this, written chunks' frames pile up.
        """
        self.frames = None  # type: ignore[assignment] - written: nothing reads a released result
        self.match = self.unified = self.gate = None
        self.status = self.extracts = self.content = None


class SampleMatch:
    """The match model's sample as its fit compared it, matched once (on first use) for the chunks that take its
    practices' kept frames: those practices are not standardised, blocked and compared a second time.

    A model scores each practice alone, so a practice's links and clusters are the same whether it is matched
    with its sample or with its chunk (tests/flows/test_journey.py holds a wave to that).
    """

    def __init__(self, compared: object, practice_ids: list[str]) -> None:
        self._compared = compared  # transforms.matching.Compared
        self.practice_ids = practice_ids  # the sample's practices this comparison holds
        self._result = None
        self._lock = threading.Lock()

    def result(self, params: dict, clock: Stopwatch | None = None):
        """The sample's MatchResult with the run's model and thresholds (computed by the first chunk that asks)."""
        from transforms.matching import match_compared
        from transforms.model import Model

        with self._lock:
            if self._result is None:
                compared, self._compared = self._compared, None  # matched once; the comparison is let go either way
                if compared is None:
                    raise RuntimeError("the model sample's earlier matching failed")
                self._result = match_compared(
                    compared, Model.from_dict(params["model"]), auto_threshold=params["auto_threshold"],
                    review_threshold=params["review_threshold"], stage=(clock or Stopwatch()).stage,
                )  # fmt: skip
            return self._result


@dataclass
class Taken:
    """Frames already read for some practices, with the fingerprints taken before they were read (and, for the
    match model's sample, its comparison: `SampleMatch`)."""

    frames: Frames
    prints: pl.DataFrame  # practice_id, fingerprint
    sample: SampleMatch | None = None


@dataclass
class _Promise:
    """Frames of some practices, being read (`ready` unset) or read (`taken`, None when the read failed)."""

    regions: dict[str, object]  # practice_id -> region, the practices not given out yet
    ready: threading.Event = field(default_factory=threading.Event)
    taken: Taken | None = None


class Kept:
    """Frames this process has read already, kept for one run so that no practice is read twice: the match
    model's sample is read to fit the model, and its chunks take those frames instead of the files; while the
    model is fitted, the first chunks' other practices are read ahead (`read_ahead`).

    In-process only (a wave keeps them when its chunks run in its own threads). Each practice's frames are
    given out once, to a chunk that reads it as the same region (all that reading takes from the registry);
    any other chunk reads the files. A chunk whose practices are still being read ahead waits for them rather
    than read them twice. `forget` drops what a run kept.
    """

    _lock = threading.Lock()
    _runs: dict[str, list[_Promise]] = {}
    _read: dict[str, threading.Event] = {}
    WAIT_SECONDS = 900.0  # a chunk waits this long for a read ahead of its practices, then reads them itself

    @classmethod
    def keep(cls, token: str, taken: Taken, practices: pl.DataFrame) -> None:
        cls.fulfil(cls.promise(token, practices), taken)

    @classmethod
    def promise(cls, token: str, practices: pl.DataFrame) -> _Promise:
        """These practices' frames are on their way: a chunk that takes one of them waits for `fulfil`."""
        promised = _Promise(_regions(practices))
        with cls._lock:
            cls._runs.setdefault(token, []).append(promised)
        return promised

    @classmethod
    def fulfil(cls, promised: _Promise, taken: Taken | None) -> None:
        """The frames promised (only the practices `taken.prints` holds), or None: the chunks read them."""
        with cls._lock:
            promised.taken = taken
            have = set() if taken is None else set(taken.prints["practice_id"].to_list())
            for pid in [p for p in promised.regions if p not in have]:
                del promised.regions[pid]
        promised.ready.set()

    @classmethod
    def take(cls, token: str | None, practices: pl.DataFrame) -> Taken | None:
        """What was kept of these practices (each given out once), or None."""
        if token is None:
            return None
        wanted = _regions(practices)

        def mine(promised: _Promise) -> list[str]:
            return [pid for pid, region in wanted.items() if pid in promised.regions and promised.regions[pid] == region]

        with cls._lock:
            coming = [p for p in cls._runs.get(token, []) if mine(p)]
        for promised in coming:
            promised.ready.wait(cls.WAIT_SECONDS)
        parts = []
        with cls._lock:
            for promised in coming:
                ids = mine(promised) if promised.ready.is_set() and promised.taken is not None else []
                for pid in ids:
                    del promised.regions[pid]
                if ids:
                    parts.append(_only(promised.taken, ids))
            left = [p for p in cls._runs.get(token, []) if p.regions]
            if left:
                cls._runs[token] = left
            else:
                cls._runs.pop(token, None)
        if not parts:
            return None
        sample = next((t.sample for t in parts if t.sample is not None), None)
        return Taken(Frames.concat([t.frames for t in parts]), pl.concat([t.prints for t in parts]), sample)

    @classmethod
    def sample_read(cls, token: str) -> threading.Event:
        """Set once the run's model sample is read."""
        with cls._lock:
            return cls._read.setdefault(token, threading.Event())

    @classmethod
    def forget(cls, token: str) -> None:
        with cls._lock:
            cls._runs.pop(token, None)
            cls._read.pop(token, None)

    @classmethod
    @contextmanager
    def held(cls, token: str) -> Iterator[str]:
        """For the duration of a run: whatever it kept and did not give out is dropped at the end."""
        try:
            yield token
        finally:
            cls.forget(token)


def read_ahead(landing: Path, parts: list[pl.DataFrame], key: HashKey, token: str, stop: threading.Event) -> None:
    """Read these chunks' practices for them while the model is fitted, from when its sample is read
    (`Kept.sample_read`): the fit leaves a core idle, and reading needs no model. Each part is promised at once
    (`Kept`), so its chunk waits for it rather than read it too. Once `stop` is set (the model is fitted, or its
    fit failed) no further part is started: their chunks, running by then, read them. Bad input is left to the
    chunk, which reads that practice again and reports it, as it reports any other."""
    promised = [(part, Kept.promise(token, part)) for part in parts if not part.is_empty()]
    started = Kept.sample_read(token)
    while not (started.wait(0.1) or stop.is_set()):
        pass
    for part, promise in promised:
        taken = None
        if not stop.is_set():
            try:
                prints = fingerprints(landing, part["practice_id"].to_list())  # before reading, as a chunk takes it
                frames, bad = read_practices(landing, part, key)
                taken = Taken(frames, prints.filter(~pl.col("practice_id").is_in(list(bad))))
            except Exception as exc:  # noqa: BLE001 - the chunk reads these practices itself and says what it finds
                log.warning("reading ahead failed (%s); the chunk reads its practices itself", described(exc))
        Kept.fulfil(promise, taken)


def _regions(practices: pl.DataFrame) -> dict[str, object]:
    """practice_id -> region, as reading sees them (one entry per practice, not per record)."""
    regions = practices["region"].to_list() if "region" in practices.columns else [None] * practices.height
    return dict(zip(practices["practice_id"].to_list(), regions))


def _only(taken: Taken, practice_ids: list[str]) -> Taken:
    ids = pl.Series(practice_ids, dtype=pl.String).implode()
    return Taken(taken.frames.of_practices(practice_ids), taken.prints.filter(pl.col("practice_id").is_in(ids)), taken.sample)


def _in_order(frames: Frames, order: list[str]) -> Frames:
    """Each table's rows in the practices' order (a practice's own rows keep theirs), as one batch read gives them."""
    rank = pl.DataFrame({"practice_id": order, "_rank": range(len(order))}, schema={"practice_id": pl.String, "_rank": pl.Int64})
    return Frames(**{
        n: getattr(frames, n).join(rank, on="practice_id", how="left", maintain_order="left")
        .sort("_rank", maintain_order=True).drop("_rank")
        for n in Frames.names()
    })  # fmt: skip


def extract(
    landing: Path, practices: pl.DataFrame, key: HashKey, quiet: bool = False, taken: Taken | None = None
) -> tuple[Frames, dict[str, str]]:
    """Read the practices' files as one batch; bad input fails that practice alone, with the file and record.

    Practices in `taken` (frames read earlier in this process, `Kept`) are not read again."""
    failed: dict[str, str] = {}
    for pid in practices.get_column("practice_id").to_list():  # one fault point per practice, as before batching
        try:
            faults.point("extract:practice")
        except Exception as exc:  # noqa: BLE001 - an injected fault fails its practice, like an unexpected error
            failed[pid] = unexpected("extract", exc)
            log.error("practice %s: %s", pid, failed[pid])
    batch = practices.filter(~pl.col("practice_id").is_in(list(failed)))
    if taken is not None:
        taken = _only(taken, batch.join(taken.prints, on="practice_id", how="semi")["practice_id"].to_list())
        batch = batch.join(taken.prints, on="practice_id", how="anti")
    try:
        frames, bad = read_practices(landing, batch, key)
    except Exception as exc:  # noqa: BLE001 - an unexpected error in the batch: find its practice by reading one by one
        log.warning("extract: batch read failed (%s); reading practice by practice", described(exc))
        frames, bad = _one_by_one(landing, batch, key)
    if taken is not None and taken.prints.height:
        frames = _in_order(Frames.concat([taken.frames, frames]), practices.get_column("practice_id").to_list())
    for pid, text in bad.items():
        failed[pid] = text
        if not quiet and not text.startswith("extract: unexpected error"):
            log.warning("practice %s: extract: bad input: %s", pid, text)
    order = practices.get_column("practice_id").to_list()
    return frames, {pid: failed[pid] for pid in order if pid in failed}


def _one_by_one(landing: Path, practices: pl.DataFrame, key: HashKey) -> tuple[Frames, dict[str, str]]:
    parts, failed = [], {}
    for row in practices.iter_rows(named=True):  # one iteration per practice (file I/O), not per record
        pid = row["practice_id"]
        try:
            parts.append(read_practice(landing, row, key))
        except BadInput as exc:
            failed[pid] = str(exc)
        except Exception as exc:  # noqa: BLE001 - an unexpected error fails its practice, not the wave
            # an unexpected error's text may quote a value from the files: stored and logged as its kind and place
            failed[pid] = unexpected("extract", exc)
            log.error("practice %s: %s", pid, failed[pid])
    return Frames.concat(parts) if parts else Frames.empty(), failed


def model_sample_of(landing: Path, registry: pl.DataFrame, problems: dict[str, str]) -> pl.DataFrame:
    """The practices a fresh model is fitted on: step one done, no registry problem, chosen by
    transforms.planning.model_sample from their ids and file sizes (the same sample on every machine)."""
    from flows.settings import get_settings
    from landing.sizes import practice_sizes
    from transforms.planning import model_sample

    s = get_settings()
    ready = step_one(registry).filter(pl.col("status").is_null()).select("practice_id")
    eligible = registry.join(ready, on="practice_id", how="semi").filter(~pl.col("practice_id").is_in(list(problems)))
    sizes = practice_sizes(Path(landing), eligible["practice_id"].to_list())
    return model_sample(eligible, sizes, s.model_sample_practices, s.model_sample_practice_records)


def fit(landing: str, practices: pl.DataFrame, key: HashKey, decisions: pl.DataFrame | None, keep: str | None = None) -> dict:
    """Fit the match model on these practices (bad ones are skipped); returns it as a JSON-safe dict.

    With `keep` (a run's token), the good practices' frames stay in this process for their chunks (`Kept`), and
    once they are read, reading ahead for the chunks starts (`Kept.sample_read`, `read_ahead`)."""
    from transforms.matching import fit_compared

    prints = fingerprints(Path(landing), practices["practice_id"].to_list()) if keep else None
    frames, failed = extract(Path(landing), practices, key, quiet=True)  # the chunk reports bad input
    if keep:
        Kept.sample_read(keep).set()  # reading ahead for the chunks may use the pool while the model is fitted
    model, compared = fit_compared(frames, practices, decisions)
    if keep:
        good = practices.filter(~pl.col("practice_id").is_in(list(failed)))
        sample = SampleMatch(compared, good["practice_id"].to_list())
        Kept.keep(keep, Taken(frames, prints.join(good, on="practice_id", how="semi"), sample), good)
    return model.to_dict()


def _match(frames: Frames, practices: pl.DataFrame, decisions: pl.DataFrame | None, params: dict, clock: Stopwatch | None = None):
    from transforms.matching import match
    from transforms.model import Model

    model = params.get("model")
    return match(
        frames.of_practices(practices["practice_id"].to_list()),
        practices,
        decisions,
        auto_threshold=params["auto_threshold"],
        review_threshold=params["review_threshold"],
        # one stored model for every chunk, so a practice's merges do not depend on its chunk
        model=Model.from_dict(model) if model else None,
        stage=(clock or Stopwatch()).stage,
    )


def match_isolated(frames, practices, decisions, params, failed: dict[str, str], clock: Stopwatch | None = None):
    """Match the chunk in one vectorised pass; if that raises, retry practice by practice so one fails alone.

    `clock` gets the matcher's steps (match.standardise, .candidates, .compare, .score, .cluster)."""
    try:
        return _match(frames, practices, decisions, params, clock)
    except Exception as exc:  # noqa: BLE001
        # no traceback: an error's text can quote a record's values (its kind and place only)
        log.warning("chunk match failed (%s); isolating the failing practice", described(exc))
    results = []
    for pid in practices["practice_id"].to_list():
        one = practices.filter(pl.col("practice_id") == pid)
        try:
            results.append(_match(frames, one, decisions, params, clock))
        except Exception as exc:  # noqa: BLE001
            failed[pid] = unexpected("match", exc)
            log.error("practice %s: %s", pid, failed[pid])
    if not results:
        return None
    from transforms.matching import MatchResult

    return MatchResult(
        links=pl.concat([r.links for r in results], how="vertical_relaxed"),
        crosswalk=pl.concat([r.crosswalk for r in results], how="vertical_relaxed"),
        suspect_links=pl.concat([r.suspect_links for r in results], how="vertical_relaxed"),
    )


def _concat_matches(results: list, order: list[str]):
    """One MatchResult of several, each table's rows in the practices' order (a practice's own rows keep theirs)."""
    from transforms.matching import MatchResult

    rank = pl.DataFrame({"practice_id": order, "_rank": range(len(order))}, schema={"practice_id": pl.String, "_rank": pl.Int64})

    def part(name: str) -> pl.DataFrame:
        rows = pl.concat([getattr(r, name) for r in results], how="vertical_relaxed")
        return rows.join(rank, on="practice_id", how="left", maintain_order="left").sort("_rank", maintain_order=True).drop("_rank")

    return MatchResult(links=part("links"), crosswalk=part("crosswalk"), suspect_links=part("suspect_links"))


def _match_chunk(frames, ready: pl.DataFrame, decisions, params: dict, failed: dict[str, str], clock: Stopwatch, taken: Taken | None):
    """match_isolated, except that practices whose kept frames came with the model sample's comparison take their
    part of the sample's own matching (`SampleMatch`) instead of being compared again."""
    if taken is None or taken.sample is None or params.get("model") is None:
        return match_isolated(frames, ready, decisions, params, failed, clock)
    # the practices of the sample (frames read ahead for the chunk are matched as any others)
    mine = ready.join(taken.prints, on="practice_id", how="semi").filter(pl.col("practice_id").is_in(taken.sample.practice_ids))
    if mine.is_empty():
        return match_isolated(frames, ready, decisions, params, failed, clock)
    try:
        whole = taken.sample.result(params, clock)
    except Exception as exc:  # noqa: BLE001 - the chunk matches those practices itself, isolating a failing one
        log.warning("the model sample's matching failed (%s); matching its practices again", described(exc))
        return match_isolated(frames, ready, decisions, params, failed, clock)
    ids = mine["practice_id"].implode()
    parts = [_only_practices(whole, ids)]
    rest = ready.join(mine, on="practice_id", how="anti")
    if not rest.is_empty():
        other = match_isolated(frames, rest, decisions, params, failed, clock)
        if other is not None:
            parts.append(other)
    return _concat_matches(parts, ready["practice_id"].to_list())


def _only_practices(result, ids: pl.Series):
    from transforms.matching import MatchResult

    keep = pl.col("practice_id").is_in(ids)
    return MatchResult(
        links=result.links.filter(keep), crosswalk=result.crosswalk.filter(keep), suspect_links=result.suspect_links.filter(keep),
        auto_threshold=result.auto_threshold,
    )  # fmt: skip


def run_chunk(landing: str, practices: pl.DataFrame, key: HashKey, decisions: pl.DataFrame | None, params: dict) -> ChunkResult:
    """The journey for one chunk of practices: every stage vectorised over the whole chunk."""
    clock = Stopwatch()
    with clock.stage("read"):
        # the fingerprint is taken before reading: if a file changes while it is read, the next run reads it again
        prints = fingerprints(Path(landing), practices["practice_id"].to_list())
        taken = Kept.take(params.get("kept"), practices)
        frames, failed = extract(Path(landing), practices, key, taken=taken)
        if taken is not None:  # frames kept from the model's fit: the fingerprint taken before that read
            prints = prints.update(taken.prints, on="practice_id")
        emptied = emptied_exports(practices.filter(~pl.col("practice_id").is_in(list(failed))), params.get("held"), frames.client)
        if emptied:
            for pid, text in emptied.items():
                log.warning("practice %s: extract: bad input: %s", pid, text)
            failed = {pid: failed.get(pid) or emptied[pid] for pid in practices["practice_id"].to_list() if pid in failed or pid in emptied}
            frames = frames.of_practices(list(emptied), keep=False)
    result = ChunkResult(practice_ids=practices["practice_id"].to_list(), frames=frames, failed=failed)
    good = practices.filter(~pl.col("practice_id").is_in(list(failed)))
    base = step_one(good)
    ready = good.join(base.filter(pl.col("status").is_null()).select("practice_id"), on="practice_id", how="semi")
    statuses = [base.filter(pl.col("status").is_not_null())]

    counts = frames.client.group_by("practice_id", "source").agg(pl.len().cast(pl.Int64).alias("n"))
    if not good.is_empty():
        # every practice read is matched (proposed_crosswalk holds every record that got past extraction, as the
        # interface promises): one whose step one is not done gets proposals a person may review early, and
        # nothing is consolidated or promoted for it until its Master Admin confirms
        with clock.stage("match"):
            result.match = _match_chunk(frames, good, decisions, params, failed, clock, taken)
        ready = ready.filter(~pl.col("practice_id").is_in(list(failed)))
    if result.match is not None and not ready.is_empty():
        auto = auto_consolidates(ready, counts, params["small_practice_max"])
        strategies = effective_strategy(ready, auto)
        pending = review_load(result.match.links)
        chosen = strategies.filter(pl.col("strategy").is_not_null())
        waiting = strategies.filter(pl.col("strategy").is_null()).join(pending, on="practice_id", how="left")
        statuses.append(
            waiting.select(
                "practice_id",
                pl.lit("in_review").alias("status"),
                pl.concat_str(pl.lit("strategy not chosen yet (keep_xpm, keep_hq or combine)"), _awaiting(pl.col("review_links"))).alias("detail"),
            )
        )
        if not chosen.is_empty():
            statuses.append(consolidate(result, chosen, pending=pending, clock=clock))
        # a practice whose files hold no client has nothing to consolidate: it stayed `coming_soon` for ever, its
        # next step a strategy (found by feeding the readers a stranger's data, session 28)
        said = pl.concat([s.select("practice_id") for s in statuses], how="vertical_relaxed")
        empty = ready.join(counts.select("practice_id").unique(), on="practice_id", how="anti").join(said, on="practice_id", how="anti")
        statuses.append(empty.select("practice_id", status=pl.lit("complete"), detail=pl.lit("its files hold no clients: nothing to consolidate")))
    result.status = pl.concat(statuses + [failed_status(failed)], how="vertical_relaxed")
    result.stats = chunk_stats(result)
    result.extracts = prints.with_columns(
        ok=~pl.col("practice_id").is_in(list(failed)),
        detail=pl.col("practice_id").replace_strict(failed, default=None, return_dtype=pl.String),
    )
    result.timings = clock.seconds
    faults.point("chunk:computed")
    return result


def review_load(links: pl.DataFrame) -> pl.DataFrame:
    """practice_id, review_links: links that await a person."""
    return links.filter(pl.col("decision") == "review").group_by("practice_id").agg(pl.len().alias("review_links"))


def consolidate(result: ChunkResult, strategies: pl.DataFrame, pending: pl.DataFrame, clock: Stopwatch | None = None) -> pl.DataFrame:
    """Survivorship and the quality gate for practices whose strategy is known; returns their statuses."""
    from quality.gate import run_gate
    from transforms.survivorship import survive

    ids = strategies["practice_id"].implode()
    crosswalk = result.match.crosswalk.filter(pl.col("practice_id").is_in(ids))
    clock = clock or Stopwatch()
    with clock.stage("survive"):
        result.unified = survive(result.frames, crosswalk, strategies)
    with clock.stage("gate"):
        result.gate = run_gate(result.unified, result.frames)
    if result.gate.passed:
        from flows.commit import unified_tables
        from warehouse.promote import content_of

        # what promotion compares with the current version, hashed here rather than inside the writer's transaction:
        # the single writer is what limits a wave whose chunks run on more cores (Dask workers)
        with clock.stage("content"):
            passed = pl.Series(sorted(result.gate.passed)).implode()
            result.content = content_of({t: f.filter(pl.col("practice_id").is_in(passed)) for t, f in unified_tables(result.unified).items()})
    blocked = pl.DataFrame(
        {"practice_id": list(result.gate.blocked), "detail": list(result.gate.blocked.values())},
        schema={"practice_id": pl.String, "detail": pl.String},
    )
    passed = strategies.filter(pl.col("practice_id").is_in(result.gate.passed)).join(pending, on="practice_id", how="left")
    # a link that awaits a person keeps the practice in review, even where auto merges were promoted
    waits = pl.col("review_links").fill_null(0) > 0
    return pl.concat(
        [
            blocked.select("practice_id", pl.lit("blocked").alias("status"), "detail"),
            passed.select(
                "practice_id",
                pl.when(waits).then(pl.lit("in_review")).otherwise(pl.lit("complete")).alias("status"),
                pl.concat_str(pl.format("promoted ({})", pl.col("strategy")), _awaiting(pl.col("review_links"))).alias("detail"),
            ),
        ],
        how="vertical_relaxed",
    )


def _awaiting(n: pl.Expr) -> pl.Expr:
    """'; 1 link awaits review', '; 3 links await review', nothing when none does (as flows.operations.review_detail)."""
    n = n.fill_null(0)
    return pl.when(n == 0).then(pl.lit("")).when(n == 1).then(pl.lit("; 1 link awaits review")).otherwise(pl.format("; {} links await review", n))


def failed_status(failed: dict[str, str]) -> pl.DataFrame:
    return pl.DataFrame(
        {"practice_id": list(failed), "status": ["failed"] * len(failed), "detail": list(failed.values())},
        schema={"practice_id": pl.String, "status": pl.String, "detail": pl.String},
    )


def chunk_stats(result: ChunkResult) -> pl.DataFrame:
    """Per practice: records staged, unified clients proposed (clusters: a proposal awaiting review counts as merged),
    unified clients promoted (unified_clients: the gate passed them; a record awaiting review is a client of its
    own until a person accepts the link; NULL where none were), auto and review links."""
    records = result.frames.client.group_by("practice_id").agg(pl.len().alias("records"))
    if result.match is None:
        return records.with_columns(
            pl.lit(None, pl.UInt32).alias("clusters"), pl.lit(0, pl.UInt32).alias("auto_links"), pl.lit(0, pl.UInt32).alias("review_links"),
            pl.lit(None, pl.UInt32).alias("unified_clients"),
        )  # fmt: skip
    promoted = pl.DataFrame(schema={"practice_id": pl.String, "unified_clients": pl.UInt32})
    if result.unified is not None and result.gate is not None and result.gate.passed:
        passed = pl.Series(result.gate.passed, dtype=pl.String).implode()
        promoted = (
            result.unified.client.filter(pl.col("practice_id").is_in(passed)).group_by("practice_id")
            .agg(pl.len().alias("unified_clients"))
        )  # fmt: skip
    cw = result.match.crosswalk.group_by("practice_id").agg(pl.col("unified_client_id").n_unique().alias("clusters"))
    links = result.match.links.group_by("practice_id").agg(
        (pl.col("decision") == "auto").sum().alias("auto_links"),
        (pl.col("decision") == "review").sum().alias("review_links"),
    )
    return (
        records.join(cw, on="practice_id", how="left")
        .join(links, on="practice_id", how="left")
        .join(promoted, on="practice_id", how="left")
        .with_columns(pl.col("auto_links", "review_links").fill_null(0))
        .sort("practice_id")
    )
