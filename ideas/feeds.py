"""What the Atom feeds carry: the board's new ideas, the roadmap's status changes (of every board a
visitor may see, or of one), one idea's story, the changelog.

A feed is the same for everyone who fetches it (feed readers carry no session), so every query here
asks as a signed-out visitor, whoever makes the request. Internal notes, hidden and deleted comments,
and hidden, withdrawn or unapproved ideas never reach a feed.
"""
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, select
from sqlalchemy.orm import selectinload

from .changelog import published_entries
from .comments import comments_on
from .extensions import db
from .models import ChangelogEntry, Comment, Idea, TimelineEntry
from .statuses import timeline_of
from .visibility import VISITOR, can_see_idea, listed_ideas, on_boards, visible_to

FEED_LENGTH = 50


@dataclass
class FeedItem:
    """One entry: `kind` is "idea", "event" (a timeline entry), "comment" or "changelog"; `idea` is
    whose it is (None for a changelog entry, which may deliver several)."""

    kind: str
    item: Idea | TimelineEntry | Comment | ChangelogEntry
    idea: Idea | None
    published: datetime
    updated: datetime


def idea_item(idea: Idea) -> FeedItem:
    """The idea itself; it counts as updated when its author or staff edit it, not when voted on."""
    moments = [m for m in (idea.created_at, idea.edited_at, idea.staff_edited_at) if m is not None]
    return FeedItem("idea", idea, idea, idea.created_at, max(moments))


def event_item(entry: TimelineEntry, idea: Idea) -> FeedItem:
    """A step of the idea's timeline: a status change with its note, a merge, an approval..."""
    return FeedItem("event", entry, idea, entry.created_at, entry.created_at)


def comment_item(comment: Comment, idea: Idea) -> FeedItem:
    """A public comment or an official response."""
    return FeedItem("comment", comment, idea, comment.created_at, comment.edited_at or comment.created_at)


def changelog_item(entry: ChangelogEntry) -> FeedItem:
    """A published changelog entry; edits after publishing update it."""
    assert entry.published_at is not None  # only published entries reach a feed
    return FeedItem("changelog", entry, None, entry.published_at, max(entry.published_at, entry.updated_at))


def visitors_see(idea: Idea) -> bool:
    """True when a signed-out visitor may open the idea, so its feed exists."""
    return can_see_idea(VISITOR, idea)


def newest_ideas(limit: int = FEED_LENGTH, board: int | None = None) -> Select[Idea]:
    """A select of the newest ideas a visitor finds on the board (one board's: `board`, as
    board.board_query takes it), with their tags."""
    statement = listed_ideas(VISITOR).options(selectinload(Idea.tags))
    if board is not None:
        statement = statement.where(on_boards(frozenset({board})))
    return statement.order_by(Idea.created_at.desc(), Idea.id.desc()).limit(limit)


def status_changes(limit: int = FEED_LENGTH, board: int | None = None) -> Select[TimelineEntry, Idea]:
    """A select of (timeline entry, idea) rows: status changes of ideas visitors see (on one board:
    `board`), newest first."""
    statement = (
        select(TimelineEntry, Idea).join(Idea, Idea.id == TimelineEntry.idea_id)
        # Ideas whose page a visitor may open: merged ones keep their page and history.
        .where(TimelineEntry.action == "status", visible_to(VISITOR))
    )
    if board is not None:
        statement = statement.where(on_boards(frozenset({board})))
    return statement.order_by(TimelineEntry.created_at.desc(), TimelineEntry.id.desc()).limit(limit)


def public_timeline(idea: Idea, limit: int = FEED_LENGTH) -> Select[TimelineEntry]:
    """A select of the idea's timeline, newest first (every step of it is public on its page)."""
    return (timeline_of(idea.id).order_by(None)
            .order_by(TimelineEntry.created_at.desc(), TimelineEntry.id.desc()).limit(limit))


def public_comments(idea: Idea, limit: int = FEED_LENGTH) -> Select[Comment]:
    """A select of the comments a visitor reads on the idea, newest first; deleted ones left out."""
    return (comments_on(idea, VISITOR).where(Comment.deleted_at.is_(None)).order_by(None)
            .order_by(Comment.created_at.desc(), Comment.id.desc()).limit(limit))


def board_feed(limit: int = FEED_LENGTH, board: int | None = None) -> list[FeedItem]:
    """The board feed's items: new ideas, newest first."""
    return [idea_item(idea) for idea in db.session.execute(newest_ideas(limit, board)).scalars()]


def roadmap_feed(limit: int = FEED_LENGTH, board: int | None = None) -> list[FeedItem]:
    """The roadmap feed's items: status changes, newest first, in one query."""
    return [event_item(entry, idea) for entry, idea in db.session.execute(status_changes(limit, board))]


def idea_feed(idea: Idea, limit: int = FEED_LENGTH) -> list[FeedItem]:
    """One idea's story, newest first: its comments and timeline (two queries), then the idea itself."""
    items = [event_item(entry, idea) for entry in db.session.execute(public_timeline(idea, limit)).scalars()]
    items += [comment_item(comment, idea)
              for comment in db.session.execute(public_comments(idea, limit)).scalars()]
    items.append(idea_item(idea))
    order = {"idea": 0, "comment": 1, "event": 2}  # as the idea's page orders a shared moment
    items.sort(key=lambda i: (i.published, order[i.kind], i.item.id), reverse=True)
    return items[:limit]


def changelog_feed(limit: int = FEED_LENGTH) -> list[FeedItem]:
    """The changelog feed's items: published entries, newest first, with their ideas (two queries)."""
    return [changelog_item(entry)
            for entry in db.session.execute(published_entries().limit(limit)).scalars()]
