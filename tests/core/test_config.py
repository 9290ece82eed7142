"""Configuration comes from ALMEREPAS_* variables with safe defaults."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from almerepas.config import DEV_SECRET_KEY, ConfigError, load_config


def test_defaults_need_nothing_installed(tmp_path: Path) -> None:
    config = load_config(tmp_path, environ={})
    assert config["DATABASE_URL"] == f"sqlite:///{tmp_path / 'almerepas.sqlite3'}"
    assert config["MIGRATION_DATABASE_URL"] is None  # the db commands then use DATABASE_URL
    assert config["REDIS_URL"] is None
    assert config["REPLICA_DATABASE_URL"] is None  # the reports read DATABASE_URL
    assert config["ENV"] == "development"


def test_production_refuses_to_start_without_a_secret_key(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="ALMEREPAS_SECRET_KEY"):
        load_config(tmp_path, environ={"ALMEREPAS_ENV": "production"})
    with pytest.raises(ConfigError, match="ALMEREPAS_ENCRYPTION_KEY"):
        load_config(
            tmp_path, environ={"ALMEREPAS_ENV": "production", "ALMEREPAS_SECRET_KEY": "s" * 40}
        )
    key = Fernet.generate_key().decode()
    production = {
        "ALMEREPAS_ENV": "production",
        "ALMEREPAS_SECRET_KEY": "s" * 40,
        "ALMEREPAS_ENCRYPTION_KEY": key,
    }
    # Issue 8.11: a BSN's lookup key derived from the session secret would change every BSN
    # hash when that secret is rotated; production names its own.
    with pytest.raises(ConfigError, match="ALMEREPAS_HASH_KEY"):
        load_config(tmp_path, environ=production)
    production["ALMEREPAS_HASH_KEY"] = "h" * 40
    # Issue 10: without a mail server the residents' login codes would only reach the log.
    with pytest.raises(ConfigError, match="ALMEREPAS_SMTP_HOST"):
        load_config(tmp_path, environ=production)
    production["ALMEREPAS_SMTP_HOST"] = "mail.almere.nl"
    # Issue 12: partners are paid from the gemeente's own account, never a made-up default.
    with pytest.raises(ConfigError, match="ALMEREPAS_SEPA_DEBTOR_IBAN"):
        load_config(tmp_path, environ=production)
    config = load_config(
        tmp_path, environ=production | {"ALMEREPAS_SEPA_DEBTOR_IBAN": "NL12BNGH0285010000"}
    )
    assert config["SEPA_DEBTOR_IBAN"] == "NL12BNGH0285010000"
    assert config["SECRET_KEY"] == "s" * 40
    assert config["ENCRYPTION_KEYS"] == [key]
    assert config["HASH_KEY"] == "h" * 40
    assert config["SESSION_COOKIE_SECURE"] is True
    assert (config["SMTP_HOST"], config["SMTP_PORT"]) == ("mail.almere.nl", 25)


def test_environment_variables_are_read(tmp_path: Path) -> None:
    config = load_config(
        tmp_path,
        environ={
            "ALMEREPAS_DATABASE_URL": "postgresql+psycopg://u@db/almerepas",
            "ALMEREPAS_MIGRATION_DATABASE_URL": "postgresql+psycopg://owner@db/almerepas",
            "ALMEREPAS_REDIS_URL": "redis://127.0.0.1:6379/0",
            "ALMEREPAS_MAX_CONTENT_LENGTH": "1024",
        },
    )
    assert config["DATABASE_URL"] == "postgresql+psycopg://u@db/almerepas"
    assert config["MIGRATION_DATABASE_URL"] == "postgresql+psycopg://owner@db/almerepas"
    assert config["REDIS_URL"] == "redis://127.0.0.1:6379/0"
    assert config["MAX_CONTENT_LENGTH"] == 1024
    assert config["SECRET_KEY"] == DEV_SECRET_KEY


def test_an_unknown_environment_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError):
        load_config(tmp_path, environ={"ALMEREPAS_ENV": "staging"})


def test_the_public_url_is_the_documents_server(tmp_path: Path) -> None:
    """Issue 17: an absolute https server URL in the OpenAPI document, from ALMEREPAS_PUBLIC_URL."""
    default = load_config(tmp_path, environ={})["API_SPEC_OPTIONS"]
    assert default["servers"][0]["url"] == "https://almerepas.almere.nl/api/v1"
    local = load_config(tmp_path, environ={"ALMEREPAS_PUBLIC_URL": "http://localhost:5000/"})
    assert local["API_SPEC_OPTIONS"]["servers"][0]["url"] == "http://localhost:5000/api/v1"
    assert local["API_SPEC_OPTIONS"]["externalDocs"]["url"].endswith("/api/v1/changelog")
    production = {
        "ALMEREPAS_ENV": "production",
        "ALMEREPAS_SECRET_KEY": "s" * 40,
        "ALMEREPAS_ENCRYPTION_KEY": Fernet.generate_key().decode(),
        "ALMEREPAS_HASH_KEY": "h" * 40,
        "ALMEREPAS_SMTP_HOST": "mail.almere.nl",
        "ALMEREPAS_SEPA_DEBTOR_IBAN": "NL12BNGH0285010000",
        "ALMEREPAS_PUBLIC_URL": "http://almerepas.almere.nl",
    }
    with pytest.raises(ConfigError, match="ALMEREPAS_PUBLIC_URL"):
        load_config(tmp_path, environ=production)


def test_a_read_replica_must_be_postgresql(tmp_path: Path) -> None:
    replica = "postgresql+psycopg://reports@standby.internal/almerepas"
    config = load_config(
        tmp_path,
        environ={"ALMEREPAS_REPLICA_DATABASE_URL": replica, "ALMEREPAS_REPLICA_MAX_LAG": "120"},
    )
    assert (config["REPLICA_DATABASE_URL"], config["REPLICA_MAX_LAG"]) == (replica, 120)
    assert load_config(tmp_path, environ={})["REPLICA_MAX_LAG"] == 60
    with pytest.raises(ConfigError, match="ALMEREPAS_REPLICA_DATABASE_URL"):
        load_config(tmp_path, environ={"ALMEREPAS_REPLICA_DATABASE_URL": "sqlite:///copy.db"})


def test_the_staff_issuer_fits_the_column_every_sso_account_keeps_it_in(tmp_path: Path) -> None:
    """staff_user.sso_issuer is 255 characters: a longer issuer would fail at the first login."""
    fits = "https://login.example/" + "t" * 233
    environ = {"ALMEREPAS_STAFF_OIDC_ISSUER": fits}
    assert load_config(tmp_path, environ=environ)["STAFF_OIDC_ISSUER"] == fits
    with pytest.raises(ConfigError, match="at most 255"):
        load_config(tmp_path, environ={"ALMEREPAS_STAFF_OIDC_ISSUER": fits + "t"})
