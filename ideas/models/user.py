"""Members of the site and their roles."""
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import Model
from .types import UTCDateTime, row_version, utcnow

ROLES = ("member", "staff", "admin")
HANDLE_MAX = 30
EMAIL_MODES = ("immediate", "digest", "never")


class User(UserMixin, Model):
    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint(f"role IN {ROLES!r}", name="role_valid"),
        CheckConstraint(f"email_mode IN {EMAIL_MODES!r}", name="email_mode_valid"),
        # An index, not a constraint: SQLite adds an index without rebuilding the table.
        Index("uq_users_handle", "handle", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(80))
    # What @mentions call the member: lower case letters, digits and "_", unique (ideas/handles.py).
    # NULL only until one is derived from the name for an account made in bulk.
    handle: Mapped[str | None] = mapped_column(String(HANDLE_MAX))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(10), default="member")
    email_confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    suspended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Email about followed ideas: at once, in a daily digest, or never (in-app always).
    email_mode: Mapped[str] = mapped_column(String(10), default="immediate")
    timezone: Mapped[str | None] = mapped_column(String(64))
    last_digest_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The secret half of the member's feed links on a private site (ideas.access); None until asked for.
    feed_token: Mapped[str | None] = mapped_column(String(32))
    # The language the member chose for pages and emails (ideas.i18n); None follows the browser.
    locale: Mapped[str | None] = mapped_column(String(10))
    # Changes with every write of the row: what cached fragments showing the member are keyed by.
    version: Mapped[int] = row_version()
    # When the member last opened "My activity": the page marks what changed since (None: never).
    activity_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    # The key of the signed-in session this object was loaded for (ideas.signins), if any: what
    # Flask-Login keeps in the session and remember cookies. Typed in a comment: the ORM would try
    # to map an annotated attribute.
    session_key = None  # type: str | None

    def get_id(self) -> str | None:
        return self.session_key

    @property
    def is_staff(self) -> bool:
        return self.role in ("staff", "admin")

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def is_active(self) -> bool:
        """Suspended members cannot sign in (Flask-Login refuses inactive users)."""
        return self.suspended_at is None

    @property
    def is_confirmed(self) -> bool:
        return self.email_confirmed_at is not None

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email}>"


class SignedInSession(Model):
    """One browser or device a member signed in on: a row per sign-in, checked on every request.

    The cookie carries the row's id and a secret; only the secret's SHA-256 is kept, so a copy of
    the database lets nobody in. Deleting the row signs that device out, wherever the cookie is."""

    __tablename__ = "signed_in_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    secret_hash: Mapped[str] = mapped_column(String(64))
    remember: Mapped[bool] = mapped_column(default=False)
    user_agent: Mapped[str] = mapped_column(String(255), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
