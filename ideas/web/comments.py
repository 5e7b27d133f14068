"""Discussion under an idea: post, edit for 15 minutes, delete."""
from collections.abc import Callable
from typing import Any

from flask import Blueprint, current_app, flash, make_response, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from ..attachments import attachments_of, pending_uploads
from ..comments import add_comment, can_edit_comment, delete_comment, edit_comment
from ..errors import InvalidInput, NotAllowed
from ..extensions import db, limiter
from ..models import Comment, Idea
from .forms import ActionForm, CommentForm, Form, ReplyForm, apply_domain_errors
from .ideas import comment_rights, idea_page_context, ticked_attachments
from .plumbing import get_comment, get_idea
from .preview import preview_of, wants_preview
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
    if wants_preview():  # without JavaScript: the page again, the text rendered above the form
        return render_template("ideas/show.html", **idea_page_context(idea, comment_form=form),
                               comment_preview=preview_of(form.body.data))
    if form.validate_on_submit():
        posted = _posted(form, idea, lambda: add_comment(
            current_user, idea, form.body.data, internal=form.visibility.data == "internal",
            official=form.visibility.data == "official", attachment_ids=ticked_attachments()))
        if posted is not None:
            return posted
    template = "comments/_section.html" if wants_fragment("comments") else "ideas/show.html"
    return render_invalid(template, **idea_page_context(idea, comment_form=form))


def _posted(form: Form, idea: Idea, post: Callable[[], Comment]) -> ResponseReturnValue | None:
    """Post a comment or reply with `post`: the refreshed discussion for htmx, the comment in its
    place otherwise; None when the rule refused it (the form then holds why)."""
    try:
        comment = post()
    except InvalidInput as error:
        apply_domain_errors(form, error)
        return None
    db.session.commit()
    if wants_fragment("comments"):
        return render_template("comments/_section.html", **idea_page_context(idea))
    return see_other(_comment_url(comment))


@bp.route("/comments/<id:comment_id>/reply", methods=["GET", "POST"])
@login_required
@limiter.limit(lambda: current_app.config["RATELIMIT_COMMENT"], methods=["POST"])
def reply(comment_id: int) -> ResponseReturnValue:
    """Reply under a comment: in place with htmx (the discussion comes back with the reply), or a
    page of its own without JavaScript. A refused reply comes back with what was typed."""
    comment = get_comment(comment_id)
    idea = get_idea(comment.idea_id)
    slot = f"reply-form-{comment.id}"
    form = ReplyForm(prefix=f"reply-{comment.id}")
    if wants_preview():
        return render_template("comments/reply.html", form=form, comment=comment, idea=idea,
                               uploads=pending_uploads(current_user),
                               reply_preview=preview_of(form.body.data), **_rights_on(comment),
                               action_form=ActionForm())
    if form.validate_on_submit():
        posted = _posted(form, idea, lambda: add_comment(current_user, idea, form.body.data, parent=comment,
                                                         attachment_ids=ticked_attachments()))
        if posted is not None:
            return posted
    context = dict(form=form, comment=comment, idea=idea, uploads=pending_uploads(current_user))
    if wants_fragment(slot):
        return render_form("comments/_reply_form.html", **context)
    if wants_fragment("comments"):  # refused: only the form goes back, into its own place
        response = make_response(render_invalid("comments/_reply_form.html", **context))
        response.headers.update({"HX-Retarget": f"#{slot}", "HX-Reswap": "innerHTML"})
        return response
    return render_form("comments/reply.html", **context, **_rights_on(comment), action_form=ActionForm())


def _rights_on(comment: Comment) -> dict[str, Any]:
    """comment_rights for a page or fragment that shows this one comment, with its screenshots."""
    return comment_rights(attachments_of(comment_ids=[comment.id]).comments)


def _comment_fragment(comment: Comment) -> str:
    return render_template(
        "comments/_comment.html",
        comment=comment,
        **_rights_on(comment),
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
