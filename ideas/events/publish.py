"""`publish`: the one way a rule announces what it did, after its flush.

The event's kind (ideas/events/registry.py) decides every side effect, so a rule never lists
them: the event row and one outbox row per member its audience names, its webhook, its audit
entry, the cached fragments and the priority scores it outdates, and what it counts for on the
accountability page. All of it is written in the
rule's transaction, so it commits or vanishes with the change.
"""
from typing import Any

from sqlalchemy import Select, select, union_all
from sqlalchemy.sql.expression import CompoundSelect

from .. import audit
from ..accountability import record_answer
from ..extensions import db
from ..models import Event, User
from ..notifications import backers_of, followers_of, queue_event, record_event
from ..priority_queue import mark_due
from ..webhooks.queue import queue_webhooks
from .registry import Audience, kind_of, mark_stale


def publish(event: Any) -> Event | None:
    """Carry out every side effect `event`'s kind declares; returns the event row, if any
    (kinds that tell nobody, such as a vote, write none)."""
    kind = kind_of(event)
    row = None
    if kind.audience is not None:
        row = record_event(kind.name, event.actor, getattr(event, "idea", None), **kind.payload(event))
        queue_event(row, audience_of(kind.audience, event), exclude=event.actor)
    if kind.webhook is not None:
        queue_webhooks(kind.webhook.name, kind.webhook.data(event))
    if kind.audit is not None:
        target, before, after = kind.audit.entry(event)
        audit.record(event.actor, kind.audit.action, target, before, after)
    if kind.priority is not None:
        mark_due(kind.priority(event))
    if kind.answer is not None:
        record_answer(event.idea, kind.answer.by_team(event), kind.answer.status(event))
    db.session.flush()
    mark_stale(kind, event)
    return row


def audience_of(audience: Audience, event: Any) -> Select[Any] | CompoundSelect:
    """A select of the user_id of everyone `audience` names for `event` (duplicates allowed:
    the outbox keeps each member once)."""
    parts: list[Select[Any]] = []
    if audience.followers:
        parts.append(followers_of([event.idea.id], audience.level))
    if audience.backers:
        parts.append(backers_of(event.idea.id))
    if audience.mentioned:
        parts.append(select(User.id.label("user_id")).where(User.id.in_(list(event.mentioned_ids))))
    if audience.members:
        parts.append(event.members)
    if not parts:
        raise ValueError("An audience must name someone")
    return parts[0] if len(parts) == 1 else union_all(*parts)
