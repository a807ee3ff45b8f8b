"""Tiny hand-made staging frames and crosswalks for the consolidation tests."""

from __future__ import annotations

from datetime import datetime

import polars as pl

from landing import schema
from landing.frames import Frames
from landing.secrets import HashKey

KEY = HashKey("quality-factory-test-key-" + "x" * 16, "test")
# valid check digits: ABN 51 824 753 556, ACN 004 085 616, TFN 123 456 782
ABN_OK, ABN_OK2, ABN_BAD = "51824753556", "53004085616", "51824753557"
TFN_RAW = "123456782"


def tfn_hash(raw: str) -> str:
    return KEY.digest("TFN:" + raw)


def client(pid: str, source: str, cid: str, name: str, **kw) -> dict:
    row = {c: None for c in schema.CLIENT.names()}
    row.update(practice_id=pid, source=source, source_client_id=cid, name=name, archived=False)
    row.update(kw)
    return row


def frames(clients: list[dict], **extra: list[dict]) -> Frames:
    parts = {"client": pl.DataFrame(clients, schema=schema.CLIENT)}
    for name in Frames.names():
        if name != "client":
            parts[name] = pl.DataFrame(extra.get(name, []), schema=schema.STAGING[name])
    if "identifier" not in extra:
        parts["identifier"] = identifiers_of(parts["client"])
    return Frames(**parts)


def identifiers_of(c: pl.DataFrame) -> pl.DataFrame:
    """The IDENTIFIER rows a reader would emit for the client columns."""
    from landing.identifiers import is_valid

    key = ["practice_id", "source", "source_client_id"]
    parts = []
    for kind, col in [("ABN", "abn"), ("ACN", "acn"), ("NZBN", "nzbn")]:
        f = c.filter(pl.col(col).is_not_null()).select(*key, pl.lit(kind).alias("id_type"), pl.col(col).alias("id_value"))
        parts.append(f.with_columns(id_hash=pl.lit(None, pl.String), id_last3=pl.col("id_value").str.slice(-3),
                                    is_valid=is_valid(f["id_value"], kind)))
    for kind, p in [("TFN", "tfn"), ("IRD", "ird")]:
        f = c.filter(pl.col(f"{p}_hash").is_not_null()).select(
            *key, pl.lit(kind).alias("id_type"), pl.lit(None, pl.String).alias("id_value"),
            pl.col(f"{p}_hash").alias("id_hash"), pl.col(f"{p}_last3").alias("id_last3"), pl.col(f"{p}_valid").alias("is_valid"))
        parts.append(f)
    out = pl.concat(parts, how="vertical_relaxed").with_columns(id_near=pl.lit(None, pl.String))
    return out.cast(schema.IDENTIFIER).select(schema.IDENTIFIER.names())


def crosswalk(rows: list[tuple[str, str, str, str, str]]) -> pl.DataFrame:
    """(practice_id, source, source_client_id, unified_client_id, merge_status) rows."""
    return pl.DataFrame(
        [dict(zip(["practice_id", "source", "source_client_id", "unified_client_id", "merge_status"], r),
              match_probability=None if r[4] == "unique" else 0.999) for r in rows],
        schema={"practice_id": pl.String, "source": pl.String, "source_client_id": pl.String,
                "unified_client_id": pl.String, "merge_status": pl.String, "match_probability": pl.Float64},
    )


def strategies(**by_pid: str) -> pl.DataFrame:
    return pl.DataFrame({"practice_id": list(by_pid), "strategy": list(by_pid.values())})


def practice(pid: str) -> tuple[Frames, pl.DataFrame]:
    """One practice: an XPM/HQ/Tax trio merged, an XPM/HQ pair merged, an HQ loner, a review record."""
    h = tfn_hash(TFN_RAW)
    cs = [
        client(pid, "xpm", "x1", "Smith Family Trust", business_structure="Trust", abn=ABN_BAD, email="bad-email",
               address_line1="1 XPM St", city="Sydney", postcode="2000", tfn_hash=h, tfn_last3="782", tfn_valid=True),
        client(pid, "hq", "h1", "Smith Family Trust (HQ)", client_type="ORGANISATION", abn=ABN_OK, email="smith@example.com",
               address_line1="9 HQ Rd", address_line2="Unit 2", updated_at=datetime(2023, 5, 1), archived=True),
        client(pid, "tax", "t1", "SMITH FAMILY TRUST", business_structure="Trust", postal_line1="PO Box 1", postal_city="Sydney"),
        client(pid, "xpm", "x2", "Jane Doe", business_structure="Individual", first_name="Jane", last_name="Doe", phone="0400"),
        client(pid, "hq", "h2", "Jane Doe", client_type="PERSON", phone="0411", email="jane@example.com",
               updated_at=datetime(2023, 1, 1), archived=True),
        client(pid, "hq", "h3", "Acme Pty Ltd", client_type="ORGANISATION", abn=ABN_OK2),
        client(pid, "xpm", "x4", "Acme Holdings", business_structure="Company"),
    ]
    contacts = [
        dict(practice_id=pid, source="xpm", source_client_id="x1", contact_id="c1", is_primary=True, name="John Smith",
             email="john@example.com"),
        dict(practice_id=pid, source="hq", source_client_id="h1", contact_id="c2", is_primary=False, name="john  smith",
             email="JOHN@example.com"),
        dict(practice_id=pid, source="hq", source_client_id="h1", contact_id="c3", is_primary=False, name="Mary Smith",
             email=None),
    ]
    groups = [
        dict(practice_id=pid, source="xpm", source_client_id="x1", group_id="g1", group_name="Smith Group"),
        dict(practice_id=pid, source="hq", source_client_id="h1", group_id="g9", group_name="smith group"),
        dict(practice_id=pid, source="hq", source_client_id="h2", group_id="g2", group_name="Doe"),
    ]
    fields = [dict(practice_id=pid, source="xpm", source_client_id="x2", field_id="f1", field_name="Referral",
                   value_type="text", value="web")]
    rels = [dict(practice_id=pid, source="xpm", source_client_id="x2", relationship_id="r1", relationship_type="Trustee",
                 related_client_id="x1", related_client_name="Smith Family Trust")]
    orgs = [
        dict(practice_id=pid, source="hq", source_client_id="h1", organisation_id="o1", organisation_name="Smith Org"),
        dict(practice_id=pid, source="tax", source_client_id="t1", organisation_id="o1", organisation_name="Smith Org"),
        dict(practice_id=pid, source="hq", source_client_id="h3", organisation_id="o3", organisation_name="Acme"),
    ]
    f = frames(cs, contact=contacts, group_member=groups, custom_field=fields, relationship=rels, org_link=orgs)
    cw = crosswalk([
        (pid, "xpm", "x1", f"{pid}-u1", "auto"), (pid, "hq", "h1", f"{pid}-u1", "auto"), (pid, "tax", "t1", f"{pid}-u1", "auto"),
        (pid, "xpm", "x2", f"{pid}-u2", "auto"), (pid, "hq", "h2", f"{pid}-u2", "auto"),
        (pid, "hq", "h3", f"{pid}-u3", "review"), (pid, "xpm", "x4", f"{pid}-u3", "review"),
    ])
    return f, cw
