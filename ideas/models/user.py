"""Members of the site and their roles."""
import secrets
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import CheckConstraint, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .types import UTCDateTime, utcnow

ROLES = ("member", "staff", "admin")
EMAIL_MODES = ("immediate", "digest", "never")


def new_session_token():
    """A fresh value that identifies one generation of a member's sessions."""
    return secrets.token_hex(16)


class User(UserMixin, db.Model):
    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint(f"role IN {ROLES!r}", name="role_valid"),
        CheckConstraint(f"email_mode IN {EMAIL_MODES!r}", name="email_mode_valid"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(80))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(10), default="member")
    # Changing it signs the member out everywhere: it is part of the session and remember cookies.
    session_token: Mapped[str] = mapped_column(String(32), default=new_session_token)
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

    def get_id(self):
        return f"{self.id}:{self.session_token}"

    @property
    def is_staff(self):
        return self.role in ("staff", "admin")

    @property
    def is_admin(self):
        return self.role == "admin"

    @property
    def is_active(self):
        """Suspended members cannot sign in (Flask-Login refuses inactive users)."""
        return self.suspended_at is None

    @property
    def is_confirmed(self):
        return self.email_confirmed_at is not None

    def __repr__(self):
        return f"<User {self.id} {self.email}>"
