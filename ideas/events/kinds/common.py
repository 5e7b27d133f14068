"""What several areas' kinds share: the usual audience, the links an email leads to, and the
kinds whose only side effect is their audit entry (staff made or changed a row)."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from ..registry import Audience, AuditEntry, EventKind, Payload, PriorityScope, register

if TYPE_CHECKING:
    from ...models import User

FOLLOWERS = Audience(followers=True)
Link = Callable[[int | None, Payload], tuple[str, dict[str, Any]]]
Target = TypeVar("Target")


def idea_link(idea_id: int | None, data: Payload) -> tuple[str, dict[str, Any]]:
    """The idea's page; without one, the board (filtered by the event's tag, if it names one)."""
    if idea_id is not None:
        return "ideas.show", {"idea_id": idea_id}
    return "board.index", {"tag": data["tag"]} if data.get("tag") else {}


def own_page_or_idea(endpoint: str, key: str) -> Link:
    """A link to the event's own page (`endpoint`, named by the payload's `key`); events stored
    before it had one lead to their idea, as idea_link does."""
    def link(idea_id: int | None, data: Payload) -> tuple[str, dict[str, Any]]:
        if data.get(key):
            return endpoint, {key: data[key]}
        return idea_link(idea_id, data)
    return link


def title_of(data: Payload) -> str:
    """The title of the event's idea, as stored with the event."""
    return data.get("title", "")


def changed_values(before: Payload, after: Payload) -> tuple[Payload, Payload]:
    """`before` and `after` cut to the keys whose value changed, as the audit log keeps a change
    (both empty when nothing did)."""
    changed = [key for key in after if before.get(key) != after[key]]
    return {key: before.get(key) for key in changed}, {key: after[key] for key in changed}


def register_audited(name: str, event_type: type, action: str,
                     entry: Callable[[Any], tuple[Any, Payload | None, Payload | None]],
                     priority: Callable[[Any], PriorityScope] | None = None) -> EventKind:
    """Register a kind nobody is told of and no webhook announces: staff work the audit log
    keeps as `action`, with the (target, before, after) that `entry` reads from the event (and
    the priority scores it outdates, if any)."""
    return register(EventKind(name=name, event_type=event_type, audit=AuditEntry(action, entry),
                              priority=priority))


def idea_scope(event: Any) -> PriorityScope:
    """The priority of the event's idea is outdated (a vote, an importance, impact or effort)."""
    return PriorityScope(idea_ids=(event.idea.id,))


def both_ideas_scope(event: Any) -> PriorityScope:
    """Votes moved between the event's idea and `into` (a merge, or its undoing)."""
    return PriorityScope(idea_ids=(event.idea.id, event.into.id))


EVERY_SCORE = PriorityScope(everything=True)


# Staff made or changed a row: the audit log keeps what the kind's view shows of it.

@dataclass(frozen=True)
class Created(Generic[Target]):
    """Staff made `target`; each kind made of this one says of what."""

    actor: User
    target: Target


@dataclass(frozen=True)
class Updated(Generic[Target]):
    """Staff changed `target`, which read `before` (the kind's view of it then)."""

    actor: User
    target: Target
    before: Payload


def register_created(name: str, event_type: type[Created[Any]], action: str,
                     view: Callable[[Any], Payload]) -> EventKind:
    """A kind of Created: the log keeps nothing before and `view(target)` after."""
    return register_audited(name, event_type, action, lambda event: (event.target, {}, view(event.target)))


def register_updated(name: str, event_type: type[Updated[Any]], action: str,
                     view: Callable[[Any], Payload],
                     priority: Callable[[Any], PriorityScope] | None = None) -> EventKind:
    """A kind of Updated: the log keeps the view before and `view(target)` after."""
    return register_audited(name, event_type, action,
                            lambda event: (event.target, event.before, view(event.target)), priority)
