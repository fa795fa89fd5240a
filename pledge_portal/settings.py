"""Settings for the London Pledge portal, read from the environment.

One module, in sections by purpose. Every value that differs between a laptop, CI and production comes
from an environment variable (documented in README.md); the defaults give a zero-set-up development
portal on SQLite with tasks run in-process. ``DEBUG=false`` is production mode: it needs a real
SECRET_KEY and ALLOWED_HOSTS and turns on every setting that ``manage.py check --deploy`` asks for.
"""

import base64
import hashlib
from decimal import Decimal
from pathlib import Path

import environ
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

# --- Core -------------------------------------------------------------------------------------------

DEBUG = env.bool("DEBUG", default=True)
_DEV_SECRET = "dev-only-insecure-key-change-me-dev-only-insecure-key-change-me"
SECRET_KEY = env.str("SECRET_KEY", default=_DEV_SECRET if DEBUG else "")
if not SECRET_KEY:
    raise environ.ImproperlyConfigured("SECRET_KEY must be set when DEBUG is false.")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
# The shared reference list of authorities (GSS and DfE codes, sub-regions). A copy ships with the
# project so a clone is self-contained; the steering repository's ../shared/data is the source.
AUTHORITIES_CSV = Path(
    env.str("AUTHORITIES_CSV", default=str(BASE_DIR / "boroughs" / "data" / "london_local_authorities.csv"))
)
# The region whose rate cards answer a rate check that names none.
DEFAULT_REGION_CODE = env.str("DEFAULT_REGION_CODE", default="E12000007")
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.forms",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "pledge_portal.accounts",
    "pledge_portal.audit",
    "pledge_portal.jobs",
    "pledge_portal.core",
    "pledge_portal.access",
    "boroughs",
    "agencies",
    "rates",
    "references",
    "returns",
    "dashboards",
    "packs",
    "dfe",
    "history",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "pledge_portal.accounts.middleware.RequireTwoFactorMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "pledge_portal.core.middleware.PrivateResponsesMiddleware",
]

if not DEBUG:
    # In production gunicorn serves the collected, hashed static files itself; in development runserver
    # and the test live server serve them from the source folders.
    MIDDLEWARE.insert(1, "whitenoise.middleware.WhiteNoiseMiddleware")

ROOT_URLCONF = "pledge_portal.urls"
WSGI_APPLICATION = "pledge_portal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "pledge_portal.core.context_processors.portal",
            ],
        },
    },
]

# --- Data -------------------------------------------------------------------------------------------

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=0 if DEBUG else 60)
DATABASES["default"]["ATOMIC_REQUESTS"] = False
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A file, not :memory:, so that a Celery worker started by a test sees the test database.
    DATABASES["default"]["TEST"] = {"NAME": env.str("SQLITE_TEST_NAME", default=str(BASE_DIR / "test-db.sqlite3"))}
    # The dashboards' covering indexes (INCLUDE) are PostgreSQL's; SQLite keeps the key columns and ignores the
    # rest, which changes its speed, not its answers, so `make run` need not warn of it.
    SILENCED_SYSTEM_CHECKS = ["models.W040"]
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # PostgreSQL's JIT compiles a query's expressions once its estimated cost is high. The dashboards' cap
    # expression over ten years of rate cards took it seconds to compile for a query that runs in 0.2 s.
    options = DATABASES["default"].setdefault("OPTIONS", {})
    options["options"] = (options.get("options", "") + " -c jit=off").strip()
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Identity: users, allauth, two-factor -----------------------------------------------------------

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
ACCOUNT_LOGOUT_REDIRECT_URL = "account_login"

ACCOUNT_FORMS = {"login": "pledge_portal.accounts.forms.SignInForm"}
ACCOUNT_ADAPTER = "pledge_portal.accounts.adapters.InvitationOnlyAccountAdapter"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
# An invitation link proves the address it was sent to; any other address must be confirmed by email.
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_CHANGE_EMAIL = True  # one address per person: changing it replaces the old one once confirmed
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_SESSION_REMEMBER = False
ACCOUNT_LOGIN_ON_PASSWORD_RESET = False
ACCOUNT_PASSWORD_RESET_BY_CODE_ENABLED = False
ACCOUNT_EMAIL_SUBJECT_PREFIX = "London Pledge portal: "
ACCOUNT_PRESERVE_USERNAME_CASING = False
# Failed sign-ins are limited per address (ip) and per address and account (key: see
# pledge_portal.accounts.adapters), never per account alone, which would let anyone lock its owner out;
# SIGN_IN_FAILURES_ALERT failures in an hour, from anywhere, email the owner instead. allauth keeps the
# counters in the cache, which is Redis (shared by every web process) whenever REDIS_URL is set.
SIGN_IN_FAILURES_ALERT = env.int("SIGN_IN_FAILURES_ALERT", default=10)
ACCOUNT_RATE_LIMITS = {
    "login_failed": env.str("LOGIN_FAILED_RATE_LIMIT", default="10/m/ip,5/5m/key"),
    "login": "30/m/ip",
    "reset_password": "20/m/ip,5/m/key",
    "reset_password_from_key": "20/m/ip",
    "change_password": "5/m/user",
}
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
# Two-factor secrets are stored encrypted with these (comma-separated Fernet keys, the newest first; see
# pledge_portal/accounts/crypto.py). Development derives one from SECRET_KEY; production must set its own.
MFA_ADAPTER = "pledge_portal.accounts.adapters.EncryptedSecretsMFAAdapter"
_DEV_TWO_FACTOR_KEY = base64.urlsafe_b64encode(hashlib.sha256(f"two-factor:{SECRET_KEY}".encode()).digest()).decode()
TWO_FACTOR_ENCRYPTION_KEYS = env.list("TWO_FACTOR_ENCRYPTION_KEYS", default=[_DEV_TWO_FACTOR_KEY] if DEBUG else [])
if not TWO_FACTOR_ENCRYPTION_KEYS:
    raise ImproperlyConfigured("TWO_FACTOR_ENCRYPTION_KEYS must be set when DEBUG is false.")
MFA_TOTP_ISSUER = "London Pledge portal"
MFA_PASSKEY_LOGIN_ENABLED = False

SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=8 * 60 * 60)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
INVITATION_VALID_DAYS = env.int("INVITATION_VALID_DAYS", default=7)
API_TOKEN_DAYS = env.int("API_TOKEN_DAYS", default=90)  # an API token stops working this long after it is made

# --- References --------------------------------------------------------------------------------------

REFERENCE_DUE_WORKING_DAYS = env.int("REFERENCE_DUE_WORKING_DAYS", default=5)
REFERENCE_RETENTION_DAYS = env.int("REFERENCE_RETENTION_DAYS", default=2 * 365)
# A draft rate card's impact counts £ a month as the hourly excess times these hours a week × 52 ÷ 12.
CONTRACTED_HOURS_PER_WEEK = Decimal(env.str("CONTRACTED_HOURS_PER_WEEK", default="37"))
# The leavers register keeps a leaver for the longest cool-off any period sets (6 months by default) plus
# this margin, then deletes them (returns.tasks.purge_expired_leavers). The margin covers late reporting: an
# assignment starting on the last day of a cool-off is reported in its quarter's return, made after the
# quarter ends (up to 3 months later) and due about a month after that, so 4 months (120 days).
LEAVERS_KEPT_AFTER_WINDOW_DAYS = env.int("LEAVERS_KEPT_AFTER_WINDOW_DAYS", default=120)
# Dashboard figures are cached by a version of the data (dashboards/cache.py); 0 turns the cache off.
DASHBOARD_CACHE_SECONDS = env.int("DASHBOARD_CACHE_SECONDS", default=600)
REFERENCE_UPLOAD_MAX_BYTES = env.int("REFERENCE_UPLOAD_MAX_BYTES", default=10 * 1024 * 1024)

# --- Email ------------------------------------------------------------------------------------------

EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
# GOV.UK Notify, what UK public services send email through: EMAIL_BACKEND=notify, an API key and the id of a
# Notify template whose subject is ((subject)) and body ((body)) (django-gov-notify sends every email through it).
if EMAIL_BACKEND == "notify":
    EMAIL_BACKEND = "django_gov_notify.backends.NotifyEmailBackend"
GOVUK_NOTIFY_API_KEY = env.str("GOVUK_NOTIFY_API_KEY", default="")
GOVUK_NOTIFY_PLAIN_EMAIL_TEMPLATE_ID = env.str("GOVUK_NOTIFY_PLAIN_EMAIL_TEMPLATE_ID", default="")
if EMAIL_BACKEND.startswith("django_gov_notify") and not (
    GOVUK_NOTIFY_API_KEY and GOVUK_NOTIFY_PLAIN_EMAIL_TEMPLATE_ID
):
    raise ImproperlyConfigured(
        "EMAIL_BACKEND=notify needs GOVUK_NOTIFY_API_KEY and GOVUK_NOTIFY_PLAIN_EMAIL_TEMPLATE_ID."
    )
EMAIL_HOST = env.str("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="London Pledge portal <no-reply@pledge.invalid>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Background jobs --------------------------------------------------------------------------------

CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = REDIS_URL or None
# Without a broker, tasks run in the calling process so the default set-up needs no other service.
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=not REDIS_URL)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True  # a worker that dies mid-task leaves the message for another worker
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# A message whose worker died is handed to another worker after this long. It must be longer than any job
# (jobs report progress well within it) and shorter than the point at which a silent run is declared dead.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=30 * 60)}
TASK_RUN_STALE_AFTER_SECONDS = 3 * CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"]
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "Europe/London"
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULE = {
    "mark-stale-task-runs": {"task": "pledge_portal.jobs.tasks.fail_stale_task_runs", "schedule": 15 * 60},
    # A safety net: the services keep the dashboards' aggregates up to date; this catches rate card changes.
    "rebuild-stale-dashboard-figures": {"task": "dashboards.tasks.rebuild_dashboard_figures", "schedule": 10 * 60},
    "remind-about-reference-requests": {
        "task": "references.tasks.send_reference_reminders",
        "schedule": crontab(hour=8, minute=0, day_of_week="mon-fri"),
    },
    "remind-about-return-deadlines": {
        "task": "returns.tasks.remind_submitters_of_deadlines",
        "schedule": crontab(hour=8, minute=30),
    },
    "tell-analysts-of-overdue-returns": {
        "task": "returns.tasks.tell_analysts_of_overdue_returns",
        "schedule": crontab(hour=8, minute=45),
    },
    "compliance-packs-after-lock": {
        "task": "returns.tasks.request_packs_after_lock",
        "schedule": crontab(hour=6, minute=15),
    },
    "delete-stale-return-uploads": {"task": "returns.tasks.delete_stale_uploads", "schedule": 60 * 60},
    "delete-references-past-retention": {
        "task": "references.tasks.delete_references_past_retention",
        "schedule": 24 * 60 * 60,
    },
    "delete-leavers-past-the-cool-off": {
        "task": "returns.tasks.purge_expired_leavers",
        "schedule": crontab(hour=2, minute=30),
    },
}

# --- API --------------------------------------------------------------------------------------------

# The largest JSON body the API reads: room for the 20,000 rows a return's spreadsheet may hold.
API_BODY_MAX_BYTES = env.int("API_BODY_MAX_BYTES", default=10 * 1024 * 1024)
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first: DRF answers a call without credentials with the first class's challenge (401 and
        # WWW-Authenticate); session authentication has none and would make it 403.
        "pledge_portal.accounts.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["pledge_portal.access.views.ActionPermission"],
    # Bodies are read up to API_BODY_MAX_BYTES and 20 levels deep (core/parsers.py); every refusal is JSON
    # with a message (core/api.py).
    "DEFAULT_PARSER_CLASSES": [
        "pledge_portal.core.parsers.LimitedJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "EXCEPTION_HANDLER": "pledge_portal.core.api.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 100,
    "DEFAULT_THROTTLE_RATES": {
        "anon": "120/min",
        "user": "600/min",
        "rates_anon": env.str("RATES_ANON_THROTTLE", default="600/min"),
    },
}
SPECTACULAR_SETTINGS = {
    "TITLE": "London Pledge portal API",
    "DESCRIPTION": "Rate checks, returns and references for the London Pledge. "
    "Authenticate with a session or with `Authorization: Token <key>`.\n\n"
    "Limits: the same as the spreadsheet's, stated on each field (`maxLength`, `maxItems`). A JSON body may be "
    f"up to {API_BODY_MAX_BYTES / 1024 / 1024:g} MB (413 above it) and nested at most 20 levels deep (400). Every "
    "refusal is JSON with a `detail` message.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SCHEMA_PATH_PREFIX": "/api/v1",
    # Every operation documents the refusals it can answer (pledge_portal/core/openapi.py).
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "pledge_portal.core.openapi.document_errors",
    ],
    "ENUM_NAME_OVERRIDES": {
        "ReturnStatusEnum": "returns.models.Return.Status",
        "ReferenceRequestStatusEnum": "references.models.ReferenceRequest.Status",
    },
}

# --- Front end, locale ------------------------------------------------------------------------------

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
# Every upload is cut off as it streams in past this size (reference documents, rate card workbooks).
UPLOAD_MAX_BYTES = env.int("UPLOAD_MAX_BYTES", default=20 * 1024 * 1024)
FILE_UPLOAD_HANDLERS = [
    "pledge_portal.core.uploads.SizeLimitUploadHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]
MEDIA_ROOT = Path(env.str("PRIVATE_MEDIA_ROOT", default=str(BASE_DIR / "private-media")))  # never served directly

# --- Security ---------------------------------------------------------------------------------------

BEHIND_TLS_PROXY = env.bool("BEHIND_TLS_PROXY", default=False)
# How many proxies in front of the portal append to X-Forwarded-For (one, with BEHIND_TLS_PROXY). The client's
# address is the one the outermost of them saw; anything a client writes there itself is ignored. One setting
# for every limit keyed by address: sign-in (pledge_portal/core/client.py) and the API's throttles.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=1 if BEHIND_TLS_PROXY else 0)
ALLAUTH_TRUSTED_PROXY_COUNT = TRUSTED_PROXY_COUNT
REST_FRAMEWORK["NUM_PROXIES"] = TRUSTED_PROXY_COUNT

X_FRAME_OPTIONS = "DENY"
# A strict Content-Security-Policy on every response (django-csp): scripts, styles and everything else from
# the portal itself only, no inline script or style anywhere (the GOV.UK Frontend body-class snippet is a
# file, static/src/js-enabled.js), no plugins, no framing. data: images are for the QR code of two-factor
# set-up and the API docs' icons.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
CSRF_COOKIE_HTTPONLY = True
if not DEBUG:
    # Production is served over HTTPS, so its cookies are Secure. HTTPS=false is only for trying the
    # production shape on http://localhost (docker-compose.yml), where a browser would not send them back.
    HTTPS = env.bool("HTTPS", default=True)
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=HTTPS)
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
    SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
    SESSION_COOKIE_SECURE = HTTPS
    CSRF_COOKIE_SECURE = HTTPS
    if BEHIND_TLS_PROXY:
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]  # the load balancer probes over plain HTTP

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}

FORM_RENDERER = "pledge_portal.core.forms.GovukFormRenderer"
