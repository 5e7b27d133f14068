"""Webhook endpoints, managed by admins: where events go, which ones, and the signing secret."""
import ipaddress
import re
import secrets
from collections.abc import Iterable
from urllib.parse import urlsplit

from flask_babel import gettext as _
from sqlalchemy import Select, select

from .. import audit
from ..addresses import is_public_address, numeric_ipv4
from ..errors import InvalidInput
from ..events import (
    WebhookChanged, WebhookCreated, WebhookDeleted, WebhookDisabled, WebhookEnabled, changed_values,
    endpoint_view,
)
# The module, not its function: ideas.events.publish imports this package (for its queue), so
# whichever of the two is imported first, the function is looked up only when it is called.
from ..events import publish as publishing
from ..events.registry import WebhookLabels
from ..extensions import db
from ..models import WEBHOOK_EVENTS, Setting, User, WebhookDelivery, WebhookEndpoint, utcnow
from ..site_settings import set_setting, settings_snapshot
from .queue import LISTENED_SETTING, events_in

# {event: what admins read when choosing it}, from the registry of event kinds (ideas/events/).
EVENT_LABELS = WebhookLabels()
URL_MAX = 500
SECRET_MIN, SECRET_MAX = 16, 100
PRIVATE_SETTING = "allow_private_webhooks"
_HOST_NAME = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?\.?$")
_SECRET = re.compile(r"^[\x21-\x7e]+$")  # printable ASCII, no spaces


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


def create_endpoint(actor: User, url: str | None, events: Iterable[str] | None,
                    secret: str | None = "") -> WebhookEndpoint:
    """Add an endpoint; without a typed secret one is generated. Admins only."""
    audit.require_admin(actor)
    url, events, secret = clean_endpoint(url, events, secret)
    endpoint = WebhookEndpoint(url=url, events=events, secret=secret or generate_secret(), active=True,
                               created_by_id=actor.id, created_at=utcnow())
    db.session.add(endpoint)
    store_listened_events()
    publishing.publish(WebhookCreated(actor, endpoint))
    return endpoint


def update_endpoint(actor: User, endpoint: WebhookEndpoint, url: str | None, events: Iterable[str] | None,
                    active: bool, secret: str | None = "", new_secret: bool = False) -> WebhookEndpoint:
    """Change an endpoint (and return it); a typed secret replaces the old one, `new_secret` makes one.
    Admins only."""
    audit.require_admin(actor)
    url, events, secret = clean_endpoint(url, events, secret)
    before = endpoint_view(endpoint)
    endpoint.url, endpoint.events, endpoint.active = url, events, bool(active)
    after = endpoint_view(endpoint)
    if secret or new_secret:
        endpoint.secret = secret or generate_secret()
        before["secret"], after["secret"] = "old", "replaced"
    store_listened_events()
    before, after = changed_values(before, after)
    if after:
        publishing.publish(WebhookChanged(actor, endpoint, before, after))
    return endpoint


def set_endpoint_active(actor: User, endpoint: WebhookEndpoint, active: bool) -> None:
    """Enable or disable an endpoint; a disabled one gets nothing queued. Admins only."""
    audit.require_admin(actor)
    if endpoint.active == bool(active):
        return
    endpoint.active = bool(active)
    store_listened_events()
    publishing.publish((WebhookEnabled if active else WebhookDisabled)(actor, endpoint))


def delete_endpoint(actor: User, endpoint: WebhookEndpoint) -> None:
    """Remove an endpoint and its delivery log. Admins only."""
    audit.require_admin(actor)
    before = endpoint_view(endpoint)
    db.session.delete(endpoint)
    store_listened_events()
    publishing.publish(WebhookDeleted(actor, endpoint, before))


def store_listened_events() -> None:
    """Store which events the enabled endpoints listen for, after any change to an endpoint."""
    db.session.flush()
    # Waiting for another admin's change to the same setting first means reading the endpoints as
    # that change left them, so the last writer stores the whole truth (PostgreSQL; SQLite's write
    # lock already takes changes one at a time).
    db.session.execute(select(Setting.key).where(Setting.key == LISTENED_SETTING).with_for_update())
    set_setting(LISTENED_SETTING, events_in(db.session.execute(
        select(WebhookEndpoint.events).where(WebhookEndpoint.active.is_(True))).scalars()))


def deliveries_of(endpoint: WebhookEndpoint) -> Select[WebhookDelivery]:
    """A select of the endpoint's delivery log, newest first."""
    return (select(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint.id)
            .order_by(WebhookDelivery.id.desc()))
