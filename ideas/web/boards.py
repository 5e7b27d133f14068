"""The admins' pages for boards: the list (the main board, whose name they may change, then every
board with who may see it and how many ideas it holds), and one form to make or change a board. The
rules (what a board's name, address and access may be, and that a board holding ideas stays) are
ideas/boards.py; this module only carries what was typed to them and shows what they answer."""
from typing import Any

from flask import Blueprint, flash, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user
from werkzeug.wrappers import Response
from wtforms import RadioField, SelectChoice, SelectMultipleField, StringField, TextAreaField
from wtforms.widgets import CheckboxInput, ListWidget

from ..board_access import MAIN
from ..boards import (
    all_boards, create_board, delete_board, idea_counts, main_board_name, rename_main_board, update_board,
)
from ..errors import InvalidInput, NotAllowed
from ..extensions import db
from ..models import BOARD_DESCRIPTION_MAX, BOARD_NAME_MAX, BOARD_SLUG_MAX, Board
from ..segments import all_segments
from .forms import Form, apply_domain_errors
from .plumbing import admin_required
from .responses import done, render_form, render_invalid, see_other

bp = Blueprint("boards", __name__, url_prefix="/admin/boards")

# Who may see a board, in the words the form and the list use (the values are models.BOARD_ACCESS).
ACCESS_NAMES = {
    "public": _l("Everyone who may use the site"),
    "members": _l("Signed-in members"),
    "chosen": _l("Members of the segments or companies chosen below (and staff)"),
    "staff": _l("Staff only"),
}
# The list has no "below": it names the segments and companies beside the words.
ACCESS_LISTED = {**ACCESS_NAMES, "chosen": _l("Members of the chosen segments or companies (and staff)")}


class BoardForm(Form):
    # The rules (ideas.boards) name every problem; the form carries the values as typed.
    name = StringField(_l("Name"), render_kw={"maxlength": BOARD_NAME_MAX})
    slug = StringField(_l("Address"), render_kw={"maxlength": BOARD_SLUG_MAX}, description=_l(
        "The end of the board's address, /boards/…: lower-case letters, digits and hyphens. "
        "Left empty, it is made from the name."))
    description = TextAreaField(_l("Description"), render_kw={"maxlength": BOARD_DESCRIPTION_MAX})
    position = StringField(_l("Order"), default="0",
                           description=_l("Boards are listed by this number, smallest first."))
    access = RadioField(_l("Who may see the board"), default="public", validate_choice=False, choices=[
        SelectChoice(value, label) for value, label in ACCESS_NAMES.items()])
    segment_ids = SelectMultipleField(_l("Segments"), choices=[], validate_choice=False,
                                      widget=ListWidget(prefix_label=False), option_widget=CheckboxInput())
    company_ids = TextAreaField(_l("Companies"), description=_l(
        "Their ids in your own systems, one a line or separated by commas."))
    moderators = TextAreaField(_l("Moderators"), description=_l(
        "Members who may hide, tag and merge this board's ideas, nothing more: their email addresses, "
        "one a line or separated by commas. They must be able to see the board."))


class MainBoardForm(Form):
    main_board_name = StringField(_l("Name of the main board"), render_kw={"maxlength": BOARD_NAME_MAX},
                                  description=_l("Left empty, it is called “General”."))


@bp.get("/")
@admin_required
def index() -> str:
    """The main board and every board: who may see it, what it opens to, how many ideas it holds."""
    return _list(MainBoardForm(formdata=None, main_board_name=main_board_name()))


@bp.post("/main")
@admin_required
def rename_main() -> ResponseReturnValue:
    """Name the main board (the site's home page)."""
    form = MainBoardForm()
    if form.validate_on_submit():
        try:
            rename_main_board(current_user, form.main_board_name.data)
        except InvalidInput as error:
            db.session.rollback()
            apply_domain_errors(form, error)
        else:
            return done(_("The main board is called %(name)s.", name=main_board_name()),
                        url_for("boards.index"))
    return render_invalid("boards/index.html", **_list_context(form))


@bp.route("/new", methods=["GET", "POST"])
@admin_required
def new() -> ResponseReturnValue:
    """Make a board: its name, address, description, order and who may see it."""
    form = BoardForm(formdata=None) if request.method == "GET" else BoardForm()
    if form.validate_on_submit():
        try:
            board = create_board(current_user, _fields(form))
        except InvalidInput as error:
            db.session.rollback()
            apply_domain_errors(form, error)
        else:
            return done(_("The board %(name)s is saved.", name=board.name), url_for("boards.index"))
    return _render(form, None)


@bp.route("/<id:board_id>/edit", methods=["GET", "POST"])
@admin_required
def edit(board_id: int) -> ResponseReturnValue:
    """Change a board; its new access holds at once."""
    board = db.get_or_404(Board, board_id)
    if request.method == "GET":
        return _render(_filled(board), board)
    form = BoardForm()
    if form.validate_on_submit():
        try:
            changed = update_board(current_user, board, _fields(form))
        except InvalidInput as error:
            db.session.rollback()
            apply_domain_errors(form, error)
        else:
            return done(_("The board %(name)s is saved.", name=board.name) if changed
                        else _("Nothing was changed."), url_for("boards.index"))
    return _render(form, board)


@bp.post("/<id:board_id>/delete")
@admin_required
def delete(board_id: int) -> Response:
    """Remove a board that holds no idea; one that does stays, and the list says why."""
    board = db.get_or_404(Board, board_id)
    name = board.name
    try:
        delete_board(current_user, board)
    except NotAllowed as refusal:
        db.session.rollback()
        flash(_("The board %(name)s is not removed: %(reason)s", name=name, reason=refusal.message), "error")
        return see_other(url_for("boards.index", _anchor=f"board-{board_id}"))
    return done(_("The board %(name)s is removed.", name=name), url_for("boards.index"))


def _list(main_form: MainBoardForm) -> str:
    return render_template("boards/index.html", **_list_context(main_form))


def _list_context(main_form: MainBoardForm) -> dict[str, Any]:
    return dict(boards=all_boards(), counts=idea_counts(), main=MAIN, main_name=main_board_name(),
                main_form=main_form, access_names=ACCESS_LISTED)


def _render(form: BoardForm, board: Board | None) -> str | tuple[str, int]:
    """The form (422 when a submission was refused, what was typed kept)."""
    segments = db.session.execute(all_segments()).scalars().all()
    form.segment_ids.choices = [SelectChoice(str(segment.id), segment.name) for segment in segments]
    return render_form("boards/form.html", form=form, board=board)


def _filled(board: Board) -> BoardForm:
    return BoardForm(formdata=None, name=board.name, slug=board.slug, description=board.description,
                     position=str(board.position), access=board.access,
                     segment_ids=[str(segment.id) for segment in board.segments],
                     company_ids="\n".join(company.external_id for company in board.companies),
                     moderators="\n".join(member.email for member in board.moderators))


def _fields(form: BoardForm) -> dict[str, Any]:
    return {"name": form.name.data, "slug": form.slug.data, "description": form.description.data,
            "position": form.position.data, "access": form.access.data,
            "segment_ids": form.segment_ids.data or [], "company_ids": form.company_ids.data,
            "moderators": form.moderators.data}
