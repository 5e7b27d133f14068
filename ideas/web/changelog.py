"""The changelog (public) and the pages where staff write its entries."""
import re
from collections.abc import Sequence
from datetime import datetime

from flask import Blueprint, abort, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from markupsafe import Markup
from wtforms import BooleanField, DateField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from ..changelog import (
    ENTRY_BODY_MAX, LINKED_IDEAS_MAX, create_entry, draft_entries, publish_entry, published_entries,
    shipped_in, update_entry,
)
from ..errors import InvalidInput
from ..extensions import db
from ..i18n import long_date
from ..models import ENTRY_TITLE_MAX, ChangelogEntry
from ..visibility import is_staff
from .forms import Form, _no_nul, _strip, apply_domain_errors
from .responses import done, render_form
from .plumbing import page_of, staff_required

bp = Blueprint("changelog", __name__)
# The idea page asks which entry shipped its idea.
bp.add_app_template_global(shipped_in)

ENTRIES_PER_PAGE = 20
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
        return _("“%(title)s” is published.", title=entry.title)
    if shipped:
        return _("“%(title)s” is published. Its ideas are marked shipped and their followers are told.",
                 title=entry.title)
    return _("“%(title)s” is published. The followers of its ideas are told.", title=entry.title)


@bp.route("/changelog/new", methods=["GET", "POST"])
@staff_required
def new() -> ResponseReturnValue:
    """Write an entry: save it as a draft, or publish it (and ship its ideas) at once."""
    return _save(EntryForm(), None, request.form.get("action") == "publish", "changelog/new.html")


@bp.route("/changelog/<id:entry_id>/edit", methods=["GET", "POST"])
@staff_required
def edit(entry_id: int) -> ResponseReturnValue:
    """Change an entry; a draft can be published from here."""
    entry = db.get_or_404(ChangelogEntry, entry_id)
    form = EntryForm(title=entry.title, body=entry.body,
                     ideas=", ".join(str(idea.id) for idea in entry.ideas),
                     date=entry.published_at.date() if entry.published_at is not None else None)
    publishing = not entry.is_published and request.form.get("action") == "publish"
    return _save(form, entry, publishing, "changelog/edit.html")


def _save(form: EntryForm, entry: ChangelogEntry | None, publishing: bool,
          template: str) -> ResponseReturnValue:
    """Validate `form` and write it through the domain (a new draft, or the changes to `entry`),
    publishing the entry when asked; then show it, saying what became of it, or show the form
    again (422) with each problem the domain named."""
    if form.validate_on_submit():
        try:
            if entry is None:
                saved = create_entry(current_user, form.title.data, form.body.data, form.ideas.numbers)
                said = _("“%(title)s” is saved as a draft. Only staff see it.", title=saved.title)
            else:
                saved, said = entry, _("Your changes are saved.")
                update_entry(current_user, entry, form.title.data, form.body.data, form.ideas.numbers,
                             form.date.data, form.mark_shipped.data, link=_entry_link(entry))
            if publishing:
                publish_entry(current_user, saved, form.date.data, form.mark_shipped.data,
                              link=_entry_link(saved))
                said = _published_message(saved, form.mark_shipped.data)
        except InvalidInput as error:
            db.session.rollback()
            apply_domain_errors(form, error)
        else:
            return done(said, url_for("changelog.show", entry_id=saved.id))
    return render_form(template, form=form, entry=entry)
