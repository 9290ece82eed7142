"""Settings read from ALMEREPAS_* environment variables; nothing else reads os.environ."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from almerepas.core import gemeente as gemeente_data

#: The API's version (semver); every change to it has an entry in almerepas/api/changelog.py.
API_VERSION = "0.5.0"

DEV_SECRET_KEY = "dev-only-not-secret"  # noqa: S105 - refused in production, see load_config


class ConfigError(RuntimeError):
    """The environment does not describe a service that may start."""


def _default_database_url(instance_path: Path) -> str:
    return f"sqlite:///{instance_path / 'almerepas.sqlite3'}"


def _words(text: str) -> list[str]:
    """A list setting: values separated by commas or spaces."""
    return text.replace(",", " ").split()


def load_config(
    instance_path: Path,
    environ: Mapping[str, str] | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Build the Flask config from the environment, safe defaults and test overrides."""
    env = os.environ if environ is None else environ
    overrides = dict(overrides or {})
    environment = overrides.get("ENV", env.get("ALMEREPAS_ENV", "development"))
    if environment not in ("development", "test", "production"):
        raise ConfigError(
            f"ALMEREPAS_ENV must be development, test or production, not {environment!r}"
        )

    secret_key = env.get("ALMEREPAS_SECRET_KEY")
    if not secret_key:
        if environment == "production":
            raise ConfigError(
                "ALMEREPAS_SECRET_KEY is required in production: set it to a long random value"
            )
        secret_key = DEV_SECRET_KEY

    encryption_keys = [
        k.strip() for k in env.get("ALMEREPAS_ENCRYPTION_KEY", "").split(",") if k.strip()
    ]
    if environment == "production" and not encryption_keys:
        raise ConfigError(
            "ALMEREPAS_ENCRYPTION_KEY is required in production: a Fernet key "
            "(python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key())')"
        )

    hash_key = env.get("ALMEREPAS_HASH_KEY") or None
    if environment == "production" and not hash_key:
        raise ConfigError(
            "ALMEREPAS_HASH_KEY is required in production: a long random value of its own, so "
            "that rotating ALMEREPAS_SECRET_KEY does not change every BSN's lookup key "
            "(a planned change: set the new key, then run 'almerepas keys rehash')"
        )

    smtp_host = env.get("ALMEREPAS_SMTP_HOST") or None
    if environment == "production" and not smtp_host:
        raise ConfigError(
            "ALMEREPAS_SMTP_HOST is required in production: without a mail server the login "
            "codes for residents would only be written to the log"
        )

    gemeente_dir = Path(
        overrides.get("GEMEENTE_DIR") or env.get("ALMEREPAS_GEMEENTE_DIR") or gemeente_data.SHIPPED
    )
    try:
        gemeente = gemeente_data.load(gemeente_dir)
    except gemeente_data.GemeenteError as exc:
        raise ConfigError(f"ALMEREPAS_GEMEENTE_DIR: {exc}") from exc

    debtor_iban = env.get("ALMEREPAS_SEPA_DEBTOR_IBAN") or None
    if environment == "production" and not debtor_iban:
        raise ConfigError(
            "ALMEREPAS_SEPA_DEBTOR_IBAN is required in production: the gemeente's own account "
            "that partners are paid from (docs/settlement.md)"
        )

    public_url = env.get("ALMEREPAS_PUBLIC_URL", gemeente.public_url).rstrip("/")
    if environment == "production" and not public_url.startswith("https://"):
        raise ConfigError(
            "ALMEREPAS_PUBLIC_URL must be an https URL in production: where clients reach the "
            f"service (the OpenAPI document's server), not {public_url!r}"
        )

    local_staff_login = env.get("ALMEREPAS_LOCAL_STAFF_LOGIN", "on")
    if local_staff_login not in ("on", "off"):
        raise ConfigError(
            f"ALMEREPAS_LOCAL_STAFF_LOGIN must be on or off, not {local_staff_login!r}"
        )
    staff_issuer = env.get("ALMEREPAS_STAFF_OIDC_ISSUER") or None
    if staff_issuer is not None and len(staff_issuer) > 255:
        raise ConfigError(
            "ALMEREPAS_STAFF_OIDC_ISSUER must be at most 255 characters: each account made "
            "through it keeps it (staff_user.sso_issuer)"
        )
    if local_staff_login == "off" and not staff_issuer:
        raise ConfigError(
            "ALMEREPAS_LOCAL_STAFF_LOGIN=off needs ALMEREPAS_STAFF_OIDC_ISSUER: without a "
            "password login and without the gemeente's identity provider nobody can log in"
        )

    replica_url = env.get("ALMEREPAS_REPLICA_DATABASE_URL") or None
    if replica_url is not None and not replica_url.startswith("postgresql"):
        raise ConfigError(
            "ALMEREPAS_REPLICA_DATABASE_URL must be a PostgreSQL URL (a hot standby of the "
            "database), not a SQLite file: leave it unset to read the figures from the database"
        )

    log_format = env.get("ALMEREPAS_LOG_FORMAT") or (
        "json" if environment == "production" else "text"
    )
    if log_format not in ("json", "text"):
        raise ConfigError(f"ALMEREPAS_LOG_FORMAT must be json or text, not {log_format!r}")

    config: dict[str, Any] = {
        "ENV": environment,
        # The gemeente's data folder (docs/gemeente.md) and what was read from it: names,
        # address, bank account, colours, logo, districts, postcodes, schemes, demo data.
        "GEMEENTE_DIR": str(gemeente_dir),
        "GEMEENTE": gemeente,
        # Where clients reach the service: the OpenAPI document's absolute server URL.
        "PUBLIC_URL": public_url,
        "SECRET_KEY": secret_key,
        "DATABASE_URL": env.get("ALMEREPAS_DATABASE_URL") or _default_database_url(instance_path),
        # The schema owner's URL for `almerepas db upgrade|downgrade|check`; none: DATABASE_URL.
        # On PostgreSQL a separate owner leaves the app row rights only (README, Configuration).
        "MIGRATION_DATABASE_URL": env.get("ALMEREPAS_MIGRATION_DATABASE_URL") or None,
        # A PostgreSQL read replica (hot standby) the reports and their CSV files read from
        # (docs/operations.md, "Read replica"); none: they read DATABASE_URL like everything else.
        "REPLICA_DATABASE_URL": replica_url,
        # Seconds a replica may be behind before the pages say its figures may be behind.
        "REPLICA_MAX_LAG": int(env.get("ALMEREPAS_REPLICA_MAX_LAG", 60)),
        # Where the rate limits count (docs/security.md): shared by every worker and server.
        "REDIS_URL": env.get("ALMEREPAS_REDIS_URL") or None,
        # Seconds to wait for PostgreSQL to answer a new connection before the request is a 503.
        "DATABASE_CONNECT_TIMEOUT": int(env.get("ALMEREPAS_DATABASE_CONNECT_TIMEOUT", 5)),
        # How many proxies (nginx) in front set X-Forwarded-For; 0: the peer is the client.
        "TRUSTED_PROXIES": int(env.get("ALMEREPAS_TRUSTED_PROXIES", 0)),
        # Rate limits per client address (per device for scans), in Flask-Limiter's notation.
        "RATELIMIT_ENABLED": env.get("ALMEREPAS_RATE_LIMITS", "on") != "off",
        "RATE_LIMIT_LOGIN": env.get("ALMEREPAS_RATE_LIMIT_LOGIN", "30 per minute; 300 per hour"),
        "RATE_LIMIT_CODES": env.get("ALMEREPAS_RATE_LIMIT_CODES", "10 per minute; 60 per hour"),
        "RATE_LIMIT_SCAN": env.get("ALMEREPAS_RATE_LIMIT_SCAN", "120 per minute"),
        "RATE_LIMIT_CHECK": env.get("ALMEREPAS_RATE_LIMIT_CHECK", "30 per minute"),
        # Single sign-on (docs/login.md): staff through the gemeente's identity provider, roles
        # from a claim through the role map (group=role,...); the local password and TOTP login
        # can be switched off. Residents through a DigiD broker, the BSN in a configured claim.
        "STAFF_OIDC_ISSUER": staff_issuer,
        "STAFF_OIDC_CLIENT_ID": env.get("ALMEREPAS_STAFF_OIDC_CLIENT_ID", ""),
        "STAFF_OIDC_CLIENT_SECRET": env.get("ALMEREPAS_STAFF_OIDC_CLIENT_SECRET", ""),
        "STAFF_OIDC_SCOPE": env.get("ALMEREPAS_STAFF_OIDC_SCOPE", "openid profile email"),
        "STAFF_OIDC_ROLE_CLAIM": env.get("ALMEREPAS_STAFF_OIDC_ROLE_CLAIM", "roles"),
        "STAFF_OIDC_ROLE_MAP": env.get("ALMEREPAS_STAFF_OIDC_ROLE_MAP", ""),
        "STAFF_OIDC_ACR_VALUES": _words(env.get("ALMEREPAS_STAFF_OIDC_ACR_VALUES", "")),
        "LOCAL_STAFF_LOGIN": local_staff_login == "on",
        "RESIDENT_OIDC_ISSUER": env.get("ALMEREPAS_RESIDENT_OIDC_ISSUER") or None,
        "RESIDENT_OIDC_CLIENT_ID": env.get("ALMEREPAS_RESIDENT_OIDC_CLIENT_ID", ""),
        "RESIDENT_OIDC_CLIENT_SECRET": env.get("ALMEREPAS_RESIDENT_OIDC_CLIENT_SECRET", ""),
        "RESIDENT_OIDC_SCOPE": env.get("ALMEREPAS_RESIDENT_OIDC_SCOPE", "openid"),
        "RESIDENT_OIDC_ACR_VALUES": _words(env.get("ALMEREPAS_RESIDENT_OIDC_ACR_VALUES", "")),
        "RESIDENT_OIDC_BSN_CLAIM": env.get("ALMEREPAS_RESIDENT_OIDC_BSN_CLAIM", "bsn"),
        "RESIDENT_OIDC_BSN_PREFIX": env.get("ALMEREPAS_RESIDENT_OIDC_BSN_PREFIX", ""),
        # Logs (docs/operations.md): one JSON line per request, or plain text for a terminal.
        "LOG_FORMAT": log_format,
        # The bearer token Prometheus sends for /metrics; none: /metrics is a 404.
        "METRICS_TOKEN": env.get("ALMEREPAS_METRICS_TOKEN") or None,
        # Fernet keys for personal data at rest, newest first; derived from SECRET_KEY if unset.
        "ENCRYPTION_KEYS": encryption_keys,
        # Key for the keyed hashes used to look up a BSN; required in production, derived from
        # SECRET_KEY elsewhere.
        "HASH_KEY": hash_key,
        # Mail to residents (login codes) goes through this SMTP server (almerepas.outbox);
        # without a host (development, tests) a message is written as a file to MAIL_DROP (the
        # instance folder's mail/ when unset) and the log names only the file.
        "SMTP_HOST": smtp_host,
        "MAIL_DROP": env.get("ALMEREPAS_MAIL_DROP") or None,
        "SMTP_PORT": int(env.get("ALMEREPAS_SMTP_PORT", 25)),
        "SMTP_FROM": env.get("ALMEREPAS_SMTP_FROM", f"{gemeente.pass_name} <{gemeente.mail_from}>"),
        "SMTP_TIMEOUT": float(env.get("ALMEREPAS_SMTP_TIMEOUT", 10)),
        # How a request hands what it queued to the sender once it has committed: on a thread
        # of its own ("thread"), or when the response is closed, in the request's own thread
        # ("close": for the tests' app, whose sessions share one connection no thread may share).
        "OUTBOX_HAND_OVER": "thread",
        # How many days a partner may reverse a redemption (issue 11: default 30).
        "REVERSAL_DAYS": int(env.get("ALMEREPAS_REVERSAL_DAYS", 30)),
        # Outreach (docs/outreach.md): weeks into a period before an unused grant is reminded.
        "OUTREACH_WEEKS": int(env.get("ALMEREPAS_OUTREACH_WEEKS", 8)),
        # Signals for finance (docs/reports.md): when a partner's pattern is listed for a look.
        "SIGNAL_WHOLE_BUDGET_PER_DAY": int(env.get("ALMEREPAS_SIGNAL_WHOLE_BUDGET_PER_DAY", 5)),
        "SIGNAL_EXPIRY_DAYS": int(env.get("ALMEREPAS_SIGNAL_EXPIRY_DAYS", 7)),
        "SIGNAL_BASELINE_DAYS": int(env.get("ALMEREPAS_SIGNAL_BASELINE_DAYS", 28)),
        "SIGNAL_FACTOR": int(env.get("ALMEREPAS_SIGNAL_FACTOR", 3)),
        "SIGNAL_MIN_COUNT": int(env.get("ALMEREPAS_SIGNAL_MIN_COUNT", 10)),
        "SIGNAL_MIN_AMOUNT": int(env.get("ALMEREPAS_SIGNAL_MIN_AMOUNT", 2000_00)),
        "SIGNAL_TWO_PLACES_MINUTES": int(env.get("ALMEREPAS_SIGNAL_TWO_PLACES_MINUTES", 30)),
        # Settlement (docs/settlement.md): the account partners are paid from, the pain.001
        # version (.09; .03 for a bank that wants it), Stripe Connect, and the schedule.
        # The defaults come from the gemeente's data folder ([bank]); the shipped one has a
        # made-up account at BNG Bank, the municipalities' bank.
        "SEPA_DEBTOR_NAME": env.get("ALMEREPAS_SEPA_DEBTOR_NAME", gemeente.bank_name),
        "SEPA_DEBTOR_IBAN": debtor_iban or gemeente.bank_iban,
        "SEPA_DEBTOR_BIC": env.get("ALMEREPAS_SEPA_DEBTOR_BIC", gemeente.bank_bic),
        "SEPA_SCHEMA": env.get("ALMEREPAS_SEPA_SCHEMA", "pain.001.001.09"),
        "STRIPE_API_KEY": env.get("ALMEREPAS_STRIPE_API_KEY") or None,
        "STRIPE_API_BASE": env.get("ALMEREPAS_STRIPE_API_BASE", "https://api.stripe.com"),
        # Partners are paid within this many days of the period's end (issue 12: 14).
        "SETTLEMENT_PAY_DAYS": int(env.get("ALMEREPAS_SETTLEMENT_PAY_DAYS", 14)),
        # Largest request body we accept; anything bigger is a 413 problem.
        "MAX_CONTENT_LENGTH": int(env.get("ALMEREPAS_MAX_CONTENT_LENGTH", 64 * 1024)),
        # Where releases before migration d1e2f3a4b5c6 kept uploaded files: read only by
        # `almerepas uploads import-folder`, which moves them into the database (table upload).
        "UPLOAD_FOLDER": env.get("ALMEREPAS_UPLOAD_FOLDER") or str(instance_path / "uploads"),
        # Privacy (docs/privacy.md): a household's persons are made pseudonyms this many years
        # after the last assessment, pass, grant or use of it (`almerepas privacy erase`).
        "RETENTION_YEARS": int(env.get("ALMEREPAS_RETENTION_YEARS", 7)),
        # The largest evidence file or receipt taken (docs/one-desk.md).
        "UPLOAD_MAX_BYTES": int(env.get("ALMEREPAS_UPLOAD_MAX_BYTES", 5 * 1024 * 1024)),
        "SQLITE_BUSY_TIMEOUT_MS": int(env.get("ALMEREPAS_SQLITE_BUSY_TIMEOUT_MS", 5000)),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": environment == "production",
        # Staff page sessions last one working day, like API tokens (almerepas.auth).
        "PERMANENT_SESSION_LIFETIME": dt.timedelta(hours=8),
        # CSRF: almerepas.staff_views checks every page form; the JSON API uses bearer tokens.
        "WTF_CSRF_CHECK_DEFAULT": False,
        "WTF_CSRF_TIME_LIMIT": 8 * 3600,
        # argon2id cost (almerepas.auth.accounts): RFC 9106, except in the test suite.
        "ARGON2_PROFILE": "cheapest" if environment == "test" else "rfc_9106_low_memory",
        "BABEL_DEFAULT_LOCALE": "nl",
        "BABEL_DEFAULT_TIMEZONE": "Europe/Amsterdam",
        "LANGUAGES": ("nl", "en", "ar"),
        # flask-smorest: where the OpenAPI document and the docs page live.
        "API_TITLE": f"{gemeente.pass_name} API",
        "API_VERSION": API_VERSION,
        "OPENAPI_VERSION": "3.0.3",
        "OPENAPI_URL_PREFIX": "/api/v1",
        "OPENAPI_JSON_PATH": "openapi.json",
        "OPENAPI_SWAGGER_UI_PATH": "docs",
        "OPENAPI_SWAGGER_UI_URL": "/static/swagger-ui/",
        "API_SPEC_OPTIONS": {
            "info": {
                "description": (
                    f"De API van {gemeente.pass_name}, de stadspas van {gemeente.name}. "
                    "Fouten zijn altijd "
                    "application/problem+json (RFC 9457) met een vaste `code`. Wat er per "
                    "versie veranderde staat in GET /changelog; een operatie die verdwijnt is "
                    "`deprecated` en stuurt de headers Deprecation en Sunset."
                ),
                "contact": {
                    "name": f"Team {gemeente.pass_name}",
                    "url": f"{gemeente.public_url}/ontwikkelaars",
                    "email": gemeente.api_contact,
                },
                "license": {"name": "EUPL-1.2"},
            },
        },
    }
    config.update(overrides)
    # The document's absolute server URL, and (ADR /core/changelog) the changelog published
    # with it, follow PUBLIC_URL; set after the overrides, so a test's PUBLIC_URL counts.
    base = f"{config['PUBLIC_URL']}/api/v1"
    config["API_SPEC_OPTIONS"] = {
        "servers": [{"url": base, "description": f"{gemeente.pass_name} API versie 1"}],
        "externalDocs": {
            "description": "Wat er in elke versie van de API is veranderd",
            "url": f"{base}/changelog",
        },
        **config["API_SPEC_OPTIONS"],
    }
    return config
