"""JSON access logs in production: one line per request with its id, status and duration."""
import json
import logging
import sys
import time
import uuid

from flask import Flask, Response, g, request

log = logging.getLogger("ideas.requests")


class JsonFormatter(logging.Formatter):
    """Log records as one JSON object per line, with any `extra` fields the caller passed."""

    FIELDS = ("request_id", "method", "path", "status", "duration_ms", "remote_addr")

    def format(self, record: logging.LogRecord) -> str:
        entry = {"time": self.formatTime(record), "level": record.levelname,
                 "logger": record.name, "message": record.getMessage()}
        entry.update({name: getattr(record, name) for name in self.FIELDS if hasattr(record, name)})
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry)


def register_request_log(app: Flask) -> None:
    """Time every request, give it an id (X-Request-ID, kept from a proxy if sent) and log it."""
    if app.config.get("JSON_LOGS"):
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(JsonFormatter())
        root = logging.getLogger()
        root.handlers[:] = [handler]
        root.setLevel(logging.INFO)
        app.logger.handlers[:] = []
        app.logger.propagate = True

    @app.before_request
    def start_timer() -> None:
        g.request_started = time.perf_counter()
        g.request_id = (request.headers.get("X-Request-ID") or uuid.uuid4().hex)[:64]

    @app.after_request
    def log_request(response: Response) -> Response:
        started = g.get("request_started")
        if started is None:
            return response
        response.headers.setdefault("X-Request-ID", g.request_id)
        if app.config.get("JSON_LOGS"):
            log.info("request", extra=dict(
                request_id=g.request_id, method=request.method, path=request.path,
                status=response.status_code, remote_addr=request.remote_addr,
                duration_ms=round((time.perf_counter() - started) * 1000, 2)))
        return response
