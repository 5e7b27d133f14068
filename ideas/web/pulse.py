"""The pulse: the most talked-about tags and words of the last weeks, for an office screen."""
from flask import Blueprint, render_template, request

from ..extensions import htmx
from ..pulse import COMMENT_SAMPLE, IDEA_SAMPLE, WINDOWS, recent_pulse, window_days
from .responses import wants_fragment

bp = Blueprint("pulse", __name__)

BOARD_ID = "pulse-board"
WINDOW_FORM_ID = "pulse-window"


@bp.get("/pulse")
def index() -> str:
    """The pulse of the chosen window; htmx (the minute's poll, the window form) gets the board only."""
    context = dict(pulse=recent_pulse(window_days(request.args.get("days"))),
                   idea_sample=IDEA_SAMPLE, comment_sample=COMMENT_SAMPLE)
    if wants_fragment(BOARD_ID):
        # Announce a period the reader chose; the poll every minute stays quiet.
        return render_template("pulse/_board.html", announce=htmx.trigger == WINDOW_FORM_ID, **context)
    return render_template("pulse/index.html", windows=WINDOWS, **context)
