"""An idea's page and everything members do there: propose, edit, withdraw, vote, follow."""
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from flask import Blueprint, current_app, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import AnonymousUserMixin, current_user, login_required
from werkzeug.wrappers import Response
from wtforms import SelectChoice

from ..attachments import PER_POST, AttachmentRow, attachments_of, pending_uploads
from ..board import board_filter_of, boards_seen_by, tag_boards
from ..board_access import per_request
from ..boards import MAIN_SLUG, all_boards, board_chosen, main_board_name
from ..comments import (
    ThreadComment, can_delete_comment, can_edit_comment, hidden_stand_in, official_in, takes_comments,
    thread_of,
)
from ..database import commit_writes
from ..demand import demand_of
from ..errors import InvalidInput
from ..extensions import db, limiter
from ..following import follow_idea, set_follow_level, unfollow_idea
from ..merging import ideas_merged_into
from ..models import BOARD_SLUG_MAX, Comment, Idea, TimelineEntry, User
from ..proposals import (
    can_edit_idea, change_idea, check_may_change_idea, may_change_idea, propose_idea, withdraw_idea,
)
from ..statuses import history_of
from ..similar import similar_ideas
from ..tags import tags_for, tags_of
from ..vote_importance import back_idea, notes_on_idea, set_importance
from ..voting import Standing, standing, withdraw_vote
from ..visibility import is_staff, moderates
from .priority import priority_context
from .forms import (
    ActionForm, CommentForm, FollowLevelForm, Form, IdeaForm, MergeForm, MoveForm, ProposeForm, StatusForm,
    TagIdeaForm, VoteForCustomerForm, apply_domain_errors,
)
from .fragments import versions
from .plumbing import get_idea
from .responses import done, next_url, render_form, render_invalid, see_other, wants_fragment
from .vote_notes import ImportanceForm, importance_context

bp = Blueprint("ideas", __name__, url_prefix="/ideas")


def _idea_form(tag_boards_shown: frozenset[int] | None, form_class: type[IdeaForm] = IdeaForm,
               **kwargs: Any) -> IdeaForm:
    """The idea's form, offering the shared tags and those of `tag_boards_shown` (None: every tag)."""
    form = form_class(**kwargs)
    form.set_tag_choices(db.session.execute(tags_for(tag_boards_shown)).scalars())
    return form


def _propose_form() -> ProposeForm:
    """The form for a new idea, on the board its `board=` names (or the main board), offering the
    boards the member may see."""
    form = _idea_form(tag_boards(current_user), ProposeForm, title=request.args.get("title", "")[:200],
                      board=request.args.get("board", "")[:BOARD_SLUG_MAX])
    boards = boards_seen_by(current_user)
    assert isinstance(form, ProposeForm)
    others = [SelectChoice(board.slug, board.name) for board in boards]
    form.board.choices = [SelectChoice(MAIN_SLUG, main_board_name()), *others]
    return form


@bp.route("/new", methods=["GET", "POST"])
@login_required
@limiter.limit(lambda: current_app.config["RATELIMIT_PROPOSE"], methods=["POST"])
def new() -> ResponseReturnValue:
    """Propose an idea; similar ones appear while the title is typed."""
    form = _propose_form()
    if request.form.get("check"):
        # "Check for similar ideas": the no-JavaScript way to see them before posting.
        return render_template("ideas/new.html", form=form, checked=True,
                               uploads=pending_uploads(current_user),
                               similar=similar_ideas(form.title.data or "", current_user))
    if form.validate_on_submit():
        try:
            idea = propose_idea(current_user, form.title.data, form.description.data,
                                form.kind.data, form.tags.data, board=board_chosen(form.board.data or None),
                                attachment_ids=ticked_attachments())
        except InvalidInput as error:
            apply_domain_errors(form, error)
        else:
            return done(_("Thank you! Your idea is posted, and you will hear what becomes of it."),
                        url_for("ideas.show", idea_id=idea.id))
    similar = similar_ideas(form.title.data, current_user) if form.title.data else []
    return render_form("ideas/new.html", form=form, similar=similar, uploads=pending_uploads(current_user))


def ticked_attachments() -> list[int]:
    """The pending screenshots ticked on a post form (their checkboxes belong to it)."""
    return request.form.getlist("attachments", type=int)[:PER_POST + 1]


@bp.get("/similar")
def similar() -> str:
    """Up to five existing ideas like the title being typed."""
    title = request.args.get("title", "")[:200]
    ideas = similar_ideas(title, current_user) if title.strip() else []
    if wants_fragment("similar-ideas"):
        return render_template("ideas/_similar.html", similar=ideas, title=title)
    return render_template("ideas/similar.html", similar=ideas, title=title)


@bp.get("/<id:idea_id>")
def show(idea_id: int) -> str:
    """The idea, its votes, followers and discussion."""
    idea = get_idea(idea_id)
    return render_template("ideas/show.html", **idea_page_context(idea))


def _follow_context(idea: Idea, reader: Standing) -> dict[str, Any]:
    """The follow control's context, from the reader's `standing`."""
    level = reader.follow_level
    return dict(idea=idea, following=level is not None, follow_level=level, followers=reader.followers,
                level_form=FollowLevelForm(formdata=None, level=level) if level else None)


def idea_page_context(idea: Idea, comment_form: CommentForm | None = None,
                      importance_form: ImportanceForm | None = None, **staff_forms: Form) -> dict[str, Any]:
    """What the idea page and its fragments need; staff get their forms and the merge record."""
    comments = thread_of(idea, current_user)
    timeline = history_of(idea)
    staff = {}
    if is_staff(current_user):
        staff = dict(
            action_form=ActionForm(),
            status_form=staff_forms.get("status_form") or StatusForm(formdata=None, status=idea.status),
            merge_form=staff_forms.get("merge_form") or MergeForm(formdata=None),
            vote_for_form=staff_forms.get("vote_for_form") or VoteForCustomerForm(formdata=None),
            # Read only when the page shows the panel, not for a fragment (a comment posted).
            staff_panel=lambda: staff_panel_context(idea, staff_forms.get("impact_effort_form"),
                                                    staff_forms.get("move_form")),
        )
    elif moderates(current_user, idea):  # a moderator of the idea's board: hide, tag, merge
        staff = dict(action_form=ActionForm(),
                     merge_form=staff_forms.get("merge_form") or MergeForm(formdata=None),
                     tag_form=staff_forms.get("tag_form") or tag_form(idea))
    thread = discussion(comments, timeline)
    viewer = current_user._get_current_object()  # not the proxy: the key asks of it per comment
    reader = standing(viewer, idea)
    images = attachments_of(idea_ids=[idea.id], comment_ids=[comment.id for comment in comments])
    return dict(
        discussion=thread,
        discussion_key=discussion_key(viewer, thread, images.comments),
        official=official_in(comments),
        merged_here=ideas_merged_into(idea, timeline),
        voted=reader.voted,
        tags=tags_of([idea.id]).get(idea.id, ()),
        images=images.ideas.get(idea.id, []),
        uploads=pending_uploads(current_user) if current_user.is_authenticated else [],
        **_follow_context(idea, reader),
        comments=comments,
        # A fresh form is built only when the cached one is not there (comments/_section.html).
        comment_form=comment_form,
        new_comment_form=lambda: CommentForm(formdata=None),
        may_reply=current_user.is_authenticated and takes_comments(idea),
        can_edit=may_change_idea(current_user, idea),
        **comment_rights(images.comments),
        **importance_context(viewer, idea, importance_form, backed=reader.voted),
        **staff,
    )


def staff_panel_context(idea: Idea, impact_effort_form: Form | None = None,
                        refused_move: Form | None = None) -> dict[str, Any]:
    """What the staff panel shows besides its forms: backers' notes, demand, priority, and the
    boards the idea may move to (none on a site with one board)."""
    return dict(backer_notes=db.session.execute(notes_on_idea(idea.id)).all(), demand=demand_of(idea.id),
                move_form=move_form(idea, refused_move), **priority_context(idea, impact_effort_form))


def tag_form(idea: Idea, form: Form | None = None) -> Form:
    """The form putting tags on `idea` (a board moderator's, on the idea page): every tag, the
    idea's ticked."""
    form = form or TagIdeaForm(formdata=None, tags=[tag.id for tag in idea.tags])
    assert isinstance(form, TagIdeaForm)
    offered = tags_for(tag_boards(current_user, board_filter_of(idea)))
    form.set_tag_choices(db.session.execute(offered).scalars())
    return form


def move_form(idea: Idea, form: Form | None = None) -> Form | None:
    """The form moving `idea` to another board, on its board now; None with no other board."""
    boards = all_boards()
    if not boards:
        return None
    here = next((board.slug for board in boards if board.id == idea.board_id), MAIN_SLUG)
    form = form or MoveForm(formdata=None, board=here)
    assert isinstance(form, MoveForm)
    form.board.choices = [SelectChoice(MAIN_SLUG, main_board_name()),
                          *(SelectChoice(board.slug, board.name) for board in boards)]
    return form


def comment_rights(images: Mapping[int, Sequence[AttachmentRow]] | None = None) -> dict[str, Any]:
    """What comment templates ask of the signed-in member's rights, the comments' screenshots
    (`images`, by comment id), and the key of a rendered comment."""
    images = images or {}
    return dict(can_edit_comment=lambda c: can_edit_comment(current_user, c),
                can_delete_comment=lambda c: can_delete_comment(current_user, c),
                moderates_comment=lambda c: moderates_comments(current_user, c.idea_id),
                comment_key=lambda c: comment_key(current_user, c, images.get(c.id, ())),
                comment_images=images)


def moderates_comments(viewer: User | AnonymousUserMixin, idea_id: int) -> bool:
    """True when `viewer` may hide the idea's comments: staff, or a moderator of its board (asked
    once per request and idea: every comment's key asks it, twice)."""
    reader = viewer.id if viewer.is_authenticated else None
    return per_request(f"moderates:{reader}:{idea_id}",
                       lambda: moderates(viewer, db.session.get_one(Idea, idea_id)))


def comment_key(viewer: User | AnonymousUserMixin, comment: Comment | ThreadComment,
                images: Sequence[AttachmentRow] = ()) -> tuple:
    """A rendered comment's key for the fragment cache: the versions of the comment and its author
    (a thread's plain rows are their own key), its screenshots (plain rows), and what `viewer` may
    do to it (staff moderate; the author deletes, and edits for a while)."""
    may_delete = can_delete_comment(viewer, comment)
    return (versions(comment, comment.author), tuple(images), moderates_comments(viewer, comment.idea_id),
            may_delete, may_delete and can_edit_comment(viewer, comment))


def discussion_key(viewer: User | AnonymousUserMixin, thread: list[tuple[str, Any, tuple]],
                   images: Mapping[int, Sequence[AttachmentRow]]) -> tuple:
    """The whole thread's key: each comment's (`comment_key`) with its replies', and each timeline
    entry's and its actor's versions."""
    return (is_staff(viewer), *(
        (comment_key(viewer, item, images.get(item.id, ())),
         *(comment_key(viewer, reply, images.get(reply.id, ())) for reply in replies))
        if kind == "comment" else versions(item, item.actor) for kind, item, replies in thread))


def discussion(comments: Sequence[ThreadComment],
               timeline: Sequence[TimelineEntry]) -> list[tuple[str, Any, tuple[ThreadComment, ...]]]:
    """Comments and timeline entries in one thread, oldest first, like a parcel's tracking; each
    comment with its replies (oldest first). Replies to a comment the reader may not see (hidden
    by a moderator) stay readable under a stand-in that says so."""
    replies: dict[int, list[ThreadComment]] = {}
    comments_shown = []
    for comment in comments:
        if comment.parent_id is None:
            comments_shown.append(comment)
        else:
            replies.setdefault(comment.parent_id, []).append(comment)
    shown = {comment.id for comment in comments_shown}
    comments_shown += [hidden_stand_in(parent_id, under) for parent_id, under in replies.items()
                       if parent_id not in shown]
    items: list[tuple[str, datetime, int, ThreadComment | TimelineEntry, tuple[ThreadComment, ...]]]
    items = [("comment", c.created_at, c.id, c, tuple(replies.get(c.id, ()))) for c in comments_shown]
    items += [("event", e.created_at, e.id, e, ()) for e in timeline]
    items.sort(key=lambda row: (row[1], row[0], row[2]))
    return [(kind, item, under) for kind, _, _, item, under in items]


@bp.route("/<id:idea_id>/edit", methods=["GET", "POST"])
@login_required
def edit(idea_id: int) -> ResponseReturnValue:
    """The author corrects their idea while it is New, within an hour; staff clarify it any time."""
    idea = get_idea(idea_id)
    check_may_change_idea(current_user, idea)
    form = _idea_form(tag_boards(current_user, board_filter_of(idea)), title=idea.title,
                      description=idea.description, kind=idea.kind, tags=[tag.id for tag in idea.tags])
    if form.validate_on_submit():
        try:
            change_idea(current_user, idea, title=form.title.data, description=form.description.data,
                        kind=form.kind.data, tag_ids=form.tags.data or [],
                        attachment_ids=ticked_attachments())
        except InvalidInput as error:
            apply_domain_errors(form, error)
        else:
            return done(_("Your changes are saved."), url_for("ideas.show", idea_id=idea.id))
    # Screenshots are the author's to add (staff clarify the text only).
    uploads = pending_uploads(current_user) if can_edit_idea(current_user, idea) else None
    return render_form("ideas/edit.html", form=form, idea=idea, uploads=uploads,
                       images=attachments_of(idea_ids=[idea.id]).ideas.get(idea.id, []))


@bp.post("/<id:idea_id>/withdraw")
@login_required
def withdraw(idea_id: int) -> Response:
    """The author withdraws their idea: it leaves the board."""
    idea = get_idea(idea_id)
    withdraw_idea(current_user, idea)
    return done(_("Your idea was withdrawn."), url_for("board.index"), "info")


# Voting and withdrawing draw on one allowance.
vote_limit = limiter.shared_limit(lambda: current_app.config["RATELIMIT_VOTE"], scope="vote")


@bp.post("/<id:idea_id>/vote")
@login_required
@vote_limit
def vote(idea_id: int) -> ResponseReturnValue:
    """Back the idea, saying how much it matters if the member chose to; a second press changes
    nothing but what they said."""
    idea = get_idea(idea_id)
    form = ImportanceForm()
    if not form.validate():
        return _importance_refused(idea, form, f"idea-{idea.id}-vote")
    back_idea(current_user, idea, form.importance.data, form.private_note.data)
    commit_writes()
    return _after_vote(idea)


@bp.post("/<id:idea_id>/importance")
@login_required
@vote_limit
def importance(idea_id: int) -> ResponseReturnValue:
    """Change how much the backed idea matters and the private note: never a new vote."""
    idea = get_idea(idea_id)
    form = ImportanceForm()
    if not form.validate():
        return _importance_refused(idea, form, f"idea-{idea.id}-importance")
    set_importance(current_user, idea, form.importance.data, form.private_note.data)
    commit_writes()
    if wants_fragment(f"idea-{idea.id}-importance"):
        return render_template("ideas/_importance.html", idea=idea, saved=True,
                               **importance_context(current_user, idea))
    return done(_("Saved: the product team sees how much this matters to you."),
                next_url(url_for("ideas.show", idea_id=idea.id)))


def _importance_refused(idea: Idea, form: ImportanceForm, target: str) -> ResponseReturnValue:
    """422 with what was typed: the section alone for htmx (swapped out of band from the vote
    button), else the whole idea page."""
    if wants_fragment(target):
        return render_invalid("ideas/_importance_refused.html", target=target, **_vote_state(idea),
                              **importance_context(current_user, idea, form))
    return render_invalid("ideas/show.html", **idea_page_context(idea, importance_form=form))


@bp.post("/<id:idea_id>/unvote")
@login_required
@vote_limit
def unvote(idea_id: int) -> ResponseReturnValue:
    """Withdraw the backing."""
    return _change(idea_id, withdraw_vote, _after_vote)


def _change(idea_id: int, rule: Callable[[User, Idea], object],
            respond: Callable[[Idea], ResponseReturnValue]) -> ResponseReturnValue:
    """Load, apply a domain rule as the current member, commit, answer (the answer only reads)."""
    idea = get_idea(idea_id)
    rule(current_user, idea)
    commit_writes()
    return respond(idea)


def _vote_state(idea: Idea) -> dict[str, Any]:
    """The vote button's context after a change."""
    reader = standing(current_user, idea)
    return dict(backed=reader.voted, on_idea_page=request.form.get("on_idea_page") == "1",
                **_follow_context(idea, reader))


def _after_vote(idea: Idea) -> ResponseReturnValue:
    if wants_fragment(f"idea-{idea.id}-vote"):
        state = _vote_state(idea)
        section = {}
        if state["on_idea_page"]:  # the section below the button turns into its own form
            section = importance_context(current_user, idea, backed=state["backed"])
        return render_template("ideas/_vote_response.html", **state, **section)
    return see_other(next_url(url_for("ideas.show", idea_id=idea.id)))


@bp.post("/<id:idea_id>/follow")
@login_required
def follow(idea_id: int) -> ResponseReturnValue:
    """Follow the idea's news."""
    return _change(idea_id, follow_idea, _after_follow)


@bp.post("/<id:idea_id>/unfollow")
@login_required
def unfollow(idea_id: int) -> ResponseReturnValue:
    """Stop following; remembered, so voting or commenting later won't re-follow."""
    return _change(idea_id, unfollow_idea, _after_follow)


@bp.post("/<id:idea_id>/follow-level")
@login_required
def choose_follow_level(idea_id: int) -> ResponseReturnValue:
    """Hear of status changes only, or of all activity (comments too)."""
    form = FollowLevelForm()
    level = form.level.data if form.validate_on_submit() else ""  # no valid choice: the rule refuses it
    return _change(idea_id, lambda member, idea: set_follow_level(member, idea, level), _after_follow)


def _after_follow(idea: Idea) -> ResponseReturnValue:
    if wants_fragment(f"idea-{idea.id}-follow"):
        return render_template("ideas/_follow.html", **_follow_context(idea, standing(current_user, idea)))
    return see_other(next_url(url_for("ideas.show", idea_id=idea.id)))
