"""Settings refuse placeholder secrets in production."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from yibao.settings import Settings


def test_production_refuses_the_development_secret() -> None:
    with pytest.raises(ValidationError) as info:
        Settings(env="production", admin_password="a-real-password-123")
    assert "YIBAO_SECRET_KEY" in str(info.value)


def test_production_refuses_the_default_admin_password() -> None:
    with pytest.raises(ValidationError) as info:
        Settings(env="production", secret_key="s" * 40)
    assert "YIBAO_ADMIN_PASSWORD" in str(info.value)


def test_production_accepts_real_secrets() -> None:
    settings = Settings(env="production", secret_key="s" * 40, admin_password="a-real-password-123")
    assert settings.env == "production"


def test_development_has_a_usable_default() -> None:
    assert Settings(env="development").database_url.startswith("sqlite:///")
