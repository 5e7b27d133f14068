"""Ideas: a co-creation board. `create_app()` builds the Flask application."""
import os

import click

from flask import Flask, g, request
from werkzeug.middleware.proxy_fix import ProxyFix

from config import load_config

from .backups import register_backup_commands
from .database import configure_engine, end_reading, mark_writing, reset_writing
from .extensions import RATE_LIMIT_KEY, csrf, db, htmx, limiter, login_manager, migrate
from .i18n import register_i18n
from .request_log import register_request_log
from .web.body_limits import register_body_limits
from .web.hosts import register_host_check
from .web.plumbing import rate_limit_key, register_id_converter
from .web.privacy import register_access

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def create_app(config_name: str | None = None, overrides: dict | None = None) -> Flask:
    """Build the app for `config_name` (default: IDEAS_ENV, else development)."""
    app = Flask(
        __name__,
        instance_relative_config=True,
        template_folder="../templates",
        static_folder="../static",
    )
    os.makedirs(app.instance_path, exist_ok=True)
    name = config_name or os.environ.get("IDEAS_ENV", "development")
    app.config.from_object(load_config(name, app.instance_path))
    app.config.update(overrides or {})

    if app.config["PROXY_COUNT"]:
        count = app.config["PROXY_COUNT"]
        # Flask's documented way to add WSGI middleware; mypy forbids assigning to a method.
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=count, x_proto=count, x_host=count)

    register_id_converter(app.url_map)  # before any route that uses <id:…>
    register_host_check(app)
    register_body_limits(app)
    register_extensions(app)
    register_i18n(app)
    register_request_log(app)
    register_blueprints(app)
    register_access(app)
    register_request_hooks(app)
    register_templates(app)
    register_errors(app)
    register_cli(app)
    register_backup_commands(app)
    start_worker_in_process(app)
    return app


def start_worker_in_process(app: Flask) -> None:
    """In development (`make run`), deliver the outbox from a thread of the serving process.

    Only in the process that serves: with the reloader, that is the child
    (WERKZEUG_RUN_MAIN is set there), never the watching parent.
    """
    if not app.config.get("WORKER_IN_PROCESS") or app.testing:
        return
    if app.debug and os.environ.get("WERKZEUG_RUN_MAIN") != "true":
        return
    command = click.get_current_context(silent=True)
    if command is None or command.info_name != "run":  # not during `flask db upgrade` etc.
        return
    import threading

    from .delivery import run_forever

    threading.Thread(target=run_forever, args=(app,), name="outbox-worker", daemon=True).start()
    app.logger.info("Delivering notifications from this process (WORKER_IN_PROCESS).")


def register_extensions(app: Flask) -> None:
    """Bind the extension objects to `app`, with the app's own rules for rate-limit keys and members."""
    db.init_app(app)
    with app.app_context():
        configure_engine(db.engine)
    # Runs before Flask-SQLAlchemy's own teardown (last registered, first run), which closes the session.
    app.teardown_appcontext(end_reading)
    migrate.init_app(app, db, directory=os.path.normpath(os.path.join(app.root_path, "..", "migrations")))
    csrf.init_app(app)
    htmx.init_app(app)
    app.extensions[RATE_LIMIT_KEY] = rate_limit_key
    limiter.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Sign in to do that."
    login_manager.login_message_category = "info"

    from . import models  # noqa: F401  (registers the tables)
    from .web.auth_loader import load_user, load_user_from_request, note_session_seen, unauthorized

    login_manager.user_loader(load_user)
    login_manager.request_loader(load_user_from_request)
    login_manager.unauthorized_handler(unauthorized)
    app.after_request(note_session_seen)


def register_blueprints(app: Flask) -> None:
    """Every blueprint of the app, pages first, then the JSON API."""
    from . import api
    from .web import (
        access, accountability, account, announcements, attachments, auth, board, boards, branding, changelog,
        comments, companies, csv_views, feeds, health, idea_staff, ideas, mentions, notifications, priority,
        preview, product_sign_in, pulse, roadmap, segments, sso, staff, statuses, text_length, triage,
        webhooks,
    )

    for module in (board, ideas, idea_staff, comments, roadmap, changelog, announcements, pulse, feeds, auth,
                   account, notifications, triage, staff, companies, segments, boards, statuses, text_length,
                   csv_views, priority, webhooks, health, access, branding, sso, product_sign_in, mentions,
                   attachments, preview, accountability, api):
        app.register_blueprint(module.bp)
    notifications.register_header_count(app)


def register_request_hooks(app: Flask) -> None:
    """Write requests take SQLite's write lock when their transaction begins."""
    def start_writing() -> None:
        view = app.view_functions.get(request.endpoint or "")
        if request.method not in SAFE_METHODS and not getattr(view, "reads_first", False):
            g.writing_token = mark_writing()

    def stop_writing(exc: BaseException | None) -> None:
        token = g.pop("writing_token", None)
        if token is not None:
            reset_writing(token)

    # First of all hooks: the rate limiter and the session loader query the database too.
    app.before_request_funcs.setdefault(None, []).insert(0, start_writing)
    app.teardown_request(stop_writing)

    from .web.security import register_security_headers

    register_security_headers(app)


def register_templates(app: Flask) -> None:
    from .web.templating import register_template_helpers

    register_template_helpers(app)


def register_errors(app: Flask) -> None:
    from .web.errors import register_error_handlers

    register_error_handlers(app)


def register_cli(app: Flask) -> None:
    from .cli import register_commands

    register_commands(app)
