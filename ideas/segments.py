"""Segments: saved filters over members and their companies, made by admins, and the one answer to
"is this member in this segment". Nothing here knows HTTP.

`segment_clause(segment)` is that answer in SQL: a condition on `users` that any statement with the
users table in it may use (the inbox's ideas through their backers, the votes export, the API's
lists, and, later, a board's access rule). `in_segment(member, segment)` asks the database the
same clause for one member, so the two can never disagree. The rules themselves are
ideas/segment_rules.py.
"""
import json
from functools import lru_cache
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import ColumnElement, Select, func, or_, select, union
from sqlalchemy.orm import aliased

from . import audit
from .errors import InvalidInput, NotAllowed
from .events import SegmentCreated, SegmentDeleted, SegmentUpdated, segment_view
from .events.publish import publish
from .extensions import db
from .models import (
    SEGMENT_MATCHES, SEGMENT_NAME_MAX, Board, CompanyAttribute, Idea, Segment, User, Vote, board_segments,
    utcnow,
)
from .models.types import INTEGER_MAX
from .segment_rules import (
    MemberId, Rule, check_rules, combined, describe, reads_only_companies, rules_of, segment_clause,
    stored_rules,
)


# What a segment says.


def described(segment: Segment) -> list[str]:
    """Each rule of the segment in words."""
    return [describe(rule) for rule in rules_of(segment)]


def in_segment(member: User, segment: Segment, now: datetime | None = None) -> bool:
    """True when `member` is in `segment`: the database answers `segment_clause` for them."""
    statement = select(User.id).where(User.id == member.id, segment_clause(segment, now)).exists()
    return bool(db.session.execute(select(statement)).scalar())


def backed_by(segment: Segment, now: datetime | None = None) -> ColumnElement[bool]:
    """A condition on `ideas`: a member of the segment proposed or backs the idea. What a segment
    narrows a page of the inbox, the board, the roadmap and the API's lists to.

    Asked idea by idea (correlated), so a list read in its sort order stops at its page: the
    inbox by priority walks the score's index and checks a few ideas' backers. For a count or an
    export of every matching idea, ideas_backed_by builds the set once instead. Without `now`,
    the condition is built once a minute per segment (its rules' "last 90 days" counted from the
    minute's start): building it, aliases and all, cost a page more than running it."""
    if now is not None:
        return _backed_by(segment.rules, segment.match, now)
    return _backed_by_this_minute(segment.rules, segment.match, _this_minute())


def ideas_backed_by(segment: Segment, now: datetime | None = None) -> ColumnElement[bool]:
    """backed_by as one uncorrelated set of ideas, built once per statement from the segment's
    members (their votes through the votes' member index, their ideas through the author
    index): what counts and exports of every matching idea use. Asking the segment's rules for
    every backer of every idea instead would cost a count of 100,000 ideas a million checks."""
    if now is not None:
        return _ideas_backed_by(segment.rules, segment.match, now)
    return _ideas_backed_by_this_minute(segment.rules, segment.match, _this_minute())


def _this_minute() -> datetime:
    return utcnow().replace(second=0, microsecond=0)


def _backed_by(rules: str, match: str, now: datetime) -> ColumnElement[bool]:
    # Aliases of users: a statement around this may join users itself (the ideas export joins the
    # author), and the subqueries must not be correlated to that row. Rules about companies only
    # need the member's id, which votes and ideas hold: no users row is read for them (a quarter
    # of the inbox's time when filtered to a segment).
    read = stored_rules(rules)
    if reads_only_companies(read):
        voted = select(Vote.id).where(Vote.idea_id == Idea.id,
                                      combined(read, match, now, MemberId(Vote.user_id))).exists()
        return or_(voted, combined(read, match, now, MemberId(Idea.author_id)))
    voter, author = aliased(User), aliased(User)
    voted = (select(Vote.id).join(voter, voter.id == Vote.user_id)
             .where(Vote.idea_id == Idea.id, combined(read, match, now, voter)).exists())
    proposed = (select(author.id).where(author.id == Idea.author_id,
                                        combined(read, match, now, author)).exists())
    return or_(voted, proposed)


def _ideas_backed_by(rules: str, match: str, now: datetime) -> ColumnElement[bool]:
    member, proposal = aliased(User), aliased(Idea)
    members = select(member.id).where(combined(stored_rules(rules), match, now, member))
    ideas = union(select(Vote.idea_id).where(Vote.user_id.in_(members)),
                  select(proposal.id).where(proposal.author_id.in_(members)))
    return Idea.id.in_(ideas)


# A segment's conditions for this minute, by its rules: statements are immutable and shared.
_backed_by_this_minute = lru_cache(maxsize=64)(_backed_by)
_ideas_backed_by_this_minute = lru_cache(maxsize=64)(_ideas_backed_by)


# Which segments there are.

def member_counts(segments: Sequence[Segment], now: datetime | None = None) -> dict[int, int]:
    """How many members each segment holds now: one pass over the members for all of them."""
    if not segments:
        return {}
    now = now or utcnow()
    counts = db.session.execute(select(*[
        func.count().filter(segment_clause(segment, now)) for segment in segments]).select_from(User)).one()
    return {segment.id: count for segment, count in zip(segments, counts, strict=True)}


def all_segments() -> Select[Segment]:
    """Every segment, by name."""
    return select(Segment).order_by(func.lower(Segment.name), Segment.id)


def segment_names() -> dict[str, str]:
    """{segment id as text: name}, by name: what the filters of lists offer."""
    return {str(segment.id): segment.name for segment in db.session.execute(all_segments()).scalars()}


def segment_by_id(raw: Any) -> Segment | None:
    """The segment a filter names (an id, as text or a number), or None when it names none."""
    text = str(raw).strip() if isinstance(raw, (str, int)) and not isinstance(raw, bool) else ""
    if not text.isdigit() or not 0 < int(text) <= INTEGER_MAX:
        return None
    return db.session.get(Segment, int(text))


def filtering_segment(raw: Any) -> Segment:
    """The segment a list is asked to be filtered by; InvalidInput on "segment" when it names none."""
    segment = segment_by_id(raw)
    if segment is None:
        raise InvalidInput(_("No such segment."), {"segment": _("There is no segment %(id)s.",
                                                                id=str(raw)[:20])})
    return segment


def attribute_names() -> list[str]:
    """Every attribute name some company has, for the rule editor's list."""
    return list(db.session.execute(
        select(CompanyAttribute.name).distinct().order_by(CompanyAttribute.name)).scalars())


# Admins make, change and remove segments.

def create_segment(actor: User, name: Any, match: Any, rows: Iterable[Mapping[str, Any]]) -> Segment:
    """Save a new segment (admins only)."""
    audit.require_admin(actor)
    name, match, rules = _checked(name, match, rows)
    _ensure_name_free(name)
    now = utcnow()
    segment = Segment(name=name, match=match, rules=_stored(rules), created_at=now, updated_at=now)
    db.session.add(segment)
    db.session.flush()
    publish(SegmentCreated(actor, segment))
    return segment


def update_segment(actor: User, segment: Segment, name: Any, match: Any,
                   rows: Iterable[Mapping[str, Any]]) -> bool:
    """Rename a segment or change its rules (admins only); False when nothing changed."""
    audit.require_admin(actor)
    name, match, rules = _checked(name, match, rows)
    if name != segment.name:
        _ensure_name_free(name, segment.id)
    before = segment_view(segment)
    segment.name, segment.match, segment.rules = name, match, _stored(rules)
    if segment_view(segment) == before:
        return False
    segment.updated_at = utcnow()
    db.session.flush()
    publish(SegmentUpdated(actor, segment, before))
    return True


def delete_segment(actor: User, segment: Segment) -> None:
    """Remove a segment (admins only); lists filtered by it show everyone again."""
    audit.require_admin(actor)
    if board := segment_in_use(segment):
        raise NotAllowed(_("The board “%(board)s” opens to this segment: take the segment off the board "
                           "first.", board=board))
    before = segment_view(segment)
    db.session.delete(segment)
    db.session.flush()
    publish(SegmentDeleted(actor, segment, before))


def _checked(name: Any, match: Any, rows: Iterable[Mapping[str, Any]]) -> tuple[str, str, list[Rule]]:
    problems: dict[str, str] = {}
    name = " ".join(name.split()) if isinstance(name, str) else ""
    if not name or len(name) > SEGMENT_NAME_MAX or "\x00" in name:
        problems["name"] = _("Give the segment a name of at most %(limit)s characters.",
                             limit=SEGMENT_NAME_MAX)
    if match not in SEGMENT_MATCHES:
        problems["match"] = _("Choose whether all rules or any one must hold.")
    try:
        rules = check_rules(rows)
    except InvalidInput as error:
        problems.update(error.fields)
        rules = []
    if problems:
        raise InvalidInput(_("Please correct the fields marked below."), problems)
    return name, match, rules


def _ensure_name_free(name: str, own_id: int | None = None) -> None:
    taken = db.session.execute(
        select(Segment.id).where(func.lower(Segment.name) == func.lower(name))).scalar()
    if taken is not None and taken != own_id:
        raise InvalidInput(_("Another segment has this name."),
                           {"name": _("Another segment is called “%(name)s”.", name=name)})


def _stored(rules: Iterable[Rule]) -> str:
    return json.dumps([rule.as_json() for rule in rules], ensure_ascii=False)


def segment_in_use(segment: Segment) -> str | None:
    """The name of a board that opens to `segment`, if one does (the segment cannot go then)."""
    return db.session.execute(select(Board.name).join(board_segments, board_segments.c.board_id == Board.id)
                              .where(board_segments.c.segment_id == segment.id).limit(1)).scalar()
