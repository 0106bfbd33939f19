"""Settings for sipflows.

Runs small by default (SQLite, in-memory channel layer, one process). Set DATABASE_URL and
REDIS_URL to run big (PostgreSQL, Redis channel layer, several ASGI workers).

Secure by default: DEBUG is off unless DEBUG=1 asks for it and every allowed host is this
machine's loopback; SECRET_KEY comes from the environment or from a key generated once into
.secret_key (not committed); HTTPS=1 (served over HTTPS, directly or behind a proxy that sets
X-Forwarded-Proto) turns on HSTS, the redirect to HTTPS and secure cookies.
"""

import hashlib
import os
import secrets
import sys
import tempfile
from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF, UNSAFE_INLINE
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "[::1]", "::1"}


def _generated_secret_key(path: Path) -> str:
    """The key kept in `path`, made on first use; readable by this account only."""
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text(encoding="ascii").strip()
    key = secrets.token_urlsafe(50)
    with os.fdopen(descriptor, "w", encoding="ascii") as file:
        file.write(key + "\n")
    return key


ALLOWED_HOSTS = os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]").split(",")
# Django's technical pages (tracebacks, settings) only ever reach this machine.
DEBUG = os.environ.get("DEBUG") == "1" and set(ALLOWED_HOSTS) <= LOOPBACK_HOSTS
if os.environ.get("DEBUG") == "1" and not DEBUG:
    print("DEBUG=1 ignored: ALLOWED_HOSTS names hosts other than this machine.", file=sys.stderr)
SECRET_KEY = os.environ.get("SECRET_KEY") or _generated_secret_key(BASE_DIR / ".secret_key")
HTTPS = os.environ.get("HTTPS") == "1"

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "channels",
    "axes",
    "django_htmx",
    "template_partials",
    "sipflows",
]

MIDDLEWARE = [
    # Speed: see the block "Pages served fast" below.
    "django.middleware.gzip.GZipMiddleware",
    "sipflows.pagecache.PageCacheMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last, as django-axes asks: it turns a locked-out sign-in into its page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "sipflows.urls"

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
                "django.template.context_processors.i18n",
            ],
        },
    },
]

ASGI_APPLICATION = "sipflows.asgi.application"

DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}", conn_max_age=60
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers run beside the writer, and commits (every live step is one) need no
    # fsync of their own; IMMEDIATE takes the write lock up front instead of failing to upgrade.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
    }

REDIS_URL = os.environ.get("REDIS_URL")
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [REDIS_URL]},
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}


DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("zh-hans", _("Simplified Chinese"))]
LOCALE_PATHS = [BASE_DIR / "sipflows" / "locale"]
USE_I18N = True
TIME_ZONE = "UTC"
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"

# The editor posts a whole flow in one form (a dozen fields a step, 2 MB of text and its form
# encoding), so that a draft over the limits is refused by the editor, which shows it again
# with everything typed, rather than by Django (templates/400.html says what happened then).
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
DATA_UPLOAD_MAX_NUMBER_FIELDS = 50_000

# Sign-in throttling (django-axes): five wrong passwords from one address, or for one
# account, lock that out for a quarter of an hour.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = ["ip_address", "username"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"

# Wrong join codes one client may try (on the join page, in links, over sockets) per window.
JOIN_ATTEMPTS = 10
JOIN_ATTEMPTS_WINDOW = 600  # seconds
# Sockets one client address may hold open on one server process: a whole class behind one
# school router must fit.
SOCKETS_PER_CLIENT = int(os.environ.get("SOCKETS_PER_CLIENT", "100"))
# Actions all sockets of one client address may send per second, together; and the frames a
# process renders per second for solo stepping and exploring (live fan-out apart).
CLIENT_ACTIONS_PER_SECOND = int(os.environ.get("CLIENT_ACTIONS_PER_SECOND", "20"))
RENDERS_PER_SECOND = int(os.environ.get("RENDERS_PER_SECOND", "30"))
# A live walkthrough nobody has moved for this long has ended.
LIVE_SESSION_IDLE = timedelta(hours=4)

# Scripts and styles only from this site. Style attributes stay allowed: the ladder sizes
# itself with one (a CSS variable), and they cannot run code.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "style-src-attr": [UNSAFE_INLINE],
        "img-src": [SELF, "data:"],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

if HTTPS:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = True
    SECURE_HSTS_SECONDS = 365 * 24 * 3600
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    LANGUAGE_COOKIE_SECURE = True
# Preloading is a request to browser makers that only a site's owner can send.
SILENCED_SYSTEM_CHECKS = ["security.W021"]

# Errors (500s above all) go to stderr, whatever DEBUG is.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"stderr": {"class": "logging.StreamHandler", "stream": "ext://sys.stderr"}},
    "root": {"handlers": ["stderr"], "level": "WARNING"},
}

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

# --- Pages served fast -------------------------------------------------------------------
# Pages every anonymous reader sees the same are kept per version and language
# (sipflows/pagecache.py): in this process's memory by default, in Redis when REDIS_URL is set
# (shared by all workers). The versions cache says when the library last changed; every
# process of the site must share it, so it is a file beside the database by default.
# HTML goes out gzipped (GZipMiddleware, and the page cache's own gzip); static files have
# hashed names, are compressed once by collectstatic and served by WhiteNoise with a
# long lifetime (`make run` and the tests collect them into STATIC_ROOT).
# The default cache also counts join-code attempts: shared by all workers when Redis is there.
if REDIS_URL:
    _shared = {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    CACHES = {
        "default": _shared,
        "pages": {**_shared, "KEY_PREFIX": "pages"},
        "versions": {**_shared, "KEY_PREFIX": "versions"},
    }
else:
    _versions_dir = Path(tempfile.gettempdir()) / "sipflows-versions"
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
        "pages": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "pages",
            "OPTIONS": {"MAX_ENTRIES": 2000},
        },
        "versions": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(_versions_dir),
            # One library per database: processes on other databases keep their own.
            "KEY_PREFIX": hashlib.sha256(str(DATABASES["default"]["NAME"]).encode()).hexdigest(),
        },
    }
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
# While developing, files are served from the source folders as they change.
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG
# --- end of pages served fast ------------------------------------------------------------
