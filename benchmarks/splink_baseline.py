"""Splink 5 (DuckDB) as a fair anchor: the same inputs as our matcher, trained the way Splink's own docs train.

Generated zones: the records as our standardiser reads them (entity kind, given name, surname,
organisation name, date of birth, email, every phone, postcode, street, each identifier kind, Xero
organisations); term-frequency adjustment on names and postcodes; u from random pairs drawn
inside practices; m from labelled pairs (legacy sync links and Tax rows naming their XPM client);
the prior from deterministic rules, counted within practices. Febrl3 and Febrl4 are set up exactly
as in Splink's own examples (febrl3.ipynb dedupe, febrl4.ipynb link_only, "detailed" model).
Every run returns the scored pairs; clustering is done by `crosswalk`, at any threshold.
"""

from __future__ import annotations

import logging

import numpy as np
import polars as pl

__all__ = ["run_splink", "crosswalk", "at_review_budget"]

_KEY = ["practice_id", "source", "source_client_id"]
_ID_COLS = ["tax_no", "business_no", "company_no", "other_no"]
# every rule within one practice (records of two practices are never compared)
_BLOCKING = [
    ("given", "surname"), ("surname", "dob"), ("given", "dob"), ("org_name",), ("email",), ("phone1",),
    ("postcode", "surname"), ("postcode", "given"), ("address",), *[(c,) for c in _ID_COLS],
]
_DETERMINISTIC = [("tax_no",), ("business_no",), ("company_no",), ("given", "surname", "dob"), ("email",)]


def _import():
    try:
        import splink  # noqa: F401
    except ImportError as e:  # the "bench" dependency group
        raise ImportError("the Splink baseline needs splink 5 (uv dependency group 'bench'): run `make setup`") from e


def _null_empty(col: str) -> pl.Expr:
    return pl.when(pl.col(col).list.len() > 0).then(pl.col(col))


def prepare(std: pl.DataFrame) -> pl.DataFrame:
    """Our standardised records -> the flat frame Splink compares (one unique_id per source record)."""
    return std.select(
        pl.concat_str(_KEY, separator="|").alias("unique_id"), *_KEY, "kind",
        "given", "surname", pl.col("org_core").alias("org_name"), "dob", "email",
        pl.when(pl.concat_list("mobiles", "landlines").list.len() > 0).then(pl.concat_list("mobiles", "landlines")).alias("phones"),
        pl.concat_list("mobiles", "landlines").list.first().alias("phone1"),
        "postcode", "address", *_ID_COLS, _null_empty("orgs").alias("orgs"),
    )  # fmt: skip


def _comparisons(u: dict[str, list[float]] | None = None) -> list:
    import splink.comparison_library as cl

    def cfg(c, name, tf=False):
        kw = {"term_frequency_adjustments": True} if tf else {}
        if u and name in u:
            kw["u_probabilities"] = u[name]
        return c.configure(**kw) if kw else c

    return [
        cfg(cl.ExactMatch("kind"), "kind"),
        cfg(cl.NameComparison("given"), "given", tf=True),
        cfg(cl.NameComparison("surname"), "surname", tf=True),
        cfg(cl.NameComparison("org_name"), "org_name", tf=True),
        cfg(cl.DateOfBirthComparison("dob", input_is_string=False), "dob"),
        cfg(cl.EmailComparison("email"), "email"),
        cfg(cl.ArrayIntersectAtSizes("phones", [1]), "phones"),
        cfg(cl.ExactMatch("postcode"), "postcode", tf=True),
        cfg(cl.JaroWinklerAtThresholds("address", [0.95, 0.88]), "address"),
        *[cfg(cl.ExactMatch(c), c) for c in _ID_COLS],
        cfg(cl.ArrayIntersectAtSizes("orgs", [1]), "orgs"),
    ]


def _db():
    """Splink's DuckDB backend without DuckDB's progress bar (it would fill the benchmark's output)."""
    import duckdb
    from splink import DuckDBAPI

    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    return DuckDBAPI(connection=con)


def _linker(frame: pl.DataFrame, rules: list, u=None, prior: float | None = None, retain: bool = False):
    from splink import Linker, SettingsCreator

    db = _db()
    kw = {} if prior is None else {"probability_two_random_records_match": prior}
    settings = SettingsCreator(
        link_type="dedupe_only", unique_id_column_name="unique_id", comparisons=_comparisons(u),
        blocking_rules_to_generate_predictions=rules, retain_intermediate_calculation_columns=retain, **kw,
    )  # fmt: skip
    return Linker(db.register(frame.to_arrow(), dataset_display_name="clients"), settings, log_level=logging.ERROR)


def _u_within_practices(frame: pl.DataFrame, seed: int) -> dict[str, list[float]]:
    """u per comparison level from random pairs inside practices: blocks of about 8 records drawn at random."""
    from splink import block_on

    rng = np.random.default_rng(seed)
    bucket = (rng.random(frame.height) * (frame.group_by("practice_id").len().join(
        frame.select("practice_id"), on="practice_id", how="right")["len"].to_numpy() / 8 + 1)).astype(np.int64)
    sample = frame.with_columns(_bucket=pl.col("practice_id") + "|" + pl.Series(bucket).cast(pl.String))
    linker = _linker(sample, [block_on("_bucket")], retain=True)
    pairs = pl.from_arrow(linker.inference.predict().as_pyarrow_table())
    out = {}
    for comp in linker._settings_obj.comparisons:
        name = comp.output_column_name
        levels = sorted((lv.comparison_vector_value for lv in comp.comparison_levels if not lv.is_null_level), reverse=True)
        counts = pairs.filter(pl.col(f"gamma_{name}") >= 0)[f"gamma_{name}"].value_counts()
        table = dict(zip(counts[f"gamma_{name}"].to_list(), counts["count"].to_list(), strict=True))
        raw = np.array([table.get(v, 0) for v in levels], dtype=float) + 0.5  # a level never seen is not impossible
        out[name] = (raw / raw.sum()).tolist()
    return out


def _prior(frame: pl.DataFrame, recall: float = 0.7) -> float:
    """P(two random records of one practice match), from pairs the deterministic rules join, over within-practice pairs."""
    n = frame.group_by("practice_id").len()["len"].cast(pl.Float64)
    total = float((n * (n - 1) / 2).sum())
    rid = frame.select("unique_id", "practice_id", *{c for r in _DETERMINISTIC for c in r})
    found = []
    for rule in _DETERMINISTIC:
        part = rid.drop_nulls(list(rule)).select("unique_id", key=pl.concat_str(["practice_id", *rule], separator="|"))
        pairs = part.join(part, on="key").filter(pl.col("unique_id") < pl.col("unique_id_right"))
        found.append(pairs.select("unique_id", "unique_id_right"))
    matches = pl.concat(found).unique().height if found else 0
    return float(np.clip(matches / recall / max(total, 1.0), 1e-6, 0.5))


def _labels(std: pl.DataFrame, hints: pl.DataFrame) -> pl.DataFrame:
    ids = std.select("rid", unique_id=pl.concat_str(_KEY, separator="|"))
    return hints.join(ids.rename({"rid": "rid_l", "unique_id": "unique_id_l"}), on="rid_l").join(
        ids.rename({"rid": "rid_r", "unique_id": "unique_id_r"}), on="rid_r"
    ).select(source_dataset_l=pl.lit("clients"), unique_id_l="unique_id_l", source_dataset_r=pl.lit("clients"),
             unique_id_r="unique_id_r")  # fmt: skip


def _generated(frames, practices: pl.DataFrame, seed: int) -> tuple[pl.DataFrame, pl.DataFrame]:
    from splink import block_on
    from transforms.candidates import hint_pairs
    from transforms.standardise import standardise

    std = standardise(frames, practices)
    frame = prepare(std)
    has = {c for c in frame.columns if frame[c].null_count() < frame.height}
    rules = [block_on("practice_id", *r) for r in _BLOCKING if set(r) <= has]
    linker = _linker(frame, rules, u=_u_within_practices(frame, seed), prior=_prior(frame))
    labels = _labels(std, hint_pairs(std, frames.sync_link))
    if labels.height:
        linker.table_management.register_table(labels.to_arrow(), "__labels", overwrite=True)
        linker.training.estimate_m_from_pairwise_labels("__labels")
    pred = pl.from_arrow(linker.inference.predict(threshold_match_probability=0.5).as_pyarrow_table())
    return frame.select("unique_id", *_KEY), pred.select("unique_id_l", "unique_id_r", "match_probability")


def _febrl(frames, link_only: bool, seed: int) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Febrl3 / Febrl4 as in Splink's own example notebooks."""
    import splink.comparison_library as cl
    from splink import Linker, SettingsCreator, block_on

    c = frames.client
    frame = c.select(
        pl.concat_str(_KEY, separator="|").alias("unique_id"), *_KEY,
        pl.col("first_name").str.to_lowercase().alias("given_name"), pl.col("last_name").str.to_lowercase().alias("surname"),
        pl.col("date_of_birth").dt.strftime("%Y%m%d").alias("date_of_birth"),
        pl.col("address_line1").str.extract(r"^(\d+)\b", 1).alias("street_number"),
        pl.col("address_line1").str.replace(r"^\d+\s*", "").alias("address_1"),
        pl.col("region").alias("state"), "postcode", pl.col("tfn_hash").alias("soc_sec_id"),
    )  # fmt: skip
    db = _db()
    if link_only:
        rules = [block_on("given_name", "surname"), "l.given_name = r.surname and l.surname = r.given_name",
                 block_on("date_of_birth"), block_on("soc_sec_id"), block_on("state", "address_1"),
                 block_on("street_number", "address_1"), block_on("postcode")]  # fmt: skip
        comparisons = [
            cl.NameComparison("given_name").configure(term_frequency_adjustments=True),
            cl.NameComparison("surname").configure(term_frequency_adjustments=True),
            cl.DateOfBirthComparison("date_of_birth", input_is_string=True, datetime_format="%Y%m%d", invalid_dates_as_null=True),
            cl.DamerauLevenshteinAtThresholds("soc_sec_id", [1, 2]),
            cl.ExactMatch("street_number").configure(term_frequency_adjustments=True),
            cl.DamerauLevenshteinAtThresholds("postcode", [1, 2]).configure(term_frequency_adjustments=True),
        ]
        det, recall, em = [block_on("soc_sec_id"), block_on("given_name", "surname", "date_of_birth")], 0.8, ["date_of_birth", "postcode"]
        inputs = [db.register(frame.filter(pl.col("source") == s).to_arrow(), dataset_display_name=s) for s in ("xpm", "hq")]
    else:
        rules = [block_on("soc_sec_id"), block_on("given_name"), block_on("surname"), block_on("date_of_birth"), block_on("postcode")]
        comparisons = [
            cl.NameComparison("given_name"), cl.NameComparison("surname"),
            cl.DateOfBirthComparison("date_of_birth", input_is_string=True, datetime_format="%Y%m%d"),
            cl.DamerauLevenshteinAtThresholds("soc_sec_id", [2]),
            cl.ExactMatch("street_number").configure(term_frequency_adjustments=True),
            cl.ExactMatch("postcode").configure(term_frequency_adjustments=True),
        ]
        det = [block_on("soc_sec_id"), block_on("given_name", "surname", "date_of_birth"),
               "l.given_name = r.surname and l.surname = r.given_name and l.date_of_birth = r.date_of_birth"]
        recall, em = 0.9, ["date_of_birth", "postcode"]
        inputs = [db.register(frame.to_arrow(), dataset_display_name="clients")]
    settings = SettingsCreator(unique_id_column_name="unique_id", link_type="link_only" if link_only else "dedupe_only",
                               blocking_rules_to_generate_predictions=rules, comparisons=comparisons)
    linker = Linker(inputs if link_only else inputs[0], settings, log_level=logging.ERROR)
    linker.training.estimate_probability_two_random_records_match(det, recall=recall)
    linker.training.estimate_u_using_random_sampling(max_pairs=1e6, seed=seed)
    for col in em:
        linker.training.estimate_parameters_using_expectation_maximisation(block_on(col), estimate_without_term_frequencies=link_only)
    pred = pl.from_arrow(linker.inference.predict(threshold_match_probability=0.2).as_pyarrow_table())
    return frame.select("unique_id", *_KEY), pred.select("unique_id_l", "unique_id_r", "match_probability")


def run_splink(frames, practices: pl.DataFrame, *, febrl: bool = False, link_only: bool = False, seed: int = 1):
    """Train and predict; returns (records: unique_id + key, pairs: unique_id_l, unique_id_r, match_probability)."""
    _import()
    if febrl:
        return _febrl(frames, link_only, seed)
    return _generated(frames, practices, seed)


def _labels_at(records: pl.DataFrame, pairs: pl.DataFrame, threshold: float) -> np.ndarray:
    from transforms.cluster import components

    idx = records.select("unique_id").with_row_index("i")
    keep = pairs.filter(pl.col("match_probability") >= threshold).join(idx.rename({"unique_id": "unique_id_l", "i": "a"}), on="unique_id_l").join(
        idx.rename({"unique_id": "unique_id_r", "i": "b"}), on="unique_id_r")
    a, b = keep["a"].to_numpy().astype(np.int64), keep["b"].to_numpy().astype(np.int64)
    return components(records.height, a, b)


def crosswalk(records: pl.DataFrame, pairs: pl.DataFrame, auto: float, review: float | None = None) -> pl.DataFrame:
    """Crosswalk (key, unified_client_id, merge_status): clusters at `auto`; records joined only at `review` are 'review'."""
    hi = _labels_at(records, pairs, auto)
    lo = hi if review is None else _labels_at(records, pairs, review)
    size_hi = np.bincount(hi, minlength=len(hi))[hi]
    size_lo = np.bincount(lo, minlength=len(lo))[lo]
    # as ours: a record in an automatic cluster is "auto"; one joined only through a weaker link is "review"
    status = np.where(size_hi > 1, "auto", np.where(size_lo > 1, "review", "unique"))
    # two automatic clusters may meet through a weaker link: the automatic view keeps them apart
    return records.select(*_KEY).with_columns(
        unified_client_id=pl.Series(lo).cast(pl.String), merge_status=pl.Series(status),
        auto_cluster_id=pl.Series(hi).cast(pl.String),
    )


def at_review_budget(records: pl.DataFrame, pairs: pl.DataFrame, budget: float, own: float) -> tuple[float, pl.DataFrame]:
    """Splink given our review budget for its least sure merges: links from its own threshold up to an automatic
    threshold go to review; the automatic threshold is the highest whose review share stays within `budget`.

    Returns (automatic threshold, crosswalk).
    """
    best = (own, crosswalk(records, pairs, own))
    for hi in (0.97, 0.99, 0.995, 0.999, 0.9995, 0.9999, 0.99999, 0.999999):
        if hi <= own:
            continue
        cw = crosswalk(records, pairs, hi, own)
        if float((cw["merge_status"] == "review").mean()) > budget:
            break
        best = (hi, cw)
    return best
