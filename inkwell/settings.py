"""Inkwell settings. Everything that differs between machines comes from the environment.

When DATABASE_URL / REDIS_URL are unset, the embedded stack under `.inkwell/` is used
(see inkwell/embedded.py). Every variable read here is documented in README.md.
"""

import base64
import hashlib
import os
import warnings
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from kombu import Queue

from inkwell import assets, embedded


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


BASE_DIR = embedded.CHECKOUT
PACKAGE_DIR = Path(__file__).resolve().parent
# Installed with `pip install .` the package sits in site-packages: nothing may default to the
# embedded stack or to files beside the code, so every store and path must be given.
INSTALLED_PACKAGE = not (BASE_DIR / "pyproject.toml").is_file()
if INSTALLED_PACKAGE:
    _paths = ["INKWELL_MEDIA_DIR", "INKWELL_STATIC_ROOT", "INKWELL_SEAL_CERT", "INKWELL_SEAL_KEY"]
    if _missing := [
        n for n in ["DATABASE_URL", "REDIS_URL", "INKWELL_SECRET_KEY", *_paths] if not os.environ.get(n)
    ]:
        raise ImproperlyConfigured(f"An installed Inkwell needs {', '.join(_missing)} (see README.md).")
    if _relative := [name for name in _paths if not Path(os.environ[name]).is_absolute()]:
        raise ImproperlyConfigured(f"{', '.join(_relative)} must be absolute for an installed Inkwell.")
DEBUG = env_bool("INKWELL_DEBUG")
SECRET_KEY = os.environ.get("INKWELL_SECRET_KEY") or embedded.secret_key()

# --- Hosts -------------------------------------------------------------------------------------
# The public site lives at INKWELL_PUBLIC_URL; each tenant at <subdomain>.<that host>.
PORT = int(os.environ.get("PORT", "8000"))
INKWELL_PUBLIC_URL = os.environ.get("INKWELL_PUBLIC_URL", f"http://localhost:{PORT}").rstrip("/")
_public = urlsplit(INKWELL_PUBLIC_URL)
INKWELL_SCHEME = _public.scheme
INKWELL_DOMAIN = _public.hostname
INKWELL_PORT = _public.port  # None on the default port for the scheme
ALLOWED_HOSTS = [INKWELL_DOMAIN, f".{INKWELL_DOMAIN}", "127.0.0.1", "[::1]"]
if extra_hosts := os.environ.get("INKWELL_EXTRA_ALLOWED_HOSTS"):
    ALLOWED_HOSTS += [h.strip() for h in extra_hosts.split(",") if h.strip()]

# --- Applications ------------------------------------------------------------------------------
SHARED_APPS = [
    "django_tenants",
    "tenants",
    "billing",
    "tenants.apps.StaffAdminConfig",  # django.contrib.admin with the back office's own site
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.sitemaps",  # the tenant site's sitemap.xml
    "django.contrib.humanize",
    "django_celery_beat",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI's files, served as our own static files
    "django_htmx",
    "template_partials",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
]
TENANT_APPS = [
    # Each tenant schema gets its own copy of these tables.
    "django.contrib.contenttypes",
    "contracts",
    "marketing",
    "dashboard",
    "chat",
]
INSTALLED_APPS = SHARED_APPS + [app for app in TENANT_APPS if app not in SHARED_APPS]

TENANT_MODEL = "tenants.Tenant"
TENANT_DOMAIN_MODEL = "tenants.Domain"
PUBLIC_SCHEMA_URLCONF = "inkwell.urls_public"
ROOT_URLCONF = "inkwell.urls_tenant"
DATABASE_ROUTERS = ["django_tenants.routers.TenantSyncRouter"]

MIDDLEWARE = [
    # Answers /healthz on every host, before tenant lookup or host validation.
    "inkwell.health.HealthCheckMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "inkwell.headers.PrivateNoStoreMiddleware",
    # Static files on every host, before tenant lookup: the unknown-host and suspended pages use them.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "tenants.middleware.TenantMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "tenants.middleware.MembershipMiddleware",
    # The plan's limits first (an upgrade prompt), then the owner's own toggles (404).
    "billing.gating.PlanGateMiddleware",
    "tenants.features.FeatureGateMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "inkwell.errors.DomainErrorMiddleware",
    # Last, as django-axes asks: turns a locked-out staff login into its lockout page.
    "axes.middleware.AxesMiddleware",
]

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "tenants.context_processors.tenant",
                "billing.context_processors.billing",
            ],
        },
    },
]

WSGI_APPLICATION = "inkwell.wsgi.application"
ASGI_APPLICATION = "inkwell.asgi.application"

# --- Data stores -------------------------------------------------------------------------------
DATABASE_URL = os.environ.get("DATABASE_URL") or embedded.postgres_url()


# Behind PgBouncer in transaction pooling mode: every statement carries its tenant's search_path
# (inkwell/db/base.py) and server-side cursors, which outlive a transaction, are off.
PGBOUNCER_TRANSACTION_MODE = env_bool("INKWELL_PGBOUNCER_TRANSACTION_MODE")


def database_settings(
    url: str, *, pool_min: int, pool_max: int, pool_timeout: float, pgbouncer: bool = False
) -> dict:
    """Connections come from a bounded psycopg pool per process (pool_max 0: none, a connection per
    request). Never persistent ones (CONN_MAX_AGE > 0): under ASGI each request runs on its own
    thread and keeps its own connection until garbage collection, which exhausts the server."""
    # Health checks make the pool test a connection before handing it out (survives a server restart).
    config = dj_database_url.parse(url, conn_max_age=0, conn_health_checks=True)
    # django-tenants' backend, plus the PgBouncer transaction-mode behaviour when that setting is on.
    config["ENGINE"] = "inkwell.db"
    if pgbouncer:
        config["DISABLE_SERVER_SIDE_CURSORS"] = True
        if config.get("OPTIONS", {}).get("server_side_binding"):
            raise ImproperlyConfigured("INKWELL_PGBOUNCER_TRANSACTION_MODE needs client-side binding.")
    if pool_max > 0:
        config.setdefault("OPTIONS", {})["pool"] = {
            "min_size": min(pool_min, pool_max),
            "max_size": pool_max,
            "timeout": pool_timeout,
        }
    return config


DATABASES = {
    "default": database_settings(
        DATABASE_URL,
        pool_min=int(os.environ.get("INKWELL_DB_POOL_MIN", "1")),
        pool_max=int(os.environ.get("INKWELL_DB_POOL_MAX", "10")),
        pool_timeout=float(os.environ.get("INKWELL_DB_POOL_TIMEOUT", "30")),
        pgbouncer=PGBOUNCER_TRANSACTION_MODE,
    )
}

REDIS_PROFILE = "dev"
REDIS_URL = os.environ.get("REDIS_URL") or embedded.redis_url(REDIS_PROFILE)
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "inkwell",
        "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
    },
    # Rendered landing pages: keys start with the tenant's schema (django-tenants' key function),
    # so one tenant's cached page can never be served on another's host.
    "site": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "inkwell-site",
        "KEY_FUNCTION": "django_tenants.cache.make_key",
        "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
    },
}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "tenants.User"

# --- Sessions and security ---------------------------------------------------------------------
# Cookies are host-only (no SESSION_COOKIE_DOMAIN): a session made on acme.<domain> is never sent
# to another tenant's host, and the session also records which tenant it belongs to.
SESSION_COOKIE_AGE = int(timedelta(days=30).total_seconds())
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SECURE = INKWELL_SCHEME == "https"
if SECURE and not (os.environ.get("INKWELL_SECRET_KEY") and os.environ.get("INKWELL_FIELD_ENCRYPTION_KEYS")):
    # An https public URL means a real deployment: keys must be shared by every process, not made up per machine.
    raise ImproperlyConfigured(
        "Set INKWELL_SECRET_KEY and INKWELL_FIELD_ENCRYPTION_KEYS for an https deployment."
    )
SESSION_COOKIE_SECURE = SECURE
CSRF_COOKIE_SECURE = SECURE
if SECURE:
    # Browsers accept a __Host- cookie only if it is Secure, for Path=/ and without a Domain: no
    # sibling subdomain (another tenant) or plain-http page can set or shadow it.
    SESSION_COOKIE_NAME = "__Host-sessionid"
    CSRF_COOKIE_NAME = "__Host-csrftoken"
# Messages (the admin's) in the session rather than a "messages" cookie of their own, so the session
# and CSRF cookies above are the only ones we set. Only signed-in staff get messages, so no page
# view stores a session for them.
MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"
# No CSRF_TRUSTED_ORIGINS: every form posts to its own host, and a wildcard over the tenant
# subdomains would let one tenant's pages post into another's.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# django-csp. Everything from the page's own host; scripts and styles only from files: no inline
# <script>, event-handler attribute, <style> element or style attribute is applied.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
# Request bodies over this are refused (413) before they are read, by inkwell/bodylimit.py: the
# largest anyone sends is a 2 MB logo with the settings form around it.
REQUEST_BODY_MAX_BYTES = 2 * 1024 * 1024 + 256 * 1024
# Pages that take a bigger upload, with their own limit (the form checks the file's own size).
REQUEST_BODY_LARGER = {"/contracts/verify/": 10 * 1024 * 1024 + 256 * 1024}  # a contract PDF to verify
if SECURE:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    # Plain http is redirected to https (/healthz still answers first, for load balancer probes).
    SECURE_SSL_REDIRECT = True
    # Every tenant host is https under the wildcard certificate, so HSTS covers the subdomains.
    # A year by default; a lower value while trying out a new domain is easy to back out of.
    SECURE_HSTS_SECONDS = int(os.environ.get("INKWELL_HSTS_SECONDS", str(365 * 24 * 3600)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True

# Axes refuses password checks for a locked-out staff login; tenant sign-in never checks a password.
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
LOGIN_URL = "signin"

# Field encryption (connector secrets). Comma-separated Fernet keys; the first encrypts, all decrypt,
# so keys can be rotated. Without one, a key is derived from SECRET_KEY (fine for development only).
FIELD_ENCRYPTION_KEYS = [
    k.strip() for k in os.environ.get("INKWELL_FIELD_ENCRYPTION_KEYS", "").split(",") if k.strip()
] or [base64.urlsafe_b64encode(hashlib.sha256(f"fernet:{SECRET_KEY}".encode()).digest()).decode()]

# --- Sign-in ------------------------------------------------------------------------------------
SIGNIN_LINK_TTL = timedelta(minutes=15)
# Welcome and invitation links: the new owner may open the email the next day or after a weekend.
# quote form: the least time between showing the form and sending it (spam defence)
LEAD_FORM_MIN_SECONDS = int(os.environ.get("INKWELL_LEAD_FORM_MIN_SECONDS", "3"))
SIGNIN_WELCOME_TTL = timedelta(days=int(os.environ.get("INKWELL_WELCOME_LINK_DAYS", "7")))
SIGNIN_CODE_TTL = timedelta(minutes=10)
SIGNIN_CODE_MAX_ATTEMPTS = 5
SIGNIN_CODE_FAILURES_PER_DAY = 10  # wrong codes per person per day before SMS sign-in stops for the day
# (requests, window in seconds)
SIGNIN_RATE_PER_ADDRESS = (5, 15 * 60)
SIGNIN_RATE_PER_IP = (20, 15 * 60)

# --- Staff back office -------------------------------------------------------------------------
# Staff sign in to the admin with a password and, where required, a TOTP code (django-otp).
# "required" refuses staff without an enrolled authenticator (`manage.py staff_totp_enrol`);
# "optional" lets staff without one in with the password alone (development), while staff who have
# one must still give its code.
STAFF_2FA = os.environ.get("INKWELL_STAFF_2FA") or ("required" if SECURE else "optional")
if STAFF_2FA not in {"required", "optional"}:
    raise ImproperlyConfigured("INKWELL_STAFF_2FA must be 'required' or 'optional'.")
if SECURE and STAFF_2FA != "required":
    # A real deployment's back office can suspend tenants and read their data: a password is not enough.
    raise ImproperlyConfigured("INKWELL_STAFF_2FA must be 'required' on an https deployment.")
OTP_TOTP_ISSUER = f"Inkwell {INKWELL_DOMAIN}"
# The admin never shows an enrolled authenticator's secret or QR code again.
OTP_ADMIN_HIDE_SENSITIVE_DATA = True

# Login throttling (django-axes, counted in the database): after this many wrong passwords for one
# account from one address, that pair is refused, even with the right password, for the cool-off time.
AXES_FAILURE_LIMIT = int(os.environ.get("INKWELL_LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("INKWELL_LOGIN_LOCKOUT_MINUTES", "30")))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_CLIENT_IP_CALLABLE = "inkwell.ratelimit.lockout_address"  # IPv6 per /64, as sign-in counts
AXES_USERNAME_FORM_FIELD = "username"  # the admin login form's field (holding the email)
AXES_RESET_ON_SUCCESS = True
AXES_DISABLE_ACCESS_LOG = True  # failures are kept; every successful sign-in is not
# Masked in the stored failures and logs (the password always is); a code sent with a wrong password
# may still be unused.
AXES_SENSITIVE_PARAMETERS = ["username", "ip_address", "otp_token"]
AXES_LOCKOUT_CALLABLE = "tenants.admin_site.lockout_response"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- Google (analytics connectors and the owner's "Connect Google") --------------------------------
# One OAuth web client for the whole deployment; its one redirect URI is GOOGLE_OAUTH_REDIRECT_URI
# on the public host (see marketing/services/google_connect.py). Empty: owners can't connect Google
# (staff can still paste a service-account key in the admin).
GOOGLE_OAUTH_CLIENT_ID = os.environ.get("GOOGLE_OAUTH_CLIENT_ID", "")
GOOGLE_OAUTH_CLIENT_SECRET = os.environ.get("GOOGLE_OAUTH_CLIENT_SECRET", "")
GOOGLE_OAUTH_REDIRECT_URI = os.environ.get(
    "GOOGLE_OAUTH_REDIRECT_URI", f"{INKWELL_PUBLIC_URL}/oauth/google/callback/"
)
GOOGLE_ADS_DEVELOPER_TOKEN = os.environ.get("GOOGLE_ADS_DEVELOPER_TOKEN", "")
# Seconds one Google API request may take before it counts as a time-out (retried later).
GOOGLE_API_TIMEOUT = float(os.environ.get("GOOGLE_API_TIMEOUT", "60"))

# --- Messaging ---------------------------------------------------------------------------------
TWILIO_ACCOUNT_SID = os.environ.get("TWILIO_ACCOUNT_SID", "")
TWILIO_AUTH_TOKEN = os.environ.get("TWILIO_AUTH_TOKEN", "")
TWILIO_FROM_NUMBER = os.environ.get("TWILIO_FROM_NUMBER", "")
SMS_BACKEND = os.environ.get("SMS_BACKEND") or ("twilio" if TWILIO_ACCOUNT_SID else "outbox")
if not TWILIO_AUTH_TOKEN and SMS_BACKEND == "outbox":
    # Nothing is really sent, so no reply really comes: `manage.py sms_reply` signs a simulated one
    # with this local token (derived from SECRET_KEY, like the offline Stripe webhook secret), and the
    # inbound webhook checks it exactly as it checks Twilio's.
    TWILIO_AUTH_TOKEN = "local-" + hashlib.sha256(f"twilio-inbound:{SECRET_KEY}".encode()).hexdigest()[:32]

EMAIL_BACKEND = "tenants.messaging.RecordingEmailBackend"
# The Django email backend that really delivers (empty: store and print only), e.g.
# django.core.mail.backends.smtp.EmailBackend or anymail.backends.postmark.EmailBackend.
EMAIL_TRANSPORT = os.environ.get("INKWELL_EMAIL_TRANSPORT", "")
if SECURE and not EMAIL_TRANSPORT:
    raise ImproperlyConfigured(
        "Set INKWELL_EMAIL_TRANSPORT for an https deployment: owners sign in by email."
    )
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", f"Inkwell <no-reply@{INKWELL_DOMAIN}>")
# django-anymail: every ANYMAIL_<SETTING> variable becomes ANYMAIL["<SETTING>"].
ANYMAIL = {k.removeprefix("ANYMAIL_"): v for k, v in os.environ.items() if k.startswith("ANYMAIL_")}
if os.environ.get("EMAIL_HOST"):
    EMAIL_HOST = os.environ["EMAIL_HOST"]
    # Implicit TLS (port 465) or STARTTLS (587); Django refuses both at once.
    EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL")
    EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", not EMAIL_USE_SSL)
    EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "465" if EMAIL_USE_SSL else "587"))
    EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
    EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
# Seconds before a stuck SMTP server fails the send, so it cannot hold a worker forever.
EMAIL_TIMEOUT = float(os.environ.get("EMAIL_TIMEOUT", "10"))

# --- Chat assistant and business memory ----------------------------------------------------------
# The assistant's model provider: "anthropic", "openai" or "none" (answers from the FAQ and memory
# alone; the default without a key). Model and key come from here; nothing else is configured.
ANTHROPIC_API_KEY = os.environ.get("ANTHROPIC_API_KEY", "")
OPENAI_API_KEY = os.environ.get("OPENAI_API_KEY", "")
LLM_BACKEND = os.environ.get("LLM_BACKEND") or (
    "anthropic" if ANTHROPIC_API_KEY else "openai" if OPENAI_API_KEY else "none"
)
if LLM_BACKEND not in ("anthropic", "openai", "none"):
    raise ImproperlyConfigured(f"LLM_BACKEND must be anthropic, openai or none, not {LLM_BACKEND!r}.")
# (claude-sonnet-4-5 reaches end of life on 2026-11-30: the anthropic SDK warns about it on every call.)
LLM_MODEL = os.environ.get("LLM_MODEL") or {"anthropic": "claude-sonnet-4-6", "openai": "gpt-4.1-mini"}.get(
    LLM_BACKEND, ""
)
# Seconds one model call may take before the visitor gets the retrieval answer instead.
LLM_TIMEOUT = float(os.environ.get("LLM_TIMEOUT", "20"))
# US dollars per million input and output tokens, for the per-tenant cost record ("3,15").
LLM_PRICE_PER_MTOK = tuple(float(x) for x in os.environ.get("LLM_PRICE_PER_MTOK", "3,15").split(","))
# Embeddings for the memory's similarity search: "openai" (OPENAI_API_KEY), "hash" (a local,
# deterministic word-hashing embedder: tests and demos) or "" (full-text search only).
EMBEDDING_BACKEND = os.environ.get("EMBEDDING_BACKEND", "")
if EMBEDDING_BACKEND not in ("", "openai", "hash"):
    raise ImproperlyConfigured(f"EMBEDDING_BACKEND must be openai, hash or empty, not {EMBEDDING_BACKEND!r}.")
EMBEDDING_MODEL = os.environ.get("EMBEDDING_MODEL", "text-embedding-3-small")
# Widget limits: characters per message, messages per minute per IP and per conversation, and new
# conversations per tenant per day.
CHAT_MAX_MESSAGE = 1000
CHAT_RATE_PER_IP = (int(os.environ.get("CHAT_RATE_PER_IP", "20")), 60)
CHAT_RATE_PER_CONVERSATION = (int(os.environ.get("CHAT_RATE_PER_CONVERSATION", "10")), 60)
CHAT_CONVERSATIONS_PER_DAY = int(os.environ.get("CHAT_CONVERSATIONS_PER_DAY", "500"))
# Leads the chat may make from one IP address (IPv6: one /64) per hour, for one business: the quote
# form's own allowance, so the chat (or a model talked into calling capture_lead) is no way around it.
CHAT_LEADS_PER_IP = (int(os.environ.get("CHAT_LEADS_PER_IP", "5")), 3600)
# Hand-over texts to a business's owners per hour: a visitor who starts conversation after conversation
# only to ask for a person can't text the owner without end (the inbox still shows every one).
CHAT_HANDOVER_SMS_PER_HOUR = int(os.environ.get("CHAT_HANDOVER_SMS_PER_HOUR", "10"))

# Agent access (MCP endpoint, Telegram bot, approvals, event stream).
# A new agent token's tool calls a minute (the owner may set another per token).
AGENT_TOKEN_RATE_PER_MINUTE = int(os.environ.get("AGENT_TOKEN_RATE_PER_MINUTE", "120"))
# Agent lifecycle (chat/services/agents.py): a busy agent silent this long is flagged stuck (once, one
# owner notification), never while a heartbeat younger than AGENT_FRESH_HEARTBEAT_MINUTES exists; a
# warm one silent AGENT_IDLE_MINUTES idles as its warm policy says; any silent AGENT_DEAD_MINUTES is dead.
AGENT_STUCK_MINUTES = int(os.environ.get("AGENT_STUCK_MINUTES", "10"))
AGENT_FRESH_HEARTBEAT_MINUTES = int(os.environ.get("AGENT_FRESH_HEARTBEAT_MINUTES", "2"))
AGENT_IDLE_MINUTES = int(os.environ.get("AGENT_IDLE_MINUTES", "15"))
AGENT_DEAD_MINUTES = int(os.environ.get("AGENT_DEAD_MINUTES", "60"))
# Days an agent's proposal waits for the owner before it expires.
APPROVAL_TTL_DAYS = int(os.environ.get("APPROVAL_TTL_DAYS", "7"))
# The task board's teardown (chat.services.tasks.task_teardown): finished tasks leave the board after
# the grace period; a claim whose agent is silent this long goes back to open.
TASK_ARCHIVE_MINUTES = int(os.environ.get("TASK_ARCHIVE_MINUTES", "30"))
TASK_CLAIM_TIMEOUT_MINUTES = int(os.environ.get("TASK_CLAIM_TIMEOUT_MINUTES", "180"))
# The domain-event streams: a Redis of their own if wanted (default: REDIS_URL), key prefix, length kept.
EVENTS_REDIS_URL = os.environ.get("EVENTS_REDIS_URL") or REDIS_URL
EVENTS_KEY_PREFIX = os.environ.get("EVENTS_KEY_PREFIX", "inkwell:events")
EVENTS_STREAM_MAXLEN = int(os.environ.get("EVENTS_STREAM_MAXLEN", "10000"))
# The agent bus (chat/services/bus.py): messages an agent may send a minute; days a stream keeps them.
BUS_RATE_PER_MINUTE = int(os.environ.get("BUS_RATE_PER_MINUTE", "30"))
BUS_RETENTION_DAYS = int(os.environ.get("BUS_RETENTION_DAYS", "7"))
# One Telegram bot per deployment. Without TELEGRAM_BOT_TOKEN the outbox backend records what would
# be sent (tenants.OutboundMessage, channel telegram), like SMS_BACKEND=outbox.
TELEGRAM_BOT_TOKEN = os.environ.get("TELEGRAM_BOT_TOKEN", "")
TELEGRAM_BOT_USERNAME = os.environ.get("TELEGRAM_BOT_USERNAME", "InkwellDemoBot")
TELEGRAM_BACKEND = os.environ.get("TELEGRAM_BACKEND") or ("api" if TELEGRAM_BOT_TOKEN else "outbox")
# The secret Telegram sends in X-Telegram-Bot-Api-Secret-Token (set with setWebhook); derived from
# SECRET_KEY when unset, so the outbox backend and simulated updates work without configuration.
TELEGRAM_WEBHOOK_SECRET = os.environ.get("TELEGRAM_WEBHOOK_SECRET", "") or (
    "local-" + hashlib.sha256(f"telegram-webhook:{SECRET_KEY}".encode()).hexdigest()[:32]
)
# Seconds one Bot API request may take (a webhook's reply is sent while Telegram waits for the 200).
TELEGRAM_API_TIMEOUT = float(os.environ.get("TELEGRAM_API_TIMEOUT", "5"))
# Messages an agent may send the owner through Telegram in an hour (MCP send_telegram).
TELEGRAM_AGENT_MESSAGES_PER_HOUR = int(os.environ.get("TELEGRAM_AGENT_MESSAGES_PER_HOUR", "20"))

# --- Billing (Stripe) ---------------------------------------------------------------------------
# Without STRIPE_SECRET_KEY the offline backend runs: a local checkout page clearly marked as a test,
# and events signed with a local webhook secret; see README "Billing".
STRIPE_SECRET_KEY = os.environ.get("STRIPE_SECRET_KEY", "")
BILLING_BACKEND = "stripe" if STRIPE_SECRET_KEY else "local"
STRIPE_WEBHOOK_SECRET = os.environ.get("STRIPE_WEBHOOK_SECRET", "")
if not STRIPE_WEBHOOK_SECRET:
    if STRIPE_SECRET_KEY:
        raise ImproperlyConfigured("STRIPE_SECRET_KEY needs STRIPE_WEBHOOK_SECRET as well (see README.md).")
    STRIPE_WEBHOOK_SECRET = (
        "whsec_local_" + hashlib.sha256(f"stripe-webhook:{SECRET_KEY}".encode()).hexdigest()[:32]
    )
if SECURE and BILLING_BACKEND == "local" and not env_bool("INKWELL_BILLING_OFFLINE"):
    # The offline test checkout makes a workspace for anyone who presses Pay: never by default on a
    # real deployment.
    raise ImproperlyConfigured(
        "Set STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET for an https deployment (or "
        "INKWELL_BILLING_OFFLINE=1 for a staging site, where the test checkout gives workspaces away)."
    )
STRIPE_PRICE_IDS = {
    "seo": os.environ.get("STRIPE_PRICE_SEO", "price_local_seo"),
    "seo-ads": os.environ.get("STRIPE_PRICE_SEO_ADS", "price_local_seo_ads"),
    "full": os.environ.get("STRIPE_PRICE_FULL", "price_local_full"),
}
# Days a past-due subscription keeps its tenant open before the tenant is suspended.
BILLING_GRACE_DAYS = int(os.environ.get("INKWELL_BILLING_GRACE_DAYS", "7"))
# Each valid signup opens a Checkout Session at Stripe: a handful an hour from one address is plenty.
BILLING_SIGNUPS_PER_HOUR = int(os.environ.get("INKWELL_SIGNUPS_PER_HOUR", "10"))

# --- Provisioning -------------------------------------------------------------------------------
# How many fully migrated, unclaimed tenant schemas to keep ready (see tenants/services/provisioning.py).
SPARE_SCHEMAS = int(os.environ.get("INKWELL_SPARE_SCHEMAS", "2"))
# Processes `manage.py migrate_tenants` migrates tenant schemas with (see tenants/services/schema_migrations.py).
TENANT_MIGRATION_WORKERS = int(os.environ.get("INKWELL_TENANT_MIGRATION_WORKERS") or os.cpu_count() or 1)
RESERVED_SUBDOMAINS = frozenset(
    [
        "www",
        "admin",
        "api",
        "app",
        "public",
        "static",
        "media",
        "mail",
        "email",
        "smtp",
        "ftp",
        "ns",
        "ns1",
        "ns2",
        "help",
        "support",
        "status",
        "docs",
        "blog",
        "billing",
        "dashboard",
        "login",
        "signin",
        "signup",
        "auth",
        "account",
        "accounts",
        "webhooks",
        "mcp",
        "telegram",
        "inkwell",
        "test",
        "dev",
        "staging",
        "cdn",
        "assets",
    ]
)

# --- Celery -------------------------------------------------------------------------------------
CELERY_BROKER_URL = REDIS_URL.replace("unix://", "redis+socket://", 1)
CELERY_RESULT_BACKEND = None
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_DEFAULT_QUEUE = "inkwell"
# Per-tenant work that beat fans out (one task per tenant, thousands an hour at scale) goes to a queue
# of its own, so a long night of it never delays a sign-in link or a webhook on the default queue.
# A worker started without -Q consumes both; see README "Workers at scale" for running them apart.
CELERY_TENANT_QUEUE = "inkwell-tenant"
CELERY_TASK_QUEUES = [Queue(CELERY_TASK_DEFAULT_QUEUE), Queue(CELERY_TENANT_QUEUE)]
# Besides each fan-out's own tasks (inkwell.fanout.for_each_tenant sends them there), the per-tenant
# work they queue in turn.
CELERY_TENANT_QUEUE_TASKS = ["marketing.tasks.ingestion_run", "tenants.tasks.in_each_tenant"]
CELERY_TASK_ROUTES = ["inkwell.fanout.route"]
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_BEAT_SCHEDULE = {
    "spare-schemas-top-up": {"task": "tenants.tasks.spare_schemas_top_up", "schedule": 300.0},
    "signin-tokens-purge": {"task": "tenants.tasks.signin_tokens_purge", "schedule": 3600.0},
    "sessions-clear": {"task": "tenants.tasks.sessions_clear", "schedule": 86400.0},
    "emails-requeue-stale": {"task": "tenants.tasks.emails_requeue_stale", "schedule": 600.0},
    # per tenant, hourly: expiry, reminders, review requests (local time).
    "contracts-sweep": {"task": "contracts.tasks.contracts_sweep_all", "schedule": 3600.0},
    # hourly, queues each tenant's analytics ingestion at its local INGESTION_HOUR.
    "marketing-ingestion": {"task": "marketing.tasks.ingestion_schedule_all", "schedule": crontab(minute=7)},
    # past-due subscriptions whose grace period ended: suspend their tenants.
    "billing-grace-sweep": {"task": "billing.tasks.billing_grace_sweep", "schedule": 3600.0},
    # Stripe events stored but never processed (broker down at commit, a lost task).
    "billing-events-requeue": {"task": "billing.tasks.webhook_events_requeue_stale", "schedule": 600.0},
    "billing-signups-purge": {"task": "billing.tasks.signups_purge_abandoned", "schedule": 86400.0},
    # hourly, texts each tenant's daily question once its local send hour has come.
    "questionnaire-send": {"task": "chat.tasks.questionnaire_send_all", "schedule": crontab(minute=3)},
    # old Telegram update ids (redelivery lasts a day at most) and expired link codes.
    "telegram-purge": {"task": "chat.tasks.telegram_purge", "schedule": 86400.0},
    # hourly, agents' proposals nobody decided within APPROVAL_TTL_DAYS become expired.
    "approvals-expire": {"task": "chat.tasks.approvals_expire_all", "schedule": crontab(minute=23)},
    # every five minutes, each tenant's task board: archive finished work, free stale and dead claims.
    "tasks-teardown": {"task": "chat.tasks.tasks_teardown_all", "schedule": 300.0},
    # every minute, each tenant's domain events still waiting for the stream (Redis or broker was
    # down); a fan-out not run within the minute is dropped rather than piling up behind a dead worker
    # (django-celery-beat's spelling of `expires`).
    # every minute, each tenant's agents: stuck (busy and silent) flagged once, idling, dead.
    "agents-evaluate": {
        "task": "chat.tasks.agents_evaluate_all",
        "schedule": 60.0,
        "options": {"expire_seconds": 55},
    },
    "events-relay": {
        "task": "chat.tasks.events_relay_all",
        "schedule": 60.0,
        "options": {"expire_seconds": 55},
    },
    # every minute, each tenant's agent-bus messages still waiting for their streams (as above).
    "bus-relay": {"task": "chat.tasks.bus_relay_all", "schedule": 60.0, "options": {"expire_seconds": 55}},
}
CELERY_TIMEZONE = "UTC"

# --- Marketing data ingestion (marketing/services/ingestion.py) -----------------------------------
INGESTION_HOUR = int(os.environ.get("INKWELL_INGESTION_HOUR", "4"))  # tenant-local hour of the nightly run
INGESTION_WINDOW_DAYS = int(os.environ.get("INKWELL_INGESTION_WINDOW_DAYS", "5"))  # trailing days re-fetched
INGESTION_MAX_DAYS = 800  # longest window one run fetches (a two-year backfill fits)
# days of demo metrics the demo tenant gets on first load
INGESTION_DEMO_HISTORY_DAYS = int(os.environ.get("INKWELL_DEMO_HISTORY_DAYS", "730"))
INGESTION_RETRY_BASE_SECONDS = 60
INGESTION_RETRY_MAX_SECONDS = 3600
INGESTION_MAX_RETRIES = 6

# --- REST framework -----------------------------------------------------------------------------
REST_FRAMEWORK = {
    # The API-key class first: its challenge turns "not authenticated" into a 401 with WWW-Authenticate.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "tenants.authentication.ApiKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["tenants.permissions.IsTenantMember"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [
        "inkwell.parsers.SafeJSONParser",  # a body nested too deep is a 400, not a 500
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "EXCEPTION_HANDLER": "inkwell.errors.api_exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}
# The OpenAPI schema of /api/v1/ (inkwell/openapi.py). `manage.py spectacular --validate
# --fail-on-warn` passes; tests/api/test_schema.py keeps it so.
SPECTACULAR_SETTINGS = {
    "TITLE": "Inkwell API",
    "DESCRIPTION": (
        "The REST API of one business on Inkwell, at `https://<business>.<domain>/api/v1/`. "
        "Authenticate with `Authorization: Api-Key <key>` (keys are made by an owner in the "
        "dashboard) or, from the browser, with a member's session (writes then need the CSRF "
        "token in `X-CSRFToken`). Lists are paginated (`page`; `next` and `previous` links). "
        "Every error is `{code, message, fields}`: `code` is stable and machine-readable, "
        "`fields` maps each field at fault to its errors."
    ),
    "VERSION": "1.0.0",
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "persistAuthorization": False},
    # Several models have a `status`: each choice set gets a name of its own.
    "ENUM_NAME_OVERRIDES": {
        "ContractStatusEnum": "contracts.models.Contract.Status",
        "LeadStatusEnum": "marketing.models.Lead.Status",
        "IngestionRunStatusEnum": "marketing.models.IngestionRun.Status",
        "MemorySourceEnum": "chat.models.MemoryEntry.Source",
        "LeadSourceEnum": "marketing.models.Lead.Source",
        "RoleEnum": "tenants.models.Membership.Role",  # the team's, named as before the chat messages' own
        "ChatMessageRoleEnum": "chat.models.Message.Role",
        "ChatMessageOriginEnum": "chat.models.Message.Origin",
        "ApprovalKindEnum": "chat.models.Approval.Kind",
        "ApprovalStatusEnum": "chat.models.Approval.Status",
    },
}

# --- I18N, static, media ------------------------------------------------------------------------
LANGUAGE_CODE = "en-ca"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
# Relative paths are relative to the checkout; an installed Inkwell is given absolute ones.
STATIC_ROOT = BASE_DIR / os.environ.get("INKWELL_STATIC_ROOT", "staticfiles")
STATICFILES_DIRS = assets.staticfiles_dirs(BASE_DIR)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# Serve straight from the finders unless `collectstatic` has been run (production does).
WHITENOISE_USE_FINDERS = not STATIC_ROOT.exists()
# Serving from the checkout is development: pick up edited files without a restart.
WHITENOISE_AUTOREFRESH = WHITENOISE_USE_FINDERS
warnings.filterwarnings("ignore", message="No directory at", category=UserWarning)
MEDIA_URL = "/media/"
MEDIA_ROOT = BASE_DIR / os.environ.get("INKWELL_MEDIA_DIR", ".inkwell/media")

# --- Contract seal ----------------------------------------------------------
# The certificate and key that seal signed contracts (PEM; the key optionally encrypted). Unset, a
# self-signed EC P-256 pair is generated on first use under the state directory and kept there: every
# sealed PDF stays verifiable only as long as that pair is kept, so production configures its own.
_seal_cert, _seal_key = os.environ.get("INKWELL_SEAL_CERT"), os.environ.get("INKWELL_SEAL_KEY")
if bool(_seal_cert) != bool(_seal_key):
    raise ImproperlyConfigured("Set both INKWELL_SEAL_CERT and INKWELL_SEAL_KEY, or neither.")
SEAL_GENERATE = not _seal_cert
SEAL_CERT_FILE = Path(_seal_cert) if _seal_cert else embedded.STATE_DIR / "seal" / "cert.pem"
SEAL_KEY_FILE = Path(_seal_key) if _seal_key else embedded.STATE_DIR / "seal" / "key.pem"
SEAL_KEY_PASSPHRASE = os.environ.get("INKWELL_SEAL_KEY_PASSPHRASE", "")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "filters": {
        "request_host": {"()": "inkwell.log.RequestHostFilter"},
        "secret_links": {"()": "inkwell.log.SecretLinkFilter"},
        "bot_token": {"()": "inkwell.log.BotTokenFilter"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("INKWELL_LOG_LEVEL", "INFO")},
    "loggers": {
        "django.request": {"filters": ["secret_links", "request_host"]},
        # uvicorn's access lines (it then logs through the root handler, in this format).
        "uvicorn.access": {"filters": ["secret_links"]},
        "django.db.backends": {"level": "WARNING"},
        "pgserver": {"level": "WARNING"},
        "axes": {"level": "WARNING"},  # failures and lockouts, not a line for every sign-in
        "weasyprint": {"level": "WARNING"},  # not a line per rendering step of every sealed contract
        "mcp": {"level": "WARNING"},  # the MCP SDK: not a line per stateless /mcp request
        "httpx": {"filters": ["bot_token"]},  # the Telegram Bot API's URLs carry the bot's token
    },
}
