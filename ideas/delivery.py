"""The worker: delivers the outbox. In-app notifications exactly once; email at least once.

Each pass first fills the inboxes of every row still waiting, with a few set-based
statements (INSERT … SELECT from the outbox, ON CONFLICT DO NOTHING on (member, event)), so
an event with 10,000 followers reaches every inbox in seconds, before any email is tried.

Several workers may run at once. For email a worker claims a batch of due rows atomically
(PostgreSQL: `FOR UPDATE SKIP LOCKED`; SQLite: one `UPDATE … RETURNING` under its write lock)
and holds them for a short lease, renewed while it works (ideas/leases.py), so no two workers
deliver the same row and a dead worker's rows come back within the lease. Rows that need no
email now (unconfirmed address, no email, digest) are settled in one statement, by the rules
that are applied again to each of the rest just before its email; those are sent one by one,
each under a fresh lease and a deadline shorter than it, and every outcome is written only
while the row is still this worker's. An email is recorded as sent right after the server
accepts it (through database hiccups); only a crash in between can repeat it, with the same
Message-ID.

Each pass begins with the account emails (ideas/account_emails.py), which people wait for.
"""
import logging
import smtplib
import threading
import time
from collections.abc import Iterable, Sequence
from datetime import datetime, timezone
from typing import Any, cast
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import Flask, current_app, render_template
from flask_babel import force_locale
from sqlalchemy import ColumnElement, CursorResult, Exists, Select, case, func, or_, select, update

from .account_emails import deliver_due_account_emails, prune_settled_account_emails
from .database import insert_from_select_ignoring_conflicts, writing
from .branding import site_name
from .extensions import db
from .i18n import DEFAULT_LOCALE
from .links import base_url, external_url
from .leases import Claim, LeaseTimes, stopping
from .mail import PermanentFailure, branded_sender, send_composed
from .models import Event, Follow, Notification, OutboxRow, User, utcnow
from .events import kind_named, registered_kinds
from .notifications import hidden_from_member, link_target, payload_of, summary
from .unsubscribe import unsubscribe_token
from .webhooks import deliver_due_webhooks

log = logging.getLogger(__name__)

BATCH = 200  # outbox rows claimed at once
# How often a running worker deletes account emails settled long enough ago.
PRUNE_EVERY_SECONDS = 600
INAPP_CHUNK = 5_000  # rows per in-app statement: SQLite's write lock is freed between chunks


def claim_batch(limit: int = BATCH, now: datetime | None = None) -> Claim:
    """Atomically take up to `limit` due rows for this worker (ideas/leases.py)."""
    return Claim.take(OutboxRow, OutboxRow.email_state, limit, [OutboxRow.id], now)


def _waiting_for_inbox(now: datetime) -> Select[int]:
    """A select of the ids of due rows whose in-app notification is not written yet."""
    # Such a row has not had its first email attempt, so it is due since it was written: the
    # range on next_attempt_at walks ix_outbox_due over the rows with work left, not the outbox.
    return select(OutboxRow.id).where(OutboxRow.next_attempt_at <= now,
                                      OutboxRow.inapp_done.is_(False))


_INBOX_COLUMNS = ("user_id", "event_id", "created_at")


def _fill_inboxes_chunk(limit: int, now: datetime) -> int:
    """Write up to `limit` waiting rows' notifications and mark them done; returns how many rows."""
    if db.session.get_bind().dialect.name == "postgresql":
        # One statement, one snapshot: a row committed meanwhile is either in all three parts
        # or in none; SKIP LOCKED lets two workers share the work without waiting on each other.
        due = _waiting_for_inbox(now).limit(limit).with_for_update(skip_locked=True).cte("due")
        done = (update(OutboxRow).where(OutboxRow.id.in_(select(due.c.id))).values(inapp_done=True)
                .returning(OutboxRow.user_id, OutboxRow.event_id, OutboxRow.created_at).cte("done"))
        written = insert_from_select_ignoring_conflicts(
            Notification.__table__, _INBOX_COLUMNS,
            select(done.c.user_id, done.c.event_id, done.c.created_at)).cte("written")
        handled = db.session.execute(select(func.count()).select_from(done).add_cte(written)).scalar_one()
    else:
        # SQLite: the INSERT takes the write lock, so the UPDATE sees the same waiting rows.
        waiting = _waiting_for_inbox(now).limit(limit).scalar_subquery()
        db.session.execute(insert_from_select_ignoring_conflicts(
            Notification.__table__, _INBOX_COLUMNS,
            select(OutboxRow.user_id, OutboxRow.event_id, OutboxRow.created_at)
            .where(OutboxRow.id.in_(waiting))))
        handled = cast(CursorResult, db.session.execute(
            update(OutboxRow).where(OutboxRow.id.in_(waiting)).values(inapp_done=True),
            execution_options={"synchronize_session": False})).rowcount
    db.session.commit()
    return handled


def fill_inboxes(chunk: int = INAPP_CHUNK, now: datetime | None = None) -> int:
    """Put every waiting row's notification in its inbox (once per member and event), in bulk."""
    now = now or utcnow()
    total = 0
    while (handled := _fill_inboxes_chunk(chunk, now)) == chunk:
        total += handled
    return total + handled


def _members_where(*conditions: ColumnElement[bool]) -> Exists:
    # Correlated, so each row looks its member up by key: an uncorrelated IN (SELECT …) was
    # computed over every member for each statement, 15 ms per email sent one by one.
    return select(User.id).where(User.id == OutboxRow.user_id, *conditions).correlate(OutboxRow).exists()


def _left_level(level: str) -> ColumnElement[bool]:
    """SQL: the row's event is of a kind told to followers at `level` only (registry), and the
    member no longer follows its idea at that level: they chose less since it was queued."""
    kinds = [kind.name for kind in registered_kinds()
             if kind.audience is not None and kind.audience.level == level]
    idea_of_event = (select(Event.idea_id).where(Event.id == OutboxRow.event_id)
                     .correlate(OutboxRow).scalar_subquery())
    still_at_level = select(Follow.user_id).where(
        Follow.user_id == OutboxRow.user_id, Follow.idea_id == idea_of_event, Follow.level == level
    ).correlate(OutboxRow)
    return (select(Event.id).where(Event.id == OutboxRow.event_id, Event.kind.in_(kinds))
            .correlate(OutboxRow).exists() & ~still_at_level.exists())


def _no_email_rules() -> tuple[tuple[str, str, ColumnElement[bool]], ...]:
    """Why a pending row gets no email now: (state, reason, condition on the row), in order; the
    first that holds decides. The one definition of these rules, for a batch and for one row."""
    return (
        ("skipped", "hidden by the team since", hidden_from_member(OutboxRow.event_id, OutboxRow.user_id)),
        ("skipped", "address not confirmed", _members_where(User.email_confirmed_at.is_(None))),
        ("skipped", "member chose no email", _members_where(User.email_mode == "never")),
        ("skipped", "member follows status changes only", _left_level("all")),
        ("digest", "", _members_where(User.email_mode == "digest")),
    )


def _settle(row_ids: Iterable[int]) -> None:
    """Give each pending row among `row_ids` that needs no email now the state and reason of the
    first rule that holds for it, in one statement; it then leaves the due list."""
    rules = _no_email_rules()
    db.session.execute(
        update(OutboxRow)
        .where(OutboxRow.id.in_(row_ids), OutboxRow.email_state == "pending",
               or_(*(condition for _, _, condition in rules)))
        .values(email_state=case(*((condition, state) for state, _, condition in rules)),
                last_error=case(*((condition, reason) for _, reason, condition in rules)),
                next_attempt_at=None, claimed_until=None),
        execution_options={"synchronize_session": False})


def settle_without_email(row_ids: Iterable[int]) -> None:
    """Claimed rows that need no email now leave the queue, all in one statement."""
    _settle(row_ids)
    db.session.commit()


def deliver_email(row_id: int, claim: Claim) -> None:
    """Send (or skip, or keep for the digest) one row of `claim`; retries on failure."""
    # The batch was settled when claimed; the member may have changed their settings since.
    _settle([row_id])
    row = db.session.get(OutboxRow, row_id, populate_existing=True)
    if row is None or row.email_state != "pending":
        db.session.commit()
        claim.let_go(row_id)
        return
    message = compose_notification_email(db.session.get_one(User, row.user_id), [row])
    values = claim.send(row_id, message, row.attempts, f"outbox row {row_id}")
    if values is None:
        return
    values["email_state"] = values.pop("state", "pending")
    claim.record(row_id, **values)


def _release(row_ids: list[int]) -> None:
    """Rows whose email needs nothing more leave the due list."""
    db.session.execute(
        update(OutboxRow).where(OutboxRow.id.in_(row_ids), OutboxRow.email_state != "pending")
        .values(next_attempt_at=None, claimed_until=None),
        execution_options={"synchronize_session": False})
    db.session.commit()


def run_once(limit: int = BATCH, stop: threading.Event | None = None) -> int:
    """Claim and deliver one batch; returns how many rows it handled.

    Account emails come first: a sign-in code someone is waiting for at the sign-in page must
    never queue behind an announcement to 50,000 followers. On `stop` (or an error) the email
    in hand is finished and the rest of the batch given back at once."""
    with writing():
        account_emails = deliver_due_account_emails(stop=stop)
        if stopping(stop):
            return account_emails
        now = utcnow()
        # Every inbox first, then the slow part, under the claim: email.
        fill_inboxes(now=now)
        with claim_batch(limit, now) as claim:
            row_ids = claim.ids
            if not row_ids:
                return account_emails
            settle_without_email(row_ids)
            to_send = db.session.execute(
                select(OutboxRow.id).where(OutboxRow.id.in_(row_ids), OutboxRow.email_state == "pending")
                .order_by(OutboxRow.id)).scalars().all()
            for row_id in set(row_ids) - set(to_send):
                claim.let_go(row_id)
            for row_id in to_send:
                if stopping(stop):
                    break
                claim.renew_if_due()
                deliver_email(row_id, claim)
        _release(row_ids)
    return account_emails + len(row_ids)


def drain(limit: int = BATCH, stop: threading.Event | None = None) -> int:
    """Deliver until nothing is due now (tests and the benchmark use it)."""
    total = 0
    while not stopping(stop) and (handled := run_once(limit, stop)):
        total += handled
    return total


def run_forever(app: Flask, poll_seconds: float = 2.0, stop: threading.Event | None = None) -> None:
    """The worker loop: deliver what is due, send due digests, sleep when idle; until `stop`.

    A failed batch has given its rows back already (ideas/leases.py); the loop goes on."""
    times = LeaseTimes.from_config(app.config)  # refuses numbers that could double-send, at start
    log.info("worker started: lease %s s, renewed every %s s, %s s a send", times.lease.total_seconds(),
             times.renew_every.total_seconds(), times.send_deadline.total_seconds())
    pruned_at = None
    while not stopping(stop):
        try:
            with app.app_context():
                handled = run_once(stop=stop)
                if stopping(stop):
                    break
                handled += deliver_due_webhooks()
                with writing():
                    send_due_digests()
                    if pruned_at is None or time.monotonic() - pruned_at > PRUNE_EVERY_SECONDS:
                        prune_settled_account_emails()
                        pruned_at = time.monotonic()
        except Exception:  # keep the worker alive; the rows stay in the outbox
            log.exception("worker batch failed")
            handled = 0
        if not handled:
            (stop.wait if stop is not None else time.sleep)(poll_seconds)
    log.info("worker stopped")


# Email

def compose_notification_email(member: User, rows: Sequence[OutboxRow],
                               digest: bool = False) -> dict[str, Any]:
    """The email about `rows` (one event, or a digest of several) for `member`, ready to send,
    in the member's language (their setting; English when they left it to the browser)."""
    with force_locale(member.locale or DEFAULT_LOCALE):
        return _compose(member, rows, digest)


def email_item(event: Event) -> dict[str, Any]:
    """What an email says of one event, as its kind's registry entry words it: summary, subject,
    link, and the templates (`<template>.txt`, `<template>.html`) that render it."""
    payload = payload_of(event)
    kind = kind_named(event.kind)
    endpoint, values = link_target(event, payload)
    return dict(kind=event.kind, payload=payload, link=external_url(endpoint, **values),
                summary=summary(event.kind, payload), created_at=event.created_at,
                subject=kind.subject(payload) if kind is not None else summary(event.kind, payload),
                template=kind.template if kind is not None else "email/events/default")


def _compose(member: User, rows: Sequence[OutboxRow], digest: bool) -> dict[str, Any]:
    items = [email_item(row.event) for row in rows]
    unsubscribe = external_url("notifications.unsubscribe", token=unsubscribe_token(member))
    context = dict(member=member, items=items, digest=digest, unsubscribe_url=unsubscribe,
                   settings_url=external_url("account.notification_settings"),
                   site_name=site_name())
    domain = base_url().split("://", 1)[-1].split("/")[0].split(":")[0] or "localhost"
    return dict(
        to=member.email,
        subject=render_template("email/notification_subject.txt", **context).strip(),
        text_body=render_template("email/notification.txt", **context),
        html_body=render_template("email/notification.html", **context),
        headers={"List-Unsubscribe": f"<{unsubscribe}>",
                 "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"},
        message_id=(f"<digest-{member.id}-{rows[-1].id}@{domain}>" if digest
                    else f"<notification-{rows[0].id}@{domain}>"),
        sender=branded_sender(),
    )


# Digests

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


