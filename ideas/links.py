"""Absolute links for what is read away from the site: emails, webhooks, exports.

Always built on BASE_URL, never on the request's Host (or X-Forwarded-Host) header, which the
client chooses: a password-reset link built from `Host: evil.example` would hand the reset token
to whoever owns that host. The worker, which has no request at all, builds the same links.
"""
from typing import Any
from urllib.parse import quote, urlsplit

from flask import current_app


def base_url() -> str:
    """BASE_URL without its trailing slash."""
    return current_app.config["BASE_URL"].rstrip("/")


def external_url(endpoint: str, **values: Any) -> str:
    """The absolute address of `endpoint` on BASE_URL, whatever request (if any) is being served;
    `_anchor` names a place in the page, as for url_for."""
    anchor = values.pop("_anchor", None)
    parts = urlsplit(base_url())
    adapter = current_app.url_map.bind(parts.netloc, script_name=parts.path or "/",
                                       url_scheme=parts.scheme)
    address = adapter.build(endpoint, values, force_external=True)
    return f"{address}#{quote(str(anchor), safe='-_')}" if anchor is not None else address
