"""Pages for the product team: members and their history, roles, suspension, tags, settings,
the audit log. Every view checks the role on the server; the rules live in the domain modules."""
import json
from collections.abc import Callable, Sequence

from flask import Blueprint, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import Row, func, or_, select
from werkzeug.wrappers import Response
from wtforms import BooleanField, SelectChoice, SelectField, StringField

from .. import audit
from ..boards import all_boards
from ..companies import membership_of
from ..customer_view import (
    FOLLOW_LEVEL_NAMES, FOLLOW_REASONS, customer_counts, follows_of, no_email_reason, told_to,
)
from ..errors import InvalidInput
from ..extensions import db
from ..models import Tag, User, idea_tags
from ..moderation import suspend_member, unsuspend_member
from ..notifications import payload_of, summary
from ..site_rules import SITE_RULES, site_rules, update_site_rules
from ..i18n import COLOUR_NAMES
from ..tags import TAG_COLOURS, TAG_NAME_MAX, create_tag, update_tag
from ..team import customer_history, set_role
from .forms import Form, SiteSettingsForm, apply_domain_errors
from .notifications import link_of
from .plumbing import admin_required, page_of, staff_required
from .responses import done, next_url, render_form

bp = Blueprint("staff", __name__)

MEMBERS_PER_PAGE = 50
HISTORY_PER_PAGE = 50
AUDIT_PER_PAGE = 50
SEARCH_MAX = 254


# Forms. They live here rather than in forms.py because only these pages use them.

class AdminSettingsForm(SiteSettingsForm):
    approve_first_idea = BooleanField(_l("Hold a new member's first idea for approval"))
    allow_private_webhooks = BooleanField(_l("Allow webhooks to private addresses"))


class TagForm(Form):
    # The domain (ideas.tags) names every problem; the form only carries the values.
    name = StringField(_l("Name"), render_kw={"maxlength": TAG_NAME_MAX})
    colour = SelectField(_l("Colour"), choices=[SelectChoice(colour, COLOUR_NAMES[colour])
                                            for colour in TAG_COLOURS],
                         default="grey", validate_choice=False)
    # "" for a tag every board shares, else the id of the one board it belongs to.
    board = SelectField(_l("Board"), choices=[], default="", validate_choice=False,
                        description=_l("A board's own tag is offered only on that board."))

    def board_id(self) -> int | None:
        """The chosen board's id (None: shared); an id of no board is refused by the rule."""
        return int(self.board.data) if (self.board.data or "").isdigit() else None


# Members, roles and suspension.

@bp.get("/staff/members")
@staff_required
def members() -> str:
    """Members with role, confirmation and suspension; unconfirmed first; searchable."""
    unconfirmed_only = request.args.get("unconfirmed") == "1"
    query = request.args.get("q", "").replace("\x00", "").strip()[:SEARCH_MAX]
    statement = select(User).order_by(User.email_confirmed_at.is_not(None),
                                      User.created_at.desc(), User.id.desc())
    if unconfirmed_only:
        statement = statement.where(User.email_confirmed_at.is_(None))
    if query:
        needle = query.lower()
        statement = statement.where(or_(func.lower(User.name).contains(needle, autoescape=True),
                                        func.lower(User.email).contains(needle, autoescape=True)))
    page = page_of(statement, MEMBERS_PER_PAGE)
    return render_template("staff/members.html", page=page, unconfirmed_only=unconfirmed_only,
                           query=query)


@bp.get("/staff/members/<id:member_id>")
@staff_required
def member(member_id: int) -> str:
    """One customer's whole history: their company, ideas, votes with importance and notes,
    comments, follows, and what the team told them (notifications and emails)."""
    person = db.get_or_404(User, member_id)
    ideas, votes, comments = customer_history(person)
    return render_template(
        "staff/member.html",
        person=person,
        membership=membership_of(person),
        ideas=page_of(ideas, HISTORY_PER_PAGE, "ideas_page"),
        votes=page_of(votes, HISTORY_PER_PAGE, "votes_page", scalars=False),
        comments=page_of(comments, HISTORY_PER_PAGE, "comments_page", scalars=False),
        follows=page_of(follows_of(person), HISTORY_PER_PAGE, "follows_page", scalars=False),
        told=page_of(told_to(person), HISTORY_PER_PAGE, "told_page", scalars=False),
        counts=customer_counts(person),
        FOLLOW_REASONS=FOLLOW_REASONS, FOLLOW_LEVEL_NAMES=FOLLOW_LEVEL_NAMES,
        no_email_reason=no_email_reason, payload_of=payload_of, summary=summary, link_of=link_of,
    )


@bp.post("/admin/members/<id:member_id>/role")
@admin_required
def change_role(member_id: int) -> Response:
    """Grant or revoke the staff role."""
    person = db.get_or_404(User, member_id)
    role = request.form.get("role", "")
    set_role(current_user, person, role)
    return done(_("%(name)s is now staff.", name=person.name) if role == "staff"
                else _("%(name)s is now a member.", name=person.name),
                next_url(url_for("staff.members")))


@bp.post("/staff/members/<id:member_id>/suspend")
@staff_required
def suspend(member_id: int) -> Response:
    """Suspend a member: they cannot sign in; their past content stays."""
    return _change_member(member_id, suspend_member, lambda person: _(
        "%(name)s is suspended and can no longer sign in.", name=person.name))


@bp.post("/staff/members/<id:member_id>/unsuspend")
@staff_required
def unsuspend(member_id: int) -> Response:
    """Lift a suspension."""
    return _change_member(member_id, unsuspend_member, lambda person: _(
        "%(name)s may sign in again.", name=person.name))


def _change_member(member_id: int, change: Callable[[User, User], None],
                   said: Callable[[User], str]) -> Response:
    """Make `change` to the member as the signed-in staff member, then go back to their page (or
    `next`), saying what `said` says of them."""
    person = db.get_or_404(User, member_id)
    change(current_user, person)
    return done(said(person), next_url(url_for("staff.member", member_id=person.id)))


# Tags.

def _tags_with_use() -> Sequence[Row[Tag, int]]:
    """(tag, number of ideas carrying it), by name."""
    return db.session.execute(
        select(Tag, func.count(idea_tags.c.idea_id))
        .outerjoin(idea_tags, idea_tags.c.tag_id == Tag.id)
        .group_by(Tag.id).order_by(Tag.name)
    ).all()


def _render_tags(new_form: TagForm | None = None, failed_tag_id: int | None = None,
                 failed_form: TagForm | None = None) -> str | tuple[str, int]:
    """The tags page; a refused form is shown with what was typed and the problem named."""
    boards = all_boards()
    choices = [SelectChoice("", _("Every board")),
               *(SelectChoice(str(board.id), board.name) for board in boards)]
    rows = []
    for tag, uses in _tags_with_use():
        if tag.id == failed_tag_id and failed_form is not None:
            form = failed_form
        else:
            form = TagForm(formdata=None, obj=tag, prefix=f"tag-{tag.id}", board=str(tag.board_id or ""))
        form.board.choices = choices
        rows.append((tag, uses, form))
    new_form = new_form or TagForm(formdata=None)
    new_form.board.choices = choices
    return render_form("staff/tags.html", rows=rows, new_form=new_form, name_max=TAG_NAME_MAX,
                       has_boards=bool(boards), board_names={board.id: board.name for board in boards})


@bp.route("/admin/tags", methods=["GET", "POST"])
@admin_required
def tags() -> ResponseReturnValue:
    """Every tag with a form to rename or recolour it, and a form for a new one."""
    if request.method == "GET":
        return _render_tags()
    form = TagForm()
    if form.validate_on_submit():
        try:
            tag = create_tag(current_user, form.name.data, form.colour.data, form.board_id())
        except InvalidInput as error:
            db.session.rollback()
            apply_domain_errors(form, error)
        else:
            return done(_("Tag “%(name)s” created.", name=tag.name), url_for("staff.tags"))
    return _render_tags(new_form=form)


@bp.post("/admin/tags/<id:tag_id>")
@admin_required
def edit_tag(tag_id: int) -> ResponseReturnValue:
    """Rename or recolour one tag."""
    tag = db.get_or_404(Tag, tag_id)
    form = TagForm(prefix=f"tag-{tag.id}")
    if form.validate_on_submit():
        try:
            update_tag(current_user, tag, form.name.data, form.colour.data, form.board_id())
        except InvalidInput as error:
            db.session.rollback()
            apply_domain_errors(form, error)
        else:
            return done(_("Tag “%(name)s” saved.", name=tag.name), url_for("staff.tags"))
    return _render_tags(failed_tag_id=tag_id, failed_form=form)


# Site settings and the audit log.

@bp.route("/admin/settings", methods=["GET", "POST"])
@admin_required
def site_settings() -> ResponseReturnValue:
    """Site-wide rules admins choose; each change is kept in the audit log."""
    form = AdminSettingsForm()
    if request.method == "GET":
        for key, on in site_rules().items():
            form[key].data = on
    if form.validate_on_submit():
        update_site_rules(current_user, {key: form[key].data for key in SITE_RULES})
        return done(_("Settings saved."), url_for("staff.site_settings"))
    return render_form("staff/settings.html", form=form)


def compact_json(text: str) -> str:
    """An entry's stored JSON on one line, or an em dash when it is empty."""
    try:
        value = json.loads(text or "{}")
    except ValueError:
        return text
    if value in ({}, [], None):
        return "—"
    return json.dumps(value, ensure_ascii=False, separators=(", ", ": "), sort_keys=True)


@bp.get("/admin/audit")
@admin_required
def audit_log() -> str:
    """Every staff action, newest first: who, what, when, before and after."""
    page = page_of(audit.audit_entries(), AUDIT_PER_PAGE)
    return render_template("staff/audit.html", page=page, compact_json=compact_json)
