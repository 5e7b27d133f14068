"""The accountability page: how soon the team answers and decides ideas and what it ships, by
month, on the boards the reader may see; for staff, the ideas still waiting past the promise.
And the admins' page where the promise is stated."""
from datetime import date
from typing import Literal

from flask import Blueprint, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import format_date, format_percent, gettext as _, lazy_gettext as _l, ngettext
from flask_login import current_user
from wtforms import StringField

from ..accountability import DECISION_DAYS, MONTHS, WAITING_LIMIT, WaitingIdea, recent_figures, waiting_past
from ..answer_promise import PROMISE_MAX, promise_days, set_promise
from ..board import board_filter, boards_seen_by
from ..boards import MAIN_SLUG, main_board_name
from ..errors import InvalidInput
from ..extensions import db
from ..models import Board
from ..visibility import board_scope, is_staff, narrowed
from .forms import Form, apply_domain_errors
from .plumbing import admin_required, chosen
from .responses import done, render_form

bp = Blueprint("accountability", __name__)


class PromiseForm(Form):
    days = StringField(_l("We answer every idea within this many days"),
                       render_kw={"inputmode": "numeric", "autocomplete": "off"},
        description=_l("A whole number of days from 1 to %(most)s. Leave it empty to state no promise.",
                       most=PROMISE_MAX))


def duration_words(hours: float | None) -> str:
    """A median time in plain words: hours under two days, else days."""
    if hours is None:
        return _("no answer yet")
    if hours < 48:
        whole = int(round(hours))
        return ngettext("%(num)s hour", "%(num)s hours", whole)
    days = int(round(hours / 24))
    return ngettext("%(num)s day", "%(num)s days", days)


def percent(value: float | None) -> str:
    """A share as the reader's language writes a percentage; a dash when nothing was judged."""
    return "–" if value is None else format_percent(value)


def month_name(key: str) -> str:
    """The month "YYYY-MM" as the reader's language names it ("December 2026")."""
    year, month = key.split("-")
    return format_date(date(int(year), int(month), 1), "LLLL y")


@bp.get("/accountability")
def index() -> str:
    """The last twelve months of answers, decisions and shipped ideas; staff also read which
    ideas wait past the promise."""
    boards = {board.slug: board for board in boards_seen_by(current_user)}
    board_labels = {MAIN_SLUG: main_board_name(), **{slug: board.name for slug, board in boards.items()}}
    slug = chosen(request.args, "board", board_labels if boards else {})
    board: Board | Literal["main"] | None = boards.get(slug) or (MAIN_SLUG if slug else None)
    scope = narrowed(board_scope(current_user), board_filter(board))
    promise = promise_days()
    waiting: list[WaitingIdea] = []
    waiting_total = 0
    if promise is not None and is_staff(current_user):
        waiting, waiting_total = waiting_past(promise, scope)
    return render_template(
        "accountability/index.html", figures=recent_figures(scope, promise), promise=promise,
        board_labels=board_labels if boards else {}, board=slug, waiting=waiting, waiting_total=waiting_total,
        waiting_limit=WAITING_LIMIT, decision_days=DECISION_DAYS, months=MONTHS,
        duration_words=duration_words, percent=percent, month_name=month_name,
    )


@bp.route("/admin/accountability", methods=["GET", "POST"])
@admin_required
def promise() -> ResponseReturnValue:
    """The promise the accountability page measures against; each change is kept in the audit log."""
    form = PromiseForm()
    if request.method == "GET":
        stored = promise_days()
        form.days.data = "" if stored is None else str(stored)
    if form.validate_on_submit():
        try:
            days = set_promise(current_user, form.days.data)
        except InvalidInput as error:
            db.session.rollback()
            apply_domain_errors(form, error)
        else:
            message = (ngettext("Promise saved: every idea answered within %(num)s day.",
                                "Promise saved: every idea answered within %(num)s days.", days)
                       if days else _("No promise is stated."))
            return done(message, url_for("accountability.promise"))
    return render_form("accountability/promise.html", form=form)
