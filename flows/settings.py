"""One settings model for the whole product; every field can come from `SCR_*` env vars."""

from __future__ import annotations

from datetime import date
from functools import lru_cache
from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


DEMO_HASH_KEY = "scr-demo-key-change-me"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SCR_", env_file=".env", extra="ignore")

    warehouse: Path = Field(Path("scr.duckdb"), description="DuckDB warehouse file")
    landing: Path = Field(Path("landing"), description="landing zone folder")
    # Keyed hash for TFN / IRD numbers: they are matched on this hash, never stored raw.
    hash_key: SecretStr = Field(SecretStr(DEMO_HASH_KEY), description="key for tax-number hashes")
    cutover_date: date = Field(date(2023, 11, 1), description="legacy client sync ends on this date")
    chunk_practices: int = Field(50, ge=1, description="practices per chunk task")
    wait_seconds: float = Field(600, ge=0, description="how long a run waits for another writer to let go of the warehouse")
    model_sample_practices: int = Field(
        300, ge=1, description="practices (first by id, step one done) the match model is fitted on when none is stored"
    )
    small_practice_max: int = Field(10, ge=0, description="a practice with at most this many clients per file consolidates automatically")
    auto_threshold: float = Field(0.995, description="match probability at or above which a link merges without review")
    review_threshold: float = Field(0.5, description="match probability at or above which a link goes to review")


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
