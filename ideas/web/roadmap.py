"""The public roadmap."""
from flask import Blueprint, render_template

bp = Blueprint("roadmap", __name__)


@bp.get("/roadmap")
def index():
    """Under review, Planned, In progress, Shipped (recent)."""
    return render_template("roadmap/index.html")
