"""Every error under /api/v1 is JSON: {"error": {"code", "message", "fields"}}."""
from flask import Response, jsonify, request
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException

from ..busy import RETRY_AFTER_SECONDS, settle_busy_request
from ..database import is_busy
from ..errors import (
    ConfirmationRequired, Conflict, DomainError, InvalidInput, NotAllowed, VotingClosed,
)
from ..extensions import db
from .blueprint import bp

CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    422: "invalid_input",
    429: "rate_limited",
    500: "server_error",
    503: "database_busy",
}
MESSAGES = {
    401: "Send an API key (Authorization: Bearer …) or sign in.",
    404: "There is nothing here.",
    405: "This route does not take that method.",
    429: "Too many requests. Wait a moment and try again.",
    500: "Something went wrong on our side; the request changed nothing.",
    503: "The database is busy and could not finish this in time; the request changed nothing. "
         "Try again after the seconds in Retry-After.",
}
DOMAIN_CODES = [  # most specific first
    (ConfirmationRequired, "confirmation_required"),
    (VotingClosed, "voting_closed"),
    (InvalidInput, "invalid_input"),
    (NotAllowed, "forbidden"),
    (Conflict, "conflict"),
]
KEPT_HEADERS = ("Retry-After", "Allow")


def error_response(status: int, code: str, message: str | None, fields: dict[str, str] | None = None,
                   headers: dict[str, str] | None = None) -> Response:
    """The JSON error with its status."""
    response = jsonify(error={"code": code, "message": message, "fields": fields or {}})
    response.status_code = status
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def http_error_json(error: HTTPException) -> Response:
    """An HTTP error as JSON (also used by the app's handler for unknown routes under /api)."""
    db.session.rollback()
    status = error.code or 500
    headers = {name: value for name, value in error.get_headers() if name in KEPT_HEADERS}
    if status == 401:
        headers["WWW-Authenticate"] = 'Bearer realm="api"'
    message = error.description if _own_description(error) else MESSAGES.get(status, error.description)
    if status == 413:
        message = (f"The request body is larger than the {request.max_content_length} bytes "
                   "this site accepts.")
    return error_response(status, CODES.get(status, f"http_{status}"), message, headers=headers)


def _own_description(error: HTTPException) -> bool:
    """True when a view gave the error its own message (werkzeug's defaults speak of HTML pages)."""
    return error.description != type(error).description and error.code not in (500,)


@bp.errorhandler(CSRFError)
def csrf_refused(error: CSRFError) -> Response:
    """A session-authenticated request that changes data came without a good CSRF token."""
    db.session.rollback()
    return error_response(400, "csrf_failed",
                          "Send the CSRF token of your session in the X-CSRFToken header, or use an API key.")


@bp.errorhandler(DomainError)
def rule_refused(error: DomainError) -> Response:
    """A domain rule said no: its message, its status, and the fields it names."""
    db.session.rollback()
    code = next((code for kind, code in DOMAIN_CODES if isinstance(error, kind)),
                CODES.get(error.status_code, "bad_request"))
    return error_response(error.status_code, code, error.message, getattr(error, "fields", None))


def busy_json() -> Response:
    """503 for a database that stayed locked past the request's limit (after settle_busy_request)."""
    return error_response(503, CODES[503], MESSAGES[503], headers={"Retry-After": str(RETRY_AFTER_SECONDS)})


@bp.errorhandler(OperationalError)
def database_busy(error: OperationalError) -> Response:
    """A lock held too long (or a statement past its limit): try again shortly; other database
    failures stay 500s, with their traceback in the log."""
    if not is_busy(error):
        raise error
    settle_busy_request(error)
    return busy_json()


@bp.errorhandler(HTTPException)
def http_error(error: HTTPException) -> Response:
    """aborts, 404s from the loaders, 429 from the limiter, and unexpected errors (500)."""
    return http_error_json(error)
