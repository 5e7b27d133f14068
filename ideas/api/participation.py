"""What members do to ideas: vote (staff also for a customer), follow, comment."""
from flask import Response, current_app, jsonify, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..accounts import EMAIL_MAX
from ..comments import add_comment, comments_on, may_read
from ..database import commit_writes
from ..extensions import db, limiter
from ..following import (
    FOLLOW_LEVELS, follow_idea, follow_level, follower_count, set_follow_level, unfollow_idea,
)
from ..errors import InvalidInput
from ..models import COMMENT_MAX, IMPORTANCES, VOTE_NOTE_MAX, Comment, Idea, User
from ..models.types import INTEGER_MAX as ID_MAX
from ..team import vote_for_customer
from ..vote_importance import importance_of, notes_on_idea, set_importance
from ..voting import cast_vote, withdraw_vote
from ..web.plumbing import get_idea as load_idea
from .fields import Body, Choice, Email, Integer, Query, Text
from .paging import PAGE_FIELDS, page_of
from .responses import created
from .serializers import backer_note_json, comment_json
from .spec import operation

NO_IMPORTANCE = "none"
VOTE = Body({
    "email": Email(EMAIL_MAX, "Staff only: record the vote of the customer with this address "
                              "(an account without a password is made if needed)."),
    "importance": Choice((*IMPORTANCES, NO_IMPORTANCE),
                         "How much the idea matters to the voter (`none`: not saying). Sent again, it "
                         "changes what was said without a second vote."),
    "note": Text(VOTE_NOTE_MAX, "Why the voter needs this: read by the product team only."),
})
FOLLOW = Body({"level": Choice(FOLLOW_LEVELS, "What to hear of: status changes only, or all activity.")})
NEW_COMMENT = Body({
    "body": Text(COMMENT_MAX, "Markdown.", required=True, example="Me too: we lose an hour a week to this."),
    "visibility": Choice(("public", "official", "internal"),
                         "Staff may post an official response or an internal note (staff only)."),
    "parent_id": Integer(1, ID_MAX, "Reply to this comment of the idea (one level: a reply to a reply "
                                    "goes under the same comment). A reply to an internal note is one too."),
})
COMMENTS_QUERY = Query(**PAGE_FIELDS)

# Voting and withdrawing draw on one allowance, shared with the pages' vote buttons.
vote_limit = limiter.shared_limit(lambda: current_app.config["RATELIMIT_VOTE"], scope="vote")


def _vote_json(idea: Idea, member: User, changed: bool) -> Response:
    """The vote of `member` (the asker, or the customer staff recorded): what they said with it too."""
    importance, note = importance_of(member, idea) or (None, None)
    return jsonify(idea_id=idea.id, member_id=member.id, voted=note is not None, changed=changed,
                   vote_count=idea.vote_count, importance=importance, note=note)


def _vote_as_asker(idea: Idea, data: dict) -> bool:
    """Back the idea as the asker; a given importance or note changes what they said (keeping
    what the request leaves out), never adding a second vote."""
    changed = cast_vote(current_user, idea)
    if "importance" in data or "note" in data:
        importance, note = importance_of(current_user, idea) or (None, "")
        importance = data.get("importance", importance)
        set_importance(current_user, idea, None if importance == NO_IMPORTANCE else importance,
                       data.get("note", note))
    return changed


@operation("PUT", "/ideas/<id:idea_id>/vote", summary="Back an idea", group="Votes", access="member",
           body=VOTE, response="Vote", errors=(403, 409),
           description="Backing twice changes nothing but the importance and note sent with it. The "
                       "member follows the idea (unless they unfollowed it). Closed ideas (shipped, "
                       "declined, merged) answer 409. The answer holds the voter's own importance and "
                       "note; nobody but the voter and staff reads the note.")
@vote_limit
def vote(idea_id: int) -> Response:
    """Back the idea, as the asking member or, for staff, as a customer by email."""
    idea = load_idea(idea_id)
    data = VOTE.parse()
    if "email" in data:
        member, changed = vote_for_customer(current_user, idea, data["email"])
    else:
        member, changed = current_user, _vote_as_asker(idea, data)
    commit_writes()
    return _vote_json(idea, member, changed)


@operation("GET", "/ideas/<id:idea_id>/notes", summary="Read backers' importance and notes", group="Votes",
           access="staff", response="BackerNoteList",
           description="Every backer who said how much the idea matters or left a private note, most "
                       "critical first. Staff keys only: members never read each other's notes.")
def backer_notes(idea_id: int) -> Response:
    """What the idea's backers told the product team."""
    idea = load_idea(idea_id)
    rows = db.session.execute(notes_on_idea(idea.id)).all()
    return jsonify(notes=[backer_note_json(vote, member) for vote, member in rows])


@operation("DELETE", "/ideas/<id:idea_id>/vote", summary="Withdraw a vote", group="Votes",
           access="member", response="Vote", errors=(409,))
@vote_limit
def unvote(idea_id: int) -> Response:
    """Take back the asking member's vote."""
    idea = load_idea(idea_id)
    changed = withdraw_vote(current_user, idea)
    commit_writes()
    return _vote_json(idea, current_user, changed)


def _follow_json(idea: Idea) -> Response:
    level = follow_level(current_user, idea)
    return jsonify(idea_id=idea.id, following=level is not None, level=level,
                   follower_count=follower_count(idea))


@operation("PUT", "/ideas/<id:idea_id>/follow", summary="Follow an idea", group="Following",
           access="member", body=FOLLOW, response="Follow")
def follow(idea_id: int) -> Response:
    """Follow the idea's news, optionally choosing what to hear of."""
    idea = load_idea(idea_id)
    data = FOLLOW.parse()
    if "level" in data:
        set_follow_level(current_user, idea, data["level"])
    else:
        follow_idea(current_user, idea)
    commit_writes()
    return _follow_json(idea)


@operation("DELETE", "/ideas/<id:idea_id>/follow", summary="Unfollow an idea", group="Following",
           access="member", response="Follow",
           description="Remembered: voting or commenting later does not follow the idea again.")
def unfollow(idea_id: int) -> Response:
    """Stop following the idea."""
    idea = load_idea(idea_id)
    unfollow_idea(current_user, idea)
    commit_writes()
    return _follow_json(idea)


@operation("GET", "/ideas/<id:idea_id>/comments", summary="Read the comments", group="Comments",
           query=COMMENTS_QUERY, response="CommentList",
           description="Oldest first. Internal notes and hidden comments are listed for staff only.")
def list_comments(idea_id: int) -> Response:
    """The idea's comments this member may see."""
    idea = load_idea(idea_id)
    comments, next_url = page_of(comments_on(idea, current_user), COMMENTS_QUERY.parse())
    return jsonify(comments=[comment_json(comment) for comment in comments], next=next_url)


@operation("POST", "/ideas/<id:idea_id>/comments", summary="Comment on an idea", group="Comments",
           access="member", body=NEW_COMMENT, response="Comment", status=201, errors=(403,),
           headers={"Location": "The idea's comments."},
           description="The commenter follows the idea. Rate limited like the page.")
@limiter.limit(lambda: current_app.config["RATELIMIT_COMMENT"])
def create_comment(idea_id: int) -> Response:
    """Post a comment, an official response or an internal note."""
    idea = load_idea(idea_id)
    data = NEW_COMMENT.parse()
    visibility = data.get("visibility", "public")
    parent = None
    if "parent_id" in data:
        parent = db.session.get(Comment, data["parent_id"])
        if parent is None or parent.idea_id != idea.id or not may_read(current_user, idea, parent):
            raise InvalidInput(_("Reply to a comment of this discussion."),
                               {"parent_id": _("No such comment on this idea.")})
    comment = add_comment(current_user, idea, data["body"], internal=visibility == "internal",
                          official=visibility == "official", parent=parent)
    db.session.commit()
    return created(comment_json(comment), url_for("api.list_comments", idea_id=idea.id, _external=True))
