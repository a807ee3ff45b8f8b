"""Identifier rows of a batch of practices: canonical kind and value, a keyed hash for every kind, clear values only
for public-register kinds (landing.identifiers.PUBLIC_KINDS); the client frame's wide identifier columns.

Everything here runs once per batch; each practice's kinds follow its own region, and "first of each kind"
is per practice and client.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from landing import schema
from landing.freetext import protect_free_text
from landing.frames import Frames
from landing.identifiers import PLACEHOLDERS, PUBLIC_KINDS, canonical, is_valid, kind_of, slip_messages
from landing.secrets import HashKey
from landing.values import PRACTICE, ascii_digits, clean, last_three

# identifier kind -> wide client column family; a company number of any region goes to `acn`
WIDE = {"ABN": "abn", "ACN": "acn", "NZCN": "acn", "UKCRN": "acn", "CRN": "acn", "NZBN": "nzbn", "TFN": "tfn", "IRD": "ird"}
KEY = ["practice_id", "source", "source_client_id"]
WIDE_COLUMNS = ["abn", "acn", "nzbn", "tfn_hash", "tfn_last3", "tfn_valid", "ird_hash", "ird_last3", "ird_valid"]
# a source's identifier as read: id_type is the source's own label (XPM tag, HQ type, Tax column)
LONG = pl.Schema({"source": pl.String, "source_client_id": pl.String, "id_type": pl.String, "value": pl.String})
# the tables a practice's client files fill, and their shapes
TABLES = {n: schema.STAGING[n] for n in ("client", "contact", "group_member", "relationship", "custom_field", "org_link")}


@dataclass
class Parsed:
    """One file read but not finished: identifiers raw in `ids` (LONG), raw_hash still an unkeyed digest."""

    frames: Frames
    ids: pl.DataFrame


def long_ids(raw: pl.DataFrame, source: str) -> pl.DataFrame:
    """A batch's raw identifier rows of one source (source_client_id, id_type, value) in LONG order."""
    return raw.select(PRACTICE, "practice_id", pl.lit(source, dtype=pl.String).alias("source"),
                      *[pl.col(c).cast(t) for c, t in LONG.items() if c != "source"])  # fmt: skip


def stack(frames: list[pl.DataFrame], shape: pl.Schema) -> pl.DataFrame:
    """Frames of several files stacked as each practice read alone would stack them: practice by practice
    (PRACTICE order), files in list order, records in file order."""
    cols = [PRACTICE, *shape.names()]
    frames = [f.select(cols) for f in frames if f.height]
    if not frames:
        return pl.DataFrame(schema={PRACTICE: pl.Int64, **shape})
    out = pl.concat(frames, how="vertical_relaxed") if len(frames) > 1 else frames[0]
    return out.sort(PRACTICE, maintain_order=True).cast(shape)  # a stable sort keeps file and record order


def finish(parts: list[dict[str, pl.DataFrame]], regions: pl.DataFrame, key: HashKey) -> dict[str, pl.DataFrame]:
    """The typed tables of a batch's client files (a dict per file, in reading order), secrets hashed:
    identifiers, lineage digests, secret-bearing free text. `regions`: PRACTICE, region."""
    tables = {n: stack([p[n] for p in parts if n in p], shape) for n, shape in TABLES.items()}
    long_shape = pl.Schema({"practice_id": pl.String, **LONG})
    long = stack([p["ids"] for p in parts if "ids" in p], long_shape)
    ident = identifiers_of(long, regions, key)
    client = with_identifiers(tables["client"], ident)
    # the readers' digest of a raw record covers its tax numbers: only its HMAC is kept
    digests = client.select(pl.concat_str(pl.lit("record:"), "raw_hash")).to_series()
    tables["client"] = client.with_columns(raw_hash=key.hash_series(digests))
    tables["identifier"] = ident
    # each practice's region: a UTR is a tax number in a UK practice's free text too (landing.freetext._is_utr), and a
    # phone is written with its country's trunk prefix (landing.freetext._in_phone)
    ids = [t.select(PRACTICE, "practice_id").unique() for t in tables.values() if PRACTICE in t.columns]
    named = pl.concat(ids).unique().join(regions.select(PRACTICE, pl.col("region").cast(pl.String)), on=PRACTICE, how="left")
    return protect_free_text(tables, key, dict(named.select("practice_id", "region").iter_rows()))


def _verdicts(df: pl.DataFrame) -> pl.DataFrame:
    """Check-digit verdict per distinct (id_type, canonical value); stdnum runs once per distinct value."""
    pairs = df.select("id_type", "_canon").unique().drop_nulls().sort("id_type", "_canon")
    parts = [
        part.with_columns(is_valid=is_valid(part.get_column("_canon"), str(kind[0])))
        for kind, part in pairs.group_by("id_type", maintain_order=True)
    ]
    if not parts:
        return pairs.with_columns(is_valid=pl.lit(None, dtype=pl.Boolean))
    return pl.concat(parts)


def _kinds(df: pl.DataFrame) -> pl.DataFrame:
    """Canonical kind of each (label, region): kind_of once per distinct pair."""
    pairs = df.select("_label", "region").unique(maintain_order=True)
    kinds = [kind_of(label, region) for label, region in pairs.iter_rows()]  # once per distinct label and region
    return pairs.with_columns(id_type=pl.Series(kinds, dtype=pl.String))


def _canonical(df: pl.DataFrame) -> pl.Series:
    """canonical() of every row; the UK company number form computed for UKCRN rows only (few: it is costly)."""
    canon = df.select(canonical(pl.col("id_type"), pl.col("value"), uk=False)).to_series()
    uk = df.get_column("id_type") == "UKCRN"
    if uk.any():
        rows = df.filter(uk)
        canon = canon.scatter(uk.arg_true(), rows.select(canonical(pl.col("id_type"), pl.col("value"))).to_series())
    return canon


UNLABELLED = "UNLABELLED"  # the kind of an identifier its source gave no type: hashed like every kind not public


def identifiers_of(long: pl.DataFrame, regions: pl.DataFrame, key: HashKey) -> pl.DataFrame:
    """A batch's `long` rows (PRACTICE, practice_id and LONG, practices in order, files in order) -> PRACTICE and
    the IDENTIFIER frame in the same order; kinds by each practice's region; values in clear only for public kinds."""
    df = long.select(
        PRACTICE,
        pl.col("practice_id"),
        pl.col("source"),
        pl.col("source_client_id"),
        # a number with no label is kept, hashed, as its own kind: what a source does not name is not lost
        pl.coalesce(clean(pl.col("id_type")), pl.lit(UNLABELLED)).alias("_label"),
        ascii_digits(clean(pl.col("value"))).alias("value"),
    ).filter(pl.col("value").is_not_null())
    df = df.join(regions.select(PRACTICE, pl.col("region").cast(pl.String)), on=PRACTICE, how="left", maintain_order="left")
    df = df.join(_kinds(df), on=["_label", "region"], how="left", maintain_order="left", nulls_equal=True)
    # an id with nothing left after canonicalisation (e.g. a TFN "n/a") carries nothing to match on
    df = df.with_columns(_canon=_canonical(df)).filter(pl.col("_canon").is_not_null())
    df = df.join(_verdicts(df), on=["id_type", "_canon"], how="left", maintain_order="left", nulls_equal=False)
    # a placeholder (000 000 000: "no TFN quoted") is no number: not valid, nothing to match or be a slip of
    placeholder = pl.col("_canon").is_in(sorted(PLACEHOLDERS))
    df = df.with_columns(is_valid=pl.when(placeholder).then(False).otherwise(pl.col("is_valid")))
    message = df.select(pl.concat_str("id_type", pl.lit(":"), "_canon")).to_series()
    df = df.join(near_hashes(df.select("id_type", "_canon", "is_valid"), key), on=["id_type", "_canon"], how="left", maintain_order="left")
    df = df.with_columns(
        # clear only for a public kind's number as its register writes it, and not when it is a valid TFN or IRD too
        id_value=pl.when(_as_a_register_writes_it() & ~_tax_number_in_public_slot(df) & ~_acn_or_tax_number(df)).then(pl.col("_canon")),
        id_hash=key.hash_series(message),
        id_last3=last_three(pl.col("_canon")),
    ).with_columns(
        id_hash=pl.when(placeholder).then(None).otherwise(pl.col("id_hash")),
        id_near=pl.when(placeholder).then(None).otherwise(pl.col("id_near")),
    )
    return df.select(PRACTICE, *schema.IDENTIFIER.names()).cast(schema.IDENTIFIER)


# Companies House prefixes (Scotland, Northern Ireland, LLPs, ...) before six digits; eight digits have none
_UK_COMPANY = r"^(?:[0-9]{8}|(?:SC|NI|OC|SO|NC|R0|IP|SP|IC|SI|NP|NV|RC|SR|FC|SF|LP|SL|NL|GE|GS|CE|CS|PC|SG|SE|ES|AC|SA|NA|NO|NZ|ZC|SZ|NF|RS|FE|GN|IS)[0-9]{6})$"


def _as_a_register_writes_it() -> pl.Expr:
    """A public kind's number kept in clear: one that passes its kind's check (ABN, ACN, ARBN, NZBN), an NZ company
    number written as one to eight digits, a UK company number of Companies House's shape. Anything else typed in a
    public slot is no register's number and is hashed like any unknown kind: QA (session 30) found a TFN written
    beside an ABN in one field ("51 824 753 556 / TFN 123 456 782"), a US SSN, a Medicare number, a bank account, a
    passport and a UK National Insurance number kept in clear as an ABN, ACN or company number, and an AU HQ `CRN` (a
    Centrelink customer reference there) too. A company number of another region (`CRN`) has no register to check
    against: hashed."""
    kind, value = pl.col("id_type"), pl.col("value")
    checked = kind.is_in(["ABN", "ACN", "ARBN", "NZBN"]) & pl.col("is_valid").fill_null(False)
    nz = (kind == "NZCN") & value.str.contains(r"^[0-9\s.\-/]+$") & value.str.count_matches(r"[0-9]").is_between(1, 8)
    uk = (kind == "UKCRN") & pl.col("_canon").str.contains(_UK_COMPANY)
    return (checked | nz | uk).fill_null(False)


def _tax_numbers(values: pl.Series) -> pl.Series:
    """The distinct digit strings among `values` that are check-digit-valid TFN or IRD numbers."""
    return values.filter(is_valid(values, "TFN").fill_null(False) | is_valid(values, "IRD").fill_null(False))


def _tax_number_in_public_slot(df: pl.DataFrame) -> pl.Series:
    """Per row: a public kind's value that does not pass its own check (is_valid false, or null for a kind with no
    check digits: NZ, UK and other company numbers) and whose digits are a check-digit-valid TFN or IRD. Checked once
    per distinct value. Session 29 found an IRD number typed as an NZ company number kept in clear."""
    suspect = pl.col("id_type").is_in(sorted(PUBLIC_KINDS)) & ~pl.col("is_valid").fill_null(False)
    digits = pl.col("_canon").str.replace_all(r"[^0-9]", "")
    values = df.filter(suspect).select(digits.alias("d")).filter(pl.col("d").str.len_chars().is_in([8, 9])).to_series().unique()
    if values.is_empty():
        return pl.Series("_taxlike", [False] * df.height, dtype=pl.Boolean)
    tax = _tax_numbers(values)
    return df.select((suspect & digits.is_in(tax.implode())).fill_null(False).alias("_taxlike")).to_series()


def _acn_or_tax_number(df: pl.DataFrame) -> pl.Series:
    """Per row: a valid ACN whose digits are a valid TFN or IRD too (about one TFN in eleven passes the ACN check),
    unless an ABN of its practice embeds it (a company's ABN is two check digits and its ACN; another system's record
    of the company may hold the ABN): a TFN typed as a company number is then told from an ACN only by the register,
    so it is hashed (QA, session 29: kept in clear). An ACN that an ABN of its practice embeds stays in clear so that
    the two records still meet by it (compare's ACN-in-ABN level): hashed by record, as first written, nine ACNs of a
    generated zone met their ABN no more, and that perturbation alone moved the zone's automatic threshold past a
    plateau of calibrated probabilities (geco 7 at 40 practices: F1 0.98 -> 0.55, session 30)."""
    acn = (pl.col("id_type") == "ACN") & pl.col("is_valid").fill_null(False)
    digits = pl.col("_canon").str.replace_all(r"[^0-9]", "")
    values = df.filter(acn).select(digits.alias("d")).to_series().unique()
    if values.is_empty():
        return pl.Series("_ambiguous", [False] * df.height, dtype=pl.Boolean)
    tax = _tax_numbers(values)
    rows = df.select("practice_id", _d=digits, _suspect=(acn & digits.is_in(tax.implode())).fill_null(False))
    embedded = (
        df.filter(pl.col("id_type") == "ABN").select("practice_id", _d=digits.str.slice(2), _embedded=pl.lit(True))
        .unique(["practice_id", "_d"])
    )  # fmt: skip
    out = rows.join(embedded, on=["practice_id", "_d"], how="left", maintain_order="left", nulls_equal=False)
    return out.select(pl.col("_suspect") & pl.col("_embedded").is_null()).to_series()


def near_hashes(numbers: pl.DataFrame, key: HashKey) -> pl.DataFrame:
    """id_type, _canon, is_valid -> id_type, _canon, id_near: the keyed hashes of what each number may be a slip
    of (landing.identifiers.slip_messages), cut to schema.NEAR_CHARS, sorted and space-separated; once per
    distinct number. Numbers with none are left out."""
    distinct = numbers.select("id_type", value="_canon", is_valid="is_valid").unique().drop_nulls(["id_type", "value"])
    messages = slip_messages(distinct)
    hashed = messages.with_columns(h=key.hash_series(messages.get_column("message")).str.slice(0, schema.NEAR_CHARS))
    near = hashed.group_by("id_type", "value").agg(id_near=pl.col("h").unique().sort().str.join(" "))
    return near.select("id_type", _canon="value", id_near="id_near")


def identifiers(long: pl.DataFrame, practice_id: str, region: str | None, key: HashKey) -> pl.DataFrame:
    """One practice's `long` (LONG, file order) -> IDENTIFIER frame in the same order."""
    batch = long.select(pl.lit(0, dtype=pl.Int64).alias(PRACTICE), pl.lit(practice_id, dtype=pl.String).alias("practice_id"),
                        *LONG.names())  # fmt: skip
    regions = pl.DataFrame({PRACTICE: [0], "region": [region]}, schema={PRACTICE: pl.Int64, "region": pl.String})
    return identifiers_of(batch, regions, key).drop(PRACTICE)


def wide(ident: pl.DataFrame) -> pl.DataFrame:
    """First identifier of each kind per client, as the client frame's identifier columns."""
    first = (
        ident.with_columns(kind=pl.col("id_type").replace_strict(WIDE, default=None))
        .filter(pl.col("kind").is_not_null())
        .unique(subset=[*KEY, "kind"], keep="first", maintain_order=True)
    )
    out = first.select(KEY).unique(maintain_order=True)

    def pick(kind: str, **cols: str) -> pl.DataFrame:
        part = first.filter(pl.col("kind") == kind)
        return part.select(*KEY, *[pl.col(src).alias(dst) for dst, src in cols.items()])

    for part in (
        pick("abn", abn="id_value"),
        pick("acn", acn="id_value"),
        pick("nzbn", nzbn="id_value"),
        pick("tfn", tfn_hash="id_hash", tfn_last3="id_last3", tfn_valid="is_valid"),
        pick("ird", ird_hash="id_hash", ird_last3="id_last3", ird_valid="is_valid"),
    ):
        out = out.join(part, on=KEY, how="left", maintain_order="left")
    return out.select(*KEY, *WIDE_COLUMNS).cast({c: schema.CLIENT[c] for c in WIDE_COLUMNS})


def with_identifiers(client: pl.DataFrame, ident: pl.DataFrame) -> pl.DataFrame:
    """The client frame (PRACTICE and CLIENT) with its identifier columns filled from `ident`, in CLIENT order."""
    joined = client.drop(WIDE_COLUMNS).join(wide(ident), on=KEY, how="left", maintain_order="left")
    return joined.select(PRACTICE, *schema.CLIENT.names())
