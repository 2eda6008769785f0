"""Settings, read from the environment only (architecture §2).

Variables:
  CARELOOP_HOME        where the SQLite file, reports and media live (default ./var)
  DATABASE_URL         e.g. postgres://postgres@127.0.0.1:5432/test; SQLite when unset
  CARELOOP_ENV         "development" (default) or "production"
  CARELOOP_SECRET_KEY  required in production
  CARELOOP_FIELD_KEY   Fernet key(s) for secrets at rest (TOTP keys), newest first, comma-
                       separated; required in production (development: derived from SECRET_KEY)
  CARELOOP_DEBUG       "1" to enable debug pages (refused in production)
  CARELOOP_ALLOWED_HOSTS comma-separated
  CARELOOP_TLS         "1" when served over TLS: secure cookies, HSTS
  CARELOOP_IDLE_TIMEOUT_SECONDS idle session timeout (default 900)
  CARELOOP_BREAK_GLASS_MINUTES  how long break-the-glass access lasts (default 60)
  CARELOOP_REAUTH_SECONDS       how recent a sign-in sensitive actions need (default 300)
  CARELOOP_CREDENTIAL_WARNING_DAYS warn this many days before a credential expires (default 60)
  CARELOOP_ANALYTICS_MEMORY_LIMIT  DuckDB memory_limit of analytics runs, e.g. "3GB" (it spills
                       to disk beyond; default DuckDB's own, 80% of the machine's memory)
"""

from __future__ import annotations

import base64
import hashlib
import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
HOME = Path(os.environ.get("CARELOOP_HOME", Path.cwd() / "var")).resolve()

ENV = os.environ.get("CARELOOP_ENV", "development")
if ENV not in {"development", "production", "test"}:
    raise ImproperlyConfigured(f"CARELOOP_ENV must be development, production or test, got {ENV!r}")
PRODUCTION = ENV == "production"

_DEV_SECRET = "careloop-development-only-secret-key-do-not-use-in-production"
SECRET_KEY = os.environ.get("CARELOOP_SECRET_KEY", _DEV_SECRET)
DEBUG = os.environ.get("CARELOOP_DEBUG", "0") == "1"
if PRODUCTION:
    if SECRET_KEY == _DEV_SECRET or len(SECRET_KEY) < 40:
        raise ImproperlyConfigured(
            "CARELOOP_SECRET_KEY must be set to a random value of 40+ characters in production"
        )
    if DEBUG:
        raise ImproperlyConfigured("CARELOOP_DEBUG must not be on in production")

# Secrets at rest (SEC-012; decision 0010): TOTP keys are Fernet-encrypted with these keys.
FIELD_ENCRYPTION_KEYS = [
    k.strip() for k in os.environ.get("CARELOOP_FIELD_KEY", "").split(",") if k.strip()
]
if not FIELD_ENCRYPTION_KEYS:
    if PRODUCTION:
        raise ImproperlyConfigured(
            "CARELOOP_FIELD_KEY must be set in production (a Fernet key: "
            "python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())')"
        )
    FIELD_ENCRYPTION_KEYS = [
        base64.urlsafe_b64encode(
            hashlib.sha256(f"careloop-field-key:{SECRET_KEY}".encode()).digest()
        ).decode()
    ]
for _key in FIELD_ENCRYPTION_KEYS:
    try:
        if len(base64.urlsafe_b64decode(_key.encode())) != 32:
            raise ValueError
    except ValueError:
        raise ImproperlyConfigured(
            "CARELOOP_FIELD_KEY holds a value that is not a Fernet key (32 url-safe base64 bytes)"
        ) from None

ALLOWED_HOSTS = [
    h.strip()
    for h in os.environ.get("CARELOOP_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",")
    if h.strip()
]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_tasks",
    "django_tasks_db",
    "django_htmx",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "careloop.audit",
    "careloop.accounts",
    "careloop.clinical",
    "careloop.interop",
    "careloop.population",
    "careloop.billing",
    "careloop.web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "careloop.web.middleware.RequestIdMiddleware",
    "careloop.audit.middleware.AuditContextMiddleware",
    "careloop.web.middleware.IdleTimeoutMiddleware",
    "careloop.web.middleware.LoginRequiredMiddleware",
    "careloop.web.middleware.MfaRequiredMiddleware",
    "axes.middleware.AxesMiddleware",  # last, as django-axes requires
]

ROOT_URLCONF = "careloop.config.urls"
WSGI_APPLICATION = "careloop.config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "careloop.web.context.navigation",
                "careloop.accounts.context.account_notices",
            ],
        },
    }
]

_db_url = os.environ.get("DATABASE_URL", "").strip()
if _db_url:
    DATABASES = {"default": dj_database_url.parse(_db_url, conn_max_age=60)}
else:
    HOME.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(HOME / "careloop.sqlite3"),
            "OPTIONS": {
                "timeout": 30,
                "transaction_mode": "IMMEDIATE",
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # first: refuses locked-out users (SEC-007)
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "web:home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = HOME / "static"

TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}

# Sessions: idle timeout (HIPAA automatic logoff), cookies secure over TLS.
IDLE_TIMEOUT_SECONDS = int(os.environ.get("CARELOOP_IDLE_TIMEOUT_SECONDS", "900"))
SESSION_COOKIE_AGE = 12 * 3600
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
TLS = os.environ.get("CARELOOP_TLS", "1" if PRODUCTION else "0") == "1"
if TLS:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = True
    SECURE_HSTS_SECONDS = 31536000
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Lockout after repeated failures (django-axes): 5 failed passwords or MFA codes for one
# username lock it for 15 minutes; a successful sign-in resets the count.
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = ["username"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked.html"
AXES_VERBOSE = False
# axes.W006 warns that a username-only lockout ignores the IP address: that is the point here
# (an account is locked whichever address the guesses come from; docs/threat-model.md).
SILENCED_SYSTEM_CHECKS = ["axes.W006"]

# TOTP multi-factor (django-otp): the issuer shown in authenticator apps.
OTP_TOTP_ISSUER = "careloop"

# Break the glass (SEC-003), re-authentication (SEC-010), credential expiry warning.
BREAK_GLASS_MINUTES = int(os.environ.get("CARELOOP_BREAK_GLASS_MINUTES", "60"))
BREAK_GLASS_REASON_MIN_LENGTH = 20
REAUTH_MAX_AGE_SECONDS = int(os.environ.get("CARELOOP_REAUTH_SECONDS", "300"))
CREDENTIAL_WARNING_DAYS = int(os.environ.get("CARELOOP_CREDENTIAL_WARNING_DAYS", "60"))

# Population analytics: a bound on DuckDB's memory ("" = DuckDB's default).
ANALYTICS_MEMORY_LIMIT = os.environ.get("CARELOOP_ANALYTICS_MEMORY_LIMIT", "")

# Content-Security-Policy (django-csp 4): same-origin scripts, styles and images only; no
# inline script or style anywhere (htmx's indicator styles are switched off in base.html).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}
