"""The canonical staging shape: every landing-zone reader yields frames with exactly these schemas.

Keys: (practice_id, source, source_client_id), source in xpm / hq / tax.
Only identifiers from public registers leave the readers in clear (landing.identifiers.PUBLIC_KINDS):
every other identifier, and every secret custom field, arrives as an HMAC under the operator's key
(``*_hash``), its last three characters (``*_last3``) and, where a check exists, a check-digit verdict.
"""

from __future__ import annotations

import polars as pl

S, B, D, TS, I = pl.String, pl.Boolean, pl.Date, pl.Datetime("us"), pl.Int64

PRACTICE = pl.Schema(
    {
        "practice_id": S,
        "name": S,
        "region": S,  # AU NZ UK US ROW
        "uses_xpm": B,
        "uses_tax": B,
        "connection": S,  # none unconfirmed confirmed
        "connected_by": S,
        "master_admin": S,
        "strategy": S,  # keep_xpm keep_hq combine or null
        "wave": I,
    }
)

CLIENT = pl.Schema(
    {
        "practice_id": S,
        "source": S,  # xpm hq tax
        "source_client_id": S,  # XPM UUID, HQ id, Tax client_code
        "name": S,  # XPM Name / HQ displayName / Tax client_name
        "legal_name": S,  # HQ legalName
        "client_type": S,  # HQ type PERSON / ORGANISATION (null elsewhere)
        "business_structure": S,  # XPM BusinessStructure / HQ businessStructure / Tax entity_type
        "title": S,
        "first_name": S,
        "other_name": S,
        "last_name": S,
        "date_of_birth": D,
        "email": S,
        "phone": S,
        "mobile": S,
        "fax": S,
        "website": S,
        "address_line1": S,  # street address (XPM Address, HQ address.line1)
        "address_line2": S,
        "city": S,
        "region": S,
        "postcode": S,
        "country": S,
        "postal_line1": S,  # postal address (XPM Postal*, Tax postal_*)
        "postal_city": S,
        "postal_region": S,
        "postal_postcode": S,
        "postal_country": S,
        # identifiers, first of each kind; every identifier is also in IDENTIFIER
        "abn": S,
        "acn": S,  # AU ACN or NZ company number
        "nzbn": S,
        "tfn_hash": S,
        "tfn_last3": S,
        "tfn_valid": B,
        "ird_hash": S,
        "ird_last3": S,
        "ird_valid": B,
        "gst_registered": B,
        "is_prospect": B,
        "archived": B,
        "account_manager_id": S,
        "account_manager_name": S,
        "xpm_client_uuid": S,  # Tax: the XPM client Xero Tax already knows
        "updated_at": TS,  # HQ updatedAt
        "record_no": I,  # 1-based position of the record in its file (line for CSV)
        "source_file": S,  # file name inside the practice folder
        "raw_hash": S,  # HMAC of the raw record's SHA-256, for lineage (keyed: the record holds tax numbers)
    }
)

IDENTIFIER = pl.Schema(
    {
        "practice_id": S,
        "source": S,
        "source_client_id": S,
        "id_type": S,  # canonical kind: ABN ACN ARBN NZBN NZCN UKCRN CRN TFN IRD UTR EIN SSN TAX ... (any other)
        "id_value": S,  # canonical value, ONLY for public-register kinds; NULL for every other kind
        "id_hash": S,  # HMAC-SHA256(key, kind ":" canonical value), for every kind
        "id_last3": S,  # last three characters of the canonical value
        "is_valid": B,  # check digits pass (NULL where no check exists)
        # what the number may be a slip of (landing.identifiers.slip_messages), as keyed hashes cut to NEAR_CHARS
        # hex characters, space-separated; NULL for a number whose check digits pass
        "id_near": S,
    }
)
NEAR_CHARS = 16  # of an HMAC's hex, for id_near (and an id_hash compared with it)

CONTACT = pl.Schema(
    {
        "practice_id": S,
        "source": S,
        "source_client_id": S,
        "contact_id": S,
        "is_primary": B,
        "name": S,
        "salutation": S,
        "addressee": S,
        "email": S,
        "phone": S,
        "mobile": S,
        "position": S,
    }
)

GROUP_MEMBER = pl.Schema(
    {"practice_id": S, "source": S, "source_client_id": S, "group_id": S, "group_name": S}
)

RELATIONSHIP = pl.Schema(
    {
        "practice_id": S,
        "source": S,
        "source_client_id": S,
        "relationship_id": S,
        "relationship_type": S,
        "related_client_id": S,  # same source's id of the other client
        "related_client_name": S,
    }
)

CUSTOM_FIELD = pl.Schema(
    {
        "practice_id": S,
        "source": S,
        "source_client_id": S,
        "field_id": S,
        "field_name": S,
        "value_type": S,  # text number date boolean
        "value": S,  # NULL when is_secret
        "value_hash": S,  # HMAC of a secret value's letters and digits (landing.freetext)
        "value_last3": S,
        "is_secret": B,  # named like a secret (TFN, bank account...) or holds a valid TFN / IRD number
    }
)

ORG_LINK = pl.Schema(
    {"practice_id": S, "source": S, "source_client_id": S, "organisation_id": S, "organisation_name": S}
)

SYNC_LINK = pl.Schema(
    {
        "practice_id": S,
        "xpm_client_uuid": S,
        "hq_client_id": S,
        "linked_at": TS,
        "last_synced_at": TS,
        "state": S,  # active paused
        "record_no": I,
    }
)

# staging table name -> schema; the loader creates stg_<name> from these
STAGING: dict[str, pl.Schema] = {
    "practice": PRACTICE,
    "client": CLIENT,
    "identifier": IDENTIFIER,
    "contact": CONTACT,
    "group_member": GROUP_MEMBER,
    "relationship": RELATIONSHIP,
    "custom_field": CUSTOM_FIELD,
    "org_link": ORG_LINK,
    "sync_link": SYNC_LINK,
}


def empty(schema: pl.Schema) -> pl.DataFrame:
    """An empty frame of one staging shape."""
    return pl.DataFrame(schema=schema)
