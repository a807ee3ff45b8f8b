"""One settings model for the whole product; every field can come from `SCR_*` env vars."""

from __future__ import annotations

import getpass
import os
from datetime import date
from functools import lru_cache
from pathlib import Path

from pydantic import Field, SecretStr, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from landing.secrets import MIN_KEY_LENGTH, HashKey, read_zone_key

HOW_TO_SET_KEY = (
    "set SCR_HASH_KEY to a secret of at least {n} random characters, or SCR_HASH_KEY_FILE to a file holding one "
    "(e.g. `python -c 'import secrets; print(secrets.token_urlsafe(32))' > scr-hash.key`); keep it safe: "
    "every hash in the warehouse depends on it"
).format(n=MIN_KEY_LENGTH)


class HashKeyMissing(RuntimeError):
    """No usable hash key: a run on real data refuses to start (the message says how to set one, never a key)."""


class SettingsInvalid(ValueError):
    """An SCR_ setting from the environment that cannot be used (bad environment: exit 2). The message names each
    variable and what it takes, never its value (it may be a key)."""


class Settings(BaseSettings):
    # an empty variable (`SCR_WAREHOUSE=`) is unset, as the CLI's options take it: not the current folder
    model_config = SettingsConfigDict(env_prefix="SCR_", env_file=".env", extra="ignore", env_ignore_empty=True)

    warehouse: Path = Field(Path("scr.duckdb"), description="DuckDB warehouse file")
    landing: Path = Field(Path("landing"), description="landing zone folder")
    # The HMAC key every secret identifier is stored under; never a flow or task parameter, never logged.
    hash_key: SecretStr | None = Field(None, description="HMAC key for identifiers (SCR_HASH_KEY)")
    hash_key_file: Path | None = Field(None, description="file holding the HMAC key (SCR_HASH_KEY_FILE)")
    cutover_date: date = Field(date(2023, 11, 1), description="legacy client sync ends on this date")
    chunk_practices: int = Field(500, ge=1, description="at most this many practices per chunk task")
    chunk_records: int = Field(
        40_000, ge=1, description="at most this many (estimated) source records per chunk task: bounds a chunk's memory"
    )
    chunks_ahead: int = Field(
        3, ge=1, description="chunk tasks in flight or waiting for the writer at once: bounds a wave's memory "
        "(raise it with more workers, e.g. a Dask cluster)"
    )
    snapshot_seconds: float = Field(
        30, ge=0, description="during a wave, the analysts' snapshot is published once this many seconds have passed "
        "since the last publish, after a commit or while waiting for the next chunk (0: after every commit); "
        "always when the run ends"
    )
    parse_processes: int = Field(
        default_factory=lambda: 2 if (os.cpu_count() or 1) >= 2 else 0, ge=0,
        description="processes that parse a wave's landing files beside the flow's threads (0: parse in the chunk's "
        "own thread; default 2, or 0 on a single core); on the 2-core machine 2 was 3-7% faster at 100k to 1M "
        "records, for a 0.4 GB higher peak of the process tree (benchmarks/HISTORY.md)",
    )
    gate_process: bool = Field(
        default_factory=lambda: (os.cpu_count() or 1) >= 2,
        description="the quality gate validates in a process of its own, which imports Great Expectations beside the "
        "wave's chunk threads (default on with two cores or more; off: in the chunks' threads)",
    )
    wait_seconds: float = Field(600, ge=0, description="how long a run waits for another writer to let go of the warehouse")
    model_sample_practices: int = Field(
        300, ge=1, description="practices (first by id, step one done) the match model is fitted on when none is stored"
    )
    model_sample_practice_records: int = Field(
        5000, ge=1, description="a practice estimated larger than this many source records is left out of the model's "
        "sample (it would make most of the sample, and the fit's time, on its own)"
    )
    small_practice_max: int = Field(10, ge=0, description="a practice with at most this many clients per file consolidates automatically")
    auto_threshold: float | None = Field(
        None, description="match probability at or above which a link merges without review (default: the model's own, "
        "chosen to keep expected precision at 0.999)"
    )
    review_threshold: float = Field(
        0.5, description="the lowest match probability at which a link goes to review; the model may raise it "
        "(it keeps the review load on its fitting sample within a budget, transforms/threshold.py)"
    )


def from_dotenv(folder: Path | str = ".") -> list[str]:
    """The SCR_ settings this process takes from the `.env` file in the current folder (as Settings reads it): those the
    environment does not set itself. Names only: a value may be a key."""
    path = Path(folder) / ".env"
    if not path.is_file():
        return []
    from dotenv import dotenv_values  # pydantic-settings reads .env with python-dotenv

    try:
        names = [k for k, v in dotenv_values(path).items() if k.upper().startswith("SCR_") and v not in (None, "")]
    except (OSError, UnicodeDecodeError):
        return []
    return sorted(k.upper() for k in names if not os.environ.get(k.upper()) and not os.environ.get(k))


def acting(by: str | None) -> str:
    """Who acts: `by`, else SCR_OPERATOR, else the login name (a deployment's worker's); stripped, maybe empty."""
    return (by or os.environ.get("SCR_OPERATOR") or getpass.getuser()).strip()


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The settings from the environment; SettingsInvalid naming the variables that cannot be used."""
    try:
        return Settings()
    except ValidationError as exc:
        wrong = "; ".join(f"SCR_{'_'.join(map(str, e['loc'])).upper()}: {e['msg']}" for e in exc.errors(include_input=False))
        raise SettingsInvalid(f"{wrong} (set it as flows/settings.py describes, or unset it)") from None


def _operator_key(s: Settings) -> HashKey | None:
    if s.hash_key is not None and s.hash_key_file is not None:
        raise HashKeyMissing("both SCR_HASH_KEY and SCR_HASH_KEY_FILE are set: set only one")
    if s.hash_key is not None:
        secret, origin = s.hash_key.get_secret_value().strip(), "SCR_HASH_KEY"
    elif s.hash_key_file is not None:
        try:
            secret = Path(s.hash_key_file).read_text(encoding="utf-8-sig").strip()  # a byte-order mark (Notepad) is not the key's (QA7)
        except OSError as exc:
            raise HashKeyMissing(f"cannot read SCR_HASH_KEY_FILE {s.hash_key_file}: {exc.strerror or exc}") from None
        except UnicodeDecodeError as exc:
            # its position only: the error's own text quotes the file's bytes, the key (QA: a UTF-16 key file ended
            # the command with that traceback, exit 1)
            raise HashKeyMissing(
                f"SCR_HASH_KEY_FILE {s.hash_key_file} is not UTF-8 text (byte {exc.start}): save the key as UTF-8, "
                f"e.g. as `python -c 'import secrets; print(secrets.token_urlsafe(32))'` writes it"
            ) from None
        origin = f"SCR_HASH_KEY_FILE ({s.hash_key_file})"
    else:
        return None
    if len(secret) < MIN_KEY_LENGTH:
        # never echo the key: its length is all the message says
        raise HashKeyMissing(f"the hash key from {origin} is too short ({len(secret)} characters): {HOW_TO_SET_KEY}")
    return HashKey(secret, origin)


def hash_key(landing: Path | str | None = None) -> HashKey:
    """The key to hash with: the operator's (SCR_HASH_KEY / SCR_HASH_KEY_FILE), else a zone's own throwaway key.

    Only a zone `scr generate` made carries a throwaway key; any other zone without an operator key is
    refused (HashKeyMissing). Tasks call this where they run: on a Dask worker the key comes from that
    worker's environment (set SCR_HASH_KEY or SCR_HASH_KEY_FILE there too), never from a task argument.
    """
    s = get_settings()
    key = _operator_key(s)
    if key is None and landing is not None:
        key = read_zone_key(Path(landing))
    if key is None:
        raise HashKeyMissing(f"no hash key for the landing zone {landing or s.landing}: {HOW_TO_SET_KEY}")
    return key
