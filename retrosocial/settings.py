"""
Settings for RetroSocial: one file, configured by the environment.

On your own machine set DEBUG=1 and nothing else: the site uses SQLite and the in-memory
channel layer. In production (Heroku, or `retro deploy local`) set SECRET_KEY,
ALLOWED_HOSTS, DATABASE_URL and REDIS_URL; DEBUG is off unless it is set.
"""

import os
import sys
from email.utils import getaddresses
from importlib.util import find_spec
from pathlib import Path

import dj_database_url
from corsheaders.defaults import default_headers as default_cors_headers
from csp.constants import NONE, SELF, UNSAFE_INLINE
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name, default=False):
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name, default=""):
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG")

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY and DEBUG:
    SECRET_KEY = "django-insecure-local-development-only"
if not DEBUG and (len(SECRET_KEY) < 50 or SECRET_KEY.startswith("django-insecure")):
    raise ImproperlyConfigured(
        "SECRET_KEY must be set to a long random value when DEBUG is off. "
        "For local development set DEBUG=1 instead. Generate a key with: "
        "python -c 'import secrets; print(secrets.token_urlsafe(50))'"
    )

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]" if DEBUG else "")
if not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS must name the site's host when DEBUG is off.")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    # daphne first: its runserver replaces Django's and serves websockets too.
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "channels",
    "corsheaders",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_tasks",
    "django_tasks_db",
    "users",
    "posts",
    "messaging",
    "api",
]

MIDDLEWARE = [
    # Outermost, as django-cors-headers asks: it answers the preflight requests itself, and
    # its headers reach every answer under /api/, the error pages made JSON below included.
    "corsheaders.middleware.CorsMiddleware",
    # Next, so it sees every other answer: under /api/ an error page becomes JSON.
    "api.errors.JSONErrorsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

# The development tools of requirements-local.txt: django-debug-toolbar (a panel beside every
# page: its SQL queries, templates, timings) and django-extensions (shell_plus, show_urls). Each
# is loaded only when DEBUG is on and the package is installed: Heroku installs requirements.txt
# alone, and with DEBUG off they stay out even where they are installed. They stay out of the
# test suite too (pytest sets PYTEST_VERSION, `manage.py test` is a test run): the tests check
# the apps production runs, and the toolbar must not answer in tests, where Django turns DEBUG
# off after these settings were read.
RUNNING_TESTS = "PYTEST_VERSION" in os.environ or sys.argv[1:2] == ["test"]


def development_tool(module: str) -> bool:
    return DEBUG and not RUNNING_TESTS and find_spec(module) is not None


if development_tool("django_extensions"):
    INSTALLED_APPS.append("django_extensions")
if development_tool("debug_toolbar"):
    INSTALLED_APPS.append("debug_toolbar")
    # After WhiteNoise, so the toolbar leaves static files alone, and early enough to see
    # every query and template of the page. It adds its panel to HTML pages only, for requests
    # from INTERNAL_IPS (this machine). Its scripts and styles are static files of its own,
    # which the Content-Security-Policy below allows ('self'): it needs no inline script.
    MIDDLEWARE.insert(
        MIDDLEWARE.index("whitenoise.middleware.WhiteNoiseMiddleware") + 1,
        "debug_toolbar.middleware.DebugToolbarMiddleware",
    )
    INTERNAL_IPS = ["127.0.0.1", "::1"]

ROOT_URLCONF = "retrosocial.urls"

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
                "messaging.context_processors.unread_messages",
            ],
        },
    },
]

WSGI_APPLICATION = "retrosocial.wsgi.application"
ASGI_APPLICATION = "retrosocial.asgi.application"

# DATABASE_URL, e.g. postgres://user:password@host:5432/name; SQLite when unset.
DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=0,
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Under ASGI each request runs in a thread of its own, so connections are not kept from one
    # request to the next: a pool (psycopg's) lends each request one that is already open. A
    # request waits at most 3 s for one (then the database counts as down: the API says 503).
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": 1,
        "max_size": int(os.environ.get("DATABASE_POOL_SIZE", 10)),
        "timeout": 3,
    }

# REDIS_URL, e.g. redis://127.0.0.1:6379/0 or Heroku's rediss://…; in-memory when unset.
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    redis_host = {"address": REDIS_URL}
    if REDIS_URL.startswith("rediss://"):
        # Heroku Redis presents a self-signed certificate.
        redis_host["ssl_cert_reqs"] = None
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {
                "hosts": [redis_host],
                "prefix": os.environ.get("CHANNEL_LAYER_PREFIX", "retrosocial"),
            },
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

# Live delivery (retrosocial/live.py) shares REDIS_URL and the prefix with the channel layer.
LIVE_PREFIX = os.environ.get("CHANNEL_LAYER_PREFIX", "retrosocial")
# Bytes a socket's client may leave unread before it is closed with 4000 (catch up, reconnect).
LIVE_SOCKET_BUFFER = int(os.environ.get("LIVE_SOCKET_BUFFER", 1024 * 1024))

# The cache holds the rate limits' counters and copies of what every visit reads (the feed's
# first page, the people list: retrosocial/cache.py): in Redis, shared by every process, when
# REDIS_URL is set, and local memory otherwise. A Redis that does not answer within 0.1 s is
# skipped, and then left alone for a few seconds: the limits let the request through and the
# pages read the database.
if REDIS_URL:
    redis_options = {
        "socket_connect_timeout": 0.1,
        "socket_timeout": 0.1,
        # One pool of connections for the whole process, not one per request.
        "pool_class": "retrosocial.cache.SharedConnectionPool",
    }
    if REDIS_URL.startswith("rediss://"):
        redis_options["ssl_cert_reqs"] = None
    CACHES = {
        "default": {
            "BACKEND": "retrosocial.cache.GuardedRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": os.environ.get("CACHE_KEY_PREFIX", "retrosocial"),
            "OPTIONS": redis_options,
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Background tasks (Django's Tasks API): kept in the database and run by the worker process,
# `python manage.py db_worker` (the Procfile's `worker:`), so a request never waits for them.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

# Mail. Every message is handed to a task (retrosocial/mail.py) that the worker sends with
# MAIL_DELIVERY_BACKEND: SMTP when EMAIL_HOST is set (e.g. 127.0.0.1 and EMAIL_PORT 1025 for a
# local debugging server, or a provider's host, user and password on Heroku), else printed
# to the worker's output.
EMAIL_BACKEND = "retrosocial.mail.TaskEmailBackend"
EMAIL_HOST = os.environ.get("EMAIL_HOST", "")
MAIL_DELIVERY_BACKEND = (
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "django.core.mail.backends.console.EmailBackend"
)
EMAIL_PORT = int(os.environ.get("EMAIL_PORT") or 587)
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", EMAIL_PORT == 587)
EMAIL_TIMEOUT = 10
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "RetroSocial <noreply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
EMAIL_SUBJECT_PREFIX = "[RetroSocial] "
# ADMINS: who is mailed a server error's traceback when DEBUG is off, e.g.
# "Ada <ada@example.com>, bob@example.com".
ADMINS = [(name, email) for name, email in getaddresses([os.environ.get("ADMINS", "")]) if email]

# How many proxies in front of the site append to X-Forwarded-For: 1 behind Heroku's router,
# 0 (the default) when clients connect straight to daphne. The client's address is the entry
# that many places from the right; anything further left was written by the client.
TRUSTED_PROXY_COUNT = int(os.environ.get("TRUSTED_PROXY_COUNT") or 0)

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# The REST API (api/): token or session authentication, JSON only, cursor-paginated lists.
# The rate limits of every door, pages and API alike (retrosocial/limits.py), are rates such
# as "10/minute": API_THROTTLE_AUTH, sign-ups and logins per client address;
# LOGIN_FAILURE_LIMIT, wrong passwords per account; API_THROTTLE_WRITE, posts and messages
# per user. Tests raise them.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["api.parsers.JSONParser"],
    "EXCEPTION_HANDLER": "api.errors.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_THROTTLE_RATES": {
        "auth": os.environ.get("API_THROTTLE_AUTH", "10/minute"),
        "login": os.environ.get("LOGIN_FAILURE_LIMIT", "5/minute"),
        "write": os.environ.get("API_THROTTLE_WRITE", "60/minute"),
    },
}
SPECTACULAR_SETTINGS = {
    "TITLE": "RetroSocial API",
    "DESCRIPTION": "Posts, direct messages and accounts of a RetroSocial site. Authenticate "
    "with `Authorization: Token <key>` (POST /api/auth/token). Live updates: the websockets "
    "/ws/feed and /ws/inbox send each new post and message as JSON.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": "/api",
    "COMPONENT_SPLIT_REQUEST": True,
    "PREPROCESSING_HOOKS": ["api.dispatch.operation_endpoints"],  # see api/dispatch.py
    # /api/docs/ serves Swagger UI from drf-spectacular-sidecar's static files: no CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# Cross-origin use of the API (django-cors-headers): CORS_ALLOWED_ORIGINS lists the origins,
# e.g. "https://example.github.io,http://127.0.0.1:8001", whose pages may call /api/ from the
# browser, such as the static frontend (frontend/) served by another host. None by default:
# no other origin may. Only /api/, and without credentials: a token in the Authorization
# header, never the session cookie. The same origins may open the websockets with a token
# (retrosocial/websocket.py).
CORS_ALLOWED_ORIGINS = env_list("CORS_ALLOWED_ORIGINS")
CORS_URLS_REGEX = r"^/api/"
CORS_ALLOW_CREDENTIALS = False
CORS_ALLOW_HEADERS = (*default_cors_headers, "idempotency-key")
# A page on another origin reads only the headers listed here (and a few simple ones).
CORS_EXPOSE_HEADERS = ["Retry-After", "Idempotent-Replayed"]

# Content-Security-Policy on every answer: scripts only from the site's own files (no inline
# script anywhere, Swagger UI included), no plugins, no framing. Inline styles stay allowed:
# Swagger UI's page has a <style> block, and a style cannot run code.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF, UNSAFE_INLINE],
        "img-src": [SELF, "data:"],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT") or BASE_DIR / "staticfiles")
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Behind Heroku's router (and daphne --proxy-headers) the original scheme arrives here.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
if not DEBUG:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", True)
    CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", 60 * 60 * 24 * 30))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
    # /healthz is for load balancers and monitors that speak plain HTTP.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]


def not_healthz(record) -> bool:
    """False for /healthz's 503: it answers so on purpose while a part is down, a monitor asks
    every minute, and its own log line says what is down. Such answers are not mailed."""
    return getattr(getattr(record, "request", None), "path", "") != "/healthz"


LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "{levelname} {name}: {message}", "style": "{"}},
    # Standard output: what Heroku's log router (and honcho) collect.
    "filters": {
        "require_debug_false": {"()": "django.utils.log.RequireDebugFalse"},
        "not_healthz": {"()": "django.utils.log.CallbackFilter", "callback": not_healthz},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "stream": "ext://sys.stdout",
        },
        # A server error (a 500) mails its traceback to ADMINS, when DEBUG is off.
        "mail_admins": {
            "class": "django.utils.log.AdminEmailHandler",
            "level": "ERROR",
            "filters": ["require_debug_false", "not_healthz"],
        },
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "django": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "django.request": {"handlers": ["mail_admins"], "level": "ERROR", "propagate": True},
    },
}
