"""The product team's inbox at /staff."""
from flask import Blueprint, render_template

from .staff import staff_required

bp = Blueprint("triage", __name__, url_prefix="/staff")


@bp.get("/")
@staff_required
def inbox():
    """New ideas first, oldest waiting first."""
    return render_template("triage/inbox.html")
