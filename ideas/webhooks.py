"""Webhooks: events posted as signed JSON to the URLs admins chose.

`queue_webhooks` writes one delivery per subscribed endpoint in the transaction of the change
(an outbox, like ideas/notifications.py), with the JSON body fixed then. The worker posts due
deliveries and retries failures with growing pauses. Each attempt resolves the host again,
refuses private and loopback addresses unless an admin allows them, and connects to exactly the
address it checked, so a DNS answer that changes between check and connection cannot slip
through. Redirects are never followed: a 3xx is a failed attempt.
"""
import hashlib
import hmac
import http.client
import ipaddress
import json
import re
import secrets
import socket
import ssl
import time
import uuid
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import Select, select, update

from . import audit
from .addresses import is_public_address, numeric_ipv4
from .database import claim_due, insert_ignore, writing
from .deadlines import shut_after
from .errors import InvalidInput
from .events.registry import WebhookLabels
from .extensions import db
from .models import WEBHOOK_EVENTS, Comment, Idea, Setting, User, WebhookDelivery, WebhookEndpoint, utcnow
from .site_settings import set_setting, settings_snapshot

# {event: what admins read when choosing it}, from the registry of event kinds (ideas/events/).
EVENT_LABELS = WebhookLabels()
URL_MAX = 500
SECRET_MIN, SECRET_MAX = 16, 100
TIMEOUT_SECONDS = 10
# Pauses after the 1st, 2nd, … failed attempt; after the last one the delivery has failed.
BACKOFF = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30), timedelta(hours=2),
           timedelta(hours=12))
# A worker holds a claimed batch this long; a batch of BATCH posts at TIMEOUT_SECONDS each fits.
LEASE = timedelta(minutes=5)
BATCH = 10
ERROR_MAX = 1000
PRIVATE_SETTING = "allow_private_webhooks"
LISTENED_SETTING, LISTENED_UNKNOWN = "webhook_events", "*"
_HOST_NAME = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?\.?$")
_SECRET = re.compile(r"^[\x21-\x7e]+$")  # printable ASCII, no spaces


class DeliveryError(Exception):
    """An attempt that got no answer we accept (refused address, network error)."""


# Queueing, in the transaction of the change

def queue_webhooks(event_name: str, payload: dict[str, Any]) -> int:
    """Write one delivery of `event_name` per active endpoint that asked for it; returns how many.

    `payload` (an event kind's webhook data, ideas/events/) maps names to models (ideas,
    comments, members) or plain values; it is turned into JSON only when some endpoint listens.
    An event nobody listens for costs no query of its own: the settings snapshot, read once per
    request, says which events are listened for.
    """
    if event_name not in WEBHOOK_EVENTS:
        raise ValueError(f"Unknown webhook event {event_name!r}")
    if isinstance(payload.get("comment"), Comment) and payload["comment"].internal:
        return 0  # internal notes never travel
    listened = settings_snapshot()[LISTENED_SETTING]
    if listened != LISTENED_UNKNOWN and event_name not in listened.split():
        return 0
    endpoints = db.session.execute(
        select(WebhookEndpoint.id, WebhookEndpoint.events).where(WebhookEndpoint.active.is_(True))).all()
    if listened == LISTENED_UNKNOWN:
        # Learnt once; an admin's change meanwhile stores its own value, which this one never replaces.
        insert_ignore(Setting, key=LISTENED_SETTING,
                      value=_events_in(events for _, events in endpoints))
    listening = [endpoint_id for endpoint_id, events in endpoints if event_name in events.split()]
    if not listening:
        return 0
    now = utcnow()
    body = event_body(event_name, webhook_json(payload), now)
    db.session.add_all([WebhookDelivery(endpoint_id=endpoint_id, event=event_name, body=body,
                                        state="pending", attempts=0, next_attempt_at=now,
                                        last_error="", created_at=now)
                        for endpoint_id in listening])
    db.session.flush()
    return len(listening)


def webhook_json(payload: dict[str, Any]) -> dict[str, Any]:
    """An event's webhook data as it travels: models turned into what webhooks say of them."""
    return {key: _jsonable(value) for key, value in payload.items()}


def event_body(event_name: str, data: dict[str, Any], now: datetime) -> str:
    """The JSON text posted (and signed) for one event."""
    return json.dumps({"event": event_name, "id": str(uuid.uuid4()), "created_at": now.isoformat(),
                       "data": data}, sort_keys=True, separators=(",", ":"))


def idea_url(idea_id: int) -> str:
    """The idea's public address, from BASE_URL (no request needed: the worker has none)."""
    path = current_app.url_map.bind("localhost").build("ideas.show", {"idea_id": idea_id})
    return current_app.config["BASE_URL"].rstrip("/") + path


def member_data(member: User | None) -> dict[str, Any] | None:
    """A member as webhooks show them: id and name, never the email address."""
    return None if member is None else {"id": member.id, "name": member.name}


def idea_data(idea: Idea) -> dict[str, Any]:
    """What a webhook says about an idea."""
    return {"id": idea.id, "title": idea.title, "url": idea_url(idea.id), "kind": idea.kind,
            "status": idea.status, "vote_count": idea.vote_count, "comment_count": idea.comment_count,
            "tags": sorted(tag.name for tag in idea.tags), "author": member_data(idea.author),
            "awaiting_approval": idea.awaiting_approval, "created_at": idea.created_at.isoformat()}


def comment_data(comment: Comment) -> dict[str, Any]:
    """What a webhook says about a public comment or official response (its Markdown text)."""
    return {"id": comment.id, "body": comment.body, "official": comment.official,
            "author": member_data(comment.author), "url": f"{idea_url(comment.idea_id)}#comment-{comment.id}",
            "created_at": comment.created_at.isoformat()}


def _jsonable(value: Any) -> Any:
    if isinstance(value, Idea):
        return idea_data(value)
    if isinstance(value, Comment):
        return comment_data(value)
    if isinstance(value, User):
        return member_data(value)
    return value


# Endpoints, managed by admins

def generate_secret() -> str:
    """A new signing secret."""
    return "whsec_" + secrets.token_urlsafe(32)


def private_addresses_allowed() -> bool:
    """True when an admin lets webhooks reach private and loopback addresses."""
    return settings_snapshot()[PRIVATE_SETTING] == "1"


def url_problem(url: str, allow_private: bool) -> str:
    """What is wrong with `url` as a webhook address, or "" when nothing is."""
    if not url:
        return _("Enter the URL to post events to.")
    if len(url) > URL_MAX:
        return _("Keep the URL to %(limit)s characters.", limit=URL_MAX)
    if any(ord(char) <= 32 or ord(char) >= 127 for char in url):
        return _("Write the URL without spaces, in plain ASCII (punycode for international names).")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        return _("Use an http:// or https:// URL.")
    if "@" in parts.netloc:
        return _("Leave user names and passwords out of the URL: the signature says who is calling.")
    host = parts.hostname or ""
    try:
        port = parts.port
    except ValueError:
        port = -1
    if port is not None and not 0 < port < 65536:
        return _("The port is not a number between 1 and 65535.")
    try:
        # Read as the OS will read it when delivering: 2130706433 and 0177.0.0.1 are 127.0.0.1.
        address = ipaddress.ip_address(host) if ":" in host else numeric_ipv4(host)
    except ValueError:
        return _("The URL needs a valid host name.")
    if address is None and (not _HOST_NAME.match(host) or ".." in host):
        return _("The URL needs a valid host name.")
    if not allow_private and (host.lower().rstrip(".") == "localhost"
                              or (address is not None and not is_public_address(address))):
        return _("That address is private or loopback; the site setting "
                 "“Allow webhooks to private addresses” permits it.")
    return ""


def clean_endpoint(url: str | None, events: Iterable[str] | None,
                   secret: str | None) -> tuple[str, str, str]:
    """Check an endpoint's fields; returns them tidied, or raises InvalidInput."""
    url = (url or "").strip()
    events = list(dict.fromkeys(events or []))
    secret = (secret or "").strip()
    problems: dict[str, str] = {}
    if problem := url_problem(url, private_addresses_allowed()):
        problems["url"] = problem
    if not events:
        problems["events"] = _("Choose at least one event to send.")
    elif any(event not in WEBHOOK_EVENTS for event in events):
        problems["events"] = _("Choose events from the list.")
    if secret and not (SECRET_MIN <= len(secret) <= SECRET_MAX and _SECRET.match(secret)):
        problems["secret"] = (_("Use %(minimum)s to %(maximum)s letters, digits or symbols, without "
                                "spaces, or leave it empty to have one made.",
                                minimum=SECRET_MIN, maximum=SECRET_MAX))
    if problems:
        raise InvalidInput(_("Please correct the highlighted fields."), problems)
    return url, " ".join(event for event in WEBHOOK_EVENTS if event in events), secret


def _audit_view(endpoint: WebhookEndpoint) -> dict[str, Any]:
    """The endpoint as the audit log keeps it: never the secret itself."""
    return audit.snapshot(endpoint, "url", "events", "active")


def create_endpoint(actor: User, url: str | None, events: Iterable[str] | None,
                    secret: str | None = "") -> WebhookEndpoint:
    """Add an endpoint; without a typed secret one is generated. Admins only."""
    audit.require_admin(actor)
    url, events, secret = clean_endpoint(url, events, secret)
    endpoint = WebhookEndpoint(url=url, events=events, secret=secret or generate_secret(), active=True,
                               created_by_id=actor.id, created_at=utcnow())
    db.session.add(endpoint)
    db.session.flush()
    audit.record(actor, "webhook.created", endpoint, None, _audit_view(endpoint))
    store_listened_events()
    return endpoint


def update_endpoint(actor: User, endpoint: WebhookEndpoint, url: str | None, events: Iterable[str] | None,
                    active: bool, secret: str | None = "", new_secret: bool = False) -> WebhookEndpoint:
    """Change an endpoint (and return it); a typed secret replaces the old one, `new_secret` makes one.
    Admins only."""
    audit.require_admin(actor)
    url, events, secret = clean_endpoint(url, events, secret)
    before = _audit_view(endpoint)
    endpoint.url, endpoint.events, endpoint.active = url, events, bool(active)
    after = _audit_view(endpoint)
    if secret or new_secret:
        endpoint.secret = secret or generate_secret()
        before["secret"], after["secret"] = "old", "replaced"
    if before != after:
        audit.record(actor, "webhook.changed", endpoint,
                     {key: value for key, value in before.items() if after[key] != value},
                     {key: value for key, value in after.items() if before[key] != value})
    store_listened_events()
    return endpoint


def set_endpoint_active(actor: User, endpoint: WebhookEndpoint, active: bool) -> None:
    """Enable or disable an endpoint; a disabled one gets nothing queued. Admins only."""
    audit.require_admin(actor)
    if endpoint.active == bool(active):
        return
    endpoint.active = bool(active)
    audit.record(actor, "webhook.enabled" if active else "webhook.disabled", endpoint,
                 {"active": not endpoint.active}, {"active": endpoint.active})
    store_listened_events()


def delete_endpoint(actor: User, endpoint: WebhookEndpoint) -> None:
    """Remove an endpoint and its delivery log. Admins only."""
    audit.require_admin(actor)
    audit.record(actor, "webhook.deleted", endpoint, _audit_view(endpoint), None)
    db.session.delete(endpoint)
    store_listened_events()


def store_listened_events() -> None:
    """Store which events the enabled endpoints listen for, after any change to an endpoint."""
    db.session.flush()
    # Waiting for another admin's change to the same setting first means reading the endpoints as
    # that change left them, so the last writer stores the whole truth (PostgreSQL; SQLite's write
    # lock already takes changes one at a time).
    db.session.execute(select(Setting.key).where(Setting.key == LISTENED_SETTING).with_for_update())
    set_setting(LISTENED_SETTING, _events_in(db.session.execute(
        select(WebhookEndpoint.events).where(WebhookEndpoint.active.is_(True))).scalars()))


def _events_in(event_lists: Iterable[str]) -> str:
    """The events named in any of the space-separated `event_lists`, as one such list."""
    named = {event for listed in event_lists for event in listed.split()}
    return " ".join(event for event in WEBHOOK_EVENTS if event in named)


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


def deliveries_of(endpoint: WebhookEndpoint) -> Select[WebhookDelivery]:
    """A select of the endpoint's delivery log, newest first."""
    return (select(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint.id)
            .order_by(WebhookDelivery.id.desc()))


# Which addresses may be called (ideas/addresses.py decides what is public)

def resolve(host: str, port: int, allow_private: bool) -> tuple[socket.AddressFamily, tuple[Any, ...]]:
    """The (family, socket address) to connect to for `host`; raises DeliveryError when refused.

    Every address the name resolves to must pass, so a name that mixes public and private
    answers cannot be used to reach the private one.
    """
    try:
        # Typed for every family; asked for TCP, the addresses are IPv4's (host, port) or IPv6's.
        answers: list[tuple[Any, ...]] = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM,
                                                            proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError) as error:
        raise DeliveryError(f"Could not resolve {host}: {error}") from error
    if not allow_private:
        for *_, sockaddr in answers:
            if not is_public_address(sockaddr[0]):
                raise DeliveryError(f"Refused: {host} resolves to {sockaddr[0]}, a private or loopback "
                                    "address (an admin setting allows such addresses).")
    family, _, _, _, sockaddr = answers[0]
    return family, sockaddr


def _connect(family: socket.AddressFamily, sockaddr: tuple[Any, ...], timeout: float | None) -> socket.socket:
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.settimeout(timeout)
    try:
        sock.connect(sockaddr)
    except OSError:
        sock.close()
        raise
    return sock


class PinnedHTTPConnection(http.client.HTTPConnection):
    """HTTP to the checked address, whatever the name resolves to by now; Host stays the name."""

    def __init__(self, host: str, port: int, address: tuple[socket.AddressFamily, tuple[Any, ...]],
                 timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self.address = address

    def connect(self) -> None:
        self.sock = _connect(*self.address, self.timeout)


class PinnedHTTPSConnection(http.client.HTTPSConnection):
    """HTTPS to the checked address; the certificate is checked against the host name (SNI)."""

    def __init__(self, host: str, port: int, address: tuple[socket.AddressFamily, tuple[Any, ...]],
                 timeout: float, context: ssl.SSLContext | None = None) -> None:
        super().__init__(host, port, timeout=timeout, context=context or ssl.create_default_context())
        self.address = address

    def connect(self) -> None:
        sock = _connect(*self.address, self.timeout)
        # `_context` is HTTPSConnection's own, set in its __init__; typeshed leaves it out.
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)  # type: ignore[attr-defined]


def post_json(url: str, body: str, headers: dict[str, str], allow_private: bool,
              timeout: float | None = None) -> tuple[int, str]:
    """POST `body` to `url` at one checked address; returns (status, reason) or raises DeliveryError."""
    timeout = timeout or TIMEOUT_SECONDS
    parts = urlsplit(url)
    https = parts.scheme == "https"
    port = parts.port or (443 if https else 80)
    assert parts.hostname is not None  # stored URLs passed url_problem, which requires a host
    address = resolve(parts.hostname, port, allow_private)
    connection = (PinnedHTTPSConnection if https else PinnedHTTPConnection)(
        parts.hostname, port, address, timeout)
    # The socket timeout bounds each wait; this bounds the whole exchange, so a server that
    # trickles its answer a byte at a time cannot hold the worker.
    with shut_after(timeout, connection) as cut:
        try:
            connection.request("POST", (parts.path or "/") + (f"?{parts.query}" if parts.query else ""),
                               body=body.encode(), headers=headers)
            response = connection.getresponse()
            if cut.is_set():  # what was read before the cut is not a whole answer
                raise DeliveryError(f"No complete answer within {timeout} seconds.")
            return response.status, response.reason
        except (OSError, http.client.HTTPException, ValueError) as error:
            raise DeliveryError(f"{type(error).__name__}: {error}") from error
        finally:
            connection.close()


def sign(secret: str, timestamp: int, body: str) -> str:
    """The `Ideas-Signature` value: t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<body>">."""
    digest = hmac.new(secret.encode(), f"{timestamp}.{body}".encode(), hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


# Delivery, by the worker (and the send-test button)

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
