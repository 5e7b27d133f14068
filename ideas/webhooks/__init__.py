"""Webhooks: events posted as signed JSON to the URLs admins chose.

`queue_webhooks` writes one delivery per subscribed endpoint in the transaction of the change
(an outbox, like ideas/notifications.py), with the JSON body fixed then. The worker posts due
deliveries and retries failures with growing pauses. Each attempt resolves the host again,
refuses private and loopback addresses unless an admin allows them, and connects to exactly the
address it checked, so a DNS answer that changes between check and connection cannot slip
through. Redirects are never followed: a 3xx is a failed attempt.

Four modules along the seams: `queue` (what is written in the change's transaction),
`endpoints` (what admins manage), `transport` (one checked, signed POST) and `worker` (claiming,
posting, retrying). The names other parts of the app use are re-exported here.
"""
from .endpoints import (
    EVENT_LABELS, SECRET_MAX, URL_MAX, create_endpoint, delete_endpoint, deliveries_of, set_endpoint_active,
    store_listened_events, update_endpoint,
)
from .queue import event_body, queue_webhooks, webhook_json
from .worker import attempt_delivery, deliver_due_webhooks, queue_test_delivery

__all__ = [
    "EVENT_LABELS", "SECRET_MAX", "URL_MAX", "attempt_delivery", "create_endpoint", "delete_endpoint",
    "deliver_due_webhooks", "deliveries_of", "event_body", "queue_test_delivery", "queue_webhooks",
    "set_endpoint_active", "store_listened_events", "update_endpoint", "webhook_json",
]
