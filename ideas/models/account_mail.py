"""Account emails waiting for the worker: reset links, sign-in codes, confirmations, invitations."""
from datetime import datetime

from sqlalchemy import CheckConstraint, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import Model
from .mixins import Retried
from .types import UTCDateTime, utcnow

ACCOUNT_EMAIL_KINDS = ("reset", "code", "confirm", "invite")
ACCOUNT_EMAIL_STATES = ("pending", "sent", "skipped", "failed")


class AccountEmail(Retried, Model):
    """One account email someone asked for, written by the request whatever the address.

    It names only the address, never a member, a token or a code: the worker looks the address
    up when it sends, and makes the link or code then, so the queue holds no secret and the
    request does the same work whether or not an account uses the address.
    """

    __tablename__ = "account_emails"
    __table_args__ = (
        CheckConstraint(f"kind IN {ACCOUNT_EMAIL_KINDS!r}", name="kind_valid"),
        CheckConstraint(f"state IN {ACCOUNT_EMAIL_STATES!r}", name="state_valid"),
        Index("ix_account_emails_due", "next_attempt_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))
    address: Mapped[str] = mapped_column(String(254))
    # The asking page's language; a member's own choice wins when the email is written.
    locale: Mapped[str | None] = mapped_column(String(10))
    state: Mapped[str] = mapped_column(String(10), default="pending")
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Settled rows are deleted some days after this (ideas.account_emails.KEEP_SETTLED).
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
