"""Answer only to the site's own host names (ALLOWED_HOSTS; production: BASE_URL's host).

Links in emails never come from the Host header (ideas/links.py), but pages, feeds and the API
still build absolute URLs from it, and a cache or proxy in front might key on it. Health checks
stay answerable whatever the host, since load balancers call them by IP address.
"""
from flask import Flask, current_app, request
from werkzeug.sansio.utils import host_is_trusted

ANY_HOST_ENDPOINTS = frozenset({"health.healthz", "health.readyz"})


def register_host_check(app: Flask) -> None:
    """Refuse requests to other host names before anything else runs (400)."""
    if app.config.get("ALLOWED_HOSTS"):
        app.before_request(refuse_unknown_hosts)


def refuse_unknown_hosts() -> tuple[str, int, dict] | None:
    """A 400 for a Host (or trusted X-Forwarded-Host) that is not one of ALLOWED_HOSTS."""
    if request.endpoint in ANY_HOST_ENDPOINTS:
        return None
    if host_is_trusted(request.host, current_app.config["ALLOWED_HOSTS"]):
        return None
    return "This site does not answer to that host name.\n", 400, {"Content-Type": "text/plain"}
