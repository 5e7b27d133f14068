"""Identities at an OpenID Connect provider, each linked to one member (ideas.sso)."""
from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import Model
from .types import UTCDateTime, utcnow

ISSUER_MAX = 255
SUBJECT_MAX = 255


class Identity(Model):
    """A provider's account (its issuer and `sub`) that signs a member in.

    Keyed by issuer and subject, never by email: a provider may reuse or change an address, but its
    subject for a person never changes. The database keeps each identity on one member at most."""

    __tablename__ = "identities"
    __table_args__ = (UniqueConstraint("issuer", "subject"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    issuer: Mapped[str] = mapped_column(String(ISSUER_MAX))
    subject: Mapped[str] = mapped_column(String(SUBJECT_MAX))
    # The address the provider gave when the identity was linked: shown on the account page only.
    email: Mapped[str | None] = mapped_column(String(254))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
