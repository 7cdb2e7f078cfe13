"""Deployment settings, read from the environment (prefix YIBAO_) and an optional .env file."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_SECRET = "dev-only-secret-change-me-0123456789abcdef"
PLACEHOLDER_SECRETS = {"", "changethis", "change-me", "secret", DEV_SECRET}


def _find_reference_dir() -> Path:
    """The national reference data beside the project (../shared/reference) or under the cwd."""
    here = Path(__file__).resolve()
    candidates = [Path.cwd() / "reference", Path.cwd().parent / "shared" / "reference"]
    candidates += [parent.parent / "shared" / "reference" for parent in here.parents]
    for candidate in candidates:
        if (candidate / "nhsa-interface").is_dir():
            return candidate
    return Path.cwd().parent / "shared" / "reference"


class Settings(BaseSettings):
    """What a deployment configures; secrets have no default in production."""

    model_config = SettingsConfigDict(env_prefix="YIBAO_", env_file=".env", extra="ignore")

    env: Literal["development", "test", "production"] = "development"
    database_url: str = "sqlite:///./var/yibao.db"
    secret_key: str = DEV_SECRET
    token_minutes: int = Field(default=480, ge=5, le=7 * 24 * 60)
    reference_dir: Path = Field(default_factory=_find_reference_dir)
    # where the REST API and the console write monitoring exports (one generated folder per export)
    export_dir: Path = Path("./var/exports")
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = Field(1, ge=1, le=64)  # server processes of `yibao serve` (one per core is typical)
    admin_username: str = "admin"
    admin_password: str = "admin12345"

    @model_validator(mode="after")
    def _refuse_placeholder_secrets(self) -> Settings:
        if self.env == "production":
            if self.secret_key in PLACEHOLDER_SECRETS or len(self.secret_key) < 32:
                raise ValueError("YIBAO_SECRET_KEY 在生产模式下必须设置为至少32位的随机值")
            if self.admin_password in {"admin12345", "", "changethis"}:
                raise ValueError("YIBAO_ADMIN_PASSWORD 在生产模式下不能使用默认值")
        return self


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings (read once)."""
    return Settings()
