"""One loader per object: 404 when it is missing or hidden from this person."""
from flask import abort
from flask_login import current_user

from ..extensions import db
from ..models import Comment, Idea
from ..models.types import INTEGER_MAX as MAX_ID
from ..visibility import can_see_idea, is_staff


def get_idea(idea_id):
    """The idea, or 404 when it is missing or hidden from this person."""
    idea = db.session.get(Idea, idea_id) if idea_id <= MAX_ID else None
    if idea is None or not can_see_idea(current_user, idea):
        abort(404)
    return idea


def get_comment(comment_id):
    """The comment, or 404 (also when it or its idea is hidden from this person)."""
    comment = db.session.get(Comment, comment_id) if comment_id <= MAX_ID else None
    if comment is None:
        abort(404)
    get_idea(comment.idea_id)
    if (comment.internal or comment.hidden_at is not None) and not is_staff(current_user):
        abort(404)
    return comment
