"""CSV for the product team: export ideas and votes, import them from Ideas, Fider or Canny.

Import is two steps: the upload answers with a dry run (problems row by row, what would be
created); the confirmation imports the very bytes the dry run read, kept server-side under a
random token, and recounts everything from them rather than trusting the page.
"""
import os
from collections.abc import Iterator
from datetime import date

from flask import (
    Blueprint, Response, abort, current_app, flash, render_template, request, stream_with_context, url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _, ngettext
from flask_login import current_user
from sqlalchemy.exc import IntegrityError
from werkzeug.exceptions import RequestEntityTooLarge

from ..csv_export import IDEA_COLUMNS, VOTE_COLUMNS, ideas_csv, votes_csv
from ..csv_import import (
    CANNY_STATUSES, FIDER_STATUSES, FORMATS, BadFile, ImportPlan, discard_upload, load_upload, plan_import,
    run_import, store_upload,
)
from ..errors import InvalidInput
from ..extensions import db
from ..i18n import format_count
from ..status_list import STATUS_NAMES as STATUS_LABELS
from ..models import Segment
from ..priority import current_weights, formula
from ..segments import segment_by_id, segment_names
from .body_limits import accepts_body_up_to
from .responses import render_invalid, see_other
from .plumbing import staff_required

bp = Blueprint("csv", __name__, url_prefix="/staff/csv")


def _max_bytes() -> int:
    return current_app.config["IMPORT_MAX_BYTES"]


def _upload_dir() -> str:
    return current_app.config.get("IMPORT_UPLOAD_DIR") or os.path.join(current_app.instance_path, "imports")


def _page(error: str | None = None) -> str | tuple[str, int]:
    """The export links, the upload form and the accepted formats; 422 when `error` names a problem."""
    context = dict(error=error, formats=FORMATS, max_mb=max(_max_bytes() // (1024 * 1024), 1),
                   fider_statuses=FIDER_STATUSES, canny_statuses=CANNY_STATUSES, status_labels=STATUS_LABELS,
                   idea_columns=IDEA_COLUMNS, vote_columns=VOTE_COLUMNS, segments=segment_names(),
                   priority_formula=formula(current_weights()))
    if error:
        db.session.rollback()
        return render_invalid("staff/csv/index.html", **context)
    return render_template("staff/csv/index.html", **context)


def _attachment(chunks: Iterator[str], name: str) -> Response:
    """A streamed CSV download: the body is a generator, written out a page at a time."""
    response = Response(stream_with_context(chunks), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{name}-{date.today():%Y-%m-%d}.csv"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/")
@staff_required
def index() -> str | tuple[str, int]:
    """Export links, the import form and the formats it reads."""
    return _page()


@bp.get("/ideas.csv")
@staff_required
def export_ideas() -> Response:
    """Every listed idea as CSV, streamed."""
    def idea_url(idea_id: int) -> str:
        return url_for("ideas.show", idea_id=idea_id, _external=True)

    return _attachment(ideas_csv(current_user, idea_url, segment=_segment()), "ideas")


@bp.get("/votes.csv")
@staff_required
def export_votes() -> Response:
    """Every vote on a listed idea as CSV, streamed; `segment`: its members' votes."""
    return _attachment(votes_csv(current_user, segment=_segment()), "votes")


def _segment() -> Segment | None:
    """The segment `?segment=` names (None: everyone); 404 when it names none, rather than a file
    of everyone's ideas that looks like the segment's."""
    if not request.args.get("segment"):
        return None
    segment = segment_by_id(request.args["segment"])
    if segment is None:
        abort(404)
    return segment


@bp.post("/import")
@staff_required
@accepts_body_up_to("IMPORT_MAX_CONTENT_LENGTH")
def dry_run() -> ResponseReturnValue:
    """Read the uploaded file and show what importing it would do; nothing is written yet."""
    try:
        data, filename = _uploaded_file()
        plan = plan_import(current_user, data, filename, _max_bytes())
    except InvalidInput as error:
        return _page(error.message)
    db.session.rollback()  # a dry run reads only; make sure nothing it touched lingers
    token = store_upload(_upload_dir(), current_user, data, filename)
    return render_template("staff/csv/dry_run.html", plan=plan, token=token)


@bp.post("/import/confirm")
@staff_required
def confirm() -> ResponseReturnValue:
    """Import the file the dry run read, counted again from its bytes."""
    token = request.form.get("token", "")
    try:
        data, filename = load_upload(_upload_dir(), current_user, token)
        plan = run_import(current_user, data, filename, _max_bytes())
        db.session.commit()
    except InvalidInput as error:
        return _page(error.message)
    except IntegrityError:
        # Two confirmations of one file at the same moment: the records' unique key lets one win.
        return _page(_("This file was being imported twice at once; the board holds it once. Check it."))
    discard_upload(_upload_dir(), token)
    if plan.format.kind == "company":
        flash(_imported_companies(plan, filename), "success")
        return see_other(url_for("csv.index"))
    counts = dict(
        ideas=ngettext("%(count)s idea", "%(count)s ideas", plan.ideas, count=format_count(plan.ideas)),
        votes=ngettext("%(count)s vote", "%(count)s votes", plan.votes, count=format_count(plan.votes)),
        members=ngettext("%(count)s new member", "%(count)s new members", plan.members,
                         count=format_count(plan.members)),
        file=filename or _("the file"))
    if plan.problem_count:
        left_out = ngettext("%(count)s row", "%(count)s rows", plan.problem_count,
                            count=format_count(plan.problem_count))
        flash(_("Imported from %(file)s: %(ideas)s, %(votes)s, %(members)s; %(left_out)s left out.",
                left_out=left_out, **counts), "success")
    else:
        flash(_("Imported from %(file)s: %(ideas)s, %(votes)s, %(members)s.", **counts), "success")
    return see_other(url_for("csv.index"))


def _imported_companies(plan: ImportPlan, filename: str) -> str:
    """What importing a companies file did, in words."""
    counts = dict(
        companies=ngettext("%(count)s new company", "%(count)s new companies", plan.companies,
                           count=format_count(plan.companies)),
        changed=ngettext("%(count)s company changed", "%(count)s companies changed", plan.companies_changed,
                         count=format_count(plan.companies_changed)),
        memberships=ngettext("%(count)s member put in a company", "%(count)s members put in a company",
                             plan.memberships, count=format_count(plan.memberships)),
        file=filename or _("the file"))
    if plan.problem_count:
        left_out = ngettext("%(count)s row", "%(count)s rows", plan.problem_count,
                            count=format_count(plan.problem_count))
        return _("Imported from %(file)s: %(companies)s, %(changed)s, %(memberships)s; "
                 "%(left_out)s left out.", left_out=left_out, **counts)
    return _("Imported from %(file)s: %(companies)s, %(changed)s, %(memberships)s.", **counts)


def _uploaded_file() -> tuple[bytes, str]:
    """(bytes, name) of the uploaded file, read no further than one byte past the size limit."""
    try:
        upload = request.files.get("file")
    except RequestEntityTooLarge:
        raise BadFile(_("The file is larger than the size limit.")) from None
    if upload is None or not upload.filename:
        raise BadFile(_("Choose a CSV file to upload."))
    data = upload.stream.read(_max_bytes() + 1)
    name = os.path.basename(upload.filename.replace("\\", "/"))[:200].replace("\x00", "")
    return data, name

