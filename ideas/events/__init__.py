"""Events: what happened, declared once per kind (registry.py, kinds.py), published by rules.

A rule changes its rows, flushes, and ends with `publish(TypedEvent(...))` (publish.py), which
records the event, tells its audience (outbox), queues its webhook, writes its audit entry and
says which cached fragments went stale, all in the transaction of the change. `publish` is
imported from ideas.events.publish: this package's own import stays free of the models, which
read the registry.
"""
from .kinds import (
    Announced, ChangelogPublished, CommentPosted, IdeaCreated, IdeaMerged, IdeaWithdrawn,
    OfficialResponse, StatusChanged, VoteCast,
)
from .registry import (
    Audience, AuditEntry, EventKind, Webhook, kind_named, kind_of, on_stale, register,
    registered_kinds, unregister, webhooks,
)

__all__ = [
    "Announced", "ChangelogPublished", "CommentPosted", "IdeaCreated", "IdeaMerged", "IdeaWithdrawn",
    "OfficialResponse", "StatusChanged", "VoteCast",
    "Audience", "AuditEntry", "EventKind", "Webhook", "kind_named", "kind_of", "on_stale", "register",
    "registered_kinds", "unregister", "webhooks",
]
