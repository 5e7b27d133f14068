"""@mentions: whom a writer may mention on an idea, whom a comment mentions, and the names the
suggestion list offers while they type. Nothing here knows about HTTP.

A writer may mention the people who took part in the idea (its author, whoever wrote a comment
that is still shown, its backers) and the team, but never someone who may not see the idea (the
rule of ideas/visibility.py, as its news is told), a suspended member, or themselves.
"""
import re

from markdown_it.token import Token
from sqlalchemy import ColumnElement, Select, and_, delete, func, or_, select, union

from .events.publish import publish
from .events import Mentioned
from .extensions import db
from .handles import HANDLE_MAX
from .models import Comment, Event, Idea, OutboxRow, User, Vote
from .sanitize import markdown_tokens
from .visibility import STAFF_ROLES, told_of

# "@handle" after the start, a space or punctuation, never after a letter, digit or "_" (so an
# address such as ada@example.com mentions nobody), and not followed by more handle characters.
MENTION = re.compile(rf"(?<![\w@])@([A-Za-z0-9_]{{2,{HANDLE_MAX}}})(?![A-Za-z0-9_])")
# The partial word being typed at the end of the text: "@ad" in "thanks @ad".
PARTIAL = re.compile(r"(?<![\w@])@([A-Za-z0-9_]*)$")
HANDLE_CHARS = re.compile(r"[A-Za-z0-9_]*")
SUGGESTIONS_MAX = 8


def _may_see(idea: Idea, internal: bool = False) -> ColumnElement[bool]:
    """SQL on `users`: the members who are not suspended and may hear of `idea`'s news (the rule
    the outbox applies, ideas/visibility.py), the team only for an internal note. (An idea awaiting
    approval or withdrawn takes no public comments or votes but its author's and the team's.)"""
    conditions: list[ColumnElement[bool]] = [User.suspended_at.is_(None)]
    if (readers := told_of(idea)) is not None:
        conditions.append(readers)
    if internal:
        conditions.append(User.role.in_(STAFF_ROLES))
    return and_(*conditions)


def mention_candidates(writer: User, idea: Idea, internal: bool = False) -> Select[User]:
    """A select of the members `writer` may mention on `idea` (in an internal note: the team)."""
    took_part = union(
        select(Idea.author_id.label("user_id")).where(Idea.id == idea.id),
        select(Comment.author_id).where(Comment.idea_id == idea.id, Comment.counts_as_public),
        select(Vote.user_id).where(Vote.idea_id == idea.id),
    ).subquery()
    return select(User).where(
        or_(User.role.in_(STAFF_ROLES), User.id.in_(select(took_part.c.user_id))),
        User.id != writer.id, User.handle.is_not(None), _may_see(idea, internal))


def _prose(tokens: list[Token]) -> str:
    """The text of `tokens` outside code: code spans, blocks and fences become a space each."""
    parts: list[str] = []
    for token in tokens:
        if token.type in ("code_inline", "code_block", "fence"):
            parts.append(" ")
        elif token.type == "text":
            parts.append(token.content)
        elif token.children:
            parts.append(_prose(token.children))
        else:
            parts.append(" ")
    return "".join(parts)


def handles_in(body: str | None) -> set[str]:
    """The handles (lower case) that `body`, Markdown, mentions outside code."""
    return {match.lower() for match in MENTION.findall(_prose(markdown_tokens(body)))}


def mentioned_in(writer: User, idea: Idea, body: str | None, internal: bool = False) -> list[int]:
    """The ids of the members `writer` may mention on `idea` whose @handle `body` holds."""
    handles = handles_in(body)
    if not handles:
        return []
    chosen = mention_candidates(writer, idea, internal).where(User.handle.in_(sorted(handles)))
    return sorted(db.session.execute(chosen.with_only_columns(User.id)).scalars())


def partial_mention(text: str | None, bare: bool = False) -> str | None:
    """The "@word" being typed at the end of `text` (without its "@", "" right after the "@"):
    what suggestions match; None when the text does not end in one. With `bare`, a text of one
    word without "@" is that word (a search, not a comment being typed)."""
    text = (text or "")[-200:]
    if found := PARTIAL.search(text):
        return found.group(1).lower()
    if bare and HANDLE_CHARS.fullmatch(text.strip()):
        return text.strip().lower()
    return None


def suggestions(writer: User, idea: Idea, prefix: str, limit: int = SUGGESTIONS_MAX) -> list[User]:
    """At most `limit` members `writer` may mention on `idea` whose handle or name begins with
    `prefix` (or has a word that does), any case: the list shown while typing."""
    prefix = prefix.strip().removeprefix("@").lower()
    statement = mention_candidates(writer, idea)
    if prefix:
        escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        statement = statement.where(or_(
            User.handle.like(f"{escaped}%", escape="\\"),
            func.lower(User.name).like(f"{escaped}%", escape="\\"),
            func.lower(User.name).like(f"% {escaped}%", escape="\\"),
        ))
    return list(db.session.execute(statement.order_by(User.handle).limit(max(0, limit))).scalars())


def notify_mentions(writer: User, idea: Idea, comment: Comment, images: tuple[str, ...] = ()) -> None:
    """Tell the members `comment` mentions (those the writer may mention) that it does: one
    notice each, replacing the notice of the comment itself they would have had as followers.
    Called by add_comment after it publishes the comment."""
    ids = mentioned_in(writer, idea, comment.body, internal=comment.internal)
    if ids:
        publish(Mentioned(writer, idea, comment, tuple(ids), images))
        _drop_other_notices(comment, ids)


def _drop_other_notices(comment: Comment, member_ids: list[int]) -> None:
    """Remove the mentioned members' not yet delivered notices of the same comment under another
    kind (a follower at "all activity" would otherwise be told twice)."""
    others = select(Event.id).where(Event.comment_id == comment.id, Event.kind != "mentioned")
    db.session.execute(
        delete(OutboxRow).where(OutboxRow.event_id.in_(others), OutboxRow.user_id.in_(member_ids),
                                OutboxRow.inapp_done.is_(False), OutboxRow.email_state == "pending"),
        execution_options={"synchronize_session": False})
