"""Settings for the issue tracker, read from the environment (12-factor).

No environment at all gives the embedded defaults: SQLite in the project folder,
a filesystem Celery broker that needs no server, console email and DEBUG on.
`DATABASE_URL` and `REDIS_URL` switch to PostgreSQL and Redis. Every variable
is listed with its default in `.env.example`.
"""

import os
import re
from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

_TRUE = {"1", "true", "on"}
_FALSE = {"0", "false", "off", ""}


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default).strip()


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be one of 1/0, true/false, on/off; got {raw!r}.")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be an integer; got {raw!r}.") from None


def env_list(name: str, default: list[str] | None = None) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return list(default or [])
    return [item.strip() for item in raw.split(",") if item.strip()]


def mailer_from_url(url: str) -> dict:
    """Turn EMAIL_URL into a MAILERS entry.

    console: (default), locmem:, dummy:, or smtp://user:password@host:port
    with ?tls=1 (STARTTLS), ?ssl=1 and ?timeout=seconds.
    """
    parts = urlsplit(url)
    simple = {
        "console": "django.core.mail.backends.console.EmailBackend",
        "locmem": "django.core.mail.backends.locmem.EmailBackend",
        "dummy": "django.core.mail.backends.dummy.EmailBackend",
    }
    if parts.scheme in simple:
        return {"BACKEND": simple[parts.scheme]}
    if parts.scheme not in {"smtp", "smtps"}:
        raise ImproperlyConfigured(
            "EMAIL_URL must start with console:, locmem:, dummy:, smtp:// or smtps://; "
            f"got {url!r}."
        )
    query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
    options = {
        "host": parts.hostname or "localhost",
        "port": parts.port or (465 if parts.scheme == "smtps" else 25),
        "username": unquote(parts.username or ""),
        "password": unquote(parts.password or ""),
        "use_tls": query.get("tls", "0").lower() in _TRUE,
        "use_ssl": parts.scheme == "smtps" or query.get("ssl", "0").lower() in _TRUE,
        "timeout": int(query.get("timeout", "10")),
    }
    return {"BACKEND": "django.core.mail.backends.smtp.EmailBackend", "OPTIONS": options}


DEBUG = env_bool("DEBUG", True)

SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = "dev-only-insecure-key-set-SECRET_KEY-in-production"  # noqa: S105 (DEBUG only)  # nosec B105

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"] if DEBUG else [])
if not DEBUG and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS must be set when DEBUG is off.")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.postgres",
    "django_filters",
    "django_htmx",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "accounts",
    "issues",
    "notifications",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    # Database down: 503 with Retry-After instead of a 500 (issuetracker/resilience.py).
    "issuetracker.resilience.DatabaseUnavailableMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "accounts.audit.AuditMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
]

ROOT_URLCONF = "issuetracker.urls"
WSGI_APPLICATION = "issuetracker.wsgi.application"
ASGI_APPLICATION = "issuetracker.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "accounts.context_processors.nav",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=env_int("DB_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # SQLite is the embedded default: WAL lets the web server and the Celery
    # worker read while one of them writes; IMMEDIATE avoids upgrade deadlocks.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # JIT compiles only plans over jit_above_cost: here, the year-long team reports. At
    # 1,000,000 issues each report ran 20-140 ms faster without it (compiling cost more
    # than it saved). An `options` given in DATABASE_URL wins.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("options", "-c jit=off")
    if env_bool("DB_PREPARED_STATEMENTS", True):
        # Parameters bound on the server, and a statement the connection runs a second
        # time prepared (psycopg keeps the 100 latest per connection): PostgreSQL then
        # keeps its plan instead of making it again, which was half of its CPU on the
        # issue and list pages (issue page 1.18 -> 0.38 ms per request). The year-long
        # reports bind on the client and are planned for their values each time
        # (issues/reports.py). Off for a pooler that cannot carry prepared statements
        # across its connections (PgBouncer in transaction mode before 1.21).
        DATABASES["default"]["OPTIONS"].setdefault("server_side_binding", True)
        DATABASES["default"]["OPTIONS"].setdefault("prepare_threshold", 2)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["accounts.backends.UsernameOrEmailBackend"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = env_str("TIME_ZONE", "UTC")
# The app speaks English only (issues/humane.py says the same of its dates). With
# translation on, every gettext, date and number format looked up the active language
# through a context-local: ~400 lookups per list page, 10% of its CPU, to find en-us.
USE_I18N = False
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"
# Without collectstatic (development, tests), WhiteNoise serves straight from the apps.
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env_str("MEDIA_ROOT") or BASE_DIR / "var" / "media")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        # Manifest storage needs collectstatic, which only the production image runs.
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if env_bool("STATIC_MANIFEST", False)
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

# Attachments: stored under MEDIA_ROOT, served only to team members by issues views.
ATTACHMENT_MAX_BYTES = env_int("ATTACHMENT_MAX_BYTES", 10 * 1024 * 1024)
# The type is sniffed from the bytes (text/plain: valid UTF-8 without control bytes).
ATTACHMENT_CONTENT_TYPES = env_list(
    "ATTACHMENT_CONTENT_TYPES",
    [
        "image/png",
        "image/jpeg",
        "image/gif",
        "image/webp",
        "application/pdf",
        "application/zip",
        "text/plain",
    ],
)

# Email intake (`manage.py mail_intake`): the SMTP server that turns mail into issues.
INTAKE_SMTP_HOST = env_str("INTAKE_SMTP_HOST", "127.0.0.1")
INTAKE_SMTP_PORT = env_int("INTAKE_SMTP_PORT", 2525)
INTAKE_MAX_BYTES = env_int("INTAKE_MAX_BYTES", 25 * 1024 * 1024)

# Email: EMAIL_URL picks the backend (console by default, so a fresh clone prints mail).
# With DEBUG off it must be set: a production tracker whose mail goes nowhere forgets people.
# Use EMAIL_URL=dummy: to switch mail off on purpose.
_email_url = env_str("EMAIL_URL")
if not _email_url and not DEBUG:
    raise ImproperlyConfigured("EMAIL_URL must be set when DEBUG is off (dummy: turns mail off).")
MAILERS = {"default": mailer_from_url(_email_url or "console:")}
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Issue tracker <tracker@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Redis, when configured, is both the Celery broker and the cache.
REDIS_URL = env_str("REDIS_URL")
VAR_DIR = BASE_DIR / "var"
if REDIS_URL:
    CACHES = {
        "default": {
            # Only counters live here (throttles): with Redis down the cache misses at once
            # instead of failing requests (issuetracker/resilience.py).
            "BACKEND": "issuetracker.resilience.FailOpenRedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 2, "retry_seconds": 5},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# A change queues a notification task only when none is due yet (a flag in the cache):
# that needs a cache every process shares. With the per-process cache each change queues
# its own task (notifications/services.py: claim_wakeup).
NOTIFY_SHARED_WAKEUP = bool(REDIS_URL)
# Sessions are read from the cache (no query per request) when the cache is shared by
# every process (Redis); a per-process cache would keep a signed-out session alive in
# the other processes, so without Redis they stay in the database.
SESSION_ENGINE = env_str(
    "SESSION_ENGINE",
    "django.contrib.sessions.backends.cached_db"
    if REDIS_URL
    else "django.contrib.sessions.backends.db",
)

CELERY_BROKER_URL = env_str("CELERY_BROKER_URL") or REDIS_URL or "filesystem://"
if CELERY_BROKER_URL.startswith("filesystem://"):
    _broker_dir = VAR_DIR / "broker"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }
    for _sub in ("queue", "processed", "control"):
        (_broker_dir / _sub).mkdir(parents=True, exist_ok=True)
else:
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": 3600,
        "socket_connect_timeout": 2,
        "socket_timeout": 5,
    }
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Publishing happens after commit inside a request: fail fast rather than hang on a dead broker.
CELERY_BROKER_CONNECTION_TIMEOUT = 3
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 2,
    "interval_start": 0,
    "interval_step": 0.5,
    "interval_max": 1,
}
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_TASK_IGNORE_RESULT = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_TIMEZONE = TIME_ZONE
# A worker keeps its database connection for this many tasks (Celery's Django fixup
# otherwise opens a new one for every task: a PostgreSQL backend start per task).
CELERY_DB_REUSE_MAX = env_int("CELERY_DB_REUSE_MAX", 100)
CELERY_BEAT_SCHEDULE = {
    "sweep-stale-issues": {
        "task": "notifications.tasks.sweep_stale_issues",
        "schedule": timedelta(minutes=env_int("STALE_SWEEP_MINUTES", 5)),
    },
    "drain-outbox": {
        "task": "notifications.tasks.drain_outbox",
        "schedule": timedelta(seconds=env_int("OUTBOX_DRAIN_SECONDS", 30)),
    },
    # Emails whose task was lost (worker killed, broker down) or gave up are queued again.
    "requeue-unsent-emails": {
        "task": "notifications.tasks.requeue_unsent_emails",
        "schedule": timedelta(seconds=env_int("OUTBOX_DRAIN_SECONDS", 30)),
    },
    "expire-idempotency-keys": {
        "task": "issues.tasks.expire_idempotency_keys",
        "schedule": timedelta(hours=1),
    },
    "send-digests": {
        "task": "notifications.tasks.send_digests",
        "schedule": crontab(hour=env_int("DIGEST_HOUR", 7), minute=0),
    },
}
# An email claimed by a worker but not marked sent after this many seconds belongs to a
# worker that died: it is sent again. Keep it above the SMTP timeout (EMAIL_URL ?timeout=).
EMAIL_CLAIM_TIMEOUT_SECONDS = env_int("EMAIL_CLAIM_TIMEOUT_SECONDS", 300)
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")

# Webhooks (notifications/webhooks.py): how long to wait for a receiver, attempts per
# delivery (retried after WEBHOOK_RETRY_SECONDS, doubling), and how many deliveries in a
# row may give up before the webhook is disabled and the team's admins are told.
WEBHOOK_TIMEOUT_SECONDS = env_int("WEBHOOK_TIMEOUT_SECONDS", 5)
WEBHOOK_MAX_ATTEMPTS = env_int("WEBHOOK_MAX_ATTEMPTS", 6)
WEBHOOK_RETRY_SECONDS = env_int("WEBHOOK_RETRY_SECONDS", 30)
WEBHOOK_FAILURE_THRESHOLD = env_int("WEBHOOK_FAILURE_THRESHOLD", 10)
_webhook_numbers = (WEBHOOK_TIMEOUT_SECONDS, WEBHOOK_MAX_ATTEMPTS, WEBHOOK_RETRY_SECONDS)
if min(*_webhook_numbers, WEBHOOK_FAILURE_THRESHOLD) < 1:
    raise ImproperlyConfigured("The WEBHOOK_* settings must be at least 1.")
CELERY_BEAT_SCHEDULE["requeue-webhook-deliveries"] = {
    "task": "notifications.tasks.requeue_webhook_deliveries",
    "schedule": timedelta(minutes=1),
}

# Production hardening: on whenever DEBUG is off.
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
# Preloading binds the whole domain and its subdomains to HTTPS in browsers for months
# and is hard to undo, so it is the operator's opt-in, not a default to be warned about.
SILENCED_SYSTEM_CHECKS = ["security.W021"]
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The covering indexes' INCLUDE columns serve PostgreSQL's index-only scans; SQLite
    # builds the same indexes without them, which is all it needs (and said so 54 times
    # on every `make run`).
    SILENCED_SYSTEM_CHECKS.append("models.W040")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
if env_bool("SECURE_PROXY_SSL_HEADER", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SESSION_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

from django.utils.csp import CSP  # noqa: E402

SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
}


# --- Sign-in throttling and the audit log (accounts/audit.py, accounts/login_throttle.py)
# Reverse proxies whose X-Forwarded-For entry is trusted for the client's address.
TRUSTED_PROXIES = env_int("TRUSTED_PROXIES", 0)
LOGIN_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5)
LOGIN_FAILURE_WINDOW = env_int("LOGIN_FAILURE_WINDOW", 900)


# --- REST API (/api/v1/): DRF and drf-spectacular ------------------------------------
# Token or session authentication, JSON only, problem-details errors, keyset pages,
# throttles per user and per anonymous client. See issues/api/ and README "REST API".
# A rate is "<count>/<second|minute|hour|day>"; an empty value switches that limit off.


def _rate(name: str, value: str) -> str | None:
    if value and not re.fullmatch(r"[0-9]+/(s|sec|second|m|min|minute|h|hour|d|day)", value):
        raise ImproperlyConfigured(f"{name} must look like 600/minute or be empty; got {value!r}.")
    return value or None


API_RATE_LIMIT_USER = _rate("API_RATE_LIMIT_USER", env_str("API_RATE_LIMIT_USER", "1200/minute"))
API_RATE_LIMIT_ANON = _rate("API_RATE_LIMIT_ANON", env_str("API_RATE_LIMIT_ANON", "120/minute"))
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # First, so a 401 carries `WWW-Authenticate: Bearer`.
        "accounts.api.authentication.BearerTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["issues.api.parsers.JSONParser"],
    "DEFAULT_THROTTLE_CLASSES": [
        "issues.api.throttling.UserRateThrottle",
        "issues.api.throttling.AnonRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {"user": API_RATE_LIMIT_USER, "anon": API_RATE_LIMIT_ANON},
    # Proxies whose X-Forwarded-For entry is trusted for the anonymous limit.
    "NUM_PROXIES": TRUSTED_PROXIES,
    "DEFAULT_PAGINATION_CLASS": "issues.api.pagination.KeysetPagination",
    "DEFAULT_SCHEMA_CLASS": "issues.api.schema.ApiAutoSchema",
    "DEFAULT_METADATA_CLASS": "issues.api.base.ApiMetadata",
    "EXCEPTION_HANDLER": "issuetracker.exceptions.problem_exception_handler",
    # ASCII-escaped JSON: a lone surrogate echoed in an error message cannot break it.
    "UNICODE_JSON": False,
    "URL_FORMAT_OVERRIDE": None,
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Issue tracker API",
    "VERSION": "1.0.0",
    "DESCRIPTION": (BASE_DIR / "issues" / "api" / "schema_description.md").read_text(),
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "IssueKindEnum": "issues.models.Issue.Kind",
        "IssueChannelEnum": "issues.models.Issue.Channel",
        "StatusCategoryEnum": "issues.models.Status.Category",
        "RoleEnum": "accounts.models.Membership.Role",
        "EventKindEnum": "issues.models.IssueEvent.Kind",
        "NotificationKindEnum": "notifications.models.Notification.Kind",
    },
    "TAGS": [
        {"name": "issues", "description": "Issues: list, create, change; their timeline."},
        {"name": "comments", "description": "An issue's comments."},
        {"name": "teams", "description": "Your teams: workflow, labels, members."},
        {"name": "customers", "description": "People outside the teams who report problems."},
        {"name": "notifications", "description": "Your in-app notifications."},
        {"name": "me", "description": "Who you are."},
    ],
}
# --- end of REST API settings --------------------------------------------------------

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}
