"""The admins' pages for segments: the list (each segment in words, with how many members it holds),
and a rule editor that works without JavaScript: a few rows of attribute / operator / value, and a
button for more rows. The rules are ideas/segments.py and ideas/segment_rules.py."""
from typing import Any

from flask import Blueprint, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user
from werkzeug.wrappers import Response
from wtforms import FieldList, FormField, RadioField, SelectChoice, SelectField, StringField
from wtforms import Form as RowForm

from ..errors import InvalidInput
from ..extensions import db
from ..models import SEGMENT_NAME_MAX, Segment
from ..segment_rules import OPERATOR_NAMES, RULES_MAX, field_choices, field_label
from ..segments import (
    all_segments, attribute_names, create_segment, delete_segment, described, member_counts, rules_of,
    update_segment,
)
from .forms import ActionForm, Form
from .plumbing import admin_required
from .responses import done, render_form

bp = Blueprint("segments", __name__, url_prefix="/admin/segments")

EMPTY_ROWS = 2  # rows offered beyond the segment's own rules
MORE_ROWS = 3  # rows "Add more rules" adds


class RuleRow(RowForm):
    """One rule: attribute, operator, value. A row without an attribute is left out."""

    field = SelectField(_l("Attribute"), validate_choice=False)
    operator = SelectField(_l("Operator"), validate_choice=False, choices=[
        SelectChoice(name, label) for name, label in OPERATOR_NAMES.items()])
    value = StringField(_l("Value"))


class SegmentForm(Form):
    # The rules (ideas.segments) name every problem; the form carries the values.
    name = StringField(_l("Name"), render_kw={"maxlength": SEGMENT_NAME_MAX})
    match = RadioField(_l("A member is in the segment when"), default="all", validate_choice=False, choices=[
        SelectChoice("all", _l("every rule holds")), SelectChoice("any", _l("any one rule holds"))])
    rules = FieldList(FormField(RuleRow), label=_l("Rules"), min_entries=EMPTY_ROWS + 1,
                      max_entries=RULES_MAX + MORE_ROWS)


@bp.get("/")
@admin_required
def index() -> str:
    """Every segment in words, with how many members are in it now."""
    segments = db.session.execute(all_segments()).scalars().all()
    return render_template("segments/index.html", segments=segments, counts=member_counts(segments),
                           described=described,
                           delete_form=ActionForm())


@bp.route("/new", methods=["GET", "POST"])
@admin_required
def new() -> ResponseReturnValue:
    """Save a segment: a name and its rules."""
    form = SegmentForm(formdata=None) if request.method == "GET" else SegmentForm()
    if "more_rows" in request.form:
        return _with_more_rows(form, None)
    if form.validate_on_submit():
        try:
            segment = create_segment(current_user, form.name.data, form.match.data, _rows(form))
        except InvalidInput as error:
            db.session.rollback()
            _show_problems(form, error)
        else:
            return done(_("The segment %(name)s is saved.", name=segment.name), url_for("segments.index"))
    return _render(form, None)


@bp.route("/<id:segment_id>/edit", methods=["GET", "POST"])
@admin_required
def edit(segment_id: int) -> ResponseReturnValue:
    """Rename a segment or change its rules."""
    segment = db.get_or_404(Segment, segment_id)
    if request.method == "GET":
        form = SegmentForm(formdata=None, name=segment.name, match=segment.match)
        _fill(form, segment)
        return _render(form, segment)
    form = SegmentForm()
    if "more_rows" in request.form:
        return _with_more_rows(form, segment)
    if form.validate_on_submit():
        try:
            changed = update_segment(current_user, segment, form.name.data, form.match.data, _rows(form))
        except InvalidInput as error:
            db.session.rollback()
            _show_problems(form, error)
        else:
            return done(_("The segment %(name)s is saved.", name=segment.name) if changed
                        else _("Nothing was changed."), url_for("segments.index"))
    return _render(form, segment)


@bp.post("/<id:segment_id>/delete")
@admin_required
def delete(segment_id: int) -> Response:
    """Remove a segment; lists filtered by it show everyone again."""
    segment = db.get_or_404(Segment, segment_id)
    name = segment.name
    delete_segment(current_user, segment)
    return done(_("The segment %(name)s is removed.", name=name), url_for("segments.index"))


def _render(form: SegmentForm, segment: Segment | None) -> str | tuple[str, int]:
    """The editor (422 when a submission was refused, what was typed kept)."""
    _offer_fields(form)
    return render_form("segments/form.html", form=form, segment=segment)


def _with_more_rows(form: SegmentForm, segment: Segment | None) -> str:
    """"Add more rules" was pressed: the editor again, as typed, with more empty rows; nothing saved."""
    for _row in range(MORE_ROWS):
        if len(form.rules) < RULES_MAX + MORE_ROWS:
            form.rules.append_entry()
    _offer_fields(form)
    return render_template("segments/form.html", form=form, segment=segment)


def _offer_fields(form: SegmentForm) -> None:
    """Every row's attribute list: what rules may use, plus whatever the row holds already."""
    choices = field_choices(attribute_names())
    for row in form.rules:
        chosen = row.form.field.data
        options = dict(choices)
        if chosen and chosen not in options:
            options[chosen] = field_label(chosen)
        row.form.field.choices = [SelectChoice("", _l("Choose an attribute")),
                                  *(SelectChoice(value, label) for value, label in options.items())]


def _fill(form: SegmentForm, segment: Segment) -> None:
    while len(form.rules):
        form.rules.pop_entry()
    for rule in rules_of(segment):
        form.rules.append_entry(rule.as_json())
    for _row in range(EMPTY_ROWS):
        form.rules.append_entry()


def _rows(form: SegmentForm) -> list[dict[str, Any]]:
    return [{"field": row.form.field.data, "operator": row.form.operator.data, "value": row.form.value.data}
            for row in form.rules]


def _show_problems(form: SegmentForm, error: InvalidInput) -> None:
    """Each problem on its field: "rules-2-value" on the third row's value."""
    for key, message in error.fields.items():
        if key.startswith("rules-"):
            _, index, part = key.split("-", 2)
            form.rules[int(index)].form[part].errors = [message]
        elif key in ("name", "match"):
            form[key].errors = [message]
        else:
            form.form_errors.append(message)
