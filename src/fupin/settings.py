"""Django settings for fupin.

Everything an operator may change comes from environment variables prefixed ``FUPIN_``;
secrets that are not given are generated once into the var directory so that ``make demo``
works on a bare machine without exposing a shared default key.
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url

from fupin.keys import load_or_create_keys

BASE_DIR = Path(__file__).resolve().parent
VAR_DIR = Path(os.environ.get("FUPIN_VAR_DIR", Path.cwd() / "var")).resolve()
VAR_DIR.mkdir(parents=True, exist_ok=True)

_KEYS = load_or_create_keys(VAR_DIR)
SECRET_KEY = os.environ.get("FUPIN_SECRET_KEY") or _KEYS["secret_key"]
# Fernet keys for personal data at rest; the first encrypts, all decrypt (key rotation). A keys.json
# written by `fupin restore` lists every key of the backup under "pii_keys".
PII_ENCRYPTION_KEYS = [k for k in os.environ.get("FUPIN_PII_KEYS", "").split(",") if k.strip()] or list(
    _KEYS.get("pii_keys") or [_KEYS["pii_key"]]
)
# Keyed hash for exact look-up of encrypted values (blind index). Changing it needs a re-index.
PII_BLIND_INDEX_KEY = os.environ.get("FUPIN_BLIND_INDEX_KEY") or _KEYS["blind_index_key"]
# HMAC key of the audit chain and its checkpoints (docs/decisions/0007); kept outside the database.
AUDIT_CHAIN_KEY = os.environ.get("FUPIN_AUDIT_KEY") or _KEYS["audit_key"]
# Signed checkpoints of the audit chain's head, written outside the database (`fupin audit checkpoint`).
AUDIT_CHECKPOINT_FILE = Path(
    os.environ.get("FUPIN_AUDIT_CHECKPOINT_FILE") or VAR_DIR / "audit-checkpoints.jsonl"
)

DEBUG = os.environ.get("FUPIN_DEBUG", "0") == "1"
ALLOWED_HOSTS = [h for h in os.environ.get("FUPIN_ALLOWED_HOSTS", "127.0.0.1,localhost").split(",") if h]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_tasks",
    "django_tasks_db",
    "fupin.core",
    "fupin.jobs",
    "fupin.areas",
    "fupin.accounts",
    "fupin.audit",
    "fupin.registry",
    "fupin.feeds",
    "fupin.web",
    "fupin.api",
    "fupin.demo",
    "fupin.screening",
    "fupin.assistance",
    "fupin.cases",
    "fupin.checks",
    "fupin.twinning",
    "fupin.exchange",
    "fupin.linkage",
    "fupin.indicators",
    "fupin.dashboard",
    "fupin.backup",
    "fupin.entities",
    "fupin.benefits",
    "fupin.payments",
    "fupin.supervision",
    "fupin.employment",
    "fupin.projects",
    "fupin.scenarios",
    "fupin.funds",
    "fupin.assets",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "fupin.core.security.SecurityHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "fupin.core.security.NullCharacterMiddleware",  # after the locale: the refusal in the user's language
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "fupin.urls"
WSGI_APPLICATION = "fupin.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASE_URL = os.environ.get("FUPIN_DATABASE_URL") or f"sqlite:///{VAR_DIR / 'fupin.sqlite3'}"
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers work while one writer commits; IMMEDIATE avoids lock upgrades
    # failing half-way through a transaction under concurrent requests.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
DATABASES["default"]["TEST"] = (
    {"NAME": os.environ.get("FUPIN_TEST_DATABASE_NAME")} if os.environ.get("FUPIN_TEST_DATABASE_NAME") else {}
)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "web:login"
LOGIN_REDIRECT_URL = "web:home"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator",
        "OPTIONS": {"user_attributes": ("username", "first_name")},
    },
]

# Repeated failed logins lock an account for a while (minutes).
LOGIN_MAX_FAILURES = int(os.environ.get("FUPIN_LOGIN_MAX_FAILURES", "5"))
LOGIN_LOCK_MINUTES = int(os.environ.get("FUPIN_LOGIN_LOCK_MINUTES", "15"))
# Failed logins from one address (any user names) before that address is refused for the same time.
LOGIN_MAX_FAILURES_PER_ADDRESS = int(os.environ.get("FUPIN_LOGIN_MAX_FAILURES_PER_ADDRESS", "20"))
# Days an API token works after it is issued (`fupin users token` issues a new one and revokes the old).
API_TOKEN_DAYS = int(os.environ.get("FUPIN_API_TOKEN_DAYS", "90"))
# An API push's Idempotency-Key is remembered this long; after it the same key is a new key.
IDEMPOTENCY_KEY_HOURS = int(os.environ.get("FUPIN_IDEMPOTENCY_KEY_HOURS", "24"))

# Income rules that differ by province [uncertain in domain.md section 3]: when true, the
# allowances recorded as "excluded transfer income" are left out of per-capita net income.
INCOME_EXCLUDE_LISTED_ALLOWANCES = os.environ.get("FUPIN_INCOME_EXCLUDE_ALLOWANCES", "1") == "1"

# Screening: the policy pack used when none is named, and extra folders of packs (a province's own).
DEFAULT_POLICY_PACK = os.environ.get("FUPIN_POLICY_PACK", "national-monitoring")
POLICY_DIRS = [p for p in os.environ.get("FUPIN_POLICY_DIRS", "").split(os.pathsep) if p]
# A run started from a page goes on in a thread of the server while the page shows its progress;
# "0" runs it within the request (useful where threads cannot see the request's transaction).
# Behind a reverse proxy: the request header (as in request.META) that holds the visitor's address, for
# the self-declaration page's rate limits, e.g. HTTP_X_REAL_IP. Empty: the connection's address.
CLIENT_IP_HEADER = os.environ.get("FUPIN_CLIENT_IP_HEADER", "")
# The address residents and cadres reach the system at (printed on papers, shown by `fupin demo-data`):
# e.g. https://fupin.example.gov.cn/. Empty: the address of the request that prints the paper.
PUBLIC_URL = os.environ.get("FUPIN_PUBLIC_URL", "").strip()
# Development and browser tests only: a file holding the date that business rules take as today.
CLOCK_FILE = os.environ.get("FUPIN_CLOCK_FILE", "")
# Text messages: a dotted path to a gateway class (fupin.cases.sms); the default writes to the console
# and to an outbox file under var/.
SMS_BACKEND = os.environ.get("FUPIN_SMS_BACKEND", "fupin.cases.sms.OutboxGateway")
SMS_OUTBOX = VAR_DIR / "sms-outbox.log"
# Uploaded files (signed authorizations). Served only through views that check scope.
MEDIA_ROOT = VAR_DIR / "media"
# Helpers, task forces and visits (fupin.twinning). The quotas per rank and the task-force numbers are
# each county's own (its settings page); these are the values a county starts with (domain.md §6, seed 004).
TWINNING_DEFAULT_RANKS = [("county_leader", 3), ("section", 2), ("general", 1)]  # "321"
TWINNING_TASK_FORCE_MIN_MEMBERS = 3
TWINNING_TASK_FORCE_MIN_TERM_MONTHS = 24
TWINNING_REQUIRE_FIRST_SECRETARY = True
TWINNING_PHOTO_MAX_BYTES = int(os.environ.get("FUPIN_PHOTO_MAX_BYTES", str(5 * 1024 * 1024)))
TWINNING_PHOTOS_PER_VISIT = 6
# Worklists mark a household whose last visit is older than this many days [local practice].
TWINNING_VISIT_DUE_DAYS = int(os.environ.get("FUPIN_VISIT_DUE_DAYS", "30"))
# Background jobs (fupin.jobs): rows in the application database, carried out by `fupin worker` (which
# `fupin serve` starts beside itself). FUPIN_JOBS_RUN_NOW=1 carries every job out at once in the caller
# instead (the fupin commands do, so they wait; so do tests). docs/decisions/0009.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
JOBS_RUN_NOW = os.environ.get("FUPIN_JOBS_RUN_NOW", "0") == "1"
# Screening runs and imports started from a page go to the worker; 0: carried out in the request.
SCREENING_IN_BACKGROUND = os.environ.get("FUPIN_SCREENING_IN_BACKGROUND", "1") == "1"
SMS_IN_BACKGROUND = os.environ.get("FUPIN_SMS_IN_BACKGROUND", "1") == "1"  # text messages: by the worker
# Matching the unlinked department records, started from the linkage page: by the worker.
LINKAGE_IN_BACKGROUND = os.environ.get("FUPIN_LINKAGE_IN_BACKGROUND", "1") == "1"
# Indicator tables (fupin.indicators): rebuilt after imports and screening runs, in a thread of the web
# process; a province turns the automatic rebuild off and runs `fupin indicators rebuild` on a schedule.
INDICATORS_AUTO_REBUILD = os.environ.get("FUPIN_INDICATORS_AUTO_REBUILD", "1") == "1"
INDICATORS_IN_BACKGROUND = os.environ.get("FUPIN_INDICATORS_IN_BACKGROUND", "1") == "1"
# The multidimensional (Alkire-Foster) index: dimensions with integer weights, and the cutoff k in the same
# unit. Empty: six equal dimensions (income, education, health, housing, water, labour), k = 2.
INDICATOR_DIMENSIONS = os.environ.get("FUPIN_MD_DIMENSIONS", "")
INDICATOR_K = int(os.environ.get("FUPIN_MD_K", "2"))
# A PostgreSQL server for `fupin policy test --engine postgres` when the application runs on SQLite.
SCRATCH_POSTGRES_URL = os.environ.get("FUPIN_SCRATCH_POSTGRES_URL", "")

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
# Static files are few and ship inside the package: WhiteNoise serves them straight from the apps'
# static directories, so there is no collectstatic step (and no STATIC_ROOT) to forget on install.
STATIC_ROOT = None
WHITENOISE_USE_FINDERS = True

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = 8 * 3600
CSRF_COOKIE_HTTPONLY = False
# Served over HTTPS (behind a proxy that terminates TLS, say): cookies only over HTTPS, and HSTS.
HTTPS = os.environ.get("FUPIN_HTTPS", "0") == "1"
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = HTTPS
SECURE_HSTS_SECONDS = 365 * 24 * 3600 if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = False
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if HTTPS and os.environ.get("FUPIN_PROXY_SSL_HEADER"):
    # e.g. HTTP_X_FORWARDED_PROTO: the proxy's header that says the visitor came over HTTPS.
    SECURE_PROXY_SSL_HEADER = (os.environ["FUPIN_PROXY_SSL_HEADER"], "https")
# The API's OpenAPI document and its docs page: public by default (departments read it before they
# have a token); FUPIN_API_DOCS_PUBLIC=0 shows them only to a logged-in user or a valid token.
API_DOCS_PUBLIC = os.environ.get("FUPIN_API_DOCS_PUBLIC", "1") == "1"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "filters": {"expected_font_subset": {"()": "fupin.core.logfilters.ExpectedFontSubsetNotice"}},
    "loggers": {"weasyprint": {"filters": ["expected_font_subset"]}},
    # Request bodies and query strings may hold personal data: only method, path and status are logged.
    "root": {"handlers": ["console"], "level": os.environ.get("FUPIN_LOG_LEVEL", "WARNING")},
}
