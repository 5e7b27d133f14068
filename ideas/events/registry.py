"""The registry of event kinds: everything an event means, declared once per kind.

A kind says who is told (its Audience), what they read (summary, email subject and templates,
link), which webhook fires with what payload, what the audit log keeps, and which cached
fragments it makes stale. Notifications, delivery, webhooks and the models read this registry;
none of them lists kinds. Adding a kind is one `register(EventKind(...))` plus its templates.

This module imports nothing of the app, so the models may read it (EVENT_KINDS, WEBHOOK_EVENTS).
"""
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

Payload = dict[str, Any]


@dataclass(frozen=True)
class Audience:
    """Who is told of an event (each member once, never the actor; staff only on hidden ideas).

    `level`: followers at that follow level only, and an email only while they still are
    ("all": ordinary comments). `mentioned` reads the event's `mentioned_ids`, `members` its
    `members` (a select of user ids), so a rule can name people no follow describes."""

    followers: bool = False
    level: str | None = None
    backers: bool = False
    mentioned: bool = False
    members: bool = False


@dataclass(frozen=True)
class Webhook:
    """The webhook an event fires: its name, what admins read when choosing it, and its data
    (models are turned into JSON by ideas/webhooks/queue.py, internal comments never travel)."""

    name: str
    label: Any  # a lazy string, read in the admin's language
    data: Callable[[Any], Payload]


@dataclass(frozen=True)
class AuditEntry:
    """What the audit log keeps of an event: action, and (target, before, after) read from the
    event (the target a model instance, None for the site; None before or after: nothing)."""

    action: str
    entry: Callable[[Any], tuple[Any, Payload | None, Payload | None]]


@dataclass(frozen=True)
class PriorityScope:
    """The ideas whose priority score an event outdates (ideas/priority_queue.py marks them due):
    some ideas by id, the ideas a member backs, the ideas a company's members back, or all."""

    idea_ids: tuple[int, ...] = ()
    member_id: int | None = None
    company_id: int | None = None
    everything: bool = False


def _no_payload(event: Any) -> Payload:
    return {}


def _always(event: Any) -> bool:
    return True


def _no_status(event: Any) -> str | None:
    return None


@dataclass(frozen=True)
class Answer:
    """What an event counts for on the accountability page (ideas/accountability.py keeps, per
    idea, when the team first answered it, first decided it and first shipped it): `by_team`
    says whether it is the team's answer to its idea (read per event: a comment is one when
    staff wrote it); `status`, the status it moved the idea to, if any, whose category says
    whether that decides or ships it."""

    by_team: Callable[[Any], bool] = _always
    status: Callable[[Any], str | None] = _no_status


def _plain_summary(data: Payload) -> str:
    return ""


@dataclass(frozen=True)
class EventKind:
    """One kind of event. `name` is stored in events.kind (at most 30 characters).

    `payload` builds the JSON an Event row keeps (what it said at the time); `summary`,
    `subject` and `link` read that payload back, so old events read the same after edits.
    `template` names the email parts: `<template>.txt` and `<template>.html` render one item.
    `quote` names the payload key of the member's Markdown the event quotes (a status note, a
    comment), its sanitised HTML kept under `<quote>_html`: the summary gives it as plain words
    (sanitize.markdown_text) and must read well without it, as an HTML email shows it as its HTML.
    `context_quote` names another such text shown beside it for context (a reply's parent).
    `link` gives (endpoint, values) for the email's link. `stale` names cached fragments the
    event outdates; listeners added with `on_stale` hear of them after each publish.
    `priority` gives the ideas whose priority score the event outdates (a vote, an importance, a
    company's revenue, the weights): the worker recomputes them (ideas/priority.py).
    `answer` says what the event counts for on the accountability page (an Answer)."""

    name: str
    event_type: type
    audience: Audience | None = None
    payload: Callable[[Any], Payload] = _no_payload
    summary: Callable[[Payload], str] = _plain_summary
    subject: Callable[[Payload], str] = _plain_summary
    template: str = "email/events/default"
    quote: str | None = None
    # A second text quoted for context only (a reply's parent): shown in emails, never summarised.
    context_quote: str | None = None
    link: Callable[[int | None, Payload], tuple[str, dict[str, Any]]] | None = None
    webhook: Webhook | None = None
    audit: AuditEntry | None = None
    stale: tuple[str, ...] = field(default=())
    priority: Callable[[Any], PriorityScope] | None = None
    answer: Answer | None = None

    @property
    def tells_members(self) -> bool:
        """True when the kind writes an event row and outbox rows (someone is told)."""
        return self.audience is not None


_KINDS: dict[str, EventKind] = {}
_BY_TYPE: dict[type, EventKind] = {}
_STALE_LISTENERS: list[Callable[[tuple[str, ...], Any], None]] = []


def register(kind: EventKind) -> EventKind:
    """Add `kind`; a second kind of the same name or type is a mistake, refused."""
    if kind.name in _KINDS or kind.event_type in _BY_TYPE:
        raise ValueError(f"Event kind {kind.name!r} is registered already")
    if len(kind.name) > 30:
        raise ValueError(f"Event kind {kind.name!r} is longer than events.kind holds")
    webhook = kind.webhook
    for other in _KINDS.values():
        if webhook and other.webhook and other.webhook.name == webhook.name and other.webhook != webhook:
            raise ValueError(f"Webhook {webhook.name!r} is declared twice; share one Webhook")
    _KINDS[kind.name] = kind
    _BY_TYPE[kind.event_type] = kind
    return kind


def unregister(name: str) -> None:
    """Remove a kind (tests that register their own kind clean up with it)."""
    kind = _KINDS.pop(name)
    del _BY_TYPE[kind.event_type]


def kind_named(name: str) -> EventKind | None:
    """The registered kind called `name`, or None (an event of a kind since removed)."""
    return _KINDS.get(name)


def kind_of(event: Any) -> EventKind:
    """The kind of a typed event; an unregistered type is a programming error."""
    try:
        return _BY_TYPE[type(event)]
    except KeyError:
        raise LookupError(f"{type(event).__name__} is not a registered event kind") from None


def registered_kinds() -> list[EventKind]:
    """Every kind, in the order registered."""
    return list(_KINDS.values())


def webhooks() -> dict[str, Webhook]:
    """{name: webhook} of every webhook some kind fires, in the order first registered."""
    found: dict[str, Webhook] = {}
    for kind in _KINDS.values():
        if kind.webhook is not None:
            found.setdefault(kind.webhook.name, kind.webhook)
    return found


_STATUS_NAMES: list[Callable[[str | None], str]] = []


def name_statuses_with(name: Callable[[str | None], str]) -> None:
    """How summaries and subjects call a status: the admins' label in the reader's language
    (ideas/status_list.py hands it over when imported, which every app does)."""
    _STATUS_NAMES[:] = [name]


def status_name(key: str | None) -> str:
    """What the reader calls the status `key` (its key, before the list is known)."""
    return _STATUS_NAMES[0](key) if _STATUS_NAMES else str(key)


def on_stale(listener: Callable[[tuple[str, ...], Any], None]) -> None:
    """Call `listener(fragments, event)` after each publish of a kind that makes fragments stale."""
    _STALE_LISTENERS.append(listener)


def mark_stale(kind: EventKind, event: Any) -> None:
    """Tell the listeners which cached fragments `event` outdates (if any)."""
    if kind.stale:
        for listener in _STALE_LISTENERS:
            listener(kind.stale, event)


class KindNames(Sequence[str]):
    """The registered kinds' names, read afresh on each use (models.EVENT_KINDS)."""

    def __getitem__(self, index: Any) -> Any:
        return list(_KINDS)[index]

    def __len__(self) -> int:
        return len(_KINDS)

    def __repr__(self) -> str:
        return repr(tuple(_KINDS))


class WebhookNames(Sequence[str]):
    """The names of every webhook, read afresh on each use (models.WEBHOOK_EVENTS)."""

    def __getitem__(self, index: Any) -> Any:
        return list(webhooks())[index]

    def __len__(self) -> int:
        return len(webhooks())

    def __repr__(self) -> str:
        return repr(tuple(webhooks()))


class WebhookLabels(Mapping[str, Any]):
    """{webhook name: label}, read afresh on each use (webhooks.EVENT_LABELS)."""

    def __getitem__(self, name: str) -> Any:
        return webhooks()[name].label

    def __iter__(self) -> Iterator[str]:
        return iter(webhooks())

    def __len__(self) -> int:
        return len(webhooks())
