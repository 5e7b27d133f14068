"""Delivering webhooks, by the worker and the send-test button: post, record, retry later."""
import time
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import update

from .. import audit
from ..database import claim_due, writing
from ..extensions import db
from ..models import User, WebhookDelivery, WebhookEndpoint, utcnow
from .endpoints import private_addresses_allowed
from .queue import event_body
from .transport import DeliveryError, post_json, sign

# Pauses after the 1st, 2nd, … failed attempt; after the last one the delivery has failed.
BACKOFF = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30), timedelta(hours=2),
           timedelta(hours=12))
# A worker holds a claimed batch this long; a batch of BATCH posts at TIMEOUT_SECONDS each fits.
LEASE = timedelta(minutes=5)
BATCH = 10
ERROR_MAX = 1000


def queue_test_delivery(actor: User, endpoint: WebhookEndpoint) -> WebhookDelivery:
    """A `ping` delivery for `endpoint`, held by the caller, who posts it at once. Admins only."""
    audit.require_admin(actor)
    now = utcnow()
    body = event_body("ping", {"endpoint_id": endpoint.id,
                               "message": "A test from Ideas: this endpoint is reachable."}, now)
    # Claimed from the start so no worker posts it too; should the request die, the lease ends
    # and a worker makes the one attempt instead.
    delivery = WebhookDelivery(endpoint_id=endpoint.id, event="ping", body=body, state="pending",
                               attempts=0, next_attempt_at=now, claimed_until=now + LEASE,
                               last_error="", created_at=now)
    db.session.add(delivery)
    db.session.flush()
    return delivery


def claim_due_deliveries(limit: int = BATCH, now: datetime | None = None) -> list[int]:
    """Atomically take up to `limit` due deliveries for this worker; returns their ids.

    The same claim as the notification outbox (ideas/database.py claim_due): a lease, and
    SKIP LOCKED on PostgreSQL so workers never wait on or repeat each other's rows.
    """
    return claim_due(WebhookDelivery, limit, now or utcnow(), LEASE,
                     order_by=[WebhookDelivery.next_attempt_at, WebhookDelivery.id])


def attempt_delivery(delivery_id: int) -> dict[str, Any] | None:
    """Post one claimed delivery and record the outcome; a failure is retried later.

    Returns the recorded values, or None when the delivery was already settled or is gone.
    """
    delivery = db.session.get(WebhookDelivery, delivery_id)
    if delivery is None or delivery.state != "pending":
        db.session.commit()
        return None
    endpoint = delivery.endpoint
    url, secret, body, event = endpoint.url, endpoint.secret, delivery.body, delivery.event
    attempts = delivery.attempts + 1
    status, error = None, ""
    if not endpoint.active and event != "ping":
        error = "The endpoint is disabled."
        attempts -= 1
        final = True
    else:
        allow_private = private_addresses_allowed()
        db.session.commit()  # never hold SQLite's write lock while waiting on the network
        timestamp = int(time.time())
        headers = {"Content-Type": "application/json", "User-Agent": "Ideas-Webhooks/1",
                   "Ideas-Event": event, "Ideas-Delivery": str(delivery_id),
                   "Ideas-Signature": sign(secret, timestamp, body)}
        try:
            status, reason = post_json(url, body, headers, allow_private)
        except DeliveryError as failure:
            error = str(failure)
        else:
            if 300 <= status < 400:
                error = f"HTTP {status} {reason}: redirects are not followed."
            elif not 200 <= status < 300:
                error = f"HTTP {status} {reason}"
        # A test ping is tried once: the admin sees its outcome at once.
        final = not error or event == "ping" or attempts > len(BACKOFF)
    now = utcnow()
    values: dict[str, Any] = dict(attempts=attempts, status_code=status, last_error=error[:ERROR_MAX],
                                  claimed_until=None)
    if not error:
        values.update(state="delivered", delivered_at=now, next_attempt_at=None)
    elif final:
        values.update(state="failed", next_attempt_at=None)
    else:
        values.update(next_attempt_at=now + BACKOFF[attempts - 1])
    # A statement, not the loaded object: the endpoint may have been deleted meanwhile.
    db.session.execute(update(WebhookDelivery).where(WebhookDelivery.id == delivery_id,
                                                     WebhookDelivery.state == "pending").values(**values),
                       execution_options={"synchronize_session": False})
    db.session.commit()
    return values


def deliver_due_webhooks(limit: int = BATCH, now: datetime | None = None) -> int:
    """Claim and post one batch of due deliveries; returns how many it handled."""
    with writing():
        delivery_ids = claim_due_deliveries(limit, now)
        for delivery_id in delivery_ids:
            attempt_delivery(delivery_id)
    return len(delivery_ids)
