"""How large a request body may be: small everywhere, larger only where a file is uploaded.

MAX_CONTENT_LENGTH (1 MiB by default) bounds every request, so anonymous clients cannot make
workers swallow megabytes on any route. A view that takes a file names the setting that bounds
it instead. The limit must be in place before anything reads the body, and the CSRF check reads
the form in a before_request hook, so the larger limit is applied first thing in the request.
"""
from collections.abc import Callable
from typing import TypeVar

from flask import Flask, current_app, request

View = TypeVar("View", bound=Callable)


def accepts_body_up_to(setting: str) -> Callable[[View], View]:
    """Let the decorated view take bodies up to `setting` (a config key, in bytes)."""
    def decorate(view: View) -> View:
        view.body_limit_setting = setting  # type: ignore[attr-defined]
        return view
    return decorate


def register_body_limits(app: Flask) -> None:
    """Apply each view's own body limit before any other hook reads the body."""
    app.before_request_funcs.setdefault(None, []).insert(0, apply_body_limit)


def apply_body_limit() -> None:
    """Raise this request's body limit when its view asked for a larger one."""
    view = current_app.view_functions.get(request.endpoint or "")
    setting = getattr(view, "body_limit_setting", None)
    if setting is not None:
        request.max_content_length = current_app.config[setting]
