"""What the product team does on an idea's page: status, merge, moderation, votes for customers,
impact and effort, the board it is on."""
from collections.abc import Callable

from flask import Blueprint, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from ..boards import board_chosen, board_name, move_idea
from .. import audit
from ..board import all_tags
from ..errors import InvalidInput, NotAllowed
from ..extensions import db
from ..merging import merge_ideas, undo_merge
from ..models import Comment, Idea, User
from ..priority import set_impact_effort
from ..moderation import hide_comment, hide_idea, unhide_comment, unhide_idea
from ..status_list import STATUS_NAMES
from ..statuses import change_status
from ..tags import add_tag, remove_tag
from ..visibility import can_see_idea
from ..team import vote_for_customer
from .forms import (
    Form, MergeForm, MoveForm, StatusForm, TagIdeaForm, VoteForCustomerForm, apply_domain_errors,
)
from .ideas import idea_page_context, tag_form
from .priority import ImpactEffortForm
from .plumbing import get_comment, get_idea, moderator_required, staff_required
from .responses import done, see_other

bp = Blueprint("idea_staff", __name__, url_prefix="/ideas")


def _idea_page(idea: Idea, anchor: str | None = None) -> str:
    """Where a staff action on the idea leads back to: its page (at `anchor`)."""
    return url_for("ideas.show", idea_id=idea.id, _anchor=anchor)


def _reshow(idea: Idea, **forms: Form) -> tuple[str, int]:
    """The idea page again, with a refused staff form showing what was typed: 422."""
    return render_template("ideas/show.html", **idea_page_context(idea, **forms)), 422


@bp.post("/<id:idea_id>/status")
@staff_required
def status(idea_id: int) -> ResponseReturnValue:
    """Move the idea to another status with a public note (the reason, when declining)."""
    idea = get_idea(idea_id)
    form = StatusForm()
    if form.validate_on_submit():
        try:
            change_status(current_user, idea, form.status.data, form.note.data)
        except InvalidInput as error:
            apply_domain_errors(form, error)
        else:
            return done(_("Status changed to %(status)s.", status=STATUS_NAMES[idea.status]),
                        _idea_page(idea, "timeline-end"))
    return _reshow(idea, status_form=form)


@bp.post("/<id:idea_id>/merge")
@moderator_required
def merge(idea_id: int) -> ResponseReturnValue:
    """Merge this idea into another: its votes and followers move there."""
    idea = get_idea(idea_id)
    audit.require_moderator(current_user, idea)  # 403 before any form: not this member's idea
    form = MergeForm()
    if form.validate_on_submit():
        target = db.session.get(Idea, form.into.data)
        try:
            if target is None or not can_see_idea(current_user, target):
                raise InvalidInput(_("No such idea."), {"into": _("There is no idea #%(number)s.",
                                                                  number=form.into.data)})
            merge_ideas(current_user, idea, target)
        except InvalidInput as error:
            apply_domain_errors(form, error)
        except NotAllowed as error:  # a moderator merging into another board's idea
            form.into.errors = [error.message]
        else:
            return done(_("Merged into #%(id)s. You can undo this from this page.", id=target.id),
                        _idea_page(idea))
    return _reshow(idea, merge_form=form)


@bp.post("/<id:idea_id>/unmerge")
@moderator_required
def unmerge(idea_id: int) -> Response:
    """Undo the merge: votes and followers go back where nothing changed since."""
    idea = get_idea(idea_id)
    undo_merge(current_user, idea)
    return done(_("The merge is undone."), _idea_page(idea))


@bp.post("/<id:idea_id>/vote-for")
@staff_required
def vote_for(idea_id: int) -> ResponseReturnValue:
    """Record a customer's vote by email (from a call, a chat, a sales meeting)."""
    idea = get_idea(idea_id)
    form = VoteForCustomerForm()
    if form.validate_on_submit():
        try:
            customer, added = vote_for_customer(current_user, idea, form.email.data)
        except InvalidInput as error:
            apply_domain_errors(form, error)
        else:
            return done(_("Vote recorded for %(email)s.", email=customer.email) if added
                        else _("%(email)s already backs this idea.", email=customer.email),
                        _idea_page(idea))
    return _reshow(idea, vote_for_form=form)


@bp.post("/<id:idea_id>/board")
@staff_required
def move(idea_id: int) -> ResponseReturnValue:
    """Move the idea to another board: its access holds at once, followers keep following."""
    idea = get_idea(idea_id)
    form = MoveForm()
    if form.validate_on_submit():
        try:
            board = board_chosen(form.board.data or "")
        except InvalidInput as error:
            apply_domain_errors(form, error)
        else:
            name = board_name(board)
            if move_idea(current_user, idea, board):
                return done(_("Moved to the board “%(name)s”.", name=name), _idea_page(idea))
            return done(_("The idea is on the board “%(name)s” already.", name=name), _idea_page(idea))
    return _reshow(idea, move_form=form)


@bp.post("/<id:idea_id>/tags")
@moderator_required
def tags(idea_id: int) -> ResponseReturnValue:
    """Put exactly the ticked tags on the idea (a board moderator's form)."""
    idea = get_idea(idea_id)
    audit.require_moderator(current_user, idea)
    form = tag_form(idea, TagIdeaForm())
    if form.validate_on_submit():  # the choices: the shared tags and the idea's board's
        wanted = {tag.id: tag for tag in db.session.execute(all_tags()).scalars() if tag.id in form.tags.data}
        for tag in list(idea.tags):
            if tag.id not in wanted:
                remove_tag(current_user, idea, tag)
        for tag in wanted.values():
            add_tag(current_user, idea, tag)
        return done(_("The tags are saved."), _idea_page(idea))
    return _reshow(idea, tag_form=form)


@bp.post("/<id:idea_id>/hide")
@moderator_required
def hide(idea_id: int) -> Response:
    """Hide the idea from everyone but staff."""
    return _moderate_idea(idea_id, hide_idea, _("Hidden: only staff see this idea now."))


@bp.post("/<id:idea_id>/unhide")
@moderator_required
def unhide(idea_id: int) -> Response:
    """Show a hidden idea again."""
    return _moderate_idea(idea_id, unhide_idea, _("Visible to everyone again."))


def _moderate_idea(idea_id: int, rule: Callable[[User, Idea], object], message: str) -> Response:
    idea = get_idea(idea_id)
    rule(current_user, idea)
    return done(message, _idea_page(idea))


@bp.post("/comments/<id:comment_id>/hide")
@moderator_required
def hide_a_comment(comment_id: int) -> Response:
    """Hide a comment from everyone but staff."""
    return _moderate_comment(comment_id, hide_comment)


@bp.post("/comments/<id:comment_id>/unhide")
@moderator_required
def unhide_a_comment(comment_id: int) -> Response:
    """Show a hidden comment again."""
    return _moderate_comment(comment_id, unhide_comment)


def _moderate_comment(comment_id: int, rule: Callable[[User, Comment], object]) -> Response:
    comment = get_comment(comment_id)
    rule(current_user, comment)
    db.session.commit()
    return see_other(url_for("ideas.show", idea_id=comment.idea_id, _anchor=f"comment-{comment.id}"))


@bp.post("/<id:idea_id>/priority")
@staff_required
def impact_effort(idea_id: int) -> ResponseReturnValue:
    """Set the idea's impact and effort; its score is recomputed by the worker."""
    idea = get_idea(idea_id)
    form = ImpactEffortForm()
    if form.validate_on_submit():
        try:
            changed = set_impact_effort(current_user, idea, form.impact.data, form.effort.data)
        except InvalidInput as error:
            apply_domain_errors(form, error)
        else:
            message = _("Impact and effort saved; the priority is recomputed in a moment.") if changed \
                else _("Impact and effort are unchanged.")
            return done(message, url_for("ideas.show", idea_id=idea.id, _anchor="priority"))
    return _reshow(idea, impact_effort_form=form)
