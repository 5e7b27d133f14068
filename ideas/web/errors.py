"""Errors as pages for browsers and as small notices for htmx."""
from flask import Flask, current_app, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import force_locale, gettext as _, lazy_gettext as _l
from flask_htmx import make_response as htmx_response
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from ..api import bp as api_bp
from ..api.errors import busy_json, http_error_json
from ..busy import RETRY_AFTER_SECONDS, settle_busy_request
from ..database import is_busy
from ..errors import DomainError
from ..extensions import db, htmx
from ..i18n import DEFAULT_LOCALE, browser_locale, chosen_locale

MESSAGES = {
    400: _l("The request could not be understood."),
    403: _l("You are not allowed to do that."),
    404: _l("There is nothing here."),
    405: _l("That is not something this page does."),
    429: _l("Too many requests. Please wait a moment and try again."),
}


def too_large_message() -> str:
    """What a 413 tells a person: the limit, in megabytes."""
    limit = request.max_content_length or 0
    return _("What you sent is too large for this site, which takes files of at most %(size)s MB. "
             "Go back and send less, or a smaller file.", size=max(round(limit / (1024 * 1024)), 1))


def _error_response(status: int, message: str | None, title: str | None = None) -> ResponseReturnValue:
    if htmx:
        # htmx swaps 4xx only where told to: the notice goes to the page's flash area.
        body = render_template("_notice.html", message=message, category="error")
        return htmx_response(body, status, retarget="#notices", reswap="innerHTML")
    return render_template("error.html", status=status, message=message, title=title), status


def busy_response(error: OperationalError) -> Response:
    """503 with Retry-After, for a database that stayed locked past this request's limit.

    Rendered with nothing from the database: no base.html, no context processors (site
    settings, the unread count), and the language the request already speaks, else the
    browser's (the member's own choice is a column)."""
    settle_busy_request(error)
    # The API's blueprint always has its url_prefix; mypy knows only Blueprint's optional one.
    if request.blueprint is None and request.path.startswith(api_bp.url_prefix):  # type: ignore[arg-type]
        return busy_json()
    with force_locale(_locale_without_database()):
        message = _("The site is very busy and could not finish this in time. Nothing was changed: "
                    "wait a few seconds and try again.")
        if htmx:
            body = _render_bare("_notice.html", message=message, category="error")
            response = htmx_response(body, 503, retarget="#notices", reswap="innerHTML")
        else:
            response = current_app.make_response((_render_bare("errors/busy.html", message=message), 503))
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response.headers["Cache-Control"] = "no-store"
    return response


def _locale_without_database() -> str:
    """The locale this request has already chosen, else the browser's: choosing it afresh would
    read the signed-in member's setting."""
    return chosen_locale() or browser_locale() or DEFAULT_LOCALE


def _render_bare(template: str, **context: object) -> str:
    """A template rendered without the app's context processors, which read the database."""
    return current_app.jinja_env.get_template(template).render(**context)


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_refused(error: CSRFError) -> ResponseReturnValue:
        db.session.rollback()
        return _error_response(
            400,
            _("This page has expired (its security token is missing or old). "
              "Reload the page and try again; what you typed may need to be entered again."),
            _("Please reload the page"),
        )

    @app.errorhandler(OperationalError)
    def database_busy(error: OperationalError) -> Response:
        if not is_busy(error):
            raise error  # a real failure: the usual 500, with its traceback in the log
        return busy_response(error)

    @app.errorhandler(DomainError)
    def rule_refused(error: DomainError) -> ResponseReturnValue:
        db.session.rollback()
        return _error_response(error.status_code, error.message)

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> ResponseReturnValue:
        if error.code is None or error.code < 400:
            return error
        # The API's blueprint always has its url_prefix (see busy_response).
        if request.blueprint is None and request.path.startswith(api_bp.url_prefix):  # type: ignore[arg-type]
            return http_error_json(error)  # an unknown route under /api never reaches its blueprint
        db.session.rollback()
        message = too_large_message() if error.code == 413 else MESSAGES.get(error.code, error.description)
        response = app.make_response(_error_response(error.code, message))
        for name, value in error.get_headers():
            if name in ("Retry-After", "Allow"):
                response.headers[name] = value
        return response
