"""What other tools use to work with Ideas: API keys, webhooks, and records of CSV imports."""
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..events.registry import WebhookNames
from ..extensions import Model
from .mixins import Retried
from .types import UTCDateTime, utcnow
from .user import User

# The webhooks event kinds fire, read from their registry (ideas/events/) on each use.
WEBHOOK_EVENTS = WebhookNames()
DELIVERY_STATES = ("pending", "delivered", "failed")
IMPORT_KINDS = ("idea", "vote")


class ApiKey(Model):
    """A personal key for the JSON API; only its SHA-256 hash is kept (it is shown once)."""

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(60))
    # The first characters of the key, so its owner can tell keys apart in the list.
    prefix: Mapped[str] = mapped_column(String(16))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship(lazy="joined", innerjoin=True)


class WebhookEndpoint(Model):
    """A URL an admin asked us to post events to, signed with its secret."""

    __tablename__ = "webhook_endpoints"

    id: Mapped[int] = mapped_column(primary_key=True)
    url: Mapped[str] = mapped_column(String(500))
    secret: Mapped[str] = mapped_column(String(100))
    # Space-separated names from WEBHOOK_EVENTS.
    events: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(default=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def event_names(self) -> list[str]:
        return self.events.split()


class WebhookDelivery(Retried, Model):
    """One event to post to one endpoint: written with the change, sent by the worker with retries."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        CheckConstraint(f"state IN {DELIVERY_STATES!r}", name="state_valid"),
        Index("ix_webhook_deliveries_due", "next_attempt_at", "id"),
        Index("ix_webhook_deliveries_log", "endpoint_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    endpoint_id: Mapped[int] = mapped_column(ForeignKey("webhook_endpoints.id", ondelete="CASCADE"))
    event: Mapped[str] = mapped_column(String(30))
    # The JSON body exactly as it is sent (and signed), fixed when the event happened.
    body: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(10), default="pending")
    status_code: Mapped[int | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    endpoint: Mapped[WebhookEndpoint] = relationship(lazy="joined", innerjoin=True)


class ImportedRecord(Model):
    """A row of an imported CSV file and what it became, so importing the same file twice changes nothing."""

    __tablename__ = "imported_records"
    __table_args__ = (
        CheckConstraint(f"kind IN {IMPORT_KINDS!r}", name="kind_valid"),
        UniqueConstraint("source", "kind", "external_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Where the row came from: "ideas", "fider" or "canny".
    source: Mapped[str] = mapped_column(String(20))
    kind: Mapped[str] = mapped_column(String(10))
    external_id: Mapped[str] = mapped_column(String(200))
    idea_id: Mapped[int] = mapped_column(ForeignKey("ideas.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
