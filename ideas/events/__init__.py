"""Events: what happened, declared once per kind (registry.py, kinds/), published by rules.

A rule changes its rows, flushes, and ends with `publish(TypedEvent(...))` (publish.py), which
records the event, tells its audience (outbox), queues its webhook, writes its audit entry and
says which cached fragments went stale, all in the transaction of the change. `publish` is
imported from ideas.events.publish: this package's own import stays free of the models, which
read the registry. Importing it registers every kind (ideas/events/kinds/).
"""
from . import kinds
from .kinds import *  # noqa: F403  (every typed event: kinds.__all__)
from .registry import (
    Answer, Audience, AuditEntry, EventKind, PriorityScope, Webhook, kind_named, kind_of, on_stale, register,
    registered_kinds, unregister, webhooks,
)

__all__ = [
    *kinds.__all__,
    "Answer", "Audience", "AuditEntry", "EventKind", "PriorityScope", "Webhook", "kind_named", "kind_of",
    "on_stale", "register", "registered_kinds", "unregister", "webhooks",
]
