"""Announcements: staff tell the people who care what is being done about it, and when.

An announcement reaches the followers of one idea, or of every public idea with a tag, if
asked only those of one kind ("everyone who reported a delivery problem"), each member once.
One select names that audience for the preview's "will reach N people" and for the send, so
the number shown is the number told. Each announcement has a public page; one about an idea
shows only to those who may see that idea (ideas/visibility.py).
"""
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from flask_babel import gettext as _
from flask_login import AnonymousUserMixin
from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import selectinload

from . import audit
from .changelog import unlinkable_reason
from .errors import InvalidInput
from .events import Announced
from .events.publish import publish
from .extensions import db
from .i18n import format_count
from .idea_references import link_references, referenced_ids
from .links import external_url
from .models import KINDS, Announcement, Idea, Tag, User, idea_tags, utcnow
from .models.types import INTEGER_MAX as ID_MAX
from .notifications import followers_of
from .sanitize import render_markdown
from .visibility import (
    VISITOR, can_see_idea, is_staff, listed_condition, listed_ideas, public_ideas_condition,
)

MESSAGE_MAX = 5_000


@dataclass(frozen=True)
class Target:
    """Whom an announcement is for: the followers of `idea`, or of every public idea tagged
    `tag` (only ideas of `kind`, when given). Built by `choose_target`, which checks it."""

    idea: Idea | None = None
    tag: Tag | None = None
    kind: str | None = None


@dataclass(frozen=True)
class Preview:
    """What sending would do: the message as it will read, and how many members it reaches."""

    message_html: str
    recipients: int


# Checking what staff typed

def choose_target(idea_id: int | None = None, tag: Tag | None = None, kind: str | None = None) -> Target:
    """The target of idea #`idea_id`, or of `tag` (narrowed to `kind`); InvalidInput naming what
    is wrong: neither or both given, an idea that cannot be announced to, a kind without a tag."""
    if (idea_id is None) == (tag is None):
        raise InvalidInput(_("No one to tell."), {"target": _("Choose one idea or one tag.")})
    if kind is not None and kind not in KINDS:
        raise InvalidInput(_("Check the kind."), {"kind": _("Choose a kind from the list.")})
    if tag is not None:
        return Target(tag=tag, kind=kind)
    assert idea_id is not None  # checked above: one of idea_id and tag is given
    if kind is not None:
        raise InvalidInput(_("Check the kind."),
                           {"kind": _("Only an announcement to a tag's ideas can be narrowed to a kind.")})
    idea = db.session.get(Idea, idea_id) if 0 < idea_id <= ID_MAX else None
    problem = unlinkable_reason(idea, idea_id)
    if problem:
        raise InvalidInput(_("Check the idea number."), {"idea": problem})
    return Target(idea=idea)


def clean_message(message: str | None) -> str:
    """The message stripped; InvalidInput when it is empty, too long or holds a NUL."""
    message = (message or "").strip()
    if not message:
        raise InvalidInput(_("Nothing to send."), {"message": _("Write the message first.")})
    if len(message) > MESSAGE_MAX or "\x00" in message:
        raise InvalidInput(_("Too long."), {"message": _("Keep the message to %(limit)s characters.",
                                                         limit=format_count(MESSAGE_MAX))})
    return message


def check_expected_on(day: date | None, today: date | None = None) -> date | None:
    """The day the news is expected, or None; InvalidInput for a day already past."""
    today = today or utcnow().date()
    # "Today" where the writer is may still be yesterday in UTC: one day of grace.
    if day is not None and day < today - timedelta(days=1):
        raise InvalidInput(_("Check the date."),
                           {"expected_on": _("Choose today or a later day, or leave it empty.")})
    return day


# The audience: one select for the preview and the send

def _tagged_public_ideas(tag: Tag, kind: str | None) -> Select[Any]:
    """A select of the ids of ideas everyone sees that carry `tag` (and are of `kind`, if given)."""
    statement = (select(idea_tags.c.idea_id).join(Idea, Idea.id == idea_tags.c.idea_id)
                 .where(idea_tags.c.tag_id == tag.id, listed_condition(VISITOR)))
    return statement.where(Idea.kind == kind) if kind is not None else statement


def audience(target: Target) -> Select[Any]:
    """A select of the user_id of every follower `target` names (a member may appear twice)."""
    if target.idea is not None:
        return followers_of([target.idea.id])
    assert target.tag is not None  # choose_target gives an idea or a tag
    return followers_of(_tagged_public_ideas(target.tag, target.kind))


def audience_size(actor: User, target: Target) -> int:
    """How many members an announcement by `actor` to `target` tells: each once, never the actor
    (publish's outbox counts them the same way)."""
    members = audience(target).subquery()
    return db.session.execute(
        select(func.count(func.distinct(members.c.user_id))).where(members.c.user_id != actor.id)
    ).scalar_one()


# Writing

def message_html(message: str) -> str:
    """The message as sanitised HTML, each "#N" of an idea everyone sees a link to its page."""
    rendered = render_markdown(message)
    numbers = [number for number in referenced_ids(rendered) if 0 < number <= ID_MAX]
    public = set(db.session.execute(select(Idea.id).where(Idea.id.in_(numbers), public_ideas_condition()))
                 .scalars()) if numbers else set()
    return link_references(rendered, lambda number: external_url("ideas.show", idea_id=number)
                           if number in public else None)


def preview_announcement(actor: User, message: str | None, target: Target,
                         expected_on: date | None = None) -> Preview:
    """What `announce` would send and to how many, checked as it checks; nothing is written."""
    audit.require_staff(actor)
    message = clean_message(message)
    check_expected_on(expected_on)
    recipients = audience_size(actor, target)
    _require_someone(recipients, target)
    return Preview(message_html(message), recipients)


def _require_someone(recipients: int, target: Target) -> None:
    """InvalidInput when nobody would read the announcement."""
    if not recipients:
        raise InvalidInput(_("No one to tell."), {"tag" if target.tag is not None else "idea": _(
            "Nobody follows that yet, so nobody would read this.")})


def announce(actor: User, message: str | None, idea_id: int | None = None, tag: Tag | None = None,
             kind: str | None = None, expected_on: date | None = None) -> Announcement:
    """Tell the followers of idea #`idea_id`, or of every public idea tagged `tag` (of `kind`),
    each member once, what the team is doing and when (`expected_on`)."""
    audit.require_staff(actor)
    message = clean_message(message)
    target = choose_target(idea_id, tag, kind)
    expected_on = check_expected_on(expected_on)
    recipients = audience_size(actor, target)
    _require_someone(recipients, target)
    announcement = Announcement(
        author_id=actor.id, message=message, message_html=message_html(message),
        target="tag" if tag is not None else "idea", idea_id=target.idea.id if target.idea else None,
        tag_id=tag.id if tag else None, tag_name=tag.name if tag else None, idea_kind=target.kind,
        expected_on=expected_on, recipient_count=recipients, created_at=utcnow(),
    )
    db.session.add(announcement)
    db.session.flush()
    event = publish(Announced(actor, target.idea, audience(target), announcement))
    announcement.event_id = event.id if event is not None else None
    db.session.flush()
    return announcement


# Reading

def sent_announcements() -> Select[Announcement]:
    """A select of every announcement sent, newest first (staff read them all)."""
    return (select(Announcement)
            .options(selectinload(Announcement.idea), selectinload(Announcement.tag))
            .order_by(Announcement.created_at.desc(), Announcement.id.desc()))


def public_announcements(viewer: User | AnonymousUserMixin) -> Select[Announcement]:
    """A select of the announcements `viewer` may read, newest first: those to a tag, and those
    about an idea `viewer` finds in lists."""
    if is_staff(viewer):
        return sent_announcements()
    about_listed_idea = (listed_ideas(viewer).with_only_columns(Idea.id)
                         .where(Idea.id == Announcement.idea_id).correlate(Announcement).exists())
    return sent_announcements().where(or_(Announcement.idea_id.is_(None), about_listed_idea))


def can_see_announcement(viewer: User | AnonymousUserMixin, announcement: Announcement) -> bool:
    """True when `viewer` may open the announcement's page: it is to a tag, or they may see its idea."""
    return announcement.idea is None or can_see_idea(viewer, announcement.idea)
