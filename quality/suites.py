"""What the gate checks: the per-row check frames (Polars) and the expectations over them, by name.

Expectations are plain specs here (name, GX class name, kwargs) so this module imports without
Great Expectations; the gate turns them into GX objects.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import polars as pl

from landing.spreadsheet import formula_like, has_non_text_controls

if TYPE_CHECKING:
    from transforms.survivorship import Unified
    from landing import Frames

__all__ = ["Spec", "Suite", "suites"]

RKEY = ["practice_id", "source", "source_client_id"]
UKEY = ["practice_id", "unified_client_id"]
ID_KINDS = ["ABN", "ACN", "NZBN", "TFN", "IRD"]
NAME_COLUMNS = ["name", "legal_name", "first_name", "last_name"]


@dataclass
class Spec:
    """One expectation: its name (what a blocked practice is told), the GX class and its kwargs.

    A non-blocking expectation (GX severity "warning") is recorded in quality_result but blocks nothing.
    """

    name: str
    gx_class: str
    kwargs: dict = field(default_factory=dict)
    blocking: bool = True


@dataclass
class Suite:
    """A check frame and the expectations over it; `index` names the failing rows' keys."""

    name: str
    frame: pl.DataFrame
    index: list[str]
    specs: list[Spec]


def _practices(unified: Unified) -> pl.DataFrame:
    return pl.concat([unified.crosswalk.select("practice_id"), unified.client.select("practice_id")]).unique()


def record_frame(unified: Unified, frames: Frames) -> pl.DataFrame:
    """Every staged record of the consolidated practices with how many crosswalk rows account for it."""
    staged = frames.client.select(RKEY).join(_practices(unified), on="practice_id")
    counts = unified.crosswalk.group_by(RKEY).agg(
        n_unified=pl.len().cast(pl.Int64), unified_client_id=pl.col("unified_client_id").first()
    )
    known = unified.client.select(UKEY).unique().with_columns(in_unified=pl.lit(True))
    # crosswalk rows with no staged record are counted too: an invented record is as wrong as a lost one
    extra = counts.join(staged, on=RKEY, how="anti").with_columns(n_unified=pl.lit(0, pl.Int64))
    df = pl.concat([staged.join(counts, on=RKEY, how="left"), extra], how="diagonal_relaxed")
    return (
        df.with_columns(pl.col("n_unified").fill_null(0))
        .join(known, on=UKEY, how="left")
        # a record with no crosswalk row already fails every_record_accounted_once: do not count it twice
        .with_columns(pl.col("in_unified").fill_null(pl.col("n_unified") == 0))
        .sort(RKEY)
    )


def client_frame(unified: Unified, frames: Frames) -> pl.DataFrame:
    """Unified clients with their member-derived checks: practices spanned, archived flag expected."""
    cw = unified.crosswalk.join(frames.client.select(*RKEY, "archived"), on=RKEY, how="left")
    per_id = cw.group_by("unified_client_id").agg(n_practices=pl.col("practice_id").n_unique().cast(pl.Int64))
    expected = cw.group_by(UKEY).agg(archived_expected=pl.col("archived").fill_null(False).all())
    c = unified.client
    names = [n for n in NAME_COLUMNS if n in c.columns]
    # `=` starts no real name and control characters belong in none: someone injected it, or the export broke (a tab or
    # a line break is text: survivorship prefers a name without one, but where there is none it is no reason to block)
    hostile = pl.any_horizontal([pl.col(n).str.contains(r"^[=\x{ff1d}\x{fe66}]").fill_null(False) | has_non_text_controls(pl.col(n))
                                 for n in names])
    # a leading + - @ can be a real trading name ("@Home Realty"); exports escape it, survivorship avoids it
    formula = pl.any_horizontal([formula_like(pl.col(n)) for n in names])
    flagged = pl.all_horizontal(
        [(pl.col(v).is_null() | pl.col(f"{v}_valid").is_not_null()) for v in ["abn", "acn", "nzbn"]]
        + [(pl.col(h).is_null() | pl.col(h.replace("_hash", "_last3")).is_not_null()) for h in ["tfn_hash", "ird_hash"]]
    )
    return (
        c.select(*UKEY, "name", "entity_type", "archived", "abn", "acn", "nzbn", "abn_valid", "acn_valid", "nzbn_valid",
                 "tfn_hash", "tfn_last3", "ird_hash", "ird_last3",
                 names_inert=~hostile, names_plain=~formula)
        .join(per_id, on="unified_client_id", how="left")
        .join(expected, on=UKEY, how="left")
        .with_columns(
            name_present=(pl.col("name").str.strip_chars().str.len_chars() > 0).fill_null(False),
            archived_ok=(pl.col("archived") == pl.col("archived_expected")).fill_null(False),
            ids_checked=flagged.fill_null(False),
            n_practices=pl.col("n_practices").fill_null(0),
        )
        .select(*UKEY, "name_present", "entity_type", "n_practices", "archived_ok", "ids_checked", "names_inert",
                "names_plain")
        .sort(UKEY)
    )


def identifier_frame(unified: Unified, frames: Frames) -> pl.DataFrame:
    """Per unified client and identifier kind, how many different valid values its members hold."""
    ids = frames.identifier.filter(pl.col("is_valid") & pl.col("id_type").str.to_uppercase().is_in(ID_KINDS))
    value = pl.coalesce("id_hash", pl.col("id_value").str.replace_all(r"\D", ""))
    return (
        ids.join(unified.crosswalk.select(*RKEY, "unified_client_id"), on=RKEY, how="inner")
        .group_by(*UKEY, pl.col("id_type").str.to_uppercase())
        .agg(n_valid=value.n_unique().cast(pl.Int64))
        .sort(UKEY + ["id_type"])
    )


def suites(unified: Unified, frames: Frames) -> list[Suite]:
    """The gate's suites over this batch of consolidated practices."""
    between_1 = {"min_value": 1, "max_value": 1}
    is_true = {"value_set": [True]}
    return [
        Suite("records", record_frame(unified, frames), RKEY, [
            Spec("every_record_accounted_once", "ExpectColumnValuesToBeBetween", {"column": "n_unified", **between_1}),
            Spec("crosswalk_points_to_unified_client", "ExpectColumnValuesToBeInSet", {"column": "in_unified", **is_true}),
        ]),
        Suite("clients", client_frame(unified, frames), UKEY, [
            Spec("unified_id_unique", "ExpectColumnValuesToBeUnique", {"column": "unified_client_id"}),
            Spec("has_name", "ExpectColumnValuesToBeInSet", {"column": "name_present", **is_true}),
            Spec("has_entity_type", "ExpectColumnValuesToNotBeNull", {"column": "entity_type"}),
            Spec("entity_type_known", "ExpectColumnValuesToBeInSet",
                 {"column": "entity_type", "value_set": ["person", "organisation"]}),
            Spec("one_practice_per_client", "ExpectColumnValuesToBeBetween", {"column": "n_practices", **between_1}),
            Spec("archived_consistent", "ExpectColumnValuesToBeInSet", {"column": "archived_ok", **is_true}),
            Spec("identifiers_checked_or_flagged", "ExpectColumnValuesToBeInSet", {"column": "ids_checked", **is_true}),
            Spec("names_without_formula_or_control_chars", "ExpectColumnValuesToBeInSet", {"column": "names_inert", **is_true}),
            Spec("names_not_formula_like", "ExpectColumnValuesToBeInSet",
                 {"column": "names_plain", **is_true, "severity": "warning"}, blocking=False),
        ]),
        Suite("identifiers", identifier_frame(unified, frames), UKEY + ["id_type"], [
            Spec("one_valid_identifier_per_kind", "ExpectColumnValuesToBeBetween",
                 {"column": "n_valid", "min_value": 0, "max_value": 1}),
        ]),
    ]
