"""Announcements: their public list and pages, and the form where staff preview and send one."""
from collections.abc import Iterable
from datetime import date

from flask import Blueprint, abort, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _, lazy_gettext as _l, ngettext
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import select
from wtforms import DateField, Field, RadioField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from ..announcements import (
    MESSAGE_MAX, announce, can_see_announcement, choose_target, preview_announcement, public_announcements,
)
from ..errors import InvalidInput
from ..events.kinds import expected_day
from ..extensions import db
from ..i18n import KIND_NAMES, format_count
from ..models import Announcement, Tag
from ..models.types import INTEGER_MAX as ID_MAX
from .forms import Form, _no_nul, _strip, apply_domain_errors
from .plumbing import page_of, staff_required
from .responses import done, render_form

bp = Blueprint("announcements", __name__)

ANNOUNCEMENTS_PER_PAGE = 30


@bp.app_template_filter("expected_date")
def expected_date(day: date) -> Markup:
    """A <time> element with the day an announcement expects, e.g. 3 March 2027."""
    return Markup('<time datetime="{}">{}</time>').format(
        day.isoformat(), expected_day({"expected_on": day.isoformat()}))


class AnnouncementForm(Form):
    target = RadioField(_l("Send to the followers of"), default="idea", choices=[
        SelectChoice("idea", _l("One idea")),
        SelectChoice("tag", _l("Every idea with a tag")),
    ])
    idea = StringField(_l("Idea number"), [Length(max=14)], filters=[_strip])
    tag = SelectField(_l("Tag"), validate_choice=False)
    kind = SelectField(_l("Only ideas of the kind"), [Optional()], default="", choices=[
        SelectChoice("", _l("Any kind")),
        *(SelectChoice(value, label) for value, label in KIND_NAMES.items())],
        description=_l("For a tag: e.g. only the problems tagged #delivery."))
    message = TextAreaField(_l("Message"), [DataRequired(_l("Write the message first.")),
                                        Length(max=MESSAGE_MAX), _no_nul], filters=[_strip],
                            description=_l("Markdown works, and #12 links idea 12. Each follower is told "
                                        "once, even if they follow several of these ideas."))
    expected_on = DateField(_l("Expected on (optional)"), [Optional()], format="%Y-%m-%d",
                            description=_l("When you expect what the message promises, if you can say."))

    def set_tags(self, tags: Iterable[Tag]) -> None:
        self.tag.choices = [SelectChoice("", _l("Choose a tag"))] + [
            SelectChoice(tag.name, f"#{tag.name}") for tag in tags]

    @property
    def idea_id(self) -> int | None:
        """The number typed as "12" or "#12", or None when it is something else."""
        digits = (self.idea.data or "").removeprefix("#")
        return int(digits) if digits.isascii() and digits.isdigit() and len(digits) <= 12 else None

    @property
    def chosen_kind(self) -> str | None:
        """The kind the tag's ideas are narrowed to; None for any kind, and for one idea."""
        return (self.kind.data or None) if self.target.data == "tag" else None

    def validate_idea(self, field: Field) -> None:
        if self.target.data == "idea" and self.idea_id is None:
            raise ValidationError(_("Type the idea's number, e.g. 12."))

    def validate_tag(self, field: Field) -> None:
        if self.target.data == "tag" and not field.data:
            raise ValidationError(_("Choose a tag from the list."))


def get_announcement(announcement_id: int) -> Announcement:
    """The announcement, or 404 when it is missing or about an idea this person may not see."""
    announcement = db.session.get(Announcement, announcement_id) if announcement_id <= ID_MAX else None
    if announcement is None or not can_see_announcement(current_user, announcement):
        abort(404)
    return announcement


@bp.get("/announcements")
def index() -> str:
    """What the team announced, newest first, that this reader may see; staff see how many each reached."""
    page = page_of(public_announcements(current_user), ANNOUNCEMENTS_PER_PAGE)
    return render_template("announcements/index.html", page=page)


@bp.get("/announcements/<id:announcement_id>")
def show(announcement_id: int) -> str:
    """One announcement, where its email and notification lead."""
    return render_template("announcements/show.html", announcement=get_announcement(announcement_id))


def _chosen_tag(form: AnnouncementForm) -> Tag | None:
    """The tag the form names; InvalidInput when it names one that does not exist."""
    if form.target.data != "tag":
        return None
    tag = db.session.execute(select(Tag).where(Tag.name == form.tag.data)).scalar()
    if tag is None:
        raise InvalidInput(_("No such tag."), {"tag": _("Choose a tag from the list.")})
    return tag


def _send(form: AnnouncementForm) -> ResponseReturnValue | None:
    """Send what the form holds and answer 303 to its page; None when it was refused (errors on the form)."""
    try:
        tag = _chosen_tag(form)
        sent = announce(current_user, form.message.data, idea_id=None if tag else form.idea_id, tag=tag,
                        kind=form.chosen_kind, expected_on=form.expected_on.data)
    except InvalidInput as error:
        db.session.rollback()
        apply_domain_errors(form, error)
        return None
    return done(ngettext("Announcement sent to %(count)s member.", "Announcement sent to %(count)s members.",
                         sent.recipient_count, count=format_count(sent.recipient_count)),
                url_for("announcements.show", announcement_id=sent.id))


def _preview(form: AnnouncementForm) -> ResponseReturnValue | None:
    """The form again with the message as it will read and whom it reaches; None when refused."""
    try:
        tag = _chosen_tag(form)
        target = choose_target(None if tag else form.idea_id, tag, form.chosen_kind)
        preview = preview_announcement(current_user, form.message.data, target, form.expected_on.data)
    except InvalidInput as error:
        apply_domain_errors(form, error)
        return None
    return render_template("announcements/new.html", form=form, preview=preview, target=target)


@bp.route("/announcements/new", methods=["GET", "POST"])
@staff_required
def new() -> ResponseReturnValue:
    """Write to the followers of one idea, or of a tag's ideas (of one kind); preview, then send."""
    form = AnnouncementForm()
    form.set_tags(db.session.execute(select(Tag).order_by(Tag.name)).scalars())
    if form.validate_on_submit():
        answer = _preview(form) if request.form.get("action") == "preview" else _send(form)
        if answer is not None:
            return answer
    return render_form("announcements/new.html", form=form, preview=None)
