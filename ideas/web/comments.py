"""Discussion under an idea: post, edit for 15 minutes, delete."""
from flask import Blueprint, current_app, flash, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from ..comments import add_comment, can_edit_comment, delete_comment, edit_comment
from ..errors import InvalidInput, NotAllowed
from ..extensions import db, limiter
from ..models import Comment
from .forms import ActionForm, CommentForm, apply_domain_errors
from .ideas import comment_rights, idea_page_context
from .plumbing import get_comment, get_idea
from .responses import render_form, render_invalid, see_other, wants_fragment

bp = Blueprint("comments", __name__)


def _comment_url(comment: Comment) -> str:
    return url_for("ideas.show", idea_id=comment.idea_id, _anchor=f"comment-{comment.id}")


@bp.post("/ideas/<id:idea_id>/comments")
@login_required
@limiter.limit(lambda: current_app.config["RATELIMIT_COMMENT"])
def create(idea_id: int) -> ResponseReturnValue:
    """Post a comment; htmx gets the refreshed discussion, with a fresh form."""
    idea = get_idea(idea_id)
    form = CommentForm()
    if form.validate_on_submit():
        try:
            comment = add_comment(current_user, idea, form.body.data,
                                  internal=form.visibility.data == "internal",
                                  official=form.visibility.data == "official")
        except InvalidInput as error:
            apply_domain_errors(form, error)
        else:
            db.session.commit()
            if wants_fragment("comments"):
                return render_template("comments/_section.html", **idea_page_context(idea))
            return see_other(_comment_url(comment))
    template = "comments/_section.html" if wants_fragment("comments") else "ideas/show.html"
    return render_invalid(template, **idea_page_context(idea, comment_form=form))


def _comment_fragment(comment: Comment) -> str:
    return render_template(
        "comments/_comment.html",
        comment=comment,
        **comment_rights(),
        action_form=ActionForm(),
    )


@bp.route("/comments/<id:comment_id>/edit", methods=["GET", "POST"])
@login_required
def edit(comment_id: int) -> ResponseReturnValue:
    """The author corrects their comment within 15 minutes."""
    comment = get_comment(comment_id)
    target = f"comment-{comment.id}"
    if not can_edit_comment(current_user, comment):
        raise NotAllowed(_("Comments can be edited by their author for 15 minutes after posting."))
    form = CommentForm(body=comment.body, prefix="edit")
    if form.validate_on_submit():
        try:
            edit_comment(current_user, comment, form.body.data)
        except InvalidInput as error:
            apply_domain_errors(form, error)
        else:
            db.session.commit()
            if wants_fragment(target):
                return _comment_fragment(comment)
            return see_other(_comment_url(comment))
    template = "comments/_edit_form.html" if wants_fragment(target) else "comments/edit.html"
    context = dict(form=form, comment=comment)
    return render_form(template, **context)


@bp.post("/comments/<id:comment_id>/delete")
@login_required
def delete(comment_id: int) -> str | Response:
    """The author deletes their comment; the thread shows "comment deleted"."""
    comment = get_comment(comment_id)
    delete_comment(current_user, comment)
    db.session.commit()
    if wants_fragment(f"comment-{comment.id}"):
        return _comment_fragment(comment)
    flash(_("Your comment was deleted."), "info")
    return see_other(_comment_url(comment))


@bp.get("/comments/<id:comment_id>")
def show(comment_id: int) -> str | Response:
    """A single comment (htmx uses it to cancel an edit); browsers go to its place in the thread."""
    comment = get_comment(comment_id)
    if wants_fragment(f"comment-{comment.id}"):
        return _comment_fragment(comment)
    return see_other(_comment_url(comment))
