"""The changelog (public), the pages where staff write its entries, and announcements."""
import re
from collections.abc import Iterable, Sequence
from datetime import datetime

from flask import Blueprint, abort, flash, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _, lazy_gettext as _l, ngettext
from flask_login import current_user
from flask_wtf import FlaskForm
from markupsafe import Markup
from sqlalchemy import select
from wtforms import (
    BooleanField, DateField, Field, RadioField, SelectChoice, SelectField, StringField, TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from ..changelog import (
    ENTRY_BODY_MAX, LINKED_IDEAS_MAX, MESSAGE_MAX, announce, create_entry, draft_entries,
    publish_entry, published_entries, sent_announcements, shipped_in, update_entry,
)
from ..errors import InvalidInput
from ..extensions import db
from ..i18n import format_count, long_date
from ..models import ENTRY_TITLE_MAX, ChangelogEntry, Tag
from ..visibility import is_staff
from .forms import Form, _no_nul, _strip, apply_domain_errors
from .responses import render_form, see_other
from .plumbing import page_of, staff_required

bp = Blueprint("changelog", __name__)
# The idea page asks which entry shipped its idea.
bp.add_app_template_global(shipped_in)

ENTRIES_PER_PAGE = 20
ANNOUNCEMENTS_PER_PAGE = 50
IDEA_NUMBERS_MAX = 1_000  # characters: room for LINKED_IDEAS_MAX numbers and separators
IDEA_NUMBER = re.compile(r"#?(\d{1,12})")


@bp.app_template_filter("changelog_date")
def changelog_date(moment: datetime) -> Markup:
    """A <time> element with the day an entry appeared, e.g. 23 November 2026."""
    return Markup('<time datetime="{}">{}</time>').format(moment.date().isoformat(), long_date(moment))


# Forms. They live here rather than in forms.py because only these pages use them.

def _idea_number(text: str) -> int | None:
    """The id in "12" or "#12", or None when the text is something else."""
    match = IDEA_NUMBER.fullmatch(text)
    return int(match[1]) if match else None


class IdeaNumbersField(StringField):
    """Idea numbers typed as "12, 40": `data` keeps the text as typed, `numbers` the ids in order."""

    numbers: Sequence[int] = ()

    def pre_validate(self, form: FlaskForm) -> None:
        self.numbers = []
        for token in re.split(r"[\s,;]+", self.data or ""):
            if not token:
                continue
            number = _idea_number(token)
            if number is None:
                raise ValidationError(_("“%(token)s” is not an idea number: type numbers like 12, 40.",
                                        token=token[:20]))
            if number not in self.numbers:
                self.numbers.append(number)


class EntryForm(Form):
    title = StringField(_l("Title"), [DataRequired(_l("Give the entry a title.")),
                                      Length(max=ENTRY_TITLE_MAX), _no_nul], filters=[_strip])
    body = TextAreaField(_l("What changed"), [Optional(), Length(max=ENTRY_BODY_MAX), _no_nul],
                         filters=[_strip],
                         description=_l("Markdown works: **bold**, _italic_, lists and links."))
    ideas = IdeaNumbersField(_l("Ideas it delivers"), [Length(max=IDEA_NUMBERS_MAX)], filters=[_strip],
                             description=_l("Idea numbers separated by commas, e.g. 12, 40 (at most "
                                            "%(limit)s).",
                                            limit=LINKED_IDEAS_MAX))
    date = DateField(_l("Date"), [Optional()], format="%Y-%m-%d",
                     description=_l("Leave empty for today."))
    mark_shipped = BooleanField(_l("Mark the linked ideas shipped"), default=True,
                                description=_l("Their followers are told once, with a link to this entry."))


class AnnouncementForm(Form):
    target = RadioField(_l("Send to the followers of"), default="idea", choices=[
        SelectChoice("idea", _l("One idea")),
        SelectChoice("tag", _l("Every idea with a tag")),
    ])
    idea = StringField(_l("Idea number"), [Length(max=14)], filters=[_strip])
    tag = SelectField(_l("Tag"), validate_choice=False)
    message = TextAreaField(_l("Message"), [DataRequired(_l("Write the message first.")),
                                        Length(max=MESSAGE_MAX), _no_nul], filters=[_strip],
                            description=_l("Markdown works. Each follower is told once, even if they "
                                        "follow several of these ideas."))

    def set_tags(self, tags: Iterable[Tag]) -> None:
        self.tag.choices = [SelectChoice("", _l("Choose a tag"))] + [
            SelectChoice(tag.name, f"#{tag.name}") for tag in tags]

    def validate_idea(self, field: Field) -> None:
        if self.target.data == "idea" and _idea_number(field.data or "") is None:
            raise ValidationError(_("Type the idea's number, e.g. 12."))

    def validate_tag(self, field: Field) -> None:
        if self.target.data == "tag" and not field.data:
            raise ValidationError(_("Choose a tag from the list."))


# The public changelog.

def get_entry(entry_id: int) -> ChangelogEntry:
    """The entry, or 404 when it is missing or a draft and the reader is not staff."""
    entry = db.session.get(ChangelogEntry, entry_id)
    if entry is None or not (entry.is_published or is_staff(current_user)):
        abort(404)
    return entry


@bp.get("/changelog")
def index() -> str:
    """Published entries, newest first, each linking the ideas it delivers; staff see drafts too."""
    page = page_of(published_entries(), ENTRIES_PER_PAGE)
    drafts = db.session.execute(draft_entries()).scalars().all() if is_staff(current_user) else []
    return render_template("changelog/index.html", page=page, drafts=drafts)


@bp.get("/changelog/<id:entry_id>")
def show(entry_id: int) -> str:
    """One entry."""
    return render_template("changelog/show.html", entry=get_entry(entry_id))


# Staff write entries.

def _entry_link(entry: ChangelogEntry) -> str:
    return url_for("changelog.show", entry_id=entry.id)


def _published_message(entry: ChangelogEntry, shipped: bool) -> str:
    if not entry.ideas:
        return f"“{entry.title}” is published."
    told = ("Its ideas are marked shipped and their followers are told." if shipped
            else "The followers of its ideas are told.")
    return f"“{entry.title}” is published. {told}"


@bp.route("/changelog/new", methods=["GET", "POST"])
@staff_required
def new() -> ResponseReturnValue:
    """Write an entry: save it as a draft, or publish it (and ship its ideas) at once."""
    form = EntryForm()
    if form.validate_on_submit():
        publishing = request.form.get("action") == "publish"
        try:
            entry = create_entry(current_user, form.title.data, form.body.data, form.ideas.numbers)
            if publishing:
                publish_entry(current_user, entry, form.date.data, form.mark_shipped.data,
                              link=_entry_link(entry))
        except InvalidInput as error:
            db.session.rollback()
            apply_domain_errors(form, error)
        else:
            db.session.commit()
            flash(_published_message(entry, form.mark_shipped.data) if publishing
                  else f"“{entry.title}” is saved as a draft. Only staff see it.", "success")
            return see_other(url_for("changelog.show", entry_id=entry.id))
    return render_form("changelog/new.html", form=form)


@bp.route("/changelog/<id:entry_id>/edit", methods=["GET", "POST"])
@staff_required
def edit(entry_id: int) -> ResponseReturnValue:
    """Change an entry; a draft can be published from here."""
    entry = db.get_or_404(ChangelogEntry, entry_id)
    form = EntryForm(title=entry.title, body=entry.body,
                     ideas=", ".join(str(idea.id) for idea in entry.ideas),
                     date=entry.published_at.date() if entry.published_at is not None else None)
    if form.validate_on_submit():
        publishing = not entry.is_published and request.form.get("action") == "publish"
        try:
            update_entry(current_user, entry, form.title.data, form.body.data, form.ideas.numbers,
                         form.date.data, form.mark_shipped.data, link=_entry_link(entry))
            if publishing:
                publish_entry(current_user, entry, form.date.data, form.mark_shipped.data,
                              link=_entry_link(entry))
        except InvalidInput as error:
            db.session.rollback()
            apply_domain_errors(form, error)
        else:
            db.session.commit()
            flash(_published_message(entry, form.mark_shipped.data) if publishing
                  else "Your changes are saved.", "success")
            return see_other(url_for("changelog.show", entry_id=entry.id))
    return render_form("changelog/edit.html", form=form, entry=entry)


# Announcements.

def _announcement_form() -> AnnouncementForm:
    form = AnnouncementForm()
    form.set_tags(db.session.execute(select(Tag).order_by(Tag.name)).scalars())
    return form


@bp.get("/announcements")
@staff_required
def announcements() -> str:
    """The announcements sent, newest first, with how many members each reached."""
    page = page_of(sent_announcements(), ANNOUNCEMENTS_PER_PAGE)
    return render_template("changelog/announcements.html", page=page)


@bp.route("/announcements/new", methods=["GET", "POST"])
@staff_required
def new_announcement() -> ResponseReturnValue:
    """Write to the followers of one idea, or of every idea with a tag; each is told once."""
    form = _announcement_form()
    if form.validate_on_submit():
        tag = None
        if form.target.data == "tag":
            tag = db.session.execute(select(Tag).where(Tag.name == form.tag.data)).scalar()
        try:
            if form.target.data == "tag" and tag is None:
                raise InvalidInput(_("No such tag."), {"tag": _("Choose a tag from the list.")})
            sent = announce(current_user, form.message.data,
                            idea_id=_idea_number(form.idea.data) if tag is None else None, tag=tag)
        except InvalidInput as error:
            db.session.rollback()
            apply_domain_errors(form, error)
        else:
            db.session.commit()
            flash(ngettext("Announcement sent to %(count)s member.",
                           "Announcement sent to %(count)s members.",
                           sent.recipient_count, count=format_count(sent.recipient_count)), "success")
            return see_other(url_for("changelog.announcements"))
    return render_form("changelog/new_announcement.html", form=form)
