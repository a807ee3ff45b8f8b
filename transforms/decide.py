"""Per link: auto, review or reject from the match probability, hard vetoes and the name guard."""

from __future__ import annotations

import polars as pl

from transforms.compare import FIELDS

__all__ = ["IDS", "decide"]

# name levels that say "same name": without one, shared contacts never merge automatically (spouses)
_NAME_AGREES = ["exact", "nickname", "fuzzy", "initial", "swapped", "org_exact", "org_fuzzy", "partnership_partial"]
_NAME_WEAK = ["given_missing", "generation_one_side"]  # agrees only with a shared identifier or date of birth
_NAME_DISAGREES = ["different", "generation_differs", "org_different", "surname_only", "given_only", "org_partial"]
IDS = ["abn", "acn", "nzbn", "tfn", "ird"]
_PERSON_LEVELS = ["exact", "nickname", "fuzzy", "initial", "swapped", "given_missing", "generation_one_side"]


def decide(cmp: pl.DataFrame, auto_threshold: float, review_threshold: float) -> pl.DataFrame:
    """Threshold decision per link; hard vetoes and the name guard keep a strong link out of auto.

    Review is for plausible same-client pairs only: names that clearly differ (spouses, parent and
    child, a company and its director) are rejected unless they share an identifier.
    """
    name_levels = FIELDS["name"]
    agrees = pl.col("name").is_in([name_levels.index(x) for x in _NAME_AGREES])
    disagrees = pl.col("name").is_in([name_levels.index(x) for x in _NAME_DISAGREES])
    weak = pl.col("name").is_in([name_levels.index(x) for x in _NAME_WEAK])
    id_exact = pl.any_horizontal([pl.col(f) == 1 for f in IDS])
    lv = lambda *names: pl.col("name").is_in([name_levels.index(x) for x in names])  # noqa: E731
    email_exact = pl.col("email") == FIELDS["email"].index("exact")
    dob_exact = pl.col("dob") == FIELDS["dob"].index("exact")
    # a shared identifier outweighs a mistyped name (never a Jr/Sr difference);
    # a shared birthday only a typo in the surname (a change of married name), not in the given
    # name, which twins would show
    name_ok = (
        agrees
        | (weak & (id_exact | dob_exact))
        | (lv("generation_one_side") & email_exact)
        | (id_exact & ~lv("generation_differs"))
        | (lv("given_only") & dob_exact)
    )
    # a person's namesake in the same household (parent and child) shares name, phone and
    # address: without identity evidence ask for the same email and no contact that contradicts.
    # Identity: DOB, identifier, Xero org, or a legacy link (sync, Tax's XPM reference) under an
    # agreeing name; the legacy links that joined two clients show a veto or a differing name.
    identity = dob_exact | id_exact | (pl.col("orgs") == 1) | pl.col("_legacy")
    contradicts = pl.col("email").is_in([FIELDS["email"].index(x) for x in ("different", "same_local_part")]) | (
        pl.col("phone") == FIELDS["phone"].index("different")
    )
    person = pl.col("name").is_in([name_levels.index(x) for x in _PERSON_LEVELS])
    thin = person & ~identity & (contradicts | ~email_exact)
    name_ok = name_ok & ~thin
    prob = pl.col("match_probability")
    addr = lambda *names: pl.col("address").is_in([FIELDS["address"].index(x) for x in names])  # noqa: E731
    same_place = addr("exact", "fuzzy")
    # the same street, or the same postcode or suburb under a mistyped or changed street line
    # and no contact that says otherwise
    same_area = addr("exact", "fuzzy", "postcode_and_city", "postcode_or_city") & ~contradicts
    # names that differ are still worth a look when the person's own facts agree (a keying error;
    # twins, who share birthday and home, are for a person to tell apart); a new surname under the
    # same given name and email is a married name
    corroborated = (
        (dob_exact & (same_place | same_area | id_exact | email_exact))
        | (id_exact & same_place)
        | (lv("given_only") & email_exact & ~addr("different"))
    )
    # a vetoed link is reviewed only where the rule may rest on a slip: a one-part DOB typo of
    # the same name and place, or a DOB that disagrees under the same tax number
    only_dob_veto = pl.col("veto") == "dob"
    dob_slip = pl.col("dob") == FIELDS["dob"].index("one_part_differs")
    # a birthday that disagrees outright under a name, place and model that all say "same client"
    # may be a keying error (or a namesake parent): a person decides, never the matcher
    dob_only_doubt = (
        only_dob_veto & lv("exact", "nickname", "fuzzy") & addr("exact", "fuzzy", "postcode_and_city")
        & ~contradicts & (prob >= auto_threshold)
    )
    reviewable = pl.when(pl.col("veto").is_not_null()).then(
        (only_dob_veto & (agrees | weak) & dob_slip & same_place) | (only_dob_veto & id_exact) | dob_only_doubt
    ).otherwise((~disagrees & (pl.col("name") > 0)) | id_exact | corroborated)
    veto = (
        pl.when(pl.col("veto").is_not_null()).then(pl.col("veto"))
        .when((prob >= auto_threshold) & thin).then(pl.lit("thin_evidence"))
        .when((prob >= auto_threshold) & ~name_ok).then(pl.lit("name"))
        .otherwise(None)
    )
    decision = (
        pl.when((prob >= auto_threshold) & pl.col("veto").is_null() & name_ok).then(pl.lit("auto"))
        # review needs evidence for the match, not just the prior
        .when((prob >= review_threshold) & (pl.col("_evidence_w") > 0) & reviewable).then(pl.lit("review"))
        .otherwise(pl.lit("reject"))
    )
    return cmp.with_columns(decision=decision, veto=veto)
