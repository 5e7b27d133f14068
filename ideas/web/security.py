"""Headers every response carries."""
from flask import Flask, Response, request

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)


def register_security_headers(app: Flask) -> None:
    """Add CSP and friends to every response; mark HTML as varying on HX-Request."""

    @app.after_request
    def add_security_headers(response: Response) -> Response:
        headers = response.headers
        headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
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
