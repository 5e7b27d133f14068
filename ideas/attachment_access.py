"""Who may see a screenshot: whoever may see the post it is on, by the rules that already decide it.

A pending upload is its uploader's alone. An image on an idea follows the one visibility rule
(ideas/visibility.py: hidden, withdrawn, awaiting approval, boards and segments); on a comment it
also follows the comment's readers (ideas/comments.py: internal notes for staff, hidden comments
for staff and the board's moderators) and goes with a deleted comment. Kept apart from
ideas/attachments.py because the comments' rules may attach images themselves.
"""
from .comments import comments_on
from .extensions import db
from .models import Attachment, Comment, Idea
from .visibility import Viewer, can_see_idea


def can_see_attachment(viewer: Viewer, attachment: Attachment) -> bool:
    """True when `viewer` may fetch the image (else the page answers 404, as for the post)."""
    if attachment.idea_id is not None:
        idea = db.session.get(Idea, attachment.idea_id)
        return idea is not None and can_see_idea(viewer, idea)
    if attachment.comment_id is not None:
        comment = db.session.get(Comment, attachment.comment_id)
        if comment is None or comment.deleted_at is not None:
            return False
        idea = db.session.get(Idea, comment.idea_id)
        if idea is None or not can_see_idea(viewer, idea):
            return False
        return db.session.scalar(comments_on(idea, viewer).where(Comment.id == comment.id)) is not None
    return viewer.is_authenticated and viewer.id == attachment.uploader_id
