"""Tags: admins create, rename and colour them; staff put them on ideas."""
from collections.abc import Collection
from functools import lru_cache
from typing import NamedTuple

from sqlalchemy import Select, bindparam, func, select

from flask_babel import gettext as _

from . import audit
from .errors import InvalidInput
from .events import IdeaTagged, IdeaUntagged, TagCreated, TagUpdated, tag_view, tags_view
from .events.publish import publish
from .extensions import db
from .models import Idea, Tag, User, idea_tags

TAG_COLOURS = ("grey", "blue", "purple", "teal", "indigo", "brown", "green", "orange", "red")
TAG_NAME_MAX = 40


class CardTag(NamedTuple):
    """What a card shows of a tag (a tuple: part of a cached card's key)."""

    name: str
    colour: str


def tags_of(idea_ids: Collection[int]) -> dict[int, tuple[CardTag, ...]]:
    """{idea id: (CardTag, …) by name} for `idea_ids`, as plain rows in one statement; ideas
    without tags are missing."""
    tags: dict[int, list[CardTag]] = {}
    if idea_ids:
        for idea_id, name, colour in db.session.execute(_tags_of(), dict(idea_ids=list(idea_ids))):
            tags.setdefault(idea_id, []).append(CardTag(name, colour))
    return {idea_id: tuple(found) for idea_id, found in tags.items()}


@lru_cache(maxsize=1)
def _tags_of() -> Select[int, str, str]:
    return (select(idea_tags.c.idea_id, Tag.name, Tag.colour).join(Tag, Tag.id == idea_tags.c.tag_id)
            .where(idea_tags.c.idea_id.in_(bindparam("idea_ids", expanding=True))).order_by(Tag.name))


def _clean_name(name: str | None, tag: Tag | None = None) -> str:
    name = " ".join((name or "").split()).lower()
    if not name or len(name) > TAG_NAME_MAX or "\x00" in name:
        raise InvalidInput(_("Name the tag."), {"name": _("Use 1 to %(limit)s characters.",
                                                          limit=TAG_NAME_MAX)})
    clash = db.session.execute(select(Tag).where(func.lower(Tag.name) == name)).scalar()
    if clash is not None and clash is not tag:
        raise InvalidInput(_("Tag exists."), {"name": _("There is already a tag called “%(name)s”.",
                                                        name=name)})
    return name


def _check_colour(colour: str) -> None:
    if colour not in TAG_COLOURS:
        raise InvalidInput(_("Unknown colour."), {"colour": _("Choose a colour from the list.")})


def create_tag(actor: User, name: str, colour: str = "grey") -> Tag:
    """A new tag. Admins only."""
    audit.require_admin(actor)
    name = _clean_name(name)
    _check_colour(colour)
    tag = Tag(name=name, colour=colour)
    db.session.add(tag)
    db.session.flush()
    publish(TagCreated(actor, tag))
    return tag


def update_tag(actor: User, tag: Tag, name: str, colour: str) -> None:
    """Rename or recolour a tag. Admins only."""
    audit.require_admin(actor)
    name = _clean_name(name, tag)
    _check_colour(colour)
    before = tag_view(tag)
    tag.name, tag.colour = name, colour
    db.session.flush()
    publish(TagUpdated(actor, tag, before))


def add_tag(actor: User, idea: Idea, tag: Tag) -> None:
    """Put a tag on an idea. Staff, or a moderator of its board."""
    audit.require_moderator(actor, idea)
    if tag not in idea.tags:
        before = tags_view(idea)
        idea.tags.append(tag)
        db.session.flush()
        publish(IdeaTagged(actor, idea, before))


def remove_tag(actor: User, idea: Idea, tag: Tag) -> None:
    """Take a tag off an idea. Staff, or a moderator of its board."""
    audit.require_moderator(actor, idea)
    if tag in idea.tags:
        before = tags_view(idea)
        idea.tags.remove(tag)
        db.session.flush()
        publish(IdeaUntagged(actor, idea, before))
