"""Proposing, editing and withdrawing ideas, as their author; who may change an idea, staff too."""
from collections.abc import Callable, Iterable
from datetime import timedelta

from flask_login import AnonymousUserMixin
from sqlalchemy import select

from flask_babel import gettext as _

from .i18n import format_count
from .accounts import ensure_can_participate
from .errors import InvalidInput, NotAllowed
from .extensions import db
from .following import join_followers
from .models import DESCRIPTION_MAX, KINDS, TITLE_MAX, Board, Idea, Tag, User, utcnow
from . import audit
from .attachments import attach, check_attachable
from .events import IdeaCreated, IdeaEditedByStaff, IdeaWithdrawn, edited_view
from .events.publish import publish
from .sanitize import render_markdown
from .site_settings import get_setting
from .visibility import can_see_board, is_staff
from .statuses import add_timeline_entry
from .tags import check_tags_fit
from .voting import cast_vote, trending_score

EDIT_WINDOW = timedelta(hours=1)


def clean_fields(title: str | None, description: str | None, kind: str,
                 tag_ids: Iterable[int] | None) -> tuple[str, str, str, list[Tag]]:
    """Check the fields an author controls; returns them tidied, or raises InvalidInput."""
    title = " ".join((title or "").split())
    description = (description or "").strip()
    problems: dict[str, str] = {}
    if not title:
        problems["title"] = _("Give your idea a title.")
    elif len(title) > TITLE_MAX:
        problems["title"] = _("Keep the title to %(limit)s characters.", limit=TITLE_MAX)
    if len(description) > DESCRIPTION_MAX:
        problems["description"] = _("Keep the description to %(limit)s characters.",
                                    limit=format_count(DESCRIPTION_MAX))
    if "\x00" in title or "\x00" in description:
        problems["description"] = _("The text holds characters that cannot be stored.")
    if kind not in KINDS:
        problems["kind"] = _("Choose idea, problem or praise.")
    tag_ids = list(dict.fromkeys(tag_ids or []))
    tags: list[Tag] = []
    if tag_ids:
        tags = list(db.session.execute(select(Tag).where(Tag.id.in_(tag_ids))).scalars())
        if len(tags) != len(tag_ids):
            problems["tags"] = _("Choose tags from the list.")
    if problems:
        raise InvalidInput(_("Please correct the highlighted fields."), problems)
    return title, description, kind, tags


def propose_idea(author: User, title: str, description: str = "", kind: str = "idea",
                 tag_ids: Iterable[int] = (), *, backed: bool = True, board: Board | None = None,
                 attachment_ids: Iterable[int] = ()) -> Idea:
    """Post a new idea on `board` (None: the main board), which the author must be able to see;
    the author follows it and, unless `backed` is False, backs it.

    The author's vote is cast through the one voting rule, so it counts, moves on a merge and can be
    withdrawn like any other: otherwise an author's demand would vanish when their idea is merged.
    A caller posting an idea for someone else passes backed=False; CSV import and demo seeding write
    their rows directly and back nothing. `attachment_ids` are the author's pending screenshots
    to show with it (ideas/attachments.py).
    """
    ensure_can_participate(author)
    title, description, kind, tags = clean_fields(title, description, kind, tag_ids)
    if board is not None and not can_see_board(author, board.id):
        raise InvalidInput(_("Please correct the fields marked below."),
                           {"board": _("Choose a board from the list.")})
    check_tags_fit(tags, board.id if board is not None else None)
    attachment_ids = list(attachment_ids)
    check_attachable(author, attachment_ids)
    now = utcnow()
    idea = Idea(
        board_id=board.id if board is not None else None,
        title=title,
        description=description,
        description_html=render_markdown(description),
        kind=kind,
        status="open",
        author=author,
        tags=tags,
        created_at=now,
        updated_at=now,
        status_changed_at=now,
        awaiting_approval=needs_approval(author),
        trending_score=trending_score(0, now),
    )
    db.session.add(idea)
    db.session.flush()
    attach(author, attachment_ids, idea=idea)
    # Following first, so the author keeps the "all activity" level that authors get.
    join_followers(author, idea, reason="author")
    publish(IdeaCreated(author, idea))
    if backed:
        # After idea.created, so a webhook receiver learns of the idea before of its first vote.
        cast_vote(author, idea)
    return idea


def needs_approval(author: User) -> bool:
    """With first-idea moderation on, a member's first idea waits for staff approval."""
    if author.is_staff or get_setting("approve_first_idea") != "1":
        return False
    return db.session.execute(
        select(Idea.id).where(Idea.author_id == author.id, Idea.awaiting_approval.is_(False)).limit(1)
    ).first() is None


def can_edit_idea(member: User | AnonymousUserMixin, idea: Idea) -> bool:
    """Authors may change or withdraw their idea while it is New, for an hour after posting."""
    return (
        member.is_authenticated
        and idea.author_id == member.id
        and idea.status == "open"
        and idea.withdrawn_at is None
        and utcnow() - idea.created_at <= EDIT_WINDOW
    )


def _change_refused() -> NotAllowed:
    return NotAllowed(_("Only the author may change an idea, while it is New and within an hour."))


def _check_author_may_change(member: User | AnonymousUserMixin, idea: Idea) -> None:
    if not can_edit_idea(member, idea):
        raise _change_refused()


def edit_idea(member: User, idea: Idea, title: str, description: str, kind: str,
              tag_ids: Iterable[int] = (), attachment_ids: Iterable[int] = ()) -> None:
    """The author corrects their idea, and may add pending screenshots to it."""
    _check_author_may_change(member, idea)
    title, description, kind, tags = clean_fields(title, description, kind, tag_ids)
    check_tags_fit(tags, idea.board_id)
    attach(member, attachment_ids, idea=idea)  # checks everything before it changes anything
    idea.title = title
    idea.description = description
    idea.description_html = render_markdown(description)
    idea.kind = kind
    idea.tags = tags
    idea.edited_at = idea.updated_at = utcnow()
    db.session.flush()


def edit_idea_as_staff(actor: User, idea: Idea, title: str, description: str, kind: str,
                       tag_ids: Iterable[int] = ()) -> None:
    """Staff clarify an idea; the page says so and the audit log keeps before and after."""
    audit.require_staff(actor)
    title, description, kind, tags = clean_fields(title, description, kind, tag_ids)
    check_tags_fit(tags, idea.board_id)
    before = edited_view(idea)
    idea.title, idea.description, idea.kind, idea.tags = title, description, kind, tags
    idea.description_html = render_markdown(description)
    idea.staff_edited_at = idea.updated_at = utcnow()
    add_timeline_entry(actor, idea, "staff_edit")
    db.session.flush()
    publish(IdeaEditedByStaff(actor, idea, before))


def _editor_of(actor: User | AnonymousUserMixin,
               idea: Idea) -> Callable[[User, Idea, str, str, str, Iterable[int]], None] | None:
    """How `actor` may change `idea`: as its author while the window is open, else as staff; or None."""
    if can_edit_idea(actor, idea):
        return edit_idea
    if is_staff(actor):
        return edit_idea_as_staff
    return None


def may_change_idea(actor: User | AnonymousUserMixin, idea: Idea) -> bool:
    """True if `actor` may edit `idea`: the author while it is New and within an hour, staff any time."""
    return _editor_of(actor, idea) is not None


def check_may_change_idea(actor: User | AnonymousUserMixin, idea: Idea) -> None:
    """NotAllowed unless `actor` may edit `idea`, so a form is refused before it is shown."""
    if not may_change_idea(actor, idea):
        raise _change_refused()


def change_idea(actor: User, idea: Idea, *, title: str | None = None, description: str | None = None,
                kind: str | None = None, tag_ids: Iterable[int] | None = None,
                attachment_ids: Iterable[int] = ()) -> None:
    """Edit `idea` as its author or as staff (marked and audited); a field left as None keeps its value.
    Screenshots (`attachment_ids`) are the author's to add: staff clarify the text only."""
    editor = _editor_of(actor, idea)
    if editor is None:
        raise _change_refused()
    fields = (idea.title if title is None else title,
              idea.description if description is None else description,
              idea.kind if kind is None else kind,
              [tag.id for tag in idea.tags] if tag_ids is None else tag_ids)
    if editor is edit_idea:
        edit_idea(actor, idea, *fields, attachment_ids=attachment_ids)
    else:
        editor(actor, idea, *fields)


def withdraw_idea(member: User, idea: Idea) -> None:
    """The author takes the idea back: it leaves the board; the record stays for staff."""
    _check_author_may_change(member, idea)
    idea.withdrawn_at = utcnow()
    db.session.flush()
    publish(IdeaWithdrawn(member, idea))
