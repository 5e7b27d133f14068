"""Settings for each environment. Values come from the environment; nothing is read at import."""
import os
import secrets
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit


def _env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


class Config:
    """Settings shared by every environment."""

    def __init__(self) -> None:
        env = os.environ
        self.SECRET_KEY = env.get("SECRET_KEY")
        self.SQLALCHEMY_DATABASE_URI = env.get("DATABASE_URL")
        self.SITE_NAME = env.get("SITE_NAME", "Ideas")
        # How many reverse proxies stand in front of the app (X-Forwarded-For is trusted that deep).
        self.PROXY_COUNT = int(env.get("PROXY_COUNT", "0"))
        self.SERVER_NAME = env.get("SERVER_NAME")
        # Where the site is reached: every link in every email is built on it (ideas/links.py),
        # never on the request's Host header, which the client chooses.
        self.BASE_URL = env.get("BASE_URL")
        # Host names the site answers to (comma-separated; ".example.com" allows its subdomains);
        # empty answers to any. Production defaults to BASE_URL's host.
        self.ALLOWED_HOSTS = [host.strip() for host in env.get("ALLOWED_HOSTS", "").split(",")
                              if host.strip()]
        # The local hour (member's time zone, else UTC) at which daily digests go out.
        self.DIGEST_HOUR = int(env.get("DIGEST_HOUR", "8"))
        # "At once" emails: a member's notifications about one idea wait this many seconds from
        # the first of them, then go out as one email listing each change (ideas/delivery/
        # collapsing.py); in-app notifications never wait. 0 sends each one at once, alone.
        self.NOTIFY_COLLAPSE_SECONDS = float(env.get("NOTIFY_COLLAPSE_SECONDS", "300"))
        # Run the outbox worker (account emails too) in a thread of the development server (`make run`).
        self.WORKER_IN_PROCESS = _env_bool("WORKER_IN_PROCESS", False)
        self.PREFERRED_URL_SCHEME = env.get("PREFERRED_URL_SCHEME", "http")
        # The currency companies' monthly revenue is given in (ISO 4217: USD, EUR, GBP…): one for
        # the whole site, so amounts from the token, the API and CSV files add up (ideas.companies).
        self.SITE_CURRENCY = env.get("SITE_CURRENCY", "USD").strip().upper() or "USD"

        self.MAIL_SERVER = env.get("MAIL_SERVER")
        self.MAIL_PORT = int(env.get("MAIL_PORT", "25"))
        self.MAIL_USE_TLS = _env_bool("MAIL_USE_TLS")
        self.MAIL_USERNAME = env.get("MAIL_USERNAME")
        self.MAIL_PASSWORD = env.get("MAIL_PASSWORD")
        self.MAIL_FROM = env.get("MAIL_FROM", "Ideas <ideas@localhost>")
        # The email worker (ideas/leases.py): how long its claim on a batch lasts (a killed worker's
        # emails wait that long for the next one), how often a live worker renews it, and the
        # longest one email's SMTP conversation may take. Deadline + renewal < lease.
        self.WORKER_LEASE_SECONDS = float(env.get("WORKER_LEASE_SECONDS", "45"))
        self.WORKER_RENEW_SECONDS = float(env.get("WORKER_RENEW_SECONDS", "15"))
        self.MAIL_SEND_DEADLINE_SECONDS = float(env.get("MAIL_SEND_DEADLINE_SECONDS", "20"))

        self.RATELIMIT_STORAGE_URI = env.get("REDIS_URL", "memory://")
        self.RATELIMIT_HEADERS_ENABLED = True
        self.RATELIMIT_ENABLED = _env_bool("RATELIMIT_ENABLED", True)
        self.RATELIMIT_SIGNUP = env.get("RATELIMIT_SIGNUP", "10 per hour")
        self.RATELIMIT_LOGIN = env.get("RATELIMIT_LOGIN", "20 per 10 minutes")
        self.RATELIMIT_PASSWORD_RESET = env.get("RATELIMIT_PASSWORD_RESET", "5 per hour")
        self.RATELIMIT_PROPOSE = env.get("RATELIMIT_PROPOSE", "20 per hour")
        self.RATELIMIT_COMMENT = env.get("RATELIMIT_COMMENT", "60 per hour")
        self.RATELIMIT_VOTE = env.get("RATELIMIT_VOTE", "120 per minute")
        # Screenshot uploads (POST /attachments, page and API), per member.
        self.RATELIMIT_UPLOAD = env.get("RATELIMIT_UPLOAD", "30 per hour")
        # Every request to the JSON API, per key (per member or address without one).
        self.RATELIMIT_API = env.get("RATELIMIT_API", "600 per minute")

        # How long links sent by email stay good, in seconds.
        self.PASSWORD_RESET_MAX_AGE = int(env.get("PASSWORD_RESET_MAX_AGE", 3600))
        self.EMAIL_CONFIRM_MAX_AGE = int(env.get("EMAIL_CONFIRM_MAX_AGE", 7 * 86400))

        # argon2id parameters (argon2-cffi defaults: ~64 MiB, ~150 ms here).
        self.ARGON2_TIME_COST = int(env.get("ARGON2_TIME_COST", 3))
        self.ARGON2_MEMORY_COST = int(env.get("ARGON2_MEMORY_COST", 65536))
        self.ARGON2_PARALLELISM = int(env.get("ARGON2_PARALLELISM", 4))

        # Rendered blocks each web process keeps (ideas.web.fragments): how many, and how much HTML
        # in all (millions of characters); 0 blocks turns the cache off.
        self.FRAGMENT_CACHE_SIZE = int(env.get("FRAGMENT_CACHE_SIZE", "4000"))
        self.FRAGMENT_CACHE_MB = float(env.get("FRAGMENT_CACHE_MB", "16"))
        # How long a process reuses the computed /pulse figures, in seconds.
        self.PULSE_CACHE_SECONDS = int(env.get("PULSE_CACHE_SECONDS", "60"))
        self.ACCOUNTABILITY_CACHE_SECONDS = int(env.get("ACCOUNTABILITY_CACHE_SECONDS", "60"))

        self.IDEAS_PER_PAGE = 20
        self.WTF_CSRF_TIME_LIMIT = None  # tokens die with the session, not with the clock
        self.SESSION_COOKIE_HTTPONLY = True
        self.SESSION_COOKIE_SAMESITE = "Lax"
        self.REMEMBER_COOKIE_HTTPONLY = True
        # How long "remember me" keeps a member signed in on that browser, and the longest any
        # signed-in session lasts (ideas.signins: the server ends it then, whatever the cookie says).
        self.REMEMBER_DAYS = int(env.get("REMEMBER_DAYS", "30"))
        # "My activity" marks what changed since the member's previous visit; views closer together
        # than this are one visit, so a reload keeps its marks.
        self.ACTIVITY_VISIT_GAP_MINUTES = int(env.get("ACTIVITY_VISIT_GAP_MINUTES", "30"))
        self.REMEMBER_COOKIE_DURATION = timedelta(days=self.REMEMBER_DAYS)
        self.REMEMBER_COOKIE_SAMESITE = "Lax"
        self.SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
        # How long a web request waits for a locked database before it answers 503 (SQLite: busy
        # timeout; PostgreSQL: lock_timeout, and statement_timeout for any one statement), and the
        # longer limits of the worker and the CLI (ideas.database.WaitLimits; 0 ms is no limit).
        self.DATABASE_BUSY_TIMEOUT_SECONDS = float(env.get("DATABASE_BUSY_TIMEOUT_SECONDS", "5"))
        self.DATABASE_BACKGROUND_BUSY_TIMEOUT_SECONDS = float(
            env.get("DATABASE_BACKGROUND_BUSY_TIMEOUT_SECONDS", "30"))
        self.PG_LOCK_TIMEOUT_MS = int(env.get("PG_LOCK_TIMEOUT_MS", "5000"))
        self.PG_STATEMENT_TIMEOUT_MS = int(env.get("PG_STATEMENT_TIMEOUT_MS", "20000"))
        self.PG_BACKGROUND_LOCK_TIMEOUT_MS = int(env.get("PG_BACKGROUND_LOCK_TIMEOUT_MS", "60000"))
        self.PG_BACKGROUND_STATEMENT_TIMEOUT_MS = int(env.get("PG_BACKGROUND_STATEMENT_TIMEOUT_MS", "0"))
        self.JSON_LOGS = _env_bool("JSON_LOGS", False)
        # CSV import: the largest file accepted, and where uploads wait between dry run and import
        # (default instance/imports; with several machines, a directory they share).
        self.IMPORT_MAX_BYTES = int(env.get("IMPORT_MAX_BYTES", 20 * 1024 * 1024))
        self.IMPORT_UPLOAD_DIR = env.get("IMPORT_UPLOAD_DIR")
        # The largest request body: a bigger one is refused (413) before anything is read. Forms
        # need far less than this; only the CSV import and screenshot uploads take more
        # (ideas/web/body_limits.py): the import's file, and 1 MiB for the form around it.
        self.MAX_CONTENT_LENGTH = int(env.get("MAX_CONTENT_LENGTH", 1024 * 1024))
        self.IMPORT_MAX_CONTENT_LENGTH = self.IMPORT_MAX_BYTES + 1024 * 1024
        # A screenshot upload: the image (at most 5 MB, ideas/images.py MAX_BYTES) and its form.
        self.UPLOAD_MAX_CONTENT_LENGTH = int(env.get("UPLOAD_MAX_CONTENT_LENGTH",
                                                     5 * 1024 * 1024 + 64 * 1024))
        # Sign-in through an OpenID Connect provider (ideas.sso), for the first admin: what an admin
        # saves on the "Single sign-on" page takes their place. The issuer is the provider's address
        # (its discovery document is at ISSUER/.well-known/openid-configuration).
        self.OIDC_ISSUER = env.get("OIDC_ISSUER", "")
        self.OIDC_CLIENT_ID = env.get("OIDC_CLIENT_ID", "")
        self.OIDC_CLIENT_SECRET = env.get("OIDC_CLIENT_SECRET", "")


class DevelopmentConfig(Config):
    """`make run` and `flask run`: SQLite in instance/, mail written to the log."""

    def __init__(self, instance_path: str | Path) -> None:
        super().__init__()
        if not self.SQLALCHEMY_DATABASE_URI:
            self.SQLALCHEMY_DATABASE_URI = f"sqlite:///{Path(instance_path) / 'ideas.sqlite'}"
        if not self.SECRET_KEY:
            self.SECRET_KEY = _instance_secret(Path(instance_path))
        self.WORKER_IN_PROCESS = _env_bool("WORKER_IN_PROCESS", True)
        # The address `flask run` serves (`make run` passes its PORT as FLASK_RUN_PORT).
        self.BASE_URL = self.BASE_URL or "http://{}:{}".format(
            os.environ.get("FLASK_RUN_HOST", "127.0.0.1"), os.environ.get("FLASK_RUN_PORT", "5000"))


class TestingConfig(Config):
    """The test suite: cheapest argon2 parameters, no rate limits unless a test asks."""

    def __init__(self, instance_path: str | Path | None = None) -> None:
        super().__init__()
        self.TESTING = True
        self.SECRET_KEY = "testing-secret"
        self.SQLALCHEMY_DATABASE_URI = "sqlite://"
        self.MAIL_SERVER = None
        self.RATELIMIT_STORAGE_URI = "memory://"
        self.RATELIMIT_ENABLED = False
        self.WTF_CSRF_ENABLED = False
        self.ARGON2_TIME_COST = 1
        self.ARGON2_MEMORY_COST = 8
        self.ARGON2_PARALLELISM = 1
        self.SERVER_NAME = None
        self.BASE_URL = "http://localhost"  # the test client's own address
        # Each test's emails go out when it drains the outbox; the tests of collapsing set a window.
        self.NOTIFY_COLLAPSE_SECONDS = 0


class ProductionConfig(Config):
    """Real deployments: refuses to start without a secret key or on SQLite unless allowed."""

    def __init__(self, instance_path: str | Path | None = None) -> None:
        super().__init__()
        if not self.SECRET_KEY:
            raise RuntimeError("SECRET_KEY must be set in production")
        if not self.SQLALCHEMY_DATABASE_URI:
            raise RuntimeError("DATABASE_URL must be set in production")
        if self.SQLALCHEMY_DATABASE_URI.startswith("sqlite") and not _env_bool("ALLOW_SQLITE"):
            raise RuntimeError("SQLite in production needs ALLOW_SQLITE=1")
        host = urlsplit(self.BASE_URL or "").hostname
        if not host or urlsplit(self.BASE_URL).scheme not in ("http", "https"):
            raise RuntimeError("BASE_URL must be set in production to the site's address, "
                               "e.g. https://ideas.example.com: every link in every email is built on it")
        self.ALLOWED_HOSTS = self.ALLOWED_HOSTS or [host]
        self.SESSION_COOKIE_SECURE = True
        self.REMEMBER_COOKIE_SECURE = True
        self.JSON_LOGS = _env_bool("JSON_LOGS", True)
        self.PREFERRED_URL_SCHEME = os.environ.get("PREFERRED_URL_SCHEME", "https")


CONFIGS = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}


def load_config(name: str, instance_path: str | Path) -> Config:
    """Build the settings object for the environment called `name`."""
    try:
        return CONFIGS[name](instance_path)
    except KeyError:
        raise RuntimeError(f"IDEAS_ENV must be one of {', '.join(CONFIGS)}, not {name!r}") from None


def _instance_secret(instance_path: Path) -> str:
    """A development secret kept in instance/ so sessions survive restarts."""
    path = instance_path / "secret_key"
    if not path.exists():
        instance_path.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32))
    return path.read_text().strip()
