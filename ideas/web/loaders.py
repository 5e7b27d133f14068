"""One loader per object: 404 when it is missing or hidden from this person."""
from flask import abort
from flask_login import current_user

from ..extensions import db
from ..models import Comment, Idea


def get_idea(idea_id):
    """The idea, or 404. Withdrawn ideas exist only for staff."""
    idea = db.session.get(Idea, idea_id)
    if idea is None:
        abort(404)
    if idea.withdrawn_at is not None and not (current_user.is_authenticated and current_user.is_staff):
        abort(404)
    return idea


def get_comment(comment_id):
    """The comment, or 404 (also when its idea is gone for this person)."""
    comment = db.session.get(Comment, comment_id)
    if comment is None:
        abort(404)
    get_idea(comment.idea_id)
    return comment
