"""Health checks for load balancers and orchestrators (reachable even on private sites)."""
from flask import Blueprint, Response, jsonify, render_template
from flask.typing import ResponseReturnValue
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from ..extensions import db
from ..models import User

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz() -> Response:
    """The process is up and answering."""
    return jsonify(status="ok")


@bp.get("/readyz")
def readyz() -> ResponseReturnValue:
    """The database answers; 503 otherwise, so a balancer stops sending traffic here."""
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError:
        db.session.rollback()
        return jsonify(status="unavailable", database="unreachable"), 503
    return jsonify(status="ok", database="ok")


@bp.get("/_floor")
def floor() -> str:
    """The benchmark's floor: the cheapest response of the same stack (one primary-key
    lookup, a tiny template). `make bench` compares every other page with it. It shows
    nothing about the member it loads."""
    member = db.session.get(User, 1)
    return render_template("_floor.html", found=member is not None)
