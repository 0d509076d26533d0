"""VendorSync settings: everything comes from environment variables (see README, "Configuration").

Two modes:
- development (default): the embedded setup — SQLite under ``var/``, a filesystem Celery broker
  (a real worker process, no external service) and the Amazon/NetSuite simulators.
- production (``VENDORSYNC_ENV=production``): refuses to start without a secret key, allowed
  hosts and a real database; secure cookies, HSTS, SSL redirect and a strict CSP.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

from vendorsync.env import env_bool, env_choice, env_decimal, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("VENDORSYNC_VAR_DIR", str(BASE_DIR / "var")))

ENVIRONMENT = env_choice("VENDORSYNC_ENV", "development", {"development", "production"})
PRODUCTION = ENVIRONMENT == "production"

DEBUG = False if PRODUCTION else env_bool("DJANGO_DEBUG", True)

if PRODUCTION:
    SECRET_KEY = env_str("DJANGO_SECRET_KEY", required=True)
    ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS")
    if not ALLOWED_HOSTS:
        raise ImproperlyConfigured("Environment variable DJANGO_ALLOWED_HOSTS is required in production.")
else:
    SECRET_KEY = env_str("DJANGO_SECRET_KEY", "django-insecure-development-only-key-do-not-use-in-production")
    ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")

# The connectors talk to the simulators unless told otherwise; production defaults to the real systems.
SANDBOX = env_bool("VENDORSYNC_SANDBOX", not PRODUCTION)

INSTALLED_APPS = [
    "vendorsync.admin_site.VendorSyncAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "django_tables2",
    "django_filters",
    "axes",
    "vendorsync",
    "orders",
    "reconciliation",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "vendorsync.middleware.RequestIdMiddleware",
    "vendorsync.middleware.NoStoreMiddleware",
    # Axes must be last: it turns a lockout into the lockout response.
    "axes.middleware.AxesMiddleware",
]

# WhiteNoise serves static files in every mode: gunicorn serves the collected files in production;
# in development it reads them from the source folders, so DJANGO_DEBUG=0 still has its CSS and JS.
MIDDLEWARE.insert(2, "whitenoise.middleware.WhiteNoiseMiddleware")
WHITENOISE_USE_FINDERS = not PRODUCTION
WHITENOISE_AUTOREFRESH = not PRODUCTION

ROOT_URLCONF = "vendorsync.urls"
WSGI_APPLICATION = "vendorsync.wsgi.application"
ASGI_APPLICATION = "vendorsync.asgi.application"

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
                "vendorsync.context_processors.shell",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------------
_default_db = f"sqlite:///{VAR_DIR / 'vendorsync.sqlite3'}"
DATABASE_URL = env_str("DATABASE_URL", _default_db)
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=0, conn_health_checks=True)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    # A worker and the web server share the file: wait for locks instead of failing at once,
    # and take the write lock at BEGIN so two writers never deadlock on an upgrade.
    DATABASES["default"]["OPTIONS"] = {"timeout": 20, "transaction_mode": "IMMEDIATE"}
    if PRODUCTION:
        raise ImproperlyConfigured("Production needs a real database: set DATABASE_URL to a PostgreSQL URL.")
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env_int(
        "DATABASE_CONN_MAX_AGE", 60 if PRODUCTION else 0, minimum=0
    )
IS_POSTGRES = DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Auth -----------------------------------------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# django-axes: lock a username+address pair out after repeated failures.
AXES_FAILURE_LIMIT = env_int("VENDORSYNC_LOGIN_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = 0.25  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
# ...and an address after this many failures across all user names (password spraying); see
# vendorsync/login_throttle.py for why this is a handler rather than a second lockout parameter.
AXES_HANDLER = "vendorsync.login_throttle.AccountAndAddressHandler"
AXES_ADDRESS_FAILURE_LIMIT = env_int("VENDORSYNC_LOGIN_ADDRESS_FAILURE_LIMIT", 20, minimum=1)
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False
# Behind a reverse proxy every request comes from the proxy's address; read the client's address
# from X-Forwarded-For, trusting as many hops as there are proxies (0 = no proxy, development).
# Default 0: trusting a header no proxy sets would let anyone dodge the lockout by forging it.
AXES_IPWARE_PROXY_COUNT = env_int("VENDORSYNC_PROXY_COUNT", 0, minimum=0)
AXES_IPWARE_META_PRECEDENCE_ORDER = (
    ["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"] if AXES_IPWARE_PROXY_COUNT else ["REMOTE_ADDR"]
)

SESSION_COOKIE_AGE = env_int("VENDORSYNC_SESSION_IDLE_SECONDS", 8 * 3600, minimum=60)
SESSION_SAVE_EVERY_REQUEST = True

# --- Email (set-password links) -------------------------------------------------------------------
# Development prints mail (the set-password links) on the web server's console; production sends it.
_SMTP_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
_MAIL_BACKEND = env_str(
    "VENDORSYNC_EMAIL_BACKEND",
    _SMTP_BACKEND if PRODUCTION else "django.core.mail.backends.console.EmailBackend",
)
MAILERS = {
    "default": {
        "BACKEND": _MAIL_BACKEND,
        "OPTIONS": {
            "host": env_str("VENDORSYNC_SMTP_HOST", "localhost"),
            "port": env_int("VENDORSYNC_SMTP_PORT", 587 if PRODUCTION else 25, minimum=1),
            "username": env_str("VENDORSYNC_SMTP_USER", ""),
            "password": env_str("VENDORSYNC_SMTP_PASSWORD", ""),
            "use_tls": env_bool("VENDORSYNC_SMTP_TLS", PRODUCTION),
            "timeout": 20,
        }
        if _MAIL_BACKEND == _SMTP_BACKEND
        else {},
    }
}
DEFAULT_FROM_EMAIL = env_str("VENDORSYNC_MAIL_FROM", "VendorSync <vendorsync@localhost>")
# A set-password link works once (the token changes with the password) and for this long.
PASSWORD_RESET_TIMEOUT = env_int("VENDORSYNC_PASSWORD_LINK_SECONDS", 3 * 24 * 3600, minimum=600)

# --- Security headers -----------------------------------------------------------------------------
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
}
if PRODUCTION:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("VENDORSYNC_SSL_REDIRECT", True)
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]  # load-balancer probes speak plain HTTP
    SECURE_HSTS_SECONDS = env_int("VENDORSYNC_HSTS_SECONDS", 31536000, minimum=0)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SESSION_COOKIE_NAME = "__Host-sessionid"
    CSRF_COOKIE_NAME = "__Host-csrftoken"
    SESSION_COOKIE_AGE = env_int("VENDORSYNC_SESSION_IDLE_SECONDS", 30 * 60, minimum=60)

# XLSX exports (~4,700 rows/s): up to EXPORT_INLINE_ROWS rows are built in the request (under half a
# second); larger ones become an ExportJob built by a Celery worker, so no web worker is held for
# seconds. Beyond EXPORT_MAX_ROWS the user is asked for a narrower filter.
EXPORT_MAX_ROWS = env_int("VENDORSYNC_EXPORT_MAX_ROWS", 100_000, minimum=1)
EXPORT_INLINE_ROWS = env_int("VENDORSYNC_EXPORT_INLINE_ROWS", 2_000, minimum=0)
EXPORT_TTL_HOURS = env_int("VENDORSYNC_EXPORT_TTL_HOURS", 24, minimum=1)
# Web and worker must share this folder (docker-compose mounts one volume in both).
EXPORT_DIR = Path(env_str("VENDORSYNC_EXPORT_DIR", str(VAR_DIR / "exports")))
# The Celery queue export jobs go to: "celery" (the default queue) unless a dedicated worker serves them.
EXPORT_QUEUE = env_str("VENDORSYNC_EXPORT_QUEUE", "celery")

DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
DATA_UPLOAD_MAX_NUMBER_FILES = 5

# --- Internationalisation -------------------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = env_str("VENDORSYNC_TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True
FORMAT_MODULE_PATH = ["vendorsync.formats"]

# --- Static files ---------------------------------------------------------------------------------
STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env_str("VENDORSYNC_STATIC_ROOT", str(BASE_DIR / "staticfiles")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
    # Finished XLSX exports; swap the backend (e.g. object storage) when workers run on other machines.
    "exports": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(EXPORT_DIR), "file_permissions_mode": 0o600},
    },
}

# --- Tables ---------------------------------------------------------------------------------------
DJANGO_TABLES2_TEMPLATE = "tables/table.html"
DJANGO_TABLES2_PAGE_RANGE = 7

# --- Celery ---------------------------------------------------------------------------------------
# Embedded default: kombu's filesystem transport, so `make run` starts a real worker process
# without Redis. Production (and CI's second run) sets CELERY_BROKER_URL=redis://...
BROKER_DIR = VAR_DIR / "broker"
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", "filesystem://")
CELERY_RESULT_BACKEND = env_str("CELERY_RESULT_BACKEND", None)
TASK_TIME_LIMIT = env_int("VENDORSYNC_TASK_TIME_LIMIT", 300, minimum=10)
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = TASK_TIME_LIMIT
CELERY_TASK_SOFT_TIME_LIMIT = TASK_TIME_LIMIT - 30 if TASK_TIME_LIMIT > 60 else TASK_TIME_LIMIT - 5
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_WORKER_MAX_MEMORY_PER_CHILD = 400_000
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Redelivery of an unacknowledged task must wait longer than the longest task may run.
VISIBILITY_TIMEOUT = max(3600, TASK_TIME_LIMIT * 4)
if CELERY_BROKER_URL.startswith("filesystem://"):
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(BROKER_DIR / "queue"),
        "data_folder_out": str(BROKER_DIR / "queue"),
        "processed_folder": str(BROKER_DIR / "processed"),
        "control_folder": str(BROKER_DIR / "control"),
        "store_processed": False,
    }
else:
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": VISIBILITY_TIMEOUT}
    CELERY_RESULT_BACKEND_TRANSPORT_OPTIONS = {"visibility_timeout": VISIBILITY_TIMEOUT}
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
OUTBOX_SWEEP_SECONDS = env_int("VENDORSYNC_OUTBOX_SWEEP_SECONDS", 30, minimum=1)
OUTBOX_MAX_ATTEMPTS = env_int("VENDORSYNC_OUTBOX_MAX_ATTEMPTS", 8, minimum=1)
OUTBOX_BATCH_SIZE = env_int("VENDORSYNC_OUTBOX_BATCH_SIZE", 50, minimum=1)
# A relay renews the lease on its claimed rows every third of this while it runs; when it dies,
# its rows are due again this long after its last renewal (docs/decisions.md, "Outbox").
OUTBOX_LEASE_SECONDS = env_int("VENDORSYNC_OUTBOX_LEASE_SECONDS", 30, minimum=2)
# First retry delay; it doubles per attempt (with jitter) up to 6 hours.
OUTBOX_BACKOFF_SECONDS = float(env_decimal("VENDORSYNC_OUTBOX_BACKOFF_SECONDS", "30", minimum=Decimal("0.1")))
# How often beat asks the flow registry which sync flows are due (each flow has its own interval).
SYNC_SWEEP_SECONDS = env_int("VENDORSYNC_SYNC_SWEEP_SECONDS", 30, minimum=5)
# A relay run stops starting deliveries when the soft time limit could no longer cover one more
# connector call (whose own budget is 90 s by default) and puts the rest back in the queue.
OUTBOX_RELAY_BUDGET_SECONDS = max(10, CELERY_TASK_SOFT_TIME_LIMIT - 100)

# --- Cache -------------------------------------------------------------------------------------------
# One cache for every process of the app: the health sweep computes the dashboard's figures in the
# worker and the web processes read them there. Redis when VENDORSYNC_CACHE_URL names one
# (production: several machines), else files under var/cache/ (the embedded default: one machine).
CACHE_URL = env_str("VENDORSYNC_CACHE_URL", "")
if CACHE_URL and not CACHE_URL.startswith(("redis://", "rediss://")):
    raise ImproperlyConfigured("VENDORSYNC_CACHE_URL must be a redis:// or rediss:// URL.")
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CACHE_URL}
    if CACHE_URL
    else {
        "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
        "LOCATION": str(VAR_DIR / "cache"),
    }
}

# --- Health and alerts (vendorsync/health.py, vendorsync/alerts.py) -------------------------------
# How often beat checks sync freshness (sync_failed cases) and sends due alerts.
HEALTH_SWEEP_SECONDS = env_int("VENDORSYNC_HEALTH_SWEEP_SECONDS", 60, minimum=10)
# Who gets each team's alerts (comma-separated addresses); nobody when empty.
ALERT_EMAILS = {
    "ops": env_list("VENDORSYNC_ALERT_EMAILS_OPS"),
    "finance": env_list("VENDORSYNC_ALERT_EMAILS_FINANCE"),
}
# Optional Slack-compatible incoming webhook (JSON {"text": ...}) that receives every alert too.
ALERT_WEBHOOK_URL = env_str("VENDORSYNC_ALERT_WEBHOOK_URL", "")
# Severities that alert at once; every other new case waits for its team's digest.
ALERT_IMMEDIATE_SEVERITIES = env_list("VENDORSYNC_ALERT_IMMEDIATE_SEVERITIES", ["high", "critical"])
# A team's digest goes out once its oldest unreported case is this old (at most one digest per period).
ALERT_DIGEST_SECONDS = env_int("VENDORSYNC_ALERT_DIGEST_SECONDS", 3600, minimum=60)
# The address people open the app at, for links in alerts.
SITE_URL = env_str("VENDORSYNC_SITE_URL", "http://127.0.0.1:8000").rstrip("/")

# --- Amazon SP-API and NetSuite (connectors) ------------------------------------------------------
AMAZON_LWA_TOKEN_URL = env_str("AMAZON_LWA_TOKEN_URL", "https://api.amazon.com/auth/o2/token")
AMAZON_LWA_CLIENT_ID = env_str("AMAZON_LWA_CLIENT_ID", "")
AMAZON_LWA_CLIENT_SECRET = env_str("AMAZON_LWA_CLIENT_SECRET", "")
AMAZON_LWA_REFRESH_TOKEN = env_str("AMAZON_LWA_REFRESH_TOKEN", "")
AMAZON_REGION = env_choice("AMAZON_REGION", "na", {"na", "eu", "fe"})
AMAZON_SPAPI_ENDPOINT = env_str("AMAZON_SPAPI_ENDPOINT", "")
AMAZON_MARKETPLACE_ID = env_str("AMAZON_MARKETPLACE_ID", "ATVPDKIKX0DER")
NETSUITE_ACCOUNT_ID = env_str("NETSUITE_ACCOUNT_ID", "")
NETSUITE_CONSUMER_KEY = env_str("NETSUITE_CONSUMER_KEY", "")
NETSUITE_CONSUMER_SECRET = env_str("NETSUITE_CONSUMER_SECRET", "")
NETSUITE_TOKEN_ID = env_str("NETSUITE_TOKEN_ID", "")
NETSUITE_TOKEN_SECRET = env_str("NETSUITE_TOKEN_SECRET", "")
NETSUITE_BASE_URL = env_str("NETSUITE_BASE_URL", "")
HTTP_TIMEOUT_SECONDS = float(env_decimal("VENDORSYNC_HTTP_TIMEOUT_SECONDS", "30", minimum=Decimal("1")))

# --- Orders (issue 7) -----------------------------------------------------------------------------
# Acknowledge automatically, or wait for ops to approve each proposed acknowledgement.
ORDERS_ACK_APPROVAL = env_choice("VENDORSYNC_ACK_APPROVAL", "auto", {"auto", "ops"})
# Send acknowledgements by the Orders API or as EDI 855 files in the outbound folder.
ORDERS_ACK_CHANNEL = env_choice("VENDORSYNC_ACK_CHANNEL", "api", {"api", "edi"})
# Amazon net cost vs NetSuite cost: a difference beyond this percentage is a price_discrepancy.
ORDERS_PRICE_TOLERANCE_PERCENT = env_decimal(
    "VENDORSYNC_PRICE_TOLERANCE_PERCENT", "0.5", minimum=Decimal("0")
)
# The first orders sync (no cursor yet) reads POs created or changed this many days back.
ORDERS_INITIAL_LOOKBACK_DAYS = env_int("VENDORSYNC_ORDERS_LOOKBACK_DAYS", 7, minimum=1)
# --- Orders out (issue 8) ---------------------------------------------------------------------------
# Send ASNs by the Shipments API or as EDI 856 files; invoices by the Invoices API or as 810 files.
ORDERS_ASN_CHANNEL = env_choice("VENDORSYNC_ASN_CHANNEL", "api", {"api", "edi"})
ORDERS_INVOICE_CHANNEL = env_choice("VENDORSYNC_INVOICE_CHANNEL", "api", {"api", "edi"})
# "transform": we create the NetSuite invoice from the sales order; "netsuite": the account
# invoices in NetSuite itself and we take that invoice (matched by PO number and total).
# The sandbox warehouse invoices each fulfilment itself, so the sandbox defaults to "netsuite".
ORDERS_INVOICE_SOURCE = env_choice(
    "VENDORSYNC_INVOICE_SOURCE", "netsuite" if SANDBOX else "transform", {"transform", "netsuite"}
)
# po_expiring is raised this many hours before a PO's ship window ends with lines still open.
ORDERS_PO_EXPIRING_HOURS = env_int("VENDORSYNC_PO_EXPIRING_HOURS", 48, minimum=1)
# Ship-from party id (warehouse code agreed with Amazon) and its name on the 856.
ORDERS_SHIP_FROM_ID = env_str("VENDORSYNC_SHIP_FROM_ID", "WH01")
ORDERS_SHIP_FROM_NAME = env_str("VENDORSYNC_SHIP_FROM_NAME", "Main Warehouse")
EDI_INBOUND_DIR = Path(env_str("VENDORSYNC_EDI_INBOUND", str(VAR_DIR / "edi" / "inbound")))
EDI_OUTBOUND_DIR = Path(env_str("VENDORSYNC_EDI_OUTBOUND", str(VAR_DIR / "edi" / "outbound")))
EDI_SENDER_ID = env_str("VENDORSYNC_EDI_SENDER_ID", "VENDORSYNC")
EDI_RECEIVER_ID = env_str("VENDORSYNC_EDI_RECEIVER_ID", "AMAZON")
# Live demo (sandbox only): beat moves the simulated clock one day every this many seconds (0 = off).
SANDBOX_DAY_SECONDS = env_int("VENDORSYNC_SANDBOX_DAY_SECONDS", 120, minimum=0)

# --- Logging --------------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "filters": {"quiet_forbidden": {"()": "vendorsync.log_filters.QuietForbidden"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("VENDORSYNC_LOG_LEVEL", "INFO")},
    "loggers": {
        "axes": {"level": "WARNING"},
        # Django's own console handler (development) printed every django.* record a second time
        # next to the root's: the records go to the root handler only.
        "django": {"handlers": [], "level": "INFO", "propagate": True},
        "django.request": {"filters": ["quiet_forbidden"]},
    },
}

# --- Reconciliation: remittance imports ------------------------------------------------------------
# Largest remittance file accepted by any door (bytes); XLSX zip-bomb limits checked before parsing.
REMITTANCE_MAX_BYTES = env_int("VENDORSYNC_REMITTANCE_MAX_BYTES", 50 * 1024 * 1024, minimum=1024)
REMITTANCE_XLSX_MAX_UNCOMPRESSED = env_int(
    "VENDORSYNC_REMITTANCE_XLSX_MAX_UNCOMPRESSED", 200 * 1024 * 1024, minimum=1024
)
REMITTANCE_XLSX_MAX_RATIO = env_int("VENDORSYNC_REMITTANCE_XLSX_MAX_RATIO", 100, minimum=2)
# Folder polled by the ``remittance-files`` flow; in sandbox mode the simulator's payment runs.
REMITTANCE_INBOX = Path(
    env_str(
        "VENDORSYNC_REMITTANCE_INBOX",
        str(VAR_DIR / "sandbox" / "remittances") if SANDBOX else str(VAR_DIR / "inbound" / "remittances"),
    )
)
# The Amazon customer in NetSuite whose invoices ``sync ar`` pulls.
NETSUITE_AMAZON_CUSTOMER_ID = env_str("VENDORSYNC_NETSUITE_AMAZON_CUSTOMER_ID", "1001")

# --- Reconciliation: matching (issue 10) ----------------------------------------------------------
# A residual is tolerated within the absolute amount OR the percentage of the invoice (the larger).
MATCH_TOLERANCE_ABSOLUTE = env_decimal("VENDORSYNC_MATCH_TOLERANCE_ABSOLUTE", "0.50", minimum=Decimal("0"))
MATCH_TOLERANCE_PERCENT = env_decimal("VENDORSYNC_MATCH_TOLERANCE_PERCENT", "0.10", minimum=Decimal("0"))
# Auto-accept at or above this confidence (0–1); amount-only rules never auto-accept.
MATCH_AUTO_ACCEPT = env_decimal("VENDORSYNC_MATCH_AUTO_ACCEPT", "0.90", minimum=Decimal("0"))
MATCH_DATE_WINDOW_DAYS = env_int("VENDORSYNC_MATCH_DATE_WINDOW_DAYS", 10, minimum=0)

# --- Reconciliation: posting (issue 11) ----------------------------------------------------------
# One record per deduction: a credit memo (default, NetSuite reference §13.3 A) or an A/R journal
# entry (§13.3 B). Journal style needs the A/R account; payments post to the bank account (blank =
# NetSuite's default, Undeposited Funds). The sandbox chart's ids are the defaults there.
POSTING_STYLE = env_choice("VENDORSYNC_POSTING_STYLE", "credit_memo", {"credit_memo", "journal"})
POSTING_BANK_ACCOUNT_ID = env_str("VENDORSYNC_POSTING_BANK_ACCOUNT_ID", "110" if SANDBOX else "")
POSTING_AR_ACCOUNT_ID = env_str("VENDORSYNC_POSTING_AR_ACCOUNT_ID", "120" if SANDBOX else "")
POSTING_SUBSIDIARY_ID = env_str("VENDORSYNC_POSTING_SUBSIDIARY_ID", "1")
# Cash of a remittance that matches nothing may stay unapplied on the payment up to this amount;
# above it the batch cannot be submitted (unexplained variance).
POSTING_VARIANCE_TOLERANCE = env_decimal(
    "VENDORSYNC_POSTING_VARIANCE_TOLERANCE", "0.50", minimum=Decimal("0")
)
