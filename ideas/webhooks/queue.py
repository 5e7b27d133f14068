"""Queueing webhooks, in the transaction of the change: one delivery per listening endpoint.

An outbox, like ideas/notifications.py: the JSON body is fixed when the change is made, and the
worker (ideas/webhooks/worker.py) posts it later.
"""
import json
import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from flask import current_app
from sqlalchemy import select

from ..board_access import board_slugs
from ..database import insert_ignore
from ..extensions import db
from ..models import WEBHOOK_EVENTS, Comment, Idea, Setting, User, WebhookDelivery, WebhookEndpoint, utcnow
from ..site_settings import settings_snapshot

LISTENED_SETTING, LISTENED_UNKNOWN = "webhook_events", "*"


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
                      value=events_in(events for _, events in endpoints))
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
            "awaiting_approval": idea.awaiting_approval, "created_at": idea.created_at.isoformat(),
            "board": board_slugs()[idea.board_id]}


def comment_data(comment: Comment) -> dict[str, Any]:
    """What a webhook says about a public comment or official response (its Markdown text), and
    the comment it replies to (null for a comment)."""
    return {"id": comment.id, "body": comment.body, "official": comment.official,
            "parent_id": comment.parent_id, "author": member_data(comment.author),
            "url": f"{idea_url(comment.idea_id)}#comment-{comment.id}",
            "created_at": comment.created_at.isoformat()}


def _jsonable(value: Any) -> Any:
    if isinstance(value, Idea):
        return idea_data(value)
    if isinstance(value, Comment):
        return comment_data(value)
    if isinstance(value, User):
        return member_data(value)
    return value


def events_in(event_lists: Iterable[str]) -> str:
    """The events named in any of the space-separated `event_lists`, as one such list."""
    named = {event for listed in event_lists for event in listed.split()}
    return " ".join(event for event in WEBHOOK_EVENTS if event in named)
