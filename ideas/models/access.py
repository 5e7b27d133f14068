"""Who may come in: one-time sign-in codes, invitations from staff, throttles on guessing and on
account emails, and the site's uploaded logo."""
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import Model
from .types import UTCDateTime, utcnow
from .user import User


class SignInCode(Model):
    """A short code emailed to a member; only its keyed SHA-256 hash is kept. Good once, for a while,
    for a few tries."""

    __tablename__ = "sign_in_codes"
    __table_args__ = (CheckConstraint("attempts >= 0", name="attempts_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(default=0)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Invitation(Model):
    """Staff asked someone to join; the emailed link (a signed token naming this row) lets them sign up."""

    __tablename__ = "invitations"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), index=True)
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # When the latest link was made; a link older than the invitation's lifetime stops working.
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    accepted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    invited_by: Mapped[User | None] = relationship(foreign_keys=[invited_by_id], lazy="joined")

    @property
    def state(self) -> str:
        """"pending", "accepted" or "revoked"."""
        if self.accepted_at is not None:
            return "accepted"
        return "revoked" if self.revoked_at is not None else "pending"


class Throttle(Model):
    """How often something keyed on an email address happened lately: wrong passwords for it, or
    reset emails sent to it. Keyed by a hash of the address, which exists whether or not an
    account does, so a throttle says nothing about which addresses have one."""

    __tablename__ = "throttles"
    __table_args__ = (CheckConstraint("hits >= 0", name="hits_positive"),)

    key: Mapped[str] = mapped_column(String(80), primary_key=True)  # "<kind>:<sha256 of the address>"
    hits: Mapped[int] = mapped_column(default=0)
    window_started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    blocked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)


class SiteAsset(Model):
    """A file admins upload (the logo), kept in the database: the app's machines share nothing else."""

    __tablename__ = "site_assets"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    content_type: Mapped[str] = mapped_column(String(40))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    # SHA-256 of `data`: part of the URL, so browsers may cache the file for ever.
    digest: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
