"""The API's blueprint, apart from the modules that add its routes, so they import it without a cycle."""
from flask import Blueprint, current_app

from ..extensions import csrf, limiter

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)
# Every request counts against this allowance; proposing, commenting and voting have their own too.
limiter.limit(lambda: current_app.config["RATELIMIT_API"])(bp)
