"""Headers every response carries."""
import re

from flask import Flask, Response, g, request

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)
# What may follow form-action 'self': a scheme, a host name (or IP address) and a port, nothing
# that could end the directive and start another.
_ORIGIN = re.compile(r"https?://[A-Za-z0-9.\-]+(:[0-9]{1,5})?")


def allow_form_action(origin: str) -> None:
    """Let this page's forms go on to `origin` too. Browsers apply form-action to each redirect a
    form's answer makes, so a button that leaves for a sign-in provider (a POST answered 303 to
    it) needs the provider's origin on the page that shows the button."""
    if _ORIGIN.fullmatch(origin):
        g.setdefault("form_action_origins", set()).add(origin)


def content_security_policy() -> str:
    """The policy, with the origins this page's forms may go on to (`allow_form_action`)."""
    return " ".join([CONTENT_SECURITY_POLICY, *sorted(g.get("form_action_origins", ()))])


def register_security_headers(app: Flask) -> None:
    """Add CSP and friends to every response; mark HTML as varying on HX-Request."""

    @app.after_request
    def add_security_headers(response: Response) -> Response:
        headers = response.headers
        headers.setdefault("Content-Security-Policy", content_security_policy())
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Referrer-Policy", "same-origin")
        headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        if app.config.get("SESSION_COOKIE_SECURE"):
            headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        if response.mimetype == "text/html":
            # The same URL answers a fragment to htmx and a page to browsers.
            response.vary.add("HX-Request")
            if request.method == "GET" and request.endpoint != "static":
                headers.setdefault("Cache-Control", "no-store" if _personal() else "no-cache")
        return response


def _personal() -> bool:
    from flask_login import current_user

    return current_user.is_authenticated
