"""Tags: admins create, rename and colour them, shared by every board or belonging to one; staff
(and a board's moderators) put them on ideas: a board's tag only on that board's ideas."""
from collections.abc import Collection
from functools import lru_cache
from typing import NamedTuple

from sqlalchemy import Select, bindparam, func, or_, select

from flask_babel import gettext as _

from . import audit
from .errors import InvalidInput
from .events import IdeaTagged, IdeaUntagged, TagCreated, TagUpdated, tag_view, tags_view
from .events.publish import publish
from .extensions import db
from .models import Board, Idea, Tag, User, idea_tags

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


def _check_board(board_id: int | None) -> None:
    if board_id is not None and db.session.get(Board, board_id) is None:
        raise InvalidInput(_("Unknown board."), {"board": _("Choose a board from the list.")})


def check_tags_fit(tags: Collection[Tag], board_id: int | None) -> None:
    """InvalidInput (on "tags") unless every one of `tags` is shared or belongs to the board
    `board_id` (None: the main board)."""
    strangers = sorted(tag.name for tag in tags if tag.board_id is not None and tag.board_id != board_id)
    if strangers:
        raise InvalidInput(_("Choose tags of this board."), {"tags": _(
            "%(names)s belongs to another board.", names=", ".join(f"#{name}" for name in strangers))})


def tags_for(board_ids: Collection[int] | None) -> Select[Tag]:
    """A select of the shared tags and those of the boards `board_ids` (None: every tag), by name:
    what a board's filter, an idea's form and a reader's lists offer."""
    statement = select(Tag).order_by(Tag.name)
    if board_ids is not None:
        statement = statement.where(or_(Tag.board_id.is_(None), Tag.board_id.in_(sorted(board_ids))))
    return statement


def create_tag(actor: User, name: str, colour: str = "grey", board_id: int | None = None) -> Tag:
    """A new tag, shared or for the board `board_id`. Admins only."""
    audit.require_admin(actor)
    name = _clean_name(name)
    _check_colour(colour)
    _check_board(board_id)
    tag = Tag(name=name, colour=colour, board_id=board_id)
    db.session.add(tag)
    db.session.flush()
    publish(TagCreated(actor, tag))
    return tag


def update_tag(actor: User, tag: Tag, name: str, colour: str, board_id: int | None = None) -> None:
    """Rename or recolour a tag, or give it to one board (None: shared). Admins only. A tag given
    to one board stays on the ideas of other boards it is on until staff take it off."""
    audit.require_admin(actor)
    name = _clean_name(name, tag)
    _check_colour(colour)
    _check_board(board_id)
    before = tag_view(tag)
    tag.name, tag.colour, tag.board_id = name, colour, board_id
    db.session.flush()
    publish(TagUpdated(actor, tag, before))


def add_tag(actor: User, idea: Idea, tag: Tag) -> None:
    """Put a tag (shared, or of the idea's board) on an idea. Staff, or a moderator of its board."""
    audit.require_moderator(actor, idea)
    check_tags_fit([tag], idea.board_id)
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
