"""Django settings for Dossier. Everything an operator may change comes from DOSSIER_* variables."""

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from dossier.config import (allowed_hosts, data_dir, email_settings, env_bool, env_float, env_int, env_str,
                            keep_files_private, networks, secret_key)

keep_files_private()
DATA_DIR = data_dir()
SECRET_KEY = secret_key(DATA_DIR)
DEBUG = env_bool("DOSSIER_DEBUG", False)
HOST = env_str("DOSSIER_HOST", "127.0.0.1")
PORT = env_int("DOSSIER_PORT", 8000)
DEFAULT_PHONE_REGION = env_str("DOSSIER_DEFAULT_PHONE_REGION", "PL")

# Mail (double opt-in confirmations): SMTP from DOSSIER_EMAIL_URL (smtp://user:password@host:587,
# smtps://... for implicit TLS); without it, each message is a file under <data dir>/mail, so
# `make run` needs no mail server and the operator can read what would have been sent.
EMAIL_BACKEND, EMAIL_FILE_PATH, _smtp = email_settings(env_str("DOSSIER_EMAIL_URL"), DATA_DIR)
globals().update(_smtp)
DEFAULT_FROM_EMAIL = env_str("DOSSIER_EMAIL_FROM", "Dossier <dossier@localhost>")
PUBLIC_URL = (env_str("DOSSIER_PUBLIC_URL") or "").rstrip("/")  # e.g. https://crm.example.com, for links in mail
# Webhooks (dossier.webhooks): targets on private addresses are refused unless allowed (a
# receiver on the same network); each try waits this long for an answer; failures are retried
# with exponential backoff from the base, and a subscription failing this long is disabled.
WEBHOOKS_ALLOW_PRIVATE = env_bool("DOSSIER_WEBHOOKS_ALLOW_PRIVATE", False)
WEBHOOK_TIMEOUT_SECONDS = env_float("DOSSIER_WEBHOOK_TIMEOUT_SECONDS", 5)
WEBHOOK_RETRY_BASE_SECONDS = env_float("DOSSIER_WEBHOOK_RETRY_BASE_SECONDS", 5)
WEBHOOK_DISABLE_AFTER_HOURS = env_float("DOSSIER_WEBHOOK_DISABLE_AFTER_HOURS", 24)
ALLOWED_HOSTS = allowed_hosts(env_str("DOSSIER_ALLOWED_HOSTS"), HOST, PUBLIC_URL)
CONSENT_LINK_DAYS = env_int("DOSSIER_CONSENT_LINK_DAYS", 7)
if CONSENT_LINK_DAYS < 1:
    raise ImproperlyConfigured(f"DOSSIER_CONSENT_LINK_DAYS must be at least 1, got {CONSENT_LINK_DAYS}")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_tasks",
    "django_tasks_db",
    "ninja",  # serves the API docs' Swagger UI from local static files, not a CDN
    "dossier.core",
    "dossier.accounts",
    "dossier.profiles",
    "dossier.activity",
    "dossier.jobs",
    "dossier.imports",
    "dossier.forms",
    "dossier.workflows",
    "dossier.webhooks",
    "dossier.synerise",
]

MIDDLEWARE = [
    "dossier.core.middleware.ClientAddressMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "dossier.core.middleware.RequestIdMiddleware",
    "dossier.core.middleware.ApiErrorsMiddleware",
    "dossier.core.middleware.SecurityHeadersMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "dossier.urls"
WSGI_APPLICATION = "dossier.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],  # each app keeps templates/<app>/; base.html lives in dossier/core/templates
        "APP_DIRS": True,
        "OPTIONS": {
            "builtins": ["dossier.core.templatetags.labels"],
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]


def _database() -> dict:
    url = env_str("DOSSIER_DATABASE_URL")
    test_name = env_str("DOSSIER_TEST_DB_NAME")
    if url:
        config = dj_database_url.parse(url, conn_max_age=60, conn_health_checks=True)
        if test_name:
            config["TEST"] = {"NAME": test_name}
        return config
    # SQLite: WAL so readers never wait for the writer; IMMEDIATE so a write transaction takes
    # the lock at BEGIN (no deadlock-prone lock upgrade); a busy timeout so concurrent writers
    # queue instead of failing with "database is locked".
    return {
        "ENGINE": "django.db.backends.sqlite3",
        # Persistent connections: opening the file and running the PRAGMAs on every request
        # costs more than the request's own queries.
        "CONN_MAX_AGE": 600,
        "NAME": env_str("DOSSIER_SQLITE_PATH") or DATA_DIR / "dossier.sqlite3",
        "OPTIONS": {
            "transaction_mode": "IMMEDIATE",
            "timeout": 30,
            "init_command": (
                "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=30000;"
                " PRAGMA cache_size=-65536; PRAGMA temp_store=MEMORY; PRAGMA foreign_keys=ON;"
            ),
        },
        "TEST": {"NAME": test_name} if test_name else {},
    }


DATABASES = {"default": _database()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

TASKS = {
    "default": {
        "BACKEND": env_str("DOSSIER_TASK_BACKEND", "django_tasks_db.DatabaseBackend"),
        "QUEUES": [],
    }
}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "/login/"
LOGIN_REDIRECT_URL = "/profiles/"
LOGOUT_REDIRECT_URL = "/login/"

LANGUAGE_CODE = "en"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
MEDIA_ROOT = DATA_DIR / "uploads"
FILE_UPLOAD_PERMISSIONS = 0o600
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o700

# Request bodies: 1 MB for JSON and form posts (SPEC §4: /profiles/batch ≤ 1 MB); file uploads
# stream to disk and are not held in memory. They are spooled on the data disk, where they are
# kept (a rename, not a copy), and a full disk refuses the file with a 507 (dossier.core.uploads).
DATA_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
FILE_UPLOAD_TEMP_DIR = MEDIA_ROOT / "incoming"
FILE_UPLOAD_TEMP_DIR.mkdir(parents=True, exist_ok=True)
FILE_UPLOAD_HANDLERS = [
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "dossier.core.uploads.SpaceAwareUploadHandler",
]
# How long an upload no import has used yet (or only dry runs) is kept (dossier.imports.storage).
UPLOAD_RETENTION_HOURS = env_int("DOSSIER_UPLOAD_RETENTION_HOURS", 24)
if UPLOAD_RETENTION_HOURS < 1:
    raise ImproperlyConfigured(f"DOSSIER_UPLOAD_RETENTION_HOURS must be at least 1, got {UPLOAD_RETENTION_HOURS}")
DATA_UPLOAD_MAX_NUMBER_FIELDS = 2000

# Behind HTTPS (DOSSIER_HTTPS=1, normally a reverse proxy terminating TLS that sets
# X-Forwarded-Proto): cookies only over HTTPS, HSTS, plain-HTTP requests redirected. The health
# check stays reachable over plain HTTP for a load balancer probing the app directly.
HTTPS = env_bool("DOSSIER_HTTPS", False)
TRUSTED_PROXIES = networks("DOSSIER_TRUSTED_PROXIES")  # e.g. 127.0.0.1 or 10.0.0.0/8 (dossier.core.middleware)
if HTTPS:
    SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = True
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    SECURE_HSTS_SECONDS = env_int("DOSSIER_HSTS_SECONDS", 365 * 24 * 3600)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DOSSIER_HSTS_INCLUDE_SUBDOMAINS", False)  # the operator's call:
    SECURE_HSTS_PRELOAD = env_bool("DOSSIER_HSTS_PRELOAD", False)  # both bind every subdomain to HTTPS
    CSRF_TRUSTED_ORIGINS = [PUBLIC_URL] if PUBLIC_URL.startswith("https://") else []
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "filters": {"personal_data": {"()": "dossier.core.logfilters.RedactPersonalData"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("DOSSIER_LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}, "django.request": {"filters": ["personal_data"]}},
}

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
