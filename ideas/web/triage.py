"""The product team's inbox at /staff: triage ideas a page at a time, and many at once."""
from collections.abc import Callable, Container, Sequence
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from flask import Blueprint, flash, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _, lazy_gettext as _l, ngettext
from flask_login import current_user
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response
from wtforms import Field, HiddenField, SelectChoice, SelectField, SelectMultipleField, TextAreaField
from wtforms.validators import ValidationError

from ..board import all_tags
from ..errors import InvalidInput, NotAllowed
from ..extensions import db
from ..inbox import (
    DEFAULT_SORT, SORTS, capped_status_counts, follower_counts, inbox_query, priority_scores,
    recent_vote_counts, selected_ideas, status_counts, tag_named,
)
from ..i18n import INBOX_SORT_NAMES, KIND_NAMES as KIND_LABELS
from ..models import Idea, Segment
from ..models.types import INTEGER_MAX as ID_MAX
from ..moderation import approve_idea
from ..priority import current_weights, formula
from ..roadmap import COUNT_CAP
from ..tags import tags_of
from ..segments import segment_by_id, segment_names
from ..status_list import LISTED_STATUSES, STATUS_NAMES as STATUS_LABELS  # archived ones too
from ..statuses import NOTE_MAX, change_status
from ..tags import TAG_NAME_MAX, add_tag
from .forms import Form, status_choices
from .plumbing import chosen, fetch_page, idea_filters, page_number, staff_required
from .fragments import for_a_minute, versions
from .responses import done, next_url, render_invalid, see_other, wants_fragment

bp = Blueprint("triage", __name__, url_prefix="/staff")

IDEAS_PER_PAGE = 50
# Ideas a bulk change refused, by id: (title, what was wrong), for the rows of the inbox.
RefusedIdeas = dict[int, tuple[str, list[str]]]


class BulkForm(Form):
    """The inbox's one form: tick rows, then give them a status (with a note) or a tag."""

    idea_ids = SelectMultipleField(_l("Selected ideas"), coerce=int, validate_choice=False)
    # The rules (change_status, add_tag) judge the choices, so single and bulk changes agree.
    status = SelectField(_l("New status"), validate_choice=False,
                         choices=lambda: [SelectChoice("", _l("Choose a status")), *status_choices()])
    note = TextAreaField(_l("Public note"), render_kw={"maxlength": NOTE_MAX},
                         description=_l("Customers following the ideas read it. Required to close them."))
    tag = SelectField(_l("Tag"), validate_choice=False)
    next = HiddenField()

    def validate_idea_ids(self, field: Field) -> None:
        if not field.data:
            raise ValidationError(_("Select at least one idea."))
        if len(field.data) > IDEAS_PER_PAGE:
            raise ValidationError(_("Select at most %(limit)s ideas at a time.",
                                    limit=IDEAS_PER_PAGE))
        if not all(0 < idea_id <= ID_MAX for idea_id in field.data):
            raise ValidationError(_("Select ideas from the list."))


def inbox_filters(args: MultiDict[str, str], segments: Container[str] = ()) -> dict[str, str]:
    """The inbox's filters from a query string, unknown values dropped: a segment among `segments`."""
    return {**idea_filters(args, SORTS, DEFAULT_SORT, LISTED_STATUSES),
            "segment": chosen(args, "segment", segments)}


@bp.get("/")
@staff_required
def inbox() -> str:
    """New ideas first, oldest waiting first; htmx gets just the results."""
    context = inbox_context(request.args, BulkForm(formdata=None))
    if wants_fragment("inbox-results"):
        return render_template("triage/_results.html", **context)
    return render_template("triage/inbox.html", **context)


def inbox_context(args: MultiDict[str, str], form: BulkForm,
                  refused: RefusedIdeas | None = None) -> dict[str, Any]:
    """What the inbox and its results fragment need; the per-row counts cost two queries a page."""
    segments = segment_names()
    filters, number = inbox_filters(args, segments), page_number(args)
    segment = segment_by_id(filters["segment"]) if filters["segment"] else None
    tags = db.session.execute(all_tags()).scalars().all()
    form.tag.choices = [SelectChoice("", _l("Choose a tag"))] + [
        SelectChoice(tag.name, f"#{tag.name}") for tag in tags]
    page = fetch_page(inbox_query(current_user, filters["sort"], filters["status"], filters["kind"],
                                  filters["tag"], segment), number, IDEAS_PER_PAGE)
    ids = [idea.id for idea in page.items]
    counts = _status_counts(filters, segment)
    figures, row_tags = _row_figures(ids), tags_of(ids)
    priorities = dict(db.session.execute(priority_scores(ids)).all()) if ids else {}
    selected = set(form.idea_ids.data or ())

    def inbox_url(**changes: Any) -> str:
        values = {**filters, **changes}
        if values["sort"] == DEFAULT_SORT:
            del values["sort"]
        return url_for("triage.inbox", **_non_empty(values))

    form.next.data = form.next.data or inbox_url(page=number if number > 1 else None)
    return dict(
        filters=filters,
        filters_key=tuple(sorted(filters.items())),
        rows_key=_rows_key(page.items, row_tags, figures, priorities, selected, refused or {}),
        page=page,
        form=form,
        pristine=not (form.errors or form.status.data or form.note.data or form.tag.data),
        selected=selected,
        refused=refused or {},
        **figures,
        row_tags=row_tags,
        priorities=priorities,
        priority_formula=formula(current_weights()),
        counts=[(status, STATUS_LABELS[status], counts.get(status, 0)) for status in LISTED_STATUSES],
        total=sum(min(count, COUNT_CAP) for count in counts.values()),
        count_cap=COUNT_CAP,
        inbox_url=inbox_url,
        tag_labels={tag.name: f"#{tag.name}" for tag in tags},
        sort_labels=INBOX_SORT_NAMES,
        status_labels={status: STATUS_LABELS[status] for status in LISTED_STATUSES},
        kind_labels=KIND_LABELS,
        segment_labels=segments,
    )


def _rows_key(ideas: Sequence[Idea], row_tags: dict[int, Any], figures: dict[str, dict[int, int]],
              priorities: dict[int, Any], selected: set[int], refused: RefusedIdeas) -> tuple:
    """The key of the table's rows as one block: what each row's own block is keyed by, for all
    fifty (asking each row's key in the template cost more than rendering the rest of the page)."""
    return tuple((versions(idea), row_tags.get(idea.id, ()), figures["followers"].get(idea.id, 0),
                  figures["recent_votes"].get(idea.id, 0), priorities.get(idea.id, 0),
                  idea.id in selected, tuple(refused[idea.id][1]) if idea.id in refused else None)
                 for idea in ideas)


def _row_figures(ids: list[int]) -> dict[str, dict[int, int]]:
    """Each row's followers and votes of the last 7 days, kept for the rest of the minute for the
    same page of ideas: the most wanted ideas have thousands of followers each, and counting
    them for fifty rows took 13 ms at 100,000 ideas, more than the rest of the page's queries."""
    def count() -> dict[str, dict[int, int]]:
        if not ids:
            return {"followers": {}, "recent_votes": {}}
        return {"followers": dict(db.session.execute(follower_counts(ids)).all()),
                "recent_votes": dict(db.session.execute(recent_vote_counts(ids)).all())}

    return for_a_minute(("inbox-row-figures", tuple(ids)), count)


def _status_counts(filters: dict[str, str], segment: Segment | None) -> dict[str, int]:
    """{status: ideas} under the filters, each stopping at COUNT_CAP + 1. With a segment the set
    of its ideas is built anew for each count (100 ms at 100,000 ideas), so those counts are
    exact and kept for the rest of the minute."""
    if segment is None:
        row = db.session.execute(capped_status_counts(
            current_user, LISTED_STATUSES, COUNT_CAP, filters["kind"], filters["tag"])).one()
        return dict(zip(LISTED_STATUSES, row, strict=True))

    def count() -> dict[str, int]:
        return dict(db.session.execute(
            status_counts(current_user, filters["kind"], filters["tag"], segment)).all())

    key = ("inbox-counts", segment.id, segment.updated_at, filters["kind"], filters["tag"])
    return for_a_minute(key, count)


@bp.post("/bulk/status")
@staff_required
def bulk_status() -> ResponseReturnValue:
    """Move every ticked idea to one status with one note, as single changes would; all or none."""
    form = _bulk_form()
    status = form.status.data
    ideas, refused = _apply_to_selected(
        form, lambda idea: change_status(current_user, idea, status, form.note.data))
    if ideas is None:
        return _refuse(form, refused)
    return done(ngettext("%(num)s idea moved to %(status)s.", "%(num)s ideas moved to %(status)s.",
                         len(ideas), status=STATUS_LABELS[status]), next_url(url_for("triage.inbox")))


@bp.post("/bulk/tag")
@staff_required
def bulk_tag() -> ResponseReturnValue:
    """Put one tag on every ticked idea."""
    form = _bulk_form()
    tag = db.session.execute(tag_named(form.tag.data)).scalar() if form.tag.data else None

    def tag_idea(idea: Idea) -> None:
        if tag is None:
            raise InvalidInput(_("No tag chosen."), {"tag": _("Choose a tag from the list.")})
        add_tag(current_user, idea, tag)

    ideas, refused = _apply_to_selected(form, tag_idea)
    if ideas is None:
        return _refuse(form, refused)
    # There is a tag: without one, tag_idea refused every idea and `ideas` is None.
    return done(ngettext("%(num)s idea tagged #%(name)s.", "%(num)s ideas tagged #%(name)s.", len(ideas),
                         name=tag.name), next_url(url_for("triage.inbox")))  # type: ignore[union-attr]


@bp.post("/ideas/<id:idea_id>/approve")
@staff_required
def approve(idea_id: int) -> Response:
    """Publish an idea held for approval."""
    idea = db.get_or_404(Idea, idea_id)
    was_held = idea.awaiting_approval
    approve_idea(current_user, idea)
    db.session.commit()
    if was_held:
        flash(_("“%(title)s” is approved and on the board.", title=idea.title), "success")
    else:
        flash(_("“%(title)s” was already approved.", title=idea.title), "info")
    return see_other(next_url(url_for("triage.inbox")))


def _bulk_form() -> BulkForm:
    form = BulkForm()
    form.tag.data = (form.tag.data or "")[:TAG_NAME_MAX].replace("\x00", "")
    return form


def _apply_to_selected(form: BulkForm,
                       rule: Callable[[Idea], object]) -> tuple[Sequence[Idea] | None, RefusedIdeas]:
    """Run `rule` on every ticked idea: (ideas, {}) or, if any refused, (None, problems by idea).

    A refusal rolls back the whole batch, so a bulk change happens to all the ideas or to none.
    """
    if not form.validate():
        return None, {}
    ideas = db.session.execute(selected_ideas(form.idea_ids.data)).scalars().all()
    if len(ideas) < len(set(form.idea_ids.data)):
        form.idea_ids.errors.append(_("Some selected ideas no longer exist; reload the inbox."))
        return None, {}
    problems = {}
    for idea in ideas:
        try:
            rule(idea)
        except (InvalidInput, NotAllowed) as error:
            problems[idea] = error
    if not problems:
        return ideas, {}
    refused = _name_problems(form, ideas, problems)
    db.session.rollback()
    return None, refused


def _name_problems(form: BulkForm, ideas: Sequence[Idea],
                   problems: dict[Idea, InvalidInput | NotAllowed]) -> RefusedIdeas:
    """Put a problem every idea shares on its form field once; return the rest by idea id."""
    def by_field(error: InvalidInput | NotAllowed) -> dict[str, str]:
        return getattr(error, "fields", None) or {"": error.message}

    shared = set()
    if len(problems) == len(ideas):
        shared = set.intersection(*(set(by_field(error).items()) for error in problems.values()))
    on_fields = set()
    for name, message in sorted(shared):
        if name and name in form:
            form[name].errors.append(message)
            on_fields.add(message)
    refused = {}
    for idea, error in problems.items():
        own = [message for message in by_field(error).values() if message not in on_fields]
        if own:
            refused[idea.id] = (idea.title, own)
    return refused


def _refuse(form: BulkForm, refused: RefusedIdeas) -> tuple[str, int]:
    """Show the inbox the form came from again, ticks and note kept, the problems named."""
    form.next.data = next_url(url_for("triage.inbox"))
    args = MultiDict(parse_qsl(urlsplit(form.next.data).query))
    return render_invalid("triage/inbox.html", **inbox_context(args, form, refused))


def _non_empty(values: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in values.items() if value}
