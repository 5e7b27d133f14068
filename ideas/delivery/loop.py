"""The worker's loop: claim due rows, fill the inboxes, settle what needs no email, send the rest.

See the package's text (ideas/delivery/__init__.py) for the guarantees, and ideas/leases.py for
the claim every write names.
"""
import logging
import threading
import time
from collections.abc import Sequence
from datetime import datetime

from flask import Flask
from sqlalchemy import select, update

from ..account_emails import deliver_due_account_emails, prune_settled_account_emails
from ..attachments import remove_stale
from ..database import writing
from ..extensions import db
from ..leases import Claim, LeaseTimes, stopping
from ..models import OutboxRow, User, utcnow
from ..priority import recompute_due
from ..priority_queue import start_missing
from ..webhooks import deliver_due_webhooks
from .collapsing import emails_to_send
from .compose import compose_notification_email
from .digests import send_due_digests
from .inboxes import fill_inboxes
from .rules import settle, settle_without_email

log = logging.getLogger(__name__)

BATCH = 200  # outbox rows claimed at once
# How often a running worker deletes account emails settled long enough ago.
PRUNE_EVERY_SECONDS = 600


def claim_batch(limit: int = BATCH, now: datetime | None = None) -> Claim:
    """Atomically take up to `limit` due rows for this worker (ideas/leases.py)."""
    return Claim.take(OutboxRow, OutboxRow.email_state, limit, [OutboxRow.id], now)


def _pending(row_ids: Sequence[int]) -> list[OutboxRow]:
    """The rows among `row_ids` still waiting for their email, read afresh, oldest first."""
    return list(db.session.execute(
        select(OutboxRow).where(OutboxRow.id.in_(row_ids), OutboxRow.email_state == "pending")
        .order_by(OutboxRow.id).execution_options(populate_existing=True)).scalars())


def deliver_email(row_ids: int | Sequence[int], claim: Claim) -> None:
    """Send (or skip, or keep for the digest) one email about rows of `claim`: one row, or one
    member's rows about one idea (ideas/delivery/collapsing.py); retried on failure."""
    ids = [row_ids] if isinstance(row_ids, int) else list(row_ids)
    # The batch was settled when claimed; the member may have changed their settings since.
    settle(ids)
    rows = _pending(ids)
    for row_id in set(ids) - {row.id for row in rows}:
        claim.let_go(row_id)
    if not rows:
        db.session.commit()
        return
    # The email names only rows held for it: the others now, the first by claim.send, which
    # commits the holds together just before sending.
    lead, *others = rows
    rows = [lead, *(row for row in others if claim.hold(row.id))]
    message = compose_notification_email(db.session.get_one(User, lead.user_id), rows)
    # Read before the send commits: afterwards the rows would be loaded again, and the database
    # may be away just when the mail server has taken the email.
    sent_ids, attempts = [row.id for row in rows], max(row.attempts for row in rows)
    label = "outbox row " + ", ".join(map(str, sent_ids))
    values = claim.send(sent_ids[0], message, attempts, label)
    if values is None:
        return
    values["email_state"] = values.pop("state", "pending")
    claim.record(sent_ids, **values)


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
            for email in emails_to_send(to_send, claim, now):
                if stopping(stop):
                    break
                claim.renew_if_due()
                deliver_email(email, claim)
        _release(row_ids)
    return account_emails + len(row_ids)


def drain(limit: int = BATCH, stop: threading.Event | None = None) -> int:
    """Deliver until nothing is due now (tests and the benchmark use it)."""
    total = 0
    while not stopping(stop) and (handled := run_once(limit, stop)):
        total += handled
    return total


def run_forever(app: Flask, poll_seconds: float = 2.0, stop: threading.Event | None = None) -> None:
    """The worker loop: deliver what is due, recompute due priority scores, send due digests,
    sleep when idle; until `stop`.

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
                    handled += recompute_due()
                with writing():
                    send_due_digests()
                    if pruned_at is None or time.monotonic() - pruned_at > PRUNE_EVERY_SECONDS:
                        prune_settled_account_emails()
                        remove_stale()  # screenshots never attached to a post
                        db.session.commit()
                        start_missing()  # ideas a bulk path made without their priority row
                        pruned_at = time.monotonic()
        except Exception:  # keep the worker alive; the rows stay in the outbox
            log.exception("worker batch failed")
            handled = 0
        if not handled:
            (stop.wait if stop is not None else time.sleep)(poll_seconds)
    log.info("worker stopped")
