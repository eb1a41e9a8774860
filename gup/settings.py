"""Settings, read from the environment.

Without any variable set, the product runs in its embedded mode: SQLite under var/, console email,
in-process background worker, DEBUG on. DJANGO_ENV=production turns on the production profile,
which refuses to start without the secrets it needs (see README.md, "Configuration").
"""

from pathlib import Path

from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from gup.env import env_bool, env_int, env_list, env_str, parse_cache_url, parse_database_url

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("GUP_VAR_DIR", str(BASE_DIR / "var")))

DJANGO_ENV = env_str("DJANGO_ENV", "development").strip().lower()
if DJANGO_ENV not in ("development", "production", "test"):
    raise ImproperlyConfigured(f"DJANGO_ENV must be development, test or production, got {DJANGO_ENV!r}")
PRODUCTION = DJANGO_ENV == "production"

# --- secrets and hosts -------------------------------------------------------------------------
SECRET_KEY = env_str("SECRET_KEY", "")
if PRODUCTION:
    if not SECRET_KEY:
        raise ImproperlyConfigured("SECRET_KEY is required when DJANGO_ENV=production")
    if len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5:
        raise ImproperlyConfigured("SECRET_KEY must be at least 50 random characters in production")
elif not SECRET_KEY:
    # Embedded mode only: a fixed key so sessions survive restarts on a developer's machine.
    SECRET_KEY = "embedded-mode-only-key-never-used-in-production-0123456789abcdef"

DEBUG = env_bool("DEBUG", default=not PRODUCTION)
if PRODUCTION and DEBUG:
    raise ImproperlyConfigured("DEBUG must be off when DJANGO_ENV=production")

ALLOWED_HOSTS = env_list(
    "ALLOWED_HOSTS", default=[] if PRODUCTION else ["127.0.0.1", "localhost", "testserver"]
)
if PRODUCTION and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS is required when DJANGO_ENV=production (comma-separated)")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

# Unset, `manage.py serve ADDR` (make run) sets it to http://ADDR for itself and its worker.
SITE_BASE_URL = env_str("SITE_BASE_URL", "http://127.0.0.1:8000").rstrip("/")
if PRODUCTION and not SITE_BASE_URL.startswith("https://"):
    raise ImproperlyConfigured("SITE_BASE_URL must be an https:// URL in production")

# --- applications ------------------------------------------------------------------------------
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "guardian",
    "directory",
    "engine",
    "procedures",
    "observation",
    "steering",
    "diagnostics",
    "tfpb",
    "accounts",
    "api",
    "web",
    # After web/: viewflow ships templates (registration/login.html...) that must not replace ours.
    # Its flows run headless (procedures/, tfpb/): no viewflow URL or frontend is mounted.
    "viewflow",
    "viewflow.workflow",
]

MIDDLEWARE = [
    "gup.security.SecurityHeadersMiddleware",  # CSP on every response, no-store for logged-in users
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "gup.middleware.RefuseNulInUrlMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "gup.middleware.IdleSessionMiddleware",  # pushes an active session's end back, every few minutes
]

ROOT_URLCONF = "gup.urls"
WSGI_APPLICATION = "gup.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "gup" / "templates"],  # the admin's base_site.html (before the admin app's)
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

# --- database ----------------------------------------------------------------------------------
DATABASE_URL = env_str("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'gup.sqlite3'}"
DATABASES = {"default": parse_database_url(DATABASE_URL, BASE_DIR)}
# Production reuses connections (a new one per request halves the rate of even GET /api/v1/me/), checked
# before reuse so that a connection the database dropped is replaced instead of failing a request.
DATABASES["default"]["CONN_MAX_AGE"] = env_int("DB_CONN_MAX_AGE", 60 if PRODUCTION else 0)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = env_bool("DB_CONN_HEALTH_CHECKS", True)
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- cache: shared across processes in production (API throttling counts), one process otherwise --------
CACHES = {"default": parse_cache_url(env_str("CACHE_URL", "locmem://"))}

# --- users and access --------------------------------------------------------------------------
AUTH_USER_MODEL = "directory.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
# Brute-force protection of the web login, the admin login and POST /api/v1/auth/token/ (gup/login_limits.py):
# failed attempts per account and per client address in a window that starts at the first failure,
# counted in the default cache (CACHE_URL: Redis to share them across processes). 0 turns a limit off.
LOGIN_MAX_FAILURES = env_int("LOGIN_MAX_FAILURES", 5)
LOGIN_MAX_FAILURES_PER_ADDRESS = env_int("LOGIN_MAX_FAILURES_PER_ADDRESS", 20)
LOGIN_FAILURE_WINDOW_SECONDS = env_int("LOGIN_FAILURE_WINDOW_SECONDS", 900)
# The request header holding the client's address when a trusted reverse proxy sets it (e.g. HTTP_X_REAL_IP);
# empty: REMOTE_ADDR.
LOGIN_CLIENT_ADDRESS_HEADER = env_str("LOGIN_CLIENT_ADDRESS_HEADER", "")
GUARDIAN_RAISE_403 = False
ANONYMOUS_USER_NAME = None  # no guardian anonymous user row

# --- internationalisation ----------------------------------------------------------------------
LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", _("French")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True

# --- static and media --------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(VAR_DIR / "static")))
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(VAR_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG
if not PRODUCTION:
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 15 * 1024 * 1024

# --- email -------------------------------------------------------------------------------------
EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if PRODUCTION
    else "django.core.mail.backends.console.EmailBackend",
)
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "GUP <noreply@gup.invalid>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- background work ---------------------------------------------------------------------------
# Production: Celery with a Redis broker. Embedded: `manage.py run_worker` runs the same jobs.
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", "redis://127.0.0.1:6379/0")
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE = {
    "run-worker-jobs": {"task": "engine.tasks.run_worker_jobs", "schedule": 15.0},
    # the outbox delivery (notifications, webhooks) within about a second of the commit
    "run-fast-jobs": {"task": "engine.tasks.run_fast_jobs", "schedule": 1.0},
}
# Dotted paths of the jobs the worker runs on each tick, in order. Each is a callable that takes
# no argument and returns the number of items it handled.
WORKER_JOBS = env_list("WORKER_JOBS", default=["engine.sweeper.sweep", "engine.outbox.dispatch"])
WORKER_INTERVAL_SECONDS = env_int("WORKER_INTERVAL_SECONDS", 5)
# Jobs of WORKER_JOBS also run between ticks, every WORKER_OUTBOX_POLL_MS milliseconds (at most 1 s): the
# outbox delivery, so that notifications and webhooks leave within about a second of the commit.
WORKER_FAST_JOBS = ["engine.outbox.dispatch"]
WORKER_OUTBOX_POLL_MS = env_int("WORKER_OUTBOX_POLL_MS", 500)

# --- engine ------------------------------------------------------------------------------------
# Who a user is for the engine: the function returning a user's principal keys (see directory/access.py).
ENGINE_PRINCIPAL_KEYS = "directory.access.principal_keys"
# The check every attached file goes through (engine.attachments): images and PDF recognised by their
# content, a name that agrees, at most GUP_UPLOAD_MAX_BYTES (procedures/uploads.py).
ENGINE_ATTACHMENT_CHECK = "procedures.uploads.check_upload"
# Outbox events are delivered by the worker (nothing that can wait is done in the request); true
# delivers them in the producing process right after commit instead (the worker retries what is left).
ENGINE_OUTBOX_DISPATCH_ON_COMMIT = env_bool("ENGINE_OUTBOX_DISPATCH_ON_COMMIT", False)

# --- API ---------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "api.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "GUP API",
    "DESCRIPTION": "Intervention requests, procedures and directory of the GUP platform.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
}

# API (api/): named personal tokens, one error format, write throttling per user, docs without CDN.
INSTALLED_APPS.append("drf_spectacular_sidecar")
REST_FRAMEWORK["DEFAULT_AUTHENTICATION_CLASSES"] = [
    "api.authentication.TokenAuthentication",  # first, so that a missing login answers 401, not 403
    "rest_framework.authentication.SessionAuthentication",
]
REST_FRAMEWORK["EXCEPTION_HANDLER"] = "api.errors.exception_handler"
# JSON nested deeper than API_JSON_MAX_DEPTH, and NUL or unencodable text in any field: 400 (api/parsers.py).
REST_FRAMEWORK["DEFAULT_PARSER_CLASSES"] = [
    "api.parsers.JSONParser",
    "api.parsers.FormParser",
    "api.parsers.MultiPartParser",
]
API_JSON_MAX_DEPTH = 32
REST_FRAMEWORK["DEFAULT_THROTTLE_CLASSES"] = ["api.throttling.WriteRateThrottle"]
REST_FRAMEWORK["DEFAULT_PAGINATION_CLASS"] = "api.pagination.Pagination"
# Writes (POST, PUT, PATCH, DELETE) per user, e.g. "120/min"; empty turns throttling off.
API_WRITE_THROTTLE_RATE = env_str("API_WRITE_THROTTLE_RATE", "120/min")
SPECTACULAR_SETTINGS.update(
    {
        "SWAGGER_UI_DIST": "SIDECAR",
        "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
        "REDOC_DIST": "SIDECAR",
        "COMPONENT_SPLIT_REQUEST": True,
        "ENUM_NAME_OVERRIDES": {
            "WebhookEventTypeEnum": "api.models.WebhookEventType",
            "DeliveryStatusEnum": "api.models.DeliveryStatus",
            "VersionStatusEnum": "engine.models.VersionStatus",
            "TfpbStatusEnum": "tfpb.models.Status",
            "PartnerReviewStatusEnum": "directory.models.PartnerReview.Status",
        },
        "POSTPROCESSING_HOOKS": [
            "drf_spectacular.hooks.postprocess_schema_enums",
            "api.schema.add_error_responses",
        ],
    }
)
# Webhooks: retries with exponential backoff (base, cap) for up to WEBHOOK_MAX_AGE_SECONDS, then given up;
# a subscription is disabled (and its owner emailed) after WEBHOOK_DISABLE_AFTER_FAILURES failures in a row.
WEBHOOK_TIMEOUT_SECONDS = env_int("WEBHOOK_TIMEOUT_SECONDS", 10)
WEBHOOK_RETRY_BASE_SECONDS = env_int("WEBHOOK_RETRY_BASE_SECONDS", 30)
WEBHOOK_RETRY_MAX_INTERVAL_SECONDS = env_int("WEBHOOK_RETRY_MAX_INTERVAL_SECONDS", 3600)
WEBHOOK_MAX_AGE_SECONDS = env_int("WEBHOOK_MAX_AGE_SECONDS", 86400)
WEBHOOK_DISABLE_AFTER_FAILURES = env_int("WEBHOOK_DISABLE_AFTER_FAILURES", 20)
# Webhook URLs whose host resolves to a loopback, private, link-local, multicast or reserved address are
# refused (at subscription and at each delivery) unless this is true: false in production, true otherwise.
WEBHOOK_ALLOW_PRIVATE_TARGETS = env_bool("WEBHOOK_ALLOW_PRIVATE_TARGETS", not PRODUCTION)
if env_str("WORKER_JOBS") is None:
    WORKER_JOBS += ["api.webhooks.deliver_due", "api.idempotency.purge_expired"]
WORKER_FAST_JOBS += ["api.webhooks.deliver_due"]
# Open311: GET without api_key shows every request without personal data; true requires a key (and scopes).
OPEN311_GET_REQUIRES_KEY = env_bool("OPEN311_GET_REQUIRES_KEY", False)

# --- web UI maps -------------------------------------------------------------------------------
# Empty: maps are vector layers on a plain background (works offline). In production, a tile server
# URL template such as https://tiles.example.org/{z}/{x}/{y}.png, and the attribution it requires.
MAP_TILE_URL = env_str("MAP_TILE_URL", "")
MAP_TILE_ATTRIBUTION = env_str("MAP_TILE_ATTRIBUTION", "")
# Address search of the filing map (web/views_geocode.py). Empty: the names the site holds (communes,
# QPV, the demo's streets). Otherwise a geocoder answering GeoJSON for ?q= (with lon, lat and limit),
# e.g. https://api-adresse.data.gouv.fr/search/ (the national address base).
GEOCODER_URL = env_str("GEOCODER_URL", "")

# --- intervention requests (procedures/conf.py lists the GUP_* settings and their defaults) ------
GUP_REOPEN_WINDOW_DAYS = env_int("GUP_REOPEN_WINDOW_DAYS", 15)
GUP_AUTO_CLOSE_DAYS = env_int("GUP_AUTO_CLOSE_DAYS", 10)
GUP_UPLOAD_MAX_BYTES = env_int("GUP_UPLOAD_MAX_BYTES", 10 * 1024 * 1024)
if env_str("WORKER_JOBS") is None:
    WORKER_JOBS += ["procedures.actions.auto_close_done_requests"]
if env_str("WORKER_JOBS") is None:
    WORKER_JOBS += ["directory.land.apply_due_land_changes"]

# --- legal pages (web/views_legal.py): who publishes the service and whom to contact ------------
# The defaults are demo values, shown as such on the pages; set them for a real deployment.
GUP_PUBLISHER_NAME = env_str("GUP_PUBLISHER_NAME", "Communauté urbaine (démo)")
GUP_PUBLISHER_ADDRESS = env_str(
    "GUP_PUBLISHER_ADDRESS", "1 rue de l'Exemple, 78000 Exempleville (adresse de démo)"
)
GUP_PUBLICATION_DIRECTOR = env_str("GUP_PUBLICATION_DIRECTOR", "Le président de la communauté urbaine (démo)")
GUP_CONTACT_EMAIL = env_str("GUP_CONTACT_EMAIL", "contact-gup@example.org")
GUP_DPO_EMAIL = env_str("GUP_DPO_EMAIL", "dpo@example.org")
GUP_HOSTING_PROVIDER = env_str(
    "GUP_HOSTING_PROVIDER", "Hébergeur de démo, 1 avenue de l'Exemple, 75000 Paris"
)
GUP_LEGAL_DEMO_VALUES = not any(
    env_str(name)
    for name in ("GUP_PUBLISHER_NAME", "GUP_PUBLISHER_ADDRESS", "GUP_CONTACT_EMAIL", "GUP_DPO_EMAIL")
)

# --- security (production profile) -------------------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
if PRODUCTION:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_REFERRER_POLICY = "same-origin"

# --- logging: no personal data (user ids only, never names, emails or request bodies) ----------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# --- partner approvals (directory/approvals): reminder to partners who have not answered -------
APPROVAL_REMINDER_DAYS = env_int("APPROVAL_REMINDER_DAYS", 10)
if env_str("WORKER_JOBS") is None:
    WORKER_JOBS += ["directory.approvals.jobs.fire_due_reminders"]
# --- access and personal data (accounts/) --------------------------------------------------------
# An invitation link works once, for this many days; a session ends after this idle time (activity
# pushes the end back: gup.middleware.IdleSessionMiddleware); closed requests older than the retention
# period are anonymised by the worker.
GUP_INVITATION_VALID_DAYS = env_int("GUP_INVITATION_VALID_DAYS", 7)
SESSION_COOKIE_AGE = env_int("SESSION_IDLE_SECONDS", 8 * 3600)
GUP_PERSONAL_DATA_RETENTION_DAYS = env_int("GUP_PERSONAL_DATA_RETENTION_DAYS", 5 * 365)
if env_str("WORKER_JOBS") is None:
    WORKER_JOBS += ["accounts.actions.personal_data.apply_retention"]

# Single sign-on (OpenID Connect, accounts/oidc.py), off in the embedded default. ProConnect: the
# issuer https://auth.agentconnect.gouv.fr/api/v2 (or its integration twin) and the scopes below.
OIDC_ENABLED = env_bool("OIDC_ENABLED", False)
OIDC_ISSUER = env_str("OIDC_ISSUER", "")
OIDC_RP_CLIENT_ID = env_str("OIDC_CLIENT_ID", "")
OIDC_RP_CLIENT_SECRET = env_str("OIDC_CLIENT_SECRET", "")
OIDC_RP_SCOPES = env_str("OIDC_SCOPES", "openid email given_name usual_name siret")
OIDC_RP_SIGN_ALGO = env_str("OIDC_SIGN_ALGO", "RS256")
OIDC_TIMEOUT = env_int("OIDC_TIMEOUT_SECONDS", 10)
OIDC_CHECK_SIRET = env_bool("OIDC_CHECK_SIRET", True)
OIDC_STORE_ID_TOKEN = True  # the hint of the logout at the provider (accounts.oidc.LogoutView)
OIDC_AUTHENTICATE_CLASS = "accounts.oidc.AuthenticateView"
OIDC_CALLBACK_CLASS = "accounts.oidc.CallbackView"
LOGIN_REDIRECT_URL_FAILURE = "/accounts/login/"
if OIDC_ENABLED:
    if PRODUCTION and not (OIDC_ISSUER and OIDC_RP_CLIENT_ID and OIDC_RP_CLIENT_SECRET):
        raise ImproperlyConfigured("OIDC_ENABLED needs OIDC_ISSUER, OIDC_CLIENT_ID and OIDC_CLIENT_SECRET")
    AUTHENTICATION_BACKENDS = [*AUTHENTICATION_BACKENDS, "accounts.oidc.Backend"]
# --- GUP steering (steering/conf.py lists the STEERING_* settings and their defaults) -------------
STEERING_DOCUMENT_MAX_BYTES = env_int("STEERING_DOCUMENT_MAX_BYTES", 20 * 1024 * 1024)
STEERING_ACTION_REMINDER_DAYS = env_int("STEERING_ACTION_REMINDER_DAYS", 7)
if env_str("WORKER_JOBS") is None:
    WORKER_JOBS += ["steering.actions.send_action_reminders", "steering.actions.send_questionnaire_reminders"]
SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"].update(
    {
        "MeetingStatusEnum": "steering.models.MeetingStatus",
        "ActionStatusEnum": "steering.models.ActionStatus",
        "RecommendationStatusEnum": "steering.models.RecommendationStatus",
        "ResponseStatusEnum": "steering.models.ResponseStatus",
        "MeetingDocumentKindEnum": "steering.models.DocumentKind",
        "MeetingAnswerEnum": "steering.models.Answer",
        "FineKindEnum": "observation.models.FineKind",
    }
)
# --- observation (observation/conf.py lists the GUP_OBSERVATION_* settings and their defaults) ----
if env_str("WORKER_JOBS") is None:
    WORKER_JOBS += [
        "observation.actions.take_due_snapshots",
        "observation.actions.refresh_monthly_figures",
        "observation.actions.run_review_jobs",
    ]
# --- sub-sector procedures (procedures/sectors/) --------------------------------------------------
# Approvals run on directory/approvals (reminder: APPROVAL_REMINDER_DAYS, fired by its job above); the
# yearly evaluation is a viewflow timer fired by open_due_evaluations.
if env_str("WORKER_JOBS") is None:
    WORKER_JOBS += [
        "procedures.sectors.actions.end_superseded_versions",
        "procedures.sectors.evaluations.open_due_evaluations",
    ]
# --- routing index (directory/routing.py) ------------------------------------------------------
# "background": after a change to the territory the old index keeps serving while a thread rebuilds it
# (no request waits); "inline": the next call rebuilds it (the tests, a one-process shell).
ROUTING_INDEX_REBUILD = env_str("ROUTING_INDEX_REBUILD", "background")
if ROUTING_INDEX_REBUILD not in ("background", "inline"):
    raise ImproperlyConfigured("ROUTING_INDEX_REBUILD must be background or inline")
# Build the index when the WSGI application starts, before the worker takes traffic.
ROUTING_INDEX_WARM_UP = env_bool("ROUTING_INDEX_WARM_UP", True)
# How long a process trusts the LayerVersion stamp it read (milliseconds; 0: read it on every call): changes
# made by this process are seen at once, those of other processes within this delay.
ROUTING_INDEX_CHECK_MS = env_int("ROUTING_INDEX_CHECK_MS", 1000)
# Where the parcels' part of the index is kept, one file per territory version, written by the worker job
# below (or the first process needing it) and memory-mapped by the web workers; empty: no files.
ROUTING_INDEX_DIR = env_str("ROUTING_INDEX_DIR", str(VAR_DIR / "routing-index"))
# After a change, how long a web worker's background rebuild waits for the worker job to write that file
# before building the index itself.
ROUTING_INDEX_FILE_WAIT_MS = env_int("ROUTING_INDEX_FILE_WAIT_MS", 60000)
if env_str("WORKER_JOBS") is None:
    WORKER_JOBS += ["directory.routing.write_index_file"]
