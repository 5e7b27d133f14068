"""The admins' pages for the statuses ideas move through: the list (each status as members see its
badge, with its key, category, roadmap flag, labels and whether it is still offered, and buttons to
order, archive or remove it), and one form to make or change a status. The rules (what a key, label,
colour or symbol may be, that the category of a status in use stays, that a used status is archived
rather than removed) are ideas/workflow.py; this module only carries what was typed to them and
shows what they answer. "Merged" is the system's own status: it is not listed and has no page."""
from typing import Any

from flask import Blueprint, abort, flash, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user
from werkzeug.wrappers import Response
from wtforms import BooleanField, SelectChoice, SelectField, StringField

from ..errors import InvalidInput, NotAllowed
from ..extensions import db
from ..i18n import COLOUR_NAMES
from ..status_list import (
    CATEGORIES, CATEGORY_NAMES, COLOURS, LABEL_MAX, LANGUAGES, MERGED, SYMBOL_MAX, Status, status_of,
    statuses,
)
from ..workflow import archive_status, create_status, delete_status, in_use, move_status, update_status
from .forms import Form, apply_domain_errors
from .plumbing import admin_required
from .responses import done, render_form, see_other

bp = Blueprint("statuses", __name__, url_prefix="/admin/statuses")

KEY_MAX = 20  # status_list.KEY: a letter and at most 19 more


class CustomStatusForm(Form):
    # The rules (ideas.workflow) name every problem; the form carries the values as typed.
    key = StringField(_l("Key"), render_kw={"maxlength": KEY_MAX}, description=_l(
        "How the API, CSV files and webhooks name the status: a lower-case letter, then letters, digits "
        "or underscores. It never changes."))
    label_en = StringField(_l("English label"), render_kw={"maxlength": LABEL_MAX})
    label_de = StringField(_l("German label"), render_kw={"maxlength": LABEL_MAX})
    category = SelectField(_l("Category"), default="open", validate_choice=False, choices=[
        SelectChoice(category, CATEGORY_NAMES[category]) for category in CATEGORIES], description=_l(
        "What the status means to the site: voting closes in Done and Closed, moving an idea into "
        "Closed needs a public reason, and a changelog entry ships ideas into Done."))
    colour = SelectField(_l("Colour"), default="", validate_choice=False, choices=[
        SelectChoice(colour, COLOUR_NAMES[colour] if colour else _l("Its category's colour"))
        for colour in COLOURS])
    symbol = StringField(_l("Symbol"), render_kw={"maxlength": SYMBOL_MAX}, description=_l(
        "Shown before the label, such as ★ or ⚑. Left empty, the badge shows its category's symbol."))
    on_roadmap = BooleanField(_l("Show it as a column of the roadmap"))


@bp.get("/")
@admin_required
def index() -> str:
    """Every status in order, archived ones too, with what may be done to each."""
    return render_template("statuses/index.html", statuses=statuses(), category_names=CATEGORY_NAMES,
                           languages=LANGUAGES, merged=MERGED)


@bp.route("/new", methods=["GET", "POST"])
@admin_required
def new() -> ResponseReturnValue:
    """Make a status: its key, labels, category, colour, symbol and whether the roadmap shows it."""
    form = CustomStatusForm(formdata=None) if request.method == "GET" else CustomStatusForm()
    if form.validate_on_submit():
        try:
            status = create_status(current_user, {"key": form.key.data, **_fields(form)})
        except InvalidInput as error:
            db.session.rollback()
            apply_domain_errors(form, error)
        else:
            return done(_("The status %(status)s is saved.", status=status.label), url_for("statuses.index"))
    return _render(form, None)


@bp.route("/<string:key>/edit", methods=["GET", "POST"])
@admin_required
def edit(key: str) -> ResponseReturnValue:
    """Change a status's labels, look, roadmap flag or (while no idea used it) its category."""
    status = _status_or_404(key)
    if request.method == "GET":
        return _render(_filled(status), status)
    form = CustomStatusForm()
    if form.validate_on_submit():
        try:
            changed = update_status(current_user, status.key, _fields(form))
        except InvalidInput as error:
            db.session.rollback()
            apply_domain_errors(form, error)
        else:
            saved = status_of(status.key) or status
            return done(_("The status %(status)s is saved.", status=saved.label) if changed
                        else _("Nothing was changed."), url_for("statuses.index"))
    return _render(form, status)


@bp.post("/<string:key>/move")
@admin_required
def move(key: str) -> Response:
    """Move a status one place up (offset -1) or down (+1) the list."""
    status = _status_or_404(key)
    offset = request.form.get("offset", type=int)
    if offset not in (-1, 1):
        abort(400)
    move_status(current_user, status.key, offset)
    message = (_("The status %(status)s moved up.", status=status.label) if offset < 0
               else _("The status %(status)s moved down.", status=status.label))
    return done(message, url_for("statuses.index", _anchor=f"status-{status.key}"))


@bp.post("/<string:key>/archive")
@admin_required
def archive(key: str) -> Response:
    """No longer offer a status (archived=1), or offer it again (archived=0); ideas in it keep it."""
    status = _status_or_404(key)
    archived = request.form.get("archived") != "0"
    try:
        archive_status(current_user, status.key, archived)
    except NotAllowed as refusal:
        return _refused(refusal, status)
    if archived:
        message = _("The status %(status)s is archived: staff no longer move ideas to it, and the ideas "
                    "in it keep it.", status=status.label)
    else:
        message = _("The status %(status)s is offered again.", status=status.label)
    return done(message, url_for("statuses.index", _anchor=f"status-{status.key}"))


@bp.post("/<string:key>/delete")
@admin_required
def delete(key: str) -> Response:
    """Remove a status nothing ever used; a used one stays, and the list says to archive it."""
    status = _status_or_404(key)
    try:
        delete_status(current_user, status.key)
    except NotAllowed as refusal:
        return _refused(refusal, status)
    return done(_("The status %(status)s is removed.", status=status.label), url_for("statuses.index"))


def _status_or_404(key: str) -> Status:
    """The status called `key`, or 404 (merged too: it is the system's, not the admins')."""
    status = status_of(key)
    if status is None or status.key == MERGED:
        abort(404)
    return status


def _refused(refusal: NotAllowed, status: Status) -> Response:
    """Back to the list at the status, saying why nothing was done."""
    db.session.rollback()
    flash(refusal.message, "error")
    return see_other(url_for("statuses.index", _anchor=f"status-{status.key}"))


def _render(form: CustomStatusForm, status: Status | None) -> str | tuple[str, int]:
    """The form (422 when a submission was refused, what was typed kept)."""
    if status is not None and in_use(status.key):
        form.category.description = _("Ideas are or were in this status, so its category cannot change: "
                                      "that would close or reopen their voting.")
    return render_form("statuses/form.html", form=form, status=status)


def _filled(status: Status) -> CustomStatusForm:
    return CustomStatusForm(formdata=None, key=status.key, label_en=status.labels.get("en", ""),
                            label_de=status.labels.get("de", ""), category=status.category,
                            colour=status.colour, symbol=status.symbol, on_roadmap=status.on_roadmap)


def _fields(form: CustomStatusForm) -> dict[str, Any]:
    return {"label_en": form.label_en.data, "label_de": form.label_de.data, "category": form.category.data,
            "colour": form.colour.data, "symbol": form.symbol.data, "on_roadmap": form.on_roadmap.data}
