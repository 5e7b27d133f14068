"""Daily digests: one email at the member's hour (their time zone) with everything since the last.

Rows of digest members are settled as "digest" by the worker's rules (ideas/delivery/rules.py)
and wait here; what the team hid since they were queued stays out.
"""
import logging
import smtplib
from datetime import datetime, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import current_app
from sqlalchemy import select, update

from ..extensions import db
from ..mail import PermanentFailure, send_composed
from ..models import OutboxRow, User, utcnow
from ..notifications import hidden_from_member
from .compose import compose_notification_email

log = logging.getLogger(__name__)


def _local_now(member: User, now: datetime) -> datetime:
    try:
        zone = ZoneInfo(member.timezone) if member.timezone else timezone.utc
    except (ZoneInfoNotFoundError, ValueError):
        zone = timezone.utc
    return now.astimezone(zone)


def digest_due(member: User, now: datetime, hour: int) -> bool:
    """True when the member's digest hour has come today (their time) and none went out today."""
    local = _local_now(member, now)
    if local.hour < hour:
        return False
    if member.last_digest_at is None:
        return True
    return _local_now(member, member.last_digest_at).date() < local.date()


def send_due_digests(now: datetime | None = None) -> int:
    """Send each digest member whose hour has come one email with everything since the last."""
    now = now or utcnow()
    hour = current_app.config["DIGEST_HOUR"]
    waiting = db.session.execute(
        select(User).where(User.email_mode == "digest", User.id.in_(
            select(OutboxRow.user_id).where(OutboxRow.email_state == "digest")))
    ).scalars().all()
    sent = 0
    for member in waiting:
        if not digest_due(member, now, hour):
            continue
        db.session.execute(  # what the team hid since it was queued stays out of the digest
            update(OutboxRow).where(OutboxRow.user_id == member.id, OutboxRow.email_state == "digest",
                                    hidden_from_member(OutboxRow.event_id, OutboxRow.user_id))
            .values(email_state="skipped", last_error="hidden by the team since"),
            execution_options={"synchronize_session": False})
        rows = db.session.execute(
            select(OutboxRow).where(OutboxRow.user_id == member.id,
                                    OutboxRow.email_state == "digest").order_by(OutboxRow.id)
        ).scalars().all()
        if not rows:
            db.session.commit()
            continue
        message = compose_notification_email(member, rows, digest=True)
        db.session.commit()  # never hold SQLite's write lock while talking to the mail server
        try:
            send_composed(message)
        except (PermanentFailure, smtplib.SMTPException, OSError):
            log.exception("digest for member %s failed; it will be tried again", member.id)
            db.session.rollback()
            continue
        for row in rows:
            row.email_state, row.sent_at = "digested", now
        member.last_digest_at = now
        db.session.commit()
        sent += 1
    return sent
