"""generate_zone: build the zone in memory, write the landing files, the defects and the ground truth."""

from __future__ import annotations

import json
import random
import shutil
from collections import Counter
from pathlib import Path

from synthetic import defects, writers
from synthetic.build import PracticeData, Zone, build_practice, build_zone
from synthetic.geco import draw_profile

__all__ = ["generate_zone", "build_zone", "plan_defects"]

FILES = {"xpm": "xpm_clients.xml", "hq": "hq_clients.json", "tax": "tax_clients.csv"}


def plan_defects(zone: Zone, seed: int, k: int, extra: list[PracticeData]) -> dict[str, str]:
    """practice_id -> defect for k practices, one kind each in DEFECTS order (cycling past ten). A kind no practice
    left can carry (no XPM file for malformed XML in a small zone) gives way to the next kind that one can, so k
    practices are bad whenever k can be: it was dropped without a word (`scr generate -n 3 --bad 1` made none)."""
    order = list(range(len(zone.practices)))
    random.Random(f"scr-defects:{seed}").shuffle(order)
    chosen: dict[str, str] = {}
    extras = iter(extra)
    for i in range(k):
        for step in range(len(defects.DEFECTS)):
            kind = defects.DEFECTS[(i + step) % len(defects.DEFECTS)]
            if kind == "extra_folder":
                if step:  # the extra folders were built for their own turns (generate_zone's n_extra)
                    continue
                chosen[next(extras).practice["practice_id"]] = kind
                break
            j = next((j for j in order if zone.practices[j].practice["practice_id"] not in chosen
                      and defects.target(kind, zone.practices[j])), None)  # fmt: skip
            if j is not None:
                chosen[zone.practices[j].practice["practice_id"]] = kind
                break
    return chosen


def _write_practice(folder: Path, p: PracticeData, defect: str | None) -> dict[str, str]:
    """Write one practice folder; returns source -> file for the files left with records in them."""
    folder.mkdir(parents=True, exist_ok=True)
    if defect:
        defects.before_write(defect, p)
    if "xpm" in p.records:
        writers.write_xpm(folder / FILES["xpm"], p.records["xpm"])
    writers.write_hq(folder / FILES["hq"], p.practice["practice_id"], p.records["hq"])
    if "tax" in p.records:
        rows = (writers.tax_row(r) for r in p.records["tax"])
        writers.write_csv(folder / FILES["tax"], writers.TAX_COLUMNS, rows,
                          encoding="latin-1" if defect == "non_utf8_csv" else "utf-8")
    if p.sync is not None:
        writers.write_sync(folder / "sync_links.csv", p.sync)
    if defect:
        defects.after_write(defect, folder)
    return {s: f for s, f in FILES.items() if s in p.records and (folder / f).exists() and (folder / f).stat().st_size}


def _csv(path: Path, header: list[str], rows) -> None:
    writers.write_csv(path, header, rows)


def generate_zone(
    out: Path, practices: int, seed: int, bad_practices: int = 0, corruption: str = "default", sizes: dict[int, int] | None = None
) -> dict:
    """Write out/landing (the zone per contract) and out/truth (ground truth); returns summary counts.

    `corruption` picks how records are spoilt: "default" (this project's first model) or "geco"
    (kinds of error from GeCo/Febrl, rates drawn per zone; the rates go into truth/summary.json).
    `sizes` maps practice indexes to a number of clients (e.g. {0: 20000} for one very large practice).
    """
    out = Path(out)
    landing, truth = out / "landing", out / "truth"
    for d in (landing, truth):
        if d.exists():
            shutil.rmtree(d)
        d.mkdir(parents=True)
    zone = build_zone(practices, seed, corruption, sizes)
    waves = max(1, min(12, practices // 40 + 1))
    n_extra = sum(1 for i in range(bad_practices) if defects.DEFECTS[i % len(defects.DEFECTS)] == "extra_folder")
    extra = [build_practice(seed, practices + j, waves, corruption) for j in range(n_extra)]
    plan = plan_defects(zone, seed, bad_practices, extra)
    writers.write_registry(landing / "practices.json", zone.registry)
    records, pairs, wrong, bad = [], [], [], []
    per_source: Counter = Counter()
    for p in zone.practices + extra:
        pid = p.practice["practice_id"]
        defect = plan.get(pid)
        written = _write_practice(landing / pid, p, defect)
        if defect:
            bad.append((pid, defects.target(defect, p) or "", defect))
        for source, _ in sorted(written.items()):
            for r in p.records[source]:
                records.append((pid, source, r["id"] or "", r["eid"]))
                per_source[source] += 1
        pairs += [(pid, a, b, kind) for a, b, kind in p.hard_pairs]
        wrong += [(pid, w["kind"], w["left"], w["right"]) for w in p.wrong_links]
    records.sort()
    _csv(truth / "records.csv", ["practice_id", "source", "source_client_id", "entity_id"], records)
    _csv(truth / "hard_pairs.csv", ["practice_id", "entity_a", "entity_b", "kind"], sorted(pairs))
    _csv(truth / "bad_practices.csv", ["practice_id", "file", "defect"], sorted(bad))
    _csv(truth / "wrong_links.csv", ["practice_id", "link_kind", "left_id", "right_id"], sorted(wrong))
    summary = {
        "seed": seed,
        "corruption": corruption,
        "practices": practices,
        "extra_folders": len(extra),
        "records": len(records),
        "records_by_source": dict(sorted(per_source.items())),
        "entities": len({r[3] for r in records}),
        "hard_pairs": dict(sorted(Counter(k for *_, k in pairs).items())),
        "sync_links": sum(len(p.sync or []) for p in zone.practices + extra),
        "wrong_links": len(wrong),
        "bad_practices": len(bad),
        "defects": dict(sorted(Counter(d for *_, d in bad).items())),
    }
    if corruption == "geco":
        summary["error_rates"] = {k: round(v, 4) for k, v in sorted(draw_profile(seed).rates.items())}
    (truth / "summary.json").write_text(json.dumps(summary, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return summary
