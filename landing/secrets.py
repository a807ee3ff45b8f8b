"""The operator's hash key and keyed hashing (HMAC-SHA256): nothing secret is stored, logged or digested without it.

A `HashKey` never shows its secret: its repr names only where it came from and its fingerprint (an
HMAC of a fixed label, safe to store and print), and it refuses to be pickled, so it cannot travel
as a Prefect parameter, a Dask task argument or a persisted result by accident. Tasks read the key
from settings (the environment) where they run.
"""

from __future__ import annotations

import hmac
import secrets
from pathlib import Path

import polars as pl

__all__ = ["HashKey", "KEYED_COLUMNS", "ZONE_KEY_FILE", "MIN_KEY_LENGTH", "last3", "read_zone_key", "write_zone_key"]

MIN_KEY_LENGTH = 32
# the marker `scr generate` leaves at the root of a zone it made: a random throwaway key for that zone only
ZONE_KEY_FILE = ".scr-throwaway-hash-key"
# every staged or promoted column holding an HMAC under the operator's key: a rekey forgets them all
KEYED_COLUMNS = ("id_hash", "id_near", "tfn_hash", "ird_hash", "raw_hash", "value_hash")
_FINGERPRINT_LABEL = b"single-client-record/hash-key-fingerprint/v1"


class HashKey:
    """The HMAC key; `origin` says where it came from (environment, file, throwaway zone key, ephemeral)."""

    __slots__ = ("_secret", "_prepared", "origin", "fingerprint")

    def __init__(self, secret: str | bytes, origin: str) -> None:
        raw = secret.encode() if isinstance(secret, str) else bytes(secret)
        if not raw:
            raise ValueError("empty hash key")
        self._secret = raw
        # the key schedule, computed once: each message's HMAC starts from a copy of it
        self._prepared = hmac.new(raw, digestmod="sha256")
        self.origin = origin
        self.fingerprint = hmac.digest(raw, _FINGERPRINT_LABEL, "sha256").hex()

    @classmethod
    def ephemeral(cls) -> "HashKey":
        """A random key that lives only in memory: for hashes compared within one process and never stored."""
        return cls(secrets.token_bytes(32), "ephemeral")

    def __repr__(self) -> str:
        return f"HashKey(origin={self.origin!r}, fingerprint={self.fingerprint[:12]})"

    __str__ = __repr__

    def __reduce__(self):
        raise TypeError("a HashKey is never serialised: tasks read the key from settings where they run")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, HashKey) and hmac.compare_digest(self.fingerprint, other.fingerprint)

    def __hash__(self) -> int:
        return hash(self.fingerprint)

    def digest(self, message: str | bytes) -> str:
        """HMAC-SHA256 of one message, hex."""
        data = message.encode() if isinstance(message, str) else message
        return hmac.digest(self._secret, data, "sha256").hex()

    def hash_series(self, messages: pl.Series) -> pl.Series:
        """HMAC-SHA256 of every value (null stays null); computed once per distinct value."""
        distinct = messages.drop_nulls().unique()
        digests = pl.Series([self._hex(m) for m in distinct.to_list()], dtype=pl.String)
        return messages.replace_strict(distinct, digests, default=None, return_dtype=pl.String).alias(messages.name)

    def _hex(self, message: str) -> str:
        h = self._prepared.copy()
        h.update(message.encode())
        return h.hexdigest()


def last3(values: pl.Series) -> pl.Series:
    """Last three characters, as XPM's own API shows a tax number."""
    return values.str.slice(-3).alias(values.name)


def read_zone_key(landing: Path) -> HashKey | None:
    """The throwaway key `scr generate` left in a generated zone, or None for any other zone."""
    path = Path(landing) / ZONE_KEY_FILE
    if not path.is_file():
        return None
    text = path.read_text(encoding="utf-8").strip()
    return HashKey(text, f"throwaway key of a generated zone ({path})") if text else None


def write_zone_key(landing: Path) -> Path:
    """Leave a fresh random throwaway key at the root of a generated zone (never for real data)."""
    path = Path(landing) / ZONE_KEY_FILE
    path.write_text(secrets.token_urlsafe(32) + "\n", encoding="utf-8")
    path.chmod(0o600)
    return path
